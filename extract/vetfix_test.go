package extract

import (
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
