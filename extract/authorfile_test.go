package extract

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A replay that cannot open a file by a relative path is the author's file only when Decant
// did not ship it and no other cell names it; a helper library that raised the panic (must.M)
// does not make it the library's. GoMLX's rational notebook read rationals_config.json, which
// its author had downloaded beside it.
func TestAuthorFileNeed(t *testing.T) {
	const (
		mustLib  = "github.com/janpfeifer/must.M(...)"
		mustFile = "/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go:13"
		readDecl = "import \"github.com/janpfeifer/must\"\n\n// Convert reads the configuration.\nfunc Convert(name string) {\n\tf, err := os.Open(name)\n\tmust.M(err)\n\tdefer f.Close()\n}"
		readStep = "%%\n// Convert(\"~/Downloads/rationals_config.json\")\nConvert(\"rationals_config.json\")"
		panicMsg = "open rationals_config.json: no such file or directory"
	)
	saved := replayCell{src: readStep, count: 4, stdout: "n1=identity\n"}
	for _, tc := range []struct {
		name  string
		cells []replayCell
		want  string // the need, "" for a refusal
	}{
		{"not beside the notebook, named by no other cell: the author's file", []replayCell{{src: readDecl, count: 3}, saved}, NeedFile},
		{"another cell names it (it writes it)", []replayCell{{src: readDecl, count: 3},
			{src: "%%\nos.WriteFile(\"rationals_config.json\", []byte(\"{}\"), 0o644)", count: 2}, saved}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, out := replayPlan(t, "gonb", "## 3. Calculation", tc.cells...)
			step := plan.Steps[len(plan.Steps)-1]
			frames := []string{mustLib, mustFile, "example.com/svc/svc.Convert(...)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "must.M(err)")),
				"example.com/svc/svc." + step.Name + "()",
				fmt.Sprintf("%s/svc/pipeline.go:%d", replayDir, lineOf(t, out, "svc/pipeline.go", `Convert("rationals_config.json")`))}
			probs := Locate(replayDir, out, "test", []byte(testOutput(step.Name, panicMsg, frames...)))
			if len(probs) != 1 {
				t.Fatalf("Locate = %+v; want one problem", probs)
			}
			needs, ok := plan.ConsequentRunNeeds(context.Background(), probs, nil, &RunEvidence{Own: []string{replayDir, "/tmp"}, Out: out, ReadFile: librarySource})
			if ok != (tc.want != "") {
				t.Fatalf("ConsequentRunNeeds(%s) = %+v, %v; want need %q", probs[0], needs, ok, tc.want)
			}
			if !ok {
				return
			}
			if len(needs) != 1 || needs[0].Need != tc.want || !strings.Contains(needs[0].Cause, "its author's file") {
				t.Fatalf("needs = %+v, want one %s need naming the author's file", needs, tc.want)
			}
		})
	}
	// A file Decant shipped next to the package and the replay still could not open is the
	// service's defect.
	plan, out := replayPlan(t, "gonb", "## 3. Calculation", replayCell{src: readDecl, count: 3}, saved)
	plan.Assets = append(plan.Assets, Asset{Path: "rationals_config.json", Cell: 2})
	step := plan.Steps[len(plan.Steps)-1]
	probs := Locate(replayDir, out, "test", []byte(testOutput(step.Name, panicMsg, mustLib, mustFile,
		"example.com/svc/svc."+step.Name+"()", fmt.Sprintf("%s/svc/pipeline.go:%d", replayDir, lineOf(t, out, "svc/pipeline.go", `Convert("rationals_config.json")`)))))
	if needs, ok := plan.ConsequentRunNeeds(context.Background(), probs, nil, &RunEvidence{Own: []string{replayDir, "/tmp"}, Out: out, ReadFile: librarySource}); ok {
		t.Fatalf("a shipped file that is missing: ConsequentRunNeeds = %+v, true; want a refusal", needs)
	}
}
