package extract

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbcell"
	"github.com/decant-go/decant/notebooks/gonbmem"
)

// GoNB builds a %wasm cell with GOOS=js GOARCH=wasm, together with every declaration it has
// memorized, and runs it in the browser inside a <div> of the cell's output; the constants
// GonbWasmDir, GonbWasmUrl and GonbWasmDivId tell the program where it is. Such a cell is not
// part of the server: it becomes a browser program of its own, web/cell<N>/main.go, built only
// for js/wasm (a //go:build js && wasm constraint), with web/index.html to run it and a
// `make wasm` target to build it. The notebook declarations it uses come from the service's
// package when the package exports them, and are copied into the program otherwise, which is
// what GoNB compiled.

// wasmDir is the directory of the browser programs in the service repository.
const wasmDir = "web"

// WasmProgram is a %wasm cell as a browser program.
type WasmProgram struct {
	Cell   int      `json:"cell"`
	CellID string   `json:"cell_id,omitempty"`
	Line   int      `json:"line"` // cell line of the first body line
	Dir    string   `json:"dir"`  // the program's package directory: web/cell<N>
	Args   []string `json:"args,omitempty"`
	// Uses are the service package's declarations the program calls through its import;
	// Copied the notebook declarations copied into it (unexported or not kept by the package).
	Uses   []string `json:"uses,omitempty"`
	Copied []string `json:"copied,omitempty"`

	decls   []*Decl // the cell's own declarations
	imports []Import
	body    string // the %% body; "" for a cell of declarations only
	// file is the program's source without its imports, ready for assemble.
	file string
	// libImport is the service package's import, when the program uses it.
	libImport *Import
}

// Name is the program's name: the base of its directory.
func (w *WasmProgram) Name() string { return strings.TrimPrefix(w.Dir, wasmDir+"/") }

// wasmCell reads a %wasm cell: its declarations and body, which are not memorized with the
// server's declarations, and its imports.
func (b *builder) wasmCell(c *notebooks.Cell, cp *CellPlan, cell *gonbcell.Cell) error {
	if cp.Label == "//decant:skip" {
		cp.Skipped = "%wasm cell, skipped"
		return nil
	}
	b.commands(c, cell)
	w := &WasmProgram{Cell: c.Index, CellID: c.ID, Dir: fmt.Sprintf("%s/cell%d", wasmDir, c.Index), Args: cell.Args}
	fset := token.NewFileSet()
	if !cell.Decls.Empty() {
		f, err := parsePart(fset, "decls", cell.Decls.Src)
		if err != nil {
			return b.unparsable(c, cp, b.cellErr(c, cell.Decls, err, "Go syntax error"))
		}
		src := filePrefix + cell.Decls.Src
		tf := fset.File(f.Pos())
		text := func(start, end token.Pos) string { return src[tf.Offset(start):tf.Offset(end)] }
		lineOf := func(p token.Pos) int { return partLine(cell.Decls, tf.Line(p)) }
		docOf := func(cg *ast.CommentGroup) string {
			if cg == nil {
				return ""
			}
			return text(cg.Pos(), cg.End())
		}
		decls, imports := gonbmem.Decls(f, c.Index, lineOf)
		for _, imp := range imports {
			i := Import{Path: imp.Path, Name: imp.Name}
			w.imports = append(w.imports, i)
			b.recordImport(c.Index, i, lineOf(imp.Spec.Pos()))
		}
		for _, gd := range decls {
			var dd *Decl
			switch {
			case gd.Main():
				d := gd.Func
				w.body = src[tf.Offset(d.Body.Lbrace)+1 : tf.Offset(d.Body.Rbrace)]
				w.Line = lineOf(d.Body.Lbrace)
				continue
			case gd.Func != nil:
				dd = b.funcDecl(c, gd, src, text, lineOf)
			case gd.Kind == "const":
				d := gd.Gen
				doc, code := docOf(d.Doc), text(d.Pos(), d.End())
				dd = &Decl{Kind: "const", Names: gd.Names, Key: gd.Key, Line: lineOf(d.Pos()), EndLine: lineOf(d.End()), doc: doc, code: code, text: joinDoc(doc, code)}
			default:
				dd = b.specDecl(c, gd, text, docOf, lineOf)
			}
			dd.Cell, dd.CellID, dd.Section = c.Index, c.ID, cp.Section
			dd.Exported = anyExported(dd.Names) && dd.Kind != "method"
			w.decls = append(w.decls, dd)
			cp.Decls = append(cp.Decls, dd.Key)
		}
	}
	if cell.Main != nil {
		body := cell.Main.Src
		if _, err := parser.ParseFile(fset, "main", filePrefix+"func _(){"+body+"\n}", parser.ParseComments|parser.SkipObjectResolution); err != nil {
			return b.unparsable(c, cp, b.cellErr(c, *cell.Main, err, "Go syntax error in the %% body"))
		}
		w.body, w.Line = body, cell.Main.FirstLine
	} else if cell.Exec != nil {
		w.body, w.Line = "\t"+cell.Exec.Func+"()\n", cell.MainLine
	}
	for strings.HasPrefix(w.body, "\n") || strings.HasPrefix(w.body, "\r\n") {
		_, w.body, _ = strings.Cut(w.body, "\n")
		w.Line++
	}
	w.body = strings.TrimRight(w.body, " \t\r\n")
	switch {
	case cp.Section == Exploration:
		cp.Skipped = "%wasm cell, not labeled"
		b.decide(c.Index, 0, "%wasm cell", "left out", "exploration: the cell is not labeled, so it becomes no browser program")
		return nil
	case w.body == "" && len(w.decls) == 0:
		cp.Skipped = "%wasm cell without Go code"
		b.decide(c.Index, 0, "%wasm cell", "dropped", "it has no Go code, so there is no browser program to build")
		return nil
	}
	b.plan.Wasm = append(b.plan.Wasm, w)
	if w.body == "" {
		b.decide(c.Index, 0, "%wasm cell", "converted", "its declarations serve the later %wasm cells' browser programs; it has no %% body, so no program of its own")
	} else {
		cp.Wasm = w.Dir
		b.decide(c.Index, w.Line, "%wasm cell", "converted", fmt.Sprintf("becomes the browser program %s (GOOS=js GOARCH=wasm, built by `make wasm`, run by %s/index.html); the server does not include it", w.Dir, wasmDir))
	}
	return nil
}

// recordImport records where a cell imports a package, for locating errors, without making it
// a candidate import of the service package.
func (b *builder) recordImport(cell int, imp Import, line int) {
	if b.plan.cellImports == nil {
		b.plan.cellImports = map[int][]Import{}
	}
	b.plan.cellImports[cell] = append(b.plan.cellImports[cell], imp)
	if _, ok := b.plan.importAt[imp.Path]; !ok {
		if b.plan.importAt == nil {
			b.plan.importAt = map[string][2]int{}
		}
		b.plan.importAt[imp.Path] = [2]int{cell, line}
	}
}

// wasmUnit is a declaration or the body placed in the program a %wasm cell is checked as.
type wasmUnit struct {
	decl       *Decl
	own        bool // declared by the cell itself (or the body)
	lib        bool // the service package's current declaration of its key
	start, end int
	text       string
}

// wasmPrograms decides, for each %wasm cell with a body, which notebook declarations its
// program uses and how (through the package or copied), and renders its source.
func (b *builder) wasmPrograms() {
	var earlier []*Decl // declarations of earlier %wasm cells: GoNB memorized them too
	for _, w := range b.plan.Wasm {
		if w.body != "" {
			b.wasmProgram(w, earlier)
		}
		earlier = append(earlier, w.decls...)
	}
}

func (b *builder) wasmProgram(w *WasmProgram, earlier []*Decl) {
	// The pool: what GoNB had memorized when it built the cell, last definition winning.
	pool := map[string]*wasmUnit{}
	var keys []string
	put := func(d *Decl, own, lib bool) {
		if _, ok := pool[d.Key]; !ok {
			keys = append(keys, d.Key)
		}
		pool[d.Key] = &wasmUnit{decl: d, own: own, lib: lib}
	}
	for _, d := range b.all {
		if cur, _ := b.mem.Get(d.Key); cur == d {
			put(d, false, true)
		}
	}
	for _, d := range earlier {
		put(d, false, false)
	}
	for _, d := range w.decls {
		put(d, true, false)
	}
	var src strings.Builder
	src.WriteString("package p\n")
	seenImp := map[string]bool{}
	for _, imp := range append(append([]Import(nil), w.imports...), b.plan.Imports...) {
		if !seenImp[imp.Path] {
			seenImp[imp.Path] = true
			fmt.Fprintf(&src, "import %s %q\n", imp.Name, imp.Path)
		}
	}
	var units []*wasmUnit
	for _, k := range keys {
		u := pool[k]
		u.text = joinDoc(u.decl.doc, u.decl.code) + "\n"
		u.start = src.Len()
		src.WriteString(u.text)
		u.end = src.Len()
		units = append(units, u)
	}
	consts := b.wasmConsts(w, pool)
	src.WriteString(consts)
	head := "func decantWasmMain() {\n"
	mainU := &wasmUnit{own: true, start: src.Len(), text: head + w.body + "\n}\n"}
	src.WriteString(mainU.text)
	mainU.end = src.Len()
	units = append(units, mainU)

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "wasm.go", src.String(), parser.ParseComments)
	if err != nil {
		b.decide(w.Cell, w.Line, "%wasm cell", "warning", "its code does not combine with the notebook's declarations: "+err.Error())
		w.file = b.wasmSource(w, nil, nil, nil, consts, "")
		return
	}
	pkg, info := gonbmem.Check(fset, "p", []*ast.File{f}, nil)
	tf := fset.File(f.Pos())
	deps := map[*wasmUnit][]*wasmUnit{}
	refs := map[*wasmUnit][]*ast.Ident{} // identifiers of own units naming pool units
	target := map[*ast.Ident]*wasmUnit{}
	packageUses(info, pkg, tf, units, func(id *ast.Ident, from, to *wasmUnit) {
		if from == to || to == mainU {
			return
		}
		deps[from] = append(deps[from], to)
		if from.own && !to.own {
			refs[from] = append(refs[from], id)
			target[id] = to
		}
	})
	// A type brings its methods.
	for _, u := range units {
		if u.decl != nil && u.decl.Kind == "method" {
			recv, _, _ := strings.Cut(u.decl.Key, "~")
			if t := pool[recv]; t != nil {
				deps[t] = append(deps[t], u)
			}
		}
	}
	// Declarations the package serves: exported, kept, not a method. The others are copied,
	// with everything they use.
	served := func(u *wasmUnit) bool {
		d := u.decl
		return u.lib && d.Kept && d.Exported && d.Kind != "method"
	}
	copied := map[*wasmUnit]bool{}
	var copyAll func(u *wasmUnit)
	copyAll = func(u *wasmUnit) {
		if copied[u] || u.own {
			return
		}
		copied[u] = true
		for _, d := range deps[u] {
			copyAll(d)
		}
	}
	for _, ids := range refs {
		for _, id := range ids {
			if t := target[id]; !served(t) {
				copyAll(t)
			}
		}
	}
	alias := b.wasmAlias(w, units, copied)
	// Edits of the own units' text: qualify what the package serves.
	edits := map[*wasmUnit][]wasmEdit{}
	usesLib := map[string]bool{}
	for u, ids := range refs {
		for _, id := range ids {
			t := target[id]
			if copied[t] {
				continue
			}
			off := tf.Offset(id.Pos()) - u.start
			e := wasmEdit{off: off, insert: alias + "."}
			edits[u] = append(edits[u], e)
			if t.decl.lazyInit != "" || strings.Contains(t.decl.code, "sync.OnceValue(") {
				edits[u] = append(edits[u], wasmEdit{off: off + len(id.Name), insert: "()"})
			}
			usesLib[t.decl.Key] = true
		}
	}
	for k := range usesLib {
		w.Uses = append(w.Uses, k)
	}
	sort.Strings(w.Uses)
	var copies []*wasmUnit
	for _, u := range units {
		if copied[u] {
			copies = append(copies, u)
			w.Copied = append(w.Copied, u.decl.Key)
		}
	}
	if len(w.Uses) > 0 {
		w.libImport = &Import{Path: b.plan.Module + "/" + b.plan.Slug}
		if alias != b.plan.Slug {
			w.libImport.Name = alias
		}
	}
	var own []*wasmUnit
	for _, u := range units {
		if u.own && u != mainU {
			own = append(own, u)
		}
	}
	body := applyWasmEdits(mainU.text, edits[mainU])
	body = strings.TrimSuffix(strings.TrimPrefix(body, head), "\n}\n")
	ownText := map[*wasmUnit]string{}
	for _, u := range own {
		ownText[u] = applyWasmEdits(u.text, edits[u])
	}
	w.file = b.wasmSource(w, own, ownText, copies, consts, body)
	for _, u := range copies {
		why := "the service package does not export it"
		if u.lib && !u.decl.Kept {
			why = "the service package leaves it out"
		} else if !u.lib {
			why = fmt.Sprintf("it is declared by the %%wasm cell %d", u.decl.Cell)
		}
		b.decide(u.decl.Cell, u.decl.Line, u.decl.Kind+" "+u.decl.Key, "converted",
			fmt.Sprintf("copied into the browser program %s, which uses it: %s", w.Dir, why))
	}
}

type wasmEdit struct {
	off    int
	insert string
}

func applyWasmEdits(text string, edits []wasmEdit) string {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].off > edits[j].off })
	for _, e := range edits {
		if e.off < 0 || e.off > len(text) {
			continue
		}
		text = text[:e.off] + e.insert + text[e.off:]
	}
	return text
}

var identRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// wasmAlias is the name the program imports the service package as: its name, unless the
// program's code already uses that name for something else.
func (b *builder) wasmAlias(w *WasmProgram, units []*wasmUnit, copied map[*wasmUnit]bool) string {
	used := map[string]bool{"main": true, "flag": true}
	for _, imp := range w.imports {
		used[importName(imp)] = true
	}
	for _, u := range units {
		if u.own || copied[u] {
			for _, id := range identRE.FindAllString(u.text, -1) {
				used[id] = true
			}
		}
	}
	alias := b.plan.Slug
	for i := 2; used[alias]; i++ {
		alias = b.plan.Slug + strconv.Itoa(i)
		if i == 2 {
			alias = b.plan.Slug + "pkg"
		}
	}
	return alias
}

// wasmConsts declares the constants GoNB gave the cell, those its code uses and does not
// declare itself. In the service the program's files are in web/, served at the root, and
// index.html gives it a <div> with the program's name as id.
func (b *builder) wasmConsts(w *WasmProgram, pool map[string]*wasmUnit) string {
	var text strings.Builder
	text.WriteString(w.body)
	for _, u := range pool {
		text.WriteString(u.decl.code)
	}
	values := [][2]string{{"GonbWasmDir", wasmDir}, {"GonbWasmUrl", "/"}, {"GonbWasmDivId", w.Name()}}
	var sb strings.Builder
	for _, kv := range values {
		if _, declared := pool[kv[0]]; declared || !regexp.MustCompile(`\b`+kv[0]+`\b`).MatchString(text.String()) {
			continue
		}
		fmt.Fprintf(&sb, "const %s = %q\n", kv[0], kv[1])
	}
	return sb.String()
}

// wasmSource is the program's file, without imports.
func (b *builder) wasmSource(w *WasmProgram, own []*wasmUnit, ownText map[*wasmUnit]string, copies []*wasmUnit, consts, body string) string {
	var sb strings.Builder
	if consts != "" {
		sb.WriteString("// The values GoNB gave a %wasm cell: the directory and URL its files are served from, and\n")
		sb.WriteString("// the id of the <div> it draws into, which web/index.html creates.\n")
		sb.WriteString(strings.Replace(strings.ReplaceAll(consts, "const ", "\t"), "\t", "const (\n\t", 1))
		sb.WriteString(")\n\n")
	}
	for _, u := range copies {
		sb.WriteString(docWithNote(u.decl.doc, b.plan.note(u.decl.Cell)))
		sb.WriteString("\n")
		sb.WriteString(u.decl.code)
		sb.WriteString("\n\n")
	}
	for _, u := range own {
		d := u.decl
		t := ownText[u]
		code := t
		if d.doc != "" && strings.HasPrefix(t, d.doc) {
			code = strings.TrimPrefix(strings.TrimPrefix(t, d.doc), "\n")
		}
		sb.WriteString(docWithNote(d.doc, b.plan.note(d.Cell)))
		sb.WriteString("\n")
		sb.WriteString(strings.TrimRight(code, "\n"))
		sb.WriteString("\n\n")
	}
	if strings.Contains(sb.String()+body, "flag.") && !strings.Contains(body, "flag.Parse()") {
		sb.WriteString("// init parses the command line before main, as GoNB's main did first: the arguments are those\n")
		sb.WriteString("// web/index.html gives the program (the cell's %% line).\nfunc init() {\n\tflag.Parse()\n}\n\n")
	}
	fmt.Fprintf(&sb, "// main runs the %%%% body of the notebook's %%wasm cell.\n//\n// %s\n", b.plan.note(w.Cell))
	fmt.Fprintf(&sb, "func main() {\n%s\n}\n", body)
	return sb.String()
}

// renderWasm adds the browser programs, their page and their build to out.
func (p *Plan) renderWasm(out *Output) error {
	var progs []*WasmProgram
	for _, w := range p.Wasm {
		if w.body != "" {
			progs = append(progs, w)
		}
	}
	if len(progs) == 0 {
		return nil
	}
	for _, w := range progs {
		name := w.Dir + "/main.go"
		header := fmt.Sprintf("//go:build js && wasm\n\n// Command %s is the browser program of cell %d of %s, a %%wasm cell: GoNB built it\n", w.Name(), w.Cell, p.Notebook)
		header += fmt.Sprintf("// with GOOS=js GOARCH=wasm and ran it in the cell's output. `make wasm` builds it into\n// %s/%s.wasm; %s/index.html runs it.\npackage main\n\n", wasmDir, w.Name(), wasmDir)
		cands := append([]Import(nil), w.imports...)
		var forced []Import
		for _, imp := range w.imports {
			if imp.Name == "_" || imp.Name == "." {
				forced = append(forced, imp)
			}
		}
		for _, imp := range p.Imports {
			if imp.Name != "_" && imp.Name != "." {
				cands = append(cands, imp)
			}
		}
		if w.libImport != nil {
			cands = append([]Import{*w.libImport}, cands...)
		}
		local := map[string]bool{"main": true, "GonbWasmDir": true, "GonbWasmUrl": true, "GonbWasmDivId": true}
		for _, d := range w.decls {
			for _, n := range d.Names {
				local[n] = true
			}
		}
		for _, k := range w.Copied {
			for _, d := range p.Decls {
				if d.Key == k {
					for _, n := range d.Names {
						local[n] = true
					}
				}
			}
		}
		src, err := p.assemble(name, header, w.file, cands, forced, local, !p.noModuleSearch)
		if err != nil {
			return fmt.Errorf("rendering the browser program of cell %d: %w", w.Cell, err)
		}
		out.addFormatted(name, src)
	}
	out.Files[wasmDir+"/index.html"] = p.renderWasmPage(progs)
	return nil
}

// renderWasmPage is the page that runs every browser program, each in its own <div>, with the
// arguments of its cell's %% line.
func (p *Plan) renderWasmPage(progs []*WasmProgram) []byte {
	var sb strings.Builder
	sb.WriteString("<!doctype html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&sb, "<title>%s: browser programs</title>\n", p.Slug)
	fmt.Fprintf(&sb, "<!-- The %%wasm cells of %s. Build them with `make wasm`, then serve this directory. -->\n", htmlText(p.Notebook))
	sb.WriteString("<script src=\"wasm_exec.js\"></script>\n</head>\n<body>\n")
	for _, w := range progs {
		fmt.Fprintf(&sb, "<h2>cell %d</h2>\n<div id=\"%s\"></div>\n<script>\n(() => {\n\tconst go = new Go();\n", w.Cell, w.Name())
		args := []string{`"js"`}
		for _, a := range w.Args {
			args = append(args, strconv.Quote(a))
		}
		fmt.Fprintf(&sb, "\tgo.argv = [%s];\n", htmlText(strings.Join(args, ", ")))
		fmt.Fprintf(&sb, "\tWebAssembly.instantiateStreaming(fetch(\"%s.wasm\"), go.importObject).then((r) => go.run(r.instance));\n})();\n</script>\n", w.Name())
	}
	sb.WriteString("</body>\n</html>\n")
	return []byte(sb.String())
}

func htmlText(s string) string {
	return strings.NewReplacer("<", "\\u003c", ">", "\\u003e", "&", "\\u0026").Replace(s)
}

// wasmPrograms lists the browser programs that have a body, in notebook order.
func (p *Plan) wasmPrograms() []*WasmProgram {
	var progs []*WasmProgram
	for _, w := range p.Wasm {
		if w.body != "" {
			progs = append(progs, w)
		}
	}
	return progs
}

// wasmMakefile is the Makefile's wasm target.
func (p *Plan) wasmMakefile() string {
	progs := p.wasmPrograms()
	if len(progs) == 0 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "# The notebook's %%wasm cells run in the browser: each is a program in %s/cell<N>, built for\n", wasmDir)
	fmt.Fprintf(&sb, "# js/wasm into %s/cell<N>.wasm next to Go's wasm_exec.js. Serve %s/ with any static file\n# server and open index.html.\n", wasmDir, wasmDir)
	sb.WriteString("wasm:\n")
	for _, w := range progs {
		fmt.Fprintf(&sb, "\tGOOS=js GOARCH=wasm go build -trimpath -o %s/%s.wasm ./%s\n", wasmDir, w.Name(), w.Dir)
	}
	fmt.Fprintf(&sb, "\tcp \"$$(go env GOROOT)/lib/wasm/wasm_exec.js\" %s/\n\n", wasmDir)
	return sb.String()
}

// wasmReadme is the README's section on the browser programs.
func (p *Plan) wasmReadme() string {
	progs := p.wasmPrograms()
	if len(progs) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("## Browser programs (%wasm cells)\n\n")
	sb.WriteString("GoNB built each `%wasm` cell with `GOOS=js GOARCH=wasm` and ran it in the browser, in the cell's output.\n")
	fmt.Fprintf(&sb, "Each is a program of its own in `%s/`, built only for js/wasm (`//go:build js && wasm`), so the\n", wasmDir)
	sb.WriteString("server and `go build ./...` leave it out. The constants `GonbWasmDir`, `GonbWasmUrl` and `GonbWasmDivId`\n")
	fmt.Fprintf(&sb, "that GoNB gave the cell now name `%s/`, its root URL and the `<div>` that `%s/index.html` makes for it.\n\n", wasmDir, wasmDir)
	fmt.Fprintf(&sb, "```sh\nmake wasm                           # builds %s/cell<N>.wasm and copies Go's wasm_exec.js\n", wasmDir)
	fmt.Fprintf(&sb, "cd %s && python3 -m http.server      # or any static file server; open index.html\n```\n\n", wasmDir)
	sb.WriteString("| program | cell | arguments | uses from the package | copied in |\n|---|---|---|---|---|\n")
	for _, w := range progs {
		fmt.Fprintf(&sb, "| `%s` | %d | `%s` | %s | %s |\n", w.Dir, w.Cell, strings.ReplaceAll(strings.Join(w.Args, " "), "|", "\\|"), codeList(w.Uses), codeList(w.Copied))
	}
	sb.WriteString("\n")
	return sb.String()
}

func codeList(names []string) string {
	if len(names) == 0 {
		return "—"
	}
	var out []string
	for _, n := range names {
		out = append(out, "`"+n+"`")
	}
	return strings.Join(out, ", ")
}

// wasmOrigin is where a declaration of a browser program came from: the %wasm cell's own
// declarations, or the declarations copied from other cells.
func (p *Plan) wasmOrigin(cell int, key string) (origin, bool) {
	for _, w := range p.Wasm {
		if w.Cell != cell {
			continue
		}
		for _, d := range w.decls {
			if d.Key == key {
				return origin{decl: d}, true
			}
		}
	}
	for _, d := range p.Decls {
		if d.Cell == cell && d.Key == key {
			return origin{decl: d}, true
		}
	}
	return origin{}, false
}

// wasmMainLine is the cell line of the first body line of a browser program's main, which
// the package's declaration index leaves out (a main is never memorized).
func (p *Plan) wasmMainLine(file string, s Span) (int, bool) {
	if !strings.HasPrefix(file, wasmDir+"/") || s.What != "func main" {
		return 0, false
	}
	for _, w := range p.Wasm {
		if w.Cell == s.Cell && w.body != "" {
			return w.Line, true
		}
	}
	return 0, false
}
