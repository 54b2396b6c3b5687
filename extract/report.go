package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// WithDecisions returns a shallow copy of p whose Decisions are p's followed by more: the
// plan as reported once later stages (verification, refactoring) have decided more. The copy
// shares p's cells, declarations and steps.
func (p *Plan) WithDecisions(more []Decision) *Plan {
	if len(more) == 0 {
		return p
	}
	c := *p
	c.Decisions = append(slices.Clip(p.Decisions), more...)
	return &c
}

// WriteReport writes the plan as text: cells → sections → files, what was left out and why, and
// every other decision.
func (p *Plan) WriteReport(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "notebook %s → package %s (module %s)\n", p.Notebook, p.Slug, p.Module)
	if p.Kernel != "" && p.Kernel != KernelGoNB {
		fmt.Fprintf(&sb, "kernel %s: its semantics applied (top-level statements run in order and share variables; they became steps)\n", p.Kernel)
	}
	if p.AutoLabeled {
		sb.WriteString("sections assigned by --auto-label\n")
	}
	sb.WriteString("\ncells:\n")
	// Pad the indexes to one width, so the columns line up past [9].
	width := len(fmt.Sprintf("[%d]", len(p.Cells)-1))
	index := func(i int) string { return fmt.Sprintf("%-*s", width, fmt.Sprintf("[%d]", i)) }
	for _, c := range p.Cells {
		if c.Type != "code" {
			if c.Label != "" {
				fmt.Fprintf(&sb, "  %s markdown  starts %s (%s)\n", index(c.Index), c.Section, c.Label)
			}
			continue
		}
		what := c.Section.String()
		if c.Skipped != "" {
			what = "skipped: " + c.Skipped
		}
		var parts []string
		if len(c.Decls) > 0 {
			parts = append(parts, strings.Join(c.Decls, ", "))
		}
		if c.Step != "" {
			parts = append(parts, "step "+c.Step+"()")
		}
		if c.Wasm != "" {
			parts = append(parts, "browser program "+c.Wasm)
		}
		fmt.Fprintf(&sb, "  %s code      %-12s %s\n", index(c.Index), what, strings.Join(parts, "; "))
	}
	counts := map[Section]int{}
	for _, d := range p.Decls {
		if d.Kept {
			counts[d.Section]++
		}
	}
	fmt.Fprintf(&sb, "\nfiles:\n")
	for _, s := range []Section{Preparation, Processing, Calculation} {
		fmt.Fprintf(&sb, "  %s/%-18s %d declarations\n", p.Slug, s.File(), counts[s])
	}
	if counts[Test] > 0 {
		fmt.Fprintf(&sb, "  %s/%-18s %d declarations\n", p.Slug, p.Slug+"_test.go", counts[Test])
	}
	steps := 0
	for _, st := range p.Steps {
		if st.Kept {
			steps++
		}
	}
	fmt.Fprintf(&sb, "  %s/pipeline.go        %d steps\n", p.Slug, steps)
	for _, w := range p.wasmPrograms() {
		fmt.Fprintf(&sb, "  %-27s browser program of cell %d (js/wasm)\n", w.Dir+"/main.go", w.Cell)
	}
	if len(p.Routes) > 0 {
		sb.WriteString("\nroutes:\n")
		for _, r := range p.Routes {
			fmt.Fprintf(&sb, "  %-4s %-24s → %s.%s (cell %d)\n", routeMethod(r), routePath(r), p.Slug, r.Func, r.Cell)
		}
	}
	order := []string{"left out", "moved", "replaced", "skipped", "converted", "dropped", "warning"}
	byAction := map[string][]Decision{}
	for _, d := range p.Decisions {
		byAction[d.Action] = append(byAction[d.Action], d)
	}
	for _, a := range order {
		ds := byAction[a]
		if len(ds) == 0 {
			continue
		}
		sort.SliceStable(ds, func(i, j int) bool {
			if ds[i].Cell != ds[j].Cell {
				return ds[i].Cell < ds[j].Cell
			}
			return ds[i].Line < ds[j].Line
		})
		fmt.Fprintf(&sb, "\n%s:\n", a)
		for _, d := range ds {
			loc := fmt.Sprintf("cell %d", d.Cell)
			if d.Cell < 0 {
				loc = "notebook"
			} else if d.Line > 0 {
				loc += fmt.Sprintf(":%d", d.Line)
			}
			fmt.Fprintf(&sb, "  %-11s %s: %s\n", loc, d.Subject, d.Reason)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// JSON encodes the plan for --json, with stable key order.
func (p *Plan) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encoding the plan: %w", err)
	}
	return buf.Bytes(), nil
}
