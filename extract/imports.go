package extract

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/imports"

	"github.com/decant-go/decant/extract/internal/stdpkgs"
	"github.com/decant-go/decant/notebooks/gonbmem"
)

// GoNB ran goimports on every cell, so notebooks lean on it: fmt is rarely imported by hand.
// Extraction does the same fixing for each generated file, without running the go command:
// imports the file does not use are dropped, and missing ones come from the notebook's own
// imports or, for the standard library, from an embedded index. Only a name neither can
// resolve falls back to goimports, which searches the module cache as GoNB's did.

// importName is the name an import binds in a file.
func importName(imp Import) string {
	if imp.Name != "" {
		return imp.Name
	}
	if n, ok := stdpkgs.Name(imp.Path); ok {
		return n
	}
	return gonbmem.PackageName(imp.Path)
}

// assemble puts header, imports and body together as a formatted Go file. candidates are the
// notebook's explicit imports; forced are blank and dot imports the file must keep; local names
// the package-level identifiers declared anywhere in the package.
func (p *Plan) assemble(name, header, body string, candidates []Import, forced []Import, local map[string]bool, search bool) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, header+body, parser.ParseComments|parser.AllErrors)
	if err != nil {
		return nil, fmt.Errorf("generated %s does not parse: %w\n%s", name, err, numbered([]byte(header+body)))
	}
	// Names used as X in X.Sel that nothing in the file or the package declares.
	selectors := map[string][]string{}
	unresolved := map[*ast.Ident]bool{}
	for _, id := range f.Unresolved {
		unresolved[id] = true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || !unresolved[id] || local[id.Name] || types.Universe.Lookup(id.Name) != nil {
			return true
		}
		if !contains(selectors[id.Name], sel.Sel.Name) {
			selectors[id.Name] = append(selectors[id.Name], sel.Sel.Name)
		}
		return true
	})
	byName := map[string]Import{}
	for _, imp := range candidates {
		n := importName(imp)
		if _, dup := byName[n]; !dup || imp.Name != "" {
			byName[n] = imp
		}
	}
	var list []Import
	var missing, found, renamed []string
	for n, syms := range selectors {
		if imp, ok := byName[n]; ok {
			list = append(list, imp)
			continue
		}
		sort.Strings(syms)
		if p, ok := stdpkgs.Lookup(n, syms); ok {
			list = append(list, Import{Path: p})
			continue
		}
		if p.modules != nil {
			if ip, ok := p.modules.findPackage(n, syms); ok {
				list = append(list, Import{Path: ip})
				found = append(found, n+" as "+ip)
				continue
			}
		}
		if imp, ok := p.renamedImport(n, syms, candidates); ok {
			list = append(list, imp)
			renamed = append(renamed, fmt.Sprintf("%s.%s as %s, which the notebook imports and which declares them", n, strings.Join(syms, ", "+n+"."), imp.Path))
			continue
		}
		missing = append(missing, n)
	}
	// A dot import is kept only if the file uses a name the package declares: Go rejects an
	// unused one. Which names a package declares comes from its source in the notebook's module
	// context (or the standard library's index); for a package found in neither, any bare name
	// nothing else explains keeps it.
	bare := map[string]bool{}
	for id := range unresolved {
		if !local[id.Name] && types.Universe.Lookup(id.Name) == nil && id.Name != "_" {
			if _, isQualifier := selectors[id.Name]; !isQualifier {
				bare[id.Name] = true
			}
		}
	}
	unexplained := maps.Clone(bare)
	var unknownDots []Import
	for _, imp := range forced {
		if imp.Name != "." {
			list = append(list, imp)
			continue
		}
		exports := p.dotExports(imp.Path)
		if exports == nil {
			unknownDots = append(unknownDots, imp)
			continue
		}
		used := false
		for n := range bare {
			if exports[n] && ast.IsExported(n) {
				used = true
				delete(unexplained, n)
			}
		}
		if used {
			list = append(list, imp)
		}
	}
	if len(unexplained) > 0 {
		list = append(list, unknownDots...)
	}
	sort.Slice(list, func(i, j int) bool {
		// The standard library first, as goimports groups them.
		if si, sj := stdPath(list[i].Path), stdPath(list[j].Path); si != sj {
			return si
		}
		if list[i].Path != list[j].Path {
			return list[i].Path < list[j].Path
		}
		return list[i].Name < list[j].Name
	})
	var sb strings.Builder
	sb.WriteString(header)
	if len(list) == 1 {
		imp := list[0]
		if needsAlias(imp) {
			fmt.Fprintf(&sb, "import %s %q\n\n", imp.Name, imp.Path)
		} else {
			fmt.Fprintf(&sb, "import %q\n\n", imp.Path)
		}
	} else if len(list) > 1 {
		sb.WriteString("import (\n")
		std := true
		for i, imp := range list {
			isStd := stdPath(imp.Path)
			if i > 0 && std && !isStd {
				sb.WriteString("\n") // standard library first, as goimports groups them
			}
			std = isStd
			if needsAlias(imp) {
				fmt.Fprintf(&sb, "\t%s %q\n", imp.Name, imp.Path)
			} else {
				fmt.Fprintf(&sb, "\t%q\n", imp.Path)
			}
		}
		sb.WriteString(")\n\n")
	}
	sb.WriteString(body)
	src := []byte(sb.String())
	if len(found) > 0 {
		sort.Strings(found)
		p.Decisions = append(p.Decisions, Decision{Cell: -1, Subject: name, Action: "warning",
			Reason: fmt.Sprintf("the notebook uses %s without importing it; resolved in the notebook's module context", strings.Join(found, ", "))})
	}
	if len(renamed) > 0 {
		sort.Strings(renamed)
		p.Decisions = append(p.Decisions, Decision{Cell: -1, Subject: name, Action: "warning",
			Reason: fmt.Sprintf("no package of that name in the notebook's module context declares what the notebook uses, so its library probably renamed the package: resolved %s; check it is the package meant", strings.Join(renamed, "; "))})
	}
	if len(missing) > 0 && search {
		// A name only goimports can find (a module-cache package the notebook never imported).
		out, err := imports.Process(name, src, &imports.Options{Comments: true, TabIndent: true, TabWidth: 8})
		if err != nil {
			return nil, fmt.Errorf("fixing imports of %s: %w\n%s", name, err, numbered(src))
		}
		out, replaced, err := p.checkOutsideContext(name, out, list, selectors)
		if err != nil {
			return nil, err
		}
		missing = slices.DeleteFunc(missing, func(n string) bool { return slices.Contains(replaced, n) })
		if len(missing) > 0 {
			sort.Strings(missing)
			p.Decisions = append(p.Decisions, Decision{Cell: -1, Subject: name, Action: "warning",
				Reason: fmt.Sprintf("the notebook uses %s without importing it; goimports resolved it from the module cache, as GoNB did: check it is the package meant", strings.Join(missing, ", "))})
		}
		return out, nil
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w\n%s", name, err, numbered(src))
	}
	return out, nil
}

// stdPath reports whether an import path is the standard library's, as goimports decides it:
// its first element has no dot (syscall/js counts, though the index of this platform lacks it).
func stdPath(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// localNames are the package-level identifiers of the generated package.
func (p *Plan) localNames() map[string]bool {
	m := map[string]bool{"Run": true}
	for _, d := range p.Decls {
		if d.Kept {
			for _, n := range d.Names {
				m[n] = true
			}
		}
	}
	for _, st := range p.Steps {
		if st.Kept {
			m[st.Name] = true
		}
	}
	return m
}

// fileImports returns the candidate imports for a file, and the blank and dot imports that
// cannot be judged by qualified use. GoNB compiled every cell with all the imports memorized
// so far, so a dot import in one cell serves code in any other: every file gets every dot
// import, for assemble to keep those it uses. A blank import's effect is the whole program's:
// a file gets those of the cells whose code it holds, and allBlank (the package's pipeline
// file) gets all of them, so none is lost when the cell that wrote it was redefined later.
func (p *Plan) fileImports(cells map[int]bool, allBlank bool) (candidates, forced []Import) {
	ids := make([]int, 0, len(p.cellImports))
	for c := range p.cellImports {
		ids = append(ids, c)
	}
	sort.Ints(ids)
	seen := map[Import]bool{}
	add := func(imp Import) {
		if !seen[imp] {
			seen[imp] = true
			forced = append(forced, imp)
		}
	}
	for _, imp := range p.Imports {
		if imp.Name != "_" && imp.Name != "." {
			candidates = append(candidates, imp)
		}
	}
	for _, c := range ids {
		for _, imp := range p.cellImports[c] {
			switch {
			case imp.Name == ".":
				add(imp)
			case imp.Name == "_":
				// _ "embed" only enables //go:embed in the file that has the directive.
				if cells[c] || allBlank && imp.Path != "embed" {
					add(imp)
				}
			case !slices.Contains(candidates, imp):
				// The same path imported plainly and with a dot: p.Imports holds one of them.
				candidates = append(candidates, imp)
			}
		}
	}
	return candidates, forced
}

// dotExports returns the names package ip declares, when the module context or the standard
// library's index knows it, else nil.
func (p *Plan) dotExports(ip string) map[string]bool {
	if names, ok := stdpkgs.Exports(ip); ok {
		m := make(map[string]bool, len(names))
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	if p.modules != nil {
		return p.modules.Exports(ip)
	}
	return nil
}

var _ = bytes.Equal

// needsAlias reports whether an import must be written with its name. A name the notebook gave
// is kept unless it is the standard library package's own name: for other packages the real
// name is not known without loading them (github.com/ajstarks/svgo is package svg), so
// dropping an alias could break the file.
func needsAlias(imp Import) bool {
	if imp.Name == "" {
		return false
	}
	if std, ok := stdpkgs.Name(imp.Path); ok {
		return imp.Name != std
	}
	return true
}

// renamedImport finds, for a name the notebook uses as name.Sym without importing any package
// of that name, the one package among the notebook's imports that declares every one of syms:
// a library that renamed a package (data to datasets) leaves notebooks whose import lines were
// updated and whose uses were not. It returns that import bound to name.
func (p *Plan) renamedImport(name string, syms []string, candidates []Import) (Import, bool) {
	var hit Import
	n := 0
	for _, c := range candidates {
		if c.Name == "." || c.Name == "_" {
			continue
		}
		exports := p.dotExports(c.Path)
		if exports == nil {
			continue
		}
		all := true
		for _, s := range syms {
			all = all && exports[s]
		}
		if all && hit.Path != c.Path {
			hit, n = Import{Name: name, Path: c.Path}, n+1
		}
	}
	return hit, n == 1
}

// checkOutsideContext checks the imports goimports added to out (the file name) against the
// notebook's module context. goimports searches every version in the module cache, so for a
// name that no package of the context declares all the uses of, it may find a package of a
// context module in another version's layout (ml/train/optimizers, since moved to
// pkg/ml/train/optimizers), which would not build with the version the context selects. Such
// an import is replaced by that version's package of the same name, as goimports prefers the
// build list's packages in module mode, and the report says what the package lacks: the build
// then names the uses at their cells. When the selected version has no package of that name,
// the import is refused at the cell and line of its first use, naming the version tried.
func (p *Plan) checkOutsideContext(file string, out []byte, had []Import, used map[string][]string) (_ []byte, replaced []string, _ error) {
	if p.modules == nil {
		return out, nil, nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", out, parser.ImportsOnly)
	if err != nil {
		return out, nil, nil // the formatting step reports it
	}
	type swap struct {
		spec *ast.ImportSpec
		text string
	}
	var swaps []swap
	for _, is := range f.Imports {
		ip, err := strconv.Unquote(is.Path.Value)
		if err != nil || slices.ContainsFunc(had, func(i Import) bool { return i.Path == ip }) {
			continue
		}
		if _, std := stdpkgs.Name(ip); std {
			continue
		}
		m := p.modules.moduleFor(ip)
		if m == "" {
			continue // a module outside the context: the module cache is all GoNB had too
		}
		if _, ok := p.modules.packageDir(ip); ok {
			continue
		}
		if !p.modules.hasRoot(m) {
			continue // the required version is not on this machine: go mod tidy decides
		}
		at, _ := p.firstUse(ip)
		imp := Import{Path: ip}
		if is.Name != nil {
			imp.Name = is.Name.Name
		}
		name := importName(imp)
		if sub, lacks, ok := p.modules.samePackage(m, ip, name, used[name]); ok {
			text := strconv.Quote(sub)
			if is.Name != nil || importName(Import{Path: sub}) != name {
				text = name + " " + text
			}
			swaps = append(swaps, swap{is, text})
			replaced = append(replaced, name)
			reason := fmt.Sprintf("the notebook uses %s without importing it, and goimports found %s only in another version of %s than the one the module context selects: resolved it as %s, the package named %s in %s (%s), as goimports does for the modules of the build list",
				name, ip, m, sub, name, p.modules.describe(m), p.modules.From[m])
			if len(lacks) > 0 {
				reason += fmt.Sprintf("; it lacks %s.%s, which the notebook uses: its code was written for another version of %s (--pin %s@VERSION selects one)",
					name, strings.Join(lacks, ", "+name+"."), m, m)
			}
			p.Decisions = append(p.Decisions, Decision{Cell: at[0], Line: at[1], Subject: file, Action: "replaced", Reason: reason})
			continue
		}
		msg := fmt.Sprintf("no package named %s in the notebook's module context declares what the notebook uses; %s has no package %s", name, p.modules.describe(m), strings.TrimPrefix(ip, m+"/"))
		if lacks := p.modules.lacking(m, name, used[name]); lacks != "" {
			msg += "; " + lacks
		}
		if moved := p.modules.declaring(m, used[name]); len(moved) > 0 {
			if len(moved) > 3 {
				moved = append(moved[:3], "others")
			}
			msg += fmt.Sprintf("; in %s, %s declares %s: import that package (as %s, or by its own name)", p.modules.describe(m), strings.Join(moved, " and "), strings.Join(used[name], ", "), name)
		}
		e := &UnresolvedError{Notebook: p.Notebook, Cell: -1, Import: ip, Module: m, Implicit: true, Output: msg}
		if at != ([2]int{}) {
			e.Cell, e.Line = at[0], at[1]
		}
		if v := p.modules.Requires[m]; v != "" {
			e.Tried = append(e.Tried, m+"@"+v+" ("+p.modules.From[m]+")")
		}
		if d := p.modules.Local[m]; d != "" {
			e.Tried = append(e.Tried, d+" ("+p.modules.From[m]+")")
		}
		return nil, nil, e
	}
	if len(swaps) == 0 {
		return out, nil, nil
	}
	tf := fset.File(f.Pos())
	next := slices.Clone(out)
	for i := len(swaps) - 1; i >= 0; i-- { // f.Imports are in source order
		s := swaps[i]
		start, end := tf.Offset(s.spec.Pos()), tf.Offset(s.spec.End())
		next = append(next[:start:start], append([]byte(s.text), next[end:]...)...)
	}
	formatted, err := format.Source(next)
	if err != nil {
		return nil, nil, fmt.Errorf("replacing imports of %s: %w\n%s", file, err, numbered(next))
	}
	return formatted, replaced, nil
}
