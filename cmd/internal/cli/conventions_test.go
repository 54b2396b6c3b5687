package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/decant-go/decant/internal/safefile"
)

func TestVersionOf(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/decant-go/decant", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}}}
	if got, want := versionOf(bi, ""), "v0.3.0 (git 0123456789ab+modified, 2026-01-02T03:04:05Z, go1.26.8)"; got != want {
		t.Errorf("versionOf = %q, want %q", got, want)
	}
	// -buildvcs=false: no revision, and the text says so instead of claiming one.
	bi = &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	if got := versionOf(bi, ""); !strings.HasPrefix(got, "(devel) (no VCS revision recorded") {
		t.Errorf("versionOf without VCS = %q", got)
	}
	if got := versionOf(bi, "v9.9.9"); !strings.HasPrefix(got, "v9.9.9 ") {
		t.Errorf("link-time version ignored: %q", got)
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	exited := make(chan int, 1)
	var stderr bytes.Buffer
	ctx, stop := notifyContext(context.Background(), sigs, &stderr, func(code int) { exited <- code })
	defer stop()
	sigs <- os.Interrupt
	<-ctx.Done()
	select {
	case <-exited:
		t.Fatal("first signal exited")
	case <-time.After(50 * time.Millisecond):
	}
	sigs <- os.Interrupt
	select {
	case code := <-exited:
		if code != 130 {
			t.Fatalf("exit code %d, want 130", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not exit")
	}
}

func TestTerminalDetection(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("/dev/null counted as a terminal")
	}
	env := Env{Getenv: func(k string) string { return map[string]string{"TERM": "dumb"}[k] }}
	if !plainOutput(env) {
		t.Error("TERM=dumb is not plain")
	}
	env = Env{Getenv: func(k string) string { return map[string]string{"NO_COLOR": "1", "TERM": "xterm"}[k] }}
	if !plainOutput(env) {
		t.Error("NO_COLOR is not plain")
	}
}

func TestVersionedJSON(t *testing.T) {
	for _, in := range []string{`{"a": 1}`, "{\n  \"a\": [1]\n}\n", `{}`, `[1,2]`, `null`, ``} {
		var doc map[string]any
		if err := json.Unmarshal(versionedJSON("k", []byte(in)), &doc); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if doc["schema_version"] != float64(JSONSchemaVersion) || doc["kind"] != "k" {
			t.Fatalf("%q: %v", in, doc)
		}
	}
}

// doc --write must not replace an edit another writer (an autosave) made while it ran.
func TestDocWriteRefusesConcurrentEdit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nb.ipynb")
	data, err := os.ReadFile("../../../testdata/demo/churn.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, data, 0o644)
	nb, n, stamp, err := readNotes(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// The autosave: same notebook with one more byte of whitespace.
	autosaved := append(bytes.Clone(data), '\n')
	os.WriteFile(path, autosaved, 0o644)
	var stderr bytes.Buffer
	_, err = docWrite(context.Background(), path, nb, n, stamp, false, Env{Stdout: &bytes.Buffer{}, Stderr: &stderr})
	if !errors.Is(err, safefile.ErrModified) {
		if err == nil && strings.Contains(stderr.String(), "nothing to write") {
			t.Skip("the demo notebook already carries its notes")
		}
		t.Fatalf("err = %v, want ErrModified", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, autosaved) {
		t.Fatal("the autosaved edit was lost")
	}
}

// A FIFO given as the notebook is refused at once (it used to hang, ignoring signals).
func TestDocFIFONotebook(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip(err)
	}
	done := make(chan int, 1)
	go func() {
		code, _, _ := runDocCmd(t, "doc", p)
		done <- code
	}()
	select {
	case code := <-done:
		if code != ExitProblem {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("decant doc hangs on a FIFO")
	}
}
