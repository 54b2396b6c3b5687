package notebooks

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readCorpus(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	return data
}

func mustParse(t testing.TB, name string, data []byte) *Notebook {
	t.Helper()
	nb, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return nb
}

func mustFormat(t testing.TB, nb *Notebook) []byte {
	t.Helper()
	out, err := Format(nb)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cellSpans returns the byte range of each cell object in a notebook laid
// out by Jupyter: cells are the only objects at indent 2 ("  {" ... "  }").
func cellSpans(t *testing.T, data []byte) [][2]int {
	t.Helper()
	var spans [][2]int
	s := string(data)
	for off := 0; ; {
		i := strings.Index(s[off:], "\n  {\n")
		if i < 0 {
			break
		}
		start := off + i + 1
		end := strings.Index(s[start:], "\n  }")
		if end < 0 {
			t.Fatal("unterminated cell")
		}
		spans = append(spans, [2]int{start, start + end + len("\n  }")})
		off = start + end
	}
	return spans
}

// changedRange returns the part of a that differs from b, as the range left
// after removing the common prefix and suffix.
func changedRange(a, b []byte) (start, end int) {
	for start < len(a) && start < len(b) && a[start] == b[start] {
		start++
	}
	n := 0
	for n < len(a)-start && n < len(b)-start && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return start, len(a) - n
}

// TestChangeSourceTouchesOnlyThatCell edits one cell at a time and checks
// that the bytes that change all lie inside that cell's "source" value.
func TestChangeSourceTouchesOnlyThatCell(t *testing.T) {
	files := []string{
		filepath.Join(corpusDir, "gonb-probes/semantics_probe.executed.ipynb"),
		filepath.Join(corpusDir, "nbformat-fixtures/test4.5.ipynb"),
		filepath.Join(gonbDir, "tutorial.ipynb"),
	}
	for _, path := range files {
		orig := readCorpus(t, path)
		spans := cellSpans(t, orig)
		pristine := mustParse(t, path, orig)
		if len(spans) != len(pristine.Cells) {
			t.Fatalf("%s: found %d cell spans for %d cells", path, len(spans), len(pristine.Cells))
		}
		for i := range pristine.Cells {
			nb := mustParse(t, path, orig)
			const src = "x := 1 // <&> ünïcode\nfmt.Println(x)\n"
			nb.Cells[i].Source = src
			out := mustFormat(t, nb)
			start, end := changedRange(orig, out)
			srcKey := bytes.Index(orig[spans[i][0]:spans[i][1]], []byte("\n   \"source\": "))
			if srcKey < 0 {
				t.Fatalf("%s: cell %d: no source key", path, i)
			}
			lo, hi := spans[i][0]+srcKey, spans[i][1]
			if start < lo || end > hi {
				t.Errorf("%s: cell %d: changed bytes [%d,%d) outside its source [%d,%d)", path, i, start, end, lo, hi)
			}
			want := "\"source\": [\n    \"x := 1 // <&> ünïcode\\n\",\n    \"fmt.Println(x)\\n\"\n   ]"
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("%s: cell %d: new source not written as a list of lines", path, i)
			}
			back := mustParse(t, "out", out)
			for j, c := range back.Cells {
				wantSrc := pristine.Cells[j].Source
				if j == i {
					wantSrc = src
				}
				if c.Source != wantSrc {
					t.Fatalf("%s: after editing cell %d, cell %d source = %q, want %q", path, i, j, c.Source, wantSrc)
				}
			}
		}
	}
}

// Sources stored as one string keep that form while unchanged; a changed
// source is written as nbformat writes it, a list of lines.
func TestSourceFormKept(t *testing.T) {
	orig := readCorpus(t, filepath.Join(corpusDir, "gonb-probes/crash_probe.ipynb"))
	nb := mustParse(t, "crash_probe.ipynb", orig)
	nb.Cells[1].Source = "%%\nfmt.Println(3)"
	out := string(mustFormat(t, nb))
	if !strings.Contains(out, `"source": "%%\nfmt.Println(\"before\")"`) {
		t.Errorf("unchanged string source not kept:\n%s", out)
	}
	if !strings.Contains(out, "\"source\": [\n    \"%%\\n\",\n    \"fmt.Println(3)\"\n   ]") {
		t.Errorf("changed source not written as lines:\n%s", out)
	}
	// Setting the same text back is not a change.
	nb.Cells[1].Source = "%%\nfmt.Println(1)\n%%\nfmt.Println(2)"
	if out := mustFormat(t, nb); !bytes.Equal(out, append(orig, '\n')) {
		t.Errorf("restoring the source did not restore the bytes:\n%s", out)
	}
}

func TestChangeOutputsAndTags(t *testing.T) {
	path := filepath.Join(corpusDir, "nbformat-fixtures/test4.5.ipynb")
	orig := readCorpus(t, path)
	spans := cellSpans(t, orig)
	nb := mustParse(t, path, orig)
	i := -1
	for _, c := range nb.Cells {
		if c.Type == "code" && len(c.Outputs) > 0 && c.Outputs[0].Type == "stream" {
			i = c.Index
			break
		}
	}
	if i < 0 {
		t.Fatal("no cell with a stream output")
	}
	c := nb.Cells[i]
	c.Outputs[0].Text = "changed\nlines\n"
	c.Tags = append(c.Tags, "exported")
	out := mustFormat(t, nb)
	start, end := changedRange(orig, out)
	if start < spans[i][0] || end > spans[i][1] {
		t.Errorf("changed bytes [%d,%d) outside cell %d %v", start, end, i, spans[i])
	}
	if !bytes.Contains(out, []byte("\"text\": [\n      \"changed\\n\",\n      \"lines\\n\"\n     ]")) {
		t.Errorf("stream text not written as lines")
	}
	back := mustParse(t, "back", out)
	if got := back.Cells[i].Tags; len(got) != 1 || got[0] != "exported" {
		t.Errorf("tags after round trip = %q", got)
	}
	if raw, ok := back.Cells[i].Metadata("tags"); !ok || string(raw) != `["exported"]` {
		t.Errorf(`Metadata("tags") = %s, %v`, raw, ok)
	}
	// Removing the tag again removes the key, restoring the original bytes.
	back.Cells[i].Tags = nil
	back.Cells[i].Outputs[0].Text = nb.Cells[i].Outputs[0].origText
	if out := mustFormat(t, back); !bytes.Equal(out, orig) {
		t.Errorf("undoing the edits did not restore the bytes:\n%s", lineDiff(string(orig), string(out)))
	}
}

func TestChangeTypeDropsCodeFields(t *testing.T) {
	nb := mustParse(t, "t", []byte(doc(4, code(`{"name": "stdout", "output_type": "stream", "text": "hi"}`))))
	nb.Cells[0].Type = "markdown"
	out := string(mustFormat(t, nb))
	if strings.Contains(out, "outputs") || strings.Contains(out, "execution_count") {
		t.Errorf("markdown cell kept code fields:\n%s", out)
	}
	nb.Cells[0].Type = "code"
	nb.Cells[0].Outputs = nil
	out = string(mustFormat(t, nb))
	if !strings.Contains(out, `"outputs": []`) || !strings.Contains(out, `"execution_count": 1`) {
		t.Errorf("code cell lacks code fields:\n%s", out)
	}
}

func TestMetadataAccessors(t *testing.T) {
	in := `{"cells": [{"cell_type": "markdown", "metadata": {"tags": ["a"], "x": {"n": 1.50}}, "source": ""}],
	"metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}, "language_info": {"name": "go"}},
	"nbformat": 4, "nbformat_minor": 4}`
	nb := mustParse(t, "m", []byte(in))
	if nb.KernelName() != "gonb" || nb.KernelDisplayName() != "Go (gonb)" || nb.Language() != "go" {
		t.Errorf("kernel = %q %q %q", nb.KernelName(), nb.KernelDisplayName(), nb.Language())
	}
	c := nb.Cells[0]
	if raw, ok := c.Metadata("x"); !ok || string(raw) != `{"n":1.50}` {
		t.Errorf(`Metadata("x") = %s, %v`, raw, ok)
	}
	if _, ok := c.Metadata("nope"); ok {
		t.Error(`Metadata("nope") found`)
	}
	if err := c.SetMetadata("y", map[string]any{"html": "<b>&</b>"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetMetadata("tags", []string{"b", "c"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetMetadata("tags", 3); err == nil {
		t.Error("SetMetadata(tags, 3) succeeded")
	}
	if err := c.SetMetadata("x", nil); err != nil {
		t.Fatal(err)
	}
	if err := nb.SetMetadata("kernelspec", nil); err != nil {
		t.Fatal(err)
	}
	out := string(mustFormat(t, nb))
	for _, want := range []string{`"html": "<b>&</b>"`, "\"tags\": [\n     \"b\",\n     \"c\"\n    ]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, `"x"`) || strings.Contains(out, "kernelspec") {
		t.Errorf("deleted keys still present:\n%s", out)
	}
	if nb.KernelName() != "" || nb.Language() != "go" {
		t.Errorf("after deleting kernelspec: %q %q", nb.KernelName(), nb.Language())
	}
	// The original parse result must not have been modified through shared maps.
	if again := mustParse(t, "m", []byte(in)); again.KernelName() != "gonb" {
		t.Error("shared state")
	}
}

func TestNewAndInsertCells(t *testing.T) {
	build := func() *Notebook {
		nb := New("new.ipynb")
		nb.InsertCell(0, nb.NewMarkdownCell("# T"))
		nb.InsertCell(1, nb.NewCodeCell("x"))
		nb.InsertCell(1, nb.NewCodeCell("x"))
		nb.InsertCell(0, &Cell{Type: "raw", ID: nb.Cells[0].ID}) // clashing id gets replaced
		return nb
	}
	nb := build()
	seen := map[string]bool{}
	for i, c := range nb.Cells {
		if c.Index != i {
			t.Errorf("cell %d has Index %d", i, c.Index)
		}
		if c.ID == "" || seen[c.ID] {
			t.Errorf("cell %d id %q empty or repeated", i, c.ID)
		}
		seen[c.ID] = true
	}
	a, b := mustFormat(t, nb), mustFormat(t, build())
	if !bytes.Equal(a, b) {
		t.Error("ids are not deterministic")
	}
	if _, err := Parse("new", a); err != nil {
		t.Fatalf("new notebook does not parse: %v", err)
	}

	old := mustParse(t, "old", []byte(doc(4)))
	c := old.NewCodeCell("y")
	old.InsertCell(0, c)
	if c.ID != "" {
		t.Errorf("nbformat 4.4 cell got id %q", c.ID)
	}
	if out := mustFormat(t, old); bytes.Contains(out, []byte(`"id"`)) {
		t.Errorf("id written for 4.4:\n%s", out)
	}
	old.RemoveCell(0)
	if len(old.Cells) != 0 {
		t.Error("RemoveCell")
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(nb *Notebook)
		cell   int
		key    string
		msg    string
	}{
		{"nbformat", func(nb *Notebook) { nb.NBFormat = 3 }, -1, "nbformat", "must be 4"},
		{"missing id", func(nb *Notebook) { nb.Cells = append(nb.Cells, &Cell{Type: "code"}) }, 1, "cells[1].id", "missing cell id"},
		{"duplicate id", func(nb *Notebook) { nb.Cells = append(nb.Cells, &Cell{Type: "raw", ID: "c0"}) }, 1, "cells[1].id", "duplicate cell id"},
		{"bad id", func(nb *Notebook) { nb.Cells[0].ID = "a/b" }, 0, "cells[0].id", "must match"},
		{"tag comma", func(nb *Notebook) { nb.Cells[0].Tags = []string{"a,b"} }, 0, "cells[0].metadata.tags", "comma"},
		{"cell type", func(nb *Notebook) { nb.Cells[0].Type = "heading" }, 0, "cells[0].cell_type", "unknown cell type"},
		{"nil cell", func(nb *Notebook) { nb.Cells = append(nb.Cells, nil) }, 1, "cells[1]", "nil cell"},
		{"output type", func(nb *Notebook) { nb.Cells[0].Outputs = []Output{{Type: "pyout"}} }, 0, "cells[0].outputs[0].output_type", "unknown output type"},
		{"stream name", func(nb *Notebook) { nb.Cells[0].Outputs = []Output{{Type: "stream", Text: "x"}} }, 0, "cells[0].outputs[0].name", "need a name"},
		{"json data", func(nb *Notebook) {
			nb.Cells[0].Outputs = []Output{{Type: "display_data", Data: map[string]string{"application/json": "{"}}}
		}, 0, "cells[0].outputs[0].data.application/json", "invalid JSON"},
		{"output metadata", func(nb *Notebook) {
			nb.Cells[0].Outputs = []Output{{Type: "display_data", Metadata: json.RawMessage(`[]`)}}
		}, 0, "cells[0].outputs[0].metadata", "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := New("f.ipynb")
			nb.Cells = []*Cell{{Type: "code", ID: "c0"}}
			tt.mutate(nb)
			_, err := Format(nb)
			checkError(t, err, nil, "f.ipynb", tt.msg)
			if e, ok := err.(*Error); ok && (e.Cell != tt.cell || e.Key != tt.key) {
				t.Errorf("Cell %d Key %q, want %d %q", e.Cell, e.Key, tt.cell, tt.key)
			}
		})
	}
}

// Format must not modify the notebook, even through maps it shares with
// the parsed input.
func TestFormatDoesNotModify(t *testing.T) {
	data := readCorpus(t, filepath.Join(corpusDir, "gonb-probes/args_probe.executed.ipynb"))
	nb := mustParse(t, "a", data)
	pristine := mustParse(t, "a", data)
	for _, c := range nb.Cells {
		c.Source += "//"
		c.Tags = append(c.Tags, "t")
		for j := range c.Outputs {
			c.Outputs[j].Metadata = json.RawMessage(`{"k": 1}`)
		}
	}
	edited := mustParse(t, "a", data)
	for i, c := range edited.Cells {
		c.Source, c.Tags, c.Outputs = nb.Cells[i].Source, nb.Cells[i].Tags, nb.Cells[i].Outputs
	}
	first := mustFormat(t, edited)
	if !reflect.DeepEqual(edited.top, pristine.top) {
		t.Error("top-level fields modified")
	}
	for i, c := range edited.Cells {
		if !reflect.DeepEqual(c.raw, pristine.Cells[i].raw) || !reflect.DeepEqual(c.meta, pristine.Cells[i].meta) {
			t.Fatalf("cell %d raw fields modified", i)
		}
	}
	if second := mustFormat(t, edited); !bytes.Equal(first, second) {
		t.Error("second Format differs")
	}
}
