package extract

import (
	"slices"
	"strings"
	"testing"
)

// Verification applies the fix go vet suggests for a computed Printf format, reports it at the
// cell and line, and the service then passes vet.
func TestVerifyAppliesVetFix(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	_, out := buildFixture(t, "vet-fix.txtar", nil)
	var fixed []VetFix
	if probs := verifyFixture(t, out, VerifyOptions{NoTests: true, VetFixed: &fixed}); len(probs) > 0 {
		t.Fatalf("problems after the fix: %v", probs)
	}
	if len(fixed) != 1 {
		t.Fatalf("fixes = %+v, want one", fixed)
	}
	f := fixed[0]
	if f.Analyzer != "printf" || f.Cell != 1 || f.CellLine != 3 || !strings.Contains(f.Message, "non-constant format string") {
		t.Errorf("fix = %+v, want printf's at cell 1, line 3", f)
	}
	d := f.Decision()
	if d.Subject != "go vet printf" || !strings.Contains(d.Reason, `Insert "%s" format string`) {
		t.Errorf("decision = %+v", d)
	}
	if src := string(out.Files["svc/preparation.go"]); !strings.Contains(src, `fmt.Printf("%s", msg)`) {
		t.Errorf("the output lacks the fix:\n%s", src)
	}
	// Without VetFixed, vet's finding is a problem at the cell.
	_, out = buildFixture(t, "vet-fix.txtar", nil)
	probs := verifyFixture(t, out, VerifyOptions{NoTests: true})
	if len(probs) == 0 || probs[0].Step != "vet" || probs[0].Cell != 1 || probs[0].CellLine != 3 {
		t.Errorf("problems = %v, want vet's at cell 1, line 3", probs)
	}
}

// go vet reports a Println whose last operand ends in a newline and offers no fix: verification
// rewrites each such call to the one that prints exactly the same, reports each at its cell and
// line, and the service then passes vet with every line still at its cell.
func TestVerifyRewritesRedundantNewline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	_, out := buildFixture(t, "vet-println.txtar", nil)
	var fixed []VetFix
	if probs := verifyFixture(t, out, VerifyOptions{NoTests: true, VetFixed: &fixed}); len(probs) > 0 {
		t.Fatalf("problems after the rewrite: %v", probs)
	}
	type at struct{ cell, line int }
	want := map[at]string{
		{1, 2}: `fmt.Printf("loaded %v rows\n\n", rows)`,
		{2, 3}: `fmt.Print("Summary:\n\n")`,
		{2, 4}: `fmt.Printf("%v %v\n", n, "total\n")`,
	}
	if len(fixed) != len(want) {
		t.Fatalf("fixes = %+v, want %d", fixed, len(want))
	}
	for _, f := range fixed {
		call, ok := want[at{f.Cell, f.CellLine}]
		d := f.Decision()
		if !ok || f.Analyzer != "printf" || d.Subject != "go vet printf" || d.Cell != f.Cell || d.Line != f.CellLine ||
			!strings.Contains(d.Reason, "fmt.Println arg list ends with redundant newline") ||
			!strings.Contains(d.Reason, "rewrote the call as "+call+", which prints exactly the same") {
			t.Errorf("fix at cell %d, line %d: %+v", f.Cell, f.CellLine, d)
		}
	}
	for file, calls := range map[string][]string{
		"svc/preparation.go": {`fmt.Printf("loaded %v rows\n\n", rows)`},
		"svc/pipeline.go":    {`fmt.Print("Summary:\n\n")`, "fmt.Printf(\"%v %v\\n\", n,\n\t\t\"total\\n\")"},
	} {
		for _, c := range calls {
			if src := string(out.Files[file]); !strings.Contains(src, c) {
				t.Errorf("%s lacks %s:\n%s", file, c, src)
			}
		}
	}
	// The lines kept their cells: a later problem still points at the right one.
	lines := strings.Split(string(out.Files["svc/pipeline.go"]), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, `"total\n")`) })
	if c, l, _, ok := out.Locate("svc/pipeline.go", i+1); !ok || c != 2 || l != 5 {
		t.Errorf("svc/pipeline.go:%d is at cell %d, line %d; want cell 2, line 5", i+1, c, l)
	}
}
