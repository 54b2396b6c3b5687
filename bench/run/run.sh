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

decant_cmd() { echo "$DECANT run --kernel $KERNEL --progress never -q $2 -o $1/out.decant.ipynb $1/nb.ipynb"; }
nbconvert_cmd() {
	echo "cd $1 && jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=$KERNEL --ExecutePreprocessor.timeout=600 --output out.nbconvert.ipynb nb.ipynb --log-level=ERROR"
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# time_cmds NAME prints the medians, in seconds, of decant run, decant run --debug-info (GoNB's
# default build flags, as nbconvert gets them) and nbconvert.
time_cmds() {
	local d=$work/$1 cmds=() names=(decant decant-debug-info nbconvert)
	cmds[0]=$(decant_cmd "$d" "")
	cmds[1]=$(decant_cmd "$d" --debug-info)
	cmds[2]=$(nbconvert_cmd "$d")
	if command -v hyperfine >/dev/null; then
		hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$d/times.json" \
			-n "${names[0]}" "${cmds[0]}" -n "${names[1]}" "${cmds[1]}" -n "${names[2]}" "${cmds[2]}" >&2
		/usr/bin/python3 -c 'import json,sys; print(*(r["median"] for r in json.load(open(sys.argv[1]))["results"]))' "$d/times.json"
	else
		# One warm-up each, then round-robin so that drift hits all alike.
		local i j t0 t1
		for j in 0 1 2; do bash -c "${cmds[$j]}" >/dev/null 2>&1; : >"$d/$j.t"; done
		for ((i = 0; i < RUNS; i++)); do
			for j in 0 1 2; do
				t0=$(date +%s.%N); bash -c "${cmds[$j]}" >/dev/null 2>&1; t1=$(date +%s.%N)
				echo "$t1 - $t0" | bc >>"$d/$j.t"
			done
		done
		echo "$(median <"$d/0.t") $(median <"$d/1.t") $(median <"$d/2.t")"
	fi
}

cells() { /usr/bin/python3 -c 'import json,sys; print(sum(c["cell_type"]=="code" for c in json.load(open(sys.argv[1]))["cells"]))' "$1"; }

results=()
for nb in hello functions churn trivial20; do
	echo "timing $nb ($RUNS runs each)..." >&2
	read -r dt gt nt < <(time_cmds "$nb")
	for out in "$work/$nb/out.decant.ipynb" "$work/$nb/out.nbconvert.ipynb"; do
		/usr/bin/python3 -c 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], 4))' "$out" ||
			{ echo "run.sh: $out is not valid nbformat" >&2; exit 1; }
	done
	results+=("$nb $(cells "$work/$nb/nb.ipynb") $dt $gt $nt")
done

echo
echo "Wall time per notebook, median of $RUNS runs (kernel start and stop included), kernelspec $KERNEL."
echo "decant strips debug info from the cells' builds by default; --debug-info builds as GoNB does."
printf '%-10s %5s %11s %13s %13s %7s %7s %9s\n' notebook cells "decant (s)" "--debug-info" "nbconvert (s)" ratio "ratio*" target
total_d=0 total_g=0 total_n=0
for r in "${results[@]}"; do
	read -r nb c dt gt nt <<<"$r"
	ratio=$(echo "scale=3; $dt / $nt" | bc)
	ratio_g=$(echo "scale=3; $gt / $nt" | bc)
	ok=$(echo "$ratio <= 0.6" | bc)
	printf '%-10s %5s %11.2f %13.2f %13.2f %7.2f %7.2f %9s\n' "$nb" "$c" "$dt" "$gt" "$nt" "$ratio" "$ratio_g" \
		"$([ "$ok" = 1 ] && echo '<=0.6 ok' || echo '>0.6')"
	total_d=$(echo "$total_d + $dt" | bc); total_g=$(echo "$total_g + $gt" | bc); total_n=$(echo "$total_n + $nt" | bc)
done
printf '%-10s %5s %11.2f %13.2f %13.2f %7.2f %7.2f\n' total "" "$total_d" "$total_g" "$total_n" \
	"$(echo "scale=3; $total_d / $total_n" | bc)" "$(echo "scale=3; $total_g / $total_n" | bc)"
echo "ratio = decant / nbconvert; ratio* = decant --debug-info / nbconvert"

echo
echo "Client cost per execute on a %env cell (GoNB answers without building); jupyter_client: 1.2 ms median"
(cd "$ROOT" && "$GO" test -run '^$' -bench 'GoNBEnvCell|GoNBRunEnvCells' -benchtime 300x ./kernel/nbrun) |
	grep -E '^Benchmark' || { echo "run.sh: the Go benchmark failed" >&2; exit 1; }
