package notes

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbmem"
	"github.com/decant-go/decant/refactor/clone"
)

// fullCheckClones is FindClones as it was defined: every cell type-checked, always.
func fullCheckClones(nb *notebooks.Notebook, opts clone.Options) clone.Report {
	fset, files := cellFiles(nb)
	_, info := gonbmem.Check(fset, "main", files, nil)
	return clone.MakeReport(clone.Analyze(fset, files, info, opts), nil)
}

// notebookOf builds a notebook of code cells.
func notebookOf(t *testing.T, name string, cells ...string) (*notebooks.Notebook, []byte) {
	t.Helper()
	var cs []map[string]any
	for i, src := range cells {
		cs = append(cs, map[string]any{"cell_type": "code", "id": fmt.Sprintf("c%d", i), "metadata": map[string]any{},
			"outputs": []any{}, "execution_count": nil, "source": src})
	}
	raw, err := json.Marshal(map[string]any{"cells": cs, "nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{
		"kernelspec": map[string]any{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := notebooks.Parse(name, raw)
	if err != nil {
		t.Fatal(err)
	}
	return nb, raw
}

// body is a function body large enough to be a clone candidate; call is what it calls and
// scale the outer value it reads.
func body(name, call, scale string) string {
	return fmt.Sprintf(`func %s(xs []float64) []float64 {
	total := 0.0
	for _, x := range xs {
		total += %s(x)
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x / total * %s
	}
	return out
}`, name, call, scale)
}

// Checking only the cells the candidates reach must give the report a check of every cell
// gives: same groups, same exclusions, same reasons.
func TestFindClonesMatchesFullCheck(t *testing.T) {
	var cases []*notebooks.Notebook
	demo, _ := load(t, demoPath)
	cases = append(cases, demo)
	crafted, _ := notebookOf(t, "crafted.ipynb",
		"type Rate float64\n\nfunc (r Rate) Apply(x float64) float64 { return x * float64(r) }",
		"var scale = 2.0\nvar other = 3.0",
		"func square(x float64) float64 { return x * x }\nfunc cube(x float64) float64 { return x * x * x }",
		"var rate Rate = 1.5",
		// Rivals: the same shape calling different functions, or with other types.
		body("a", "square", "scale"),
		body("b", "cube", "scale"),
		body("c", "square", "other"),
		body("d", "rate.Apply", "scale"),
		body("e", "rate.Apply", "scale"),
		// A redeclaration: go/types keeps the first, so the first must be checked too.
		"var unit = 1",
		"var unit = 2.0",
		body("f", "square", "float64(unit)"),
		body("g", "square", "unit"),
		// Cells no candidate reaches.
		"func unrelated() int { return 42 }",
		"%%\nfmt.Println(unrelated())",
	)
	cases = append(cases, crafted)
	tutorial := tutorialPath
	if _, err := os.Stat(tutorial); err == nil {
		nb, _ := load(t, tutorial)
		cases = append(cases, nb)
	}
	if paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "*", "*.ipynb")); len(paths) > 0 {
		for _, p := range paths {
			raw, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if nb, err := notebooks.Parse(p, raw); err == nil {
				cases = append(cases, nb)
			}
		}
	}
	for _, nb := range cases {
		for _, opts := range []clone.Options{{}, {MinTokens: 10}, {MinTokens: 20, NoFuncs: true}} {
			got := clone.MakeReport(FindClones(nb, opts).Result, nil)
			want := fullCheckClones(nb, opts)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %+v: checking the reachable cells reports\n%s\nchecking every cell reports\n%s",
					nb.Name, opts, jsonOf(t, got), jsonOf(t, want))
			}
		}
	}
	// The crafted notebook exercises both outcomes.
	r := clone.MakeReport(FindClones(crafted, clone.Options{}).Result, nil)
	if len(r.Groups) == 0 || len(r.Excluded) == 0 {
		t.Errorf("crafted notebook: want groups and exclusions, got %s", jsonOf(t, r))
	}
}

func jsonOf(t *testing.T, v any) string {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckedCells(t *testing.T) {
	nb, _ := notebookOf(t, "n.ipynb",
		"type T int",                                 // 0: reached through the method's receiver
		"func (T) M() int { return helper() }",       // 1
		"func helper() int { return 1 }",             // 2: reached from 1
		"func unrelated() int { return 2 }",          // 3
		"var v T\n\nfunc use() int { return v.M() }", // 4: the candidate
		"var helper2 = unrelated()",                  // 5
	)
	_, files := cellFiles(nb)
	var got []int
	for _, f := range checkedCells(files, files[4:5]) {
		got = append(got, slices.Index(files, f))
	}
	if want := []int{0, 1, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("checkedCells kept cells %v, want %v", got, want)
	}
}
