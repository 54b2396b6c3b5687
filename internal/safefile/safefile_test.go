//go:build unix

package safefile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestWriteNewAndKeepMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	if err := WriteFile(p, []byte("one"), 0); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode = %v, want 0644", fi.Mode().Perm())
	}
	os.Chmod(p, 0o640)
	if err := WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("existing file mode = %v, want 0640 kept", fi.Mode().Perm())
	}
	if err := Write(p, []byte("three"), Options{Perm: 0o600, ForcePerm: true}); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("forced mode = %v, want 0600", fi.Mode().Perm())
	}
	assertNoTemp(t, dir)
}

func TestWriteKeepsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.txt")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.txt")
	os.Symlink("real.txt", link)
	if err := WriteFile(link, []byte("new"), 0); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("symbolic link was replaced by a regular file")
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatalf("target = %q, want new", b)
	}
	dangling := filepath.Join(dir, "dangling")
	os.Symlink("nowhere/x", dangling)
	if err := WriteFile(dangling, []byte("x"), 0); err == nil {
		t.Fatal("dangling link written")
	}
	if fi, _ := os.Lstat(dangling); fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("dangling link replaced")
	}
}

func TestWriteThroughDevNull(t *testing.T) {
	before, err := os.Stat("/dev/null")
	if err != nil {
		t.Skip(err)
	}
	if err := WriteFile("/dev/null", []byte("discarded"), 0); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat("/dev/null")
	if after.Mode()&fs.ModeCharDevice == 0 || !os.SameFile(before, after) {
		t.Fatal("/dev/null was replaced")
	}
}

func TestWriteThroughFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip(err)
	}
	// No reader: refused at once rather than blocking.
	if err := WriteFile(p, []byte("x"), 0); err == nil {
		t.Fatal("write to a FIFO without reader succeeded")
	}
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A FIFO's reader sees end of file whenever no writer has it open: hold a writer open until
	// WriteFile is done, so the reader cannot end before WriteFile opens it.
	hold, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); got <- b }()
	err = WriteFile(p, []byte("through"), 0)
	hold.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "through" {
		t.Fatalf("reader got %q", b)
	}
	if fi, _ := os.Lstat(p); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatal("FIFO replaced")
	}
}

func TestWriteRefusesDirAndReadOnly(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(dir, []byte("x"), 0); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("directory: err = %v", err)
	}
	p := filepath.Join(dir, "ro")
	os.WriteFile(p, []byte("keep"), 0o444)
	if err := WriteFile(p, []byte("x"), 0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only: err = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "keep" {
		t.Fatal("read-only file changed")
	}
}

func TestWriteDetectsConcurrentEdit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "nb.ipynb")
	os.WriteFile(p, []byte("v1"), 0o644)
	_, st, err := ReadFile(context.Background(), p, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Same size, same mtime, different content: only the hash tells.
	os.WriteFile(p, []byte("v2"), 0o644)
	os.Chtimes(p, st.ModTime, st.ModTime)
	if err := Write(p, []byte("mine"), Options{Expect: &st}); !errors.Is(err, ErrModified) {
		t.Fatalf("err = %v, want ErrModified", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "v2" {
		t.Fatalf("other writer's edit lost: %q", b)
	}
	_, st, _ = ReadFile(context.Background(), p, 0)
	if err := Write(p, []byte("mine"), Options{Expect: &st}); err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	if err := Write(p, []byte("again"), Options{Expect: &st}); !errors.Is(err, ErrModified) {
		t.Fatalf("removed file: err = %v", err)
	}
}

func TestReadFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	for _, p := range []string{fifo, "/dev/zero", dir} {
		done := make(chan error, 1)
		go func() { _, _, err := ReadFile(context.Background(), p, 0); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: err = %v, want ErrNotRegular", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: ReadFile hangs", p)
		}
	}
}

func TestReadFileLimitAndContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	os.WriteFile(p, bytes.Repeat([]byte("x"), 1000), 0o644)
	if _, _, err := ReadFile(context.Background(), p, 999); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := ReadFile(ctx, p, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	b, st, err := ReadFile(context.Background(), p, 1000)
	if err != nil || len(b) != 1000 || st.Size != 1000 {
		t.Fatalf("read %d bytes, %v", len(b), err)
	}
}

func TestSame(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "nb.ipynb")
	os.WriteFile(p, nil, 0o644)
	os.Symlink("nb.ipynb", filepath.Join(dir, "l"))
	if !Same(p, filepath.Join(dir, ".", "l")) {
		t.Error("link to the same file not detected")
	}
	if Same(p, filepath.Join(dir, "other")) {
		t.Error("missing file reported same")
	}
}

// FuzzWrite writes random bytes to targets of every kind and checks the package's rules as an
// oracle: a success leaves the data readable at the path and the path's kind unchanged; a
// failure leaves the old content; no temporary file is ever left behind.
func FuzzWrite(f *testing.F) {
	f.Add(uint8(0), []byte("hello"))
	f.Add(uint8(1), []byte{})
	f.Add(uint8(2), []byte("\x00\xff"))
	f.Add(uint8(3), []byte("x"))
	f.Add(uint8(4), []byte("y"))
	f.Add(uint8(5), []byte("z"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "out")
		old := []byte("old content")
		var wantKind fs.FileMode
		switch kind % 6 {
		case 0: // missing
		case 1:
			os.WriteFile(p, old, 0o600)
		case 2:
			os.WriteFile(filepath.Join(dir, "t"), old, 0o644)
			os.Symlink("t", p)
			wantKind = fs.ModeSymlink
		case 3:
			os.Mkdir(p, 0o755)
			wantKind = fs.ModeDir
		case 4:
			os.WriteFile(p, old, 0o444)
		case 5:
			if syscall.Mkfifo(p, 0o644) != nil {
				t.Skip()
			}
			wantKind = fs.ModeNamedPipe
		}
		err := WriteFile(p, data, 0)
		fi, lerr := os.Lstat(p)
		if lerr == nil && fi.Mode().Type() != wantKind {
			t.Fatalf("kind %d: path changed kind to %v", kind%6, fi.Mode().Type())
		}
		if fi != nil && fi.Mode().IsRegular() || wantKind == fs.ModeSymlink {
			got, _ := os.ReadFile(p)
			if err == nil && !bytes.Equal(got, data) {
				t.Fatalf("kind %d: wrote %q, read %q", kind%6, data, got)
			}
			if err != nil && !bytes.Equal(got, old) {
				t.Fatalf("kind %d: failed write changed the file: %v", kind%6, err)
			}
		}
		if kind%6 == 3 || kind%6 == 4 || kind%6 == 5 {
			if err == nil {
				t.Fatalf("kind %d: write succeeded", kind%6)
			}
		}
		assertNoTemp(t, dir)
	})
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if filepath.Ext(e.Name()) != "" && e.Name()[0] == '.' {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}
}

// FuzzReadFile reads paths of every kind with random caps: never hangs, never returns more than
// the cap, and accepts only regular files.
func FuzzReadFile(f *testing.F) {
	f.Add(uint8(0), int64(10), []byte("abc"))
	f.Add(uint8(1), int64(0), []byte{})
	f.Add(uint8(2), int64(1), []byte("abc"))
	f.Fuzz(func(t *testing.T, kind uint8, limit int64, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "in")
		regular := false
		switch kind % 4 {
		case 0:
			os.WriteFile(p, data, 0o644)
			regular = true
		case 1:
			if syscall.Mkfifo(p, 0o644) != nil {
				t.Skip()
			}
		case 2:
			p = "/dev/zero"
		case 3:
			p = dir
		}
		b, _, err := ReadFile(context.Background(), p, limit)
		if !regular {
			if !errors.Is(err, ErrNotRegular) {
				t.Fatalf("non-regular %s: err = %v", p, err)
			}
			return
		}
		eff := limit
		if eff <= 0 {
			eff = DefaultLimit
		}
		if int64(len(data)) > eff {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("over cap: err = %v", err)
			}
			return
		}
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("read %q, %v; want %q", b, err, data)
		}
	})
}
