package notebooks

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// constructed builds a notebook from scratch with every kind of cell and
// output, including text that Go's encoding/json would escape.
func constructed(t *testing.T) *Notebook {
	nb := New("constructed.ipynb")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(nb.SetMetadata("kernelspec", map[string]string{"display_name": "Go (gonb)", "language": "go", "name": "gonb"}))
	must(nb.SetMetadata("language_info", map[string]any{"name": "go", "version": "1.26"}))

	nb.InsertCell(0, nb.NewMarkdownCell("# Décant <demo> & co\n\nLine\u2028separator, tab\there.\n"))

	c := nb.NewCodeCell("%%\nfmt.Println(\"hi\")\nfmt.Fprintln(os.Stderr, \"oops\")")
	c.ExecutionCount = intp(3)
	must(c.SetMetadata("collapsed", false))
	c.Tags = []string{"main", "exported"}
	c.Outputs = []Output{
		{Type: "stream", Name: "stdout", Text: "hi\n"},
		{Type: "stream", Name: "stderr", Text: "oops\nno newline at end"},
		{Type: "display_data", Data: map[string]string{
			"text/plain":           "<Figure>",
			"text/html":            "<div>\n  <b>bold</b>\n</div>\n",
			"image/png":            "iVBORw0KGgo=\n",
			"image/svg+xml":        "<svg>\n</svg>",
			"application/json":     `{"b": [1, 2.5], "a": "\u00e9"}`,
			"application/vnd+json": `[]`,
		}, Metadata: json.RawMessage(`{"image/png": {"width": 64}}`)},
		{Type: "execute_result", ExecutionCount: intp(3), Data: map[string]string{"text/plain": "42"}},
		{Type: "error", EName: "panic", EValue: "boom", Traceback: []string{"\x1b[31mpanic: boom\x1b[0m", "goroutine 1"}},
	}
	nb.InsertCell(1, c)
	nb.InsertCell(2, nb.NewRawCell(""))
	nb.InsertCell(3, nb.NewCodeCell(""))
	return nb
}

func TestGoldenConstructed(t *testing.T) {
	got := mustFormat(t, constructed(t))
	golden := filepath.Join("testdata", "constructed.ipynb")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Format differs from %s (run with -update if intended):\n%s", golden, lineDiff(string(want), string(got)))
	}
	// The golden file must read back to the same notebook and bytes.
	nb := mustParse(t, golden, want)
	if again := mustFormat(t, nb); !bytes.Equal(again, want) {
		t.Fatalf("golden file does not round-trip:\n%s", lineDiff(string(want), string(again)))
	}
	c := nb.Cells[1]
	if !c.HasErrorOutput() || nb.Cells[0].HasErrorOutput() {
		t.Error("HasErrorOutput")
	}
	plain := []string{"hi\n", "oops\nno newline at end", "<Figure>", "42", "panic: boom"}
	for i, o := range c.Outputs {
		if o.PlainText() != plain[i] {
			t.Errorf("output %d PlainText = %q, want %q", i, o.PlainText(), plain[i])
		}
	}
	if got := c.Outputs[2].Data["application/json"]; got != `{"a":"é","b":[1,2.5]}` {
		t.Errorf("JSON mime data = %s", got)
	}
	if string(c.Outputs[2].Metadata) != `{"image/png":{"width":64}}` {
		t.Errorf("output metadata = %s", c.Outputs[2].Metadata)
	}
	if nb.Language() != "go" || nb.KernelName() != "gonb" {
		t.Error("kernel metadata lost")
	}
}
