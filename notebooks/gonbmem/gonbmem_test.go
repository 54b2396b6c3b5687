package gonbmem

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{
		"fmt":                               "fmt",
		"math/rand/v2":                      "rand",
		"gopkg.in/yaml.v3":                  "yaml",
		"github.com/go-git/go-git/v5":       "git",
		"github.com/mattn/go-sqlite3":       "sqlite3",
		"github.com/janpfeifer/gonb/gonbui": "gonbui",
		"modernc.org/sqlite":                "sqlite",
	} {
		if got := PackageName(in); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecvName(t *testing.T) {
	src := "package p\nfunc (b *Box[T]) A() {}\nfunc (b Box[K, V]) B() {}\nfunc (t T) C() {}\nfunc (x (*P)) D() {}\n"
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Box", "Box", "T", "P"}
	for i, d := range f.Decls {
		if got := RecvName(d.(*ast.FuncDecl).Recv); got != want[i] {
			t.Errorf("decl %d: RecvName = %q, want %q", i, got, want[i])
		}
	}
}
