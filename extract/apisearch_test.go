package extract

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The declarations a version of a module has are read from its source: package-level
// functions by package, methods (generic receivers too) and struct fields by receiver type,
// anywhere in the module when the type moved.
func TestScanDeclsAndFits(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":         "module example.com/ml\n",
		"plot/plot.go":   "package plot\n\ntype Plot struct{ Title string }\n\nfunc New() (*Plot, error) { return &Plot{}, nil }\n",
		"ctx/ctx.go":     "package ctx\n\ntype Variable[T any] struct{ v T }\n\nfunc (v *Variable[T]) Value() T { return v.v }\n\ntype Context struct{}\n\nfunc (c *Context) Reset(seed int64, strict bool) {}\n",
		"other/x.go":     "package other\n\ntype Cache struct{}\n\nfunc (c Cache) Value() (int, error) { return 0, nil }\n",
		"sub/go.mod":     "module example.com/ml/sub\n",
		"sub/sub.go":     "package sub\n\ntype Variable struct{}\n\nfunc (Variable) Value() (int, int, int) { return 0, 0, 0 }\n",
		"plot/x_test.go": "package plot\n\nfunc New() int { return 0 }\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := &APISearch{}
	two := apiNeed{module: "example.com/ml", pkg: "example.com/ml/plot", name: "New", results: 2}
	one := two
	one.results = 1
	ds := a.candidatesIn(dir, two)
	if len(ds) != 1 || !two.fits(ds[0]) || one.fits(ds[0]) {
		t.Errorf("plot.New: got %+v; want one function with two results (the test file ignored)", ds)
	}
	value := apiNeed{module: "example.com/ml", name: "Value", results: 1, recvs: []string{"Variable"}}
	ds = a.candidatesIn(dir, value)
	if len(ds) != 1 || ds[0].recv != "Variable" || !value.fits(ds[0]) {
		t.Errorf("Variable.Value: got %+v; want the generic method with one result (not the nested module's)", ds)
	}
	fewer := apiNeed{module: "example.com/ml", name: "Reset", results: -1, params: -1, paramsAt: 3, recvs: []string{"Context"}}
	more := fewer
	more.params = 1
	ds = a.candidatesIn(dir, fewer)
	if len(ds) != 1 || !fewer.fits(ds[0]) || more.fits(ds[0]) {
		t.Errorf("Context.Reset with fewer parameters than 3: got %+v", ds)
	}
	if ds := scanDecls(dir, "example.com/ml", nil, "Value", true); len(ds) != 2 {
		t.Errorf("scanning the whole module for Value methods: got %+v; want Variable's and Cache's", ds)
	}
}

// Without the time the notebook was published, versions are tried by distance from the one
// the build failed against, the earlier first.
func TestByDistance(t *testing.T) {
	got := byDistance([]string{"v0.5.0", "v0.4.0", "v0.3.0", "v0.2.0", "v0.1.0"}, "v0.4.0")
	want := []string{"v0.3.0", "v0.5.0", "v0.2.0", "v0.1.0"}
	if !slices.Equal(got, want) {
		t.Errorf("byDistance = %v; want %v", got, want)
	}
}

func TestTriedText(t *testing.T) {
	got := triedText([][2]string{{"v3", "lacks a package"}, {"v2", "does not fit x"}, {"v1", "lacks a package"}})
	if want := "v3, v1: lacks a package; v2: does not fit x"; got != want {
		t.Errorf("triedText = %q; want %q", got, want)
	}
}
