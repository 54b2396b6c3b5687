package notes

import (
	"fmt"
	"strings"

	"github.com/decant-go/decant/refactor/clone"
)

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
			var others, short []string
			for _, q := range d.Places {
				if q != p {
					others = append(others, describePlace(q))
					short = append(short, shortPlace(q))
				}
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
