// Package nbcheck checks, in tests, notebooks that Decant wrote against Jupyter's own tools:
// Python's nbformat validator, and a round trip through jupyter nbconvert --to notebook, which
// must give back the very same bytes. Tests skip the checks whose tools are not installed.
package nbcheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const validate = `
import sys, nbformat
bad = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    try:
        nbformat.validate(nb)
    except Exception as e:
        print(path, "invalid:", str(e).splitlines()[0]); bad += 1; continue
    if nbformat.writes(nb) + "\n" != text:
        print(path, "nbformat writes different bytes"); bad += 1
sys.exit(1 if bad else 0)
`

// python returns a Python that has nbformat, or "".
func python() string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import nbformat").Run() == nil {
			return path
		}
	}
	return ""
}

// Validate fails t unless every file passes nbformat's validator and nbformat writes it back
// byte for byte. It logs and returns false when nbformat is not installed.
func Validate(t testing.TB, files ...string) bool {
	t.Helper()
	py := python()
	if py == "" {
		t.Log("Python nbformat not installed: notebooks not validated (Debian: python3-nbformat)")
		return false
	}
	out, err := exec.Command(py, append([]string{"-c", validate}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("nbformat rejects notebooks: %v\n%s", err, out)
	}
	return true
}

// RoundTrip fails t unless jupyter nbconvert --to notebook writes every file back unchanged. It
// logs and returns false when jupyter nbconvert is not installed.
func RoundTrip(t testing.TB, files ...string) bool {
	t.Helper()
	jupyter, err := exec.LookPath("jupyter")
	if err != nil || exec.Command(jupyter, "nbconvert", "--version").Run() != nil {
		t.Log("jupyter nbconvert not installed: Jupyter round trip not checked (Debian: jupyter-nbconvert)")
		return false
	}
	dir := t.TempDir()
	for i, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out"+string(rune('a'+i%26))+".ipynb")
		cmd := exec.Command(jupyter, "nbconvert", "--to", "notebook", "--output", out, f)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("jupyter nbconvert %s: %v\n%s", f, err, msg)
			continue
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("jupyter nbconvert --to notebook changed %s", f)
		}
	}
	return true
}

// Check runs Validate and RoundTrip.
func Check(t testing.TB, files ...string) {
	t.Helper()
	Validate(t, files...)
	RoundTrip(t, files...)
}
