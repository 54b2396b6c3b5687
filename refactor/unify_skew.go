package refactor

import (
	"fmt"
	"go/ast"
	"go/token"
	"maps"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// minSkewConsts is the fewest numeric constants a composite literal must hold for its copies
// to be reported as a skew candidate: fewer is too common to mean anything.
const minSkewConsts = 4

// skewNotes reports composite literals in different functions of p that are built from the
// same numeric constants in the same order, like a feature vector scaled the same way where
// a model is trained and where it is served. They are expressions, not statement runs, so
// they are not unified; the note asks for one function computing them, since a change to one
// copy alone makes the served features differ from the trained ones.
func (v *view) skewNotes(p *packages.Package) []string {
	type site struct {
		where, fn string
	}
	bySeq := map[string][]site{}
	for _, fd := range funcBodies(p) {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) < 3 {
				return true
			}
			var nums []string
			for _, e := range cl.Elts {
				ast.Inspect(e, func(n ast.Node) bool {
					if bl, ok := n.(*ast.BasicLit); ok && (bl.Kind == token.INT || bl.Kind == token.FLOAT) {
						nums = append(nums, bl.Value)
					}
					return true
				})
			}
			if len(nums) < minSkewConsts {
				return true
			}
			key := strings.Join(nums, ", ")
			bySeq[key] = append(bySeq[key], site{v.pos(cl.Pos()), fd.Name.Name})
			return false
		})
	}
	var notes []string
	for _, key := range slices.Sorted(maps.Keys(bySeq)) {
		sites := bySeq[key]
		fns := map[string]bool{}
		var parts []string
		for _, s := range sites {
			fns[s.fn] = true
			parts = append(parts, fmt.Sprintf("%s (%s)", s.where, s.fn))
		}
		if len(fns) < 2 {
			continue
		}
		notes = append(notes, fmt.Sprintf("training/serving skew candidate: %s build the same values from the same constants (%s); change one and the others silently disagree, so compute them in one function that every caller uses",
			joinAnd(parts), key))
	}
	return notes
}
