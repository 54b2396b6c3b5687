package extract

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decant-go/decant/notebooks"
)

func buildDemo(t testing.TB) (*Plan, *Output) {
	t.Helper()
	path := "../testdata/demo/churn.ipynb"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := notebooks.Parse("churn.ipynb", raw)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Build(nb, raw, Options{ReadFile: func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join("../testdata/demo", name))
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Render()
	if err != nil {
		t.Fatal(err)
	}
	return plan, out
}

// TestDemoReport pins the extraction report of the bundled demo notebook.
func TestDemoReport(t *testing.T) {
	plan, _ := buildDemo(t)
	var buf bytes.Buffer
	if err := plan.WriteReport(&buf); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/demo-report.golden"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("demo report differs from %s (run with -update to accept):\n%s", golden, buf.String())
	}
}

// TestDemoServiceVerifies is the end-to-end proof: the service extracted from the demo
// notebook resolves its modules, is gofmt-clean, builds, vets and passes its own tests,
// including the HTTP handler tests and the replay of the whole notebook.
func TestDemoServiceVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	plan, out := buildDemo(t)
	dir := t.TempDir()
	if err := WriteDir(dir, out.Files, out.Exec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := Tidy(ctx, dir, VerifyOptions{}); err != nil {
		t.Fatal(plan.ExplainTidy(err))
	}
	if probs := Verify(ctx, dir, out, VerifyOptions{}); len(probs) > 0 {
		var sb strings.Builder
		for _, p := range probs {
			sb.WriteString(p.String() + "\n")
		}
		t.Fatalf("the extracted demo service fails its checks:\n%s", sb.String())
	}
}

// TestVerifyLocatesCell breaks a declaration on purpose and checks that the build failure is
// reported against the notebook cell and line it came from.
func TestVerifyLocatesCell(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	_, out := buildDemo(t)
	name := "churn/preprocessing.go"
	src := string(out.Files[name])
	broken := strings.Replace(src, "return train, test", "return train, test, nil", 1)
	if broken == src {
		t.Fatal("fixture changed: splitTrainTest's return not found")
	}
	out.Files[name] = []byte(broken)
	dir := t.TempDir()
	if err := WriteDir(dir, out.Files, out.Exec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := Tidy(ctx, dir, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	probs := Verify(ctx, dir, out, VerifyOptions{NoTests: true})
	found := false
	for _, p := range probs {
		if p.Step == "build" && p.File == name && p.Cell == 9 {
			found = true
			// splitTrainTest's return statement is line 20 of cell 9.
			if p.CellLine != 20 {
				t.Errorf("located at cell line %d, want 20: %s", p.CellLine, p)
			}
		}
	}
	if !found {
		t.Fatalf("no build problem located in cell 9: %v", probs)
	}
}

// TestSpansMatchSyntax checks the line-scanning spans against the declarations' real extents
// in the demo's generated files.
func TestSpansMatchSyntax(t *testing.T) {
	_, out := buildDemo(t)
	for name, src := range out.Files {
		if !strings.HasSuffix(name, ".go") || !strings.HasPrefix(name, "churn/") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		got := spans(src)
		i := 0
		for _, d := range f.Decls {
			var doc *ast.CommentGroup
			switch x := d.(type) {
			case *ast.FuncDecl:
				doc = x.Doc
			case *ast.GenDecl:
				doc = x.Doc
			}
			if doc == nil || !noteRE.MatchString(doc.Text()) {
				continue
			}
			if i >= len(got) {
				t.Fatalf("%s: %d spans, more declarations with notes", name, len(got))
			}
			start, end := fset.Position(d.Pos()).Line, fset.Position(d.End()).Line
			if strings.Contains(doc.Text(), "%% body") {
				start++
			}
			if got[i].Start != start || got[i].End != end {
				t.Errorf("%s: span %d is lines %d-%d, the declaration is %d-%d", name, i, got[i].Start, got[i].End, start, end)
			}
			i++
		}
		if i != len(got) {
			t.Errorf("%s: %d spans for %d declarations with notes", name, len(got), i)
		}
	}
}

// TestSpansPointAtCellLines checks that each declaration's span, found from a provenance note
// that names only the cell, starts at the cell line the declaration came from.
func TestSpansPointAtCellLines(t *testing.T) {
	plan, out := buildDemo(t)
	cellSrc := map[int][]string{}
	for _, c := range plan.Cells {
		cellSrc[c.Index] = strings.Split(c.src, "\n")
	}
	checked := 0
	for name, spans := range out.Spans {
		if !strings.HasPrefix(name, "churn/") {
			continue
		}
		lines := strings.Split(string(out.Files[name]), "\n")
		for _, s := range spans {
			cl := cellSrc[s.Cell]
			if s.CellLine < 1 || s.CellLine > len(cl) {
				t.Errorf("%s:%d: cell %d has no line %d", name, s.Start, s.Cell, s.CellLine)
				continue
			}
			// gofmt may re-indent a %% body, and a trained value's initializer is wrapped
			// (var model = trained(...)): the line starts as the cell's does.
			head := func(l string) string {
				f := strings.Fields(l)
				return strings.Join(f[:min(2, len(f))], " ")
			}
			if got, want := strings.TrimSpace(lines[s.Start-1]), strings.TrimSpace(cl[s.CellLine-1]); head(got) != head(want) {
				t.Errorf("%s:%d is %q, but cell %d, line %d is %q", name, s.Start, got, s.Cell, s.CellLine, want)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Errorf("checked %d spans, want the demo's declarations and steps", checked)
	}
}
