package refactor

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/refactor/clone"
	"github.com/decant-go/decant/refactor/edit"
)

// stmtGroups picks, among the statement-run groups of one package, those to extract: the
// largest first, leaving out any that overlaps one already picked (the detector reports
// overlapping windows of one repeat).
func stmtGroups(gs []clone.Group) []clone.Group {
	var cands []clone.Group
	for _, g := range gs {
		if g.Kind == clone.Stmts {
			cands = append(cands, g)
		}
	}
	slices.SortStableFunc(cands, func(a, b clone.Group) int {
		return cmp.Compare(b.Tokens*len(b.Members), a.Tokens*len(a.Members))
	})
	var picked []clone.Group
	overlaps := func(m clone.Member) bool {
		for _, g := range picked {
			for _, o := range g.Members {
				if o.File == m.File && m.Pos < o.End && o.Pos < m.End {
					return true
				}
			}
		}
		return false
	}
	for _, g := range cands {
		if !slices.ContainsFunc(g.Members, overlaps) {
			picked = append(picked, g)
		}
	}
	slices.SortFunc(picked, func(a, b clone.Group) int {
		return cmp.Or(cmp.Compare(a.Members[0].File, b.Members[0].File), cmp.Compare(a.Members[0].Pos, b.Members[0].Pos))
	})
	return picked
}

// outerRef is one value declared outside a statement run that the run uses: a candidate
// parameter of the extracted function.
type outerRef struct {
	first int            // index of its first leaf
	objs  []types.Object // per member
	param bool           // passed as a parameter (else the same package-level object everywhere)
	set   bool           // assigned by the run, so also returned
}

// result is a variable the run defines or assigns that is used after it.
type result struct {
	first   int      // index of its first leaf
	defined bool     // declared by the run (else an outer variable it assigns)
	names   []string // per member; "_" where that member does not use it afterwards
	typ     types.Type
}

// unifyStmts extracts a group of repeated statement runs into one function and replaces every
// run with a call. It returns nil and the reason when the group cannot be extracted safely.
func (v *view) unifyStmts(p *packages.Package, g clone.Group, taken map[string]bool) (*Change, string) {
	where := stmtMemberList(v, g.Members)
	skip := func(format string, args ...any) (*Change, string) {
		return nil, fmt.Sprintf("not unified: statements %s: %s", where, fmt.Sprintf(format, args...))
	}
	info := p.TypesInfo
	if why := v.stmtsBlocker(info, g); why != "" {
		return skip("%s", why)
	}
	m0 := g.Members[0]

	// Values declared outside the run, aligned across members by their first leaf.
	var outs []*outerRef
	byObj := make([]map[types.Object]*outerRef, len(g.Members))
	for k := range byObj {
		byObj[k] = map[types.Object]*outerRef{}
	}
	for i, l := range m0.Leaves {
		if !isValueObj(l.Obj) || l.Local {
			continue
		}
		if _, ok := byObj[0][l.Obj]; ok {
			continue
		}
		o := &outerRef{first: i}
		for k, m := range g.Members {
			obj := m.Leaves[i].Obj
			if !isValueObj(obj) || m.Leaves[i].Local {
				return skip("%s is declared outside the statements in one copy and inside in another", l.Text)
			}
			o.objs = append(o.objs, obj)
			byObj[k][obj] = o
		}
		for _, obj := range o.objs {
			if obj != o.objs[0] || !pkgLevel(obj) {
				o.param = true
			}
			if !types.Identical(valueType(obj.Type()), valueType(o.objs[0].Type())) {
				return skip("%s has type %s in one copy and %s in another", l.Text, obj.Type(), o.objs[0].Type())
			}
		}
		if o.param && hasTypeParam(o.objs[0].Type()) {
			return skip("%s has a type parameter's type", l.Text)
		}
		outs = append(outs, o)
	}
	for i, l := range m0.Leaves {
		if tn, ok := l.Obj.(*types.TypeName); ok && !l.Local && !pkgLevel(tn) && tn.Parent() != types.Universe {
			return skip("type %s is declared inside the function", m0.Leaves[i].Text)
		}
	}
	// What each member does with those values and with its own variables.
	for k, m := range g.Members {
		local := func(obj types.Object) bool { return obj != nil && obj.Pos() >= m.Pos && obj.Pos() < m.End }
		acc, why := accesses(v, info, m.Stmts, local)
		if why != "" {
			return skip("%s", why)
		}
		for obj := range acc.set {
			if o := byObj[k][obj]; o != nil && o.param {
				o.set = true
			}
		}
		for obj, pos := range acc.addr {
			if o := byObj[k][obj]; o != nil && o.param {
				return skip("the address of %s is taken at %s; a copy passed as a parameter would not be the same variable", obj.Name(), v.pos(pos))
			}
		}
		for obj, pos := range acc.closure {
			if o := byObj[k][obj]; o != nil && o.param {
				return skip("a function literal at %s closes over %s, which would become a copy", v.pos(pos), obj.Name())
			}
		}
	}

	// A *testing.T or *testing.B parameter goes first, as Go code has it.
	slices.SortStableFunc(outs, func(a, b *outerRef) int {
		isT := func(o *outerRef) int {
			if o.param && (isNamedPtr(o.objs[0].Type(), "testing", "T") || isNamedPtr(o.objs[0].Type(), "testing", "B")) {
				return 0
			}
			return 1
		}
		return cmp.Compare(isT(a), isT(b))
	})

	// Results: outer variables the run assigns, and its own variables used after it.
	var results []*result
	for _, o := range outs {
		if o.set {
			r := &result{first: o.first, typ: o.objs[0].Type()}
			for k := range g.Members {
				r.names = append(r.names, g.Members[k].Leaves[o.first].Text)
			}
			results = append(results, r)
		}
	}
	for i, l := range m0.Leaves {
		id, ok := l.Expr.(*ast.Ident)
		if !ok || info.Defs[id] == nil || !isVar(l.Obj) {
			continue
		}
		r := &result{first: i, defined: true, typ: l.Obj.Type()}
		used := false
		for _, m := range g.Members {
			obj := m.Leaves[i].Obj
			if !types.Identical(obj.Type(), r.typ) {
				return skip("%s has type %s in one copy and %s in another", l.Text, r.typ, obj.Type())
			}
			name := "_"
			if usedOutside(info, m, obj) {
				name, used = m.Leaves[i].Text, true
				if !topLevel(info, m, obj) {
					return skip("%s is used after the statements but declared in a nested block", l.Text)
				}
			}
			r.names = append(r.names, name)
		}
		if used {
			if hasTypeParam(r.typ) {
				return skip("%s has a type parameter's type", l.Text)
			}
			for k, m := range g.Members {
				if r.names[k] != "_" {
					if pos := closedOver(info, m.Stmts, m.Leaves[i].Obj); pos.IsValid() {
						return skip("%s is returned, but a function literal at %s keeps writing to it", l.Text, v.pos(pos))
					}
				}
			}
			results = append(results, r)
		}
	}
	slices.SortFunc(results, func(a, b *result) int { return cmp.Compare(a.first, b.first) })

	// Literals that differ become parameters.
	var lits []*litParam
	constRanges := constContexts(m0.Stmts)
	for _, d := range g.Diffs {
		switch d.Kind {
		case clone.Literal:
			e := m0.Leaves[d.Index].Expr
			for _, r := range constRanges {
				if e.Pos() >= r.Pos() && e.End() <= r.End() {
					return skip("the literals %s that differ are in a constant expression", strings.Join(d.Texts, "/"))
				}
			}
			t := d.Type
			if t == nil {
				return skip("the type of the literal %s is unknown", d.Texts[0])
			}
			lits = append(lits, &litParam{index: d.Index, typ: types.Default(t)})
		case clone.Value, clone.Rename:
			// Values are parameters (outs); renamed locals keep the first copy's names.
		}
	}

	// Names: the function's, then the literal parameters'.
	inBody := map[string]bool{}
	for _, l := range m0.Leaves {
		inBody[l.Text] = true
	}
	for _, m := range g.Members {
		for _, l := range m.Leaves {
			inBody[l.Text] = true
		}
	}
	name, ok := v.stmtFuncName(p, g, results, taken, inBody)
	if !ok {
		return skip("no free name for the shared function")
	}
	taken[name] = true
	usedNames := maps.Clone(inBody)
	usedNames[name] = true
	for _, l := range lits {
		base := litName(info, m0, m0.Leaves[l.index].Expr, l.typ)
		l.name = base
		for i := 2; usedNames[l.name] || token.IsKeyword(l.name) || types.Universe.Lookup(l.name) != nil; i++ {
			l.name = base + strconv.Itoa(i)
		}
		usedNames[l.name] = true
	}

	// The function's text: the first copy's statements, comments included, with the differing
	// literals replaced by parameters.
	file0, start0 := v.off(m0.Pos)
	_, end0 := v.off(m0.End)
	src0 := v.r.cur[file0]
	var bodyEdits []edit.Edit
	for _, l := range lits {
		e := m0.Leaves[l.index].Expr
		_, s := v.off(e.Pos())
		_, en := v.off(e.End())
		bodyEdits = append(bodyEdits, edit.Edit{Start: s - start0, End: en - start0, New: l.name})
	}
	edit.Sort(bodyEdits)
	body, err := edit.Apply(src0[start0:end0], bodyEdits)
	if err != nil {
		return skip("%v", err)
	}
	imports := map[string][]string{}
	qual := v.qualifier(p, file0, imports)
	var params []string
	for _, o := range outs {
		if o.param {
			params = append(params, fmt.Sprintf("%s %s", m0.Leaves[o.first].Text, types.TypeString(valueType(o.objs[0].Type()), qual)))
		}
	}
	for _, l := range lits {
		params = append(params, fmt.Sprintf("%s %s", l.name, types.TypeString(l.typ, qual)))
	}
	var resTypes, resNames []string
	for _, r := range results {
		resTypes = append(resTypes, types.TypeString(r.typ, qual))
		resNames = append(resNames, m0.Leaves[r.first].Text)
	}
	var fn strings.Builder
	var encl []string
	for _, m := range g.Members {
		if !slices.Contains(encl, m.Decl.Name.Name) {
			encl = append(encl, m.Decl.Name.Name)
		}
	}
	fn.WriteString("\n\n" + docComment(fmt.Sprintf("%s holds the statements that %s repeated, kept in one place so that the copies cannot drift apart.",
		name, joinAnd(encl))))
	fmt.Fprintf(&fn, "func %s(%s)", name, strings.Join(params, ", "))
	switch len(resTypes) {
	case 0:
	case 1:
		fmt.Fprintf(&fn, " %s", resTypes[0])
	default:
		fmt.Fprintf(&fn, " (%s)", strings.Join(resTypes, ", "))
	}
	fn.WriteString(" {\n")
	// A test helper reports failures at its caller's line.
	for _, o := range outs {
		if o.param && (isNamedPtr(o.objs[0].Type(), "testing", "T") || isNamedPtr(o.objs[0].Type(), "testing", "B")) {
			fmt.Fprintf(&fn, "%s.Helper()\n", m0.Leaves[o.first].Text)
			break
		}
	}
	fmt.Fprintf(&fn, "%s\n", body)
	if len(resNames) > 0 {
		fmt.Fprintf(&fn, "return %s\n", strings.Join(resNames, ", "))
	}
	fn.WriteString("}")

	es := edit.Set{}
	for k, m := range g.Members {
		var args []string
		for _, o := range outs {
			if o.param {
				args = append(args, m.Leaves[o.first].Text)
			}
		}
		for _, l := range lits {
			args = append(args, m.Leaves[l.index].Text)
		}
		call := fmt.Sprintf("%s(%s)", name, strings.Join(args, ", "))
		var lhs []string
		define := false
		for _, r := range results {
			lhs = append(lhs, r.names[k])
			if r.defined && r.names[k] != "_" {
				define = true
			}
		}
		if define {
			// := assigns the outer variables only when they are declared in the same block;
			// elsewhere it would declare new ones that shadow them.
			scope := blockScope(info, m)
			for _, r := range results {
				if !r.defined {
					if obj := m.Leaves[r.first].Obj; scope == nil || obj.Parent() != scope {
						return skip("%s would be both declared and assigned by the call, and it is declared in an outer block", obj.Name())
					}
				}
			}
		}
		stmt := call
		switch {
		case len(lhs) > 0 && define:
			stmt = strings.Join(lhs, ", ") + " := " + call
		case len(lhs) > 0 && slices.ContainsFunc(lhs, func(s string) bool { return s != "_" }):
			stmt = strings.Join(lhs, ", ") + " = " + call
		case len(lhs) > 0:
			stmt = call
		}
		if k > 0 {
			stmt = v.foreignComments(m, string(body)) + stmt
		}
		path, s := v.off(m.Pos)
		_, e := v.off(m.End)
		es.Add(path, edit.Edit{Start: s, End: e, New: stmt})
	}
	_, declEnd := v.off(m0.Decl.End())
	es.Add(file0, edit.Edit{Start: declEnd, End: declEnd, New: fn.String()})

	c := &Change{Pass: PassUnify, edits: es, imports: imports}
	c.Title = fmt.Sprintf("extract %d repeated statements of %s into %s", g.Stmts, joinAnd(encl), name)
	c.Why = stmtsWhy(g, where, outs, lits, resNames)
	return c, ""
}

// litParam is a literal that differs between the copies and becomes a parameter: its leaf
// index, type and parameter name.
type litParam struct {
	index int
	typ   types.Type
	name  string
}

// stmtsBlocker says why the statement runs of g cannot become one function, or "".
func (v *view) stmtsBlocker(info *types.Info, g clone.Group) string {
	tests := 0
	for _, m := range g.Members {
		if strings.HasSuffix(m.File, "_test.go") {
			tests++
		}
		if m.Decl == nil {
			return "a copy is in a function literal outside any function"
		}
		if m.Decl.Type.TypeParams != nil || (m.Decl.Recv != nil && hasTypeParams(info, m.Decl)) {
			return "a copy is in a generic function"
		}
	}
	if tests > 0 && tests < len(g.Members) {
		return "some copies are in test files and some are not; a shared function would tie the tests to the code"
	}
	for _, m := range g.Members {
		if why := leavesFlow(v, m.Stmts); why != "" {
			return fmt.Sprintf("control flow leaves the statements (%s)", why)
		}
	}
	for _, m := range g.Members {
		if len(m.Leaves) != len(g.Members[0].Leaves) {
			return "the copies differ in shape"
		}
	}
	return ""
}

// stmtsWhy explains an extraction of repeated statements to a reviewer: where the copies are,
// and what became parameters and results.
func stmtsWhy(g clone.Group, where string, outs []*outerRef, lits []*litParam, resNames []string) string {
	m0 := g.Members[0]
	var why strings.Builder
	fmt.Fprintf(&why, "the same %d statements (%d tokens) appear %d times (%s).", g.Stmts, g.Tokens, len(g.Members), where)
	var pnames []string
	for _, o := range outs {
		if o.param {
			pnames = append(pnames, m0.Leaves[o.first].Text)
		}
	}
	for _, l := range lits {
		var texts []string
		for _, m := range g.Members {
			texts = append(texts, m.Leaves[l.index].Text)
		}
		pnames = append(pnames, fmt.Sprintf("%s (the literals %s)", l.name, strings.Join(texts, "/")))
	}
	if len(pnames) > 0 {
		fmt.Fprintf(&why, " Parameters: %s.", strings.Join(pnames, ", "))
	}
	if len(resNames) > 0 {
		fmt.Fprintf(&why, " Results, used after the statements: %s.", strings.Join(resNames, ", "))
	}
	return upperFirst(why.String())
}

func stmtMemberList(v *view, ms []clone.Member) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%s:%d-%d", v.rel(m.File), m.Line, m.EndLine))
	}
	return strings.Join(s, ", ")
}

func (v *view) pos(p token.Pos) string {
	pp := v.fset.Position(p)
	return fmt.Sprintf("%s:%d", v.rel(pp.Filename), pp.Line)
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

func hasTypeParams(info *types.Info, d *ast.FuncDecl) bool {
	obj, ok := info.Defs[d.Name].(*types.Func)
	if !ok {
		return false
	}
	sig := obj.Type().(*types.Signature)
	return sig.RecvTypeParams().Len() > 0 || sig.TypeParams().Len() > 0
}

func hasTypeParam(t types.Type) bool {
	found := false
	var walk func(t types.Type)
	seen := map[types.Type]bool{}
	walk = func(t types.Type) {
		if found || t == nil || seen[t] {
			return
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.TypeParam:
			found = true
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Named:
			for i := range t.TypeArgs().Len() {
				walk(t.TypeArgs().At(i))
			}
		case *types.Signature:
			for i := range t.Params().Len() {
				walk(t.Params().At(i).Type())
			}
			for i := range t.Results().Len() {
				walk(t.Results().At(i).Type())
			}
		case *types.Struct:
			for i := range t.NumFields() {
				walk(t.Field(i).Type())
			}
		}
	}
	walk(t)
	return found
}

func isValueObj(obj types.Object) bool {
	switch obj := obj.(type) {
	case *types.Var:
		return !obj.IsField()
	case *types.Const:
		return true
	}
	return false
}

func isVar(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	return ok && !v.IsField()
}

// pkgLevel reports whether obj is declared at package level (or is predeclared).
func pkgLevel(obj types.Object) bool {
	if obj.Parent() == types.Universe {
		return true
	}
	return obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope()
}

// valueType is the type a parameter holding a value of type t gets.
func valueType(t types.Type) types.Type {
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		return types.Default(t)
	}
	return t
}

// leavesFlow returns where control leaves the statements (a return, a defer, a goto, a label,
// a break or continue whose target is outside them), or "".
func leavesFlow(v *view, stmts []ast.Stmt) string {
	why := ""
	var walk func(n ast.Node, loops, breaks int) bool
	walk = func(n ast.Node, loops, breaks int) bool {
		ast.Inspect(n, func(n ast.Node) bool {
			if why != "" {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				why = "return at " + v.pos(n.Pos())
			case *ast.DeferStmt:
				why = "defer at " + v.pos(n.Pos()) + ", which would run when the new function returns"
			case *ast.LabeledStmt:
				why = "label " + n.Label.Name + " at " + v.pos(n.Pos())
			case *ast.BranchStmt:
				switch {
				case n.Label != nil || n.Tok == token.GOTO || n.Tok == token.FALLTHROUGH:
					why = n.Tok.String() + " at " + v.pos(n.Pos())
				case n.Tok == token.BREAK && breaks == 0, n.Tok == token.CONTINUE && loops == 0:
					why = n.Tok.String() + " at " + v.pos(n.Pos())
				}
			case *ast.ForStmt:
				walkAll(n, func(c ast.Node) { walk(c, loops+1, breaks+1) })
				return false
			case *ast.RangeStmt:
				walkAll(n, func(c ast.Node) { walk(c, loops+1, breaks+1) })
				return false
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				walkAll(n, func(c ast.Node) { walk(c, loops, breaks+1) })
				return false
			}
			return why == ""
		})
		return why == ""
	}
	for _, s := range stmts {
		if !walk(s, 0, 0) {
			break
		}
	}
	return why
}

// walkAll calls f on each direct child of n.
func walkAll(n ast.Node, f func(ast.Node)) {
	first := true
	ast.Inspect(n, func(c ast.Node) bool {
		if first {
			first = false
			return true
		}
		if c != nil {
			f(c)
		}
		return false
	})
}

// access is what a statement run does with variables declared outside it.
type access struct {
	set     map[types.Object]bool      // assigned (the variable itself, or a field or array element of it)
	addr    map[types.Object]token.Pos // address taken, directly or by a pointer-receiver method call
	closure map[types.Object]token.Pos // written inside a function literal
}

// accesses walks stmts; local reports whether an object is declared inside the run.
func accesses(v *view, info *types.Info, stmts []ast.Stmt, local func(types.Object) bool) (access, string) {
	acc := access{set: map[types.Object]bool{}, addr: map[types.Object]token.Pos{}, closure: map[types.Object]token.Pos{}}
	var visit func(n ast.Node, inLit *ast.FuncLit) bool
	written := func(e ast.Expr, pos token.Pos, inLit *ast.FuncLit, addr bool) {
		obj := rootVar(info, e)
		if obj == nil {
			return
		}
		declaredInLit := inLit != nil && obj.Pos() >= inLit.Pos() && obj.Pos() < inLit.End()
		switch {
		case inLit != nil && !declaredInLit && !local(obj):
			acc.closure[obj] = pos
		case addr && !local(obj):
			acc.addr[obj] = pos
		case !local(obj):
			acc.set[obj] = true
		}
	}
	visit = func(n ast.Node, inLit *ast.FuncLit) bool {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				if inLit == nil {
					visit(n.Body, n)
					return false
				}
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && n.Tok == token.DEFINE && info.Defs[id] != nil {
						continue
					}
					written(l, n.Pos(), inLit, false)
				}
			case *ast.IncDecStmt:
				written(n.X, n.Pos(), inLit, false)
			case *ast.RangeStmt:
				if n.Tok == token.ASSIGN {
					if n.Key != nil {
						written(n.Key, n.Pos(), inLit, false)
					}
					if n.Value != nil {
						written(n.Value, n.Pos(), inLit, false)
					}
				}
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					written(n.X, n.Pos(), inLit, true)
				}
			case *ast.SelectorExpr:
				// x.M() with a pointer receiver takes x's address.
				if sel := info.Selections[n]; sel != nil && sel.Kind() == types.MethodVal {
					if sig, ok := sel.Obj().Type().(*types.Signature); ok && sig.Recv() != nil {
						if _, ptrRecv := sig.Recv().Type().Underlying().(*types.Pointer); ptrRecv {
							if _, ptrX := info.TypeOf(n.X).Underlying().(*types.Pointer); !ptrX {
								written(n.X, n.Pos(), inLit, true)
							}
						}
					}
				}
			}
			return true
		})
		return true
	}
	for _, s := range stmts {
		visit(s, nil)
	}
	return acc, ""
}

// rootVar returns the variable that writing e writes: the variable itself, or the struct or
// array variable holding the field or element; nil when the write goes through a pointer,
// slice or map (the copy would share it).
func rootVar(info *types.Info, e ast.Expr) types.Object {
	for {
		switch x := ast.Unparen(e).(type) {
		case *ast.Ident:
			if obj, ok := info.Uses[x].(*types.Var); ok && !obj.IsField() {
				return obj
			}
			if obj, ok := info.Defs[x].(*types.Var); ok && !obj.IsField() {
				return obj
			}
			return nil
		case *ast.SelectorExpr:
			sel := info.Selections[x]
			if sel == nil || sel.Kind() != types.FieldVal || sel.Indirect() {
				return nil
			}
			if _, ptr := info.TypeOf(x.X).Underlying().(*types.Pointer); ptr {
				return nil
			}
			e = x.X
		case *ast.IndexExpr:
			if _, arr := info.TypeOf(x.X).Underlying().(*types.Array); !arr {
				return nil
			}
			e = x.X
		default:
			return nil
		}
	}
}

// closedOver returns where a function literal in stmts writes obj, or NoPos.
func closedOver(info *types.Info, stmts []ast.Stmt, obj types.Object) token.Pos {
	var at token.Pos
	for _, s := range stmts {
		ast.Inspect(s, func(n ast.Node) bool {
			lit, ok := n.(*ast.FuncLit)
			if !ok || at.IsValid() {
				return !at.IsValid()
			}
			ast.Inspect(lit.Body, func(n ast.Node) bool {
				var targets []ast.Expr
				switch n := n.(type) {
				case *ast.AssignStmt:
					targets = n.Lhs
				case *ast.IncDecStmt:
					targets = []ast.Expr{n.X}
				case *ast.UnaryExpr:
					if n.Op == token.AND {
						targets = []ast.Expr{n.X}
					}
				}
				for _, t := range targets {
					if rootVar(info, t) == obj {
						at = n.Pos()
					}
				}
				return true
			})
			return false
		})
	}
	return at
}

// usedOutside reports whether obj, declared in member m, is used in m's function outside m.
func usedOutside(info *types.Info, m clone.Member, obj types.Object) bool {
	found := false
	ast.Inspect(m.Decl, func(n ast.Node) bool {
		if found {
			return false
		}
		if n != nil && n.Pos() >= m.Pos && n.End() <= m.End {
			return false
		}
		if id, ok := n.(*ast.Ident); ok && info.Uses[id] == obj {
			found = true
		}
		return true
	})
	return found
}

// blockScope returns the scope of the block holding m's statements.
func blockScope(info *types.Info, m clone.Member) *types.Scope {
	if s := info.Scopes[m.Block]; s != nil {
		return s
	}
	if m.Block == ast.Node(m.Decl.Body) {
		return info.Scopes[m.Decl.Type]
	}
	return nil
}

// topLevel reports whether obj is declared directly in the block holding m's statements, so
// that a := in its place declares it in the same scope.
func topLevel(info *types.Info, m clone.Member, obj types.Object) bool {
	s := blockScope(info, m)
	return s != nil && obj.Parent() == s
}

// constContexts returns the nodes inside stmts whose expressions must be constant.
func constContexts(stmts []ast.Stmt) []ast.Node {
	var out []ast.Node
	for _, s := range stmts {
		ast.Inspect(s, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GenDecl:
				if n.Tok == token.CONST {
					out = append(out, n)
				}
			case *ast.ArrayType:
				if n.Len != nil {
					out = append(out, n.Len)
				}
			}
			return true
		})
	}
	return out
}

// litName names the parameter replacing the literal e: after the parameter of the called
// function it is passed to, the field it sets, or the variable it initializes; else after its
// type.
func litName(info *types.Info, m clone.Member, e ast.Expr, t types.Type) string {
	name := ""
	for _, s := range m.Stmts {
		ast.Inspect(s, func(n ast.Node) bool {
			if name != "" {
				return false
			}
			switch n := n.(type) {
			case *ast.CallExpr:
				for i, a := range n.Args {
					if a != e {
						continue
					}
					if sig, ok := info.TypeOf(n.Fun).(*types.Signature); ok && i < sig.Params().Len() && !(sig.Variadic() && i >= sig.Params().Len()-1) {
						name = sig.Params().At(i).Name()
					}
				}
			case *ast.BinaryExpr:
				// o.Total > 100 gives minTotal; n < 3 gives maxN.
				other := n.X
				if n.X == e {
					other = n.Y
				} else if n.Y != e {
					break
				}
				var base string
				switch o := ast.Unparen(other).(type) {
				case *ast.Ident:
					base = o.Name
				case *ast.SelectorExpr:
					base = o.Sel.Name
				default:
					break
				}
				lower := n.Op == token.GTR || n.Op == token.GEQ
				if n.X == e {
					lower = n.Op == token.LSS || n.Op == token.LEQ
				}
				switch {
				case base == "":
				case n.Op == token.GTR || n.Op == token.GEQ || n.Op == token.LSS || n.Op == token.LEQ:
					if lower {
						name = "min" + upperFirst(base)
					} else {
						name = "max" + upperFirst(base)
					}
				}
			case *ast.KeyValueExpr:
				if n.Value == e {
					if id, ok := n.Key.(*ast.Ident); ok {
						name = lowerFirst(id.Name)
					}
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i, r := range n.Rhs {
						if r == e {
							if id, ok := n.Lhs[i].(*ast.Ident); ok && id.Name != "_" {
								name = id.Name + "Init"
							}
						}
					}
				}
			}
			return true
		})
	}
	if name != "" && name != "_" && token.IsIdentifier(name) {
		return name
	}
	switch b, _ := t.Underlying().(*types.Basic); {
	case b == nil:
		return "val"
	case b.Info()&types.IsString != 0:
		return "text"
	case b.Info()&types.IsBoolean != 0:
		return "flag"
	case b.Info()&types.IsFloat != 0:
		return "x"
	case b.Info()&types.IsInteger != 0:
		return "n"
	}
	return "val"
}

func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	// An initialism stays whole: URL becomes url, not uRL.
	k := 0
	for k < len(r) && unicode.IsUpper(r[k]) {
		k++
	}
	if k > 1 && k < len(r) {
		k--
	}
	for i := 0; i < k || i == 0; i++ {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// stmtFuncName names the function extracted from g: the words the enclosing functions' names
// share, else a verb from the first call and the first result, else the first function's name
// with a suffix; the name must be free in the package (tests included) and not shadowed where
// any member stands.
func (v *view) stmtFuncName(p *packages.Package, g clone.Group, results []*result, taken, inBody map[string]bool) (string, bool) {
	var encl []string
	for _, m := range g.Members {
		encl = append(encl, m.Decl.Name.Name)
	}
	var cands []string
	common := commonName(encl)
	testPrefix := slices.Contains([]string{"Test", "Benchmark", "Fuzz", "Example"}, common)
	if common != "" && !slices.Contains(encl, common) && !testPrefix {
		cands = append(cands, common)
	}
	verb := ""
	for _, s := range g.Members[0].Stmts {
		ast.Inspect(s, func(n ast.Node) bool {
			if verb != "" {
				return false
			}
			if call, ok := n.(*ast.CallExpr); ok {
				switch f := ast.Unparen(call.Fun).(type) {
				case *ast.Ident:
					if _, isFn := p.TypesInfo.Uses[f].(*types.Func); isFn {
						verb = strings.ToLower(camelWords(f.Name)[0])
					}
				case *ast.SelectorExpr:
					verb = strings.ToLower(camelWords(f.Sel.Name)[0])
				}
			}
			return true
		})
	}
	if verb != "" && testPrefix {
		// TestA and TestB share only "Test": say what the helper does first.
		cands = append(cands, common+upperFirst(verb))
	}
	if verb != "" && len(results) > 0 {
		r0 := g.Members[0].Leaves[results[0].first].Text
		cands = append(cands, verb+upperFirst(r0))
	}
	if n := commonName(encl); n != "" {
		cands = append(cands, n+"Steps")
	}
	cands = append(cands, encl[0]+"Steps")
	// The shared function is a helper of the package: unexported, whatever the enclosing
	// functions are (TestA and TestB would otherwise give Test, which go vet rejects).
	for i, c := range cands {
		cands[i] = lowerFirst(c)
	}
	free := func(name string) bool {
		if !token.IsIdentifier(name) || token.IsKeyword(name) || taken[name] || inBody[name] || types.Universe.Lookup(name) != nil {
			return false
		}
		for _, q := range v.all {
			if q.PkgPath == p.PkgPath && q.Types.Scope().Lookup(name) != nil {
				return false
			}
		}
		for _, m := range g.Members {
			if s := p.Types.Scope().Innermost(m.Pos); s != nil {
				if _, obj := s.LookupParent(name, m.Pos); obj != nil && !pkgLevel(obj) {
					return false
				}
			}
			// Imports are file-scoped.
			for _, f := range p.Syntax {
				if f.FileStart <= m.Pos && m.Pos < f.FileEnd {
					for _, imp := range f.Imports {
						if importName(imp) == name {
							return false
						}
					}
				}
			}
		}
		return true
	}
	for _, c := range cands {
		if free(c) {
			return c, true
		}
	}
	for i := 2; i < 100; i++ {
		if c := cands[0] + strconv.Itoa(i); free(c) {
			return c, true
		}
	}
	return "", false
}

func importName(imp *ast.ImportSpec) string {
	if imp.Name != nil {
		return imp.Name.Name
	}
	path, _ := strconv.Unquote(imp.Path.Value)
	return path[strings.LastIndex(path, "/")+1:]
}

// qualifier writes package-qualified type names as the file at path spells them, recording
// imports it must add.
func (v *view) qualifier(p *packages.Package, path string, imports map[string][]string) types.Qualifier {
	var file *ast.File
	for _, f := range p.Syntax {
		if v.rel(v.fset.Position(f.Pos()).Filename) == path {
			file = f
		}
	}
	return func(q *types.Package) string {
		if q.Path() == p.PkgPath {
			return ""
		}
		if file != nil {
			for _, imp := range file.Imports {
				if ip, _ := strconv.Unquote(imp.Path.Value); ip == q.Path() {
					if imp.Name != nil && imp.Name.Name != "_" && imp.Name.Name != "." {
						return imp.Name.Name
					}
					if imp.Name == nil {
						return q.Name()
					}
				}
			}
		}
		if !slices.Contains(imports[path], q.Path()) {
			imports[path] = append(imports[path], q.Path())
		}
		return q.Name()
	}
}

// foreignComments returns, as lines to put before the call, the comments inside member m that
// the extracted body (the first copy's text) does not already hold.
func (v *view) foreignComments(m clone.Member, body string) string {
	var f *ast.File
	for _, p := range v.all {
		for _, sf := range p.Syntax {
			if sf.FileStart <= m.Pos && m.Pos < sf.FileEnd {
				f = sf
			}
		}
	}
	if f == nil {
		return ""
	}
	var sb strings.Builder
	for _, cg := range f.Comments {
		if cg.Pos() < m.Pos || cg.End() > m.End {
			continue
		}
		for _, c := range cg.List {
			if !strings.Contains(body, c.Text) {
				sb.WriteString(c.Text + "\n")
			}
		}
	}
	return sb.String()
}

func isNamedPtr(t types.Type, pkg, name string) bool {
	p, ok := t.(*types.Pointer)
	return ok && isNamed(p.Elem(), pkg, name)
}
