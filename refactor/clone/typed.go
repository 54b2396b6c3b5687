package clone

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/types"
	"slices"
	"strconv"
	"strings"
)

// leafKey classes.
const (
	keyLocal   = 'L' // declared inside the member: renaming is harmless
	keyOuter   = 'V' // variable or constant declared outside: may differ, as a value
	keyFixed   = 'F' // function, type, package, field, builtin: must be the same object
	keyLiteral = 'K'
	keySelf    = 'S' // the member function itself (its name, or a recursive call)
	keyName    = 'N' // no type information: identifiers compared by consistent renaming
)

type memberKeys struct {
	m    Member
	keys []string
}

// check applies the type rules to a same-shape candidate and records the resulting groups
// and exclusions.
func (d *detector) check(c cand) {
	mks := make([]memberKeys, len(c.ws))
	for k, w := range c.ws {
		m := d.member(w)
		m.Leaves = d.leaves(m)
		mks[k] = memberKeys{m, d.keys(m)}
	}
	slices.SortFunc(mks, func(a, b memberKeys) int {
		return cmp.Or(cmp.Compare(a.m.File, b.m.File), cmp.Compare(a.m.Pos, b.m.Pos))
	})
	parts := map[string][]int{}
	var order []string
	for k, mk := range mks {
		key := strings.Join(mk.keys, "\x00") + "\x01" + strconv.Itoa(len(mk.keys))
		if _, ok := parts[key]; !ok {
			order = append(order, key)
		}
		parts[key] = append(parts[key], k)
	}
	// The largest partition is the reference for explaining why others were split off.
	ref := order[0]
	for _, key := range order {
		if len(parts[key]) > len(parts[ref]) {
			ref = key
		}
	}
	tokens, stmts := c.ws[0].size()
	for _, key := range order {
		idx := parts[key]
		if len(idx) > 1 {
			g := Group{Kind: c.kind, Tokens: tokens, Stmts: stmts}
			for _, k := range idx {
				g.Members = append(g.Members, mks[k].m)
			}
			g.Diffs = diffs(g.Members, mks[idx[0]].keys)
			d.res.Groups = append(d.res.Groups, g)
			continue
		}
		other := parts[ref][0]
		if key == ref {
			if len(order) > 1 {
				continue // explained by the exclusions of the others
			}
			other = (idx[0] + 1) % len(mks)
		}
		ex := Exclusion{Kind: c.kind, Members: []Member{mks[idx[0]].m, mks[other].m}}
		ex.Reason = d.reason(mks[idx[0]], mks[other])
		d.res.Excluded = append(d.res.Excluded, ex)
	}
}

// leaves lists the identifiers and literals of m in source order, skipping the names after
// selector dots, which are part of the shape.
func (d *detector) leaves(m Member) []Leaf {
	var out []Leaf
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CommentGroup:
			return false
		case *ast.SelectorExpr:
			ast.Inspect(n.X, visit)
			return false
		case *ast.BasicLit:
			l := Leaf{Expr: n, Text: n.Value}
			if d.info != nil {
				l.Type = d.info.TypeOf(n)
			}
			out = append(out, l)
		case *ast.Ident:
			l := Leaf{Expr: n, Text: n.Name}
			if d.info != nil {
				l.Obj = d.info.Defs[n]
				if l.Obj == nil {
					l.Obj = d.info.Uses[n]
				}
				if l.Obj == nil {
					l.Obj = d.info.Implicits[n]
				}
				l.Type = d.info.TypeOf(n)
				if l.Type == nil && l.Obj != nil {
					l.Type = l.Obj.Type()
				}
				l.Local = l.Obj != nil && l.Obj.Pos() >= m.Pos && l.Obj.Pos() < m.End
			}
			out = append(out, l)
		}
		return true
	}
	if m.Stmts != nil {
		for _, s := range m.Stmts {
			ast.Inspect(s, visit)
		}
	} else {
		ast.Inspect(m.Decl, visit)
	}
	return out
}

// keys gives each leaf of m a comparison key: members whose keys agree everywhere are the
// same computation.
func (d *detector) keys(m Member) []string {
	keys := make([]string, len(m.Leaves))
	local, outer := map[any]int{}, map[any]int{}
	canon := func(tab map[any]int, k any) int {
		if v, ok := tab[k]; ok {
			return v
		}
		tab[k] = len(tab)
		return tab[k]
	}
	var selfObj types.Object
	if m.Stmts == nil && d.info != nil {
		selfObj = d.info.Defs[m.Decl.Name]
	}
	for i, l := range m.Leaves {
		var sb strings.Builder
		if _, isLit := l.Expr.(*ast.BasicLit); isLit {
			sb.WriteByte(keyLiteral)
			sb.WriteString(typeString(l.Type))
			keys[i] = sb.String()
			continue
		}
		switch obj := l.Obj; {
		case d.info == nil:
			fmt.Fprintf(&sb, "%c%d", keyName, canon(local, l.Text))
		case l.Text == "_":
			sb.WriteString("_")
		case obj == nil:
			sb.WriteString("?" + l.Text)
		case obj == selfObj:
			sb.WriteByte(keySelf)
		case isValue(obj) && l.Local:
			fmt.Fprintf(&sb, "%c%d", keyLocal, canon(local, obj))
		case isValue(obj):
			fmt.Fprintf(&sb, "%c%d", keyOuter, canon(outer, obj))
		default:
			if pn, ok := obj.(*types.PkgName); ok {
				// Each file declares its own name for an import: the package is what counts.
				fmt.Fprintf(&sb, "%cpkg %s", keyFixed, pn.Imported().Path())
			} else if l.Local {
				fmt.Fprintf(&sb, "%c%d", keyLocal, canon(local, obj))
			} else {
				fmt.Fprintf(&sb, "%c%d", keyFixed, d.objID(obj))
			}
		}
		sb.WriteByte(':')
		sb.WriteString(typeString(l.Type))
		keys[i] = sb.String()
	}
	return keys
}

func isValue(obj types.Object) bool {
	switch obj := obj.(type) {
	case *types.Var:
		return !obj.IsField()
	case *types.Const, *types.Label:
		return true
	}
	return false
}

func (d *detector) objID(obj types.Object) int {
	if id, ok := d.objs[obj]; ok {
		return id
	}
	d.objs[obj] = len(d.objs)
	return d.objs[obj]
}

// typeString formats t; parameter names of function types are left out, since they do not
// change the type.
func typeString(t types.Type) string {
	if t == nil {
		return ""
	}
	if sig, ok := t.(*types.Signature); ok {
		t = unnamed(sig)
	}
	return types.TypeString(t, nil)
}

func unnamed(sig *types.Signature) *types.Signature {
	strip := func(tup *types.Tuple) *types.Tuple {
		vars := make([]*types.Var, tup.Len())
		for i := range vars {
			t := tup.At(i).Type()
			if s, ok := t.(*types.Signature); ok {
				t = unnamed(s)
			}
			vars[i] = types.NewParam(tup.At(i).Pos(), tup.At(i).Pkg(), "", t)
		}
		return types.NewTuple(vars...)
	}
	return types.NewSignatureType(nil, nil, nil, strip(sig.Params()), strip(sig.Results()), sig.Variadic())
}

// diffs lists the leaf positions whose text differs between members.
func diffs(ms []Member, keys []string) []Diff {
	var out []Diff
	for i := range ms[0].Leaves {
		texts := make([]string, len(ms))
		differ := false
		for k, m := range ms {
			texts[k] = m.Leaves[i].Text
			differ = differ || texts[k] != texts[0]
		}
		if !differ {
			continue
		}
		kind := Value
		switch keys[i][0] {
		case keyLiteral:
			kind = Literal
		case keyLocal, keySelf:
			kind = Rename
		}
		out = append(out, Diff{Index: i, Kind: kind, Texts: texts, Type: ms[0].Leaves[i].Type})
	}
	return out
}

// reason explains why a and b, of one shape, are not the same computation.
func (d *detector) reason(a, b memberKeys) string {
	lineOf := func(_ Member, l Leaf) int { return d.fset.Position(l.Expr.Pos()).Line }
	if len(a.keys) != len(b.keys) {
		return "same hash but different shape"
	}
	fixed := func(mk memberKeys) []string {
		var s []string
		for _, k := range mk.keys {
			if k[0] == keyFixed {
				s = append(s, k)
			}
		}
		return s
	}
	for i := range a.keys {
		ka, kb := a.keys[i], b.keys[i]
		if ka == kb {
			continue
		}
		la, lb := a.m.Leaves[i], b.m.Leaves[i]
		ta, tb := typeString(la.Type), typeString(lb.Type)
		if ta != tb {
			return fmt.Sprintf("same shape, different types: %s is %s at line %d, %s is %s at line %d",
				la.Text, ta, lineOf(a.m, la), lb.Text, tb, lineOf(b.m, lb))
		}
		if ka[0] == keyFixed || kb[0] == keyFixed {
			fa, fb := fixed(a), fixed(b)
			slices.Sort(fa)
			slices.Sort(fb)
			if slices.Equal(fa, fb) {
				return fmt.Sprintf("same operations in a different order (%s where the other has %s at line %d): side effects would be reordered",
					la.Text, lb.Text, lineOf(a.m, la))
			}
			return fmt.Sprintf("%s and %s are different %s at line %d", la.Text, lb.Text, objKind(la.Obj, lb.Obj), lineOf(a.m, la))
		}
		return fmt.Sprintf("inconsistent renaming at %s/%s, line %d: one name stands for different things", la.Text, lb.Text, lineOf(a.m, la))
	}
	return "same shape, not the same computation"
}

func objKind(a, b types.Object) string {
	kind := func(o types.Object) string {
		switch o := o.(type) {
		case *types.Func:
			return "functions"
		case *types.TypeName:
			return "types"
		case *types.PkgName:
			return "packages"
		case *types.Builtin:
			return "builtins"
		case *types.Var:
			if o.IsField() {
				return "fields"
			}
			return "variables"
		}
		return "objects"
	}
	if ka := kind(a); ka == kind(b) {
		return ka
	}
	return "kinds of objects"
}
