package notes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/decant-go/decant/extract"
)

// Markdown renders the notes as a Markdown document: summary table, smells, duplicated blocks,
// TODO notes, then every code cell in notebook order.
func (n *Notes) Markdown() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Reading notes: %s\n\n", n.Notebook)
	code, md := 0, 0
	for _, c := range n.Cells {
		switch c.Type {
		case "code":
			code++
		case "markdown":
			md++
		}
	}
	fmt.Fprintf(&b, "%d cells: %d code, %d markdown. ", len(n.Cells), code, md)
	switch {
	case n.Labeled:
		b.WriteString("Sections come from the notebook's labels.\n")
	case n.Suggested:
		b.WriteString("The notebook has no labels: the sections below are suggestions, from what each cell does (`decant doc --write` adds them as headings).\n")
	default:
		b.WriteString("The notebook has no labels.\n")
	}
	if n.Plan != nil {
		fmt.Fprintf(&b, "\n%s\n", planLine(n.Plan))
	} else if n.PlanError != "" {
		fmt.Fprintf(&b, "\nThe notebook cannot be extracted yet: %s\n", firstLine(n.PlanError))
	}

	b.WriteString("\n## Summary\n\n| Section | Code cells | Lines | TODOs | Smells |\n|---|---|--:|--:|--:|\n")
	var tc, tl, tt, ts int
	for _, s := range n.Sections {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d |\n", s.Section, cellList(s.Cells), s.Lines, s.Todos, s.Smells)
		tc += len(s.Cells)
		tl += s.Lines
		tt += s.Todos
		ts += s.Smells
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %d | %d |\n", tc, tl, tt, ts)
	smells := n.Smells()
	if len(smells) > 0 {
		counts := map[string]int{}
		severe := 0
		for _, s := range smells {
			counts[string(s.Kind)]++
			if s.Severity == Severe {
				severe++
			}
		}
		var parts []string
		for _, k := range sortedKeys(counts) {
			parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
		}
		fmt.Fprintf(&b, "\nSmells by kind: %s. Severe: %d.\n", strings.Join(parts, ", "), severe)
	}
	if len(n.Duplicates) > 0 {
		fmt.Fprintf(&b, "Duplicated blocks: %d.\n", len(n.Duplicates))
	}

	if len(smells) > 0 {
		b.WriteString("\n## Smells\n\n")
		sorted := append([]Smell(nil), smells...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Severity > sorted[j].Severity })
		for _, s := range sorted {
			fmt.Fprintf(&b, "- %s · %s · **%s**: %s%s\n", where(s.Cell, s.Line), s.Severity, s.Kind, s.Message, todoState(s))
		}
	}
	if len(n.Duplicates) > 0 {
		b.WriteString("\n## Duplicated blocks\n\n")
		for _, d := range n.Duplicates {
			var ps []string
			for _, p := range d.Places {
				ps = append(ps, describePlace(p))
			}
			fmt.Fprintf(&b, "- %d statements, %d lines: %s\n", d.Statements, d.Lines, strings.Join(ps, "; "))
		}
	}
	var todos []string
	for _, c := range n.Cells {
		for _, t := range c.Todos {
			todos = append(todos, fmt.Sprintf("- %s: %s %s\n", where(c.Index, t.Line), t.Tag, t.Text))
		}
	}
	if len(todos) > 0 {
		b.WriteString("\n## TODO notes in the notebook\n\n")
		for _, t := range todos {
			b.WriteString(t)
		}
	}

	b.WriteString("\n## Cells\n")
	cur := extract.Section(-1)
	for _, c := range n.Cells {
		if c.Type == "markdown" && c.Role != "" {
			fmt.Fprintf(&b, "\n### Section %s\n\nCell %d, markdown %q, %s.\n", c.Section, c.Index, c.heading, c.Role)
			cur = c.Section
			continue
		}
		if c.Type != "code" {
			continue
		}
		if c.Section != cur {
			fmt.Fprintf(&b, "\n### Section %s\n", c.Section)
			cur = c.Section
		}
		writeCell(&b, c)
	}
	return []byte(b.String())
}

func writeCell(b *strings.Builder, c CellNotes) {
	fmt.Fprintf(b, "\n#### Cell %d\n\n", c.Index)
	fmt.Fprintf(b, "- Role: %s\n", c.Role)
	run := "never run"
	if c.ExecutionCount != nil {
		run = fmt.Sprintf("execution count %d", *c.ExecutionCount)
	}
	fmt.Fprintf(b, "- Size: %s, %s\n", plural(c.Lines, "line"), run)
	if len(c.Declares) > 0 {
		var ds []string
		for _, d := range c.Declares {
			ds = append(ds, fmt.Sprintf("%s `%s`", d.Kind, strings.ReplaceAll(d.Name, "~", ".")))
		}
		fmt.Fprintf(b, "- Declares: %s\n", strings.Join(ds, ", "))
	}
	if len(c.Uses) > 0 {
		var us []string
		for _, u := range c.Uses {
			us = append(us, fmt.Sprintf("`%s` (cell %d)", u.Name, u.Cell))
		}
		fmt.Fprintf(b, "- Uses: %s\n", strings.Join(us, ", "))
	}
	if len(c.Packages) > 0 {
		fmt.Fprintf(b, "- Packages: %s\n", strings.Join(c.Packages, ", "))
	}
	if len(c.IO) > 0 {
		b.WriteString("- I/O:\n")
		for _, x := range c.IO {
			t := ""
			if x.Target != "" {
				t = " " + x.Target
			}
			fmt.Fprintf(b, "  - line %d, %s: `%s`%s\n", x.Line, x.Kind, x.Call, t)
		}
	}
	for _, k := range c.Commands {
		fmt.Fprintf(b, "- Kernel command: `%s\n", strings.Replace(k, ":", "`:", 1))
	}
	if len(c.Becomes) > 0 {
		fmt.Fprintf(b, "- In the service: %s\n", strings.Join(c.Becomes, "; "))
	}
	if len(c.Todos) > 0 {
		b.WriteString("- Notes:\n")
		for _, t := range c.Todos {
			fmt.Fprintf(b, "  - line %d: %s %s\n", t.Line, t.Tag, t.Text)
		}
	}
	if len(c.Smells) > 0 {
		b.WriteString("- Smells:\n")
		for _, s := range c.Smells {
			l := "cell"
			if s.Line > 0 {
				l = fmt.Sprintf("line %d", s.Line)
			}
			fmt.Fprintf(b, "  - %s, %s, %s: %s%s\n", l, s.Severity, s.Kind, s.Message, todoState(s))
		}
	}
}

func todoState(s Smell) string {
	switch {
	case s.Noted:
		return " *(a TODO there already covers it)*"
	case s.Todo != "":
		return fmt.Sprintf(" → `// TODO: %s`", s.Todo)
	}
	return ""
}

func where(cell, line int) string {
	if line > 0 {
		return fmt.Sprintf("cell %d, line %d", cell, line)
	}
	return fmt.Sprintf("cell %d", cell)
}

func cellList(cs []int) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprint(c))
	}
	return strings.Join(s, ", ")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func planLine(p *extract.Plan) string {
	kept, steps := 0, 0
	for _, d := range p.Decls {
		if d.Kept {
			kept++
		}
	}
	for _, s := range p.Steps {
		if s.Kept {
			steps++
		}
	}
	line := fmt.Sprintf("Extraction plan: package `%s`, %d declarations, %d pipeline steps", p.Slug, kept, steps)
	if len(p.Routes) > 0 {
		var rs []string
		for _, r := range p.Routes {
			rs = append(rs, r.Func)
		}
		line += ", API routes for " + strings.Join(rs, ", ")
	}
	return line + "."
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
