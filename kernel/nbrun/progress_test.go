package nbrun

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// With NO_COLOR the progress line must not use escape sequences.
func TestBarPlainHasNoEscapes(t *testing.T) {
	var buf bytes.Buffer
	b := newBar(&buf, []string{"nb.ipynb"}, 80, time.Now)
	b.SetPlain(true)
	b.Update(0, Progress{Step: 1, Steps: 3, FirstLine: "a long first line of the cell"})
	b.Update(0, Progress{Step: 2, Steps: 3, FirstLine: "x"})
	close(b.done) // no ticker goroutine was started
	b.Close()
	s := buf.String()
	if strings.Contains(s, "\x1b") {
		t.Fatalf("plain bar wrote an escape sequence: %q", s)
	}
	if !strings.HasSuffix(s, "\r") {
		t.Fatalf("plain bar did not end on a clean line: %q", s)
	}
}
