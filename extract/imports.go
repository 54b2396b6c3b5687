package extract

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"sort"
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
	var missing, found []string
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
		missing = append(missing, n)
	}
	// A dot import is kept only if the file has bare names nothing else declares: where none
	// are left, Go would reject it as unused.
	bare := false
	for id := range unresolved {
		if !local[id.Name] && types.Universe.Lookup(id.Name) == nil && id.Name != "_" {
			if _, isQualifier := selectors[id.Name]; !isQualifier {
				bare = true
				break
			}
		}
	}
	for _, imp := range forced {
		if imp.Name == "." && !bare {
			continue
		}
		list = append(list, imp)
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
	if len(missing) > 0 && search {
		// A name only goimports can find (a module-cache package the notebook never imported).
		out, err := imports.Process(name, src, &imports.Options{Comments: true, TabIndent: true, TabWidth: 8})
		if err != nil {
			return nil, fmt.Errorf("fixing imports of %s: %w\n%s", name, err, numbered(src))
		}
		sort.Strings(missing)
		p.Decisions = append(p.Decisions, Decision{Cell: -1, Subject: name, Action: "warning",
			Reason: fmt.Sprintf("the notebook uses %s without importing it; goimports resolved it from the module cache, as GoNB did: check it is the package meant", strings.Join(missing, ", "))})
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

// fileImports returns the candidate imports for a file, and the blank and dot imports of the
// cells whose code it holds, which cannot be judged by use.
func (p *Plan) fileImports(cells map[int]bool) (candidates, forced []Import) {
	for _, imp := range p.Imports {
		if imp.Name != "_" && imp.Name != "." {
			candidates = append(candidates, imp)
		}
	}
	seen := map[Import]bool{}
	ids := make([]int, 0, len(cells))
	for c := range cells {
		ids = append(ids, c)
	}
	sort.Ints(ids)
	for _, c := range ids {
		for _, imp := range p.cellImports[c] {
			if (imp.Name == "_" || imp.Name == ".") && !seen[imp] {
				seen[imp] = true
				forced = append(forced, imp)
			}
		}
	}
	return candidates, forced
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
