package extract

import (
	"cmp"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"sort"
)

// spanned is a unit of a combined source that the reachability walks check as one file: the
// service's declarations and steps (unit), or a %wasm program's (wasmUnit).
type spanned interface {
	span() (start, end int) // byte range in the combined source
}

func (u *unit) span() (int, int)     { return u.start, u.end }
func (u *wasmUnit) span() (int, int) { return u.start, u.end }

// unitAtOffset returns the unit covering byte offset o of the combined source, and whether
// there is one; units are in source order.
func unitAtOffset[U spanned](units []U, o int) (U, bool) {
	i := sort.Search(len(units), func(i int) bool { _, end := units[i].span(); return end > o })
	if i < len(units) {
		if start, _ := units[i].span(); start <= o {
			return units[i], true
		}
	}
	var none U
	return none, false
}

// packageUses calls use, in source order, for each identifier of the combined file tf that
// names a package-level object of pkg or a method, with the unit holding the identifier and
// the unit declaring what it names.
func packageUses[U spanned](info *types.Info, pkg *types.Package, tf *token.File, units []U, use func(id *ast.Ident, from, to U)) {
	ids := make([]*ast.Ident, 0, len(info.Uses))
	for id, obj := range info.Uses {
		if obj == nil || obj.Pkg() != pkg {
			continue
		}
		if obj.Parent() != pkg.Scope() {
			if fn, ok := obj.(*types.Func); !ok || fn.Signature().Recv() == nil {
				continue
			}
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b *ast.Ident) int { return cmp.Compare(a.Pos(), b.Pos()) })
	at := func(p token.Pos) (U, bool) {
		if !p.IsValid() {
			var none U
			return none, false
		}
		return unitAtOffset(units, tf.Offset(p))
	}
	for _, id := range ids {
		from, ok := at(id.Pos())
		to, ok2 := at(info.Uses[id].Pos())
		if ok && ok2 {
			use(id, from, to)
		}
	}
}
