package notes

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
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
//
// The type check is the costly part, so it runs only when the syntactic pass found candidates,
// and only over the cells that hold one plus the cells whose declarations those can reach
// (see [checkedCells]): the types the candidates see are the ones a check of every cell gives.
func FindClones(nb *notebooks.Notebook, opts clone.Options) *Clones {
	fset, files := cellFiles(nb)
	res := clone.AnalyzeWith(fset, files, func(cands []*ast.File) *types.Info {
		// Cells may redeclare names (GoNB keeps the last); the checker reports that and goes on.
		_, info := gonbmem.Check(fset, "main", checkedCells(files, cands), nil)
		return info
	}, opts)
	return &Clones{Fset: fset, Result: res, Files: len(files)}
}

// cellFiles parses every code cell that is Go on its own as one file of package main: its
// declarations, then its %% body as the body of func _.
func cellFiles(nb *notebooks.Notebook) (*token.FileSet, []*ast.File) {
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
	return fset, files
}

// checkedCells returns, in notebook order, the cells of cands and every cell that declares a
// package-level name they can reach: a name one of them mentions, a method of a type so named,
// and, transitively, what those cells mention. Matching is by identifier text, so it may take
// a cell too many but never leaves out a declaration the checker would resolve a candidate's
// identifier to, nor a rival declaration of the same name (which decides the winner of a
// redeclaration). Cells left out cannot change the types in the cells kept.
func checkedCells(files, cands []*ast.File) []*ast.File {
	declaring := map[string][]int{} // package-level name or method receiver type -> files
	for k, f := range files {
		for _, name := range declaredNames(f) {
			declaring[name] = append(declaring[name], k)
		}
	}
	index := make(map[*ast.File]int, len(files))
	for k, f := range files {
		index[f] = k
	}
	keep := make([]bool, len(files))
	var queue []int
	add := func(k int) {
		if !keep[k] {
			keep[k] = true
			queue = append(queue, k)
		}
	}
	for _, f := range cands {
		add(index[f])
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		f := files[queue[0]]
		queue = queue[1:]
		for _, d := range f.Decls { // not f.Name: every cell is package main
			ast.Inspect(d, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && !seen[id.Name] {
					seen[id.Name] = true
					for _, k := range declaring[id.Name] {
						add(k)
					}
				}
				return true
			})
		}
	}
	var out []*ast.File
	for k, f := range files {
		if keep[k] {
			out = append(out, f)
		}
	}
	return out
}

// declaredNames lists the package-level names f declares, and the receiver type names of its
// methods (a cell declaring a method of T matters to every cell that mentions T).
func declaredNames(f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) == 0 {
				out = append(out, d.Name.Name)
				continue
			}
			if name := gonbmem.RecvName(d.Recv); name != "unknown" {
				out = append(out, name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					out = append(out, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	return out
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
