package refactor

import (
	"fmt"
	"go/ast"
	"go/token"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

// view is a loaded module: packages of the scratch copy, with paths mapped back to the module.
type view struct {
	r    *runner
	fset *token.FileSet
	// pkgs are the packages without tests; all includes test variants.
	pkgs, all []*packages.Package
}

const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
	packages.NeedTypesInfo | packages.NeedImports | packages.NeedModule

// Views are cached per mode until a change is kept: passes that change nothing share one load
// of the module.
func (r *runner) load(mode packages.LoadMode, tests bool) (*view, error) {
	key := loadKey{mode, tests}
	if v, ok := r.views[key]; ok {
		return v, nil
	}
	v, err := r.loadFresh(mode, tests)
	if err != nil {
		return nil, err
	}
	if r.views == nil {
		r.views = map[loadKey]*view{}
	}
	r.views[key] = v
	return v, nil
}

// loadKey identifies a cached load of the module.
type loadKey struct {
	mode  packages.LoadMode
	tests bool
}

func (r *runner) loadFresh(mode packages.LoadMode, tests bool) (*view, error) {
	cfg := &packages.Config{Context: r.ctx, Dir: r.scratch, Mode: mode, Tests: tests,
		Env: append(environ(), "GOWORK=off", "GOFLAGS=-mod=mod")}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		return nil, fmt.Errorf("loading the module: %w", err)
	}
	v := &view{r: r, fset: cfg.Fset}
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("loading %s: %v", p.PkgPath, p.Errors[0])
		}
		if len(p.Syntax) > 0 {
			v.fset = fsetOf(p, v.fset)
		}
		v.all = append(v.all, p)
		if !strings.Contains(p.ID, " [") && !strings.HasSuffix(p.PkgPath, ".test") && !strings.HasSuffix(p.PkgPath, "_test") {
			v.pkgs = append(v.pkgs, p)
		}
	}
	return v, nil
}

func fsetOf(p *packages.Package, fallback *token.FileSet) *token.FileSet {
	if p.Fset != nil {
		return p.Fset
	}
	return fallback
}

// rel maps a file name of the scratch copy to its slash path in the module.
func (v *view) rel(filename string) string {
	r, err := filepath.Rel(v.r.scratch, filename)
	if err != nil {
		return filename
	}
	return filepath.ToSlash(r)
}

// fileOf returns the module path and offset of pos.
func (v *view) off(pos token.Pos) (string, int) {
	p := v.fset.Position(pos)
	return v.rel(p.Filename), p.Offset
}

// src returns the current contents of the file holding node n.
func (v *view) src(n ast.Node) []byte {
	path, _ := v.off(n.Pos())
	return v.r.cur[path]
}

// text returns the source text of n.
func (v *view) text(n ast.Node) string {
	_, s := v.off(n.Pos())
	_, e := v.off(n.End())
	return string(v.src(n)[s:e])
}

// funcBodies returns p's function and method declarations that have a body, in file order.
func funcBodies(p *packages.Package) []*ast.FuncDecl {
	var out []*ast.FuncDecl
	for _, f := range p.Syntax {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				out = append(out, fd)
			}
		}
	}
	return out
}
