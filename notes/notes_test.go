package notes

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/notebooks"
)

var update = flag.Bool("update", false, "rewrite testdata/*.md golden files")

const demoPath = "../testdata/demo/churn.ipynb"

// tutorialPath is GoNB's tutorial in the module cache (go.mod pins GoNB as a tool).
var tutorialPath = func() string {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return ""
	}
	return filepath.Join(strings.TrimSpace(string(out)), "github.com", "janpfeifer", "gonb@v0.11.1", "examples", "tutorial.ipynb")
}()

func load(t testing.TB, path string) (*notebooks.Notebook, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		if path == tutorialPath {
			t.Skipf("GoNB's tutorial is not in the module cache: %v", err)
		}
		t.Fatal(err)
	}
	nb, err := notebooks.Parse(path, raw)
	if err != nil {
		t.Fatal(err)
	}
	return nb, raw
}

func analyze(t testing.TB, path string) (*notebooks.Notebook, []byte, *Notes) {
	t.Helper()
	nb, raw := load(t, path)
	n, err := Analyze(nb, raw)
	if err != nil {
		t.Fatal(err)
	}
	return nb, raw, n
}

func TestDemoGolden(t *testing.T) {
	_, _, n := analyze(t, demoPath)
	got := n.Markdown()
	golden := filepath.Join("testdata", "churn.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("notes differ from %s (run go test -update and review the diff):\n%s", golden, got)
	}
}

// smellsOf returns the smells of a kind in a cell.
func smellsOf(n *Notes, cell int, kind Kind) []Smell {
	var out []Smell
	for _, s := range n.Cells[cell].Smells {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

func TestDemoFacts(t *testing.T) {
	_, _, n := analyze(t, demoPath)
	if !n.Labeled || n.Suggested || n.Plan == nil {
		t.Fatalf("labeled=%v suggested=%v plan=%v; want a labeled, planned notebook", n.Labeled, n.Suggested, n.Plan != nil)
	}
	if got := n.Cells[6].Section; got != extract.Preparation {
		t.Errorf("cell 6 section = %v, want preparation", got)
	}
	// Cell 6: the hard-coded path is covered by the TODO above it, SELECT * is not.
	if p := smellsOf(n, 6, HardCodedPath); len(p) != 1 || !p[0].Noted || p[0].Line != 11 {
		t.Errorf("cell 6 hard-coded path smells = %+v, want one, noted, on line 11", p)
	}
	if s := smellsOf(n, 6, SelectStar); len(s) != 1 || s[0].Noted || s[0].Line != 36 {
		t.Errorf("cell 6 SELECT * smells = %+v, want one, not noted, on line 36", s)
	}
	// Uses are type-checked across cells: a %% body that calls loadCustomers.
	found := false
	for _, u := range n.Cells[7].Uses {
		found = found || u.Name == "loadCustomers" && u.Cell == 6
	}
	if !found {
		t.Errorf("cell 7 uses = %+v, want loadCustomers from cell 6", n.Cells[7].Uses)
	}
	// A local variable named like a package-level one is not a use of it.
	for _, u := range n.Cells[15].Uses {
		if u.Name == "customers" {
			t.Errorf("cell 15 uses its own local customers as a notebook declaration")
		}
	}
	var io []string
	for _, x := range n.Cells[2].IO {
		io = append(io, x.Kind+" "+x.Call+" "+x.Target)
	}
	if !strings.Contains(strings.Join(io, "\n"), `database sql.Open "churn.db"`) {
		t.Errorf("cell 2 I/O = %q, want sql.Open of churn.db", io)
	}
	// prepareTrain and prepareTest are one block with renamed variables.
	ok := false
	for _, d := range n.Duplicates {
		if len(d.Places) == 2 && d.Places[0].Func == "prepareTrain" && d.Places[1].Func == "prepareTest" {
			ok = true
		}
	}
	if !ok {
		t.Errorf("duplicates = %+v, want prepareTrain ≈ prepareTest", n.Duplicates)
	}
	if s := smellsOf(n, 14, InitEffect); len(s) != 1 || !strings.Contains(s[0].Message, "trainModel") {
		t.Errorf("cell 14 init smells = %+v, want var model = trainModel()", s)
	}
	if len(n.Cells[6].Todos) != 2 {
		t.Errorf("cell 6 TODOs = %+v, want 2", n.Cells[6].Todos)
	}
	// The demo keeps exploration cells before the first label: --check says so.
	probs := n.Check()
	if len(probs) != 2 || probs[0].Cell != 2 || probs[1].Cell != 3 {
		t.Errorf("Check() = %v, want the two exploration cells", probs)
	}
}

func TestTutorialFacts(t *testing.T) {
	_, _, n := analyze(t, tutorialPath)
	if n.Labeled || !n.Suggested {
		t.Fatalf("labeled=%v suggested=%v; the tutorial has no labels", n.Labeled, n.Suggested)
	}
	if s := smellsOf(n, 9, PackageState); len(s) != 1 || !strings.Contains(s[0].Message, "cell 11 reads it") {
		t.Errorf("cell 9 package-state smells = %+v, want startValue read by cell 11", s)
	}
	for _, c := range []int{39, 40} {
		if s := smellsOf(n, c, InitEffect); len(s) != 1 {
			t.Errorf("cell %d init smells = %+v, want one for its init_ func", c, s)
		}
	}
	// Shell lines in command-only cells: reported, but no TODO can go there.
	s := smellsOf(n, 52, ShellCommand)
	if len(s) != 2 || s[0].Todo != "" {
		t.Errorf("cell 52 shell smells = %+v, want two without TODOs", s)
	}
	if len(n.Cells[15].Commands) != 1 || !strings.Contains(n.Cells[15].Commands[0], "%rm") {
		t.Errorf("cell 15 commands = %q, want the %%rm", n.Cells[15].Commands)
	}
	for _, c := range n.Cells {
		for _, s := range c.Smells {
			if s.Severity == Severe {
				t.Errorf("severe smell in the tutorial: %+v", s)
			}
		}
	}
	if p := n.Check(); len(p) == 0 || p[0].Cell != -1 {
		t.Errorf("Check() = %v, want the missing labels first", p)
	}
}

// cellsJSON returns each cell's JSON text as it appears in a formatted notebook.
func cellsJSON(t *testing.T, data []byte) []string {
	t.Helper()
	var top struct{ Cells []json.RawMessage }
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range top.Cells {
		out = append(out, string(c))
	}
	return out
}

func TestAnnotateRoundTrip(t *testing.T) {
	for _, path := range []string{demoPath, tutorialPath} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			nb, raw, n := analyze(t, path)
			orig := map[*notebooks.Cell]int{}
			for i, c := range nb.Cells {
				orig[c] = i
			}
			before := cellsJSON(t, raw)
			sources := make([]string, len(nb.Cells))
			for i, c := range nb.Cells {
				sources[i] = c.Source
			}
			changed := Annotate(nb, n)
			if len(changed) == 0 {
				t.Fatal("Annotate changed nothing")
			}
			out, err := notebooks.Format(nb)
			if err != nil {
				t.Fatal(err)
			}
			after := cellsJSON(t, out)
			isChanged := map[int]bool{}
			for _, i := range changed {
				isChanged[i] = true
			}
			for i, c := range nb.Cells {
				o, existed := orig[c]
				switch {
				case !existed:
					if !isChanged[i] || c.Type != "markdown" {
						t.Errorf("cell %d was added but not reported, or is not a heading", i)
					}
				case isChanged[i]:
					if !sameCode(sources[o], c.Source) {
						t.Errorf("cell %d: annotating changed the code:\n%s", i, c.Source)
					}
				default:
					if before[o] != after[i] {
						t.Errorf("cell %d (was %d) is not annotated but its bytes changed", i, o)
					}
				}
			}
			// The written notebook reads back, and a second run changes nothing.
			nb2, err := notebooks.Parse(path, out)
			if err != nil {
				t.Fatalf("the annotated notebook does not parse: %v", err)
			}
			n2, err := Analyze(nb2, out)
			if err != nil {
				t.Fatal(err)
			}
			if !n2.Labeled {
				t.Errorf("the annotated notebook has no labels")
			}
			if again := Annotate(nb2, n2); len(again) != 0 {
				t.Errorf("second Annotate changed cells %v", again)
			}
			out2, _ := notebooks.Format(nb2)
			if !bytes.Equal(out, out2) {
				t.Errorf("second Annotate changed the bytes")
			}
			for _, s := range n2.Smells() {
				if s.Todo != "" && !s.Noted {
					t.Errorf("after annotating, smell still not noted: %+v", s)
				}
			}
			validate(t, out)
		})
	}
}

// validate checks the notebook with Jupyter's own validator when it is installed.
func validate(t *testing.T, data []byte) {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import nbformat").Run(); err != nil {
		t.Logf("skipping nbformat validation: %s has no nbformat", py)
		return
	}
	p := filepath.Join(t.TempDir(), "nb.ipynb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], 4))", p).CombinedOutput()
	if err != nil {
		t.Errorf("nbformat rejects the annotated notebook: %v\n%s", err, out)
	}
}

func BenchmarkAnalyzeDemo(b *testing.B) {
	nb, raw := load(b, demoPath)
	for b.Loop() {
		if _, err := Analyze(nb, raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyzeTutorial(b *testing.B) {
	nb, raw := load(b, tutorialPath)
	for b.Loop() {
		if _, err := Analyze(nb, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// No rendering of the notes (Markdown, JSON, the live page's HTML, the text written back into
// cells) shows a password or token the notebook holds.
func TestNotesMaskSecrets(t *testing.T) {
	raw, err := os.ReadFile("testdata/secrets.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	nb, err := notebooks.Parse("secrets.ipynb", raw)
	if err != nil {
		t.Fatal(err)
	}
	n, err := Analyze(nb, raw)
	if err != nil {
		t.Fatal(err)
	}
	js, err := n.JSON()
	if err != nil {
		t.Fatal(err)
	}
	Annotate(nb, n)
	var smells []string
	for _, c := range n.Cells {
		for _, s := range c.Smells {
			smells = append(smells, s.Message, s.Todo)
		}
	}
	outputs := map[string]string{"markdown": string(n.Markdown()), "json": string(js), "html": string(n.HTML()), "smells": strings.Join(smells, "\n")}
	for name, out := range outputs {
		for _, secret := range []string{"hunter2secret", "s3cr3tpw", "kvpass99", "urlpass77", "ghp_abcdefghij"} {
			if strings.Contains(out, secret) {
				t.Errorf("the %s notes print %q", name, secret)
			}
		}
	}
	if !strings.Contains(outputs["markdown"], "password=***") {
		t.Errorf("the Markdown notes lack the masked DSN:\n%s", outputs["markdown"])
	}
}
