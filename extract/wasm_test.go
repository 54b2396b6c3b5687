package extract

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// buildFixture builds and renders a testdata/build archive.
func buildFixture(t *testing.T, name string, edit func(ar *txtar.Archive)) (*Plan, *Output) {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata/build", name))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(ar)
	}
	nb, raw := notebookFromArchive(t, name, ar)
	plan, err := Build(nb, raw, Options{Slug: "svc", NoModuleSearch: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Render()
	if err != nil {
		t.Fatal(err)
	}
	return plan, out
}

func verifyFixture(t *testing.T, out *Output, opts VerifyOptions) []Problem {
	t.Helper()
	dir := t.TempDir()
	if err := WriteDir(dir, out.Files, out.Exec); err != nil {
		t.Fatal(err)
	}
	return Verify(context.Background(), dir, out, opts)
}

// TestWasmProgramVerifies builds the browser program of a %wasm cell for js/wasm, next to the
// service that leaves it out, and locates a compile error of the cell at its cell and line.
func TestWasmProgramVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build, vet and test")
	}
	_, out := buildFixture(t, "wasm.txtar", nil)
	if probs := verifyFixture(t, out, VerifyOptions{}); len(probs) > 0 {
		t.Fatalf("the service with a browser program fails its checks: %v", probs)
	}

	// The program uses a name only js/wasm has wrong: the js/wasm build reports it at the cell.
	_, out = buildFixture(t, "wasm.txtar", func(ar *txtar.Archive) {
		src := archiveFile(ar, "3.go")
		setArchiveFile(ar, "3.go", strings.Replace(src, `js.Global().Get("document")`, `js.Global().Get(42)`, 1))
	})
	probs := verifyFixture(t, out, VerifyOptions{NoTests: true})
	found := false
	for _, p := range probs {
		if p.Step == "build (js/wasm)" && p.File == "web/cell3/main.go" && p.Cell == 3 && p.CellLine == 7 {
			found = true
		}
	}
	if !found {
		t.Fatalf("want a js/wasm build problem at cell 3, line 7; got %v", probs)
	}
}

// TestShellFileSkipsThenRuns checks that the tests of a service whose code reads a file a shell
// line writes skip where the file is missing, and run the pipeline where it is.
func TestShellFileSkipsThenRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	_, out := buildFixture(t, "shell-file.txtar", nil)
	dir := t.TempDir()
	if err := WriteDir(dir, out.Files, out.Exec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if probs := Verify(ctx, dir, out, VerifyOptions{Env: []string{"GONB_TMP_DIR=" + dir}}); len(probs) > 0 {
		t.Fatalf("without the file: %v", probs)
	}
	run := func() string {
		o, err := VerifyOptions{Env: []string{"GONB_TMP_DIR=" + dir}}.run(ctx, dir, "test", "-count=1", "-v", "-run", "^TestRun$", "./svc")
		if err != nil {
			t.Fatalf("go test: %v\n%s", err, o)
		}
		return string(o)
	}
	if o := run(); !strings.Contains(o, "--- SKIP: TestRun") || !strings.Contains(o, "cell 1, line 1") {
		t.Errorf("without the file, TestRun should skip naming the shell line:\n%s", o)
	}
	if err := os.WriteFile(filepath.Join(dir, "TMP_PKG.txt"), []byte(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	if o := run(); !strings.Contains(o, "--- PASS: TestRun") {
		t.Errorf("with the file, TestRun should replay the pipeline:\n%s", o)
	}
}

// TestShellWrites pins which files a shell line is taken to write.
func TestShellWrites(t *testing.T) {
	for cmd, want := range map[string]string{
		`TMP=$(mktemp -d) && echo -n "${TMP}" > TMP_PKG.txt`: "TMP_PKG.txt",
		`ls >> list.txt 2>&1`:                                "list.txt",
		`go env | tee env.txt`:                               "env.txt",
		`curl -sL -o data.csv https://example.com/d.csv`:     "data.csv",
		`echo x > "$OUT"`:                                    "",
		`make 2>&1 >/dev/null`:                               "",
		`cat a.txt`:                                          "",
	} {
		if got := strings.Join(shellWrites(cmd), " "); got != want {
			t.Errorf("shellWrites(%q) = %q, want %q", cmd, got, want)
		}
	}
}

// TestExplainUndefined checks that a name a library lacks is explained by the version used
// and the notebook's missing local checkout, with the flags that fix it.
func TestExplainUndefined(t *testing.T) {
	p := &Plan{cellImports: map[int][]Import{3: {{Path: "github.com/janpfeifer/gonb/gonbui"}}}}
	mc := &ModuleContext{
		Requires: map[string]string{"github.com/janpfeifer/gonb": "v0.11.1"},
		Local:    map[string]string{},
		From:     map[string]string{"github.com/janpfeifer/gonb": "the notebook sits in the module cache"},
		Notes: []Decision{{Cell: 2, Line: 2, Subject: `!*go work use . "${HOME}/Projects/gonb"`, Action: "warning",
			Reason: `"${HOME}/Projects/gonb" is not a module directory on this machine: its module resolves from the enclosing module, the module cache or --replace`}},
	}
	probs := []Problem{
		{Step: "build", Cell: 3, CellLine: 5, Msg: "undefined: gonbui.ConnectToJupyterServer"},
		{Step: "build", Cell: 3, CellLine: 6, Msg: "undefined: strings.Nope"},
	}
	p.ExplainUndefined(probs, mc)
	for _, want := range []string{"not in github.com/janpfeifer/gonb@v0.11.1", "(cell 2, line 2)", "--replace github.com/janpfeifer/gonb=DIR", "--skip 3"} {
		if !strings.Contains(probs[0].Msg, want) {
			t.Errorf("message lacks %q: %s", want, probs[0].Msg)
		}
	}
	if probs[1].Msg != "undefined: strings.Nope" {
		t.Errorf("a name the notebook does not import from a module changed: %s", probs[1].Msg)
	}
}

// TestServiceUsingWasmDeclaration checks that a server cell using what only a %wasm cell
// declares is refused at that cell, saying where the name lives.
func TestServiceUsingWasmDeclaration(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	plan, out := buildFixture(t, "wasm.txtar", func(ar *txtar.Archive) {
		setArchiveFile(ar, "4.go", "%%\nfmt.Println(*flagName)\n")
	})
	probs := verifyFixture(t, out, VerifyOptions{NoTests: true})
	plan.ExplainUndefined(probs, nil)
	found := false
	for _, p := range probs {
		if p.Step == "build" && p.Cell == 4 && p.CellLine == 2 && strings.Contains(p.Msg, "declared by the %wasm cell 3") {
			found = true
		}
	}
	if !found {
		t.Fatalf("want a build problem at cell 4, line 2 naming the %%wasm cell 3; got %v", probs)
	}
}

// TestWasmProgramNames checks how a browser program names what it uses: an exported
// declaration of the package through its import (aliased when the program uses the package's
// name for another import), a lazy value as a call, and an earlier %wasm cell's declaration
// copied in.
func TestWasmProgramNames(t *testing.T) {
	ar := txtar.Parse([]byte(`-- 0.md --
## 2. Pre/Post processing
-- 1.go --
var Table = loadTable()

func loadTable() map[string]int {
	b, _ := os.ReadFile("table.json")
	return map[string]int{"n": len(b)}
}

func Double(x int) int { return 2 * x }
-- 2.go --
%wasm
func greet() string { return "hi" }
-- 3.go --
%wasm
import "github.com/janpfeifer/gonb/gonbui/wasm"

%%
wasm.Alertf("%s %d %d", greet(), Double(2), Table["n"])
`))
	nb, raw := notebookFromArchive(t, "names.ipynb", ar)
	plan, err := Build(nb, raw, Options{Slug: "wasm", NoModuleSearch: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Render()
	if err != nil {
		t.Fatal(err)
	}
	src := string(out.Files["web/cell3/main.go"])
	for _, want := range []string{
		`wasmpkg "example.com/wasm/wasm"`,
		`"github.com/janpfeifer/gonb/gonbui/wasm"`,
		`greet(), wasmpkg.Double(2), wasmpkg.Table()["n"]`,
		"func greet() string",
		"From names.ipynb, cell 2.",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("web/cell3/main.go lacks %q:\n%s", want, src)
		}
	}
	if _, ok := out.Files["web/cell2/main.go"]; ok {
		t.Error("a %wasm cell of declarations only got a program of its own")
	}
	if got := plan.Wasm[1].Copied; len(got) != 1 || got[0] != "greet" {
		t.Errorf("copied %v, want [greet]", got)
	}
}
