package notes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbcell"
)

// A cell is type-checked against the declarations it can reach, not the whole memory: with
// every earlier cell in each check, doc was quadratic in the number of cells.
func TestReachableIsWhatTheCellUses(t *testing.T) {
	a := newAnalyzer(&notebooks.Notebook{}, &Notes{})
	fn := func(i int, body string) *unit {
		name := fmt.Sprintf("f%d", i)
		return &unit{kind: "func", key: name, names: []string{name}, text: "func " + name + "() int { " + body + " }"}
	}
	for i := range 500 {
		body := "return 1"
		if i > 0 && i <= 10 {
			body = fmt.Sprintf("return f%d()", i-1)
		}
		a.memorize(&cellGo{units: []*unit{fn(i, body)}})
	}
	// A type and its method are reached through the type.
	a.memorize(&cellGo{units: []*unit{
		{kind: "type", key: "T", names: []string{"T"}, text: "type T struct{}"},
		{kind: "method", key: "T~M", text: "func (T) M() int { return f400() }"},
	}})
	// Redefining f5 replaces it.
	a.memorize(&cellGo{units: []*unit{fn(5, "return f4() + 1")}})

	cg := &cellGo{split: &gonbcell.Cell{}, units: []*unit{{kind: "func", key: "g", names: []string{"g"}, text: "func g() int { var t T; return f10() + t.M() }"}}}
	var got []string
	for _, u := range a.reachable(cg) {
		got = append(got, u.key+":"+u.text[strings.Index(u.text, "{")+1:])
	}
	if len(got) != 14 {
		t.Fatalf("reachable = %d units, want 14 (f0..f10, T, T~M, f400):\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, g := range got {
		if strings.HasPrefix(g, "f5:") && !strings.Contains(g, "+ 1") {
			t.Errorf("the replaced f5 is reachable: %s", g)
		}
	}
}
