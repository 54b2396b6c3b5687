package clone

import (
	"cmp"
	"go/ast"
	"go/token"
	"go/types"
	"hash/maphash"
	"slices"
)

// win is a candidate member: stmts[i:j] of list l, or a whole function when l is nil.
type win struct {
	l    *stmtList
	i, j int
	fn   *funcSum
}

type detector struct {
	fset *token.FileSet
	info *types.Info
	opts Options
	pow  []uint64
	objs map[types.Object]int // stable small ids for objects compared by identity
	res  Result
	// cands are same-shape candidate groups before the type checks.
	cands []cand
}

type cand struct {
	kind Kind
	ws   []win
}

// Analyze finds clone groups and the candidates it excluded. See Find.
func Analyze(fset *token.FileSet, files []*ast.File, info *types.Info, opts Options) Result {
	return AnalyzeWith(fset, files, func([]*ast.File) *types.Info { return info }, opts)
}

// AnalyzeWith is [Analyze] with type information computed on demand: the syntactic pass finds
// the same-shape candidates first, then typeCheck receives the files that hold a candidate
// member (in the order of files) and returns type information covering at least those, or
// nil to compare identifiers by name. typeCheck is not called when there is no candidate.
// Type-checking only those files is what keeps a whole-tree run fast.
func AnalyzeWith(fset *token.FileSet, files []*ast.File, typeCheck func([]*ast.File) *types.Info, opts Options) Result {
	opts = opts.withDefaults()
	hs := &hasher{seed: maphash.MakeSeed()}
	for _, f := range files {
		hs.file(f)
	}
	d := &detector{fset: fset, opts: opts, objs: map[types.Object]int{}}
	maxLen := 0
	for _, l := range hs.lists {
		maxLen = max(maxLen, len(l.stmts))
	}
	d.pow = make([]uint64, maxLen+2)
	d.pow[0] = 1
	for k := 1; k < len(d.pow); k++ {
		d.pow[k] = d.pow[k-1] * polyBase
	}
	if !opts.NoFuncs {
		d.funcCands(hs.funcs)
	}
	d.stmtCands(hs.lists)
	if len(d.cands) == 0 {
		return d.res
	}
	d.info = typeCheck(d.candidateFiles(files))
	for _, c := range d.cands {
		d.check(c)
	}
	d.dropSubsumed()
	d.sortResult()
	return d.res
}

// candidateFiles returns the files, in the order given, that hold a candidate member.
func (d *detector) candidateFiles(files []*ast.File) []*ast.File {
	byFile := map[*token.File]bool{}
	for _, c := range d.cands {
		for _, w := range c.ws {
			pos := w.fn.pos()
			if w.fn == nil {
				pos = w.l.stmts[w.i].Pos()
			}
			byFile[d.fset.File(pos)] = true
		}
	}
	var out []*ast.File
	for _, f := range files {
		if byFile[d.fset.File(f.Pos())] {
			out = append(out, f)
		}
	}
	return out
}

// pos is the start of the function, or NoPos for a nil summary.
func (f *funcSum) pos() token.Pos {
	if f == nil {
		return token.NoPos
	}
	return f.decl.Pos()
}

func (d *detector) funcCands(funcs []funcSum) {
	buckets := map[uint64][]win{}
	var order []uint64
	for k := range funcs {
		f := &funcs[k]
		if int(f.sum.tokens) < d.opts.MinTokens {
			continue
		}
		if _, ok := buckets[f.sum.h]; !ok {
			order = append(order, f.sum.h)
		}
		buckets[f.sum.h] = append(buckets[f.sum.h], win{fn: f})
	}
	for _, h := range order {
		if ws := buckets[h]; len(ws) > 1 {
			d.cands = append(d.cands, cand{Func, ws})
		}
	}
}

// stmtCands seeds one window per statement: the shortest run starting there that meets both
// thresholds. Seeds with equal hashes are grown to the right together while every member's
// next statement matches, splitting where they diverge.
func (d *detector) stmtCands(lists []*stmtList) {
	buckets := map[uint64][]win{}
	var order []uint64
	minT, minS := int32(d.opts.MinTokens), d.opts.MinStmts
	for _, l := range lists {
		n := len(l.stmts)
		e := 0
		for i := 0; i < n; i++ {
			e = max(e, i+minS)
			for e <= n && l.tok[e]-l.tok[i] < minT {
				e++
			}
			if e > n {
				break
			}
			h := l.window(i, e, d.pow)
			if _, ok := buckets[h]; !ok {
				order = append(order, h)
			}
			buckets[h] = append(buckets[h], win{l: l, i: i, j: e})
		}
	}
	for _, h := range order {
		ws := buckets[h]
		if len(ws) < 2 {
			continue
		}
		ws = nonOverlapping(ws)
		if len(ws) > 1 {
			d.grow(ws)
		}
	}
}

// nonOverlapping keeps, within each list, windows that do not overlap an earlier kept one.
func nonOverlapping(ws []win) []win {
	out := ws[:0]
	for _, w := range ws {
		if n := len(out); n > 0 && out[n-1].l == w.l && w.i < out[n-1].j {
			continue
		}
		out = append(out, w)
	}
	return out
}

const endOfList = ^uint64(0)

func (d *detector) grow(ws []win) {
	for {
		next := func(k int) uint64 {
			w := ws[k]
			if w.j >= len(w.l.stmts) {
				return endOfList
			}
			if k+1 < len(ws) && ws[k+1].l == w.l && ws[k+1].i <= w.j {
				return endOfList // growing would overlap the next member
			}
			return w.l.sums[w.j].h
		}
		first := next(0)
		same := first != endOfList
		for k := 1; k < len(ws) && same; k++ {
			same = next(k) == first
		}
		if same {
			for k := range ws {
				ws[k].j++
			}
			continue
		}
		if d.leftMaximal(ws) {
			d.cands = append(d.cands, cand{Stmts, slices.Clone(ws)})
		}
		parts := map[uint64][]win{}
		var order []uint64
		for k := range ws {
			h := next(k)
			if h == endOfList {
				continue
			}
			if _, ok := parts[h]; !ok {
				order = append(order, h)
			}
			w := ws[k]
			w.j++
			parts[h] = append(parts[h], w)
		}
		for _, h := range order {
			if p := parts[h]; len(p) > 1 {
				d.grow(p)
			}
		}
		return
	}
}

// leftMaximal reports whether the windows cannot all be extended by one statement to the
// left; if they can, the seed one statement earlier yields the larger clone.
func (d *detector) leftMaximal(ws []win) bool {
	var h uint64
	for k, w := range ws {
		if w.i == 0 {
			return true
		}
		if k > 0 && ws[k-1].l == w.l && ws[k-1].j >= w.i {
			return true
		}
		s := w.l.sums[w.i-1].h
		if k == 0 {
			h = s
		} else if s != h {
			return true
		}
	}
	return false
}

// member builds the Member for a window, without leaves.
func (d *detector) member(w win) Member {
	var m Member
	if w.fn != nil {
		m = Member{Pos: w.fn.decl.Pos(), End: w.fn.decl.End(), Decl: w.fn.decl}
	} else {
		st := w.l.stmts[w.i:w.j]
		m = Member{Pos: st[0].Pos(), End: st[len(st)-1].End(), Decl: w.l.decl, Stmts: st, Block: w.l.owner}
	}
	p, e := d.fset.Position(m.Pos), d.fset.Position(m.End)
	m.File, m.Line, m.EndLine = p.Filename, p.Line, e.Line
	return m
}

func (w win) size() (tokens, stmts int) {
	if w.fn != nil {
		return int(w.fn.sum.tokens), int(w.fn.sum.stmts)
	}
	return int(w.l.tok[w.j] - w.l.tok[w.i]), w.j - w.i
}

// dropSubsumed removes groups each of whose members lies inside a distinct member of one
// other group: the nested repeats of a larger clone. Exclusions nested in other exclusions go
// the same way.
func (d *detector) dropSubsumed() {
	sets := make([][]Member, len(d.res.Groups))
	for i, g := range d.res.Groups {
		sets[i] = g.Members
	}
	drop := subsumed(sets)
	groups := d.res.Groups[:0]
	for i, g := range d.res.Groups {
		if !drop[i] {
			groups = append(groups, g)
		}
	}
	d.res.Groups = groups

	sets = make([][]Member, len(d.res.Excluded))
	for i, e := range d.res.Excluded {
		sets[i] = e.Members
	}
	drop = subsumed(sets)
	excl := d.res.Excluded[:0]
	for i, e := range d.res.Excluded {
		if !drop[i] {
			excl = append(excl, e)
		}
	}
	d.res.Excluded = excl
}

// subsumed reports, per member set, whether each of its members lies inside a distinct member
// of one other set.
func subsumed(sets [][]Member) []bool {
	type ent struct {
		file     string
		pos, end token.Pos
		g, m     int
	}
	var ents []ent
	for g, ms := range sets {
		for m, mem := range ms {
			ents = append(ents, ent{mem.File, mem.Pos, mem.End, g, m})
		}
	}
	slices.SortFunc(ents, func(a, b ent) int {
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.pos, b.pos), cmp.Compare(b.end, a.end), cmp.Compare(a.g, b.g))
	})
	// enclosing[g][h] is the set of h's members that enclose some member of g; covered[g][h]
	// counts g's members enclosed by a member of h.
	enclosing := make([]map[int]map[int]bool, len(sets))
	covered := make([]map[int]int, len(sets))
	var stack []ent
	for _, e := range ents {
		keep := stack[:0]
		for _, s := range stack {
			if s.file == e.file && s.end > e.pos {
				keep = append(keep, s)
			}
		}
		stack = keep
		seen := map[int]bool{}
		for _, s := range stack {
			if s.g == e.g || s.end < e.end || seen[s.g] {
				continue
			}
			seen[s.g] = true
			if enclosing[e.g] == nil {
				enclosing[e.g] = map[int]map[int]bool{}
				covered[e.g] = map[int]int{}
			}
			if enclosing[e.g][s.g] == nil {
				enclosing[e.g][s.g] = map[int]bool{}
			}
			enclosing[e.g][s.g][s.m] = true
			covered[e.g][s.g]++
		}
		stack = append(stack, e)
	}
	out := make([]bool, len(sets))
	for g, ms := range sets {
		for h, n := range covered[g] {
			if n == len(ms) && len(enclosing[g][h]) >= len(ms) {
				out[g] = true
				break
			}
		}
	}
	return out
}

func (d *detector) sortResult() {
	byMember := func(a, b Member) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Pos, b.Pos), cmp.Compare(a.End, b.End))
	}
	slices.SortFunc(d.res.Groups, func(a, b Group) int {
		return cmp.Or(byMember(a.Members[0], b.Members[0]), cmp.Compare(b.Tokens, a.Tokens))
	})
	slices.SortFunc(d.res.Excluded, func(a, b Exclusion) int {
		return cmp.Or(byMember(a.Members[0], b.Members[0]), cmp.Compare(a.Reason, b.Reason))
	})
}
