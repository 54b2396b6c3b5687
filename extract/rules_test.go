package extract

import (
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/decant-go/decant/notebooks"
)

// Property: whatever the notebook's file name, its slug is a lower-case ASCII Go identifier
// that the go command treats as an ordinary importable package directory.
func TestSlugForProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"main", "vendor", "testdata", "cmd", "init", "func", "_", ".", "-", "Ä", "é", "1", "x", "Go", "漢", " ", "internal", "type"}
	names := []string{"main.ipynb", "vendor.ipynb", "testdata.ipynb", "cmd.ipynb", "_x.ipynb", ".ipynb", "Café.ipynb", "漢字.ipynb", "2024.ipynb", "type.ipynb"}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(4) + 1 {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		names = append(names, b.String()+".ipynb")
	}
	for _, n := range names {
		s := SlugFor(n)
		if !token.IsIdentifier(s) || token.IsKeyword(s) || reservedSlug(s) || strings.HasPrefix(s, "_") {
			t.Fatalf("SlugFor(%q) = %q: not an ordinary package name", n, s)
		}
		for _, c := range s {
			if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
				t.Fatalf("SlugFor(%q) = %q: not lower-case ASCII", n, s)
			}
		}
	}
}

func TestExplicitSlugAndSkipChecked(t *testing.T) {
	nb, err := notebooks.Parse("nb.ipynb", []byte(`{"cells": [
 {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "## 1. Preparation"},
 {"cell_type": "code", "id": "b", "metadata": {}, "source": "func f() int { return 1 }", "outputs": [], "execution_count": null}
], "metadata": {"kernelspec": {"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Slug: "vendor"}, "treats specially"},
		{Options{Slug: "testdata"}, "treats specially"},
		{Options{Slug: "café"}, "lower-case ASCII"},
		{Options{Slug: "Churn"}, "lower-case ASCII"},
		{Options{Skip: []int{7}}, "--skip 7: no such cell"},
		{Options{Skip: []int{-1}}, "--skip -1: no such cell"},
		{Options{Skip: []int{0}}, "is a markdown cell"},
	} {
		_, err := Build(nb, nil, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.opts, err, c.want)
		}
	}
	if _, err := Build(nb, nil, Options{Skip: []int{1}}); err != nil && strings.Contains(err.Error(), "--skip") {
		t.Errorf("a real code cell refused: %v", err)
	}
}

// Route paths the server could not serve side by side are refused by the plan itself, with a
// reason, so extract never fails later on what plan showed.
func TestPlanShowsRouteClashes(t *testing.T) {
	src := `// 3. Calculation
// CalcProbabilities scores.
func CalcProbabilities(x float64) float64 { return x }

// GetProbs scores again.
func GetProbs(x float64) float64 { return x }

// Größe is only partly ASCII.
func Größe(x float64) float64 { return x }

// Ä has no ASCII letters.
func Ä(x float64) float64 { return x }

// Healthz would take the server's own path.
//
//decant:endpoint GET /healthz
func Healthz(x float64) float64 { return x }`
	raw := `{"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": ` + jsonString(src) + `, "outputs": [], "execution_count": null}],
 "metadata": {"kernelspec": {"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 5}`
	nb, err := notebooks.Parse("nb.ipynb", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Build(nb, []byte(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, r := range plan.Routes {
		routes = append(routes, r.Func+" "+routePath(r))
	}
	if got := strings.Join(routes, ", "); got != "CalcProbabilities /v1/probabilities, Größe /v1/gr-e" && got != "CalcProbabilities /v1/probabilities, Größe /v1/gre" {
		t.Errorf("routes: %s", got)
	}
	want := map[string]string{"GetProbs": "already served by CalcProbabilities", "Ä": "no ASCII letters", "Healthz": "the server's own"}
	for _, d := range plan.Decisions {
		for fn, w := range want {
			if d.Subject == "func "+fn && d.Action == "left out" && strings.Contains(d.Reason, w) {
				delete(want, fn)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no decision for %v: %+v", want, plan.Decisions)
	}
	if _, err := plan.Render(); err != nil {
		t.Errorf("extract fails on what plan accepted: %v", err)
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// A cell that is not valid Go stops the plan, naming cell and line; skipping it (as the error
// suggests a user would) leaves it out instead of failing for the same reason.
func TestSkippedCellThatDoesNotParse(t *testing.T) {
	raw := `{"cells": [
 {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "## 3. Calculation"},
 {"cell_type": "code", "id": "b", "metadata": {}, "source": "func Score(x float64) float64 { return x }", "outputs": [], "execution_count": null},
 {"cell_type": "code", "id": "c", "metadata": {}, "source": "func broken() int {\n\treturn 1 +\n}", "outputs": [], "execution_count": null}
], "metadata": {"kernelspec": {"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 5}`
	nb, err := notebooks.Parse("nb.ipynb", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(nb, []byte(raw), Options{}); err == nil || !strings.Contains(err.Error(), "cell 2, line 3") {
		t.Fatalf("err = %v, want cell 2, line 3", err)
	}
	plan, err := Build(nb, []byte(raw), Options{Skip: []int{2}})
	if err != nil {
		t.Fatalf("skipped broken cell still fails: %v", err)
	}
	found := false
	for _, d := range plan.Decisions {
		found = found || d.Cell == 2 && d.Action == "left out" && strings.Contains(d.Reason, "not valid Go")
	}
	if !found {
		t.Errorf("no decision for the skipped broken cell: %+v", plan.Decisions)
	}
	if _, err := plan.Render(); err != nil {
		t.Errorf("render: %v", err)
	}
}

// Data files the code names are shipped, or the plan says why not: a glob, a file over the
// limit, a FIFO. None is dropped silently, and none is read when it should not be.
func TestDataFilesNotShippedAreDecided(t *testing.T) {
	dir := t.TempDir()
	src := `// 1. Preparation
func load() ([]string, error) {
	a, _ := os.ReadFile("small.csv")
	b, _ := os.ReadFile("big.bin")
	c, _ := os.ReadFile("pipe.csv")
	m, err := filepath.Glob("data/*.csv")
	_, _, _ = a, b, c
	return m, err
}`
	raw := `{"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": ` + jsonString(src) + `, "outputs": [], "execution_count": null}],
 "metadata": {"kernelspec": {"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 5}`
	nbPath := filepath.Join(dir, "nb.ipynb")
	os.WriteFile(nbPath, []byte(raw), 0o644)
	os.WriteFile(filepath.Join(dir, "small.csv"), []byte("a,b\n"), 0o644)
	f, _ := os.Create(filepath.Join(dir, "big.bin"))
	f.Truncate(MaxAssetSize + 1) // sparse: never read
	f.Close()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.csv"), 0o644); err != nil {
		t.Skip(err)
	}
	_, plan, err := BuildFile(nbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{`file "small.csv"`: "converted", `file "big.bin"`: "over the 64 MiB", `file "pipe.csv"`: "not a regular file", `file pattern "data/*.csv"`: "a glob"}
	for _, d := range plan.Decisions {
		if w, ok := want[d.Subject]; ok && (d.Action == w || strings.Contains(d.Reason, w)) {
			delete(want, d.Subject)
		}
	}
	if len(want) > 0 {
		t.Errorf("undecided: %v\n%+v", want, plan.Decisions)
	}
	if len(plan.Assets) != 1 || plan.Assets[0].Path != "small.csv" {
		t.Errorf("assets: %+v", plan.Assets)
	}
}
