// Package declspan locates the top-level declarations of Go source — a GoNB cell or a Go file —
// under the keys GoNB memorizes them by, with the exact bytes each one covers, doc comment
// included. Extraction records the spans and a hash of each declaration in the manifest;
// decant sync uses them to compare a cell's declarations with the service's and to replace one
// declaration without touching the bytes around it.
package declspan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/decant-go/decant/notebooks/gonbcell"
	"github.com/decant-go/decant/notebooks/gonbmem"
)

// Decl is one top-level declaration.
type Decl struct {
	Key   string   // func name, Recv~method, var/type name, const names joined by commas
	Kind  string   // func, method, var, const, type
	Names []string // the names it declares
	// Start and End are byte offsets of the declaration in the source, from the first byte of
	// its doc comment (or of the declaration) to the end of its last token or line comment.
	Start, End int
	// DeclStart is the offset of the declaration itself, after its doc comment.
	DeclStart int
	// Line is the source line (1-based) of the declaration itself: its func, const or var/type
	// name, as extraction's provenance notes count it. DocLine is the line of Start.
	Line, DocLine int
	// Grouped is set for a var or type spec inside a parenthesized block: its text has no
	// keyword of its own.
	Grouped bool
}

// Hash is the hex SHA-256 of a declaration's text, as the manifest records it.
func Hash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// filePrefix makes the Go part of a cell parse as a file, on a line of its own.
const filePrefix = "package main\n"

// Cell locates the declarations of one GoNB code cell. label says that the cell's first line is
// a section label (extraction blanks it: it is not Go, or not documentation). A cell magic
// (%%writefile...) has no declarations; a func main is a step, not a declaration.
func Cell(src string, label bool) ([]Decl, error) {
	goSrc := src
	if label {
		_, rest, _ := strings.Cut(src, "\n")
		goSrc = "\n" + rest
	}
	cell, err := gonbcell.Split(goSrc)
	if err != nil {
		return nil, err
	}
	if cell.Magic != nil || cell.Decls.Empty() {
		return nil, nil
	}
	text := filePrefix + cell.Decls.Src
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell", text, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	starts := lineStarts(src)
	tf := fset.File(f.Pos())
	offset := func(p token.Pos) (int, int) {
		pos := tf.Position(p)
		line := cell.Decls.FirstLine + pos.Line - 2
		if line < 1 || line > len(starts) {
			return -1, line
		}
		return starts[line-1] + pos.Column - 1, line
	}
	decls := locate(f, offset)
	for _, d := range decls {
		if d.Start < 0 || d.End < d.Start || d.End > len(src) {
			return nil, fmt.Errorf("declaration %s: span outside the cell", d.Key)
		}
	}
	return decls, nil
}

// File locates the declarations of a Go source file.
func File(src []byte) ([]Decl, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "file.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	tf := fset.File(f.Pos())
	return locate(f, func(p token.Pos) (int, int) { return tf.Offset(p), tf.Line(p) }), nil
}

func lineStarts(s string) []int {
	starts := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// locate walks the declarations as extraction collects them, keyed by gonbmem as GoNB keys
// them; at maps a position to its byte offset and line in the source.
func locate(f *ast.File, at func(token.Pos) (int, int)) []Decl {
	var out []Decl
	span := func(d *Decl, doc *ast.CommentGroup, start, end token.Pos) {
		d.DeclStart, _ = at(start)
		if doc != nil && doc.Pos() < start {
			start = doc.Pos()
		}
		d.Start, d.DocLine = at(start)
		d.End, _ = at(end)
	}
	decls, _ := gonbmem.Decls(f, 0, func(p token.Pos) int { _, l := at(p); return l })
	for _, gd := range decls {
		if gd.Main() || strings.HasPrefix(gd.Key, "_~") {
			continue // a func main is a step; a blank var or type is no declaration to sync
		}
		d := Decl{Kind: gd.Kind, Key: gd.Key, Names: gd.Names}
		switch {
		case gd.Func != nil:
			g := gd.Func
			d.Names = []string{g.Name.Name}
			_, d.Line = at(g.Pos())
			span(&d, g.Doc, g.Pos(), g.End())
		case gd.Spec == nil: // a const block, whole
			g := gd.Gen
			_, d.Line = at(g.Pos())
			span(&d, g.Doc, g.Pos(), g.End())
		default:
			g, s := gd.Gen, gd.Spec
			d.Grouped = g.Lparen.IsValid()
			doc, end := gd.SpecExtent()
			if !d.Grouped {
				doc = g.Doc // the doc of a block stays outside its specs' spans
			}
			_, d.Line = at(s.Pos())
			start := s.Pos()
			if !d.Grouped {
				start = g.Pos()
			}
			span(&d, doc, start, end)
		}
		out = append(out, d)
	}
	return out
}

// Body is the span of a main function's statements: from the first byte of its first
// non-blank line to the end of its last non-blank line. Indent is the indentation every
// non-blank line of it starts with ("" for a %% body written flush left).
type Body struct {
	Start, End int
	Line       int // the source line (1-based) of Start
	Indent     string
	// Head is, in a cell, the offset of the %% line or of the func main declaration (its doc
	// comment included): where declarations added before main go.
	Head int
}

// MainBody locates the statements of a Go file's func main.
func MainBody(src []byte) (Body, bool) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "file.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return Body{}, false
	}
	tf := fset.File(f.Pos())
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" && fd.Body != nil {
			return bodyIn(string(src), tf.Offset(fd.Body.Lbrace)+1, tf.Offset(fd.Body.Rbrace)), true
		}
	}
	return Body{}, false
}

// CellMain locates the statements GoNB runs as a cell's main: the lines after its %% (or
// %main) line, else the body of the func main it declares. label is as for [Cell].
func CellMain(src string, label bool) (Body, bool) {
	goSrc := src
	if label {
		_, rest, _ := strings.Cut(src, "\n")
		goSrc = "\n" + rest
	}
	cell, err := gonbcell.Split(goSrc)
	if err != nil || cell.Magic != nil {
		return Body{}, false
	}
	starts := lineStarts(src)
	if cell.MainLine > 0 {
		head := starts[cell.MainLine-1]
		if cell.MainLine >= len(starts) {
			return Body{Start: len(src), End: len(src), Line: cell.MainLine + 1, Head: head}, true
		}
		b := bodyIn(src, starts[cell.MainLine], len(src))
		b.Head = head
		return b, true
	}
	if cell.Decls.Empty() {
		return Body{}, false
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell", filePrefix+cell.Decls.Src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return Body{}, false
	}
	tf := fset.File(f.Pos())
	offset := func(p token.Pos) int {
		pos := tf.Position(p)
		if i := cell.Decls.FirstLine + pos.Line - 3; i >= 0 && i < len(starts) {
			return min(starts[i]+pos.Column-1, len(src))
		}
		return -1
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" && fd.Body != nil {
			if offset(fd.Pos()) < 0 || offset(fd.Body.Lbrace) < 0 || offset(fd.Body.Rbrace) < offset(fd.Body.Lbrace) {
				return Body{}, false
			}
			b := bodyIn(src, offset(fd.Body.Lbrace)+1, offset(fd.Body.Rbrace))
			b.Head = offset(fd.Pos())
			if fd.Doc != nil {
				b.Head = offset(fd.Doc.Pos())
			}
			return b, true
		}
	}
	return Body{}, false
}

// bodyIn trims the blank lines around src[start:end] and finds its common indentation.
func bodyIn(src string, start, end int) Body {
	text := src[start:end]
	trimmed := strings.TrimLeft(text, " \t\r\n")
	// Back up to the start of the first non-blank line.
	first := len(text) - len(trimmed)
	if i := strings.LastIndexByte(text[:first], '\n'); i >= 0 {
		first = i + 1
	} else {
		first = 0
	}
	last := len(strings.TrimRight(text, " \t\r\n"))
	if last < first {
		last = first
	}
	b := Body{Start: start + first, End: start + last, Line: strings.Count(src[:start+first], "\n") + 1}
	indent, seen := "", false
	for _, l := range strings.Split(src[b.Start:b.End], "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		lead := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		if !seen {
			indent, seen = lead, true
			continue
		}
		for !strings.HasPrefix(lead, indent) {
			indent = indent[:len(indent)-1]
		}
	}
	b.Indent = indent
	return b
}
