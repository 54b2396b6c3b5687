#!/usr/bin/env bash
# Runs Decant's main job on the bundled demo notebook, end to end. Called by `make demo`.
set -euo pipefail

BIN=${BIN:-$PWD/bin}
OUT=${OUT:-$PWD/out/demo}
NOTEBOOK=${NOTEBOOK:-testdata/demo/churn.ipynb}
REPO="$OUT/churn-service"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$OUT"
mkdir -p "$OUT"

step "decant extract $NOTEBOOK --repo $REPO"
"$BIN/decant" extract --repo "$REPO" --date 2026-01-01T00:00:00Z "$NOTEBOOK"

step "the branch Decant committed"
if command -v git >/dev/null; then
	git -C "$REPO" log --stat --format='commit %H%nAuthor: %an <%ae>%nDate:   %aI%n%n%w(0,4,4)%B' decant/churn | head -40
else
	find "$REPO" -path "$REPO/.git" -prune -o -type f -print | sort
fi

step "the emitted service's own tests (go vet, go test)"
(cd "$REPO" && go vet ./... && go test ./...)

step "start the emitted server"
go build -o "$BIN/httpget" ./scripts/httpget
port=$(( 20000 + RANDOM % 20000 ))
(cd "$REPO" && go build -o bin/server ./cmd/server)
(cd "$REPO/churn" && exec ../bin/server -addr "127.0.0.1:$port") &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	if "$BIN/httpget" "127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
	sleep 0.1
done

call() {
	printf '\nGET %s\n' "$1"
	"$BIN/httpget" "$1" || true
}
step "call /v1/probabilities with good and bad parameters"
call "127.0.0.1:$port/v1/probabilities?age=34&plan=basic&monthly_spend=29.9&tenure_months=4&support_calls=3"
call "127.0.0.1:$port/v1/probabilities?age=45&plan=standard&monthly_spend=54.9&tenure_months=18&support_calls=1"
call "127.0.0.1:$port/v1/probabilities?age=34&plan=basic&monthly_spend=29.9&tenure_months=4"
call "127.0.0.1:$port/v1/probabilities?age=old&plan=basic&monthly_spend=29.9&tenure_months=4&support_calls=3"
call "127.0.0.1:$port/v1/probabilities?age=500&plan=basic&monthly_spend=29.9&tenure_months=4&support_calls=3"
call "127.0.0.1:$port/v1/probabilities?age=34&plan=gold&monthly_spend=29.9&tenure_months=4&support_calls=3"
call "127.0.0.1:$port/v1/nothing-here"

step "stop the server"
kill -INT $server
wait $server 2>/dev/null || true
trap - EXIT
echo "server stopped; the service repository is $REPO (branch decant/churn)"

step "decant score: the ML Test Score items the service shows"
"$BIN/decant" score "$REPO" | grep -E "^(Data|Model|Infrastructure|Monitoring|score)"
