package refactor

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"go/version"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/refactor/edit"
)

// accessorFile is where the hoist pass puts accessors when the package has it (the file an
// extracted notebook's I/O goes to); otherwise they go next to the first setup.
const accessorFile = "preparation.go"

// setupKind is a kind of client setup the hoist pass shares.
type setupKind int

const (
	setupDB     setupKind = iota // sql.Open(driver, dsn): one shared *sql.DB
	setupHTTP                    // an http.Client literal: one shared client
	setupOSOpen                  // os.Open(path): one function naming the file
)

// setup is one place a client is set up.
type setup struct {
	kind setupKind
	expr ast.Expr // the call or composite literal replaced
	fn   *ast.FuncDecl
	// closes are the statements closing a shared *sql.DB, removed when it is hoisted.
	closes []ast.Stmt
	key    string
}

// hoistPass shares client setups repeated in two or more functions of a package: one
// *sql.DB per driver and data source, opened once on first use (a *sql.DB is a connection
// pool meant to be long-lived, and closing it in each caller is then wrong); one http.Client
// per identical literal (clients are safe for concurrent use and keep connections for
// reuse); and one function per file opened by path, so that the path is named once (each
// call still opens its own *os.File, which the caller closes).
func (r *runner) hoistPass() ([]Change, []string, error) {
	return r.perPackage((*view).hoistPackage)
}

func (v *view) hoistPackage(p *packages.Package) (*Change, []string) {
	info := p.TypesInfo
	hoisted, notes := v.repeatedSetups(p)
	if len(hoisted) == 0 {
		return nil, notes
	}
	if p.Module != nil && p.Module.GoVersion != "" && version.Compare("go"+p.Module.GoVersion, "go1.21") < 0 {
		return nil, append(notes, fmt.Sprintf("not hoisted: %s: the module's go version %s predates sync.OnceValues", p.PkgPath, p.Module.GoVersion))
	}
	// The file the accessors go to.
	var target string
	first := v.rel(v.fset.Position(hoisted[0][0].expr.Pos()).Filename)
	for _, f := range p.Syntax {
		fp := v.rel(v.fset.Position(f.Pos()).Filename)
		if path.Base(fp) == accessorFile {
			target = fp
		}
	}
	if target == "" {
		target = first
	}
	taken := map[string]bool{}
	free := func(base string) string {
		for i := 1; ; i++ {
			name := base
			if i > 1 {
				name += strconv.Itoa(i)
			}
			if taken[name] || types.Universe.Lookup(name) != nil {
				continue
			}
			clash := false
			for _, q := range v.all {
				if q.PkgPath == p.PkgPath && q.Types.Scope().Lookup(name) != nil {
					clash = true
				}
			}
			for _, f := range p.Syntax {
				for _, imp := range f.Imports {
					if importName(imp) == name {
						clash = true
					}
				}
			}
			if !clash {
				taken[name] = true
				return name
			}
		}
	}
	es := edit.Set{}
	imports := map[string][]string{}
	drops := map[string][]string{}
	var decls, what []string
	for _, g := range hoisted {
		s0 := g[0]
		var fnNames []string
		for _, s := range g {
			if !slices.Contains(fnNames, s.fn.Name.Name) {
				fnNames = append(fnNames, s.fn.Name.Name)
			}
		}
		slices.Sort(fnNames)
		text := v.text(s0.expr)
		var name, decl, desc string
		switch s0.kind {
		case setupDB:
			call := s0.expr.(*ast.CallExpr)
			name = free("openDB")
			decl = docComment(fmt.Sprintf("%s returns the database handle that %s share, opened on first use: a *sql.DB is "+
				"a pool of connections, safe for concurrent use and meant to be kept open, so callers do not close it.", name, joinAnd(fnNames))) +
				fmt.Sprintf("var %s = sync.OnceValues(func() (*sql.DB, error) {\n\treturn %s\n})", name, text)
			desc = fmt.Sprintf("sql.Open(%s, %s) of %s into %s", v.text(call.Args[0]), v.text(call.Args[1]), joinAnd(fnNames), name)
			imports[target] = append(imports[target], "sync", "database/sql")
		case setupHTTP:
			name = free("httpClient")
			decl = docComment(fmt.Sprintf("%s is the HTTP client that %s share: a client is safe for concurrent use and "+
				"keeps idle connections for reuse, so one is enough.", name, joinAnd(fnNames))) + fmt.Sprintf("var %s = %s", name, text)
			desc = fmt.Sprintf("the HTTP client %s of %s into %s", text, joinAnd(fnNames), name)
			imports[target] = append(imports[target], "net/http")
		case setupOSOpen:
			call := s0.expr.(*ast.CallExpr)
			name = free("open" + upperFirst(pathWord(info, call.Args[0])))
			decl = docComment(fmt.Sprintf("%s opens the file that %s read, named in one place; each call returns a new "+
				"*os.File for the caller to close.", name, joinAnd(fnNames))) + fmt.Sprintf("func %s() (*os.File, error) {\n\treturn %s\n}", name, text)
			desc = fmt.Sprintf("os.Open(%s) of %s into %s", v.text(call.Args[0]), joinAnd(fnNames), name)
			imports[target] = append(imports[target], "os")
		}
		// Identifiers of imported packages in the setup must resolve in the target file too.
		ast.Inspect(s0.expr, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if pn, ok := info.Uses[id].(*types.PkgName); ok {
					imports[target] = append(imports[target], pn.Imported().Path())
				}
			}
			return true
		})
		decls = append(decls, decl)
		what = append(what, desc)
		for _, s := range g {
			fp, so := v.off(s.expr.Pos())
			_, eo := v.off(s.expr.End())
			es.Add(fp, edit.Edit{Start: so, End: eo, New: name + "()"})
			if s.kind == setupHTTP {
				es[fp][len(es[fp])-1].New = name
			}
			for _, st := range s.closes {
				fp, so := v.off(st.Pos())
				_, eo := v.off(st.End())
				src := v.r.cur[fp]
				for so > 0 && (src[so-1] == '\t' || src[so-1] == ' ') {
					so--
				}
				if eo < len(src) && src[eo] == '\n' {
					eo++
				}
				es.Add(fp, edit.Edit{Start: so, End: eo})
			}
			ast.Inspect(s.expr, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if pn, ok := info.Uses[id].(*types.PkgName); ok {
						drops[fp] = append(drops[fp], pn.Imported().Path())
					}
				}
				return true
			})
		}
	}
	src := v.r.cur[target]
	es.Add(target, edit.Edit{Start: len(src), End: len(src), New: "\n" + strings.Join(decls, "\n\n") + "\n"})
	for fp := range drops {
		if fp == target {
			delete(drops, fp)
		}
	}
	c := &Change{Pass: PassHoist, edits: es, imports: imports, dropImports: drops}
	c.Title = "hoist " + strings.Join(what, "; ")
	var why []string
	for _, g := range hoisted {
		var locs []string
		closes := 0
		for _, s := range g {
			locs = append(locs, v.pos(s.expr.Pos()))
			closes += len(s.closes)
		}
		switch g[0].kind {
		case setupDB:
			w := fmt.Sprintf("each of %s opened its own *sql.DB on the same data source; one pool now serves them", strings.Join(locs, ", "))
			if closes > 0 {
				w += fmt.Sprintf(", and the %d Close calls of the callers were removed, since closing a shared handle would break the others", closes)
			}
			why = append(why, w)
		case setupHTTP:
			why = append(why, fmt.Sprintf("%s built the same http.Client; sharing one reuses its connections", strings.Join(locs, ", ")))
		case setupOSOpen:
			why = append(why, fmt.Sprintf("%s opened the same path; the path is now named in one function", strings.Join(locs, ", ")))
		}
	}
	c.Why = upperFirst(strings.Join(why, "; ")) + "."
	return c, notes
}

// repeatedSetups finds the setups (sql.Open, an http.Client literal, os.Open, ...) of p's
// functions and groups equal ones; the groups used by two or more functions are hoisted, in
// the order their first setup appears.
func (v *view) repeatedSetups(p *packages.Package) ([][]*setup, []string) {
	var notes []string
	var sites []*setup
	for _, fd := range funcBodies(p) {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			s, why := v.setupAt(p.TypesInfo, fd, n)
			if why != "" {
				notes = append(notes, "not hoisted: "+why)
			}
			if s != nil {
				sites = append(sites, s)
				return false
			}
			return true
		})
	}
	groups := map[string][]*setup{}
	var keys []string
	for _, s := range sites {
		if _, ok := groups[s.key]; !ok {
			keys = append(keys, s.key)
		}
		groups[s.key] = append(groups[s.key], s)
	}
	var hoisted [][]*setup
	for _, k := range keys {
		g := groups[k]
		fns := map[*ast.FuncDecl]bool{}
		for _, s := range g {
			fns[s.fn] = true
		}
		if len(fns) >= 2 {
			hoisted = append(hoisted, g)
		}
	}
	return hoisted, notes
}

// setupAt returns the client setup at n in fd, or a reason a setup there cannot be shared.
func (v *view) setupAt(info *types.Info, fd *ast.FuncDecl, n ast.Node) (*setup, string) {
	switch n := n.(type) {
	case *ast.CallExpr:
		fn, ok := typeutilCallee(info, n).(*types.Func)
		if !ok || fn.Pkg() == nil {
			return nil, ""
		}
		switch fn.Pkg().Path() + "." + fn.Name() {
		case "database/sql.Open":
			key, ok := stableKey(info, n.Args...)
			if !ok {
				return nil, ""
			}
			s := &setup{kind: setupDB, expr: n, fn: fd, key: "db " + key}
			closes, why := v.dbUses(info, fd, n)
			if why != "" {
				return nil, why
			}
			s.closes = closes
			return s, ""
		case "os.Open":
			key, ok := stableKey(info, n.Args...)
			if !ok {
				return nil, ""
			}
			return &setup{kind: setupOSOpen, expr: n, fn: fd, key: "open " + key}, ""
		}
	case *ast.UnaryExpr, *ast.CompositeLit:
		lit := n
		if u, ok := n.(*ast.UnaryExpr); ok {
			if u.Op != token.AND {
				return nil, ""
			}
			lit = u.X
		}
		cl, ok := ast.Unparen(lit.(ast.Expr)).(*ast.CompositeLit)
		if !ok || !isNamed(info.TypeOf(cl), "net/http", "Client") {
			return nil, ""
		}
		key, ok := stableKey(info, cl)
		if !ok {
			return nil, ""
		}
		if _, ptr := n.(*ast.UnaryExpr); ptr {
			key = "&" + key
		}
		if obj := v.assignedTo(info, fd, n.(ast.Expr)); obj != nil {
			if pos := fieldWrite(info, fd, obj); pos.IsValid() {
				return nil, fmt.Sprintf("the http.Client at %s is changed at %s; a shared client would carry the change to the others", v.pos(n.Pos()), v.pos(pos))
			}
		}
		return &setup{kind: setupHTTP, expr: n.(ast.Expr), fn: fd, key: "http " + key}, ""
	}
	return nil, ""
}

func isNamed(t types.Type, pkg, name string) bool {
	nt, ok := t.(*types.Named)
	return ok && nt.Obj().Pkg() != nil && nt.Obj().Pkg().Path() == pkg && nt.Obj().Name() == name
}

// stableKey returns a key identifying the values of es when they are the same wherever they
// appear: literals, and identifiers of package-level objects and imported packages. An
// expression using a local variable is not stable.
func stableKey(info *types.Info, es ...ast.Expr) (string, bool) {
	var sb strings.Builder
	ok := true
	for _, e := range es {
		sb.WriteString(types.ExprString(e))
		sb.WriteString("|")
		ast.Inspect(e, func(n ast.Node) bool {
			id, isID := n.(*ast.Ident)
			if !isID {
				return true
			}
			obj := info.Uses[id]
			switch obj := obj.(type) {
			case nil:
				// Field keys of composite literals resolve through Uses too; anything else
				// unresolved is not comparable.
				ok = false
			case *types.PkgName:
				sb.WriteString(obj.Imported().Path() + ";")
			default:
				if !pkgLevel(obj) {
					if v, isVar := obj.(*types.Var); !isVar || !v.IsField() {
						ok = false
					}
				}
				if obj.Pkg() != nil {
					sb.WriteString(obj.Pkg().Path())
				}
				sb.WriteString("." + obj.Name() + ";")
			}
			return ok
		})
	}
	return sb.String(), ok
}

// dbUses checks what fd does with the *sql.DB that call opens: it must land in a local
// variable used only through its methods. It returns the statements that close it.
func (v *view) dbUses(info *types.Info, fd *ast.FuncDecl, call *ast.CallExpr) ([]ast.Stmt, string) {
	obj := v.assignedTo(info, fd, call)
	if obj == nil {
		return nil, fmt.Sprintf("the *sql.DB opened at %s leaves the function or is not kept in a variable; its owner may close it", v.pos(call.Pos()))
	}
	var closes []ast.Stmt
	why := ""
	// Uses as the receiver of a method call are fine; Close in a statement of its own is
	// removed; any other use lets the handle escape or depends on closing it.
	methodRecv := map[*ast.Ident]bool{}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.DeferStmt, *ast.ExprStmt:
			var c *ast.CallExpr
			if d, ok := n.(*ast.DeferStmt); ok {
				c = d.Call
			} else if e, ok := n.(*ast.ExprStmt).X.(*ast.CallExpr); ok {
				c = e
			}
			if c != nil {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Close" && len(c.Args) == 0 {
					if id, ok := sel.X.(*ast.Ident); ok && info.Uses[id] == obj {
						closes = append(closes, n.(ast.Stmt))
						methodRecv[id] = true
					}
				}
			}
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && info.Uses[id] == obj {
				if n.Sel.Name == "Close" && !methodRecv[id] {
					why = fmt.Sprintf("the *sql.DB %s is closed at %s in a way that cannot simply be removed", id.Name, v.pos(n.Pos()))
				}
				methodRecv[id] = true
			}
		case *ast.Ident:
			if info.Uses[n] == obj && !methodRecv[n] && why == "" {
				why = fmt.Sprintf("the *sql.DB %s opened at %s is used at %s other than through its methods; it may be closed elsewhere", n.Name, v.pos(call.Pos()), v.pos(n.Pos()))
			}
		}
		return true
	})
	return closes, why
}

// assignedTo returns the local variable e is assigned to as the first value on the left of
// an assignment or declaration, or nil.
func (v *view) assignedTo(info *types.Info, fd *ast.FuncDecl, e ast.Expr) types.Object {
	var obj types.Object
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Rhs) == 1 && n.Rhs[0] == e && len(n.Lhs) >= 1 {
				if id, ok := n.Lhs[0].(*ast.Ident); ok {
					obj = info.ObjectOf(id)
				}
			}
		case *ast.ValueSpec:
			if len(n.Values) == 1 && n.Values[0] == e && len(n.Names) >= 1 {
				obj = info.ObjectOf(n.Names[0])
			}
		}
		return obj == nil
	})
	if obj == nil || pkgLevel(obj) || obj.Name() == "_" {
		return nil
	}
	return obj
}

// fieldWrite returns where fd assigns a field of the value obj holds, or NoPos.
func fieldWrite(info *types.Info, fd *ast.FuncDecl, obj types.Object) token.Pos {
	var at token.Pos
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				for e := l; ; {
					sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
					if !ok {
						if id, ok := ast.Unparen(e).(*ast.Ident); ok && info.Uses[id] == obj && e != l {
							at = as.Pos()
						}
						break
					}
					e = sel.X
				}
			}
		}
		return !at.IsValid()
	})
	return at
}

// pathWord names a file from the expression giving its path: dataPath gives data, "data/
// samples.csv" gives samples.
func pathWord(info *types.Info, e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		n := e.Name
		for _, suf := range []string{"Path", "File", "Name"} {
			if t := strings.TrimSuffix(n, suf); t != "" && t != n {
				n = t
				break
			}
		}
		return n
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil {
			base := path.Base(s)
			base = strings.TrimSuffix(base, path.Ext(base))
			var words []string
			for _, w := range strings.FieldsFunc(base, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
				words = append(words, upperFirst(w))
			}
			if n := strings.Join(words, ""); n != "" && unicode.IsLetter([]rune(n)[0]) {
				return n
			}
		}
	}
	return "File"
}

// docComment formats text as a // comment wrapped at 96 columns, with a final newline.
func docComment(text string) string {
	var sb strings.Builder
	line := "//"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 96 && line != "//" {
			sb.WriteString(line + "\n")
			line = "//"
		}
		line += " " + w
	}
	sb.WriteString(line + "\n")
	return sb.String()
}
