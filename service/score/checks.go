package score

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/token"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/extract/manifest"
)

// check is one rubric test with the function that looks for its evidence.
type check struct {
	id, section, title string
	run                func(r *repo) Item // nil: not checkable from a repository
	why                string             // for unchecked items, what it would take
}

// rubric lists the 28 tests of the ML Test Score in the paper's order, in its four sections.
func rubric() []check {
	const prod = "needs production data or telemetry"
	const art = "needs an experiment whose artifact the repository does not define"
	return []check{
		{"D1", Data, "Feature expectations are written down in a schema", checkSchema, ""},
		{"D2", Data, "Every feature earns its place", nil, art},
		{"D3", Data, "No feature costs more than it brings", nil, art},
		{"D4", Data, "Features respect meta-level requirements", nil, "needs a list of forbidden inputs"},
		{"D5", Data, "The data pipeline has privacy controls", nil, "needs a privacy policy to check against"},
		{"D6", Data, "New features can be added quickly", nil, "needs the history of feature releases"},
		{"D7", Data, "All code that builds features is tested", checkFeatureTests, ""},
		{"M1", Model, "Model specs are reviewed and version-controlled", checkVersioned, ""},
		{"M2", Model, "Offline proxy metrics track online impact", nil, prod},
		{"M3", Model, "All hyperparameters have been tuned", nil, art},
		{"M4", Model, "The impact of model staleness is known", nil, art},
		{"M5", Model, "A simpler model is not better", nil, art},
		{"M6", Model, "Model quality holds on important data slices", nil, art},
		{"M7", Model, "The model is tested for inclusion", nil, art},
		{"I1", Infra, "Training is reproducible", checkReproducible, ""},
		{"I2", Infra, "Model-spec code is unit tested", checkModelTests, ""},
		{"I3", Infra, "The whole pipeline has an integration test", checkIntegration, ""},
		{"I4", Infra, "Model quality is validated before serving", nil, "needs a deployment gate"},
		{"I5", Infra, "One example can be traced through training and serving", nil, "needs a debugging tool"},
		{"I6", Infra, "Models are canaried before serving", nil, "needs a deployment pipeline"},
		{"I7", Infra, "Serving models can be rolled back", checkRollback, ""},
		{"Mon1", Monitor, "Dependency changes are pinned and announced", checkPinned, ""},
		{"Mon2", Monitor, "Data invariants hold in training and serving inputs", nil, prod},
		{"Mon3", Monitor, "Training and serving compute the same features", checkSkew, ""},
		{"Mon4", Monitor, "Models are not too stale", checkStaleness, ""},
		{"Mon5", Monitor, "The model is numerically stable (NaN, Inf)", checkNaN, ""},
		{"Mon6", Monitor, "No regression in serving latency or throughput", checkBaseline, ""},
		{"Mon7", Monitor, "No regression in prediction quality on served data", nil, prod},
	}
}

// testReplaying returns a test that reaches every function (two or more) the pipeline entry
// point calls, as a test that replays the steps one by one (to say which one failed) does,
// or "".
func (r *repo) testReplaying(pipeline string) string {
	var steps []string
	for k := range r.graph.nodes[pipeline].out {
		if n, ok := r.graph.nodes[k]; ok && !n.test && n.kind == r.graph.nodes[pipeline].kind {
			steps = append(steps, k)
		}
	}
	if len(steps) < 2 {
		// One step: a test of it is a unit test, not a replay of the pipeline.
		return ""
	}
	slices.Sort(steps)
	for _, t := range r.graph.tests() {
		reach := r.graph.reach(t, false)
		all := true
		for _, s := range steps {
			all = all && reach[s]
		}
		if all {
			return t
		}
	}
	return ""
}

// testsReaching returns the tests that reach key, and those of them that name it in their own
// body and assert something.
func (r *repo) testsReaching(key string) (reach, direct []string) {
	for _, t := range r.graph.tests() {
		if r.graph.reach(t, false)[key] {
			reach = append(reach, t)
			if n := r.graph.nodes[t]; n.out[key] && n.asserts {
				direct = append(direct, t)
			}
		}
	}
	return reach, direct
}

// ev is evidence at a node.
func (r *repo) ev(key, what string) Evidence {
	n := r.graph.nodes[key]
	return Evidence{Where: r.pos(n.pos), What: what}
}

// short is a key without its directory: Model.predict, TestRun.
func short(key string) string {
	i := strings.Index(key, ".")
	return key[i+1:]
}

// valueFuncs drops the functions that neither take nor return values: the notebook's replayed
// %% cells, which are pipeline steps rather than feature or model code.
func (r *repo) valueFuncs(keys []string) []string {
	var out []string
	for _, k := range keys {
		fd := r.funcDecl(k)
		if fd != nil && (fd.Type.Params.NumFields() > 0 || fd.Type.Results.NumFields() > 0) {
			out = append(out, k)
		}
	}
	return out
}

func (r *repo) funcDecl(key string) *ast.FuncDecl {
	n := r.graph.nodes[key]
	if n == nil || n.kind != funcNode {
		return nil
	}
	for _, d := range n.file.ast.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Pos() == n.pos {
			return fd
		}
	}
	return nil
}

// gradeTested grades a set of functions: 1 when each has a test that calls it and asserts,
// ½ when each at least runs under some test, else 0.
func (r *repo) gradeTested(it *Item, funcs []string, kind string) {
	untested, indirect := []string{}, []string{}
	for _, k := range funcs {
		reach, direct := r.testsReaching(k)
		switch {
		case len(direct) > 0:
			it.Evidence = append(it.Evidence, r.ev(direct[0], fmt.Sprintf("%s calls %s and checks the outcome", short(direct[0]), short(k))))
		case len(reach) > 0:
			indirect = append(indirect, short(k))
			it.Evidence = append(it.Evidence, r.ev(reach[0], fmt.Sprintf("%s runs %s (indirectly)", short(reach[0]), short(k))))
		default:
			untested = append(untested, short(k))
		}
	}
	switch {
	case len(untested) > 0:
		it.Missing = append(it.Missing, fmt.Sprintf("no test runs the %s code %s", kind, strings.Join(untested, ", ")))
	case len(indirect) > 0:
		it.Points = 0.5
		it.Missing = append(it.Missing, fmt.Sprintf("no unit test calls %s and checks its result; they only run inside larger tests", strings.Join(indirect, ", ")))
	default:
		it.Points = 1
	}
}

func checkFeatureTests(r *repo) Item {
	var it Item
	if !r.hasMan {
		it.Missing = []string{"no .decant/manifest.json says which code builds features"}
		return it
	}
	funcs := r.valueFuncs(r.declsIn("processing"))
	if len(funcs) == 0 {
		it.Missing = []string{"the manifest lists no feature functions (the notebook's processing section)"}
		return it
	}
	r.gradeTested(&it, funcs, "feature")
	return it
}

func checkModelTests(r *repo) Item {
	var it Item
	if !r.hasMan {
		it.Missing = []string{"no .decant/manifest.json says which code is the model"}
		return it
	}
	funcs := r.valueFuncs(r.declsIn("calculation"))
	if len(funcs) == 0 {
		it.Missing = []string{"the manifest lists no model functions (the notebook's calculation section)"}
		return it
	}
	r.gradeTested(&it, funcs, "model")
	return it
}

func checkIntegration(r *repo) Item {
	var it Item
	lib := r.libDir()
	pipeline := lib + ".Run"
	if n, ok := r.graph.nodes[pipeline]; !ok || n.test {
		it.Missing = append(it.Missing, "no pipeline entry point (func Run) in package "+lib)
	} else if reach, _ := r.testsReaching(pipeline); len(reach) > 0 {
		it.Points += 0.5
		it.Evidence = append(it.Evidence, r.ev(reach[0], short(reach[0])+" runs the whole pipeline ("+short(pipeline)+")"))
	} else if t := r.testReplaying(pipeline); t != "" {
		it.Points += 0.5
		it.Evidence = append(it.Evidence, r.ev(t, short(t)+" runs every step of the pipeline ("+short(pipeline)+") in turn"))
	} else {
		it.Missing = append(it.Missing, "no test runs the pipeline "+short(pipeline))
	}
	for _, n := range r.man.RunUnverified {
		// The test exists and runs with go test, but it did not pass where the service was
		// extracted: the score says so rather than let the point stand for a verified run.
		needs := "needs the " + n.Need
		if n.Need == "library" {
			needs = "ran a library that behaves differently here than where the notebook ran"
		}
		it.Missing = append(it.Missing, fmt.Sprintf("the pipeline's run was not verified when the service was extracted (%s): step %s, at cell %d, line %d, %s: %s; run make test where that is available",
			manifest.Path, n.Step, n.Cell, n.Line, needs, n.Cause))
	}
	routes := r.routeFuncs()
	var served []string
	for _, t := range r.graph.tests() {
		if r.graph.nodes[t].dir == lib {
			continue
		}
		reach := r.graph.reach(t, false)
		for _, rt := range routes {
			if reach[rt] {
				served = append(served, t)
				it.Evidence = append(it.Evidence, r.ev(t, short(t)+" serves "+short(rt)+" through the API handler"))
				break
			}
		}
		if len(served) > 0 {
			break
		}
	}
	switch {
	case len(routes) == 0:
		it.Missing = append(it.Missing, "no API route to test end to end")
	case len(served) == 0:
		it.Missing = append(it.Missing, "no API test calls the library through the handler")
	default:
		it.Points += 0.5
	}
	return it
}

// trainingCode returns the library functions that build the model: those reachable from
// lazily initialized package variables, and functions named train* or fit*.
func (r *repo) trainingCode() (entries []string, code map[string]bool) {
	lib := r.libDir()
	code = map[string]bool{}
	for _, k := range r.graph.keys {
		n := r.graph.nodes[k]
		if n.dir != lib || n.test {
			continue
		}
		lazy := false
		if n.kind == varNode && n.body != nil {
			ast.Inspect(n.body, func(x ast.Node) bool {
				_, ok := x.(*ast.FuncLit)
				lazy = lazy || ok
				return !lazy
			})
		}
		lname := strings.ToLower(n.name)
		if lazy || n.kind == funcNode && (strings.HasPrefix(lname, "train") || strings.HasPrefix(lname, "fit")) {
			entries = append(entries, k)
			for k2 := range r.graph.reach(k, false) {
				code[k2] = true
			}
		}
	}
	return entries, code
}

var reproName = regexp.MustCompile(`(?i)reproduc|determin`)

func checkReproducible(r *repo) Item {
	var it Item
	entries, code := r.trainingCode()
	if len(entries) == 0 {
		it.Missing = []string{"no training code found (a lazily computed model, or a train or fit function)"}
		return it
	}
	var names []string
	for _, e := range entries {
		names = append(names, short(e))
	}
	it.Evidence = append(it.Evidence, r.ev(entries[0], "training starts at "+strings.Join(names, ", ")))
	var unstable []string
	for _, k := range sortedKeys(code) {
		n := r.graph.nodes[k]
		if n.body == nil {
			continue
		}
		rand := importName(n.file.ast, "math/rand", "math/rand/v2")
		tm := importName(n.file.ast, "time")
		ast.Inspect(n.body, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.GoStmt:
				unstable = append(unstable, r.pos(x.Pos())+": a goroutine in "+short(k)+" can reorder floating-point work")
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				id, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				switch {
				case rand != "" && id.Name == rand && !strings.HasPrefix(sel.Sel.Name, "New"):
					unstable = append(unstable, r.pos(x.Pos())+": "+short(k)+" draws from the unseeded global random source ("+rand+"."+sel.Sel.Name+")")
				case tm != "" && id.Name == tm && sel.Sel.Name == "Now":
					unstable = append(unstable, r.pos(x.Pos())+": "+short(k)+" reads the clock")
				}
			}
			return true
		})
	}
	if len(unstable) > 0 {
		it.Missing = append(it.Missing, unstable...)
		return it
	}
	it.Points = 0.5
	it.Evidence = append(it.Evidence, Evidence{Where: r.libDir(), What: fmt.Sprintf("training (%s) uses no global randomness, clock or goroutines", plural(len(code), "function"))})
	if data := r.dataFiles(); len(data) > 0 {
		it.Evidence = append(it.Evidence, Evidence{Where: data[0], What: "training data is committed with the code (" + strings.Join(data, ", ") + ")"})
	}
	for _, t := range r.graph.tests() {
		n := r.graph.nodes[t]
		if !reproName.MatchString(n.name) || !n.asserts {
			continue
		}
		for _, e := range entries {
			if n.out[e] {
				it.Points = 1
				it.Evidence = append(it.Evidence, r.ev(t, short(t)+" trains twice and compares"))
				return it
			}
		}
	}
	it.Missing = append(it.Missing, "no test trains twice and compares the models (a Test...Reproducible calling "+names[0]+")")
	return it
}

// dataFiles returns the committed non-Go files of the library directory.
func (r *repo) dataFiles() []string {
	var out []string
	for _, p := range r.other {
		if path.Dir(p) == r.libDir() {
			out = append(out, p)
		}
	}
	return out
}

func importName(f *ast.File, paths ...string) string {
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		for _, want := range paths {
			if p == want {
				if im.Name != nil {
					return im.Name.Name
				}
				return path.Base(strings.TrimSuffix(p, "/v2"))
			}
		}
	}
	return ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkSkew(r *repo) Item {
	var it Item
	routes := r.routeFuncs()
	if len(routes) == 0 {
		it.Missing = []string{"no served function to compare with training"}
		return it
	}
	entries, training := r.trainingCode()
	stop := map[string]bool{}
	for _, e := range entries {
		stop[e] = true
	}
	features := map[string]bool{}
	for _, k := range r.valueFuncs(r.declsIn("processing")) {
		features[k] = true
	}
	var shared, trainOnly []string
	for _, rt := range routes {
		serving := r.graph.reachBut(rt, true, stop) // the serving path, not the model it loads
		for _, k := range sortedKeys(features) {
			switch {
			case serving[k] && training[k]:
				shared = append(shared, k)
			case training[k]:
				trainOnly = append(trainOnly, k)
			}
		}
		if len(shared) > 0 {
			it.Points = 1
			it.Evidence = append(it.Evidence, r.ev(shared[0], short(rt)+" and training both compute features with "+short(shared[0])))
			return it
		}
	}
	msg := short(routes[0]) + " (" + r.ev(routes[0], "").Where + ") computes its features itself"
	if len(trainOnly) > 0 {
		var ws []string
		for _, k := range slicesCompact(trainOnly) {
			ws = append(ws, short(k)+" ("+r.ev(k, "").Where+")")
		}
		msg += "; training uses " + strings.Join(ws, ", ")
	}
	it.Missing = []string{msg + ": no feature function is shared, so nothing keeps the two in step"}
	return it
}

func checkNaN(r *repo) Item {
	var it Item
	var guards []string
	for _, p := range r.paths {
		f := r.files[p]
		if f.test {
			continue
		}
		m := importName(f.ast, "math")
		if m == "" {
			continue
		}
		ast.Inspect(f.ast, func(x ast.Node) bool {
			if sel, ok := x.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == m && (sel.Sel.Name == "IsNaN" || sel.Sel.Name == "IsInf") {
					if pos := r.pos(sel.Pos()); len(guards) == 0 || guards[len(guards)-1] != pos {
						guards = append(guards, pos)
					}
				}
			}
			return true
		})
	}
	if len(guards) == 0 {
		it.Missing = []string{"no math.IsNaN or math.IsInf check anywhere"}
		return it
	}
	it.Points = 0.5
	it.Evidence = append(it.Evidence, Evidence{Where: guards[0], What: fmt.Sprintf("%s (%s)", plural(len(guards), "NaN/Inf check"), strings.Join(guards, ", "))})
	var tests []string
	for _, t := range r.graph.tests() {
		n := r.graph.nodes[t]
		if !n.asserts && !strings.HasPrefix(n.name, "Fuzz") {
			continue
		}
		found := false
		ast.Inspect(n.body, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.SelectorExpr:
				found = found || x.Sel.Name == "NaN" || x.Sel.Name == "Inf"
			case *ast.BasicLit:
				found = found || x.Kind == token.STRING && (strings.Contains(x.Value, "NaN") || strings.Contains(x.Value, "Inf"))
			}
			return !found
		})
		if found {
			tests = append(tests, t)
		}
	}
	if len(tests) == 0 {
		it.Missing = []string{"no test feeds NaN or Inf to the guards"}
		return it
	}
	it.Points = 1
	for _, t := range tests {
		it.Evidence = append(it.Evidence, r.ev(t, short(t)+" sends NaN or Inf"))
	}
	return it
}

func checkPinned(r *repo) Item {
	var it Item
	if r.mod == nil {
		it.Missing = []string{"no go.mod"}
		return it
	}
	var unpinned []string
	for _, req := range r.mod.Require {
		v := req.Mod.Path + " " + req.Mod.Version
		if !r.sum[v] && !r.sum[v+"/go.mod"] {
			unpinned = append(unpinned, v)
		}
	}
	for _, rep := range r.mod.Replace {
		if rep.New.Version == "" {
			unpinned = append(unpinned, rep.Old.Path+" => "+rep.New.Path+" (a local directory)")
		}
	}
	if len(unpinned) > 0 {
		it.Missing = append(it.Missing, "go.sum does not pin: "+strings.Join(unpinned, ", "))
		return it
	}
	where := "go.mod"
	if r.mod.Go != nil {
		where = "go.mod:" + strconv.Itoa(r.mod.Go.Syntax.Start.Line)
	}
	it.Points = 0.5
	it.Evidence = append(it.Evidence, Evidence{Where: where, What: fmt.Sprintf("%s at exact versions, each hashed in go.sum", plural(len(r.mod.Require), "requirement"))})
	for _, p := range []string{".github/dependabot.yml", ".github/dependabot.yaml", "renovate.json", ".github/renovate.json", "renovate.json5"} {
		if contains(r.other, p) {
			it.Points = 1
			it.Evidence = append(it.Evidence, Evidence{Where: p, What: "dependency updates are proposed automatically"})
			return it
		}
	}
	it.Missing = append(it.Missing, "nothing announces dependency updates (.github/dependabot.yml or renovate.json)")
	return it
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func checkBaseline(r *repo) Item {
	var it Item
	var baselines []string
	for _, p := range r.other {
		if !strings.HasSuffix(p, ".json") {
			continue
		}
		raw, err := readLimited(r.fsys, p)
		if err != nil {
			continue
		}
		var b struct {
			Version int     `json:"decant_load_baseline"`
			P99     float64 `json:"p99_ms"`
			Rate    int     `json:"rate"`
		}
		if json.Unmarshal(raw, &b) == nil && b.Version == 1 {
			baselines = append(baselines, p)
			it.Evidence = append(it.Evidence, Evidence{Where: p, What: fmt.Sprintf("load baseline: p99 %.3f ms at %d requests/s", b.P99, b.Rate)})
		}
	}
	if len(baselines) == 0 {
		msg := "no committed load baseline (run decant load --repo . --baseline .decant/load-baseline.json and commit the file)"
		for _, t := range r.graph.keys {
			if n := r.graph.nodes[t]; n.test && strings.HasPrefix(n.name, "Benchmark") {
				msg += "; " + short(t) + " measures latency but nothing compares it"
				break
			}
		}
		it.Missing = []string{msg}
		return it
	}
	it.Points = 0.5
	for _, p := range r.other {
		base := path.Base(p)
		if base != "Makefile" && !(strings.HasPrefix(p, ".github/workflows/") && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml"))) {
			continue
		}
		raw, err := readLimited(r.fsys, p)
		if err != nil {
			continue
		}
		for _, b := range baselines {
			rel := strings.TrimPrefix(b, path.Dir(p)+"/")
			if line := lineOf(raw, "--baseline "+rel); line > 0 && strings.Contains(string(raw), "decant load") {
				it.Points = 1
				it.Evidence = append(it.Evidence, Evidence{Where: p + ":" + strconv.Itoa(line), What: "decant load compares each run with " + b})
				return it
			}
		}
	}
	it.Missing = append(it.Missing, "no Makefile or CI workflow runs decant load --baseline against it")
	return it
}

func checkVersioned(r *repo) Item {
	var it Item
	if r.git == nil {
		it.Missing = []string{"not a git repository"}
		return it
	}
	var files []string
	for _, p := range r.paths {
		if f := r.files[p]; f.dir == r.libDir() && !f.test {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		it.Missing = []string{"no model code found"}
		return it
	}
	var untracked, dirty []string
	for _, p := range files {
		switch {
		case !r.git.Tracked[p]:
			untracked = append(untracked, p)
		case r.git.Modified[p]:
			dirty = append(dirty, p)
		}
	}
	if len(untracked) > 0 {
		it.Missing = append(it.Missing, "not committed: "+strings.Join(untracked, ", "))
	}
	if len(dirty) > 0 {
		it.Missing = append(it.Missing, "changed since the last commit: "+strings.Join(dirty, ", "))
	}
	if len(it.Missing) > 0 {
		return it
	}
	it.Points = 0.5
	it.Evidence = append(it.Evidence, Evidence{Where: files[0], What: fmt.Sprintf("%s of package %s committed at %s (%s)", plural(len(files), "file"), r.libDir(), shortHash(r.git.Head), r.git.Branch)})
	if r.hasMan {
		it.Evidence = append(it.Evidence, Evidence{Where: ".decant/manifest.json", What: "records the notebook each declaration came from"})
	}
	for _, p := range []string{"CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"} {
		if contains(r.other, p) {
			it.Points = 1
			it.Evidence = append(it.Evidence, Evidence{Where: p, What: "changes need an owner's review"})
			return it
		}
	}
	it.Missing = append(it.Missing, "review is not visible in the repository (a CODEOWNERS file would require it)")
	return it
}

func shortHash(h string) string {
	if len(h) > 10 {
		return h[:10]
	}
	return h
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
