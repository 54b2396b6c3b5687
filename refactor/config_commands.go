package refactor

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/refactor/edit"
)

// wireCommands adds to c the edits that make the module's commands importing lib register
// lib's Config flags and apply them: in func main around flag.Parse (flag.CommandLine), or in
// a function that makes a flag.FlagSet, around that set's Parse. It returns the commands
// wired, by directory, and notes for commands it could not wire.
func (v *view) wireCommands(lib *packages.Package, c *Change) ([]string, []string) {
	var wired, notes []string
	for _, p := range v.pkgs {
		if p.Name != "main" || p.Imports[lib.PkgPath] == nil {
			continue
		}
		dir := ""
		done := false
		for _, f := range p.Syntax {
			path := v.rel(v.fset.Position(f.Pos()).Filename)
			dir = path[:max(strings.LastIndex(path, "/"), 0)]
			if done || strings.HasSuffix(path, "_test.go") {
				continue
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil || fd.Recv != nil {
					continue
				}
				if ok, note := v.wireFunc(p, lib, f, fd, c); ok {
					done = true
					break
				} else if note != "" {
					notes = append(notes, note)
				}
			}
		}
		if done {
			wired = append(wired, dir)
		} else {
			notes = append(notes, fmt.Sprintf("config: %s imports %s but parses no flags where its Config could be registered; call %s.SetConfig there", dir, lib.Name, lib.Name))
		}
	}
	slices.Sort(wired)
	return wired, notes
}

// wireFunc wires one function of a command, if it parses flags.
func (v *view) wireFunc(p *packages.Package, lib *packages.Package, f *ast.File, fd *ast.FuncDecl, c *Change) (bool, string) {
	info := p.TypesInfo
	qual := lib.Name
	for _, imp := range f.Imports {
		if ip, _ := strconv.Unquote(imp.Path.Value); ip == lib.PkgPath && imp.Name != nil {
			qual = imp.Name.Name
		}
	}
	isFlagFunc := func(e ast.Expr, name string) bool {
		call, ok := e.(*ast.CallExpr)
		if !ok {
			return false
		}
		fn, ok := typeutilCallee(info, call).(*types.Func)
		return ok && fn.Pkg() != nil && fn.Pkg().Path() == "flag" && fn.Name() == name && fn.Type().(*types.Signature).Recv() == nil
	}
	path := v.rel(v.fset.Position(f.Pos()).Filename)
	varName := func(at token.Pos) string {
		base := lib.Name + "Config"
		name := base
		for i := 2; ; i++ {
			s := p.Types.Scope().Innermost(at)
			if s == nil {
				return name
			}
			if _, obj := s.LookupParent(name, at); obj == nil {
				return name
			}
			name = base + strconv.Itoa(i)
		}
	}
	insert := func(pos token.Pos, text string) {
		_, off := v.off(pos)
		c.edits.Add(path, edit.Edit{Start: off, End: off, New: text})
	}
	addImports := func(paths ...string) {
		for _, ip := range append([]string{lib.PkgPath}, paths...) {
			if !slices.Contains(c.imports[path], ip) {
				c.imports[path] = append(c.imports[path], ip)
			}
		}
	}
	// flag.Parse() in main: flag.CommandLine.
	if fd.Name.Name == "main" {
		for _, st := range fd.Body.List {
			es, ok := st.(*ast.ExprStmt)
			if !ok || !isFlagFunc(es.X, "Parse") {
				continue
			}
			name := varName(st.Pos())
			insert(st.Pos(), fmt.Sprintf("%s := %s.CurrentConfig()\n%s.RegisterFlags(flag.CommandLine)\n", name, qual, name))
			insert(st.End(), fmt.Sprintf("\nif err := %s.SetConfig(%s); err != nil {\nfmt.Fprintln(os.Stderr, err)\nos.Exit(2)\n}", qual, name))
			addImports("fmt", "os")
			return true, ""
		}
	}
	// fs := flag.NewFlagSet(...) and later fs.Parse(...), in one block.
	for i, st := range fd.Body.List {
		as, ok := st.(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 || !isFlagFunc(as.Rhs[0], "NewFlagSet") {
			continue
		}
		fsID, ok := as.Lhs[0].(*ast.Ident)
		if !ok {
			continue
		}
		fsObj := info.ObjectOf(fsID)
		var parseStmt ast.Stmt
		for _, later := range fd.Body.List[i+1:] {
			ast.Inspect(later, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Parse" {
						if id, ok := sel.X.(*ast.Ident); ok && info.Uses[id] == fsObj {
							parseStmt = later
						}
					}
				}
				return parseStmt == nil
			})
			if parseStmt != nil {
				break
			}
		}
		if parseStmt == nil {
			return false, ""
		}
		onErr, ok := v.errReturn(info, fd)
		if !ok {
			return false, fmt.Sprintf("config: %s parses flags in %s, which cannot return an error; register %s's Config there by hand",
				v.pos(st.Pos()), fd.Name.Name, lib.Name)
		}
		name := varName(st.End())
		insert(st.End(), fmt.Sprintf("\n%s := %s.CurrentConfig()\n%s.RegisterFlags(%s)", name, qual, name, fsID.Name))
		insert(parseStmt.End(), fmt.Sprintf("\nif err := %s.SetConfig(%s); err != nil {\n%s\n}", qual, name, onErr))
		if fd.Name.Name == "main" {
			addImports("fmt", "os")
		} else {
			addImports()
		}
		return true, ""
	}
	return false, ""
}

// errReturn returns the statement fd uses to give up with err: a return of zero values and
// err when its last result is an error, an exit in main; false otherwise.
func (v *view) errReturn(info *types.Info, fd *ast.FuncDecl) (string, bool) {
	if fd.Name.Name == "main" && fd.Type.Results == nil {
		return "fmt.Fprintln(os.Stderr, err)\nos.Exit(2)", true
	}
	res := fd.Type.Results
	if res == nil || len(res.List) == 0 {
		return "", false
	}
	var vals []string
	for k, field := range res.List {
		t := info.TypeOf(field.Type)
		n := max(len(field.Names), 1)
		for j := range n {
			last := k == len(res.List)-1 && j == n-1
			if last {
				if t == nil || !types.Identical(t, types.Universe.Lookup("error").Type()) {
					return "", false
				}
				vals = append(vals, "err")
				continue
			}
			z, ok := zeroValue(t, v.text(field.Type))
			if !ok {
				return "", false
			}
			vals = append(vals, z)
		}
	}
	return "return " + strings.Join(vals, ", "), true
}

// zeroValue spells the zero value of t, whose source text is text.
func zeroValue(t types.Type, text string) (string, bool) {
	if t == nil {
		return "", false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return "false", true
		case u.Info()&types.IsString != 0:
			return `""`, true
		case u.Info()&types.IsNumeric != 0:
			return "0", true
		}
		return "", false
	case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Signature, *types.Interface:
		return "nil", true
	case *types.Struct, *types.Array:
		return text + "{}", true
	}
	return "", false
}
