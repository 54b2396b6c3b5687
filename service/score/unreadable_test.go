package score

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// Files score cannot read are reported, not fatal, and a FIFO named go.mod does not hang it.
func TestUnreadableFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"go.mod":       {Data: []byte("module example.com/x\n\ngo 1.22\n")},
		"x/x.go":       {Data: []byte("package x\n")},
		"x/big.go":     {Data: []byte("package x\n" + strings.Repeat("//\n", maxFileSize))},
		"x/special.go": {Mode: os.ModeDevice},
	}
	res, err := Check(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unreadable) != 1 || !strings.Contains(res.Unreadable[0], "big.go") {
		t.Errorf("unreadable = %q", res.Unreadable)
	}

	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "go.mod"), 0o644); err != nil {
		t.Skip(err)
	}
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"), 0o644)
	done := make(chan error, 1)
	go func() { _, err := Check(os.DirFS(dir), nil); done <- err }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("score hangs on a FIFO named go.mod")
	}
}
