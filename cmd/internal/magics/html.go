package magics

import (
	"fmt"
	"html"
	"sort"
	"strings"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/notes"
)

// planHTML renders a plan for a notebook output: a table of code cells
// with their section, what they declare and the file it goes to, then the
// decisions that leave things out, then the duplicates.
func planHTML(p *extract.Plan, dupes []notes.DuplicateBlock) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString(`<div class="decant-plan">`)
	fmt.Fprintf(&b, "<p><b>%s</b> → package <code>%s</code> (module <code>%s</code>)", e(p.Notebook), e(p.Slug), e(p.Module))
	if p.AutoLabeled {
		b.WriteString(", sections assigned by <code>--auto-label</code>")
	}
	b.WriteString("</p>\n<table><thead><tr><th>cell</th><th>section</th><th>declarations / step</th><th>file</th></tr></thead><tbody>\n")
	for _, c := range p.Cells {
		if c.Type != "code" {
			continue
		}
		section, file := c.Section.String(), p.Slug+"/"+c.Section.File()
		if c.Skipped != "" {
			section, file = "skipped", e(c.Skipped)
		} else {
			file = "<code>" + e(file) + "</code>"
		}
		var parts []string
		if len(c.Decls) > 0 {
			parts = append(parts, "<code>"+e(strings.Join(c.Decls, ", "))+"</code>")
		}
		if c.Step != "" {
			parts = append(parts, "step <code>"+e(c.Step)+"()</code> → <code>"+e(p.Slug)+"/pipeline.go</code>")
		}
		fmt.Fprintf(&b, "<tr><td>%d</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", c.Index, e(section), strings.Join(parts, "; "), file)
	}
	b.WriteString("</tbody></table>\n")
	byAction := map[string][]extract.Decision{}
	for _, d := range p.Decisions {
		byAction[d.Action] = append(byAction[d.Action], d)
	}
	for _, a := range []string{"left out", "skipped", "replaced", "dropped", "warning"} {
		ds := byAction[a]
		if len(ds) == 0 {
			continue
		}
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].Cell < ds[j].Cell })
		fmt.Fprintf(&b, "<p><b>%s</b></p><ul>\n", e(a))
		for _, d := range ds {
			loc := fmt.Sprintf("cell %d", d.Cell)
			if d.Cell < 0 {
				loc = "notebook"
			}
			fmt.Fprintf(&b, "<li>%s: <code>%s</code>: %s</li>\n", loc, e(d.Subject), e(d.Reason))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString(dupesHTML(dupes))
	b.WriteString("</div>\n")
	return b.String()
}

func dupesHTML(ds []notes.DuplicateBlock) string {
	if len(ds) == 0 {
		return "<p><b>duplicates</b>: none</p>\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<p><b>duplicates</b>: %d blocks</p><ul>\n", len(ds))
	for _, d := range ds {
		var places []string
		for _, p := range d.Places {
			places = append(places, html.EscapeString(placeString(p)))
		}
		fmt.Fprintf(&b, "<li>%d statements (%d lines) at %s</li>\n", d.Statements, d.Lines, strings.Join(places, ", "))
	}
	b.WriteString("</ul>\n")
	return b.String()
}
