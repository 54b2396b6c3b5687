package extract

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/extract/declspan"
)

// origin is where a rendered declaration came from: a cell declaration or a %% step.
type origin struct {
	decl *Decl
	step *Step
}

// cellLine is the cell line the rendered declaration's first line corresponds to.
func (o origin) cellLine() int {
	if o.step != nil {
		return o.step.Line
	}
	return o.decl.Line
}

// fileLine identifies a rendered declaration: its file and the line of the declaration itself.
type fileLine struct {
	file string
	line int
}

// origins maps the declarations of the rendered Go files that carry a provenance note to
// the cell declarations and steps they came from. A note names the cell only, so within the
// cell a declaration is found by its key (a step by its name). The few a refactoring renamed
// (prepareTrain and prepareTest unified as prepareRows) take the cell's declarations that no
// other one claimed, in order: refactorings keep declarations in place, and a unified
// function keeps the doc comment, and so the note, of the first copy.
func (p *Plan) origins(files map[string][]byte) map[fileLine]origin {
	type rendered struct {
		at   fileLine
		cell int
		key  string
	}
	names := make([]string, 0, len(files))
	for name, src := range files {
		if strings.HasSuffix(name, ".go") && bytes.Contains(src, []byte("// From ")) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var all []rendered
	for _, name := range names {
		src := files[name]
		decls, err := declspan.File(src)
		if err != nil {
			continue
		}
		for _, d := range decls {
			m := noteRE.FindSubmatch(src[d.Start:d.DeclStart]) // the note is in the doc comment
			if m == nil {
				continue
			}
			cell, _ := strconv.Atoi(string(m[1]))
			all = append(all, rendered{at: fileLine{name, d.Line}, cell: cell, key: d.Key})
		}
	}
	kept := map[int][]*Decl{} // by cell, in cell order
	for _, d := range p.Decls {
		if d.Kept {
			kept[d.Cell] = append(kept[d.Cell], d)
		}
	}
	for _, ds := range kept {
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].Line < ds[j].Line })
	}
	out := map[fileLine]origin{}
	claimed := map[*Decl]bool{}
	var renamed []rendered
	for _, r := range all {
		if strings.HasPrefix(r.at.file, wasmDir+"/") {
			if or, ok := p.wasmOrigin(r.cell, r.key); ok {
				out[r.at] = or
			}
			continue
		}
		if st := p.step(r.cell, r.key); st != nil {
			out[r.at] = origin{step: st}
			continue
		}
		var found *Decl
		for _, d := range kept[r.cell] {
			if d.Key == r.key && !claimed[d] {
				found = d
				break
			}
		}
		if found == nil {
			renamed = append(renamed, r)
			continue
		}
		claimed[found] = true
		out[r.at] = origin{decl: found}
	}
	for _, r := range renamed {
		for _, d := range kept[r.cell] {
			if !claimed[d] {
				claimed[d] = true
				out[r.at] = origin{decl: d}
				break
			}
		}
	}
	return out
}

// step returns the kept step of cell named name, if any.
func (p *Plan) step(cell int, name string) *Step {
	for _, st := range p.Steps {
		if st.Kept && st.Cell == cell && st.Name == name {
			return st
		}
	}
	return nil
}

// locateSpans fills in the cell line of every span from the declarations' origins.
func (p *Plan) locateSpans(o *Output, origins map[fileLine]origin) {
	for name, spans := range o.Spans {
		for i := range spans {
			if or, ok := origins[fileLine{name, spans[i].declLine}]; ok {
				spans[i].CellLine = or.cellLine()
				spans[i].step = or.step
			} else if line, ok := p.wasmMainLine(name, spans[i]); ok {
				spans[i].CellLine = line
			}
		}
	}
}
