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

// cancelOn is a writer that cancels a context when a line containing text is written.
type cancelOn struct {
	syncBuffer
	text   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.text) {
		c.cancel()
	}
	return c.syncBuffer.Write(p)
}

// Interrupting extract while it verifies is reported as an interrupt, not as failed checks,
// and leaves no go-build directory behind.
func TestExtractInterruptedWhileVerifying(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	nb := demoCopy(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errb := &cancelOn{text: "verifying the service", cancel: cancel}
	env := Env{Stdout: &bytes.Buffer{}, Stderr: errb, Getenv: os.Getenv, Dir: filepath.Dir(nb)}
	code := runCommand(ctx, runExtract, []string{"--refactor=none", "--repo", "svc", nb}, env, "decant extract")
	if code == ExitOK {
		t.Fatal("interrupted extract exited 0")
	}
	if s := errb.String(); strings.Contains(s, "does not pass its checks") || !strings.Contains(s, "interrupted") {
		t.Fatalf("stderr: %s", s)
	}
	time.Sleep(100 * time.Millisecond)
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "go-build") || strings.HasPrefix(e.Name(), "decant-") {
			t.Errorf("left behind in TMPDIR: %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(nb), "svc")); err == nil {
		t.Error("the repository was created by an interrupted extract")
	}
}

// doc --write must not rewrite bytes of cells it does not change: a notebook that is not valid
// UTF-8 is refused (decoding would replace the bytes everywhere), and left as it was.
func TestDocWriteRefusesInvalidUTF8(t *testing.T) {
	nb := demoCopy(t)
	data, _ := os.ReadFile(nb)
	i := bytes.Index(data, []byte(`"# `))
	if i < 0 {
		t.Skip("no markdown heading in the demo")
	}
	bad := append(append(bytes.Clone(data[:i+3]), 0xff, 0xfe), data[i+3:]...)
	os.WriteFile(nb, bad, 0o644)
	code, _, stderr := runDocCmd(t, "doc", "--write", nb)
	if code == ExitOK || !strings.Contains(stderr, "not valid UTF-8") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	if got, _ := os.ReadFile(nb); !bytes.Equal(got, bad) {
		t.Fatal("the notebook was rewritten")
	}
}
