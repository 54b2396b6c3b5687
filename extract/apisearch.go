package extract

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/printer"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/decant-go/decant/extract/internal/stdpkgs"
	"github.com/decant-go/decant/notebooks/gonbmem"
)

// A notebook can import packages that every version of a library has and still be written
// against that library's API of another time: a function that returned (p, err) returns p
// alone now. The build names the object that changed; APISearch looks, among the library's
// other versions, for one whose declarations fit what the notebook's code expects, ordered by
// how its author most likely ran it (the time of the module the notebook sits in), pins it, and
// lets verification check it for real. It keeps what it learned across verification rounds:
// each build that still fails adds expectations and rules out the versions it tried.

// APISearch is one extraction's search for library versions whose API fits the notebook.
type APISearch struct {
	s     *versionSearch
	plan  *Plan
	start time.Time
	// needs are the expectations read from the build errors so far, by module.
	needs map[string][]apiNeed
	// failed are the module versions a build rejected, with what it said.
	failed map[string]string
	// tried are the versions looked at, by module, each with why it did not fit.
	tried map[string][][2]string
	// base is the context before the first choice (module → version, from), and
	// baseResolved what the build before it resolved.
	base         map[string][2]string
	baseResolved map[string]string
	// chosen are the choices in force, by module.
	chosen map[string]*apiChoice
	// stale says the context changed since the last build without a new choice.
	stale bool
	// searched is how many expectations of each module its last search had.
	searched map[string]int
	// Rounds counts the choices tried so far.
	Rounds int
}

// apiChoice is a version chosen for a module, with what it moved along, for the report.
type apiChoice struct {
	module, version, cur, why string
	downgrades, together      map[string][2]string
	decision                  Decision
}

// apiNeed is what one build error says the notebook expects of a library declaration.
type apiNeed struct {
	module string
	pkg    string // import path of a package-level name; "" for a method or field
	// recvs are the receiver or struct type names a method or field may belong to; none
	// for a package-level name.
	recvs []string
	name  string
	// results, when >= 0, is the number of results the notebook's code takes.
	results int
	// params: -1 wants fewer parameters than paramsAt, +1 more; 0 says nothing.
	params, paramsAt int
	// differs asks for a signature other than the one that failed (cannot use ... in argument).
	differs string
	prob    Problem
	version string // the version the error was met against
}

// NewAPISearch starts a search for the extraction of plan, bounded by budget (its defaults as
// SearchVersions'): its time across all rounds, and its downloads of module versions the cache
// lacks for each module searched. Asking the proxy for a version's .info (listing, probing,
// release times) downloads no module and is bounded by the probe's limits instead.
func (mc *ModuleContext) NewAPISearch(plan *Plan, env []string, budget SearchBudget) *APISearch {
	if budget.Time <= 0 {
		budget.Time = 90 * time.Second
	}
	if budget.MaxDownloads <= 0 {
		budget.MaxDownloads = 6
	}
	return &APISearch{
		s:     &versionSearch{mc: mc, env: env, budget: budget, listed: map[string][]string{}, mods: map[string]*modfile.File{}},
		plan:  plan,
		start: time.Now(),
		needs: map[string][]apiNeed{}, failed: map[string]string{}, tried: map[string][][2]string{},
		chosen: map[string]*apiChoice{}, searched: map[string]int{},
	}
}

var (
	resultCountRE = regexp.MustCompile(`^assignment mismatch: (\d+) variables? but (.+) returns (\d+) values?$`)
	argCountRE    = regexp.MustCompile(`^(not enough|too many) arguments in call to (.+)$`)
	argTypeRE     = regexp.MustCompile(`^cannot use .* in argument to (.+)$`)
	noMemberRE    = regexp.MustCompile(`^.+\.([A-Za-z_]\w*) undefined \(type \*?(?:"([^"]+)"|(\w+))\.(\w+)(?:\[[^\]]*\])? has no field or method ([A-Za-z_]\w*)`)
	unknownFldRE  = regexp.MustCompile(`^unknown field ([A-Za-z_]\w*) in struct literal of type \*?(?:"([^"]+)"|(\w+))\.(\w+)`)
	typeArgsRE    = regexp.MustCompile(`\[[^\]()]*\]$`) // CopyFlatData[float64]
	lastSelRE     = regexp.MustCompile(`^([A-Za-z_]\w*)\.(?:.*\.)?([A-Za-z_]\w*)$`)
)

// Search reads a failed build's problems (against the versions in gomod, the service's tidied
// go.mod, with imports its import paths) and, when they name objects of library modules that
// another version of the module may declare as the notebook expects, moves the context to the
// first such version. It returns whether the context changed; the caller then resolves and
// builds again, and calls Search again with that build's problems, or Settle when it builds.
func (a *APISearch) Search(ctx context.Context, probs []Problem, gomod []byte, imports []string) bool {
	mc := a.s.mc
	resolved := requiredIn(gomod)
	deadline := a.start.Add(a.s.budget.Time)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	byModule := map[string][]string{}
	for _, p := range mc.written(imports) {
		if m := mc.moduleOf(p); m != "" {
			byModule[m] = append(byModule[m], p)
		}
	}
	for _, pr := range probs {
		if pr.Step != "build" || inModuleCache(mc.modCache, pr.File) {
			continue
		}
		for _, n := range a.read(ctx, pr, resolved, byModule) {
			if !slices.ContainsFunc(a.needs[n.module], func(o apiNeed) bool { return o.prob.Msg == n.prob.Msg }) {
				a.needs[n.module] = append(a.needs[n.module], n)
			}
		}
	}
	if len(a.chosen) > 0 {
		resolved = a.reject(probs, resolved)
	}
	changed := false
	for _, m := range a.modulesByFirstError() {
		if _, ok := mc.Local[m]; ok || strings.HasPrefix(mc.From[m], "--") || a.chosen[m] != nil {
			continue // the user's choice, a directory on this machine, or a choice that builds
		}
		if a.searched[m] == len(a.needs[m]) {
			continue // nothing new is known of it since its search found nothing
		}
		a.searched[m] = len(a.needs[m])
		if a.choose(ctx, m, resolved, byModule) {
			changed = true
		}
	}
	if changed {
		a.Rounds++
		a.stale = false
	}
	return changed
}

// modulesByFirstError lists the modules with expectations, that of the earliest error first.
func (a *APISearch) modulesByFirstError() []string {
	mods := slices.Sorted(maps.Keys(a.needs))
	at := func(m string) [2]int {
		best := [2]int{1 << 30, 1 << 30}
		for _, n := range a.needs[m] {
			if c := n.prob.Cell; c >= 0 && (c < best[0] || c == best[0] && n.prob.CellLine < best[1]) {
				best = [2]int{c, n.prob.CellLine}
			}
		}
		return best
	}
	slices.SortStableFunc(mods, func(x, y string) int {
		ax, ay := at(x), at(y)
		if ax[0] != ay[0] {
			return ax[0] - ay[0]
		}
		return ax[1] - ay[1]
	})
	return mods
}

// read turns one build problem into expectations of library declarations.
func (a *APISearch) read(ctx context.Context, pr Problem, resolved map[string]string, byModule map[string][]string) []apiNeed {
	n := apiNeed{results: -1, prob: pr}
	expr := ""
	switch {
	case resultCountRE.MatchString(pr.Msg):
		m := resultCountRE.FindStringSubmatch(pr.Msg)
		n.results, _ = strconv.Atoi(m[1])
		expr = m[2]
	case argCountRE.MatchString(pr.Msg):
		m := argCountRE.FindStringSubmatch(pr.Msg)
		// The notebook passes fewer arguments than the version built against takes (not
		// enough), or more: it was written for a version with fewer, or more, parameters.
		n.params = -1
		if m[1] == "too many" {
			n.params = 1
		}
		expr = m[2]
	case argTypeRE.MatchString(pr.Msg):
		expr = argTypeRE.FindStringSubmatch(pr.Msg)[1]
		n.differs = "?"
	case noMemberRE.MatchString(pr.Msg):
		m := noMemberRE.FindStringSubmatch(pr.Msg)
		n.name, n.recvs = m[5], []string{m[4]}
		return a.owned(ctx, n, a.typePackage(pr.Cell, m[2], m[3]), resolved, byModule)
	case unknownFldRE.MatchString(pr.Msg):
		m := unknownFldRE.FindStringSubmatch(pr.Msg)
		n.name, n.recvs = m[1], []string{m[4]}
		return a.owned(ctx, n, a.typePackage(pr.Cell, m[2], m[3]), resolved, byModule)
	case undefinedSelRE.MatchString(pr.Msg):
		m := undefinedSelRE.FindStringSubmatch(pr.Msg)
		expr = m[1] + "." + m[2]
	default:
		return nil
	}
	expr = typeArgsRE.ReplaceAllString(strings.TrimSpace(expr), "")
	sel := lastSelRE.FindStringSubmatch(expr)
	if sel == nil {
		return nil
	}
	n.name = sel[2]
	if expr == sel[1]+"."+sel[2] {
		if ip := a.plan.importNamed(pr.Cell, sel[1]); ip != "" {
			// A package-level name: its package says which module.
			n.pkg = ip
			return a.owned(ctx, n, ip, resolved, byModule)
		}
	}
	return a.owned(ctx, n, "", resolved, byModule)
}

// typePackage is the import path of a type named in an error: quoted in full, or by the name
// a cell imports it under.
func (a *APISearch) typePackage(cell int, quoted, name string) string {
	if quoted != "" {
		return quoted
	}
	if name != "" {
		return a.plan.importNamed(cell, name)
	}
	return ""
}

// owned completes n with the module that owns its object: the module of pkg when known, else
// each library module the notebook imports whose resolved version declares a method or field
// named n.name that does not fit (the declaration the build met).
func (a *APISearch) owned(ctx context.Context, n apiNeed, pkg string, resolved map[string]string, byModule map[string][]string) []apiNeed {
	mc := a.s.mc
	if pkg != "" {
		if _, std := stdpkgs.Name(pkg); std {
			return nil
		}
		m := mc.moduleOf(pkg)
		if m == "" {
			return nil
		}
		n.module, n.version = m, resolved[m]
		if n.version == "" {
			n.version, _ = mc.pinFor(m)
		}
		if n.pkg == "" {
			n.pkg = pkg // the type's package: its methods are looked for there first
		}
		if n.differs != "" || n.params != 0 {
			a.atCurrent(ctx, &n)
		}
		return []apiNeed{n}
	}
	var out []apiNeed
	for _, m := range slices.Sorted(maps.Keys(byModule)) {
		v := resolved[m]
		if v == "" {
			v, _ = mc.pinFor(m)
		}
		dir := a.s.dir(ctx, m, v)
		if dir == "" {
			continue
		}
		decls := scanDecls(dir, m, byModule[m], n.name, true)
		if len(decls) == 0 {
			decls = scanDecls(dir, m, nil, n.name, true) // a type of a package not imported
		}
		var recvs []string
		for _, d := range decls {
			if !n.fits(d) {
				recvs = append(recvs, d.recv)
			}
		}
		if len(recvs) == 0 {
			continue
		}
		c := n
		c.module, c.version, c.recvs = m, v, dedupe(recvs)
		a.atCurrent(ctx, &c)
		out = append(out, c)
	}
	return out
}

// atCurrent records, for the expectations that compare with the declaration the build met,
// that declaration's parameter count and signature.
func (a *APISearch) atCurrent(ctx context.Context, n *apiNeed) {
	dir := a.s.dir(ctx, n.module, n.version)
	if dir == "" {
		return
	}
	for _, d := range a.candidatesIn(dir, *n) {
		n.paramsAt = d.params
		if n.differs != "" {
			n.differs = d.sig
		}
		return
	}
}

// decl is one declaration read from a module's source.
type decl struct {
	recv    string // receiver type name for methods, struct type name for fields
	field   bool
	params  int
	results int // -1 for what is not a function
	sig     string
}

// fits reports whether d is what n expects.
func (n apiNeed) fits(d decl) bool {
	if n.results >= 0 && d.results != n.results {
		return false
	}
	if n.params < 0 && !(d.params >= 0 && d.params < n.paramsAt) || n.params > 0 && !(d.params > n.paramsAt) {
		return false
	}
	if n.differs != "" && n.differs != "?" && d.sig == n.differs {
		return false
	}
	return true
}

// candidatesIn lists the declarations in dir (a module root) that n could be about.
func (a *APISearch) candidatesIn(dir string, n apiNeed) []decl {
	var pkgs []string
	if n.pkg != "" {
		pkgs = []string{n.pkg}
	}
	var out []decl
	for _, d := range scanDecls(dir, n.module, pkgs, n.name, n.pkg == "" || len(n.recvs) > 0) {
		if len(n.recvs) > 0 && !slices.Contains(n.recvs, d.recv) {
			continue
		}
		out = append(out, d)
	}
	if len(out) == 0 && n.pkg != "" && len(n.recvs) > 0 {
		// The type moved to another package of the module between versions.
		for _, d := range scanDecls(dir, n.module, nil, n.name, true) {
			if slices.Contains(n.recvs, d.recv) {
				out = append(out, d)
			}
		}
	}
	return out
}

// scanDecls reads the Go files of module m's packages pkgs (import paths; all of the module's
// when empty) in dir and returns the declarations named name: package-level functions (and
// other package-level names, as non-functions) unless members, else methods and struct fields.
func scanDecls(dir, m string, pkgs []string, name string, members bool) []decl {
	var dirs []string
	if len(pkgs) > 0 {
		for _, p := range pkgs {
			dirs = append(dirs, filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, m), "/"))))
		}
	} else {
		_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if e.IsDir() {
				if b := e.Name(); p != dir && (b == "testdata" || b == "vendor" || strings.HasPrefix(b, ".") || strings.HasPrefix(b, "_")) {
					return filepath.SkipDir
				}
				if p != dir {
					if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
						return filepath.SkipDir // another module
					}
				}
				dirs = append(dirs, p)
			}
			return nil
		})
	}
	var out []decl
	fset := token.NewFileSet()
	mentions := func(_ string, src []byte) bool { return bytes.Contains(src, []byte(name)) }
	for _, d := range dirs {
		for _, f := range parseGoFiles(fset, d, mentions) {
			out = append(out, declsIn(fset, f, name, members)...)
		}
	}
	return out
}

func declsIn(fset *token.FileSet, f *ast.File, name string, members bool) []decl {
	var out []decl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.Name != name || (d.Recv != nil) != members {
				continue
			}
			x := decl{params: fieldCount(d.Type.Params), results: fieldCount(d.Type.Results), sig: nodeString(fset, d.Type)}
			if d.Recv != nil {
				x.recv = gonbmem.RecvName(d.Recv)
			}
			out = append(out, x)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !members && s.Name.Name == name {
						out = append(out, decl{results: -1, params: -1})
					}
					st, ok := s.Type.(*ast.StructType)
					if !members || !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						for _, id := range fl.Names {
							if id.Name == name {
								out = append(out, decl{recv: s.Name.Name, field: true, results: -1, params: -1, sig: nodeString(fset, fl.Type)})
							}
						}
					}
				case *ast.ValueSpec:
					for _, id := range s.Names {
						if !members && id.Name == name {
							out = append(out, decl{results: -1, params: -1})
						}
					}
				}
			}
		}
	}
	return out
}

func fieldCount(fl *ast.FieldList) int {
	if fl == nil {
		return 0
	}
	n := 0
	for _, f := range fl.List {
		n += max(1, len(f.Names))
	}
	return n
}

func nodeString(fset *token.FileSet, n ast.Node) string {
	var sb strings.Builder
	_ = printer.Fprint(&sb, fset, n)
	return sb.String()
}

// fitsAll reports whether module m at v declares what every expectation asks, and if not,
// the first that it does not.
func (a *APISearch) fitsAll(ctx context.Context, m, v string, needs []apiNeed, pkgs []string) (bool, string) {
	dir := a.s.dir(ctx, m, v)
	if dir == "" {
		return false, "could not be fetched within the search's budget"
	}
	if !a.s.provides(ctx, m, v, pkgs) {
		return false, "lacks a package the notebook imports"
	}
	for _, n := range needs {
		ds := a.candidatesIn(dir, n)
		if !slices.ContainsFunc(ds, n.fits) {
			return false, "does not fit " + shortMsg(n.prob.Msg)
		}
	}
	return true, ""
}

// choose looks for a version of m that fits every expectation of it and applies the first.
func (a *APISearch) choose(ctx context.Context, m string, resolved map[string]string, byModule map[string][]string) bool {
	s, mc := a.s, a.s.mc
	needs := a.needs[m]
	cur := resolved[m]
	if cur == "" {
		cur, _ = mc.pinFor(m)
	}
	at, atKnown := mc.enclosingTime(ctx, s)
	vers, probed := s.orderedVersions(ctx, m, cur, at, atKnown)
	// Each module searched may fetch up to the budget's downloads; the time is shared.
	s.downloads = 0
	failedMinor := map[string]bool{}
	for _, v := range vers {
		if ctx.Err() != nil {
			break
		}
		pseudo := module.IsPseudoVersion(v)
		if v == cur || a.failed[m+"@"+v] != "" || semver.Prerelease(v) != "" && !pseudo && semver.Prerelease(cur) == "" {
			continue
		}
		if !pseudo && failedMinor[semver.MajorMinor(v)] {
			// A minor release's patches keep its API: the newest patch did not fit.
			continue
		}
		ok, why := a.fitsAll(ctx, m, v, needs, byModule[m])
		if !ok {
			if !pseudo && !strings.HasPrefix(why, "could not be fetched") {
				failedMinor[semver.MajorMinor(v)] = true
			}
			a.tried[m] = appendNew(a.tried[m], [2]string{v, why})
			continue
		}
		downgrades, conflict := s.accepting(ctx, m, v, byModule)
		if conflict != "" {
			a.tried[m] = appendNew(a.tried[m], [2]string{v, "fits, but " + conflict})
			continue
		}
		together := s.together(ctx, m, v, byModule, resolved)
		if a.base == nil {
			a.base, a.baseResolved = a.snapshot(), resolved
		}
		c := &apiChoice{module: m, version: v, cur: cur, downgrades: downgrades, together: together,
			why: fmt.Sprintf("a version whose API fits the notebook's code (%s@%s does not)", m, cur)}
		c.decision = a.decision(ctx, c, needs, probed[v])
		a.chosen[m] = c
		a.apply(c)
		return true
	}
	return false
}

// apply records a choice in the module context.
func (a *APISearch) apply(c *apiChoice) {
	s, mc := a.s, a.s.mc
	s.apply(c.module, c.version, c.cur, c.downgrades, c.why, true)
	for _, t := range slices.Sorted(maps.Keys(c.together)) {
		mc.require(t, c.together[t][1], fmt.Sprintf("%s@%s requires it (%s was newer than that)", c.module, c.version, c.together[t][0]))
	}
	mc.forgetRoots()
}

// decision reports the choice at the cell and line of the first error it answers.
func (a *APISearch) decision(ctx context.Context, c *apiChoice, needs []apiNeed, probed bool) Decision {
	m, v, cur, downgrades, together := c.module, c.version, c.cur, c.downgrades, c.together
	first := needs[0].prob
	for _, n := range needs[1:] {
		if n.prob.Cell >= 0 && (first.Cell < 0 || n.prob.Cell < first.Cell || n.prob.Cell == first.Cell && n.prob.CellLine < first.CellLine) {
			first = n.prob
		}
	}
	d := Decision{Cell: first.Cell, Line: first.CellLine, Subject: "module " + m, Action: "converted"}
	when := ""
	if t, ok := a.s.versionTime(ctx, m, v); ok {
		when = " (" + t.UTC().Format("2006-01-02") + ")"
	}
	var failed []string
	for _, n := range needs {
		failed = append(failed, fmt.Sprintf("%q against %s@%s", shortMsg(n.prob.Msg), m, n.version))
	}
	d.Reason = fmt.Sprintf("the notebook's code was written for another API of %s: the build failed with %s. %s %s%s fits it: the service's uses of it compile",
		m, strings.Join(failed, "; "), m, v, when)
	if t, ok := a.s.mc.enclosingTime(ctx, a.s); ok {
		d.Reason += fmt.Sprintf(" (the nearest fit to %s@%s, %s, where the notebook sits)", a.s.mc.Enclosing, a.s.mc.EnclosingVersion, t.UTC().Format("2006-01-02"))
	}
	if probed {
		d.Reason += fmt.Sprintf("; the proxy's version list omits %s, found by asking for it", v)
	}
	if len(a.tried[m]) > 0 {
		d.Reason += "; tried first: " + triedText(a.tried[m])
	}
	var also []string
	for _, dm := range slices.Sorted(maps.Keys(downgrades)) {
		also = append(also, fmt.Sprintf("%s %s instead of %s, the newest release that accepts %s %s", dm, downgrades[dm][1], downgrades[dm][0], m, v))
	}
	for _, t := range slices.Sorted(maps.Keys(together)) {
		also = append(also, fmt.Sprintf("%s %s instead of %s, as %s@%s requires", t, together[t][1], together[t][0], m, v))
	}
	if len(also) > 0 {
		d.Reason += "; with it: " + strings.Join(also, ", ")
	}
	d.Reason += fmt.Sprintf("; pinned in go.mod: pass --pin %s@%s to reproduce this choice, or --pin %s@%s to keep the version the build failed against", m, v, m, cur)
	return d
}

// Settle returns the decisions of the choices in force; call it once the build passes.
func (a *APISearch) Settle() []Decision {
	var out []Decision
	for _, m := range slices.Sorted(maps.Keys(a.chosen)) {
		out = append(out, a.chosen[m].decision)
	}
	slices.SortStableFunc(out, func(x, y Decision) int { return x.Cell - y.Cell })
	return out
}

// Refuse rules out the choices that the last build (last, against the versions in gomod)
// rejected, restores the context the search started from, and returns what to add to the
// problems of the first build (probs, by index) so the refusal says what was tried.
func (a *APISearch) Refuse(probs, last []Problem, gomod []byte) map[int]string {
	if len(a.chosen) > 0 {
		a.reject(last, requiredIn(gomod))
	}
	fits := map[string]string{}
	for m, c := range a.chosen {
		fits[m] = c.version
	}
	if a.base != nil {
		a.restore()
	}
	a.chosen = map[string]*apiChoice{}
	return a.annotate(probs, fits)
}

// Annotate returns what to add to the problems of a build that fails with the choices in
// force (see Holds), by index: what was tried for the modules no version of which fits.
func (a *APISearch) Annotate(probs []Problem) map[int]string { return a.annotate(probs, nil) }

// annotate returns, by index in probs, what to add to the first problem of each module no
// version of which fits.
func (a *APISearch) annotate(probs []Problem, fits map[string]string) map[int]string {
	mc := a.s.mc
	out := map[int]string{}
	for _, m := range slices.Sorted(maps.Keys(a.needs)) {
		if a.chosen[m] != nil {
			continue
		}
		tried := slices.Clone(a.tried[m])
		for _, k := range slices.Sorted(maps.Keys(a.failed)) {
			if strings.HasPrefix(k, m+"@") {
				tried = append(tried, [2]string{strings.TrimPrefix(k, m+"@"), "fits, but the build then failed: " + shortMsg(a.failed[k])})
			}
		}
		msg := ""
		switch {
		case mc.Local[m] != "" || strings.HasPrefix(mc.From[m], "--"):
			msg = fmt.Sprintf("%s is the user's choice (%s); no other version was tried", m, mc.From[m])
		case fits[m] != "":
			msg = fmt.Sprintf("%s %s fits these, but the service still does not build with it (pass --pin %s@%s to try it)", m, fits[m], m, fits[m])
		case len(tried) == 0:
			msg = fmt.Sprintf("no other version of %s known here (the module cache, the proxy) could be tried within the search's budget", m)
		default:
			msg = fmt.Sprintf("no version of %s known here fits the notebook's code: tried %s; pass --pin %s@VERSION with the version it was written for", m, triedText(tried), m)
		}
		for i, pr := range probs {
			if slices.ContainsFunc(a.needs[m], func(n apiNeed) bool { return n.prob.Msg == pr.Msg }) {
				out[i] += " (" + msg + ")"
				break
			}
		}
	}
	return out
}

// reject rules out the choices the last build (probs, against the versions in resolved)
// rejected: those of modules it still has expectations of, or in whose code it failed, or
// all of them when it failed elsewhere than in the notebook's code. The context goes back to
// its base with the other choices applied again; it returns what the base resolved, with the
// kept choices' versions.
func (a *APISearch) reject(probs []Problem, resolved map[string]string) map[string]string {
	first := firstBuildProblem(probs)
	blamed := a.blamed(probs, resolved)
	out := maps.Clone(a.baseResolved)
	for _, m := range slices.Sorted(maps.Keys(a.chosen)) {
		if blamed[m] {
			a.failed[m+"@"+a.chosen[m].version] = first
			delete(a.chosen, m)
			continue
		}
		out[m] = a.chosen[m].version
	}
	a.stale = len(blamed) > 0
	if !a.stale {
		return resolved
	}
	{
		a.restore()
		for _, m := range slices.Sorted(maps.Keys(a.chosen)) {
			a.apply(a.chosen[m])
		}
	}
	return out
}

// blamed returns the chosen modules a build's problems (against the versions in resolved)
// rule out: those it still has expectations of, or in whose code it failed, or all of them
// when it failed elsewhere than in the notebook's code.
func (a *APISearch) blamed(probs []Problem, resolved map[string]string) map[string]bool {
	notebookOnly := true
	for _, p := range probs {
		if p.Step == "build" && p.Cell < 0 && !inModuleCache(a.s.mc.modCache, p.File) {
			notebookOnly = false // go mod tidy, or a file no cell maps to
		}
	}
	out := map[string]bool{}
	for m, c := range a.chosen {
		bad := !notebookOnly
		for _, p := range probs {
			f := filepath.ToSlash(p.File)
			if p.Step == "build" && inModuleCache(a.s.mc.modCache, p.File) && modulePathInCache(a.s.mc.modCache, f) == m {
				bad = true
			}
		}
		for _, n := range a.needs[m] {
			if n.version == c.version && resolved[m] == c.version {
				bad = true // an expectation read from this build
			}
		}
		if bad {
			out[m] = true
		}
	}
	return out
}

// Holds reports whether the choices in force are what the last build (probs, against gomod)
// ran with and none of its problems rules them out: the build fails on something else (the
// notebook's own code), and the problems to report are that build's.
func (a *APISearch) Holds(probs []Problem, gomod []byte) bool {
	return len(a.chosen) > 0 && !a.stale && len(a.blamed(probs, requiredIn(gomod))) == 0
}

// modulePathInCache is the module whose directory in the module cache holds file f.
func modulePathInCache(cache, f string) string {
	m, _, _, ok := inModCache(cache, filepath.Dir(filepath.FromSlash(f)))
	if !ok {
		return ""
	}
	return m
}

func (a *APISearch) snapshot() map[string][2]string {
	mc := a.s.mc
	base := map[string][2]string{}
	for m, v := range mc.Requires {
		base[m] = [2]string{v, mc.From[m]}
	}
	return base
}

func (a *APISearch) restore() {
	mc := a.s.mc
	clear(mc.Requires)
	for m := range mc.From {
		if _, ok := mc.Local[m]; !ok {
			delete(mc.From, m)
		}
	}
	for m, vf := range a.base {
		mc.Requires[m], mc.From[m] = vf[0], vf[1]
	}
	mc.forgetRoots()
}

// requiredIn reads a go.mod's requirements.
func requiredIn(gomod []byte) map[string]string {
	out := map[string]string{}
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return out
	}
	for _, r := range f.Require {
		out[r.Mod.Path] = r.Mod.Version
	}
	return out
}

func firstBuildProblem(probs []Problem) string {
	for _, p := range probs {
		if p.Step == "build" {
			return p.String()
		}
	}
	if len(probs) > 0 {
		return probs[0].String()
	}
	return ""
}

// shortMsg is the first line of a compiler message.
func shortMsg(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// triedText says what was tried, the versions that failed for the same reason together, in
// the order tried.
func triedText(tried [][2]string) string {
	var reasons []string
	byReason := map[string][]string{}
	for _, t := range tried {
		if _, ok := byReason[t[1]]; !ok {
			reasons = append(reasons, t[1])
		}
		byReason[t[1]] = append(byReason[t[1]], t[0])
	}
	var parts []string
	for _, r := range reasons {
		parts = append(parts, strings.Join(byReason[r], ", ")+": "+r)
	}
	return strings.Join(parts, "; ")
}

func appendNew[T comparable](list []T, s T) []T {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
