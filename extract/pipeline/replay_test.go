package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// The service's test replays each step with the arguments of its %% line, as GoNB ran the
// cell: a step that requires a flag its %% line sets passes verification.
func TestReplayAppliesStepArgs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "ckpt.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import (\n\t\"flag\"\n\t\"fmt\"\n\t\"log\"\n)\n\nvar checkpoint = flag.String(\"checkpoint\", \"\", \"where to keep the model\")",
		"%% --checkpoint base\nif *checkpoint == \"\" {\n\tlog.Fatal(\"a --checkpoint is required\")\n}\nfmt.Println(\"training into\", *checkpoint)",
		"%%\nfmt.Println(\"checkpoint now\", *checkpoint)")
	if _, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author}); err != nil {
		t.Fatalf("extract: %v", err)
	}
}

// A step that ends the process when the test replays it (log.Fatal leaves no stack) is
// refused at its cell and line, with what the step said and the flag that skips the replay.
func TestReplayExitLocated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "device.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import (\n\t\"fmt\"\n\t\"log\"\n\t\"os\"\n)",
		"%%\nfmt.Println(\"warming up\")",
		"%%\nif _, err := os.Stat(\"/dev/no-such-accelerator\"); err != nil {\n\tlog.Fatalf(\"no accelerator: %v\", err)\n}")
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("extract = %v, want a VerifyError", err)
	}
	var found bool
	for _, p := range ve.Problems {
		if p.Step != "test" {
			continue
		}
		found = true
		if p.Cell != 3 || p.CellLine != 2 {
			t.Errorf("located at cell %d, line %d, want cell 3, line 2 (the step replayed): %s", p.Cell, p.CellLine, p)
		}
		for _, want := range []string{"no accelerator", "--short"} {
			if !strings.Contains(p.Msg, want) {
				t.Errorf("the refusal does not say %q: %s", want, p)
			}
		}
		for _, noise := range []string{"no test files", "FAIL\t", "decant: replaying"} {
			if strings.Contains(p.Msg, noise) {
				t.Errorf("the refusal carries go test's %q: %s", noise, p)
			}
		}
	}
	if !found {
		t.Fatalf("no test problem in %v", err)
	}
}
