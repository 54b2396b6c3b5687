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

go build -o "$BIN/httpget" ./scripts/httpget
export CGO_ENABLED=0 # as the service's Makefile: static binaries
(cd "$REPO" && go build -o bin/ ./cmd/server ./cmd/churn)

step "train: the batch command saves the trained model as a versioned artifact"
MODEL="$OUT/model"
(cd "$REPO/churn" && ../bin/churn train -model-url "$MODEL")
ls -R "$MODEL" | sed 's/^/  /'

step "the server refuses to start without an artifact"
if "$REPO/bin/server" -addr 127.0.0.1:0 -model-url "$OUT/no-model"; then
	echo "demo: the server started without an artifact" >&2
	exit 1
else
	echo "(exit status $?, as expected)"
fi

step "start the server from the artifact, with the SQLite file removed"
mv "$REPO/churn/churn.db" "$OUT/churn.db.away"
restore() { mv "$OUT/churn.db.away" "$REPO/churn/churn.db" 2>/dev/null || true; }
mkdir -p "$OUT/run"
port=$(( 20000 + RANDOM % 20000 ))
(cd "$OUT/run" && exec "$REPO/bin/server" -addr "127.0.0.1:$port" -model-url "$MODEL" 2>"$OUT/server.log") &
server=$!
trap 'kill $server 2>/dev/null || true; restore' EXIT
for _ in $(seq 1 100); do
	if "$BIN/httpget" "127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
	sleep 0.1
done
echo "the server runs in $OUT/run; no churn.db anywhere in reach: $(find "$OUT/run" "$REPO/churn" -name churn.db | wc -l) copies"

call() {
	printf '\nGET %s\n' "$1"
	"$BIN/httpget" "$1" || true
}
step "predictions equal the notebook's saved output"
for args in "34 basic 29.9 4 3" "45 standard 54.9 18 1"; do
	set -- $args
	body=$("$BIN/httpget" "127.0.0.1:$port/v1/probabilities?age=$1&plan=$2&monthly_spend=$3&tenure_months=$4&support_calls=$5")
	p=$(printf '%s' "$body" | sed -n 's/.*"probabilities":\([0-9.e-]*\).*/\1/p')
	got=$(printf '%.3f' "$p")
	want=$(grep -o "P(churn | ${1}y, $2, [^)]*) = [0-9.]*" "$NOTEBOOK" | head -1 | sed 's/.* = //')
	printf 'age=%s plan=%s: server %s -> %s, notebook %s\n' "$1" "$2" "$p" "$got" "$want"
	if [ "$got" != "$want" ]; then
		echo "demo: the server's prediction differs from the notebook's" >&2
		exit 1
	fi
done

step "call /v1/probabilities with bad parameters"
call "127.0.0.1:$port/v1/probabilities?age=34&plan=basic&monthly_spend=29.9&tenure_months=4"
call "127.0.0.1:$port/v1/probabilities?age=old&plan=basic&monthly_spend=29.9&tenure_months=4&support_calls=3"
call "127.0.0.1:$port/v1/probabilities?age=500&plan=basic&monthly_spend=29.9&tenure_months=4&support_calls=3"
call "127.0.0.1:$port/v1/probabilities?age=34&plan=gold&monthly_spend=29.9&tenure_months=4&support_calls=3"
call "127.0.0.1:$port/v1/nothing-here"

step "/readyz and /metrics"
call "127.0.0.1:$port/readyz"
printf '\nGET 127.0.0.1:%s/metrics (the requests just made)\n' "$port"
"$BIN/httpget" "127.0.0.1:$port/metrics" | grep -E '^(http_requests_total|service_build_info)'

step "stop the server"
kill -INT $server
wait $server 2>/dev/null || true
trap - EXIT
restore
echo "server stopped; its log (access lines included):"
tail -n 4 "$OUT/server.log"

step "the image, built without Docker, and inspected"
(cd "$REPO" && GOOS=linux go build -trimpath -ldflags='-s -w' -o bin/linux/ ./cmd/server ./cmd/churn && go run ./cmd/image -bin bin/linux -out bin/image)
if command -v skopeo >/dev/null; then
	skopeo inspect --config "oci-archive:$REPO/bin/image.tar" | grep -E '"(User|Entrypoint|architecture|os)"' -A2 | head -20
	skopeo inspect "oci:$REPO/bin/image" | grep -E '"(Digest|Layers)"' -A1 | head -6
else
	echo "(skopeo is not installed: apt-get install skopeo to inspect; the service's own tests opened the image)"
	cat "$REPO/bin/image/index.json"; echo
fi
echo "service repository: $REPO (branch decant/churn); Kubernetes manifests in $REPO/deploy"

step "decant score: the ML Test Score items the service shows"
"$BIN/decant" score "$REPO" | grep -E "^(Data|Model|Infrastructure|Monitoring|score)"
