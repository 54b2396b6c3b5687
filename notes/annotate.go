package notes

import (
	"go/scanner"
	"go/token"
	"slices"
	"sort"
	"strings"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbcell"
)

// noted reports whether a TODO note at the smell's place already covers it: a TODO or FIXME
// comment, in the comment lines right above the anchor line (or on it), that contains the
// smell's own note or one of its keywords. For whole-cell smells the place is the cell's
// leading comment block.
func noted(lines []string, s *Smell) bool {
	var block []string
	if s.Line <= 0 {
		start := 0
		if len(lines) > 0 {
			if _, ok := labelComment(strings.TrimSpace(lines[0])); ok {
				start = 1
			}
		}
		for k := start; k < len(lines) && isComment(lines[k]); k++ {
			block = append(block, lines[k])
		}
	} else {
		for k := s.Line - 2; k >= 0 && isComment(lines[k]); k-- {
			block = append(block, lines[k])
		}
		if _, c, ok := strings.Cut(lines[s.Line-1], "//"); ok {
			block = append(block, c)
		}
	}
	for _, l := range block {
		if !strings.Contains(l, "TODO") && !strings.Contains(l, "FIXME") {
			continue
		}
		if strings.Contains(l, s.Todo) {
			return true
		}
		low := strings.ToLower(l)
		for _, k := range s.keywords {
			if k != "" && strings.Contains(low, strings.ToLower(k)) {
				return true
			}
		}
	}
	return false
}

func isComment(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "//") }

// headings are the label headings Annotate writes, one per section.
var headings = map[extract.Section]string{
	extract.Preparation: "## 1. Preparation",
	extract.Processing:  "## 2. Pre/Post processing",
	extract.Calculation: "## 3. Calculation",
}

// Annotate writes the notes into nb, which must be the notebook they were made from: a
// "// TODO: ..." line above every smell that has a note to write and is not noted yet, and,
// when the notebook has no labels, a markdown heading cell before the first code cell of each
// suggested section. It returns the indexes (in the changed notebook) of the cells it changed
// or added, in order. A cell whose source no longer matches the notes is left alone.
func Annotate(nb *notebooks.Notebook, n *Notes) (changed []int) {
	var touched []*notebooks.Cell
	for i, c := range nb.Cells {
		if i >= len(n.Cells) || c.Type != "code" || n.Cells[i].src != c.Source {
			continue
		}
		if src, ok := annotateCell(c.Source, n.Cells[i].Smells); ok {
			c.Source = src
			touched = append(touched, c)
		}
	}
	if !n.Labeled && n.Suggested && len(n.Cells) == len(nb.Cells) {
		type insertion struct {
			at  int
			sec extract.Section
		}
		var ins []insertion
		cur := extract.Exploration
		for i, cn := range n.Cells {
			if cn.Type != "code" || !cn.Suggested || headings[cn.Section] == "" || cn.Section == cur {
				continue
			}
			cur = cn.Section
			ins = append(ins, insertion{i, cn.Section})
		}
		for k := len(ins) - 1; k >= 0; k-- {
			c := nb.NewMarkdownCell(headings[ins[k].sec])
			nb.InsertCell(ins[k].at, c)
			touched = append(touched, c)
		}
	}
	for _, c := range touched {
		changed = append(changed, c.Index)
	}
	sort.Ints(changed)
	return changed
}

// annotateCell inserts the TODO lines for a cell's smells. It reports false when there is
// nothing to write, or when the result would not be the same code.
func annotateCell(src string, smells []Smell) (string, bool) {
	lines := strings.Split(src, "\n")
	byLine := map[int][]string{}
	for _, s := range smells {
		if s.Todo == "" || s.Noted || s.Line > len(lines) {
			continue
		}
		note := "TODO: " + strings.Join(strings.Fields(s.Todo), " ")
		if !slices.Contains(byLine[s.Line], note) {
			byLine[s.Line] = append(byLine[s.Line], note)
		}
	}
	if len(byLine) == 0 {
		return "", false
	}
	var at []int
	for l := range byLine {
		at = append(at, l)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(at)))
	for _, l := range at {
		pos, indent := l-1, ""
		if l <= 0 {
			pos = 0
			if len(lines) > 0 {
				if _, ok := labelComment(strings.TrimSpace(lines[0])); ok {
					pos = 1 // the label must stay on line 1
				}
			}
		} else {
			line := lines[pos]
			indent = line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		}
		var add []string
		for _, note := range byLine[l] {
			add = append(add, indent+"// "+note)
		}
		lines = slices.Insert(lines, pos, add...)
	}
	out := strings.Join(lines, "\n")
	if !sameCode(src, out) {
		return "", false
	}
	return out, true
}

// sameCode reports whether two cell sources are the same to GoNB apart from comments: the same
// cell magic, the same commands, and the same Go tokens in the same parts.
func sameCode(a, b string) bool {
	ca, errA := gonbcell.Split(a)
	cb, errB := gonbcell.Split(b)
	if errA != nil || errB != nil {
		return false
	}
	if (ca.Magic == nil) != (cb.Magic == nil) || ca.Magic != nil || ca.RunsGo != cb.RunsGo {
		return false
	}
	if len(ca.Commands) != len(cb.Commands) {
		return false
	}
	for i := range ca.Commands {
		if ca.Commands[i].Text != cb.Commands[i].Text {
			return false
		}
	}
	if !slices.Equal(goTokens(ca.Decls.Src), goTokens(cb.Decls.Src)) {
		return false
	}
	if (ca.Main == nil) != (cb.Main == nil) {
		return false
	}
	return ca.Main == nil || slices.Equal(goTokens(ca.Main.Src), goTokens(cb.Main.Src))
}

func goTokens(src string) []string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), func(token.Position, string) {}, 0)
	var out []string
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		out = append(out, tok.String()+" "+lit)
	}
}
