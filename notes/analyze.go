package notes

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/internal/recognize"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbcell"
	"github.com/decant-go/decant/notebooks/gonbmem"
)

// unit is one top-level declaration as GoNB memorizes it.
type unit struct {
	cell  int
	key   string // GoNB's key: name, or Recv~Method
	kind  string
	names []string
	line  int    // cell line where text starts
	text  string // from the declaration keyword (doc comments left out)

	seq  int             // order of memorization
	refs map[string]bool // identifiers the text mentions; see identRefs
}

// identRefs returns the identifiers u's text mentions, scanned once.
func (u *unit) identRefs() map[string]bool {
	if u.refs == nil {
		u.refs = identsOf(u.text)
	}
	return u.refs
}

// identsOf lists the identifiers of Go source text, without parsing it.
func identsOf(src string) map[string]bool {
	out := map[string]bool{}
	fset := token.NewFileSet()
	var s scanner.Scanner
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), nil, 0)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		if tok == token.IDENT {
			out[lit] = true
		}
	}
}

type importSpec struct{ name, path string }

// cellGo is what the analyzer knows about one code cell.
type cellGo struct {
	split   *gonbcell.Cell
	units   []*unit
	imports []importSpec
	ok      bool // the Go parts parsed
	lines   []string
}

type site struct{ cell, line int }

type analyzer struct {
	nb    *notebooks.Notebook
	n     *Notes
	cells []*cellGo

	memory  gonbmem.Memory[*unit] // what GoNB remembers
	imports map[string]string     // path -> name, as memorized

	// clones delivers the clone groups, found concurrently with the rest of the analysis
	// (they only read the notebook); nil means find them when needed.
	clones <-chan *Clones
	// byRecv indexes memorized methods by receiver type name, and seq numbers memorizations,
	// so a cell is checked against the declarations it can reach instead of all of them
	// (which made doc quadratic in cells).
	byRecv map[string][]*unit
	seq    int

	assigns map[string][]site       // package var -> assignment sites
	readers map[string]map[int]bool // package var -> cells that use it
	varCell map[string]int          // package var -> declaring cell
}

func newAnalyzer(nb *notebooks.Notebook, n *Notes) *analyzer {
	return &analyzer{
		nb: nb, n: n,
		cells:   make([]*cellGo, len(nb.Cells)),
		imports: map[string]string{},
		byRecv:  map[string][]*unit{},
		assigns: map[string][]site{},
		readers: map[string]map[int]bool{},
		varCell: map[string]int{},
	}
}

func (a *analyzer) smell(cell int, s Smell) {
	s.Cell = cell
	for _, o := range a.n.Cells[cell].Smells {
		if o.Kind == s.Kind && o.Line == s.Line && o.Message == s.Message {
			return
		}
	}
	a.n.Cells[cell].Smells = append(a.n.Cells[cell].Smells, s)
}

func (a *analyzer) io(cell int, x IO) {
	x.Target = recognize.Mask(x.Target) // the I/O listing is printed, served and written back
	for _, o := range a.n.Cells[cell].IO {
		if o == x {
			return
		}
	}
	a.n.Cells[cell].IO = append(a.n.Cells[cell].IO, x)
}

func (a *analyzer) run() {
	lastCount, lastCell := 0, -1
	for i, c := range a.nb.Cells {
		if c.Type != "code" {
			continue
		}
		if c.ExecutionCount != nil {
			if *c.ExecutionCount < lastCount {
				a.smell(i, Smell{Kind: ExecutionOrder, Severity: Info,
					Message: fmt.Sprintf("execution count %d comes after %d (cell %d): the saved outputs came from another order than the notebook's; run it top to bottom", *c.ExecutionCount, lastCount, lastCell)})
			}
			lastCount, lastCell = *c.ExecutionCount, i
		}
		failure, failed := a.nb.Failed(c)
		if failed && failure.What == "an error" {
			a.smell(i, Smell{Kind: ErrorOutput, Severity: Warning,
				Message:  "the saved output is an error: GoNB did not keep this cell's declarations, and extraction skips it",
				Todo:     "this cell's saved output is an error; fix it or remove the cell",
				keywords: []string{"error"}})
		} else if failed {
			a.smell(i, Smell{Kind: ErrorOutput, Severity: Warning,
				Message:  "the saved output shows " + failure.String() + ": the cell did not run to its end, and extraction skips it",
				Todo:     "this cell's saved output shows " + failure.What + "; fix it or remove the cell",
				keywords: []string{"error"}})
		}
		cg := a.parseCell(i, c)
		a.cells[i] = cg
		if cg == nil || !cg.ok {
			continue
		}
		a.checkCell(i, cg)
		if !failed {
			a.memorize(cg)
		}
	}
	a.packageState()
	a.redefinitions()
	a.duplicateSmells()
	for i, cg := range a.cells {
		if cg != nil {
			a.settle(i, cg)
		}
	}
}

// parseCell splits a cell the way GoNB does and parses its Go parts on their own.
func (a *analyzer) parseCell(i int, c *notebooks.Cell) *cellGo {
	src := c.Source
	if first, rest, _ := strings.Cut(src, "\n"); strings.HasPrefix(strings.TrimSpace(first), "#") {
		if _, ok := labelComment(strings.TrimSpace(first)); ok {
			src = "\n" + rest // "# 1. Preparation" is a label, not Go
		}
	}
	cg := &cellGo{lines: strings.Split(c.Source, "\n")}
	split, err := gonbcell.Split(src)
	if err != nil {
		line, msg := 0, err.Error()
		var ge *gonbcell.Error
		if errors.As(err, &ge) {
			line, msg = ge.Line, ge.Msg
		}
		a.smell(i, Smell{Kind: SyntaxError, Severity: Severe, Line: line, Message: "GoNB cannot run this cell: " + msg})
		return cg
	}
	cg.split = split
	if m := split.Magic; m != nil {
		switch m.Name {
		case "%%writefile":
			target := ""
			if len(m.Args) > 0 {
				target = m.Args[len(m.Args)-1]
			}
			a.io(i, IO{Kind: "file", Call: m.Name, Target: target, Line: 1})
		default:
			a.io(i, IO{Kind: "shell", Call: m.Name, Line: 1})
			a.smell(i, Smell{Kind: ShellCommand, Severity: Warning, Line: 1,
				Message: fmt.Sprintf("%s cell: the service does not run it (extraction turns it into a script for `make setup`)", m.Name)})
		}
		return cg
	}
	for _, cmd := range split.Commands {
		a.command(i, cmd)
	}
	cg.ok = true
	fset := token.NewFileSet()
	if !split.Decls.Empty() {
		text := filePrefix + split.Decls.Src
		f, err := parser.ParseFile(fset, "decls", text, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			a.syntaxSmell(i, split.Decls.FirstLine, err, "")
			cg.ok = false
		} else {
			a.collect(i, cg, fset, f, text, split.Decls.FirstLine)
		}
	}
	if split.Main != nil {
		head := filePrefix + "func _(){"
		text := head + split.Main.Src + "\n}"
		if _, err := parser.ParseFile(fset, "main", text, parser.ParseComments|parser.SkipObjectResolution); err != nil {
			a.syntaxSmell(i, split.Main.FirstLine, err, " in the %% body")
			cg.ok = false
		}
	}
	return cg
}

const filePrefix = "package main;"

func (a *analyzer) syntaxSmell(i, first int, err error, where string) {
	line, msg := first, err.Error()
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		msg = list[0].Msg
		line = first + list[0].Pos.Line - 1
	}
	if strings.Contains(msg, "expected declaration") {
		msg += " (a statement above %%: GoNB runs statements only below a %% line)"
	}
	a.smell(i, Smell{Kind: SyntaxError, Severity: Severe, Line: line, Message: "Go syntax error" + where + ": " + msg})
}

// command records the I/O and smells of a % or ! line.
func (a *analyzer) command(i int, cmd gonbcell.Command) {
	switch cmd.Name {
	case "!", "!*":
		sh := strings.TrimSpace(cmd.Shell)
		a.io(i, IO{Kind: "shell", Call: cmd.Name + shortCmd(sh), Line: cmd.Line})
		fields := strings.Fields(sh)
		switch {
		case len(fields) >= 3 && fields[0] == "go" && fields[1] == "get" && strings.Contains(sh, "@"):
			return // a version pin: extraction puts it in go.mod
		case strings.Contains(sh, "-replace") || strings.Contains(sh, "go work"):
			a.smell(i, Smell{Kind: ShellCommand, Severity: Warning, Line: cmd.Line,
				Message:  fmt.Sprintf("%s%s points at a local directory: it only works on this machine", cmd.Name, shortCmd(sh)),
				Todo:     "the replace or workspace path only exists on this machine; the service cannot use it",
				keywords: []string{"machine", "replace", "workspace", "shell"}})
		default:
			a.smell(i, Smell{Kind: ShellCommand, Severity: Warning, Line: cmd.Line,
				Message:  fmt.Sprintf("%s%s: the service does not run shell lines (extraction makes it a `make setup` step)", cmd.Name, shortCmd(sh)),
				Todo:     fmt.Sprintf("the service does not run %q; make it a setup step or Go code", shortCmd(sh)),
				keywords: []string{"shell", "setup", "service"}})
		}
	case "%env":
		k := ""
		if len(cmd.Args) > 0 {
			k, _, _ = strings.Cut(cmd.Args[0], "=")
		}
		a.io(i, IO{Kind: "environment", Call: "%env", Target: k, Line: cmd.Line})
	case "%rm":
		a.n.Cells[i].Commands = append(a.n.Cells[i].Commands, fmt.Sprintf("%s: GoNB forgets %s; the service keeps every declaration", shortCmd(cmd.Text), strings.Join(cmd.Args, ", ")))
		a.forget(cmd.Args)
	case "%%", "%main", "%exec", "%args", "%test", "%autoget", "%noautoget", "%goflags":
	case "%cd":
		a.smell(i, Smell{Kind: ShellCommand, Severity: Warning, Line: cmd.Line,
			Message: "%cd changes the kernel's directory: relative paths in later cells depend on it"})
	default:
		if strings.HasPrefix(cmd.Name, "%") {
			a.n.Cells[i].Commands = append(a.n.Cells[i].Commands, shortCmd(cmd.Text)+": a kernel command; it has no meaning in the service")
		}
	}
}

// forget drops memorized declarations, as %rm does.
func (a *analyzer) forget(names []string) {
	a.memory.Forget(names...)
}

func shortCmd(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 50 {
		s = s[:47] + "..."
	}
	return s
}

// collect reads the top-level declarations of a cell's declaration part into units.
func (a *analyzer) collect(i int, cg *cellGo, fset *token.FileSet, f *ast.File, text string, first int) {
	tf := fset.File(f.Pos())
	lineOf := func(p token.Pos) int { return first + tf.Line(p) - 1 }
	slice := func(from, to token.Pos) string { return text[tf.Offset(from):tf.Offset(to)] }
	decls, imports := gonbmem.Decls(f, i, lineOf)
	for _, imp := range imports {
		cg.imports = append(cg.imports, importSpec{imp.Name, imp.Path})
	}
	for _, d := range decls {
		u := &unit{kind: d.Kind, key: d.Key, names: d.Names, cell: i}
		switch n := d.Node().(type) {
		case *ast.FuncDecl, *ast.GenDecl:
			u.line, u.text = lineOf(n.Pos()), slice(n.Pos(), n.End())
		case ast.Spec:
			u.line, u.text = lineOf(n.Pos()), d.Gen.Tok.String()+" "+slice(n.Pos(), n.End())
		}
		cg.units = append(cg.units, u)
		name := u.key
		if d.Main() {
			name = "main"
		}
		a.n.Cells[i].Declares = append(a.n.Cells[i].Declares, Symbol{Kind: u.kind, Name: name, Line: u.line})
	}
}

// memorize adds a cell's declarations to the memory, last definition winning, as GoNB does
// after a successful build.
func (a *analyzer) memorize(cg *cellGo) {
	for _, u := range cg.units {
		if !strings.HasPrefix(u.key, "main~") {
			a.seq++
			u.seq = a.seq
			a.memory.Add(u.key, u.names, u)
			if recv, _, ok := strings.Cut(u.key, "~"); ok {
				recv = strings.TrimPrefix(recv, "*")
				a.byRecv[recv] = append(a.byRecv[recv], u)
			}
		}
	}
	for _, im := range cg.imports {
		a.imports[im.path] = im.name
	}
}

// reachable returns the memorized units the cell can reach and does not replace (same key,
// or a shared name), in memory order: those declaring a name the cell mentions, the methods
// of such types, and, transitively, what those mention.
func (a *analyzer) reachable(cg *cellGo) []*unit {
	gone := map[*unit]bool{}
	for _, u := range cg.units {
		for _, r := range a.memory.Replaced(u.key, u.names) {
			gone[r] = true
		}
	}
	var queue []map[string]bool
	for _, u := range cg.units {
		queue = append(queue, u.identRefs())
	}
	if m := cg.split.Main; m != nil {
		queue = append(queue, identsOf(m.Src))
	}
	seen := map[string]bool{}
	kept := map[*unit]bool{}
	keep := func(u *unit) {
		if !kept[u] && !gone[u] {
			kept[u] = true
			queue = append(queue, u.identRefs())
		}
	}
	for len(queue) > 0 {
		refs := queue[0]
		queue = queue[1:]
		for id := range refs {
			if seen[id] {
				continue
			}
			seen[id] = true
			if _, u, ok := a.memory.Owner(id); ok {
				keep(u)
			}
			if u, ok := a.memory.Get(id); ok {
				keep(u)
			}
			for _, m := range a.byRecv[id] {
				if u, ok := a.memory.Get(m.key); ok && u == m {
					keep(u)
				}
			}
		}
	}
	out := make([]*unit, 0, len(kept))
	for u := range kept {
		out = append(out, u)
	}
	slices.SortFunc(out, func(x, y *unit) int { return x.seq - y.seq })
	return out
}

// seg is a stretch of the combined program that came from a cell.
type seg struct {
	start, end int // byte offsets
	line       int // combined line of start
	cell       int
	cellLine   int // cell line of start
	u          *unit
	main       bool
}

// checkCell type-checks a cell the way GoNB builds it, against the declarations memorized so
// far, and walks its syntax for uses, I/O and smells.
func (a *analyzer) checkCell(i int, cg *cellGo) {
	if a.checkWith(i, cg, a.reachable(cg), a.imports) {
		return
	}
	// The memory does not combine with this cell (rare: a comment left open, clashing
	// imports). Check the cell on its own, so its own notes still come out.
	a.checkWith(i, cg, nil, nil)
}

func (a *analyzer) checkWith(i int, cg *cellGo, memory []*unit, imports map[string]string) bool {
	var sb strings.Builder
	sb.WriteString("package p\n")
	line := 2
	all := map[string]string{}
	for p, n := range imports {
		all[p] = n
	}
	for _, im := range cg.imports {
		all[im.path] = im.name
	}
	for _, p := range sortedKeys(all) {
		fmt.Fprintf(&sb, "import %s %q\n", all[p], p)
		line++
	}
	var segs []seg
	addSeg := func(text string, cell, cellLine int, u *unit, main bool) {
		s := seg{start: sb.Len(), line: line, cell: cell, cellLine: cellLine, u: u, main: main}
		sb.WriteString(text)
		sb.WriteString("\n")
		s.end = sb.Len()
		line += strings.Count(text, "\n") + 1
		segs = append(segs, s)
	}
	for _, u := range memory {
		addSeg(u.text, u.cell, u.line, u, false)
	}
	for _, u := range cg.units {
		addSeg(u.text, i, u.line, u, false)
	}
	if m := cg.split.Main; m != nil {
		addSeg("func decantMain() {"+m.Src+"}", i, m.FirstLine, nil, true)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell.go", sb.String(), parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return false
	}
	pkg, info := gonbmem.Check(fset, "p", []*ast.File{f}, nil)
	w := &walker{a: a, cell: i, info: info, pkg: pkg, tf: fset.File(f.Pos()), segs: segs,
		uses: map[string]Use{}, pkgs: map[string]bool{}}
	for _, d := range f.Decls {
		s := w.segAt(d.Pos())
		if s == nil || s.cell != i {
			continue
		}
		w.decl(d, s)
	}
	cn := &a.n.Cells[i]
	for _, k := range sortedKeys(w.uses) {
		cn.Uses = append(cn.Uses, w.uses[k])
	}
	sort.SliceStable(cn.Uses, func(x, y int) bool { return cn.Uses[x].Cell < cn.Uses[y].Cell })
	for _, im := range cg.imports {
		if im.name == "_" {
			w.pkgs[im.path+" (blank import)"] = true
		}
	}
	cn.Packages = sortedKeys(w.pkgs)
	return true
}

// packageState reports package-level variables that one cell changes and another reads: in
// GoNB each cell started from the initial value, in the service the change carries over.
func (a *analyzer) packageState() {
	for _, name := range sortedKeys(a.assigns) {
		sites := a.assigns[name]
		cells := map[int]bool{}
		for _, s := range sites {
			cells[s.cell] = true
		}
		var others []int
		for c := range a.readers[name] {
			if !cells[c] {
				others = append(others, c)
			}
		}
		sort.Ints(others)
		if len(cells) < 2 && len(others) == 0 {
			continue
		}
		where := ""
		if len(others) > 0 {
			where = fmt.Sprintf("; cell %s reads it", joinInts(others))
		}
		var changed []int
		for c := range cells {
			changed = append(changed, c)
		}
		sort.Ints(changed)
		for _, s := range sites {
			a.smell(s.cell, Smell{Kind: PackageState, Severity: Warning, Line: s.line,
				Message:  fmt.Sprintf("changes package-level var %s (declared in cell %d), changed in cell %s%s: in GoNB every cell started from its initial value; in the service the change carries over", name, a.varCell[name], joinInts(changed), where),
				Todo:     fmt.Sprintf("changes package state (%s) that other cells read; pass it as a value instead", name),
				keywords: []string{"package state", "global", name}})
		}
	}
}

// redefinitions reports declarations that a later cell (or a later line) replaces.
func (a *analyzer) redefinitions() {
	byName := map[string][]*unit{}
	var order []string
	for i, cg := range a.cells {
		if _, failed := a.nb.Failed(a.nb.Cells[i]); cg == nil || !cg.ok || failed {
			continue
		}
		for _, u := range cg.units {
			if strings.HasPrefix(u.key, "main~") || strings.HasPrefix(u.key, "_~") {
				continue
			}
			keys := []string{u.key}
			if u.kind != "method" {
				keys = u.names
			}
			for _, k := range keys {
				if k == "_" {
					continue
				}
				if _, ok := byName[k]; !ok {
					order = append(order, k)
				}
				byName[k] = append(byName[k], u)
			}
		}
	}
	for _, k := range order {
		us := byName[k]
		if len(us) < 2 {
			continue
		}
		last := us[len(us)-1]
		for _, u := range us[:len(us)-1] {
			if u == last {
				continue
			}
			s := Smell{Kind: Redefinition, Severity: Warning, Line: u.line,
				Message:  fmt.Sprintf("%s %s is declared again in cell %d, line %d: GoNB keeps the last definition, so this one is dead code", u.kind, strings.ReplaceAll(k, "~", "."), last.cell, last.line),
				Todo:     fmt.Sprintf("%s is redefined in a later cell; remove one of the definitions", strings.ReplaceAll(k, "~", ".")),
				keywords: []string{"redefin", "replaced", "dead"}}
			if u.kind != last.kind {
				s.Severity = Severe
				s.Message = fmt.Sprintf("%s %s is declared again as a %s in cell %d, line %d: GoNB keeps both and fails to build (\"%s redeclared\")", u.kind, k, last.kind, last.cell, last.line, k)
			}
			a.smell(u.cell, s)
		}
	}
}

// settle decides, for every smell of a cell, whether a note already covers it and whether a
// TODO can be written for it.
func (a *analyzer) settle(i int, cg *cellGo) {
	cn := &a.n.Cells[i]
	writable := cg.split != nil && cg.split.Magic == nil && cg.split.RunsGo
	for k := range cn.Smells {
		s := &cn.Smells[k]
		if !writable || s.Line > len(cg.lines) {
			s.Todo = ""
		}
		if s.Todo == "" {
			continue
		}
		s.Noted = noted(cg.lines, s)
	}
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.Itoa(x))
	}
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
