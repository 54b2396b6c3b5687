package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/decant-go/decant/extract/manifest"
	"github.com/decant-go/decant/internal/nbcheck"
	"github.com/decant-go/decant/notebooks"
)

var syncClock = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// runCmd runs a decant subcommand in-process.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return syncClock }, Getenv: os.Getenv}
	code = Main(context.Background(), args, env)
	return code, out.String(), errb.String()
}

// gonbExample returns the path of one of GoNB's example notebooks, fetched by the go command
// into the module cache (GoNB is pinned by go.mod), or skips the test.
func gonbExample(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "github.com/janpfeifer/gonb@v0.11.1").Output()
	var mod struct{ Dir string }
	if err != nil || json.Unmarshal(out, &mod) != nil || mod.Dir == "" {
		t.Skipf("GoNB's examples are not available: %v", err)
	}
	p := filepath.Join(mod.Dir, "examples", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("GoNB example %s: %v", name, err)
	}
	return p
}

// copyNotebook copies a notebook (and its data files) into a fresh directory.
func copyNotebook(t *testing.T, src string, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range append([]string{src}, extra...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, filepath.Base(src))
}

// editOnMain commits edits (old text -> new text, per file) on main with go-git, in the
// checked-out work tree, as an engineer would.
func editOnMain(t *testing.T, repoDir string, edits map[string][2]string) {
	t.Helper()
	repo, err := git.PlainOpen(repoDir)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil || head.Name() != plumbing.NewBranchReferenceName("main") {
		t.Fatalf("main is not checked out: %v %v", head, err)
	}
	names := make([]string, 0, len(edits))
	for n := range edits {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		e := edits[name]
		p := filepath.Join(repoDir, name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if e[0] == "" {
			data = append(data, e[1]...)
		} else {
			if !bytes.Contains(data, []byte(e[0])) {
				t.Fatalf("%s does not contain %q:\n%s", name, e[0], data)
			}
			data = bytes.Replace(data, []byte(e[0]), []byte(e[1]), 1)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			t.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "Engineer", Email: "eng@example.com", When: syncClock}
	if _, err := wt.Commit("edit the service", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
		t.Fatal(err)
	}
}

// treeFiles reads every file of a revision.
func treeFiles(t *testing.T, repoDir, rev string) map[string]string {
	t.Helper()
	repo, err := git.PlainOpen(repoDir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	tree.Files().ForEach(func(f *object.File) error {
		s, err := f.Contents()
		files[f.Name] = s
		return err
	})
	return files
}

// notebookDerived reports whether a service file is made from the notebook's code, as opposed
// to describing the notebook (the README and manifest name its hash).
func notebookDerived(name string) bool {
	return name != "README.md" && name != ".decant/manifest.json"
}

// notebookHash returns the notebook sha256 that rev's extraction manifest records.
func notebookHash(t *testing.T, files map[string]string, rev string) string {
	t.Helper()
	m, err := manifest.Decode([]byte(files[manifest.Path]))
	if err != nil || m.SHA256 == "" {
		t.Fatalf("%s: no extraction manifest with the notebook's hash: %v", rev, err)
	}
	return m.SHA256
}

// assertFixedPoint checks that git diff main decant/<slug> is empty for every file that came
// from the notebook: the library package's files, which the manifest maps to cells, and which
// must be byte-identical. Generated files (server, artifact store, tests, build files) are made
// from the notebook too but not merged back; the one difference allowed there is the notebook's
// hash, which they record as the provenance of what they build, and which changes when sync
// edits the notebook.
func assertFixedPoint(t *testing.T, repoDir, branch string) {
	t.Helper()
	main, br := treeFiles(t, repoDir, "main"), treeFiles(t, repoDir, branch)
	oldHash, newHash := notebookHash(t, main, "main"), notebookHash(t, br, branch)
	m, _ := manifest.Decode([]byte(br[manifest.Path]))
	library := map[string]bool{}
	for _, d := range m.Decls {
		library[d.File] = true
	}
	if len(library) == 0 {
		t.Fatalf("%s: the manifest maps no library file to the notebook", branch)
	}
	for name, data := range main {
		if !notebookDerived(name) {
			continue
		}
		b, ok := br[name]
		if !library[name] {
			data = strings.ReplaceAll(data, oldHash, newHash)
		}
		switch {
		case !ok:
			t.Errorf("%s is on main but not on %s after the round trip", name, branch)
		case b != data:
			t.Errorf("%s differs between main and %s after the round trip:\n%s", name, branch, lineDiffText(data, b))
		}
	}
	for name := range br {
		if _, ok := main[name]; !ok && notebookDerived(name) {
			t.Errorf("%s is on %s but not on main after the round trip", name, branch)
		}
	}
}

func lineDiffText(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var sb strings.Builder
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			sb.WriteString("  -" + x + "\n  +" + y + "\n")
		}
	}
	return sb.String()
}

type roundTripCase struct {
	notebook string
	extra    []string // data files beside it
	flags    []string // extraction flags
	slug     string
	edits    map[string][2]string
	want     []string // in the synced notebook
	cells    int      // how many cells sync changes (default 1)
}

// roundTrip extracts, edits main, syncs and extracts again, then checks the fixed point.
func roundTrip(t *testing.T, c roundTripCase) string {
	nbPath := copyNotebook(t, c.notebook, c.extra...)
	repo := filepath.Join(filepath.Dir(nbPath), "svc")
	args := append([]string{"extract", "-q", "--repo", repo, "--date", "2026-02-03T04:05:06Z"}, c.flags...)
	if code, out, errs := runCmd(t, append(args, nbPath)...); code != 0 {
		t.Fatalf("extract: exit %d\n%s\n%s", code, out, errs)
	}
	editOnMain(t, repo, c.edits)
	before, _ := os.ReadFile(nbPath)

	code, out, errs := runCmd(t, "sync", "--repo", repo, "--dry-run", nbPath)
	if code != 0 || !strings.Contains(out, "dry run") {
		t.Fatalf("sync --dry-run: exit %d\n%s\n%s", code, out, errs)
	}
	if after, _ := os.ReadFile(nbPath); !bytes.Equal(after, before) {
		t.Fatal("sync --dry-run wrote the notebook")
	}
	code, out, errs = runCmd(t, "sync", "--repo", repo, nbPath)
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	after, _ := os.ReadFile(nbPath)
	for _, w := range c.want {
		if !bytes.Contains(after, []byte(w)) {
			t.Errorf("the synced notebook lacks %q\n%s", w, out)
		}
	}
	assertOnlyCellsChanged(t, before, after, max(c.cells, 1))
	nbcheck.Check(t, nbPath)

	if code, out, errs := runCmd(t, append(args, nbPath)...); code != 0 {
		t.Fatalf("extract again: exit %d\n%s\n%s", code, out, errs)
	}
	assertFixedPoint(t, repo, "decant/"+c.slug)
	// Syncing again finds nothing to do.
	if code, out, errs := runCmd(t, "sync", "--repo", repo, nbPath); code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("second sync: exit %d\n%s\n%s", code, out, errs)
	}
	return nbPath
}

// assertOnlyCellsChanged checks that sync changed n cells and every other cell kept its bytes
// (source, id, outputs, metadata).
func assertOnlyCellsChanged(t *testing.T, before, after []byte, n int) {
	t.Helper()
	var a, b struct {
		Cells []json.RawMessage `json:"cells"`
	}
	if json.Unmarshal(before, &a) != nil || json.Unmarshal(after, &b) != nil {
		t.Fatal("notebook is not JSON")
	}
	same := 0
	for _, c := range a.Cells {
		if bytes.Contains(after, c) {
			same++
		}
	}
	if len(b.Cells) != len(a.Cells) || same != len(a.Cells)-n {
		t.Errorf("sync changed %d of %d cells (now %d cells), want %d changed", len(a.Cells)-same, len(a.Cells), len(b.Cells), n)
	}
}

func TestSyncRoundTripDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the demo twice")
	}
	roundTrip(t, roundTripCase{
		notebook: "../../../testdata/demo/churn.ipynb",
		extra:    []string{"../../../testdata/demo/churn.db"},
		flags:    []string{"--no-verify"},
		slug:     "churn",
		edits: map[string][2]string{
			"churn/prediction.go": {
				"\tp, ok := planCodes[plan]\n",
				"\tif age < 0 {\n\t\treturn 0, fmt.Errorf(\"age %v is negative\", age)\n\t}\n\tp, ok := planCodes[plan]\n",
			},
			// prepareRows is prepareTrain and prepareTest, unified by the refactoring: the edit
			// goes to both, so that extracting again unifies them again.
			"churn/preprocessing.go": {"\t\tif c.TenureMonths < 0 {\n", "\t\tif c.TenureMonths < 0 || c.Age < 0 {\n"},
		},
		want: []string{`"\tif age < 0 {\n",`, `"\t\treturn 0, fmt.Errorf(\"age %v is negative\", age)\n",`,
			`"\t\tif c.TenureMonths < 0 || c.Age < 0 {\n",`, `"\t\tif row.TenureMonths < 0 || row.Age < 0 {\n",`},
		cells: 3,
	})
}

func TestSyncRoundTripGoNB(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts notebooks")
	}
	t.Run("functions", func(t *testing.T) {
		// The full extraction: the service is built, vetted and tested each time.
		roundTrip(t, roundTripCase{
			notebook: gonbExample(t, "tests/functions.ipynb"),
			flags:    []string{"--auto-label"},
			slug:     "functions",
			edits: map[string][2]string{
				"functions/preprocessing.go": {"\treturn x + T(1)\n", "\tone := T(1)\n\treturn x + one\n"},
			},
			want: []string{`"\tone := T(1)\n",`},
		})
	})
	t.Run("vartuple", func(t *testing.T) {
		roundTrip(t, roundTripCase{
			notebook: gonbExample(t, "tests/vartuple.ipynb"),
			flags:    []string{"--auto-label", "--no-verify"},
			slug:     "vartuple",
			edits: map[string][2]string{
				"vartuple/preprocessing.go": {"var c = float32(1.5)", "var c = float32(2.5)"},
			},
			want: []string{`float32(2.5)`},
		})
	})
}

// editCell changes a cell's source in the notebook file, as its author would in Jupyter.
func editCell(t *testing.T, nbPath, old, new string) {
	t.Helper()
	nb, err := notebooks.ParseFile(nbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range nb.Cells {
		if strings.Contains(c.Source, old) {
			c.Source = strings.Replace(c.Source, old, new, 1)
			if err := notebooks.WriteFile(nbPath, nb); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no cell contains %q", old)
}

func TestSyncConflictAndNewDeclaration(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts a notebook")
	}
	nbPath := copyNotebook(t, gonbExample(t, "tests/functions.ipynb"))
	repo := filepath.Join(filepath.Dir(nbPath), "svc")
	extract := []string{"extract", "-q", "--no-verify", "--auto-label", "--repo", repo, "--date", "2026-02-03T04:05:06Z", nbPath}
	if code, out, errs := runCmd(t, extract...); code != 0 {
		t.Fatalf("extract: exit %d\n%s\n%s", code, out, errs)
	}
	// Both sides change incr, differently; the service also gains a library function.
	editOnMain(t, repo, map[string][2]string{
		"functions/preprocessing.go": {"\treturn x + T(1)\n", "\treturn x + T(1) + 0\n"},
	})
	editOnMain(t, repo, map[string][2]string{
		"functions/preprocessing.go": {"", "\n// decr is the inverse of incr.\nfunc decr[T constraints.Float | constraints.Integer](x T) T {\n\treturn x - T(1)\n}\n"},
	})
	editCell(t, nbPath, "x+T(1)", "x+T(3)")
	before, _ := os.ReadFile(nbPath)
	serviceBefore := treeFiles(t, repo, "main")

	code, out, errs := runCmd(t, "sync", "--repo", repo, nbPath)
	if code != 1 {
		t.Fatalf("sync with a conflict: exit %d, want 1\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"conflict: incr changed in both the notebook (cell 1) and the service", "-    return x+T(3)", "+\treturn x + T(1) + 0", "cell 1 is left unchanged"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the conflict report lacks %q:\n%s", want, errs)
		}
	}
	after, _ := os.ReadFile(nbPath)
	if !bytes.Contains(after, []byte("x+T(3)")) {
		t.Error("the notebook's side of the conflict was lost")
	}
	if got := treeFiles(t, repo, "main"); got["functions/preprocessing.go"] != serviceBefore["functions/preprocessing.go"] {
		t.Error("sync changed the service")
	}
	// The new declaration went into a new cell all the same, labeled with its section.
	if !bytes.Contains(after, []byte(`"// 2. Pre/Post processing (added by decant sync from functions/preprocessing.go)\n"`)) ||
		!bytes.Contains(after, []byte(`"func decr[T constraints.Float | constraints.Integer](x T) T {\n"`)) {
		t.Errorf("no new cell for decr:\n%s", out)
	}
	// Every cell of the original notebook is still there, byte for byte, except the
	// conflicting one, which the author changed and sync left alone.
	var orig struct{ Cells []json.RawMessage }
	json.Unmarshal(before, &orig)
	for i, c := range orig.Cells {
		if !bytes.Contains(after, c) {
			t.Errorf("cell %d changed", i)
		}
	}
	nbcheck.Check(t, nbPath)

	// Extracting again puts decr in the library file it came from.
	if code, out, errs := runCmd(t, extract...); code != 0 {
		t.Fatalf("extract again: exit %d\n%s\n%s", code, out, errs)
	}
	if f := treeFiles(t, repo, "decant/functions")["functions/preprocessing.go"]; !strings.Contains(f, "func decr[") {
		t.Errorf("decr is not in preprocessing.go after extracting again:\n%s", f)
	}
}

// TestSyncLineShiftFixedPoint edits a declaration so that it grows by a line, moving the one
// after it in the same cell: the fixed point holds, because provenance notes name the cell and
// not the line, while the manifest records the declarations' new spans.
func TestSyncLineShiftFixedPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts a notebook")
	}
	nb := notebooks.New("shift.ipynb")
	if err := nb.SetMetadata("kernelspec", map[string]string{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}); err != nil {
		t.Fatal(err)
	}
	nb.InsertCell(0, nb.NewMarkdownCell("## 2. Pre/Post processing"))
	nb.InsertCell(1, nb.NewCodeCell("// double doubles.\nfunc double(x int) int {\n\treturn 2 * x\n}\n\n// triple triples.\nfunc triple(x int) int {\n\treturn 3 * x\n}"))
	nbPath := filepath.Join(t.TempDir(), "shift.ipynb")
	if err := notebooks.WriteFile(nbPath, nb); err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(filepath.Dir(nbPath), "svc")
	extract := []string{"extract", "-q", "--no-verify", "--repo", repo, "--date", "2026-02-03T04:05:06Z", nbPath}
	if code, out, errs := runCmd(t, extract...); code != 0 {
		t.Fatalf("extract: exit %d\n%s\n%s", code, out, errs)
	}
	editOnMain(t, repo, map[string][2]string{"shift/preprocessing.go": {"\treturn 2 * x\n", "\ty := 2 * x\n\treturn y\n"}})
	if code, out, errs := runCmd(t, "sync", "--repo", repo, nbPath); code != 0 {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := runCmd(t, extract...); code != 0 {
		t.Fatalf("extract again: exit %d\n%s\n%s", code, out, errs)
	}
	assertFixedPoint(t, repo, "decant/shift")

	// The exact spans are the manifest's: triple moved from cell line 7 to 8.
	cellLine := func(rev string) int {
		m, err := manifest.Decode([]byte(treeFiles(t, repo, rev)[manifest.Path]))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range m.Decls {
			if d.Key == "triple" {
				return d.CellLine
			}
		}
		t.Fatalf("%s: the manifest has no triple", rev)
		return 0
	}
	if before, after := cellLine("main"), cellLine("decant/shift"); before != 7 || after != 8 {
		t.Errorf("triple's cell line in the manifest: %d before the edit, %d after; want 7 and 8", before, after)
	}
	if src := treeFiles(t, repo, "decant/shift")["shift/preprocessing.go"]; !strings.Contains(src, "// triple triples.\n//\n// From shift.ipynb, cell 1.\nfunc triple") {
		t.Errorf("triple's provenance note is not the cell's:\n%s", src)
	}
}

// mergeIntoMain merges branch into main as a merge commit whose tree is the branch's (the
// engineers took the new extraction), and checks it out, with go-git.
func mergeIntoMain(t *testing.T, repoDir, branch string) {
	t.Helper()
	repo, err := git.PlainOpen(repoDir)
	if err != nil {
		t.Fatal(err)
	}
	mainRef, err := repo.Reference(plumbing.NewBranchReferenceName("main"), true)
	if err != nil {
		t.Fatal(err)
	}
	brRef, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatal(err)
	}
	tip, err := repo.CommitObject(brRef.Hash())
	if err != nil {
		t.Fatal(err)
	}
	sig := object.Signature{Name: "Engineer", Email: "eng@example.com", When: syncClock}
	c := &object.Commit{Author: sig, Committer: sig, Message: "Merge " + branch, TreeHash: tip.TreeHash,
		ParentHashes: []plumbing.Hash{mainRef.Hash(), brRef.Hash()}}
	obj := repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		t.Fatal(err)
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(mainRef.Name(), h)); err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: h, Mode: git.HardReset}); err != nil {
		t.Fatal(err)
	}
}

// The loop goes on: after the new extraction is merged into main, the next service edit syncs
// against it.
func TestSyncSecondCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts a notebook three times")
	}
	nbPath := roundTrip(t, roundTripCase{
		notebook: gonbExample(t, "tests/vartuple.ipynb"),
		flags:    []string{"--auto-label", "--no-verify"},
		slug:     "vartuple",
		edits:    map[string][2]string{"vartuple/preprocessing.go": {"\treturn 3, 5, 7\n", "\tx, y = 3, 5\n\treturn x, y, 7\n"}},
		want:     []string{`"\tx, y = 3, 5\n",`},
	})
	repo := filepath.Join(filepath.Dir(nbPath), "svc")
	mergeIntoMain(t, repo, "decant/vartuple")
	editOnMain(t, repo, map[string][2]string{"vartuple/preprocessing.go": {"\treturn x, y, 7\n", "\tz = 7\n\treturn x, y, z\n"}})
	code, out, errs := runCmd(t, "sync", "--repo", repo, nbPath)
	if code != 0 || !strings.Contains(out, "tupleFn updated") {
		t.Fatalf("second sync: exit %d\n%s\n%s", code, out, errs)
	}
	if data, _ := os.ReadFile(nbPath); !bytes.Contains(data, []byte(`"\tz = 7\n",`)) || !bytes.Contains(data, []byte(`"\tx, y = 3, 5\n",`)) {
		t.Errorf("the notebook lacks one of the two cycles' edits:\n%s", data)
	}
	extract := []string{"extract", "-q", "--auto-label", "--no-verify", "--repo", repo, "--date", "2026-02-03T04:05:06Z", nbPath}
	if code, out, errs := runCmd(t, extract...); code != 0 {
		t.Fatalf("extract: exit %d\n%s\n%s", code, out, errs)
	}
	assertFixedPoint(t, repo, "decant/vartuple")
}

// wasmNotebook writes a notebook whose %wasm cell becomes the browser program web/cell3.
func wasmNotebook(t *testing.T) string {
	t.Helper()
	nb := notebooks.New("wasmsync.ipynb")
	nb.InsertCell(0, nb.NewMarkdownCell("## 2. Pre/Post processing"))
	nb.InsertCell(1, nb.NewCodeCell("// SumStr adds two numbers written as text.\nfunc SumStr(a, b string) string { return strconv.Itoa(atoi(a) + atoi(b)) }\n\nfunc atoi(s string) int {\n\tn, err := strconv.Atoi(s)\n\tif err != nil {\n\t\treturn 0\n\t}\n\treturn n\n}\n\n%%\nfmt.Println(SumStr(\"1\", \"2\"))"))
	nb.InsertCell(2, nb.NewCodeCell("%wasm\n!echo $GONB_WASM_DIR"))
	nb.InsertCell(3, nb.NewCodeCell("%wasm\nimport \"syscall/js\"\n\n// greeting is what the page says.\nfunc greeting() string { return \"hello\" }\n\n%%\ndoc := js.Global().Get(\"document\")\ndiv := doc.Call(\"getElementById\", GonbWasmDivId)\ndiv.Set(\"innerText\", greeting()+\" \"+SumStr(\"40\", \"2\"))"))
	p := filepath.Join(t.TempDir(), "wasmsync.ipynb")
	if err := notebooks.WriteFile(p, nb); err != nil {
		t.Fatal(err)
	}
	return p
}

// Edits of a browser program (web/cell<N>/main.go) go back to its %wasm cell: a declaration
// of the cell, and the body of main, which is the cell's %% body written without the service
// package's qualifier; extracting again gives back the edited program.
func TestSyncWasmProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts a notebook twice")
	}
	roundTrip(t, roundTripCase{
		notebook: wasmNotebook(t),
		flags:    []string{"--no-verify"},
		slug:     "wasmsync",
		edits: map[string][2]string{
			"web/cell3/main.go": {
				"\tdiv.Set(\"innerText\", greeting()+\" \"+wasmsync.SumStr(\"40\", \"2\"))\n",
				"\tif div.IsNull() {\n\t\treturn\n\t}\n\tdiv.Set(\"innerText\", greeting()+\", \"+wasmsync.SumStr(\"40\", \"2\"))\n",
			},
		},
		want: []string{`"if div.IsNull() {\n",`, `"\treturn\n",`, `"div.Set(\"innerText\", greeting()+\", \"+SumStr(\"40\", \"2\"))"`},
	})
	roundTrip(t, roundTripCase{
		notebook: wasmNotebook(t),
		flags:    []string{"--no-verify"},
		slug:     "wasmsync",
		edits: map[string][2]string{
			"web/cell3/main.go": {`func greeting() string { return "hello" }`, `func greeting() string { return "hello there" }`},
		},
		want: []string{`"func greeting() string { return \"hello there\" }\n",`},
	})
}
