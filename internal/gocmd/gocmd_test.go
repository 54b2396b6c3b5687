package gocmd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// An interrupted go build leaves no work directory behind.
func TestCanceledBuildLeavesNothing(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.22\n"), 0o644)
	// A package big enough that the build is still running when it is canceled.
	var src strings.Builder
	src.WriteString("package main\n\nfunc main() {}\n")
	for i := range 20000 {
		src.WriteString("func f" + strconv.Itoa(i) + "() int { return " + strconv.Itoa(i) + " }\n")
	}
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src.String()), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "go", "build", "-a", "-o", os.DevNull, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOCACHE="+t.TempDir())
	cleanup, err := Prepare(cmd)
	if err != nil {
		t.Fatal(err)
	}
	var tmp string
	for _, kv := range cmd.Env {
		if v, ok := strings.CutPrefix(kv, "GOTMPDIR="); ok {
			tmp = v
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	cmd.Wait()
	cleanup()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("GOTMPDIR %s left behind: %v", tmp, err)
	}
}
