package refactor

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/refactor/clone"
)

// DupesResult is the clone report of a directory.
type DupesResult struct {
	clone.Report
	// Typed reports whether type information was used; without it (the directory does not
	// load as a module), identifiers are compared by name only.
	Typed bool `json:"typed"`
	// Files is the number of Go files examined.
	Files int `json:"files"`
}

// Dupes finds clones in the Go module (or any directory of Go files) dir, across all its
// packages, without changing anything. File names in the report are relative to dir. Test
// files are included unless noTests.
func Dupes(ctx context.Context, dir string, opts clone.Options, noTests bool) (*DupesResult, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	rel := func(name string) string {
		if r, err := filepath.Rel(abs, name); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return name
	}
	fset, files, info, err := loadTyped(ctx, abs, !noTests)
	typed := err == nil
	if err != nil {
		fset, files, err = parseDir(abs, noTests)
		if err != nil {
			return nil, err
		}
		info = nil
	}
	res := clone.Analyze(fset, files, info, opts)
	return &DupesResult{Report: clone.MakeReport(res, rel), Typed: typed, Files: len(files)}, nil
}

// loadTyped loads every package of the module in dir and merges their type information,
// so that clones are found across packages. With tests, each file is taken once, from the
// test variant of its package when there is one.
func loadTyped(ctx context.Context, dir string, tests bool) (*token.FileSet, []*ast.File, *types.Info, error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, nil, nil, err
	}
	cfg := &packages.Config{Context: ctx, Dir: dir, Mode: loadMode, Tests: tests, Env: append(environ(), "GOWORK=off")}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		return nil, nil, nil, err
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Implicits: map[ast.Node]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	// Prefer the variant with the most files: the test variant holds the package's files too.
	best := map[string]*packages.Package{}
	for _, p := range pkgs {
		if len(p.Errors) > 0 {
			return nil, nil, nil, fmt.Errorf("loading %s: %v", p.ID, p.Errors[0])
		}
		if strings.HasSuffix(p.PkgPath, ".test") {
			continue
		}
		key := p.PkgPath
		if b := best[key]; b == nil || len(p.Syntax) > len(b.Syntax) {
			best[key] = p
		}
	}
	var files []*ast.File
	seen := map[string]bool{}
	fset := cfg.Fset
	for _, key := range sortedKeys(best) {
		p := best[key]
		fset = p.Fset
		for _, f := range p.Syntax {
			name := fset.Position(f.Pos()).Filename
			if seen[name] {
				continue
			}
			seen[name] = true
			files = append(files, f)
		}
		for k, v := range p.TypesInfo.Types {
			info.Types[k] = v
		}
		for k, v := range p.TypesInfo.Defs {
			info.Defs[k] = v
		}
		for k, v := range p.TypesInfo.Uses {
			info.Uses[k] = v
		}
		for k, v := range p.TypesInfo.Implicits {
			info.Implicits[k] = v
		}
	}
	if fset == nil {
		return nil, nil, nil, fmt.Errorf("no packages in %s", dir)
	}
	return fset, files, info, nil
}

// parseDir parses every .go file under dir, skipping testdata, vendor and hidden directories
// and files that do not parse.
func parseDir(dir string, noTests bool) (*token.FileSet, []*ast.File, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if p != dir && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || (noTests && strings.HasSuffix(p, "_test.go")) {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err == nil {
			files = append(files, f)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	return fset, files, nil
}
