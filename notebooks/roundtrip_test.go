package notebooks

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The shared corpus sits beside the repository; GoNB's examples are in the module cache,
// since go.mod pins GoNB as a tool.
var (
	corpusDir = filepath.Join("..", "..", "shared", "corpus")
	gonbDir   = filepath.Join(goModCache(), "github.com", "janpfeifer", "gonb@v0.11.1", "examples")
)

func goModCache() string {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return filepath.Join(os.Getenv("HOME"), "go", "pkg", "mod")
	}
	return strings.TrimSpace(string(out))
}

// corpusCase says what is expected of one file; files not listed must
// round-trip byte for byte.
type corpusCase struct {
	// sameJSON: parses, but the file was not written by Jupyter, so Format
	// only has to keep the same JSON value; why says how the bytes differ.
	sameJSON bool
	why      string
	// errs: Parse must fail with a message containing all of these.
	errs []string
	is   error // Parse's error must wrap this, if set
}

var corpusCases = map[string]corpusCase{
	// Hand-written probe: no trailing newline after the closing brace.
	"crash_probe.ipynb": {sameJSON: true, why: "no trailing newline"},
	// Saved by Google Colab: 2-space indent and keys in insertion order.
	"google_colab_demo.ipynb": {sameJSON: true, why: "Colab layout"},
	// nbformat 4.99 fixture edited by hand: keys out of order ("id" first);
	// it also has a future cell type and output type, which must survive.
	"test4plus.ipynb": {sameJSON: true, why: "keys not sorted"},

	"invalid.ipynb":                       {errs: []string{"cell 0", `key "source"`, "missing required key"}},
	"invalid_cell_id.ipynb":               {errs: []string{"cell 0", `key "id"`, "$illegal_chars", "^[a-zA-Z0-9-_]+$"}},
	"invalid_unique_cell_id.ipynb":        {errs: []string{"cell 1", `key "id"`, `duplicate cell id "dup"`, "cell 0"}},
	"v4_5_no_cell_id.ipynb":               {errs: []string{"cell 0", `key "id"`, "missing required key"}},
	"v4_5_invalid_metadata.ipynb":         {errs: []string{`key "metadata.kernelspec"`, "must be an object"}},
	"no_min_version.ipynb":                {errs: []string{`key "nbformat_minor"`, "missing required key"}},
	"test2.ipynb":                         {errs: []string{"nbformat 2", "jupyter nbconvert --to notebook --nbformat 4"}},
	"test3.ipynb":                         {errs: []string{"nbformat 3", "jupyter nbconvert --to notebook --nbformat 4"}, is: ErrNBFormat3},
	"test3_no_metadata.ipynb":             {errs: []string{"nbformat 3"}, is: ErrNBFormat3},
	"test3_no_min_version.ipynb":          {errs: []string{"nbformat 3"}, is: ErrNBFormat3},
	"test3_no_worksheets.ipynb":           {errs: []string{"nbformat 3"}, is: ErrNBFormat3},
	"test3_worksheet_with_no_cells.ipynb": {errs: []string{"nbformat 3"}, is: ErrNBFormat3},
}

// notebookFiles lists the .ipynb files under dir, skipping the test if dir
// is not there.
func notebookFiles(t testing.TB, dir string) []string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".ipynb") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestRoundTripCorpus(t *testing.T) {
	files := append(notebookFiles(t, corpusDir), notebookFiles(t, gonbDir)...)
	if len(files) < 40 {
		t.Fatalf("found only %d notebooks; corpus incomplete?", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := corpusCases[filepath.Base(path)]
			nb, err := Parse(filepath.Base(path), data)
			if len(want.errs) > 0 {
				checkError(t, err, want.is, want.errs...)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := Format(nb)
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			if !want.sameJSON {
				if !bytes.Equal(got, data) {
					t.Fatalf("round trip changed the bytes:\n%s", lineDiff(string(data), string(got)))
				}
				return
			}
			if bytes.Equal(got, data) {
				t.Fatalf("expected a difference (%s), but the bytes are identical; update corpusCases", want.why)
			}
			assertSameJSON(t, data, got)
			again, err := Parse("again", got)
			if err != nil {
				t.Fatalf("Parse(Format): %v", err)
			}
			if got2, err := Format(again); err != nil || !bytes.Equal(got2, got) {
				t.Fatalf("Format is not a fixed point (err %v)", err)
			}
		})
	}
}

// assertSameJSON checks that a and b decode to the same JSON value.
func assertSameJSON(t *testing.T, a, b []byte) {
	t.Helper()
	va, err := decodeJSON(a)
	if err != nil {
		t.Fatal(err)
	}
	vb, err := decodeJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(va, vb) {
		t.Fatalf("JSON values differ")
	}
}

// checkError asserts err is an *Error whose message contains every part.
func checkError(t *testing.T, err, is error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", parts)
	}
	var ne *Error
	if !errors.As(err, &ne) {
		t.Fatalf("error %v is %T, want *Error", err, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %q does not wrap %v", err, is)
	}
}

// lineDiff shows the first differing line of two texts, with context.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return "line " + itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return "(no line differs)"
}
