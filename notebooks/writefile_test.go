package notebooks

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nb.ipynb")
	nb := New("nb.ipynb")
	nb.InsertCell(0, nb.NewCodeCell("x"))

	// A new file gets 0644.
	if err := WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, "nb.ipynb")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode = %v, want 0644", fi.Mode().Perm())
	}

	// An existing file keeps its mode, and gets the new content.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	nb.Cells[0].Source = "y"
	if err := WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, "nb.ipynb")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustFormat(t, nb); !bytes.Equal(got, want) {
		t.Errorf("file content differs from Format")
	}

	// Through a symlink, the target is replaced and the link kept.
	link := filepath.Join(dir, "link.ipynb")
	if err := os.Symlink("nb.ipynb", link); err != nil {
		t.Fatal(err)
	}
	nb.Cells[0].Source = "z"
	if err := WriteFile(link, nb); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symlink replaced: %v", err)
	}
	if back, err := ParseFile(path); err != nil || back.Cells[0].Source != "z" {
		t.Errorf("target not updated: %v", err)
	}

	// A notebook that cannot be formatted leaves the old file untouched.
	before, _ := os.ReadFile(path)
	nb.Cells[0].Tags = []string{"a,b"}
	if err := WriteFile(path, nb); err == nil {
		t.Error("WriteFile of an invalid notebook succeeded")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("failed write changed the file")
	}
	checkDir(t, dir, "link.ipynb", "nb.ipynb")

	// A failing write (missing directory) reports an error and leaves nothing.
	if err := WriteFile(filepath.Join(dir, "missing", "x.ipynb"), New("x")); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

// checkDir asserts dir holds exactly the named entries: no temp files left.
func checkDir(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("dir holds %q, want %q", got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("dir holds %q, want %q", got, names)
		}
	}
}

func TestParseFileMissing(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "none.ipynb")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ParseFile(missing) = %v", err)
	}
}
