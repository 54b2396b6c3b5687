//go:build ignore

// gen writes stdpkgs.txt: one line per importable standard-library package, "path name" and its
// exported names, so that a reference such as rand.IntN picks math/rand/v2 over math/rand, and
// metrics.NewMeanBinaryLogitsAccuracy is not taken for runtime/metrics.
//
//	go run gen.go
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Name}} {{.Dir}}", "std").Output()
	if err != nil {
		log.Fatal(err)
	}
	type pkg struct{ path, name, dir string }
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || strings.Contains(f[0], "internal") || strings.HasPrefix(f[0], "vendor/") || f[1] == "main" {
			continue
		}
		pkgs = append(pkgs, pkg{f[0], f[1], f[2]})
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].path < pkgs[j].path })
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Standard library packages of %s: path name exported names...\n", strings.TrimSpace(run("go", "version")))
	for _, p := range pkgs {
		fmt.Fprintf(&buf, "%s %s", p.path, p.name)
		for _, s := range exported(p.dir) {
			fmt.Fprintf(&buf, " %s", s)
		}
		buf.WriteByte('\n')
	}
	if err := os.WriteFile("stdpkgs.txt", buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func run(name string, args ...string) string {
	out, _ := exec.Command(name, args...).Output()
	return string(out)
}

func exported(dir string) []string {
	ctx := build.Default
	bp, err := ctx.ImportDir(dir, 0)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					seen[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							seen[s.Name.Name] = true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								seen[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
