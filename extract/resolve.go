package extract

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"regexp"
	"sort"
	"strings"

	"github.com/decant-go/decant/notebooks/gonbmem"
)

// unit is a declaration or step placed in the combined program that is type-checked.
type unit struct {
	decl       *Decl
	step       *Step
	start, end int    // byte range in the combined source
	text       string // the unit's text in the combined source
	bodyOff    int    // steps: offset of the body in text
}

func (u *unit) textRange(start, end int) string {
	if start < u.start || end > u.end || start > end {
		return ""
	}
	return u.text[start-u.start : end-u.start]
}

func (u *unit) order() int {
	if u.decl != nil {
		return u.decl.order
	}
	return u.step.order
}

func (u *unit) section() Section {
	if u.decl != nil {
		return u.decl.Section
	}
	return u.step.Section
}

func (u *unit) name() string {
	if u.decl != nil {
		return u.decl.Kind + " " + u.decl.Key
	}
	return fmt.Sprintf("the %%%% body of cell %d", u.step.Cell)
}

// resolve type-checks the combined program, finds what each declaration uses and decides what
// is kept, moved or left out.
func (b *builder) resolve() error {
	var kept []*Decl
	for _, d := range b.all {
		if cur, _ := b.mem.Get(d.Key); cur == d {
			kept = append(kept, d)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].order < kept[j].order })
	b.plan.Imports = b.sortedImports()

	var src strings.Builder
	src.WriteString("package p\n")
	for _, imp := range b.plan.Imports {
		fmt.Fprintf(&src, "import %s %q\n", imp.Name, imp.Path)
	}
	var units []*unit
	for _, d := range kept {
		u := &unit{decl: d, start: src.Len(), text: d.text + "\n"}
		src.WriteString(u.text)
		u.end = src.Len()
		units = append(units, u)
	}
	for i, st := range b.plan.Steps {
		head := fmt.Sprintf("func decantStep%d() {\n", i)
		u := &unit{step: st, start: src.Len(), text: head + st.Body + "\n}\n", bodyOff: len(head)}
		src.WriteString(u.text)
		u.end = src.Len()
		units = append(units, u)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "combined.go", src.String(), parser.ParseComments)
	if err != nil {
		// Each part parsed alone; a failure here means parts do not combine (for example a
		// comment left open). Report it against the unit it falls in.
		return b.combinedErr(fset, err, units)
	}
	var undefined []types.Error
	pkg, info := gonbmem.Check(fset, "p", []*ast.File{f}, func(te types.Error) {
		if strings.HasPrefix(te.Msg, "undefined: ") {
			undefined = append(undefined, te)
		}
	})
	tf := fset.File(f.Pos())

	deps := map[*unit][]*unit{}
	seen := map[[2]*unit]bool{}
	link := func(from, to *unit) {
		if from == nil || to == nil || from == to || seen[[2]*unit{from, to}] {
			return
		}
		seen[[2]*unit{from, to}] = true
		deps[from] = append(deps[from], to)
	}
	packageUses(info, pkg, tf, units, func(_ *ast.Ident, from, to *unit) { link(from, to) })
	// A type brings its methods, and a method its receiver type.
	typeUnit := map[string]*unit{}
	for _, u := range units {
		if u.decl != nil && u.decl.Kind == "type" {
			typeUnit[u.decl.Names[0]] = u
		}
	}
	for _, u := range units {
		if u.decl != nil && u.decl.Kind == "method" {
			recv, _, _ := strings.Cut(u.decl.Key, "~")
			if t := typeUnit[recv]; t != nil {
				link(t, u)
				link(u, t)
			}
		}
	}
	for u, ds := range deps {
		sort.Slice(ds, func(i, j int) bool { return ds[i].order() < ds[j].order() })
		var names []string
		for _, d := range ds {
			if d.decl != nil {
				names = append(names, d.decl.Key)
			}
		}
		if u.decl != nil {
			u.decl.Uses = names
		} else {
			u.step.Uses = names
		}
	}

	b.assign(units, deps)
	b.dropStale(undefined, tf, units)
	b.makeLazy(f, info, pkg, tf, units)
	b.nameSteps()
	b.report(units)
	b.markSteps(units)
	b.plan.Decls = kept
	return nil
}

func (b *builder) noRoutes() {
	if len(b.plan.Routes) == 0 {
		b.decide(-1, 0, "HTTP API", "warning", "no exported function of the calculation section (or marked //decant:endpoint) can be served: no cmd/server was generated")
	}
}

func (b *builder) combinedErr(fset *token.FileSet, err error, units []*unit) error {
	return fmt.Errorf("%s: the cells do not combine into one program: %w", b.file, err)
}

// assign walks from labeled code in notebook order. Unlabeled declarations move with their first
// user.
func (b *builder) assign(units []*unit, deps map[*unit][]*unit) {
	reached := map[*unit]bool{}
	var visit func(root, u *unit, sec Section)
	visit = func(root, u *unit, sec Section) {
		for _, d := range deps[u] {
			if reached[d] {
				continue
			}
			reached[d] = true
			if d.decl != nil && d.decl.Section == Exploration {
				d.decl.Section = sec
				d.decl.Reason = fmt.Sprintf("moved from unlabeled cell %d: used by %s in cell %d", d.decl.Cell, root.name(), cellOf(root))
				b.decide(d.decl.Cell, d.decl.Line, d.decl.Kind+" "+d.decl.Key, "moved", d.decl.Reason)
			}
			visit(root, d, d.section())
		}
	}
	roots := append([]*unit(nil), units...)
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].order() < roots[j].order() })
	for _, u := range roots {
		if u.decl != nil && u.decl.isTest && u.decl.Section != Exploration {
			u.decl.Section = Test
		}
	}
	for _, u := range roots {
		sec := u.section()
		if sec == Exploration {
			continue
		}
		reached[u] = true
		visit(u, u, sec)
	}
	for _, u := range units {
		switch {
		case u.decl != nil:
			d := u.decl
			d.Kept = reached[u]
			if !d.Kept {
				d.Reason = "left out: exploration code that no labeled code uses"
				b.decide(d.Cell, d.Line, d.Kind+" "+d.Key, "left out", "exploration code that no labeled code uses")
			} else if d.Reason == "" {
				d.Reason = fmt.Sprintf("labeled %s", d.Section)
			}
		case u.step != nil:
			st := u.step
			st.Kept = st.Section != Exploration
			if !st.Kept {
				b.decide(st.Cell, st.Line, "%% body", "left out", "exploration: the cell is not labeled")
			}
		}
	}
}

func cellOf(u *unit) int {
	if u.decl != nil {
		return u.decl.Cell
	}
	return u.step.Cell
}

// nameSteps names each kept step from its first comment, else from the heading above it, else
// from its cell.
func (b *builder) nameSteps() {
	used := map[string]bool{}
	for _, d := range b.all {
		for _, n := range d.Names {
			used[n] = true
		}
	}
	used["Run"] = true
	// A step named like a package the code uses (a heading "Widgets" over widgets.Slider)
	// would shadow it.
	for _, imp := range b.plan.Imports {
		used[importName(imp)] = true
	}
	for _, d := range b.all {
		for _, m := range qualifierRE.FindAllStringSubmatch(d.text, -1) {
			used[m[1]] = true
		}
	}
	for _, st := range b.plan.Steps {
		for _, m := range qualifierRE.FindAllStringSubmatch(st.Body, -1) {
			used[m[1]] = true
		}
	}
	next := map[string]int{}
	heading := map[int]string{}
	last := ""
	for _, c := range b.nb.Cells {
		if c.Type == "markdown" {
			_, _, _, hs := headingLabel(c.Source)
			if len(hs) > 0 {
				last = hs[len(hs)-1]
			}
			continue
		}
		heading[c.Index] = last
	}
	for _, st := range b.plan.Steps {
		name := ""
		if c := firstComment(st.Body); c != "" {
			name = identFrom(c)
		}
		if name == "" {
			if h := heading[st.Cell]; h != "" {
				if _, isLabel := ParseLabel(h, false); !isLabel {
					name = identFrom(h)
				}
			}
		}
		if name == "" {
			name = stepVerb[st.Section]
		}
		if name == "" {
			name = fmt.Sprintf("cell%d", st.Cell)
		}
		base := name
		for used[name] || token.IsKeyword(name) {
			next[base]++ // counting per base keeps naming linear in the number of steps
			name = fmt.Sprintf("%s%d", base, next[base]+1)
		}
		used[name] = true
		st.Name = name
		if st.Kept {
			b.plan.Cells[st.Cell].Step = name
		} else {
			b.plan.Cells[st.Cell].Step = ""
		}
	}
}

// qualifierRE finds the X of X.Sel expressions: package names, among other things.
var qualifierRE = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z_]`)

var stepVerb = map[Section]string{Preparation: "prepare", Processing: "preprocess", Calculation: "calculate"}

func firstComment(body string) string {
	for _, l := range strings.Split(body, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "//") {
			c := strings.TrimSpace(strings.TrimPrefix(l, "//"))
			// A TODO or FIXME is a note about the code, not its name: adding one (as doc
			// --write does) must not rename the step.
			if up := strings.ToUpper(c); strings.HasPrefix(up, "TODO") || strings.HasPrefix(up, "FIXME") || strings.HasPrefix(up, "XXX") {
				continue
			}
			return c
		}
		return ""
	}
	return ""
}

var stopWords = map[string]bool{"the": true, "a": true, "an": true, "and": true, "of": true, "to": true, "on": true, "in": true, "for": true, "with": true, "todo": true, "fixme": true}

// identFrom makes an unexported Go identifier of up to four words from text.
func identFrom(text string) string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	var out []string
	for _, w := range words {
		if stopWords[w] || len(out) == 0 && w[0] >= '0' && w[0] <= '9' {
			continue
		}
		out = append(out, w)
		if len(out) == 4 {
			break
		}
	}
	if len(out) == 0 {
		return ""
	}
	s := out[0]
	for _, w := range out[1:] {
		s += strings.ToUpper(w[:1]) + w[1:]
	}
	return s
}

// report adds the warnings about package-level state that behaves differently outside GoNB,
// and about notebook-only APIs.
func (b *builder) report(units []*unit) {
	for _, u := range units {
		var text string
		var cell, line int
		switch {
		case u.decl != nil && u.decl.Kept:
			text, cell, line = u.decl.text, u.decl.Cell, u.decl.Line
		case u.step != nil && u.step.Kept:
			text, cell, line = u.step.Body, u.step.Cell, u.step.Line
		default:
			continue
		}
		if strings.Contains(text, "gonbui.") || strings.Contains(text, "widgets.") || strings.Contains(text, "dom.") && strings.Contains(text, "gonbui") {
			b.decide(cell, line, u.name(), "warning", "calls GoNB's gonbui: it does nothing outside the notebook but keeps the gonb module as a dependency; consider removing it")
		}
		if strings.Contains(text, "cache.Cache") {
			b.decide(cell, line, u.name(), "warning", "uses GoNB's cache package, which keeps values on disk across runs: a service should compute or load them explicitly")
		}
	}
	for _, u := range units {
		d := u.decl
		if d == nil || !d.Kept || d.Kind != "var" {
			continue
		}
		t := d.code
		if d.lazyInit != "" || strings.Contains(t, "sync.OnceValue(") {
			continue // made lazy or a trained value: it no longer runs when the package loads
		}
		if i := strings.Index(t, "="); i >= 0 && strings.Contains(t[i:], "(") {
			if strings.Contains(t[i:], "flag.") {
				b.decide(d.Cell, d.Line, "var "+d.Key, "warning", "registers a command-line flag at package level: in a library it joins the importer's flag set; the batch command parses it")
				continue
			}
			b.decide(d.Cell, d.Line, "var "+d.Key, "warning", "its initializer runs once when the package loads; in GoNB it ran again on every cell")
		}
	}
}

// dropStale leaves out steps that use a name a later cell removed. GoNB ran the step while the
// name existed; in the final program, which holds only the last definitions, it cannot.
func (b *builder) dropStale(undefined []types.Error, tf *token.File, units []*unit) {
	ever := map[string]*Decl{}
	for _, d := range b.all {
		for _, n := range d.Names {
			ever[n] = d
		}
	}
	for _, e := range undefined {
		name := strings.TrimPrefix(e.Msg, "undefined: ")
		old, ok := ever[name]
		if !ok {
			continue
		}
		if cur, _ := b.mem.Get(old.Key); cur == old {
			continue
		}
		u, _ := unitAtOffset(units, tf.Offset(e.Pos))
		if u == nil || u.step == nil || !u.step.Kept {
			continue
		}
		u.step.Kept = false
		b.decide(u.step.Cell, u.step.Line, "%% body", "left out",
			fmt.Sprintf("uses %s, which the notebook later removed (%s); GoNB ran it while %s existed, the extracted package holds only the last definitions", name, old.Reason, name))
	}
}

// markSteps decides which steps the emitted tests replay and compare: not those that use the
// notebook UI, and not, for the golden test, those GoNB ran with program arguments.
func (b *builder) markSteps(units []*unit) {
	// The notebook UI is gonbui and its subpackages (dom, comms, widgets, plotly, ...).
	uiNames := []string{"gonbui."}
	for _, imp := range b.plan.Imports {
		if strings.HasPrefix(imp.Path, "github.com/janpfeifer/gonb/gonbui") {
			uiNames = append(uiNames, importName(imp)+".")
		}
	}
	usesUI := func(text string) bool {
		for _, n := range uiNames {
			if strings.Contains(text, n) {
				return true
			}
		}
		return false
	}
	uiDecl := map[string]bool{}
	for _, u := range units {
		if u.decl != nil && usesUI(u.decl.text) {
			uiDecl[u.decl.Key] = true
		}
	}
	// Propagate through uses until nothing changes (a declaration calling a UI one is UI too).
	for changed := true; changed; {
		changed = false
		for _, u := range units {
			if u.decl == nil || uiDecl[u.decl.Key] {
				continue
			}
			for _, k := range u.decl.Uses {
				if uiDecl[k] {
					uiDecl[u.decl.Key], changed = true, true
					break
				}
			}
		}
	}
	for _, st := range b.plan.Steps {
		if !st.Kept {
			continue
		}
		ui := usesUI(st.Body)
		for _, k := range st.Uses {
			ui = ui || uiDecl[k]
		}
		if ui {
			st.NotebookOnly = true
			b.decide(st.Cell, st.Line, "%% body", "warning", "uses GoNB's notebook UI (gonbui): the emitted tests do not replay it")
		}
		switch {
		case !st.HasSaved:
		case st.NotebookOnly:
			st.NoGolden = "it uses the notebook UI"
		case len(st.Args) > 0:
			st.NoGolden = "GoNB ran it with program arguments (" + strings.Join(st.Args, " ") + ")"
			b.decide(st.Cell, st.Line, "%% body", "warning", "left out of the golden test: "+st.NoGolden+"; the batch command takes them as flags")
		default:
			st.Golden = true
		}
	}
}

// DropGolden leaves a step out of the golden test, saying why (for example, its output
// differed from the notebook's when the service was verified).
func (p *Plan) DropGolden(cell int, why string) []Decision {
	var ds []Decision
	for _, st := range p.Steps {
		if st.Cell == cell && st.Golden {
			st.Golden, st.NoGolden = false, why
			ds = append(ds, Decision{Cell: cell, Line: st.Line, Subject: "%% body", Action: "warning",
				Reason: "left out of the golden test: " + why})
		}
	}
	return ds
}
