package extract

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"
)

// ioPackages are imports whose calls in a package-level initializer mean I/O at import time.
var ioPackages = map[string]bool{
	"database/sql": true, "os": true, "net/http": true, "io/ioutil": true, "io": true,
	"bufio": true, "encoding/csv": true, "net": true, "os/exec": true,
}

// makeLazy rewrites package-level variables whose initializer calls the notebook's own functions
// or does I/O into sync.OnceValue accessors, and every use into a call.
//
// In GoNB such an initializer ran again on every cell, which is why notebooks get away with it.
// In a package it would run when the package is imported: every test binary, the server and any
// importer would load data before main starts, fail where the data is not, and pay for it even
// when unused. A lazy accessor keeps the notebook's meaning (the value is computed from the same
// expression) and moves the cost to the first use. Variables that are assigned or whose address
// is taken are left alone and reported.
func (b *builder) makeLazy(f *ast.File, info *types.Info, pkg *types.Package, tf *token.File, units []*unit) {
	// Which identifiers are written to.
	written := map[*ast.Ident]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			for _, l := range x.Lhs {
				if id, ok := ast.Unparen(l).(*ast.Ident); ok {
					written[id] = true
				}
			}
		case *ast.IncDecStmt:
			if id, ok := ast.Unparen(x.X).(*ast.Ident); ok {
				written[id] = true
			}
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				if id, ok := ast.Unparen(x.X).(*ast.Ident); ok {
					written[id] = true
				}
			}
		}
		return true
	})
	unitOf := map[*Decl]*unit{}
	for _, u := range units {
		if u.decl != nil {
			unitOf[u.decl] = u
		}
	}
	type insertion struct {
		u   *unit
		off int // offset in the combined source
	}
	var edits []insertion
	for _, gd := range f.Decls {
		g, ok := gd.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 || vs.Names[0].Name == "_" {
				continue
			}
			obj, _ := info.Defs[vs.Names[0]].(*types.Var)
			if obj == nil {
				continue
			}
			callee := initCall(vs.Values[0], info, pkg)
			if callee == "" {
				continue
			}
			u, _ := unitAtOffset(units, tf.Offset(vs.Pos()))
			if u == nil || u.decl == nil || !u.decl.Kept {
				continue
			}
			d := u.decl
			typ := ""
			if vs.Type != nil {
				typ = types.ExprString(vs.Type)
			} else if t := obj.Type(); t != nil && !strings.Contains(types.TypeString(t, nil), "invalid") {
				typ = types.TypeString(t, func(p *types.Package) string {
					if p == pkg {
						return ""
					}
					return p.Name()
				})
			}
			if typ == "" {
				b.decide(d.Cell, d.Line, "var "+d.Key, "warning", "its initializer calls "+callee+" when the package loads, and its type could not be determined to make it lazy")
				continue
			}
			var uses []insertion
			blocked := ""
			for id, o := range info.Uses {
				if o != obj {
					continue
				}
				if written[id] {
					blocked = fmt.Sprintf("it is assigned or its address is taken at line %d of the program", tf.Line(id.Pos()))
					break
				}
				uu, _ := unitAtOffset(units, tf.Offset(id.Pos()))
				if uu == nil {
					continue
				}
				uses = append(uses, insertion{u: uu, off: tf.Offset(id.End())})
			}
			if blocked != "" {
				b.decide(d.Cell, d.Line, "var "+d.Key, "warning", "its initializer calls "+callee+" when the package loads; not made lazy because "+blocked)
				continue
			}
			val := types.ExprString(vs.Values[0])
			start, end := tf.Offset(vs.Values[0].Pos()), tf.Offset(vs.Values[0].End())
			if t := u.textRange(start, end); t != "" {
				val = t
			}
			name := vs.Names[0].Name
			notJSON := jsonReason(obj.Type(), pkg)
			code := fmt.Sprintf("var %s = sync.OnceValue(func() %s {\n\treturn %s\n})", name, typ, val)
			if notJSON == "" {
				code = fmt.Sprintf("var %s = trained(%q, func() %s {\n\treturn %s\n})", name, name, typ, val)
			}
			if vs.Comment != nil {
				code += " " + u.textRange(tf.Offset(vs.Comment.Pos()), tf.Offset(vs.Comment.End()))
			}
			d.code = code
			d.lazyInit = val
			edits = append(edits, uses...)
			if notJSON == "" {
				d.doc = appendDoc(d.doc, fmt.Sprintf("%s is a trained value: the batch command's train computes it and saves it in the artifact, and the server loads it from there at start. Anything else computes it on first use, as GoNB ran its initializer in every cell.", name))
				b.plan.Trained = append(b.plan.Trained, TrainedValue{Name: name, Type: typ, Cell: d.Cell, Line: d.Line})
				b.decide(d.Cell, d.Line, "var "+d.Key, "converted",
					fmt.Sprintf("its initializer calls %s: a trained value, saved by train in the artifact and loaded by the server at start (as JSON); elsewhere computed on first use; %d uses became %s()", callee, len(uses), name))
				continue
			}
			d.doc = appendDoc(d.doc, fmt.Sprintf("%s is computed on first use: GoNB ran its initializer in every cell, an importer would run it at load time.", name))
			b.decide(d.Cell, d.Line, "var "+d.Key, "converted",
				fmt.Sprintf("its initializer calls %s: made lazy with sync.OnceValue so importing the package does no work; %d uses became %s(); not saved in the artifact because %s, so the server computes it on first use", callee, len(uses), name, notJSON))
		}
	}
	// Apply the call insertions, last first so offsets stay valid.
	sort.Slice(edits, func(i, j int) bool { return edits[i].off > edits[j].off })
	for _, e := range edits {
		rel := e.off - e.u.start
		if e.u.decl != nil {
			d := e.u.decl
			codeOff := rel
			if d.doc != "" {
				codeOff -= len(d.doc) + 1
			}
			if codeOff < 0 || codeOff > len(d.code) {
				continue
			}
			d.code = d.code[:codeOff] + "()" + d.code[codeOff:]
		} else {
			st := e.u.step
			bodyOff := rel - e.u.bodyOff
			if bodyOff < 0 || bodyOff > len(st.Body) {
				continue
			}
			st.Body = st.Body[:bodyOff] + "()" + st.Body[bodyOff:]
		}
	}
	for _, u := range units {
		if u.decl != nil {
			u.decl.text = joinDoc(u.decl.doc, u.decl.code)
		}
	}
}

func appendDoc(doc, line string) string {
	if doc == "" {
		return "// " + line
	}
	return doc + "\n//\n// " + line
}

// initCall names a call in an initializer that makes it worth deferring: a call of the
// notebook's own function, or of an I/O package. "" if there is none.
func initCall(e ast.Expr, info *types.Info, pkg *types.Package) string {
	found := ""
	ast.Inspect(e, func(n ast.Node) bool {
		if found != "" {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false // a function value is not called at load time
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		switch fn := ast.Unparen(call.Fun).(type) {
		case *ast.Ident:
			if o, ok := info.Uses[fn].(*types.Func); ok && o.Pkg() == pkg {
				found = fn.Name
			}
		case *ast.SelectorExpr:
			if id, ok := fn.X.(*ast.Ident); ok {
				if pn, ok := info.Uses[id].(*types.PkgName); ok && ioPackages[pn.Imported().Path()] {
					found = id.Name + "." + fn.Sel.Name
				}
			}
		}
		return true
	})
	return found
}

// jsonReason says why a value of type t cannot be saved in an artifact as JSON and loaded back
// unchanged, or "" when it can: basic types other than complex numbers, strings, slices, arrays,
// maps with string or integer keys, pointers, and structs whose fields are all exported and
// themselves savable; named types with both MarshalJSON and UnmarshalJSON count as savable.
// Unexported fields are refused because encoding/json would silently drop them.
func jsonReason(t types.Type, pkg *types.Package) string {
	return jsonReasonSeen(t, pkg, map[types.Type]bool{})
}

func jsonReasonSeen(t types.Type, pkg *types.Package, seen map[types.Type]bool) string {
	if seen[t] {
		return ""
	}
	seen[t] = true
	qual := func(p *types.Package) string {
		if p == pkg {
			return ""
		}
		return p.Name()
	}
	name := types.TypeString(t, qual)
	if n, ok := t.(*types.Named); ok {
		ms := types.NewMethodSet(types.NewPointer(n))
		if ms.Lookup(nil, "MarshalJSON") != nil || ms.Lookup(n.Obj().Pkg(), "MarshalJSON") != nil {
			if ms.Lookup(nil, "UnmarshalJSON") != nil || ms.Lookup(n.Obj().Pkg(), "UnmarshalJSON") != nil {
				return ""
			}
		}
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsComplex != 0:
			return "its type " + name + " is a complex number, which JSON cannot hold"
		case u.Kind() == types.UnsafePointer || u.Kind() == types.Uintptr:
			return "its type " + name + " holds a memory address"
		case u.Info()&(types.IsBoolean|types.IsNumeric|types.IsString) != 0:
			return ""
		}
		return "its type " + name + " has no JSON form"
	case *types.Pointer:
		return jsonReasonSeen(u.Elem(), pkg, seen)
	case *types.Slice:
		return jsonReasonSeen(u.Elem(), pkg, seen)
	case *types.Array:
		return jsonReasonSeen(u.Elem(), pkg, seen)
	case *types.Map:
		k, ok := u.Key().Underlying().(*types.Basic)
		if !ok || k.Info()&(types.IsString|types.IsInteger) == 0 {
			return "its type " + name + " is a map whose keys are not strings or integers"
		}
		return jsonReasonSeen(u.Elem(), pkg, seen)
	case *types.Struct:
		for i := range u.NumFields() {
			f := u.Field(i)
			if !f.Exported() {
				return "field " + f.Name() + " of " + name + " is unexported, and JSON would drop it"
			}
			if tagged, _ := reflect.StructTag(u.Tag(i)).Lookup("json"); tagged == "-" {
				return "field " + f.Name() + " of " + name + " is tagged json:\"-\", and JSON would drop it"
			}
			if r := jsonReasonSeen(f.Type(), pkg, seen); r != "" {
				return r
			}
		}
		return ""
	case *types.Interface:
		return "its type " + name + " is an interface: the artifact could not say which concrete type to load"
	case *types.Chan, *types.Signature:
		return "its type " + name + " is a channel or function"
	}
	return "its type " + name + " has no JSON form"
}
