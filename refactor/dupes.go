package refactor

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/decant-go/decant/refactor/clone"
)

// DupesResult is the clone report of a directory.
type DupesResult struct {
	clone.Report
	// Typed reports whether type information was used. Dupes type-checks the packages that
	// hold candidate clones, from source, with their imports stubbed: the directory's own
	// declarations resolve, so copies that use different ones are told apart.
	Typed bool `json:"typed"`
	// Files is the number of Go files examined.
	Files int `json:"files"`
}

// Dupes finds clones in the Go module (or any directory of Go files) dir, across all its
// packages, without changing anything. File names in the report are relative to dir. Test
// files are included unless noTests.
//
// It is built for whole trees: files are parsed in parallel, the syntactic pass finds
// same-shape candidates, and only the packages holding a candidate are type-checked (in
// parallel, without loading dependencies or running the go command).
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
	fset, files, err := parseDir(ctx, abs, noTests)
	if err != nil {
		return nil, err
	}
	typed := false
	res := clone.AnalyzeWith(fset, files, func(cands []*ast.File) *types.Info {
		typed = true
		return checkPackages(fset, files, cands)
	}, opts)
	return &DupesResult{Report: clone.MakeReport(res, rel), Typed: typed || len(res.Groups) == 0, Files: len(files)}, nil
}

// checkPackages type-checks, in parallel, every package that holds one of cands (a package
// being the files of one directory with one package name) and returns their merged type
// information. Imports are stubbed: only the packages' own names resolve.
func checkPackages(fset *token.FileSet, all, cands []*ast.File) *types.Info {
	type key struct{ dir, name string }
	keyOf := func(f *ast.File) key {
		return key{filepath.Dir(fset.Position(f.Pos()).Filename), f.Name.Name}
	}
	want := map[key]bool{}
	for _, f := range cands {
		want[keyOf(f)] = true
	}
	pkgs := map[key][]*ast.File{}
	var order []key
	for _, f := range all {
		k := keyOf(f)
		if !want[k] {
			continue
		}
		if _, ok := pkgs[k]; !ok {
			order = append(order, k)
		}
		pkgs[k] = append(pkgs[k], f)
	}
	infos := make([]*types.Info, len(order))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, k := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
				Uses: map[*ast.Ident]types.Object{}, Implicits: map[ast.Node]types.Object{}}
			conf := types.Config{Importer: stubImporter{}, Error: func(error) {}, FakeImportC: true}
			// Errors are expected (every imported name is undefined) and do not stop the check.
			conf.Check(k.dir, fset, pkgs[k], info) //nolint:errcheck
			infos[i] = info
		}()
	}
	wg.Wait()
	merged := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Implicits: map[ast.Node]types.Object{}}
	for _, info := range infos {
		maps.Copy(merged.Types, info.Types)
		maps.Copy(merged.Defs, info.Defs)
		maps.Copy(merged.Uses, info.Uses)
		maps.Copy(merged.Implicits, info.Implicits)
	}
	return merged
}

// stubImporter gives every import an empty, complete package, so a package type-checks
// without its dependencies.
type stubImporter struct{}

func (stubImporter) Import(path string) (*types.Package, error) {
	name := path[strings.LastIndex(path, "/")+1:]
	if strings.HasPrefix(name, "v") && len(name) > 1 && strings.Trim(name[1:], "0123456789") == "" {
		if i := strings.LastIndex(path[:len(path)-len(name)-1], "/"); i >= 0 {
			name = path[i+1 : len(path)-len(name)-1]
		}
	}
	name = strings.NewReplacer("-", "", ".", "").Replace(name)
	pkg := types.NewPackage(path, name)
	pkg.MarkComplete()
	return pkg, nil
}

// parseDir parses every .go file under dir in parallel, skipping testdata, vendor and hidden
// directories and files that do not parse. Files are returned in path order.
func parseDir(ctx context.Context, dir string, noTests bool) (*token.FileSet, []*ast.File, error) {
	var paths []string
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
		if strings.HasSuffix(p, ".go") && !(noTests && strings.HasSuffix(p, "_test.go")) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	fset := token.NewFileSet()
	parsed := make([]*ast.File, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				src, err := os.ReadFile(paths[i])
				if err != nil {
					continue
				}
				if f, err := parser.ParseFile(fset, paths[i], src, parser.SkipObjectResolution); err == nil {
					parsed[i] = f
				}
			}
		}()
	}
	for i := range paths {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var files []*ast.File
	for _, f := range parsed {
		if f != nil {
			files = append(files, f)
		}
	}
	return fset, files, nil
}
