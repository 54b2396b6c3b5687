#!/usr/bin/env bash
# decant extract against jupyter nbconvert --to script on GoNB's tutorial, side by side in one
# hyperfine run, warm caches: a dry run without verification, without and with the default
# refactorings. Needs Debian's hyperfine and jupyter-nbconvert, and GoNB v0.11.1 in the module
# cache (go mod download fetches it).
set -euo pipefail
DECANT=${DECANT:-decant}
OUT=${OUT:-$(mktemp -d)}
NOTEBOOK=${NOTEBOOK:-$(go mod download -json github.com/janpfeifer/gonb@v0.11.1 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')/examples/tutorial.ipynb}
mkdir -p "$OUT"
cd "$OUT"
hyperfine --warmup 2 --runs "${RUNS:-10}" --export-markdown "$OUT/extract.md" \
  -n nbconvert "jupyter nbconvert --to script --stdout '$NOTEBOOK' > /dev/null 2>&1" \
  -n 'decant --refactor=none' "'$DECANT' extract --auto-label --dry-run --no-verify --refactor=none --quiet --repo '$OUT/svc' '$NOTEBOOK' > /dev/null" \
  -n 'decant (default refactor)' "'$DECANT' extract --auto-label --dry-run --no-verify --quiet --repo '$OUT/svc' '$NOTEBOOK' > /dev/null"
cat "$OUT/extract.md"
