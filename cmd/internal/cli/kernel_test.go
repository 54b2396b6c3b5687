package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/proxy"
)

func runKernelCmd(t *testing.T, env Env, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env.Stdout, env.Stderr = &out, &errb
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	var run func(context.Context, []string, Env) error
	for _, c := range kernelCommands() {
		if c.name == "kernel" {
			run = c.run
		}
	}
	if run == nil {
		t.Fatal("kernelCommands has no kernel command")
	}
	code := runCommand(context.Background(), run, args, env, "decant kernel")
	return code, out.String(), errb.String()
}

func TestKernelInstallPrefix(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runKernelCmd(t, Env{}, "install", "--prefix", dir, "--decant", "/opt/bin/decant")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	kernels := filepath.Join(dir, "share", "jupyter", "kernels")
	spec, err := kernel.FindSpecIn([]string{kernels}, "decant-go")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/opt/bin/decant", "kernel", "serve", "--connection-file", "{connection_file}"}
	if strings.Join(spec.Argv, " ") != strings.Join(want, " ") {
		t.Errorf("argv %q, want %q", spec.Argv, want)
	}
	if spec.DisplayName != "Go (GoNB + Decant)" || spec.Language != "go" || spec.InterruptMode != "message" {
		t.Errorf("spec %+v", spec)
	}
	if !strings.Contains(out, filepath.Join(kernels, "decant-go")) {
		t.Errorf("output %q does not name the directory", out)
	}
}

func TestKernelInstallUser(t *testing.T) {
	data := t.TempDir()
	getenv := func(k string) string {
		if k == "JUPYTER_DATA_DIR" {
			return data
		}
		return ""
	}
	code, _, stderr := runKernelCmd(t, Env{Getenv: getenv}, "install", "--user", "--name", "go-decant", "--decant", "decant")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(data, "kernels", "go-decant", "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := kernel.ParseSpec("go-decant", "", raw)
	if err != nil {
		t.Fatal(err)
	}
	// A relative --decant is made absolute: Jupyter starts kernels from the notebook's folder.
	if !filepath.IsAbs(spec.Argv[0]) {
		t.Errorf("argv[0] %q is not absolute", spec.Argv[0])
	}
	home := t.TempDir()
	getenv = func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	if code, _, stderr := runKernelCmd(t, Env{Getenv: getenv}, "install", "--decant", "/x/decant"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "jupyter", "kernels", "decant-go", "kernel.json")); err != nil {
		t.Errorf("default user install: %v", err)
	}
}

func TestKernelUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"install", "--user", "--prefix", "/tmp/x"},
		{"install", "--name", "a/b"},
		{"install", "extra"},
		{"serve"},
		{"serve", "--connection-file", "f", "extra"},
		{"run"}, // owned by another command, not by kernel
	} {
		if code, _, stderr := runKernelCmd(t, Env{}, args...); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, ExitUsage, stderr)
		}
	}
	if code, out, _ := runKernelCmd(t, Env{}, "--help"); code != ExitOK || !strings.Contains(out, "install") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

func TestKernelServeBadConnectionFile(t *testing.T) {
	code, _, stderr := runKernelCmd(t, Env{}, "serve", "--connection-file", filepath.Join(t.TempDir(), "missing.json"))
	if code != ExitProblem || !strings.Contains(stderr, "connection file") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestTakeNotebookFlag(t *testing.T) {
	for _, tt := range []struct {
		args       []string
		nb, rest   string
		wantErrors bool
	}{
		{[]string{"--no-verify", "--notebook", "a.ipynb", "-q"}, "a.ipynb", "--no-verify -q", false},
		{[]string{"--notebook=b.ipynb"}, "b.ipynb", "", false},
		{[]string{"--dry-run"}, "", "--dry-run", false},
		{[]string{"--notebook"}, "", "", true},
	} {
		nb, rest, err := takeNotebookFlag(tt.args)
		if (err != nil) != tt.wantErrors || nb != tt.nb || strings.Join(rest, " ") != tt.rest {
			t.Errorf("%q: %q %q %v", tt.args, nb, rest, err)
		}
	}
}

// The extract magic runs decant extract on the resolved notebook and fails
// the cell when extract fails.
func TestExtractMagicReportsFailure(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.ipynb"), []byte("not json"), 0o644)
	var out, errb bytes.Buffer
	m := notebookMagic(Env{}, "extract", "", false)
	_, err := m.Run(context.Background(), []string{"--no-verify"}, proxy.MagicEnv{Stdout: &out, Stderr: &errb, Dir: dir,
		Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("err %v", err)
	}
	if !strings.Contains(errb.String(), "broken.ipynb") {
		t.Errorf("stderr %q does not name the notebook", errb.String())
	}
}
