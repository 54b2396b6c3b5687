package refactor

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/refactor/clone"
	"github.com/decant-go/decant/refactor/edit"
)

// unifyPass turns groups of pasted functions into one function.
func (r *runner) unifyPass() ([]Change, []string, error) {
	v, err := r.load(loadMode, true)
	if err != nil {
		return nil, nil, err
	}
	var changes []Change
	var notes []string
	taken := map[string]bool{} // names given to extracted functions by this pass
	for _, p := range v.pkgs {
		res := clone.Analyze(v.fset, p.Syntax, p.TypesInfo, r.opts.Clone)
		for _, g := range res.Groups {
			if g.Kind != clone.Func {
				continue
			}
			c, note := v.unifyFuncs(p.Types, g)
			if c != nil {
				changes = append(changes, *c)
			}
			if note != "" {
				notes = append(notes, note)
			}
		}
		for _, e := range res.Excluded {
			notes = append(notes, fmt.Sprintf("not unified: %s: %s", memberList(v, e.Members), e.Reason))
		}
		// Statement runs are looked for in the package with its tests, so that runs repeated
		// in test files are found too; the same variant's types describe them.
		sp, sres := p, res
		if tp := v.testVariant(p); tp != nil {
			sp, sres = tp, clone.Analyze(v.fset, tp.Syntax, tp.TypesInfo, r.opts.Clone)
		}
		for _, g := range stmtGroups(sres.Groups) {
			c, note := v.unifyStmts(sp, g, taken)
			if c != nil {
				changes = append(changes, *c)
			}
			if note != "" {
				notes = append(notes, note)
			}
		}
		notes = append(notes, v.skewNotes(p)...)
	}
	return changes, notes, nil
}

// testVariant returns the variant of p compiled with its in-package tests, or nil.
func (v *view) testVariant(p *packages.Package) *packages.Package {
	for _, q := range v.all {
		if q.PkgPath == p.PkgPath && q.ID != p.ID && strings.HasPrefix(q.ID, p.PkgPath+" [") {
			return q
		}
	}
	return nil
}

func memberList(v *view, ms []clone.Member) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%s:%d", v.rel(m.File), m.Line))
	}
	return strings.Join(s, ", ")
}

// unifyFuncs handles a group of whole functions that differ only by a consistent renaming of
// their locals: the first is kept (renamed to what the names have in common, when that is
// free), unexported copies are removed and their callers call the kept one, and exported copies
// forward to it so that other packages keep building.
func (v *view) unifyFuncs(pkg *types.Package, g clone.Group) (*Change, string) {
	where := memberList(v, g.Members)
	for _, d := range g.Diffs {
		if d.Kind != clone.Rename {
			return nil, fmt.Sprintf("not unified: functions %s also differ in %s %s; a parameter would change their signatures",
				where, d.Kind, strings.Join(d.Texts, "/"))
		}
	}
	for _, m := range g.Members {
		if m.Decl.Recv != nil || m.Decl.Type.TypeParams != nil {
			return nil, fmt.Sprintf("not unified: %s are methods or generic functions", where)
		}
	}
	keep := g.Members[0].Decl
	var names []string
	objs := map[string]bool{} // positions of the functions' objects
	for _, m := range g.Members {
		names = append(names, m.Decl.Name.Name)
		objs[v.fset.Position(m.Decl.Name.Pos()).String()] = true
	}
	newName := keep.Name.Name
	anyExported := slices.ContainsFunc(names, token.IsExported)
	if !anyExported {
		if n := commonName(names); n != "" {
			// The shared name, or failing that the shared name qualified by the first
			// parameter's name (prepare is taken: prepareRows).
			cands := []string{n}
			if ps := keep.Type.Params.List; len(ps) > 0 && len(ps[0].Names) > 0 && ps[0].Names[0].Name != "_" {
				cands = append(cands, n+upperFirst(ps[0].Names[0].Name))
			}
			for _, c := range cands {
				if pkg.Scope().Lookup(c) == nil && types.Universe.Lookup(c) == nil && !token.IsKeyword(c) {
					newName = c
					break
				}
			}
		}
	}
	es := edit.Set{}
	add := func(pos, end token.Pos, text string) {
		path, s := v.off(pos)
		_, e := v.off(end)
		es.Add(path, edit.Edit{Start: s, End: e, New: text})
	}
	seen := map[string]bool{}
	rename := func(id *ast.Ident, to string) {
		key := v.fset.Position(id.Pos()).String()
		if !seen[key] && id.Name != to {
			seen[key] = true
			add(id.Pos(), id.End(), to)
		}
	}
	// Every use, in every variant of the package (tests included), of a removed copy or of
	// the renamed original now names the kept function.
	forward := map[string]bool{}
	for _, m := range g.Members[1:] {
		if token.IsExported(m.Decl.Name.Name) {
			forward[m.Decl.Name.Name] = true
		}
	}
	for _, p := range v.all {
		for id, obj := range p.TypesInfo.Uses {
			if obj == nil || !objs[v.fset.Position(obj.Pos()).String()] || forward[id.Name] {
				continue
			}
			rename(id, newName)
		}
	}
	rename(keep.Name, newName)
	if keep.Doc != nil && newName != keep.Name.Name {
		first := keep.Doc.List[0]
		if strings.HasPrefix(first.Text, "// "+keep.Name.Name) {
			start := first.Pos() + token.Pos(len("// "))
			add(start, start+token.Pos(len(keep.Name.Name)), newName)
		}
	}
	var removed, forwarded []string
	for _, m := range g.Members[1:] {
		d := m.Decl
		if forward[d.Name.Name] {
			body, ok := forwardBody(d, newName)
			if !ok {
				return nil, fmt.Sprintf("not unified: %s has unnamed parameters and is exported", d.Name.Name)
			}
			add(d.Body.Pos(), d.Body.End(), body)
			forwarded = append(forwarded, d.Name.Name)
			continue
		}
		start := d.Pos()
		if d.Doc != nil {
			start = d.Doc.Pos()
		}
		path, s := v.off(start)
		_, e := v.off(d.End())
		src := v.r.cur[path]
		for e < len(src) && (src[e] == '\n' || src[e] == ' ' || src[e] == '\t') {
			e++
		}
		es.Add(path, edit.Edit{Start: s, End: e})
		removed = append(removed, d.Name.Name)
	}
	// Comments that mention the old names follow the rename.
	if newName != keep.Name.Name || len(removed) > 0 {
		old := append([]string{keep.Name.Name}, removed...)
		re := regexp.MustCompile(`\b(` + strings.Join(old, "|") + `)\b`)
		var keepDoc *ast.Comment
		if keep.Doc != nil {
			keepDoc = keep.Doc.List[0]
		}
		for _, p := range v.pkgs {
			for _, f := range p.Syntax {
				for _, cg := range f.Comments {
					if inRemoved(cg, g.Members[1:], forward) {
						continue
					}
					for _, c := range cg.List {
						if c == keepDoc {
							continue
						}
						for _, loc := range re.FindAllStringIndex(c.Text, -1) {
							add(c.Pos()+token.Pos(loc[0]), c.Pos()+token.Pos(loc[1]), newName)
						}
					}
				}
			}
		}
	}
	c := &Change{Pass: PassUnify, edits: es}
	c.Title = fmt.Sprintf("unify %s into %s", strings.Join(names, ", "), newName)
	var why strings.Builder
	fmt.Fprintf(&why, "%s are the same function (%d tokens, %d statements) with locals renamed (%s).",
		strings.Join(names, " and "), g.Tokens, g.Stmts, where)
	if len(removed) > 0 {
		fmt.Fprintf(&why, " Removed the copies %s; their callers now call %s.", strings.Join(removed, ", "), newName)
	}
	if len(forwarded) > 0 {
		fmt.Fprintf(&why, " Exported copies %s now call %s.", strings.Join(forwarded, ", "), newName)
	}
	if common := commonName(names); newName != keep.Name.Name && newName == common {
		fmt.Fprintf(&why, " Renamed %s to %s, the name the copies share.", keep.Name.Name, newName)
	} else if newName != keep.Name.Name {
		fmt.Fprintf(&why, " Renamed %s to %s: the copies share %s, which is taken, so it is qualified by the first parameter's name.", keep.Name.Name, newName, common)
	}
	c.Why = why.String()
	return c, ""
}

func inRemoved(cg *ast.CommentGroup, ms []clone.Member, forward map[string]bool) bool {
	for _, m := range ms {
		d := m.Decl
		if forward[d.Name.Name] {
			continue
		}
		start := d.Pos()
		if d.Doc != nil {
			start = d.Doc.Pos()
		}
		if cg.Pos() >= start && cg.End() <= d.End() {
			return true
		}
	}
	return false
}

// forwardBody returns a body for d that calls name with d's parameters.
func forwardBody(d *ast.FuncDecl, name string) (string, bool) {
	var args []string
	for _, f := range d.Type.Params.List {
		if len(f.Names) == 0 {
			return "", false
		}
		for _, n := range f.Names {
			if n.Name == "_" {
				return "", false
			}
			a := n.Name
			if _, ok := f.Type.(*ast.Ellipsis); ok {
				a += "..."
			}
			args = append(args, a)
		}
	}
	call := fmt.Sprintf("%s(%s)", name, strings.Join(args, ", "))
	if d.Type.Results != nil && len(d.Type.Results.List) > 0 {
		call = "return " + call
	}
	return "{\n\t" + call + "\n}", true
}

// commonName returns the longest shared prefix of names, cut at a camel-case word boundary,
// or failing that the longest shared suffix starting at one, lower-cased; "" if neither is a
// usable name of at least three letters. prepareTrain and prepareTest give prepare;
// trainLoader and testLoader give loader.
func commonName(names []string) string {
	words := make([][]string, len(names))
	for i, n := range names {
		words[i] = camelWords(n)
	}
	var pre []string
	for k := 0; ; k++ {
		if k >= len(words[0]) {
			break
		}
		w := words[0][k]
		ok := true
		for _, ws := range words[1:] {
			if k >= len(ws) || ws[k] != w {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
		pre = append(pre, w)
	}
	if n := strings.Join(pre, ""); len(n) >= 3 && n != names[0] {
		return n
	}
	var suf []string
	for k := 1; ; k++ {
		if k > len(words[0]) {
			break
		}
		w := strings.ToLower(words[0][len(words[0])-k])
		ok := true
		for _, ws := range words[1:] {
			if k > len(ws) || strings.ToLower(ws[len(ws)-k]) != w {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
		suf = append([]string{words[0][len(words[0])-k]}, suf...)
	}
	if n := strings.Join(suf, ""); len(n) >= 3 {
		r := []rune(n)
		r[0] = unicode.ToLower(r[0])
		return string(r)
	}
	return ""
}

// camelWords splits an identifier before each upper-case letter that follows a lower-case one.
func camelWords(s string) []string {
	var out []string
	start := 0
	rs := []rune(s)
	for i := 1; i < len(rs); i++ {
		if unicode.IsUpper(rs[i]) && !unicode.IsUpper(rs[i-1]) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

func upperFirst(s string) string {
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
