package extract

import (
	"slices"
	"strings"
	"testing"
)

// The notebook's %env settings reach the commands that verify the service, as they reached
// GoNB's kernel, unless Decant's own environment sets the variable: then that wins, and the
// report says so.
func TestVerifyEnv(t *testing.T) {
	p := &Plan{Env: [][2]string{{"MODEL_BACKEND", "xla:cpu"}, {"DATA_DIR", "/data"}, {"SAME", "x"}, {"GOFLAGS", "-mod=vendor"}}}
	environ := map[string]string{"MODEL_BACKEND": "go", "SAME": "x"}
	env, notes := p.VerifyEnv(func(k string) (string, bool) { v, ok := environ[k]; return v, ok })
	if !slices.Equal(env, []string{"DATA_DIR=/data"}) {
		t.Errorf("env = %q, want only DATA_DIR=/data", env)
	}
	if len(notes) != 1 || !strings.Contains(notes[0].Reason, "MODEL_BACKEND=go from the environment, not the notebook's xla:cpu") {
		t.Errorf("notes = %+v", notes)
	}
	if h := p.TestEnvHint(func(k string) (string, bool) { v, ok := environ[k]; return v, ok }); h != "the tests ran with the notebook's %env DATA_DIR=/data; set a variable in the environment to verify with another value" {
		t.Errorf("hint = %q", h)
	}
}

// A failing test's summary line is the cause (a log.Fatal message without its timestamp), not
// go test's lines about other packages.
func TestLocateNamesTheCause(t *testing.T) {
	out := &Output{Files: map[string][]byte{}}
	text := "?   \texample.com/svc/cmd/svc\t[no test files]\n" +
		"2026/11/30 04:43:34 Fatal error: dial tcp: lookup example.com: no such host\n" +
		"while loading the customers\n" +
		"FAIL\texample.com/svc/svc\t0.098s\nFAIL\n"
	probs := Locate("/tmp/stage", out, "test", []byte(text))
	if len(probs) != 1 {
		t.Fatalf("problems: %+v", probs)
	}
	first, _, _ := strings.Cut(probs[0].Msg, "\n")
	if first != "Fatal error: dial tcp: lookup example.com: no such host" {
		t.Errorf("summary line %q", first)
	}
	if !strings.Contains(probs[0].Msg, "while loading the customers") {
		t.Errorf("the rest of the output was lost: %q", probs[0].Msg)
	}
	if strings.Contains(probs[0].Msg, "[no test files]") {
		t.Errorf("go test's lines about other packages were kept: %q", probs[0].Msg)
	}
}

// A build failure of a notebook that ran against a local checkout this machine lacks says
// which version it was verified against and how to choose another.
func TestBuildHint(t *testing.T) {
	mc := &ModuleContext{Enclosing: "example.com/lib", EnclosingVersion: "v1.2.0", Requires: map[string]string{}, Local: map[string]string{}, From: map[string]string{}}
	if h := mc.BuildHint(); h != "" {
		t.Errorf("hint without missing checkouts: %q", h)
	}
	mc.readCommand(1, 1, `rm -f go.work && go work init && go work use . "${NO_SUCH_VAR_FOR_TEST}/nowhere/lib"`, t.TempDir())
	h := mc.BuildHint()
	for _, want := range []string{`"${NO_SUCH_VAR_FOR_TEST}/nowhere/lib" (cell 1, line 1, not resolvable statically)`, "example.com/lib@v1.2.0", "--replace MODULE=DIR", "--pin MODULE@VERSION"} {
		if !strings.Contains(h, want) {
			t.Errorf("hint does not say %q: %s", want, h)
		}
	}
}

// A step that ends the process through klog's Fatal: the cause is klog's message without its
// header, not the replay marker printed before it, even when the stack klog dumps locates it.
func TestLocateNamesKlogFatal(t *testing.T) {
	out := &Output{Files: map[string][]byte{}}
	text := "?   \texample.com/svc/cmd/svc\t[no test files]\n" +
		ReplayMarker + " train (cell 21, line 2)\n" +
		"F1130 05:56:00.835145   17708 train.go:354] Fatal error: EOF\n" +
		"failed to read the cache\n" +
		"FAIL\texample.com/svc/svc\t0.138s\nFAIL\n"
	probs := Locate("/tmp/stage", out, "test", []byte(text))
	if len(probs) != 1 {
		t.Fatalf("problems: %+v", probs)
	}
	if first, _, _ := strings.Cut(probs[0].Msg, "\n"); first != "Fatal error: EOF" {
		t.Errorf("summary line %q", first)
	}
	if probs[0].Cell != 21 || probs[0].CellLine != 2 {
		t.Errorf("located at cell %d, line %d; want the replayed step's cell 21, line 2", probs[0].Cell, probs[0].CellLine)
	}
}
