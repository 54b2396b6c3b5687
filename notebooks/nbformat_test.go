package notebooks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nbformatCheck is run by Python's nbformat package: for each file it
// validates the notebook against the official schema and checks that
// nbformat writes it back to the very same bytes.
const nbformatCheck = `
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

// TestAgreesWithNbformat cross-checks notebooks built or edited here with
// the reference implementation, when it is installed.
func TestAgreesWithNbformat(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if exec.Command(python, "-c", "import nbformat").Run() != nil {
		python = "/usr/bin/python3" // the system Python may have it when another one is first in PATH
		if exec.Command(python, "-c", "import nbformat").Run() != nil {
			t.Skip("Python nbformat not installed")
		}
	}
	dir := t.TempDir()
	write := func(name string, nb *Notebook) string {
		path := filepath.Join(dir, name)
		if err := WriteFile(path, nb); err != nil {
			t.Fatal(err)
		}
		return path
	}
	files := []string{write("constructed.ipynb", constructed(t))}

	src := filepath.Join(gonbDir, "tutorial.ipynb")
	if data, err := os.ReadFile(src); err == nil {
		nb := mustParse(t, src, data)
		for i, c := range nb.Cells {
			if i%2 == 0 {
				c.Source = "edited\r\nsource " + strings.Repeat("\u2028x", i%4) + "\n"
			}
			for j := range c.Outputs {
				o := &c.Outputs[j]
				o.Text += "more\n"
				if o.Data != nil {
					o.Data["text/plain"] += "\nmore"
				}
			}
		}
		for i := len(nb.Cells); i >= 0; i -= 5 {
			nb.InsertCell(i, nb.NewMarkdownCell("inserted\n\n"))
		}
		files = append(files, write("tutorial-edited.ipynb", nb))
	}
	out, err := exec.Command(python, append([]string{"-c", nbformatCheck}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("nbformat disagrees: %v\n%s", err, out)
	}
}
