package extract

import (
	"strings"
	"testing"
)

// A step the golden test never reached says, in one line, which step's failure stopped it
// (a panic ends the test binary), not the tail of the goroutine trace.
func TestGoldenChecksNotRun(t *testing.T) {
	steps := []*Step{
		{Name: "prepare", Cell: 3, Kept: true, Golden: true},
		{Name: "upload", Cell: 9, Kept: true, Golden: true},
		{Name: "train", Cell: 13, Kept: true, Golden: true},
		{Name: "plot", Cell: 17, Kept: true},
	}
	text := "=== RUN   TestNotebookOutputs\n=== RUN   TestNotebookOutputs/prepare\n" +
		"--- PASS: TestNotebookOutputs/prepare (0.00s)\n=== RUN   TestNotebookOutputs/upload\n" +
		"--- FAIL: TestNotebookOutputs/upload (0.01s)\n" +
		"panic: failed to execute graph: index out of range [115] with length 115 [recovered, repanicked]\n\n" +
		"goroutine 21 [running]:\ntesting.tRunner(0x1ce51ba5cfc8, 0xeac7d8)\n\t/usr/local/go/src/testing/testing.go:2036 +0xea\n" +
		"created by testing.(*T).Run in goroutine 1\n\t/usr/local/go/src/testing/testing.go:2101 +0x4c5\nFAIL\texample.com/k/k\t0.017s\nFAIL\n"
	checks := goldenChecks(text, steps)
	if len(checks) != 3 {
		t.Fatalf("got %d checks, want 3 (the steps with saved output): %+v", len(checks), checks)
	}
	if !checks[0].Match || checks[1].Match || checks[2].Match {
		t.Fatalf("matches = %v %v %v, want true false false", checks[0].Match, checks[1].Match, checks[2].Match)
	}
	if !checks[2].NotRun || checks[1].NotRun {
		t.Errorf("NotRun = %v %v, want false true", checks[1].NotRun, checks[2].NotRun)
	}
	want := "the golden test stopped when step upload (cell 9) failed with panic: failed to execute graph: index out of range [115] with length 115 [recovered, repanicked]"
	if checks[2].Detail != want {
		t.Errorf("train's detail =\n%q\nwant\n%q", checks[2].Detail, want)
	}
	if strings.Contains(checks[2].Detail, "\n") {
		t.Errorf("detail spans lines: %q", checks[2].Detail)
	}
	// With no failure before it, a step that did not run names the test's last line.
	checks = goldenChecks("=== RUN   TestNotebookOutputs\nFAIL\texample.com/k/k\t600.017s\n", steps[:1])
	if want := "the golden test ended before it: FAIL\texample.com/k/k\t600.017s"; checks[0].Detail != want {
		t.Errorf("detail = %q, want %q", checks[0].Detail, want)
	}
}
