package extract

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzReadFailure feeds arbitrary go command output through every reader of a failed build,
// vet or test: Locate (diagnostics and panics mapped to cells), the panicking goroutine's
// frames, and the classifier of failed replays with all its evidence (the plan's cells, the
// rendered service, a probe that never reaches the network). None may panic, and what they
// return must come from the text they read.
func FuzzReadFailure(f *testing.F) {
	plan, out := buildDemo(f)
	f.Add(testOutput("train", "failed downloading \"https://example.com/d.zip\": Get \"https://example.com/d.zip\": dial tcp: lookup example.com: no such host",
		"main.download()", "/root/go/pkg/mod/github.com/x/y@v1.2.3/d.go:12"))
	f.Add(testOutput("train", "runtime error: index out of range [115] with length 115",
		"github.com/gomlx/gomlx/pkg/ml/context.MustExecOnceN[...](...)", "/root/go/pkg/mod/github.com/gomlx/gomlx@v0.26.0/pkg/ml/context/execaliases.go:131"))
	f.Add(testOutput("prepare", "runtime error: invalid memory address or nil pointer dereference", "example.com/svc/svc.Prepare()", replayDir+"/svc/pipeline.go:39"))
	f.Add("# example.com/svc/svc\nsvc/pipeline.go:17:9: undefined: gonbui.ConnectToJupyterServer\n")
	f.Add("svc/model.go:3:1: fmt.Println arg list ends with redundant newline\n")
	f.Add("panic: x\n\ngoroutine 1 [running]:\nf(\n\t/a/pkg/mod/!a@/x.go:1\n")
	f.Add("panic: \ngoroutine 9 [running]:\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, step := range []string{"build", "vet", "test"} {
			probs := Locate(replayDir, out, step, []byte(text))
			for _, p := range probs {
				if p.Line < 0 {
					t.Fatalf("Locate(%q) gave a negative line: %+v", text, p)
				}
			}
			ev := &RunEvidence{Own: []string{replayDir, "/tmp"}, Out: out, ReadFile: librarySource,
				Probe: func(context.Context, string, string) error { return errors.New("no such host") }}
			needs, ok := plan.ConsequentRunNeeds(context.Background(), probs, probs, ev)
			if !ok && len(needs) > 0 {
				t.Fatalf("ConsequentRunNeeds refused but returned needs %+v", needs)
			}
		}
		for _, fr := range panicFrames(text) {
			if !strings.Contains(text, fr.File) || fr.Line < 0 {
				t.Fatalf("panicFrames(%q) gave a frame not in the text: %+v", text, fr)
			}
			funcPackage(fr.Func)
			cachedModule(fr.File)
		}
		if need, cause, ok := ClassifyRunFailure(text, []string{replayDir}); ok && (need == "" || !strings.Contains(text, cause)) {
			t.Fatalf("ClassifyRunFailure(%q) = %q, %q: the cause is not in the text", text, need, cause)
		}
	})
}
