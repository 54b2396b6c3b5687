package notes

import (
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"go/types"
	"hash/fnv"
	"sort"
	"strings"
)

// Duplicate detection works on statement lists (function bodies, %% bodies and every nested
// block). Each statement is reduced to its tokens with variable names and literal values
// abstracted away, but with called functions, selected fields and predeclared names kept, so
// that prepareTrain and a copy with renamed variables match while two unrelated calls do not.
// Maximal runs of equal statements in two lists are clones; runs big enough to matter are
// grouped by content and runs inside bigger runs are dropped.
const (
	minDupTokens = 30
	minDupLines  = 4
)

type stmtInfo struct {
	h          uint64
	toks       int
	start, end int // cell lines
}

type stmtSeq struct {
	cell     int
	fn       string // enclosing func, "" for a %% body
	funcLine int    // cell line of the func keyword; 0 for %% bodies and nested blocks
	stmts    []stmtInfo
}

// statementSeqs records the statement lists of a body and of the blocks inside it.
func (a *analyzer) statementSeqs(cell int, fset *token.FileSet, f *ast.File, text string, first int, body *ast.BlockStmt, fn string, funcLine int) {
	tf := fset.File(f.Pos())
	lineOf := func(p token.Pos) int { return first + tf.Line(p) - 1 }
	add := func(list []ast.Stmt, fl int) {
		if len(list) == 0 {
			return
		}
		seq := &stmtSeq{cell: cell, fn: fn, funcLine: fl}
		for _, s := range list {
			h, n := normalize(text[tf.Offset(s.Pos()):tf.Offset(s.End())])
			seq.stmts = append(seq.stmts, stmtInfo{h: h, toks: n, start: lineOf(s.Pos()), end: lineOf(s.End())})
		}
		a.seqs = append(a.seqs, seq)
	}
	add(body.List, funcLine)
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BlockStmt:
			if n != body {
				add(n.List, 0)
			}
		case *ast.CaseClause:
			add(n.Body, 0)
		case *ast.CommClause:
			add(n.Body, 0)
		}
		return true
	})
}

// normalize hashes a statement's tokens with names and literals abstracted.
func normalize(src string) (uint64, int) {
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	s.Init(file, []byte(src), func(token.Position, string) {}, 0)
	type tk struct {
		tok token.Token
		lit string
	}
	var toks []tk
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		toks = append(toks, tk{tok, lit})
	}
	h := fnv.New64a()
	n := 0
	for i, t := range toks {
		var out string
		switch t.tok {
		case token.IDENT:
			callee := i+1 < len(toks) && toks[i+1].tok == token.LPAREN
			field := i > 0 && toks[i-1].tok == token.PERIOD
			if callee || field || types.Universe.Lookup(t.lit) != nil {
				out = t.lit
			} else {
				out = "$"
			}
		case token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING:
			out = t.tok.String()
		case token.SEMICOLON:
			out = ";"
			n--
		default:
			out = t.tok.String()
		}
		n++
		h.Write([]byte(out))
		h.Write([]byte{0})
	}
	return h.Sum64(), n
}

type dupPlace struct {
	Place
	anchor int
}

type dupClass struct {
	stmts, toks, lines int
	places             []dupPlace
}

// findDuplicates groups the clones among the statement lists.
func findDuplicates(seqs []*stmtSeq) []DuplicateBlock {
	// Only lists sharing a statement of some size can hold a clone worth reporting.
	byHash := map[uint64][]int{}
	for k, s := range seqs {
		seen := map[uint64]bool{}
		for _, st := range s.stmts {
			if st.toks >= 6 && !seen[st.h] {
				seen[st.h] = true
				byHash[st.h] = append(byHash[st.h], k)
			}
		}
	}
	pairs := map[[2]int]bool{}
	for _, ks := range byHash {
		if len(ks) > 50 {
			ks = ks[:50] // a statement in every cell is boilerplate, not a clone to factor out
		}
		for x := 0; x < len(ks); x++ {
			for y := x + 1; y < len(ks); y++ {
				pairs[[2]int{ks[x], ks[y]}] = true
			}
		}
	}
	keys := make([][2]int, 0, len(pairs))
	for p := range pairs {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	classes := map[uint64]*dupClass{}
	var order []uint64
	for _, p := range keys {
		A, B := seqs[p[0]], seqs[p[1]]
		prev := make([]int, len(B.stmts)+1)
		cur := make([]int, len(B.stmts)+1)
		for i := range A.stmts {
			for j := range B.stmts {
				if A.stmts[i].h != B.stmts[j].h {
					cur[j+1] = 0
					continue
				}
				cur[j+1] = prev[j] + 1
				last := i+1 == len(A.stmts) || j+1 == len(B.stmts) || A.stmts[i+1].h != B.stmts[j+1].h
				if !last {
					continue
				}
				n := cur[j+1]
				ai, bj := i-n+1, j-n+1
				toks := 0
				h := fnv.New64a()
				for k := ai; k <= i; k++ {
					toks += A.stmts[k].toks
					fmt.Fprintf(h, "%x;", A.stmts[k].h)
				}
				lines := A.stmts[i].end - A.stmts[ai].start + 1
				if toks < minDupTokens || lines < minDupLines {
					continue
				}
				key := h.Sum64()
				c := classes[key]
				if c == nil {
					c = &dupClass{stmts: n, toks: toks, lines: lines}
					classes[key] = c
					order = append(order, key)
				}
				c.add(place(A, ai, n))
				c.add(place(B, bj, n))
			}
			prev, cur = cur, prev
		}
	}
	var all []*dupClass
	for _, k := range order {
		all = append(all, classes[k])
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].toks > all[j].toks })
	var kept []*dupClass
	for _, c := range all {
		if !containedIn(c, kept) {
			kept = append(kept, c)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool {
		pi, pj := kept[i].places[0], kept[j].places[0]
		if pi.Cell != pj.Cell {
			return pi.Cell < pj.Cell
		}
		return pi.StartLine < pj.StartLine
	})
	out := make([]DuplicateBlock, 0, len(kept))
	for _, c := range kept {
		d := DuplicateBlock{Statements: c.stmts, Tokens: c.toks, Lines: c.lines}
		for _, p := range c.places {
			d.Places = append(d.Places, p.Place)
		}
		out = append(out, d)
	}
	return out
}

func place(s *stmtSeq, i, n int) dupPlace {
	p := dupPlace{Place: Place{Cell: s.cell, StartLine: s.stmts[i].start, EndLine: s.stmts[i+n-1].end, Func: s.fn}}
	p.anchor = p.StartLine
	if i == 0 && n == len(s.stmts) && s.funcLine > 0 {
		p.anchor = s.funcLine // the whole body: the note goes on the function
	}
	return p
}

func (c *dupClass) add(p dupPlace) {
	for _, q := range c.places {
		if q.Cell == p.Cell && q.StartLine == p.StartLine && q.EndLine == p.EndLine {
			return
		}
	}
	c.places = append(c.places, p)
	sort.SliceStable(c.places, func(i, j int) bool {
		if c.places[i].Cell != c.places[j].Cell {
			return c.places[i].Cell < c.places[j].Cell
		}
		return c.places[i].StartLine < c.places[j].StartLine
	})
}

func containedIn(c *dupClass, kept []*dupClass) bool {
	for _, p := range c.places {
		inside := false
		for _, k := range kept {
			for _, q := range k.places {
				if q.Cell == p.Cell && q.StartLine <= p.StartLine && p.EndLine <= q.EndLine {
					inside = true
				}
			}
		}
		if !inside {
			return false
		}
	}
	return true
}

// duplicateSmells puts a note on every copy of every duplicated block.
func (a *analyzer) duplicateSmells() {
	var classes []*dupClass
	// findDuplicates returns public blocks; recompute anchors from the sequences' places.
	for _, d := range a.n.Duplicates {
		c := &dupClass{stmts: d.Statements, toks: d.Tokens, lines: d.Lines}
		for _, p := range d.Places {
			dp := dupPlace{Place: p, anchor: p.StartLine}
			for _, s := range a.seqs {
				if s.cell == p.Cell && s.funcLine > 0 && len(s.stmts) > 0 && s.stmts[0].start == p.StartLine && s.stmts[len(s.stmts)-1].end == p.EndLine {
					dp.anchor = s.funcLine
				}
			}
			c.places = append(c.places, dp)
		}
		classes = append(classes, c)
	}
	for _, c := range classes {
		for _, p := range c.places {
			var others, short []string
			for _, q := range c.places {
				if q.Place != p.Place {
					others = append(others, describePlace(q.Place))
					short = append(short, shortPlace(q.Place))
				}
			}
			a.smell(p.Cell, Smell{Kind: Duplicate, Severity: Warning, Line: p.anchor,
				Message: fmt.Sprintf("lines %d-%d (%d statements) are the same, up to names and literals, as %s",
					p.StartLine, p.EndLine, c.stmts, strings.Join(others, "; ")),
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
