package refactor

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// append(b, s...) with a string s is variadic with a string, not a slice, as its last
// parameter; paramType must not assume a slice there.
func TestParamTypeAppendString(t *testing.T) {
	const src = `package p

func f(b []byte, s string, xs ...int) []byte {
	_ = append([]int(nil), xs...)
	return append(b, s...)
}`
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	if _, err := (&types.Config{Importer: importer.Default()}).Check("p", fset, []*ast.File{file}, info); err != nil {
		t.Fatal(err)
	}
	var got []string
	ast.Inspect(file, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sig, ok := info.TypeOf(call.Fun).(*types.Signature); ok {
				got = append(got, types.TypeString(paramType(sig, 1), nil))
			}
		}
		return true
	})
	if len(got) != 2 || got[0] != "int" || got[1] != "<nil>" {
		t.Errorf("paramType of the second argument = %q, want [int <nil>]", got)
	}
}
