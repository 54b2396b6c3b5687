package notes

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/internal/recognize"
)

// walker reads one cell's part of a type-checked combined program.
type walker struct {
	a    *analyzer
	cell int
	info *types.Info
	pkg  *types.Package
	tf   *token.File
	segs []seg
	uses map[string]Use
	pkgs map[string]bool
}

func (w *walker) segAt(p token.Pos) *seg {
	if !p.IsValid() || w.tf == nil || int(p) < w.tf.Base() || int(p) > w.tf.Base()+w.tf.Size() {
		return nil
	}
	o := w.tf.Offset(p)
	i := sort.Search(len(w.segs), func(i int) bool { return w.segs[i].end > o })
	if i < len(w.segs) && w.segs[i].start <= o {
		return &w.segs[i]
	}
	return nil
}

// cellLine maps a position in the combined program to a line of its cell.
func (w *walker) cellLine(p token.Pos) int {
	s := w.segAt(p)
	if s == nil {
		return 0
	}
	return s.cellLine + w.tf.Line(p) - s.line
}

// ioCalls maps package functions to the kind of I/O they do.
var ioCalls = map[string]string{
	"database/sql.Open": "database", "database/sql.OpenDB": "database",
	"os.Open": "file", "os.OpenFile": "file", "os.Create": "file", "os.ReadFile": "file", "os.WriteFile": "file",
	"os.ReadDir": "file", "os.Mkdir": "file", "os.MkdirAll": "file", "os.MkdirTemp": "file", "os.CreateTemp": "file",
	"os.Remove": "file", "os.RemoveAll": "file", "os.Rename": "file", "os.Stat": "file", "os.Lstat": "file", "os.DirFS": "file",
	"os.Chdir":  "file",
	"os.Getenv": "environment", "os.LookupEnv": "environment", "os.Setenv": "environment", "os.Unsetenv": "environment",
	"os.Environ": "environment", "os.ExpandEnv": "environment",
	"io/ioutil.ReadFile": "file", "io/ioutil.WriteFile": "file", "io/ioutil.ReadDir": "file", "io/ioutil.ReadAll": "stream",
	"io/ioutil.TempFile": "file", "io/ioutil.TempDir": "file",
	"io.ReadAll": "stream", "io.Copy": "stream", "io.CopyN": "stream",
	"bufio.NewScanner": "stream", "bufio.NewReader": "stream", "bufio.NewWriter": "stream",
	"encoding/csv.NewReader": "stream", "encoding/csv.NewWriter": "stream",
	"net/http.Get": "network", "net/http.Post": "network", "net/http.PostForm": "network", "net/http.Head": "network",
	"net/http.NewRequest": "network", "net/http.NewRequestWithContext": "network",
	"net/http.ListenAndServe": "network", "net/http.ListenAndServeTLS": "network", "net/http.Serve": "network",
	"net.Dial": "network", "net.DialTimeout": "network", "net.Listen": "network",
	"os/exec.Command": "process", "os/exec.CommandContext": "process",
}

// wellKnown are package names GoNB's goimports adds without an import line.
var wellKnown = map[string]string{
	"fmt": "fmt", "math": "math", "strings": "strings", "strconv": "strconv", "time": "time", "sort": "sort",
	"os": "os", "io": "io", "bufio": "bufio", "sql": "database/sql", "http": "net/http", "json": "encoding/json",
	"csv": "encoding/csv", "rand": "math/rand", "errors": "errors", "filepath": "path/filepath", "bytes": "bytes",
	"flag": "flag", "log": "log", "sync": "sync", "regexp": "regexp", "context": "context", "testing": "testing",
	"ioutil": "io/ioutil", "exec": "os/exec", "net": "net", "slices": "slices", "maps": "maps", "cmp": "cmp",
	"constraints": "golang.org/x/exp/constraints",
}

// pkgPath returns the import path of a package name used as a selector's X.
func (w *walker) pkgPath(x ast.Expr) (string, bool) {
	id, ok := x.(*ast.Ident)
	if !ok {
		return "", false
	}
	switch o := w.info.Uses[id].(type) {
	case *types.PkgName:
		return o.Imported().Path(), true
	case nil:
		if _, def := w.info.Defs[id]; !def {
			if p, ok := wellKnown[id.Name]; ok {
				return p, true
			}
		}
	}
	return "", false
}

var dbMethods = map[string]bool{
	"Query": true, "QueryRow": true, "QueryContext": true, "QueryRowContext": true,
	"Exec": true, "ExecContext": true, "Prepare": true, "PrepareContext": true, "Select": true, "Get": true,
}

var builtins = map[string]bool{"make": true, "new": true, "len": true, "cap": true, "append": true, "complex": true,
	"real": true, "imag": true, "min": true, "max": true}

// quietInits are calls in package-level initializers that do no work worth a note.
var quietInits = map[string]bool{
	"regexp.MustCompile": true, "regexp.MustCompilePOSIX": true, "errors.New": true, "fmt.Errorf": true, "fmt.Sprintf": true,
	"fmt.Sprint": true, "template.Must": true, "sync.OnceValue": true, "sync.OnceValues": true, "sync.OnceFunc": true,
	"time.Duration": true, "strings.NewReplacer": true, "big.NewInt": true, "big.NewFloat": true, "errors.Join": true,
	"time.Date": true, "strings.Repeat": true, "filepath.Join": true, "path.Join": true,
}

func (w *walker) decl(d ast.Decl, s *seg) {
	if fd, ok := d.(*ast.FuncDecl); ok && !s.main && fd.Recv == nil {
		if name := fd.Name.Name; name == "init" || strings.HasPrefix(name, "init_") {
			w.smell(Smell{Kind: InitEffect, Severity: Warning, Line: w.cellLine(fd.Pos()),
				Message:  fmt.Sprintf("func %s: GoNB ran it before every cell; in the service it runs once, when the package loads", name),
				Todo:     fmt.Sprintf("%s runs once in the service, not before every cell; make the setup an explicit call", name),
				keywords: []string{"init", "once", "every cell"}})
		}
	}
	if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
		for _, sp := range gd.Specs {
			w.initializer(sp.(*ast.ValueSpec), gd)
		}
	}
	var stack []ast.Node
	ast.Inspect(d, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *ast.Ident:
			w.use(n)
		case *ast.BasicLit:
			if n.Kind == token.STRING && !isTag(stack) {
				if v, err := strconv.Unquote(n.Value); err == nil {
					for _, sm := range literalSmells(v) {
						sm.Line = w.anchor(stack)
						w.smell(sm)
					}
				}
			}
		case *ast.CallExpr:
			w.call(n, stack)
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, l := range n.Lhs {
					w.assign(l, stack)
				}
			}
			for k, l := range n.Lhs {
				if k < len(n.Rhs) && len(n.Lhs) == len(n.Rhs) {
					w.secretAssign(l, n.Rhs[k], stack)
				}
			}
		case *ast.IncDecStmt:
			w.assign(n.X, stack)
		case *ast.ValueSpec:
			for k, name := range n.Names {
				if k < len(n.Values) {
					w.secretAssign(name, n.Values[k], stack)
				}
			}
		case *ast.KeyValueExpr:
			w.secretAssign(n.Key, n.Value, stack)
		}
		return true
	})
}

func isTag(stack []ast.Node) bool {
	if len(stack) < 2 {
		return false
	}
	f, ok := stack[len(stack)-2].(*ast.Field)
	return ok && f.Tag == stack[len(stack)-1]
}

// anchor is the cell line of the innermost statement or declaration around the top of the
// stack: the line a TODO goes above.
func (w *walker) anchor(stack []ast.Node) int {
	for k := len(stack) - 1; k >= 0; k-- {
		switch n := stack[k].(type) {
		case *ast.BlockStmt, *ast.FuncLit:
			continue
		case ast.Stmt:
			return w.cellLine(n.Pos())
		case *ast.ValueSpec, *ast.TypeSpec:
			if k > 0 {
				if gd, ok := stack[k-1].(*ast.GenDecl); ok && !gd.Lparen.IsValid() {
					return w.cellLine(gd.Pos())
				}
			}
			return w.cellLine(n.Pos())
		case *ast.GenDecl:
			return w.cellLine(n.Pos())
		case *ast.FuncDecl:
			if s := w.segAt(n.Pos()); s != nil && s.main {
				return 0
			}
			return w.cellLine(n.Pos())
		}
	}
	return 0
}

func (w *walker) smell(s Smell) { w.a.smell(w.cell, s) }

// use records what an identifier refers to.
func (w *walker) use(id *ast.Ident) {
	obj := w.info.Uses[id]
	switch o := obj.(type) {
	case nil:
		return
	case *types.PkgName:
		w.pkgs[o.Imported().Path()] = true
		return
	}
	if obj.Pkg() != w.pkg || w.pkg == nil {
		return
	}
	isMethod := false
	if fn, ok := obj.(*types.Func); ok && fn.Signature().Recv() != nil {
		isMethod = true
	}
	if obj.Parent() != w.pkg.Scope() && !isMethod {
		return
	}
	s := w.segAt(obj.Pos())
	if s == nil || s.u == nil {
		return
	}
	if v, ok := obj.(*types.Var); ok && !v.IsField() {
		if w.a.readers[v.Name()] == nil {
			w.a.readers[v.Name()] = map[int]bool{}
		}
		w.a.readers[v.Name()][w.cell] = true
		w.a.varCell[v.Name()] = s.cell
	}
	if s.cell == w.cell {
		return
	}
	name := strings.ReplaceAll(s.u.key, "~", ".")
	w.uses[name] = Use{Name: name, Kind: s.u.kind, Cell: s.cell}
}

// call records I/O and auto-imported packages.
func (w *walker) call(c *ast.CallExpr, stack []ast.Node) {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return
	}
	line := w.anchor(stack)
	if line == 0 {
		line = w.cellLine(c.Pos())
	}
	if p, ok := w.pkgPath(sel.X); ok {
		if _, imported := w.info.Uses[sel.X.(*ast.Ident)].(*types.PkgName); !imported {
			w.pkgs[p+" (auto-imported)"] = true
		}
		kind, ok := ioCalls[p+"."+sel.Sel.Name]
		if !ok {
			return
		}
		target := ""
		args := c.Args
		if p == "database/sql" && len(args) > 1 {
			args = args[1:] // the driver name is not the interesting part
		}
		if len(args) > 0 {
			target = w.argText(args[0])
		}
		w.a.io(w.cell, IO{Kind: kind, Call: pkgBase(p) + "." + sel.Sel.Name, Target: target, Line: line})
		return
	}
	if !dbMethods[sel.Sel.Name] || len(c.Args) == 0 {
		return
	}
	// A method that takes SQL: db.Query("SELECT ..."), tx.Exec(...). Without types for the
	// receiver, the SQL text is the evidence.
	arg := c.Args[0]
	if len(c.Args) > 1 && strings.HasSuffix(sel.Sel.Name, "Context") {
		arg = c.Args[1]
	}
	v, isLit := stringValue(arg)
	if !isLit || !recognize.SQL(v) {
		return
	}
	recv := "…"
	if id, ok := sel.X.(*ast.Ident); ok {
		recv = id.Name
	}
	w.a.io(w.cell, IO{Kind: "database", Call: recv + "." + sel.Sel.Name, Target: oneLine(v), Line: line})
}

func pkgBase(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

func (w *walker) argText(e ast.Expr) string {
	if v, ok := stringValue(e); ok {
		return strconv.Quote(oneLine(v))
	}
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			return id.Name + "." + x.Sel.Name
		}
	case *ast.CallExpr:
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				return id.Name + "." + sel.Sel.Name + "(…)"
			}
		}
	}
	return ""
}

func stringValue(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(bl.Value)
	return v, err == nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// assign records an assignment whose target is (part of) a package-level variable.
func (w *walker) assign(lhs ast.Expr, stack []ast.Node) {
	for {
		switch x := lhs.(type) {
		case *ast.SelectorExpr:
			lhs = x.X
			continue
		case *ast.IndexExpr:
			lhs = x.X
			continue
		case *ast.StarExpr:
			lhs = x.X
			continue
		case *ast.ParenExpr:
			lhs = x.X
			continue
		}
		break
	}
	id, ok := lhs.(*ast.Ident)
	if !ok || w.pkg == nil {
		return
	}
	v, ok := w.info.Uses[id].(*types.Var)
	if !ok || v.Parent() != w.pkg.Scope() {
		return
	}
	w.a.assigns[v.Name()] = append(w.a.assigns[v.Name()], site{w.cell, w.anchor(stack)})
}

// secretAssign reports a non-empty string literal given to a name that says it is a secret.
func (w *walker) secretAssign(name, value ast.Expr, stack []ast.Node) {
	id, ok := name.(*ast.Ident)
	if !ok || !recognize.SecretName(id.Name) {
		return
	}
	v, ok := stringValue(value)
	if !ok || len(strings.TrimSpace(v)) < 4 || strings.ContainsAny(v, " \n") {
		return
	}
	s := credentialSmell(fmt.Sprintf("%s is set to a string literal", id.Name))
	s.Line = w.anchor(stack)
	w.smell(s)
}

// initializer reports package-level variables whose initializer does work: GoNB ran it again
// on every cell, the service runs it once when the package loads.
func (w *walker) initializer(vs *ast.ValueSpec, gd *ast.GenDecl) {
	for _, v := range vs.Values {
		call := w.effectfulCall(v)
		if call == "" {
			continue
		}
		line := w.cellLine(vs.Pos())
		if !gd.Lparen.IsValid() {
			line = w.cellLine(gd.Pos())
		}
		names := identNames(vs.Names)
		if strings.HasPrefix(call, "flag.") {
			w.smell(Smell{Kind: InitEffect, Severity: Info, Line: line,
				Message:  fmt.Sprintf("var %s registers a command-line flag (%s) when the package loads: in a library it joins the importer's flags", names, call),
				Todo:     fmt.Sprintf("the flag %s is registered at package load; parse flags in main and pass the value in", names),
				keywords: []string{"flag"}})
			continue
		}
		w.smell(Smell{Kind: InitEffect, Severity: Warning, Line: line,
			Message:  fmt.Sprintf("var %s = %s(…) runs when the package loads; GoNB ran it again before every cell", names, call),
			Todo:     fmt.Sprintf("%s runs at package load (GoNB re-ran it on every cell); make it an explicit call", names),
			keywords: []string{"package load", "init", "every cell", "explicit"}})
	}
}

func identNames(ids []*ast.Ident) string {
	var s []string
	for _, id := range ids {
		s = append(s, id.Name)
	}
	return strings.Join(s, ", ")
}

// effectfulCall returns the name of the first call in e that may do work, "" if none.
func (w *walker) effectfulCall(e ast.Expr) string {
	found := ""
	ast.Inspect(e, func(n ast.Node) bool {
		if found != "" {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // not run unless called, and then the call is seen first
		case *ast.CallExpr:
			if tv, ok := w.info.Types[n.Fun]; ok && tv.IsType() {
				return true // a conversion
			}
			name := ""
			switch f := n.Fun.(type) {
			case *ast.Ident:
				if builtins[f.Name] {
					if _, isObj := w.info.Uses[f].(*types.Builtin); isObj {
						return true
					}
				}
				name = f.Name
			case *ast.SelectorExpr:
				if id, ok := f.X.(*ast.Ident); ok {
					name = id.Name + "." + f.Sel.Name
				} else {
					name = f.Sel.Name
				}
			case *ast.FuncLit:
				name = "func literal"
			case *ast.ParenExpr, *ast.IndexExpr, *ast.IndexListExpr:
				return true
			}
			if quietInits[name] {
				return false
			}
			found = name
			return false
		}
		return true
	})
	return found
}
