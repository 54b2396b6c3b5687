#!/bin/sh
# Serve the demo's GET /v1/probabilities three ways and measure them side by side in one run:
#
#   generated  the server decant extract emits (cmd/server), from its trained artifact, with
#              /metrics and one access log line per request
#   hand       a minimal hand-written net/http server calling the same library function
#   flask      Flask under gunicorn, 2 sync workers, the same model fitted in Python
#
# Each server gets the same two loads, one server at a time, all on 127.0.0.1:
#   1. wrk, closed loop ($CONNS connections): the most each can serve. $WRK_ROUNDS rounds of
#      $WRK_DURATION each, the servers taking turns in a rotating order, so a burst of other work
#      on the machine lands on all of them; the report gives every round's generated/hand ratio
#      and their median.
#   2. decant load at a constant $RATE requests/s for $RATE_DURATION: latency percentiles.
#
# Needs: go, wrk, curl, gunicorn and python3-flask (Debian: apt-get install wrk curl gunicorn
# python3-flask). Run it from the repository root, usually as `make bench-api`.
set -eu

BIN=${BIN:-$PWD/bin}
OUT=${OUT:-$PWD/out/bench-api}
NOTEBOOK=${NOTEBOOK:-testdata/demo/churn.ipynb}
CONNS=${CONNS:-32}
WRK_ROUNDS=${WRK_ROUNDS:-5}
WRK_DURATION=${WRK_DURATION:-5s}
RATE=${RATE:-5000}
RATE_DURATION=${RATE_DURATION:-10s}
PORT_BASE=${PORT_BASE:-18480}
HERE=$(cd "$(dirname "$0")" && pwd)

for tool in wrk curl gunicorn "$BIN/decant"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench-api: $tool not found (apt-get install wrk curl gunicorn python3-flask; make build)" >&2; exit 1; }
done

# A server already answering on one of the ports would be measured in place of ours.
for p in 1 2 3; do
	if curl -s -o /dev/null "http://127.0.0.1:$((PORT_BASE + p))/"; then
		echo "bench-api: 127.0.0.1:$((PORT_BASE + p)) is in use; set PORT_BASE to another port" >&2
		exit 1
	fi
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
GENERATED_PID=$!
"$OUT/hand" -addr 127.0.0.1:$((PORT_BASE + 2)) 2>"$OUT/hand.log" & PIDS="$PIDS $!"
HAND_PID=$!
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

# cpu_ticks is the CPU time (user + system, in clock ticks) a Go server has used, from
# /proc/PID/stat; "-" for flask, whose workers are other processes, or without /proc.
cpu_ticks() {
	case $1 in generated) pid=$GENERATED_PID ;; hand) pid=$HAND_PID ;; *) echo - && return ;; esac
	awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo -
}

echo "== wrk -t1 -c$CONNS -d$WRK_DURATION, $WRK_ROUNDS rounds, the servers in a rotating order"
round=1
while [ "$round" -le "$WRK_ROUNDS" ]; do
	case $((round % 3)) in 1) order="generated hand flask" ;; 2) order="hand flask generated" ;; 0) order="flask generated hand" ;; esac
	for n in $order; do
		before=$(cpu_ticks "$n")
		wrk -t1 -c"$CONNS" -d"$WRK_DURATION" --latency "http://127.0.0.1:$(port "$n")$QUERY" >"$OUT/$n.wrk.$round"
		echo "$before $(cpu_ticks "$n")" >"$OUT/$n.cpu.$round"
	done
	echo "round $round: load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/loadavg.txt"
	round=$((round + 1))
done

# spec holds the one route with its examples, so decant load sends the same good request.
SPEC=$REPO/openapi.json
for n in $NAMES; do
	url=http://127.0.0.1:$(port "$n")
	echo "== $n: decant load --rate $RATE --duration $RATE_DURATION"
	"$BIN/decant" load --url "$url" --spec "$SPEC" --good-only --rate "$RATE" --duration "$RATE_DURATION" \
		--timeout 2s --json >"$OUT/$n.load.json" 2>/dev/null || true
	sleep 1
done

# Reports: wrk's Requests/sec and latency distribution (medians over the rounds); decant load's
# JSON (durations in ns).
echo
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews latency)"
python3 - "$OUT" "$WRK_ROUNDS" "$CONNS" "$RATE" <<'PY'
import json, os, re, statistics, sys
out, rounds, conns, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = ["generated", "hand", "flask"]
units = {"us": 1e-3, "ms": 1.0, "s": 1e3}

def wrk(name, r):
    text = open("%s/%s.wrk.%d" % (out, name, r)).read()
    rps = float(re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M).group(1))
    pct = {}
    for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
        pct[p] = float(v) * units[u]
    return rps, pct

runs = {n: [wrk(n, r) for r in range(1, rounds + 1)] for n in names}

def cpu_per_request(name, r):
    """The server's CPU time per request in one round, in microseconds (None if unknown)."""
    try:
        before, after = open("%s/%s.cpu.%d" % (out, name, r)).read().split()
        text = open("%s/%s.wrk.%d" % (out, name, r)).read()
        n = int(re.search(r"^\s*(\d+) requests in", text, re.M).group(1))
        return (float(after) - float(before)) / os.sysconf("SC_CLK_TCK") / n * 1e6
    except (OSError, ValueError, AttributeError):
        return None

def load(name):
    try:
        return json.load(open("%s/%s.load.json" % (out, name)))
    except Exception:
        return None

def med(xs):
    return statistics.median(xs) if xs else float("nan")

print("%-10s | %12s %9s %9s | %10s %9s %9s %9s %8s" % ("server", "wrk req/s", "wrk p50", "wrk p99", "sent/s", "p50", "p99", "max", "2xx"))
print("%-10s | %12s %9s %9s | %10s %9s %9s %9s %8s" % ("", "(%s conns)" % conns, "(median)", "(median)", "(at %s/s)" % rate, "", "", "", ""))
for n in names:
    rps = med([r for r, _ in runs[n]])
    p50 = med([p["50"] for _, p in runs[n] if "50" in p])
    p99 = med([p["99"] for _, p in runs[n] if "99" in p])
    l = load(n)
    if l:
        lat = l["latency"]
        cols = ("%.0f" % l["sent_rate"], "%.2fms" % (lat["p50"] / 1e6), "%.2fms" % (lat["p99"] / 1e6), "%.2fms" % (lat["max"] / 1e6), "%.2f%%" % (100 * l["success"]))
    else:
        cols = ("-",) * 5
    print("%-10s | %12.0f %8.2fms %8.2fms | %10s %9s %9s %9s %8s" % ((n, rps, p50, p99) + cols))
print()
gh = [g / h for (g, _), (h, _) in zip(runs["generated"], runs["hand"])]
gf = [g / f for (g, _), (f, _) in zip(runs["generated"], runs["flask"])]
print("generated / hand  = %.2fx throughput, median of rounds %s (target >= 0.9x)" % (med(gh), " ".join("%.3f" % x for x in gh)))
print("generated / flask = %.1fx throughput, median of rounds %s (target >= 8x)" % (med(gf), " ".join("%.1f" % x for x in gf)))
cpu = {n: [cpu_per_request(n, r) for r in range(1, rounds + 1)] for n in ("generated", "hand")}
if all(x is not None for n in cpu for x in cpu[n]):
    ratios = [g / h for g, h in zip(cpu["generated"], cpu["hand"])]
    print("CPU per request under wrk: generated %.1fus, hand %.1fus (medians); generated / hand = %.2fx, median of rounds %s" % (
        med(cpu["generated"]), med(cpu["hand"]), med(ratios), " ".join("%.2f" % x for x in ratios)))
l = load("generated")
print("generated p99 at %s requests/s = %s (target < 5ms)" % (rate, "%.3fms" % (l["latency"]["p99"] / 1e6) if l else "-"))
PY
# The same comparison with a Go client in alternating short rounds (median of per-round
# ratios), which holds up better than one wrk run each on a busy machine.
echo
echo "== generated vs hand: go test -bench ServeRatio (alternating rounds)"
(cd "$HERE/../.." && BENCH_API_GENERATED="http://127.0.0.1:$(port generated)$QUERY" BENCH_API_HAND="http://127.0.0.1:$(port hand)$QUERY" \
	go test -run '^$' -bench ServeRatio -benchtime 1x ./bench/api/ | tee "$OUT/ratio.txt" | grep -E '^Benchmark')
echo "raw reports: $OUT/*.wrk.N, $OUT/loadavg.txt, $OUT/*.load.json, $OUT/ratio.txt"
