#!/bin/sh
# Runs every fuzzer of the module (every func FuzzXxx in a _test.go file) for FUZZTIME each.
# Used by `make fuzz`; new fuzzers are picked up without editing the Makefile.
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . | grep -v -e '/testdata/' -e '^./out/' | sort | while read -r file; do
	dir=$(dirname "$file")
	for name in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		echo "== $dir $name"
		$GO test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$dir"
	done
done
