package clean

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decant-go/decant/internal/nbcheck"
	"github.com/decant-go/decant/notebooks"
)

func intp(i int) *int { return &i }

// executed builds a notebook as Jupyter leaves it after a run.
func executed(t testing.TB) []byte {
	t.Helper()
	nb := notebooks.New("executed.ipynb")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nb.SetMetadata("kernelspec", map[string]string{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}))
	must(nb.SetMetadata("widgets", map[string]any{"application/vnd.jupyter.widget-state+json": map[string]any{"state": map[string]any{}}}))
	nb.InsertCell(0, nb.NewMarkdownCell("# 1. Preparation\n"))
	add := func(src string, tags []string, meta map[string]any) *notebooks.Cell {
		c := nb.NewCodeCell(src)
		c.Tags = tags
		c.ExecutionCount = intp(len(nb.Cells))
		c.Outputs = []notebooks.Output{
			{Type: "stream", Name: "stdout", Text: "printed by " + src + "\n"},
			{Type: "execute_result", ExecutionCount: intp(len(nb.Cells)), Data: map[string]string{"text/plain": "42"}},
		}
		for k, v := range meta {
			must(c.SetMetadata(k, v))
		}
		nb.InsertCell(len(nb.Cells), c)
		return c
	}
	add("%%\nfmt.Println(1)", nil, map[string]any{"collapsed": false, "scrolled": true, "ExecuteTime": map[string]string{"end_time": "2026-01-01T00:00:00Z"}, "execution": map[string]string{"iopub.status.busy": "x"}, "editable": true})
	add("%%\nfmt.Println(2)", []string{"keep_output"}, nil)
	add("%%\nfmt.Println(3)", nil, map[string]any{"keep_output": true})
	add("%%\nfmt.Println(4)", nil, map[string]any{"init_cell": true})
	add("   \n", []string{"scratch"}, nil)
	data, err := notebooks.Format(nb)
	must(err)
	return data
}

func parse(t testing.TB, data []byte) *notebooks.Notebook {
	t.Helper()
	nb, err := notebooks.Parse("t.ipynb", data)
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

func TestDefaults(t *testing.T) {
	in := executed(t)
	out, changed, err := Bytes("executed.ipynb", in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Fatal("an executed notebook was not changed")
	}
	nb := parse(t, out)
	if _, ok := nb.Metadata("widgets"); ok {
		t.Error("metadata.widgets kept")
	}
	if _, ok := nb.Metadata("kernelspec"); !ok {
		t.Error("metadata.kernelspec dropped")
	}
	c := nb.Cells[1]
	if len(c.Outputs) != 0 || c.ExecutionCount != nil {
		t.Errorf("cell 1 keeps outputs %v or count %v", c.Outputs, c.ExecutionCount)
	}
	for _, k := range []string{"collapsed", "scrolled", "ExecuteTime", "execution"} {
		if _, ok := c.Metadata(k); ok {
			t.Errorf("cell 1 keeps metadata.%s", k)
		}
	}
	if _, ok := c.Metadata("editable"); !ok {
		t.Error("cell 1 lost metadata.editable, which is not volatile")
	}
	for i := 2; i <= 4; i++ {
		c := nb.Cells[i]
		if len(c.Outputs) != 2 {
			t.Errorf("cell %d (keep_output or init_cell): outputs %v", i, c.Outputs)
		}
		if c.ExecutionCount != nil || len(c.Outputs) > 1 && c.Outputs[1].ExecutionCount != nil {
			t.Errorf("cell %d: execution counts kept", i)
		}
	}
	if len(nb.Cells) != 6 {
		t.Errorf("cells dropped by default: %d", len(nb.Cells))
	}
	// Idempotent, and the markdown cell keeps its bytes.
	again, changed, err := Bytes("x", out, Options{})
	if err != nil || changed || !bytes.Equal(again, out) {
		t.Errorf("cleaning twice changed the notebook (err %v)", err)
	}
	if !bytes.Contains(out, []byte("\"source\": [\n    \"# 1. Preparation\\n\"\n   ]")) {
		t.Error("markdown cell rewritten")
	}
	// Cell ids survive.
	orig := parse(t, in)
	for i := range orig.Cells {
		if orig.Cells[i].ID != nb.Cells[i].ID {
			t.Errorf("cell %d: id %q became %q", i, orig.Cells[i].ID, nb.Cells[i].ID)
		}
	}
}

func TestOptions(t *testing.T) {
	in := executed(t)
	out, _, err := Bytes("x", in, Options{KeepOutput: true, KeepCount: true, ExtraKeys: []string{"cell.metadata.editable", "metadata.kernelspec.language"},
		KeepMetadataKeys: []string{"cell.metadata.scrolled"}, DropEmptyCells: true, StripInitCells: true})
	if err != nil {
		t.Fatal(err)
	}
	nb := parse(t, out)
	if len(nb.Cells) != 5 {
		t.Fatalf("empty cell not dropped: %d cells", len(nb.Cells))
	}
	c := nb.Cells[1]
	if len(c.Outputs) != 2 || c.ExecutionCount == nil || *c.ExecutionCount != 1 {
		t.Errorf("--keep-output --keep-count: %v %v", c.Outputs, c.ExecutionCount)
	}
	if _, ok := c.Metadata("editable"); ok {
		t.Error("extra key cell.metadata.editable kept")
	}
	if _, ok := c.Metadata("scrolled"); !ok {
		t.Error("--keep-metadata-keys cell.metadata.scrolled removed it")
	}
	if ks, _ := nb.Metadata("kernelspec"); bytes.Contains(ks, []byte("language")) {
		t.Errorf("nested extra key kept: %s", ks)
	}
	if nb.KernelName() != "gonb" || nb.KernelDisplayName() != "Go (gonb)" {
		t.Error("nested pop removed more than its key")
	}
	if len(nb.Cells[4].Outputs) != 0 {
		t.Error("--strip-init-cells kept an init cell's outputs")
	}

	out, _, err = Bytes("x", in, Options{DropTaggedCells: []string{"scratch", "keep_output"}, MaxSize: 3, KeepOutput: true})
	if err != nil {
		t.Fatal(err)
	}
	nb = parse(t, out)
	if len(nb.Cells) != 4 {
		t.Errorf("--drop-tagged-cells: %d cells", len(nb.Cells))
	}
	if o := nb.Cells[1].Outputs; len(o) != 1 || o[0].Data["text/plain"] != "42" {
		t.Errorf("--max-size 3 kept %v", o)
	}
}

func TestContradiction(t *testing.T) {
	nb := parse(t, executed(t))
	if err := nb.Cells[2].SetMetadata("keep_output", false); err != nil {
		t.Fatal(err)
	}
	err := Notebook(nb, Options{})
	if err == nil || !strings.Contains(err.Error(), "cell 2") || !strings.Contains(err.Error(), "keep_output") {
		t.Fatalf("contradicting keep_output: %v", err)
	}
}

// TestJupyterAgrees cleans real notebooks and checks the results with nbformat and nbconvert.
func TestJupyterAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Jupyter's own tools on real notebooks")
	}
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "executed.ipynb")}
	if err := os.WriteFile(files[0], executed(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{filepath.Join("..", "..", "testdata", "demo", "churn.ipynb"), filepath.Join(gonbExamples(), "tutorial.ipynb")} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Logf("skipping %s: %v", src, err)
			continue
		}
		dst := filepath.Join(dir, filepath.Base(src))
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, dst)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := Bytes(f, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f, "executed.ipynb") && bytes.Contains(out, []byte(`"output_type"`)) {
			t.Errorf("%s: outputs left after cleaning", f)
		}
		if err := os.WriteFile(f, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nbcheck.Check(t, files...)
}

func gonbExamples() string {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return ""
	}
	return filepath.Join(strings.TrimSpace(string(out)), "github.com", "janpfeifer", "gonb@v0.11.1", "examples")
}

func FuzzBytes(f *testing.F) {
	f.Add(executed(f))
	f.Add([]byte(`{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}`))
	f.Add([]byte(`{"cells":[{"cell_type":"code","id":"a","metadata":{"a.b":{"c":1},"collapsed":true,"keep_output":0},"source":"x","outputs":[],"execution_count":3}],"metadata":{"widgets":1},"nbformat":4,"nbformat_minor":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, err := Bytes("fuzz.ipynb", data, Options{ExtraKeys: []string{"cell.metadata.a.b.c", "metadata.x.y"}})
		if err != nil {
			return
		}
		again, changed, err := Bytes("fuzz.ipynb", out, Options{ExtraKeys: []string{"cell.metadata.a.b.c", "metadata.x.y"}})
		if err != nil {
			t.Fatalf("cleaned output does not clean again: %v\n%s", err, out)
		}
		if changed {
			t.Fatalf("cleaning is not idempotent:\n%s\n---\n%s", out, again)
		}
	})
}
