package roundtrip

import (
	"fmt"
	"strings"
	"testing"

	"github.com/decant-go/decant/extract/declspan"
	"github.com/decant-go/decant/extract/manifest"
	"github.com/decant-go/decant/notebooks"
)

// fixture is a notebook with one labeled processing cell, and the service extraction made of it.
type fixture struct {
	nb     *notebooks.Notebook
	man    *manifest.Manifest
	base   map[string][]byte
	before string // the code cell's source
}

const cellSrc = `// 2. Pre/Post processing
// prepareTrain scales the training rows.
func prepareTrain(rows []int) []int {
	out := make([]int, 0, len(rows))
	for _, r := range rows {
		out = append(out, r*2)
	}
	return out
}

func prepareTest(rows []int) []int {
	out := make([]int, 0, len(rows))
	for _, r := range rows {
		out = append(out, r*2)
	}
	return out
}

var (
	// scale is the factor.
	scale = 2
	bias  = 1 // added last
)

%%
fmt.Println(prepareTrain([]int{1}))
`

// The service as the unify refactoring left it: one prepareRows for both functions.
const baseFile = `// This file holds the notebook's pre- and post-processing code.

package nb

// prepareRows scales the training rows.
//
// From nb.ipynb, cell 1.
func prepareRows(rows []int) []int {
	out := make([]int, 0, len(rows))
	for _, r := range rows {
		out = append(out, r*2)
	}
	return out
}

// scale is the factor.
//
// From nb.ipynb, cell 1.
var scale = 2

// From nb.ipynb, cell 1.
var bias = 1 // added last
`

func newFixture(t testing.TB) *fixture {
	nb := notebooks.New("nb.ipynb")
	nb.InsertCell(0, nb.NewMarkdownCell("# Scaling\n"))
	nb.InsertCell(1, nb.NewCodeCell(cellSrc))
	decls, err := declspan.Cell(cellSrc, true)
	if err != nil {
		t.Fatal(err)
	}
	hash := map[string]string{}
	for _, d := range decls {
		hash[d.Key] = declspan.Hash(cellSrc[d.Start:d.End])
	}
	id := nb.Cells[1].ID
	man := &manifest.Manifest{Package: "nb",
		Cells: []manifest.Cell{{Index: 1, ID: id, Section: "processing"}},
		Decls: []manifest.Decl{
			{File: "nb/preprocessing.go", Key: "prepareRows", Cell: 1, CellID: id, CellLine: 3, SourceKey: "prepareTrain", SourceSHA256: hash["prepareTrain"]},
			{File: "nb/preprocessing.go", Key: "scale", Cell: 1, CellID: id, CellLine: 21, SourceKey: "scale", SourceSHA256: hash["scale"]},
			{File: "nb/preprocessing.go", Key: "bias", Cell: 1, CellID: id, CellLine: 22, SourceKey: "bias", SourceSHA256: hash["bias"]},
		}}
	base := map[string][]byte{
		"nb/preprocessing.go": []byte(baseFile),
		"cmd/server/main.go":  []byte("package main\n\nfunc main() {}\n"),
		"nb/pipeline.go":      []byte("package nb\n\n// From nb.ipynb, cell 1.\nfunc step1() {}\n"),
	}
	return &fixture{nb: nb, man: man, base: base, before: cellSrc}
}

func (f *fixture) theirs(edits ...string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range f.base {
		out[k] = v
	}
	for i := 0; i+2 < len(edits)+1; i += 3 {
		file, old, new := edits[i], edits[i+1], edits[i+2]
		out[file] = []byte(strings.Replace(string(out[file]), old, new, 1))
	}
	return out
}

func (f *fixture) sync(t *testing.T, theirs map[string][]byte) *Result {
	t.Helper()
	res, err := Sync(Input{Notebook: f.nb, Manifest: f.man, Base: f.base, Theirs: theirs, IsLabel: func(s string) bool {
		return strings.HasPrefix(s, "// 2. Pre/Post")
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRenamedByRefactoring(t *testing.T) {
	f := newFixture(t)
	res := f.sync(t, f.theirs("nb/preprocessing.go", "r*2)", "r*2+1)"))
	if len(res.Conflicts) > 0 {
		t.Fatalf("conflicts: %+v", res.Conflicts)
	}
	if len(res.Updated) != 2 || res.Updated[0].Key != "prepareRows" || res.Updated[1].Key != "prepareRows (as prepareTest)" {
		t.Fatalf("updated %+v", res.Updated)
	}
	// prepareTrain, the rename's source, and prepareTest, the clone unified with it, both get
	// the change: extracting again unifies them again.
	got := f.nb.Cells[1].Source
	want := strings.ReplaceAll(cellSrc, "r*2)", "r*2+1)")
	if got != want {
		t.Errorf("cell after sync:\n%s\nwant:\n%s", got, want)
	}
}

func TestGroupedSpecAndGeneratedFiles(t *testing.T) {
	f := newFixture(t)
	res := f.sync(t, f.theirs(
		"nb/preprocessing.go", "var scale = 2", "var scale = 3",
		"cmd/server/main.go", "func main() {}", "func main() { println() }",
		"nb/pipeline.go", "func step1() {}", "func step1() { println() }"))
	if len(res.Conflicts) > 0 || len(res.Added) > 0 {
		t.Fatalf("conflicts %+v, added %+v", res.Conflicts, res.Added)
	}
	if want := strings.Replace(cellSrc, "scale = 2", "scale = 3", 1); f.nb.Cells[1].Source != want {
		t.Errorf("cell after sync:\n%s", f.nb.Cells[1].Source)
	}

	// bias is aligned with its neighbours in the cell, unlike in the service: the change
	// cannot be placed exactly, so it is a conflict, not a guess.
	f = newFixture(t)
	res = f.sync(t, f.theirs("nb/preprocessing.go", "var bias = 1", "var bias = 3"))
	if len(res.Conflicts) != 1 || !strings.Contains(res.Conflicts[0].Reason, "declaration block") || f.nb.Cells[1].Source != cellSrc {
		t.Errorf("conflicts %+v", res.Conflicts)
	}
}

func TestBothSides(t *testing.T) {
	t.Run("different", func(t *testing.T) {
		f := newFixture(t)
		f.nb.Cells[1].Source = strings.Replace(cellSrc, "scale = 2", "scale = 5", 1)
		before := f.nb.Cells[1].Source
		res := f.sync(t, f.theirs("nb/preprocessing.go", "var scale = 2", "var scale = 7", "nb/preprocessing.go", "r*2)", "r*2+1)"))
		if len(res.Conflicts) != 1 || res.Conflicts[0].Key != "scale" || !strings.Contains(res.Conflicts[0].Diff(), "+var scale = 7") {
			t.Fatalf("conflicts %+v", res.Conflicts)
		}
		if f.nb.Cells[1].Source != before {
			t.Error("a cell with a conflict was changed")
		}
		if len(res.Updated) != 0 || len(res.Notes) != 2 {
			t.Errorf("updated %+v, notes %q", res.Updated, res.Notes)
		}
	})
	t.Run("same", func(t *testing.T) {
		f := newFixture(t)
		f.nb.Cells[1].Source = strings.Replace(cellSrc, "r*2)", "r*2+1)", 1)
		res := f.sync(t, f.theirs("nb/preprocessing.go", "r*2)", "r*2+1)"))
		if len(res.Conflicts) != 0 || res.Changed() {
			t.Errorf("conflicts %+v, changed %v", res.Conflicts, res.Changed())
		}
	})
	t.Run("notebook only", func(t *testing.T) {
		f := newFixture(t)
		f.nb.Cells[1].Source = strings.Replace(cellSrc, "scale = 2", "scale = 5", 1)
		res := f.sync(t, f.base)
		if len(res.Conflicts) != 0 || res.Changed() {
			t.Errorf("conflicts %+v, changed %v", res.Conflicts, res.Changed())
		}
	})
}

func TestNewDeclarationCell(t *testing.T) {
	f := newFixture(t)
	res := f.sync(t, f.theirs("nb/preprocessing.go", "var bias = 1 // added last\n", "var bias = 1 // added last\n\n// offset shifts.\nfunc offset(x int) int { return x + bias }\n"))
	if len(res.Added) != 1 || len(f.nb.Cells) != 3 {
		t.Fatalf("added %+v", res.Added)
	}
	c := f.nb.Cells[2]
	want := "// 2. Pre/Post processing (added by decant sync from nb/preprocessing.go)\n// offset shifts.\nfunc offset(x int) int { return x + bias }"
	if c.Type != "code" || c.Source != want || c.ID == "" {
		t.Errorf("new cell %q %q", c.Type, c.Source)
	}
}

func TestStripNote(t *testing.T) {
	for in, want := range map[string]string{
		"// doc\n//\n// From a.ipynb, cell 1.\nfunc f() {}":                 "// doc\nfunc f() {}",
		"// From a.ipynb, cell 1.\nvar x = 1":                               "var x = 1",
		"// doc\n//\n// From a.ipynb, cell 1.\n//\n//go:noinline\nfunc f()": "// doc\n//\n//go:noinline\nfunc f()",
		"func f() {}": "func f() {}",
		// Notes written before they dropped the cell line.
		"// doc\n//\n// From a.ipynb, cell 1, line 2.\nfunc f() {}": "// doc\nfunc f() {}",
		"// From a.ipynb, cell 12, line 30.\nvar x = 1":             "var x = 1",
	} {
		if got := StripNote(in); got != want {
			t.Errorf("StripNote(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSyncSplice edits one declaration of a fuzzed cell in the service and checks that Sync
// either writes it back, leaving the rest of the cell's bytes alone, or reports a conflict and
// leaves the cell unchanged.
func FuzzSyncSplice(f *testing.F) {
	f.Add(cellSrc, "r*2", "r*3")
	f.Add("func a() {}\nfunc b() { x := 1; _ = x }\n", "x := 1", "x := 2\n\ty := 3\n\t_ = y")
	f.Add("var (\n\tp = 1\n\tq = 2\n)\n%%\nfmt.Println(p)", "= 2", "= 3")
	f.Add("!echo hi\nconst c = 1\ntype T struct{ A int }\n", "A int", "A, B int")
	f.Fuzz(func(t *testing.T, src, old, new string) {
		decls, err := declspan.Cell(src, false)
		if err != nil || len(decls) == 0 || old == "" {
			return
		}
		nb := notebooks.New("f.ipynb")
		nb.InsertCell(0, nb.NewCodeCell(src))
		id := nb.Cells[0].ID
		var file strings.Builder
		file.WriteString("package p\n\n")
		man := &manifest.Manifest{Package: "p", Cells: []manifest.Cell{{Index: 0, ID: id, Section: "processing"}}}
		seen := map[string]bool{}
		for _, d := range decls {
			if seen[d.Key] || d.Key == "init" {
				return
			}
			seen[d.Key] = true
			text := src[d.Start:d.End]
			if d.Grouped {
				text = "var " + text
			}
			fmt.Fprintf(&file, "// From f.ipynb, cell 0.\n%s\n\n", text)
			man.Decls = append(man.Decls, manifest.Decl{File: "p/preprocessing.go", Key: d.Key, Cell: 0, CellID: id, CellLine: d.Line,
				SourceKey: d.Key, SourceSHA256: declspan.Hash(src[d.Start:d.End])})
		}
		base := map[string][]byte{"p/preprocessing.go": []byte(file.String())}
		if _, err := declspan.File(base["p/preprocessing.go"]); err != nil {
			return
		}
		theirs := map[string][]byte{"p/preprocessing.go": []byte(strings.Replace(file.String(), old, new, 1))}
		if _, err := declspan.File(theirs["p/preprocessing.go"]); err != nil {
			return
		}
		res, err := Sync(Input{Notebook: nb, Manifest: man, Base: base, Theirs: theirs})
		if err != nil {
			t.Fatal(err)
		}
		got := nb.Cells[0].Source
		if len(res.Conflicts) > 0 && got != src {
			t.Fatalf("a conflicting cell was changed:\n%q\n->\n%q", src, got)
		}
		if len(res.Updated) == 0 && got != src {
			t.Fatalf("the cell changed with no update reported")
		}
		if got != src {
			if _, err := declspan.Cell(got, false); err != nil {
				t.Fatalf("the synced cell does not parse: %v\n%q", err, got)
			}
			// Outside the updated declarations, the bytes are the same: the text before the
			// first and after the last updated declaration is untouched.
			first, last := len(src), 0
			for _, u := range res.Updated {
				for _, d := range decls {
					if d.Key == u.Key {
						first, last = min(first, d.Start), max(last, d.End)
					}
				}
			}
			if !strings.HasPrefix(got, src[:first]) || !strings.HasSuffix(got, src[last:]) {
				t.Fatalf("bytes outside the updated declarations changed:\n%q\n->\n%q", src, got)
			}
		}
		if _, err := notebooks.Format(nb); err != nil {
			t.Fatalf("the synced notebook does not format: %v", err)
		}
	})
}

// A cell declaration that is not gofmt-formatted, but otherwise what was extracted, takes the
// service's version whole.
func TestUnformattedCell(t *testing.T) {
	src := "func f(x int) int {\n    return x+1\n}\n"
	nb := notebooks.New("u.ipynb")
	nb.InsertCell(0, nb.NewCodeCell(src))
	id := nb.Cells[0].ID
	man := &manifest.Manifest{Package: "u", Cells: []manifest.Cell{{Index: 0, ID: id, Section: "processing"}},
		Decls: []manifest.Decl{{File: "u/preprocessing.go", Key: "f", CellID: id, CellLine: 1, SourceKey: "f",
			SourceSHA256: declspan.Hash(strings.TrimSuffix(src, "\n"))}}}
	base := "package u\n\n// From u.ipynb, cell 0.\nfunc f(x int) int {\n\treturn x + 1\n}\n"
	res, err := Sync(Input{Notebook: nb, Manifest: man, Base: map[string][]byte{"u/preprocessing.go": []byte(base)},
		Theirs: map[string][]byte{"u/preprocessing.go": []byte(strings.Replace(base, "x + 1", "x + 2", 1))}})
	if err != nil || len(res.Conflicts) > 0 {
		t.Fatalf("%v %+v", err, res.Conflicts)
	}
	if got := nb.Cells[0].Source; got != "func f(x int) int {\n\treturn x + 2\n}\n" {
		t.Errorf("cell %q", got)
	}
}

// A browser program made from a %wasm cell maps back to its cell: a declaration the cell
// declares, a declaration copied from another cell, and the body of main, which is the cell's
// %% body. The service package's qualifier goes (the notebook has its declarations in scope),
// and main's indentation too. A declaration added to the program goes before the %% line.
func TestWasmProgram(t *testing.T) {
	lib := "// SumStr adds.\nfunc SumStr(a, b string) string { return a + b }\n\nfunc atoi(s string) int { return len(s) }\n"
	wasm := "%wasm\nimport \"syscall/js\"\n\n// label names the div.\nfunc label() string { return \"x\" }\n\n%% --name=World\ndiv := js.Global().Get(label())\ndiv.Set(\"innerText\", SumStr(\"4\", \"2\"))\n"
	nb := notebooks.New("nb.ipynb")
	nb.InsertCell(0, nb.NewCodeCell(lib))
	nb.InsertCell(1, nb.NewCodeCell(wasm))
	hash := func(src, key string) string {
		decls, _ := declspan.Cell(src, false)
		for _, d := range decls {
			if d.Key == key {
				return declspan.Hash(src[d.Start:d.End])
			}
		}
		t.Fatalf("no %s", key)
		return ""
	}
	body, _ := declspan.CellMain(wasm, false)
	const file = "web/cell1/main.go"
	man := &manifest.Manifest{Module: "example.com/m", Package: "svc",
		Cells: []manifest.Cell{{Index: 0, Section: "processing"}, {Index: 1, Section: "processing"}},
		Decls: []manifest.Decl{
			{File: file, Key: "atoi", Cell: 0, CellLine: 4, SourceKey: "atoi", SourceSHA256: hash(lib, "atoi")},
			{File: file, Key: "label", Cell: 1, CellLine: 5, SourceKey: "label", SourceSHA256: hash(wasm, "label")},
			{File: file, Key: "main", Cell: 1, CellLine: 8, SourceKey: "main", SourceSHA256: declspan.Hash(wasm[body.Start:body.End])},
		}}
	prog := "//go:build js && wasm\n\npackage main\n\nimport (\n\t\"syscall/js\"\n\n\tsvc \"example.com/m/svc\"\n)\n\n" +
		"// From nb.ipynb, cell 0.\nfunc atoi(s string) int { return len(s) }\n\n" +
		"// label names the div.\n//\n// From nb.ipynb, cell 1.\nfunc label() string { return \"x\" }\n\n" +
		"// main runs the %% body of the notebook's %wasm cell.\n//\n// From nb.ipynb, cell 1.\nfunc main() {\n\tdiv := js.Global().Get(label())\n\tdiv.Set(\"innerText\", svc.SumStr(\"4\", \"2\"))\n}\n"
	base := map[string][]byte{file: []byte(prog)}
	edited := strings.NewReplacer(
		"return len(s) }", "return 2 * len(s) }",
		`return "x" }`, `return "y" }`,
		"\tdiv.Set(\"innerText\", svc.SumStr(\"4\", \"2\"))\n", "\tdiv.Set(\"innerText\", svc.SumStr(\"4\", \"2\")+\"!\")\n\tif div.IsNull() {\n\t\tpanic(\"no div\")\n\t}\n",
		"// main runs the", "// extra is new.\nfunc extra() {}\n\n// main runs the",
	).Replace(prog)
	res, err := Sync(Input{Notebook: nb, Manifest: man, Base: base, Theirs: map[string][]byte{file: []byte(edited)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) > 0 {
		t.Fatalf("conflicts: %+v", res.Conflicts)
	}
	if want := "// SumStr adds.\nfunc SumStr(a, b string) string { return a + b }\n\nfunc atoi(s string) int { return 2 * len(s) }\n"; nb.Cells[0].Source != want {
		t.Errorf("cell 0:\n%s\nwant\n%s", nb.Cells[0].Source, want)
	}
	if want := "%wasm\nimport \"syscall/js\"\n\n// label names the div.\nfunc label() string { return \"y\" }\n\n// extra is new.\nfunc extra() {}\n\n%% --name=World\ndiv := js.Global().Get(label())\ndiv.Set(\"innerText\", SumStr(\"4\", \"2\")+\"!\")\nif div.IsNull() {\n\tpanic(\"no div\")\n}\n"; nb.Cells[1].Source != want {
		t.Errorf("cell 1:\n%s\nwant\n%s", nb.Cells[1].Source, want)
	}
	if len(res.Updated) != 4 || len(res.Notes) != 0 {
		t.Errorf("updated: %+v\nnotes: %q", res.Updated, res.Notes)
	}

	// A program the manifest maps to no cell (an earlier extraction) is named, not ignored.
	man.Decls = nil
	res, err = Sync(Input{Notebook: nb, Manifest: man, Base: base, Theirs: map[string][]byte{file: []byte(edited)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed() || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], file+" changed, but") {
		t.Errorf("unmapped program: changed %v, notes %q", res.Changed(), res.Notes)
	}
}

func TestUnqualify(t *testing.T) {
	for in, want := range map[string]string{
		`svc.F(svc.X) + x.svc.Y + svc .Z + svcx.W`: `F(X) + x.svc.Y + svc .Z + svcx.W`,
		"a := \"svc.F\" // svc.G":                  "a := \"svc.F\" // svc.G",
	} {
		if got := unqualify(in, "svc"); got != want {
			t.Errorf("unqualify(%q) = %q, want %q", in, got, want)
		}
	}
}

// An edit of a pipeline step is not carried back; the note names the cell whose statements the
// changed line holds, also when the step gathers several cells (gophernotes, lgo).
func TestPipelineEditNamesItsCell(t *testing.T) {
	man := &manifest.Manifest{Package: "svc", Cells: []manifest.Cell{
		{Index: 1, Places: []string{"svc/pipeline.go:10"}},
		{Index: 2, Places: []string{"svc/pipeline.go:14", "svc/preparation.go:3"}},
		{Index: 3, Places: []string{"svc/pipeline.go:20"}},
	}}
	var lines []string
	for i := 1; i <= 24; i++ {
		lines = append(lines, fmt.Sprintf("\tline%d()", i))
	}
	base := strings.Join(lines, "\n")
	lines[15] = "\tedited()" // line 16
	theirs := strings.Join(lines, "\n")
	var res Result
	unmapped(man, map[string][]byte{"svc/pipeline.go": []byte(base)}, map[string][]byte{"svc/pipeline.go": []byte(theirs)}, &res)
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "(the statements of cell 2)") || !strings.Contains(res.Notes[0], "does not carry edits of them back") {
		t.Fatalf("notes %q, want one naming cell 2 alone", res.Notes)
	}
	res = Result{}
	unmapped(man, map[string][]byte{"svc/pipeline.go": []byte(base)}, map[string][]byte{"svc/pipeline.go": []byte(base)}, &res)
	if len(res.Notes) != 0 {
		t.Errorf("unchanged pipeline: notes %q", res.Notes)
	}
}
