package clone

import (
	"bytes"
	"flag"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/*.txtar")

// load parses and type-checks the .go files of an archive as one package.
func load(t testing.TB, ar *txtar.Archive) (*token.FileSet, []*ast.File, *types.Info) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, f := range ar.Files {
		if !strings.HasSuffix(f.Name, ".go") {
			continue
		}
		af, err := parser.ParseFile(fset, f.Name, f.Data, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, af)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Implicits: map[ast.Node]types.Object{}}
	conf := types.Config{Importer: importer.Default()}
	if _, err := conf.Check("p", fset, files, info); err != nil {
		t.Fatalf("type-checking the fixture: %v", err)
	}
	return fset, files, info
}

func options(t *testing.T, ar *txtar.Archive) Options {
	var o Options
	for _, f := range ar.Files {
		if f.Name != "options" {
			continue
		}
		for _, kv := range strings.Fields(string(f.Data)) {
			k, v, _ := strings.Cut(kv, "=")
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("option %s: %v", kv, err)
			}
			switch k {
			case "min-tokens":
				o.MinTokens = n
			case "min-stmts":
				o.MinStmts = n
			default:
				t.Fatalf("unknown option %s", k)
			}
		}
	}
	return o
}

func TestGolden(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	if len(paths) == 0 {
		t.Fatal("no fixtures")
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fset, files, info := load(t, ar)
			res := Analyze(fset, files, info, options(t, ar))
			var buf bytes.Buffer
			if err := MakeReport(res, nil).WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			for i, f := range ar.Files {
				if f.Name != "want" {
					continue
				}
				if *update {
					ar.Files[i].Data = []byte(got)
					if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if string(f.Data) != got {
					t.Errorf("report differs.\ngot:\n%s\nwant:\n%s", got, f.Data)
				}
				return
			}
			t.Fatal("no want section")
		})
	}
}

// FuzzAnalyze checks that detection never panics and that every group it reports has at
// least two members of the reported size, on arbitrary (parsable) Go source.
func FuzzAnalyze(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	for _, p := range paths {
		ar, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if strings.HasSuffix(file.Name, ".go") {
				f.Add(string(file.Data), 10)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string, minTokens int) {
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, "a.go", src, parser.ParseComments)
		if err != nil {
			return
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
			Uses: map[*ast.Ident]types.Object{}, Implicits: map[ast.Node]types.Object{}}
		conf := types.Config{Error: func(error) {}}
		conf.Check("p", fset, []*ast.File{file}, info)
		for _, in := range []*types.Info{info, nil} {
			res := Analyze(fset, []*ast.File{file}, in, Options{MinTokens: minTokens % 200, MinStmts: 1})
			for _, g := range res.Groups {
				if len(g.Members) < 2 {
					t.Fatalf("group with %d members", len(g.Members))
				}
				for _, m := range g.Members[1:] {
					if len(m.Leaves) != len(g.Members[0].Leaves) {
						t.Fatalf("members of one group have different leaf counts")
					}
				}
			}
		}
	})
}
