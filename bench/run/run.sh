#!/usr/bin/env bash
# Times `decant run` against `jupyter nbconvert --to notebook --execute`, both driving the same
# GoNB kernelspec on the same notebooks, in one run, and prints them side by side:
#
#   hello, functions   GoNB's examples/tests notebooks (from the module cache)
#   churn              the demo, testdata/demo/churn.ipynb (with churn.db)
#   trivial20          20 cells that each print a different line
#
# Then it runs the Go benchmark for the client's cost per execute on a %env cell (no Go build),
# against the 1.2 ms median jupyter_client takes for the same cell.
#
# Environment: DECANT (the decant binary, default ./bin/decant), KERNEL (kernelspec, default gonb;
# `decant kernel-setup` installs it), RUNS (timed runs per command, default 3), GO (default go).
# Uses hyperfine when installed (Debian: hyperfine), else `date +%s.%N` around each run.
# Needs Debian's jupyter-nbconvert and python3-nbformat; every output notebook is validated.
set -euo pipefail

GO=${GO:-go}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DECANT=${DECANT:-$ROOT/bin/decant}
KERNEL=${KERNEL:-gonb}
RUNS=${RUNS:-3}

command -v jupyter >/dev/null || { echo "run.sh: jupyter nbconvert is missing (apt-get install jupyter-nbconvert python3-nbclient)" >&2; exit 1; }
[ -x "$DECANT" ] || { echo "run.sh: no decant binary at $DECANT (make build)" >&2; exit 1; }
/usr/bin/python3 -c 'import nbformat' 2>/dev/null || { echo "run.sh: python3-nbformat is missing" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/decant-bench-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

examples=$("$GO" env GOMODCACHE)/github.com/janpfeifer/gonb@v0.11.1/examples/tests
[ -d "$examples" ] || (cd "$ROOT" && "$GO" mod download github.com/janpfeifer/gonb)

# Each notebook gets its own directory: both runners start the kernel there.
mkdir -p "$work"/{hello,functions,churn,trivial20}
cp "$examples/hello.ipynb" "$work/hello/nb.ipynb"
cp "$examples/functions.ipynb" "$work/functions/nb.ipynb"
cp "$ROOT/testdata/demo/churn.ipynb" "$work/churn/nb.ipynb"
cp "$ROOT/testdata/demo/churn.db" "$work/churn/"
/usr/bin/python3 - "$work/trivial20/nb.ipynb" <<'EOF'
import nbformat, sys
nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "gonb", "display_name": "Go (gonb)", "language": "go"}
nb.cells = [nbformat.v4.new_code_cell('%%%%\nfmt.Println("cell %d")' % i) for i in range(20)]
nbformat.write(nb, sys.argv[1])
EOF
chmod -R u+w "$work"

decant_cmd() { echo "$DECANT run --kernel $KERNEL --progress never -q -o $1/out.decant.ipynb $1/nb.ipynb"; }
nbconvert_cmd() {
	echo "cd $1 && jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=$KERNEL --ExecutePreprocessor.timeout=600 --output out.nbconvert.ipynb nb.ipynb --log-level=ERROR"
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# time_cmds NAME prints "decant_median nbconvert_median" in seconds.
time_cmds() {
	local d=$work/$1 dc nc
	dc=$(decant_cmd "$d")
	nc=$(nbconvert_cmd "$d")
	if command -v hyperfine >/dev/null; then
		hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$d/times.json" -n decant "$dc" -n nbconvert "$nc" >&2
		/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[0]["median"], r[1]["median"])' "$d/times.json"
	else
		# One warm-up each, then alternate so that drift hits both alike.
		bash -c "$dc" >/dev/null 2>&1; bash -c "$nc" >/dev/null 2>&1
		local i t0 t1
		: >"$d/decant.t"; : >"$d/nbconvert.t"
		for ((i = 0; i < RUNS; i++)); do
			t0=$(date +%s.%N); bash -c "$dc" >/dev/null; t1=$(date +%s.%N)
			echo "$t1 - $t0" | bc >>"$d/decant.t"
			t0=$(date +%s.%N); bash -c "$nc" >/dev/null 2>&1; t1=$(date +%s.%N)
			echo "$t1 - $t0" | bc >>"$d/nbconvert.t"
		done
		echo "$(median <"$d/decant.t") $(median <"$d/nbconvert.t")"
	fi
}

cells() { /usr/bin/python3 -c 'import json,sys; print(sum(c["cell_type"]=="code" for c in json.load(open(sys.argv[1]))["cells"]))' "$1"; }

results=()
for nb in hello functions churn trivial20; do
	echo "timing $nb ($RUNS runs each)..." >&2
	read -r dt nt < <(time_cmds "$nb")
	for out in "$work/$nb/out.decant.ipynb" "$work/$nb/out.nbconvert.ipynb"; do
		/usr/bin/python3 -c 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4))' "$out" ||
			{ echo "run.sh: $out is not valid nbformat" >&2; exit 1; }
	done
	results+=("$nb $(cells "$work/$nb/nb.ipynb") $dt $nt")
done

echo
echo "Wall time per notebook, median of $RUNS runs (kernel start and stop included), kernelspec $KERNEL"
printf '%-10s %5s %12s %12s %8s %8s\n' notebook cells "decant (s)" "nbconvert(s)" ratio target
total_d=0 total_n=0
for r in "${results[@]}"; do
	read -r nb c dt nt <<<"$r"
	ratio=$(echo "scale=3; $dt / $nt" | bc)
	ok=$(echo "$ratio <= 0.6" | bc)
	printf '%-10s %5s %12.2f %12.2f %8.2f %8s\n' "$nb" "$c" "$dt" "$nt" "$ratio" "$([ "$ok" = 1 ] && echo '<=0.6 ok' || echo '>0.6')"
	total_d=$(echo "$total_d + $dt" | bc); total_n=$(echo "$total_n + $nt" | bc)
done
printf '%-10s %5s %12.2f %12.2f %8.2f\n' total "" "$total_d" "$total_n" "$(echo "scale=3; $total_d / $total_n" | bc)"

echo
echo "Client cost per execute on a %env cell (GoNB answers without building); jupyter_client: 1.2 ms median"
(cd "$ROOT" && "$GO" test -run '^$' -bench 'GoNBEnvCell|GoNBRunEnvCells' -benchtime 300x ./kernel/nbrun) |
	grep -E '^Benchmark' || { echo "run.sh: the Go benchmark failed" >&2; exit 1; }
