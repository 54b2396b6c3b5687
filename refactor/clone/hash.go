package clone

import (
	"go/ast"
	"hash/maphash"
)

// sum is the normalized hash and size of one statement or function.
type sum struct {
	h      uint64
	tokens int32
	stmts  int32
}

// stmtList is a statement list with the sums of its statements.
type stmtList struct {
	owner ast.Node // *ast.BlockStmt, *ast.CaseClause or *ast.CommClause
	stmts []ast.Stmt
	sums  []sum
	decl  *ast.FuncDecl
	// prefix[k] is the polynomial hash of sums[:k]; tok[k] the tokens of stmts[:k].
	prefix []uint64
	tok    []int32
}

type funcSum struct {
	decl *ast.FuncDecl
	sum  sum
}

type frame struct {
	node   ast.Node
	h      uint64
	tokens int32
	stmts  int32
	sums   []sum // for list owners: the sums of the statements in the list
}

// hasher computes, in one bottom-up pass per file, the normalized hash of every statement
// and function. Identifiers and literals contribute only their kind, except the name after a
// selector's dot (a field, method or package member), which is part of the shape.
type hasher struct {
	seed  maphash.Seed
	stack []frame
	decl  *ast.FuncDecl
	lists []*stmtList
	funcs []funcSum
}

const mulK = 0x9E3779B97F4A7C15

func mix(h, v uint64) uint64 {
	h = (h ^ v) * mulK
	return h ^ h>>31
}

func (hs *hasher) file(f *ast.File) {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		hs.decl = fd
		ast.Inspect(fd, hs.visit)
	}
	hs.decl = nil
}

func (hs *hasher) visit(n ast.Node) bool {
	if n == nil {
		hs.pop()
		return true
	}
	switch n.(type) {
	case *ast.CommentGroup, *ast.Comment:
		return false
	}
	h := mix(0x51ed27, kindOf(n))
	switch n := n.(type) {
	case *ast.Ident:
		if p := hs.parent(); p != nil {
			if sel, ok := p.(*ast.SelectorExpr); ok && sel.Sel == n {
				h = mix(h, maphash.String(hs.seed, n.Name))
			}
		}
	case *ast.BasicLit:
		h = mix(h, uint64(n.Kind))
	case *ast.BinaryExpr:
		h = mix(h, uint64(n.Op))
	case *ast.UnaryExpr:
		h = mix(h, uint64(n.Op))
	case *ast.AssignStmt:
		h = mix(h, uint64(n.Tok))
	case *ast.IncDecStmt:
		h = mix(h, uint64(n.Tok))
	case *ast.BranchStmt:
		h = mix(h, uint64(n.Tok))
	case *ast.RangeStmt:
		h = mix(h, uint64(n.Tok)<<8|flags(n.Key != nil, n.Value != nil))
	case *ast.GenDecl:
		h = mix(h, uint64(n.Tok))
	case *ast.ChanType:
		h = mix(h, uint64(n.Dir))
	case *ast.SliceExpr:
		h = mix(h, flags(n.Low != nil, n.High != nil, n.Max != nil, n.Slice3))
	case *ast.ForStmt:
		h = mix(h, flags(n.Init != nil, n.Cond != nil, n.Post != nil))
	case *ast.IfStmt:
		h = mix(h, flags(n.Init != nil, n.Else != nil))
	case *ast.SwitchStmt:
		h = mix(h, flags(n.Init != nil, n.Tag != nil))
	case *ast.TypeSwitchStmt:
		h = mix(h, flags(n.Init != nil))
	case *ast.CaseClause:
		h = mix(h, flags(n.List == nil))
	case *ast.CommClause:
		h = mix(h, flags(n.Comm == nil))
	case *ast.FuncDecl:
		h = mix(h, flags(n.Recv != nil))
	case *ast.CompositeLit:
		h = mix(h, flags(n.Type != nil))
	case *ast.ArrayType:
		h = mix(h, flags(n.Len != nil))
	case *ast.Field:
		h = mix(h, uint64(len(n.Names)))
	case *ast.ValueSpec:
		h = mix(h, flags(n.Type != nil)<<8|uint64(len(n.Names)))
	}
	var stmts int32
	if _, ok := n.(ast.Stmt); ok {
		switch n.(type) {
		case *ast.BlockStmt, *ast.EmptyStmt:
		default:
			stmts = 1
		}
	}
	hs.stack = append(hs.stack, frame{node: n, h: h, tokens: 1, stmts: stmts})
	return true
}

func (hs *hasher) parent() ast.Node {
	if len(hs.stack) == 0 {
		return nil
	}
	return hs.stack[len(hs.stack)-1].node
}

func (hs *hasher) pop() {
	top := len(hs.stack) - 1
	fr := hs.stack[top]
	hs.stack = hs.stack[:top]
	s := sum{h: mix(fr.h, 0xe4d), tokens: fr.tokens, stmts: fr.stmts}
	switch n := fr.node.(type) {
	case *ast.BlockStmt:
		hs.addList(n, n.List, fr.sums)
	case *ast.CaseClause:
		hs.addList(n, n.Body, fr.sums)
	case *ast.CommClause:
		hs.addList(n, n.Body, fr.sums)
	case *ast.FuncDecl:
		hs.funcs = append(hs.funcs, funcSum{n, s})
	}
	if top == 0 {
		return
	}
	p := &hs.stack[top-1]
	p.h = mix(p.h, s.h)
	p.tokens += s.tokens
	p.stmts += s.stmts
	if st, ok := fr.node.(ast.Stmt); ok {
		switch pn := p.node.(type) {
		case *ast.BlockStmt:
			p.sums = append(p.sums, s)
		case *ast.CaseClause:
			p.sums = append(p.sums, s)
		case *ast.CommClause:
			if pn.Comm != st {
				p.sums = append(p.sums, s)
			}
		}
	}
}

// polyBase is odd, so powers never vanish modulo 2^64.
const polyBase = 0x100000001b3

func (hs *hasher) addList(owner ast.Node, stmts []ast.Stmt, sums []sum) {
	if len(stmts) == 0 || len(stmts) != len(sums) {
		return
	}
	l := &stmtList{owner: owner, stmts: stmts, sums: sums, decl: hs.decl,
		prefix: make([]uint64, len(sums)+1), tok: make([]int32, len(sums)+1)}
	for k, s := range sums {
		l.prefix[k+1] = l.prefix[k]*polyBase + s.h
		l.tok[k+1] = l.tok[k] + s.tokens
	}
	hs.lists = append(hs.lists, l)
}

// window returns the hash of stmts[i:j], given pow[j-i] = polyBase^(j-i).
func (l *stmtList) window(i, j int, pow []uint64) uint64 {
	return mix(l.prefix[j]-l.prefix[i]*pow[j-i], uint64(j-i))
}

func flags(bs ...bool) uint64 {
	var v uint64
	for i, b := range bs {
		if b {
			v |= 1 << i
		}
	}
	return v + 1
}

// kindOf numbers the syntax node types.
func kindOf(n ast.Node) uint64 {
	switch n.(type) {
	case *ast.Ident:
		return 1
	case *ast.BasicLit:
		return 2
	case *ast.CompositeLit:
		return 3
	case *ast.FuncLit:
		return 4
	case *ast.ParenExpr:
		return 5
	case *ast.SelectorExpr:
		return 6
	case *ast.IndexExpr:
		return 7
	case *ast.IndexListExpr:
		return 8
	case *ast.SliceExpr:
		return 9
	case *ast.TypeAssertExpr:
		return 10
	case *ast.CallExpr:
		return 11
	case *ast.StarExpr:
		return 12
	case *ast.UnaryExpr:
		return 13
	case *ast.BinaryExpr:
		return 14
	case *ast.KeyValueExpr:
		return 15
	case *ast.ArrayType:
		return 16
	case *ast.StructType:
		return 17
	case *ast.FuncType:
		return 18
	case *ast.InterfaceType:
		return 19
	case *ast.MapType:
		return 20
	case *ast.ChanType:
		return 21
	case *ast.Ellipsis:
		return 22
	case *ast.DeclStmt:
		return 30
	case *ast.EmptyStmt:
		return 31
	case *ast.LabeledStmt:
		return 32
	case *ast.ExprStmt:
		return 33
	case *ast.SendStmt:
		return 34
	case *ast.IncDecStmt:
		return 35
	case *ast.AssignStmt:
		return 36
	case *ast.GoStmt:
		return 37
	case *ast.DeferStmt:
		return 38
	case *ast.ReturnStmt:
		return 39
	case *ast.BranchStmt:
		return 40
	case *ast.BlockStmt:
		return 41
	case *ast.IfStmt:
		return 42
	case *ast.CaseClause:
		return 43
	case *ast.SwitchStmt:
		return 44
	case *ast.TypeSwitchStmt:
		return 45
	case *ast.CommClause:
		return 46
	case *ast.SelectStmt:
		return 47
	case *ast.ForStmt:
		return 48
	case *ast.RangeStmt:
		return 49
	case *ast.Field:
		return 60
	case *ast.FieldList:
		return 61
	case *ast.FuncDecl:
		return 62
	case *ast.GenDecl:
		return 63
	case *ast.ValueSpec:
		return 64
	case *ast.TypeSpec:
		return 65
	case *ast.ImportSpec:
		return 66
	case *ast.BadExpr, *ast.BadStmt, *ast.BadDecl:
		return 99
	}
	return 100
}
