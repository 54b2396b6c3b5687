package httpapi

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txtar from the current output")

// TestGolden compares the rendered files of the demo spec with testdata/golden/demo.txtar.
// Run with -update after an intended change and review the diff.
func TestGolden(t *testing.T) {
	files, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	ar := &txtar.Archive{Comment: []byte("Render(demoSpec()) — regenerate with go test -run TestGolden -update\n")}
	for _, name := range sortedKeys(files) {
		ar.Files = append(ar.Files, txtar.File{Name: name, Data: files[name]})
	}
	got := txtar.Format(ar)
	path := filepath.Join("testdata", "golden", "demo.txtar")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	wantAr := txtar.Parse(want)
	if len(wantAr.Files) != len(ar.Files) {
		t.Errorf("%d files, golden has %d", len(ar.Files), len(wantAr.Files))
	}
	for _, wf := range wantAr.Files {
		gf, ok := files[wf.Name]
		if !ok {
			t.Errorf("%s: in the golden file but not rendered", wf.Name)
			continue
		}
		if !bytes.Equal(gf, wf.Data) {
			t.Errorf("%s differs from the golden file; first difference at line %d (run with -update and review)", wf.Name, firstDiffLine(gf, wf.Data))
		}
	}
}

// TestGoldenIsFormatted checks that the rendered Go files are fixed points of gofmt.
func TestGoldenIsFormatted(t *testing.T) {
	files, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if filepath.Ext(name) != ".go" {
			continue
		}
		again, err := finishGo(name, src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, src) {
			t.Errorf("%s changes when formatted again", name)
		}
	}
}

func firstDiffLine(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range la {
		if i >= len(lb) || !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return len(la) + 1
}
