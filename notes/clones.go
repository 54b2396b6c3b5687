package notes

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbcell"
	"github.com/decant-go/decant/notebooks/gonbmem"
	"github.com/decant-go/decant/refactor/clone"
)

// Clones is the clone detector's result on a notebook: each code cell's declarations are one
// file and its %% body the body of a function, so copies across cells are found like copies
// across files. File names are "<notebook>:cell<N>" and lines are the cell's own lines.
type Clones struct {
	Fset   *token.FileSet
	Result clone.Result
	// Files is the number of cells analyzed (cells that are not Go on their own are left out).
	Files int
}

// FindClones runs refactor/clone over the notebook's code cells, type-checked together so
// that only copies that mean the same thing are grouped. It is what `decant dupes` on a
// notebook, `decant doc` and `%decant dupes` report.
func FindClones(nb *notebooks.Notebook, opts clone.Options) *Clones {
	base := filepath.Base(nb.Name)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		sc, err := gonbcell.Split(c.Source)
		if err != nil || sc.Magic != nil {
			continue
		}
		name := cellFileName(base, c.Index)
		var sb strings.Builder
		sb.WriteString("package main\n")
		if !sc.Decls.Empty() {
			fmt.Fprintf(&sb, "//line %s:%d\n%s", name, sc.Decls.FirstLine, sc.Decls.Src)
		}
		if sc.Main != nil && !sc.Main.Empty() {
			fmt.Fprintf(&sb, "\nfunc _() {\n//line %s:%d\n%s\n}\n", name, sc.Main.FirstLine, sc.Main.Src)
		}
		f, err := parser.ParseFile(fset, name+".go", sb.String(), parser.ParseComments)
		if err != nil {
			continue // a cell that is not Go on its own is left out
		}
		files = append(files, f)
	}
	// Cells may redeclare names (GoNB keeps the last); the checker reports that and goes on.
	_, info := gonbmem.Check(fset, "main", files, nil)
	return &Clones{Fset: fset, Result: clone.Analyze(fset, files, info, opts), Files: len(files)}
}

func cellFileName(notebook string, cell int) string {
	return fmt.Sprintf("%s:cell%d", notebook, cell)
}

// cellOf returns the cell index of a position in a file named by cellFileName.
func cellOf(p token.Position) int {
	i := strings.LastIndex(p.Filename, ":cell")
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(p.Filename[i+len(":cell"):])
	if err != nil {
		return -1
	}
	return n
}

// duplicates turns clone groups into the notes' duplicate blocks. anchors receives, per block
// and place, the cell line a note goes on: the func line for a whole function.
func (cl *Clones) duplicates() ([]DuplicateBlock, [][]int) {
	var out []DuplicateBlock
	var anchors [][]int
	for _, g := range cl.Result.Groups {
		d := DuplicateBlock{Statements: g.Stmts, Tokens: g.Tokens}
		var as []int
		for _, m := range g.Members {
			start, end := cl.Fset.Position(m.Pos), cl.Fset.Position(m.End)
			p := Place{Cell: cellOf(start), StartLine: start.Line, EndLine: end.Line}
			anchor := start.Line
			if m.Decl != nil && m.Decl.Name.Name != "_" {
				p.Func = m.Decl.Name.Name
				if g.Kind == clone.Func {
					anchor = cl.Fset.Position(m.Decl.Pos()).Line
				}
			}
			d.Places = append(d.Places, p)
			as = append(as, anchor)
		}
		if len(d.Places) > 0 {
			d.Lines = d.Places[0].EndLine - d.Places[0].StartLine + 1
		}
		out = append(out, d)
		anchors = append(anchors, as)
	}
	return out, anchors
}
