package refactor

import (
	"bytes"
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/internal/recognize"
	"github.com/decant-go/decant/refactor/edit"
)

// configFile is the file the config pass writes into each package it changes.
const configFile = "config.go"

// ioArgs names, per function or method (package path + "." + name), the argument that is a
// path, data source, address or URL, and what to call the setting.
var ioArgs = map[string]struct {
	arg  int
	name string
}{
	"database/sql.Open":       {1, "DSN"},
	"os.Open":                 {0, "Path"},
	"os.OpenFile":             {0, "Path"},
	"os.ReadFile":             {0, "Path"},
	"os.WriteFile":            {0, "Path"},
	"os.Create":               {0, "Path"},
	"os.ReadDir":              {0, "Dir"},
	"net/http.Get":            {0, "URL"},
	"net/http.Post":           {0, "URL"},
	"net/http.Head":           {0, "URL"},
	"net/http.NewRequest":     {1, "URL"},
	"net/http.ListenAndServe": {0, "Addr"},
	"net.Listen":              {1, "Addr"},
	"net.Dial":                {1, "Addr"},
}

// setting is one hard-coded value that becomes a Config field.
type setting struct {
	field, flag, env string
	value            string
	secret           bool
	origin           string   // where the literal was, for the field comment
	doc              []string // comment lines of the removed declaration
}

// configPass lifts hard-coded paths, DSNs, URLs and ports of library packages into a Config
// struct in config.go with the literal as the default. The library registers no flags and
// reads no command line: until a program calls SetConfig, the configuration is the defaults
// overridden by the environment. The module's commands that import the package register the
// Config's flags on their own flag set (flag.CommandLine before flag.Parse in main, or the
// FlagSet a parse function makes) and call SetConfig after parsing, so flags override the
// environment, which overrides the defaults. Secrets get no default: SetConfig reports a
// missing one, and reading the configuration without it panics with a message naming the
// flag and the variable.
func (r *runner) configPass() ([]Change, []string, error) {
	return r.perPackage((*view).configPackage)
}

func (v *view) configPackage(p *packages.Package) (*Change, []string) {
	info := p.TypesInfo
	var notes []string
	dir := ""
	var cfgPath string
	for _, f := range p.Syntax {
		fp := v.rel(v.fset.Position(f.Pos()).Filename)
		dir = path.Dir(fp)
		if path.Base(fp) == configFile {
			cfgPath = fp
		}
	}
	if cfgPath != "" {
		return nil, nil // configured already (this pass's own output, or the author's)
	}
	uses := v.packageUses(p)
	ioUse := ioArguments(info, p)
	var sets []*setting
	es := edit.Set{}
	taken := map[string]bool{}
	newField := func(base string) string {
		name := base
		for i := 2; taken[name]; i++ {
			name = base + strconv.Itoa(i)
		}
		taken[name] = true
		return name
	}
	pkgUpper := strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))
	add := func(field string, val string, secret bool, origin string, doc []string) *setting {
		field = newField(field)
		s := &setting{field: field, flag: kebab(field), env: pkgUpper + "_" + strings.ToUpper(strings.ReplaceAll(kebab(field), "-", "_")),
			value: val, secret: secret, origin: origin, doc: doc}
		sets = append(sets, s)
		return s
	}
	access := func(s *setting) string { return "currentConfig()." + s.field }
	isIO := func(e ast.Expr) (string, bool) { n, ok := ioUse[e]; return n, ok }

	// Package-level constants and variables holding such a value.
	for _, f := range p.Syntax {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				if len(vs.Names) != 1 || len(vs.Values) != 1 {
					continue
				}
				lit, ok := vs.Values[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				obj := info.Defs[vs.Names[0]]
				val, _ := strconv.Unquote(lit.Value)
				ids := uses[obj]
				io := false
				for _, id := range ids {
					if _, ok := isIO(id); ok {
						io = true
					}
				}
				secret := recognize.SecretName(vs.Names[0].Name) || recognize.HasPassword(val)
				if !io && !secret && !recognize.URL(val) && !recognize.DSN(val) && !recognize.Addr(val) {
					continue
				}
				where := fmt.Sprintf("%s:%d", v.rel(v.fset.Position(vs.Pos()).Filename), v.fset.Position(vs.Pos()).Line)
				if gd.Tok == token.VAR && v.assigned(obj) {
					notes = append(notes, fmt.Sprintf("config: %s (%s) is assigned to; left as a variable", vs.Names[0].Name, where))
					continue
				}
				if bad := v.constContext(ids); bad != "" {
					notes = append(notes, fmt.Sprintf("config: %s (%s) is used in a constant expression at %s; left alone", vs.Names[0].Name, where, bad))
					continue
				}
				var doc []string
				if cg := vs.Doc; cg != nil {
					doc = commentLines(cg)
				} else if gd.Doc != nil && len(gd.Specs) == 1 {
					doc = commentLines(gd.Doc)
				}
				s := add(exportName(vs.Names[0].Name), val, secret, where, doc)
				// Remove the declaration (the whole decl when it declares only this).
				var to ast.Node = vs
				start := vs.Pos()
				if vs.Doc != nil {
					start = vs.Doc.Pos()
				}
				if len(gd.Specs) == 1 {
					to = gd
					start = gd.Pos()
					if gd.Doc != nil {
						start = gd.Doc.Pos()
					}
				}
				fpath, so := v.off(start)
				_, eo := v.off(to.End())
				src := v.r.cur[fpath]
				for eo < len(src) && src[eo] == '\n' {
					eo++
				}
				es.Add(fpath, edit.Edit{Start: so, End: eo})
				for _, id := range ids {
					ip, s1 := v.off(id.Pos())
					_, e1 := v.off(id.End())
					es.Add(ip, edit.Edit{Start: s1, End: e1, New: access(s)})
				}
			}
		}
	}
	// Literals written straight into an I/O call, in source order so that field names and
	// their numbering are the same on every run.
	var lits []*ast.BasicLit
	for e := range ioUse {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			lits = append(lits, lit)
		}
	}
	slices.SortFunc(lits, func(a, b *ast.BasicLit) int { return cmp.Compare(a.Pos(), b.Pos()) })
	for _, lit := range lits {
		name := ioUse[lit]
		val, _ := strconv.Unquote(lit.Value)
		pos := v.fset.Position(lit.Pos())
		s := add(name, val, recognize.HasPassword(val), fmt.Sprintf("%s:%d", v.rel(pos.Filename), pos.Line), nil)
		fp, so := v.off(lit.Pos())
		_, eo := v.off(lit.End())
		es.Add(fp, edit.Edit{Start: so, End: eo, New: access(s)})
	}
	if len(sets) == 0 {
		return nil, notes
	}
	if p.Name == "main" {
		return nil, append(notes, fmt.Sprintf("config: package main in %s hard-codes %d settings (%s); a command reads its own flags, so they were left for review",
			dir, len(sets), settingNames(sets)))
	}
	for _, name := range []string{"Config", "DefaultConfig", "currentConfig", "CurrentConfig", "SetConfig", "configInEffect"} {
		if p.Types.Scope().Lookup(name) != nil {
			return nil, append(notes, fmt.Sprintf("config: %s already declares %s; not generating a Config", p.PkgPath, name))
		}
	}
	slices.SortFunc(sets, func(a, b *setting) int { return strings.Compare(a.origin, b.origin) })
	cfgPath = path.Join(dir, configFile)
	if dir == "." {
		cfgPath = configFile
	}
	c := &Change{Pass: PassConfig, edits: es, create: map[string][]byte{cfgPath: configSource(p.Name, sets)}, imports: map[string][]string{}}
	wired, cmdNotes := v.wireCommands(p, c)
	notes = append(notes, cmdNotes...)
	c.Title = fmt.Sprintf("lift %d hard-coded settings of %s into Config (%s)", len(sets), p.Name, settingNames(sets))
	var why []string
	for _, s := range sets {
		if s.secret {
			why = append(why, fmt.Sprintf("%s (%s) looks like a secret: no default, -%s or $%s is required", s.field, s.origin, s.flag, s.env))
		} else {
			why = append(why, fmt.Sprintf("%s=%q (%s) comes from -%s, else $%s, else the old value", s.field, s.value, s.origin, s.flag, s.env))
		}
	}
	c.Why = "hard-coded paths, data sources, URLs and addresses differ between machines: " + strings.Join(why, "; ") + "."
	if len(wired) > 0 {
		c.Why += fmt.Sprintf(" The library registers no flags itself; %s now register the flags and call SetConfig after parsing.", joinAnd(wired))
	}
	return c, notes
}

// packageUses lists the uses, in every loaded package, of p's package-level constants and
// variables, by object.
func (v *view) packageUses(p *packages.Package) map[types.Object][]*ast.Ident {
	uses := map[types.Object][]*ast.Ident{}
	for _, q := range v.all {
		for id, obj := range q.TypesInfo.Uses {
			if obj != nil && obj.Pkg() == p.Types && obj.Parent() == p.Types.Scope() {
				uses[obj] = append(uses[obj], id)
			}
		}
	}
	for _, ids := range uses {
		slices.SortFunc(ids, func(a, b *ast.Ident) int { return cmp.Compare(a.Pos(), b.Pos()) })
	}
	return uses
}

// ioArguments records the identifiers and literals of p in I/O argument positions (see
// ioArgs), with the name of the setting each would become.
func ioArguments(info *types.Info, p *packages.Package) map[ast.Expr]string {
	ioUse := map[ast.Expr]string{}
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := typeutilCallee(info, call).(*types.Func)
			if !ok || fn.Pkg() == nil {
				return true
			}
			spec, ok := ioArgs[fn.Pkg().Path()+"."+fn.Name()]
			if ok && spec.arg < len(call.Args) {
				ioUse[ast.Unparen(call.Args[spec.arg])] = spec.name
			}
			return true
		})
	}
	return ioUse
}

func settingNames(sets []*setting) string {
	var n []string
	for _, s := range sets {
		n = append(n, s.field)
	}
	return strings.Join(n, ", ")
}

// assigned reports whether a package-level variable is ever assigned or has its address taken.
func (v *view) assigned(obj types.Object) bool {
	found := false
	for _, p := range v.all {
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						if id, ok := ast.Unparen(l).(*ast.Ident); ok && p.TypesInfo.Uses[id] != nil && sameObj(v, p.TypesInfo.Uses[id], obj) {
							found = true
						}
					}
				case *ast.UnaryExpr:
					if id, ok := ast.Unparen(n.X).(*ast.Ident); ok && n.Op == token.AND && sameObj(v, p.TypesInfo.Uses[id], obj) {
						found = true
					}
				}
				return !found
			})
		}
	}
	return found
}

func sameObj(v *view, a, b types.Object) bool {
	return a != nil && b != nil && v.fset.Position(a.Pos()) == v.fset.Position(b.Pos())
}

// constContext returns the position of a use of the identifiers that needs a constant, or "".
func (v *view) constContext(ids []*ast.Ident) string {
	for _, p := range v.all {
		for _, f := range p.Syntax {
			bad := ""
			ast.Inspect(f, func(n ast.Node) bool {
				var inConst []ast.Node
				switch n := n.(type) {
				case *ast.GenDecl:
					if n.Tok == token.CONST {
						inConst = append(inConst, n)
					}
				case *ast.ArrayType:
					if n.Len != nil {
						inConst = append(inConst, n.Len)
					}
				case *ast.CaseClause:
					for _, e := range n.List {
						inConst = append(inConst, e)
					}
				}
				for _, c := range inConst {
					for _, id := range ids {
						if id.Pos() >= c.Pos() && id.End() <= c.End() && v.fset.File(id.Pos()) == v.fset.File(c.Pos()) {
							pos := v.fset.Position(id.Pos())
							bad = fmt.Sprintf("%s:%d", v.rel(pos.Filename), pos.Line)
						}
					}
				}
				return bad == ""
			})
			if bad != "" {
				return bad
			}
		}
	}
	return ""
}

var configTODO = regexp.MustCompile(`(?i)^TODO\b.*config`)

// commentLines returns the lines of cg, without TODOs about configuration (done now) and
// without leading or doubled blank lines.
func commentLines(cg *ast.CommentGroup) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(cg.Text()), "\n") {
		l = strings.TrimSpace(l)
		if configTODO.MatchString(l) || (l == "" && (len(out) == 0 || out[len(out)-1] == "")) {
			continue
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

var initialisms = map[string]string{"db": "DB", "dsn": "DSN", "url": "URL", "uri": "URI", "id": "ID", "api": "API",
	"http": "HTTP", "https": "HTTPS", "sql": "SQL", "ip": "IP", "tcp": "TCP", "json": "JSON", "csv": "CSV"}

// exportName turns dbPath into DBPath and api_key into APIKey.
func exportName(s string) string {
	var sb strings.Builder
	for _, w := range camelWords(strings.ReplaceAll(s, "_", " ")) {
		for _, part := range strings.Fields(w) {
			if up, ok := initialisms[strings.ToLower(part)]; ok {
				sb.WriteString(up)
			} else {
				sb.WriteString(upperFirst(part))
			}
		}
	}
	return sb.String()
}

// kebab turns DBPath into db-path.
func kebab(s string) string {
	var sb strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
			sb.WriteByte('-')
		}
		sb.WriteRune(unicode.ToLower(r))
	}
	return sb.String()
}

// configSource renders config.go.
func configSource(pkg string, sets []*setting) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("package %s\n\n", pkg)
	w("import (\n\t\"flag\"\n\t\"fmt\"\n\t\"os\"\n\t\"sync/atomic\"\n)\n\n")
	w("// Config holds settings that used to be hard-coded. Each comes from its flag when the\n")
	w("// program registered the flags (RegisterFlags) and the flag is given, else from its\n")
	w("// environment variable, else from its default.\n")
	w("type Config struct {\n")
	for _, s := range sets {
		for _, d := range s.doc {
			w("\t//%s\n", strings.TrimRight(" "+d, " "))
		}
		if len(s.doc) > 0 {
			w("\t//\n")
		}
		if s.secret {
			w("\t// Required (a secret, so it has no default): -%s or $%s.\n", s.flag, s.env)
		} else {
			w("\t// Flag -%s, environment $%s; it was the literal at %s.\n", s.flag, s.env, s.origin)
		}
		w("\t%s string\n", s.field)
	}
	w("}\n\n")
	w("// DefaultConfig returns the configuration with every default filled in.\n")
	w("func DefaultConfig() Config {\n\treturn Config{\n")
	for _, s := range sets {
		if !s.secret {
			w("\t\t%s: %s,\n", s.field, strconv.Quote(s.value))
		}
	}
	w("\t}\n}\n\n")
	w("// RegisterFlags binds the fields of c to flags of fs, with c's values as defaults.\n")
	w("func (c *Config) RegisterFlags(fs *flag.FlagSet) {\n")
	for _, s := range sets {
		help := fmt.Sprintf("%s (env %s)", strings.ReplaceAll(kebab(s.field), "-", " "), s.env)
		w("\tfs.StringVar(&c.%s, %q, c.%s, %q)\n", s.field, s.flag, s.field, help)
	}
	w("}\n\n")
	w("// FromEnv overrides fields with the environment variables that getenv finds set.\n")
	w("func (c *Config) FromEnv(getenv func(string) string) {\n")
	for _, s := range sets {
		w("\tif v := getenv(%q); v != \"\" {\n\t\tc.%s = v\n\t}\n", s.env, s.field)
	}
	w("}\n\n")
	w("// Validate reports a missing required setting.\n")
	w("func (c Config) Validate() error {\n")
	for _, s := range sets {
		if s.secret {
			w("\tif c.%s == \"\" {\n\t\treturn fmt.Errorf(\"%s is required: set -%s or $%s\")\n\t}\n", s.field, s.field, s.flag, s.env)
		}
	}
	w("\treturn nil\n}\n\n")
	w("// configInEffect is the configuration given to SetConfig; nil until a program sets one.\n")
	w("var configInEffect atomic.Pointer[Config]\n\n")
	w("// SetConfig makes c the configuration in effect. A program calls it after parsing its\n")
	w("// flags (see RegisterFlags); it reports a missing required setting and then changes nothing.\n")
	w("func SetConfig(c Config) error {\n\tif err := c.Validate(); err != nil {\n\t\treturn fmt.Errorf(\"%s configuration: %%w\", err)\n\t}\n", pkg)
	w("\tconfigInEffect.Store(&c)\n\treturn nil\n}\n\n")
	w("// CurrentConfig returns the configuration in effect: the one given to SetConfig, else the\n")
	w("// defaults overridden by the environment.\n")
	w("func CurrentConfig() Config {\n\tif c := configInEffect.Load(); c != nil {\n\t\treturn *c\n\t}\n")
	w("\tc := DefaultConfig()\n\tc.FromEnv(os.Getenv)\n\treturn c\n}\n\n")
	w("// currentConfig is CurrentConfig for the code that needs a setting; a missing required\n")
	w("// setting is a panic with a message saying which (commands report it when they start).\n")
	w("func currentConfig() Config {\n\tc := CurrentConfig()\n")
	w("\tif err := c.Validate(); err != nil {\n\t\tpanic(fmt.Errorf(\"%s configuration: %%w\", err))\n\t}\n\treturn c\n}\n", pkg)
	return b.Bytes()
}
