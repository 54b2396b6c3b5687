package gonbmem

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"testing"
)

func TestDecls(t *testing.T) {
	src := `package p

import (
	"fmt"
	m "math"
)

const (
	A = iota
	B
)

var x, y = 1, 2
var _ = fmt.Sprint(m.Pi)

type T struct{}

func (t *T) Get() int { return 0 }
func main() {}
func f() {}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	decls, imports := Decls(f, 3, func(p token.Pos) int { return fset.Position(p).Line })
	var got []string
	for _, d := range decls {
		got = append(got, d.Kind+" "+d.Key)
	}
	want := []string{"const A,B", "var x,y", "var _~cell3.14", "type T", "method T~Get", "func main~cell3", "func f"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decls = %q, want %q", got, want)
	}
	if len(imports) != 2 || imports[1].Name != "m" || imports[1].Path != "math" {
		t.Errorf("imports = %+v", imports)
	}
	if !decls[5].Main() || decls[4].Names != nil {
		t.Errorf("main or method keyed wrongly: %+v %+v", decls[5], decls[4])
	}
	if _, ok := decls[3].Node().(*ast.TypeSpec); !ok {
		t.Errorf("Node of a type = %T", decls[3].Node())
	}
}

func TestMemory(t *testing.T) {
	var m Memory[string]
	m.Add("x,y", []string{"x", "y"}, "tuple in cell 1")
	m.Add("z", []string{"z"}, "z in cell 1")
	m.Add("T~Get", nil, "method in cell 1")
	// Redefining y kills the whole tuple (x too), as in GoNB.
	if got := m.Add("y", []string{"y"}, "y in cell 2"); !reflect.DeepEqual(got, []string{"tuple in cell 1"}) {
		t.Errorf("Add(y) replaced %q", got)
	}
	if _, _, ok := m.Owner("x"); ok {
		t.Error("x survived the redefinition of y")
	}
	if got := m.Add("z", []string{"z"}, "z in cell 3"); !reflect.DeepEqual(got, []string{"z in cell 1"}) {
		t.Errorf("Add(z) replaced %q", got)
	}
	if got := m.Values(); !reflect.DeepEqual(got, []string{"method in cell 1", "y in cell 2", "z in cell 3"}) {
		t.Errorf("Values = %q", got)
	}
	c := m.Clone()
	m.Forget("y", "T~Get")
	if got := m.Values(); !reflect.DeepEqual(got, []string{"z in cell 3"}) {
		t.Errorf("after Forget: %q", got)
	}
	if len(c.Values()) != 3 {
		t.Errorf("Forget changed the clone: %q", c.Values())
	}
}
