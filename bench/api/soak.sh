#!/bin/sh
# Hold the generated server of the demo under load and bad input, as `make bench-api-soak`:
#
#   1. $SOAK_DURATION at $RATE requests/s of good requests: every answer must be a 2xx.
#   2. A fuzzed stream of $FUZZ bad and mutated query strings, at $FUZZ_RATE requests/s: every
#      answer must be a 4xx (or 2xx for a mutation that is still valid) with a JSON body; never a
#      5xx, never a dropped connection.
#
# decant load builds the server, starts it on a free 127.0.0.1 port, and stops it; it exits 1
# when any answer breaks its expectation, and this script with it.
set -eu

BIN=${BIN:-$PWD/bin}
OUT=${OUT:-$PWD/out/bench-api-soak}
NOTEBOOK=${NOTEBOOK:-testdata/demo/churn.ipynb}
RATE=${RATE:-5000}
SOAK_DURATION=${SOAK_DURATION:-60s}
FUZZ=${FUZZ:-5000}
FUZZ_RATE=${FUZZ_RATE:-1000}

REPO=$OUT/churn-service
rm -rf "$OUT" && mkdir -p "$OUT"
echo "== extracting $NOTEBOOK into $REPO"
"$BIN/decant" extract --no-verify --quiet --date 2026-01-01T00:00:00Z --repo "$REPO" "$NOTEBOOK" >/dev/null

echo "== soak: $SOAK_DURATION at $RATE requests/s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
status=0
"$BIN/decant" load --repo "$REPO" --good-only --rate "$RATE" --duration "$SOAK_DURATION" \
	--plot "$OUT/soak.html" --baseline "$OUT/baseline.json" || status=1

echo "== fuzz: $FUZZ generated bad and mutated requests at $FUZZ_RATE requests/s"
n=$FUZZ
secs=$(( (FUZZ + FUZZ_RATE - 1) / FUZZ_RATE + 1 ))
"$BIN/decant" load --repo "$REPO" --fuzz "$n" --seed 7 --rate "$FUZZ_RATE" --duration "${secs}s" --requests "$n" || status=1

exit $status
