#!/bin/sh
# Serve the demo's GET /v1/probabilities three ways and measure them side by side in one run:
#
#   generated  the server decant extract emits (cmd/server), from its trained artifact, with
#              /metrics and one access log line per request
#   hand       a minimal hand-written net/http server calling the same library function
#   flask      Flask under gunicorn, 2 sync workers, the same model fitted in Python
#
# Each server gets the same two loads, one server at a time, all on 127.0.0.1:
#   1. wrk, closed loop ($CONNS connections, $WRK_DURATION): the most each can serve.
#   2. decant load at a constant $RATE requests/s for $RATE_DURATION: latency percentiles.
#
# Needs: go, wrk, curl, gunicorn and python3-flask (Debian: apt-get install wrk curl gunicorn
# python3-flask). Run it from the repository root, usually as `make bench-api`.
set -eu

BIN=${BIN:-$PWD/bin}
OUT=${OUT:-$PWD/out/bench-api}
NOTEBOOK=${NOTEBOOK:-testdata/demo/churn.ipynb}
CONNS=${CONNS:-32}
WRK_DURATION=${WRK_DURATION:-10s}
RATE=${RATE:-5000}
RATE_DURATION=${RATE_DURATION:-10s}
PORT_BASE=${PORT_BASE:-18480}
HERE=$(cd "$(dirname "$0")" && pwd)

for tool in wrk curl gunicorn "$BIN/decant"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench-api: $tool not found (apt-get install wrk curl gunicorn python3-flask; make build)" >&2; exit 1; }
done

REPO=$OUT/churn-service
rm -rf "$OUT" && mkdir -p "$OUT"
echo "== extracting $NOTEBOOK into $REPO"
"$BIN/decant" extract --no-verify --quiet --date 2026-01-01T00:00:00Z --repo "$REPO" "$NOTEBOOK" >/dev/null
mkdir -p "$REPO/cmd/hand"
cp "$HERE/hand.go" "$REPO/cmd/hand/main.go"
sed -i '/^\/\/go:build ignore$/d' "$REPO/cmd/hand/main.go"
(cd "$REPO" && go build -o "$OUT/generated" ./cmd/server && go build -o "$OUT/hand" ./cmd/hand && go build -o "$OUT/churn" ./cmd/churn)
# The extracted server serves from a trained artifact (metrics and access logs on, as deployed).
(cd "$REPO/churn" && "$OUT/churn" train -model-url "$OUT/model" >/dev/null)

PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

# The servers run from the package directory, where churn.db ships.
cd "$REPO/churn"
"$OUT/generated" -addr 127.0.0.1:$((PORT_BASE + 1)) -model-url "$OUT/model" 2>"$OUT/generated.log" & PIDS="$PIDS $!"
"$OUT/hand" -addr 127.0.0.1:$((PORT_BASE + 2)) 2>"$OUT/hand.log" & PIDS="$PIDS $!"
PYTHONPATH="$HERE" gunicorn --workers 2 --worker-class sync --preload --bind 127.0.0.1:$((PORT_BASE + 3)) \
	--log-level warning flask_app:app 2>"$OUT/flask.log" & PIDS="$PIDS $!"
cd - >/dev/null

QUERY='/v1/probabilities?age=34&plan=basic&monthly_spend=29.9&tenure_months=4&support_calls=3'
NAMES="generated hand flask"
port() { case $1 in generated) echo $((PORT_BASE + 1)) ;; hand) echo $((PORT_BASE + 2)) ;; flask) echo $((PORT_BASE + 3)) ;; esac; }

for n in $NAMES; do
	i=0
	until curl -sf "http://127.0.0.1:$(port "$n")/healthz" >/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "bench-api: $n did not come up; see $OUT/$n.log" >&2; exit 1; }
		sleep 0.1
	done
	# The first request fits the model in the Go servers; it also shows the three agree.
	printf '%-10s %s\n' "$n" "$(curl -s "http://127.0.0.1:$(port "$n")$QUERY")"
done

# spec holds the one route with its examples, so decant load sends the same good request.
SPEC=$REPO/openapi.json
for n in $NAMES; do
	url=http://127.0.0.1:$(port "$n")
	echo "== $n: wrk -t1 -c$CONNS -d$WRK_DURATION"
	wrk -t1 -c"$CONNS" -d"$WRK_DURATION" --latency "$url$QUERY" >"$OUT/$n.wrk"
	echo "== $n: decant load --rate $RATE --duration $RATE_DURATION"
	"$BIN/decant" load --url "$url" --spec "$SPEC" --good-only --rate "$RATE" --duration "$RATE_DURATION" \
		--timeout 2s --json >"$OUT/$n.load.json" 2>/dev/null || true
	sleep 1
done

# Reports: wrk's Requests/sec and latency distribution; decant load's JSON (durations in ns).
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$OUT/$1.wrk"; }
wrk_pct() { awk -v p="$2" '$1 == p {print $2}' "$OUT/$1.wrk"; }
load_field() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$OUT/$1.load.json" 2>/dev/null || echo "-"; }

echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews latency)"
printf '%-10s | %12s %9s %9s | %10s %9s %9s %9s %8s\n' server "wrk req/s" "wrk p50" "wrk p99" "sent/s" "p50" "p99" "max" "2xx"
printf '%-10s | %12s %9s %9s | %10s %9s %9s %9s %8s\n' "" "($CONNS conns)" "" "" "(at $RATE/s)" "" "" "" ""
for n in $NAMES; do
	printf '%-10s | %12s %9s %9s | %10s %9s %9s %9s %8s\n' "$n" "$(wrk_rps "$n")" "$(wrk_pct "$n" 50%)" "$(wrk_pct "$n" 99%)" \
		"$(load_field "$n" '"%.0f" % r["sent_rate"]')" \
		"$(load_field "$n" '"%.2fms" % (r["latency"]["p50"]/1e6)')" \
		"$(load_field "$n" '"%.2fms" % (r["latency"]["p99"]/1e6)')" \
		"$(load_field "$n" '"%.2fms" % (r["latency"]["max"]/1e6)')" \
		"$(load_field "$n" '"%.2f%%" % (100*r["success"])')"
done
gen=$(wrk_rps generated)
echo
python3 - "$gen" "$(wrk_rps hand)" "$(wrk_rps flask)" <<'PY'
import sys
g, h, f = (float(x) for x in sys.argv[1:])
print("generated / hand  = %.2fx throughput (target >= 0.9x)" % (g / h))
print("generated / flask = %.1fx throughput (target >= 8x)" % (g / f))
PY
p99=$(load_field generated '"%.3f" % (r["latency"]["p99"]/1e6)')
echo "generated p99 at $RATE requests/s = ${p99}ms (target < 5ms)"
# The same comparison with a Go client in alternating short rounds (median of per-round
# ratios), which holds up better than one wrk run each on a busy machine.
echo
echo "== generated vs hand: go test -bench ServeRatio (alternating rounds)"
(cd "$HERE/../.." && BENCH_API_GENERATED="http://127.0.0.1:$(port generated)$QUERY" BENCH_API_HAND="http://127.0.0.1:$(port hand)$QUERY" \
	go test -run '^$' -bench ServeRatio -benchtime 1x ./bench/api/ | tee "$OUT/ratio.txt" | grep -E '^Benchmark')
echo "raw reports: $OUT/*.wrk, $OUT/*.load.json, $OUT/ratio.txt"
