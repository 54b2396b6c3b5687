package notes

import (
	"fmt"
	"strings"
	"testing"
)

// A copy's note names a few of the other copies and counts the rest, so a large clone group
// costs linear, not quadratic, text; the Duplicated blocks section still lists every place.
func TestDuplicateNoteNamesFewOthers(t *testing.T) {
	const copies = 9
	cells := []string{"func square(x float64) float64 { return x * x }\nvar scale = 2.0"}
	for i := range copies {
		cells = append(cells, body(fmt.Sprintf("f%d", i), "square", "scale"))
	}
	nb, raw := notebookOf(t, "many.ipynb", cells...)
	n, err := Analyze(nb, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Duplicates) != 1 || len(n.Duplicates[0].Places) != copies {
		t.Fatalf("duplicates = %+v, want one block of %d places", n.Duplicates, copies)
	}
	want := fmt.Sprintf("%d more places (see Duplicated blocks)", copies-1-maxOthers)
	for c := 1; c <= copies; c++ {
		dups := smellsOf(n, c, Duplicate)
		if len(dups) != 1 {
			t.Fatalf("cell %d: %d duplicate notes, want 1", c, len(dups))
		}
		msg := dups[0].Message
		if got := strings.Count(msg, "cell "); got != maxOthers || !strings.HasSuffix(msg, want) {
			t.Errorf("cell %d: note names %d places, want %d and %q:\n%s", c, got, maxOthers, want, msg)
		}
	}
}
