package extract

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Notebooks often make a file with a shell line and read it from Go in a later cell:
//
//	!*mktemp -d > TMP_PKG.txt
//	...
//	func init_TmpPkg() { TmpPkg = string(Must(os.ReadFile(path.Join(os.Getenv("GONB_TMP_DIR"), "TMP_PKG.txt")))) }
//
// The service does not run shell lines; `make setup` does. So code that reads such a file is
// reported at its cell and line with the shell line that writes it; the emitted tests replay
// the pipeline only when the file is there (they skip, saying why, when it is not); an init
// function that reads it becomes a function Run calls first, since as an init it would fail
// every test and every importer of the package where the file is missing; and, when the code
// looks for the file in GoNB's temporary module ($GONB_TMP_DIR, where !* lines ran), the
// Makefile points GONB_TMP_DIR at the module root, where `make setup` runs them.

// ShellFile is a file a shell line of the notebook writes and kept code reads.
type ShellFile struct {
	Name string `json:"name"` // as the shell line and the code write it
	Cell int    `json:"cell"` // the shell line
	Line int    `json:"line"`
	// ReadBy is the declaration or step that reads it, and ReadAt its cell and line.
	ReadBy string `json:"read_by"`
	ReadAt [2]int `json:"read_at"`
	// InTmp says the code looks for it in $GONB_TMP_DIR.
	InTmp bool `json:"in_gonb_tmp_dir,omitempty"`
}

// shellWriteRE finds the files a shell line writes: redirections (> f, >> f, not 2>&1),
// tee, touch, and the -o / -O of curl and wget.
var shellWriteRE = regexp.MustCompile(`(?:^|[^0-9&>])>>?\s*([^\s&|;<>()]+)|\btee\s+(?:-a\s+)?([^\s&|;<>()]+)|\btouch\s+([^\s&|;<>()]+)|\b(?:curl|wget)\b[^|;&]*?\s-[oO]\s*([^\s&|;<>()]+)`)

// shellWrites lists the files a shell command writes, as written, without quotes. Names with
// shell expansions and devices are left out: the code cannot name them literally.
func shellWrites(cmd string) []string {
	var out []string
	for _, m := range shellWriteRE.FindAllStringSubmatch(cmd, -1) {
		for _, g := range m[1:] {
			if g == "" {
				continue
			}
			g = strings.Trim(g, `"'`)
			if g == "" || strings.ContainsAny(g, "$`*?") || strings.HasPrefix(g, "/dev/") || strings.HasPrefix(g, "&") {
				continue
			}
			out = append(out, g)
		}
	}
	return out
}

// shellFiles finds kept code reading files that the notebook's shell lines write.
func (b *builder) shellFiles() {
	type writer struct {
		cell, line int
	}
	writes := map[string]writer{}
	var names []string
	for _, sh := range b.plan.Shell {
		if sh.Script != "" {
			continue
		}
		for _, f := range shellWrites(sh.Command) {
			f = path.Clean(f)
			if _, ok := writes[f]; !ok {
				writes[f] = writer{sh.Cell, sh.Line}
				names = append(names, f)
			}
		}
	}
	if len(writes) == 0 {
		return
	}
	shipped := map[string]bool{}
	for _, a := range b.plan.Assets {
		shipped[path.Clean(a.Path)] = true
	}
	match := func(lit string) (string, bool) {
		lit = path.Clean(lit)
		for _, n := range names {
			if !shipped[n] && (lit == n || lit == path.Base(n) && !strings.Contains(lit, "/")) {
				return n, true
			}
		}
		return "", false
	}
	seen := map[string]bool{}
	check := func(cell, line int, subject, text string, d *Decl) {
		for _, lit := range stringLiterals(text) {
			n, ok := match(lit)
			if !ok || seen[subject+"\x00"+n] {
				continue
			}
			seen[subject+"\x00"+n] = true
			w := writes[n]
			sf := ShellFile{Name: n, Cell: w.cell, Line: w.line, ReadBy: subject, ReadAt: [2]int{cell, line}, InTmp: strings.Contains(text, "GONB_TMP_DIR")}
			b.plan.ShellFiles = append(b.plan.ShellFiles, sf)
			b.decide(cell, line, subject, "warning", fmt.Sprintf("reads %s, which the shell line of cell %d, line %d writes when the notebook runs; the service does not run shell lines (`make setup` does), so the emitted tests replay the pipeline only where the file is there", n, w.cell, w.line))
			if d != nil && d.Kind == "func" && (d.Key == "init" || strings.HasPrefix(d.Key, "init_")) {
				b.deferInit(d, n)
			}
		}
	}
	for _, d := range b.plan.Decls {
		if d.Kept {
			check(d.Cell, d.Line, d.Kind+" "+d.Key, d.code, d)
		}
	}
	for _, st := range b.plan.Steps {
		if st.Kept {
			check(st.Cell, st.Line, "%% body", st.Body, nil)
		}
	}
}

// deferInit turns an init function that reads a file a shell line writes into a function Run
// calls first.
func (b *builder) deferInit(d *Decl, file string) {
	name := d.Key
	if name == "init" {
		name = "notebookInit"
	}
	for _, f := range b.plan.RunFirst {
		if f == name {
			return
		}
	}
	d.code = strings.Replace(d.code, "func init(", "func "+name+"(", 1)
	d.text = joinDoc(d.doc, d.code)
	b.plan.RunFirst = append(b.plan.RunFirst, name)
	reason := fmt.Sprintf("kept as func %s, which Run calls before the first step: it reads %s, which a shell line writes, so as an init it would fail every test and every importer of the package where the file is missing", name, file)
	for i, dc := range b.plan.Decisions {
		if dc.Cell == d.Cell && dc.Line == d.Line && dc.Subject == "func "+d.Key && dc.Action == "converted" {
			b.plan.Decisions[i].Reason = reason
			return
		}
	}
	b.decide(d.Cell, d.Line, "func "+d.Key, "converted", reason)
}

// stringLiterals returns the string literals of a declaration or a statement list.
func stringLiterals(text string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", "package p;"+text, parser.SkipObjectResolution)
	if err != nil {
		f, err = parser.ParseFile(fset, "", "package p;func _(){"+text+"\n}", parser.SkipObjectResolution)
		if err != nil {
			return nil
		}
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && s != "" {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

// needsGonbTmpDir reports whether kept code looks for a shell-written file in $GONB_TMP_DIR.
func (p *Plan) needsGonbTmpDir() bool {
	for _, sf := range p.ShellFiles {
		if sf.InTmp {
			return true
		}
	}
	return false
}

// renderShellFileGuard writes the test helper that skips, saying why, when a file a shell
// line writes is not there.
func (p *Plan) renderShellFileGuard(sb *strings.Builder) {
	sb.WriteString("// requireShellFiles skips the test unless the files that the notebook's shell lines wrote, and\n")
	sb.WriteString("// that its code reads, are there: the service does not run shell lines, `make setup` does.\n")
	sb.WriteString("func requireShellFiles(t *testing.T) {\n\tt.Helper()\n")
	seen := map[string]bool{}
	for _, sf := range p.ShellFiles {
		if seen[sf.Name] {
			continue
		}
		seen[sf.Name] = true
		where := fmt.Sprintf("%q", sf.Name)
		how := fmt.Sprintf("run that line (the Makefile's setup target has it) in %s/, where the tests and make run run, first", p.Slug)
		if sf.InTmp {
			where = fmt.Sprintf("filepath.Join(os.Getenv(\"GONB_TMP_DIR\"), %q)", sf.Name)
			how = "run that line (the Makefile's setup target has it) from the module root first; the Makefile sets GONB_TMP_DIR to it"
		}
		fmt.Fprintf(sb, "\tif _, err := os.Stat(%s); err != nil {\n", where)
		fmt.Fprintf(sb, "\t\tt.Skip(%q)\n\t}\n",
			fmt.Sprintf("%s (cell %d, line %d) reads %s, which the shell line of cell %d, line %d writes when the notebook runs; it is not there, so the pipeline is not replayed: %s", sf.ReadBy, sf.ReadAt[0], sf.ReadAt[1], sf.Name, sf.Cell, sf.Line, how))
	}
	sb.WriteString("}\n\n")
}
