package notes

import (
	"fmt"
	"strings"

	"github.com/decant-go/decant/refactor/clone"
)

// maxOthers is how many other copies a duplicate's note names before it counts the rest.
const maxOthers = 5

// duplicateSmells puts a note on every copy of every duplicated block.
// The blocks come from the one clone detector (refactor/clone, through FindClones), so the
// notes, `decant dupes` and `%decant dupes` report the same groups.
func (a *analyzer) duplicateSmells() {
	var c *Clones
	if a.clones != nil {
		c = <-a.clones
	} else {
		c = FindClones(a.nb, clone.Options{})
	}
	blocks, anchors := c.duplicates()
	a.n.Duplicates = blocks
	for b, d := range blocks {
		for k, p := range d.Places {
			if p.Cell < 0 || p.Cell >= len(a.n.Cells) {
				continue
			}
			// Each copy names at most maxOthers of the others: a group of n copies would
			// otherwise write n² places, and the Duplicated blocks section lists them all once.
			var others, short []string
			more := 0
			for _, q := range d.Places {
				switch {
				case q == p:
				case len(others) < maxOthers:
					others = append(others, describePlace(q))
					short = append(short, shortPlace(q))
				default:
					more++
				}
			}
			if more > 0 {
				others = append(others, fmt.Sprintf("%d more places (see Duplicated blocks)", more))
				short = append(short, fmt.Sprintf("%d more", more))
			}
			a.smell(p.Cell, Smell{Kind: Duplicate, Severity: Warning, Line: anchors[b][k],
				Message: fmt.Sprintf("lines %d-%d (%d statements) are the same, up to names and literals, as %s",
					p.StartLine, p.EndLine, d.Statements, strings.Join(others, "; ")),
				Todo:     fmt.Sprintf("duplicated code (also in %s); factor it out", strings.Join(short, ", ")),
				keywords: []string{"duplicat"}})
		}
	}
}

func describePlace(p Place) string {
	s := fmt.Sprintf("cell %d lines %d-%d", p.Cell, p.StartLine, p.EndLine)
	if p.Func != "" {
		s += " (" + p.Func + ")"
	}
	return s
}

// shortPlace names a place without line numbers, which the notes themselves shift.
func shortPlace(p Place) string {
	if p.Func != "" {
		return p.Func
	}
	return fmt.Sprintf("the %%%% body of cell %d", p.Cell)
}
