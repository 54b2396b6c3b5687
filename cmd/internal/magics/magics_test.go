package magics

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decant-go/decant/kernel/proxy"
)

func demoEnv() proxy.MagicEnv {
	var out, errb bytes.Buffer
	return proxy.MagicEnv{Stdout: &out, Stderr: &errb, Dir: "../../../testdata/demo", Getenv: func(string) string { return "" }}
}

func TestPlanOnTheDemo(t *testing.T) {
	r, err := Plan().Run(context.Background(), nil, demoEnv())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cells:", "files:", "duplicates:"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("plan text lacks %q:\n%s", want, r.Text)
		}
	}
	if !strings.Contains(r.HTML, "<table>") || !strings.Contains(r.HTML, "pipeline.go") {
		t.Errorf("plan HTML:\n%s", r.HTML)
	}
	for name, m := range map[string]proxy.Magic{"doc": Doc(), "dupes": Dupes()} {
		if r, err := m.Run(context.Background(), nil, demoEnv()); err != nil || r == nil || r.Text == "" {
			t.Errorf("%s: %v %+v", name, err, r)
		}
	}
}

func TestBadArguments(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--notebook", "/nonexistent.ipynb"}, "no such file"},
		{[]string{"--bogus"}, "unknown flag"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		for name, m := range All() {
			_, err := m.Run(context.Background(), tt.args, demoEnv())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%%decant %s %q: %v, want an error about %q", name, tt.args, err, tt.want)
			}
		}
	}
}

// A notebook being edited: a %decant cell and a cell that does not parse
// yet. Both are shown as skipped; the rest of the plan stands.
func TestPlanOfANotebookBeingEdited(t *testing.T) {
	raw, err := os.ReadFile("../../../testdata/demo/churn.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	var nb map[string]any
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	cell := func(id, src string) map[string]any {
		return map[string]any{"cell_type": "code", "execution_count": nil, "id": id, "metadata": map[string]any{}, "outputs": []any{}, "source": src}
	}
	nb["cells"] = append(nb["cells"].([]any), cell("plan", "%decant plan"), cell("broken", "func broken() int {\n\treturn (\n}"))
	dir := t.TempDir()
	data, _ := json.Marshal(nb)
	if err := os.WriteFile(filepath.Join(dir, "churn.ipynb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	env := demoEnv()
	env.Dir = dir
	r, err := Plan().Run(context.Background(), nil, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[18] code      skipped: %decant cell", "[19] code      skipped: does not compile: line 3", "churn/prediction.go"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.Text)
		}
	}
	if strings.Contains(r.Text, "unknown or not implemented") {
		t.Errorf("plan warns about %%decant:\n%s", r.Text)
	}
}
