package extract

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// A notebook in the module cache is in that module at that version; one in a checkout is in
// the module of the nearest go.mod, whose requirements and local replacements apply; the
// notebook's own !*go get, go mod edit -replace and go work use lines come next; flags last.
func TestDiscoverModules(t *testing.T) {
	tmp := t.TempDir()
	cache := filepath.Join(tmp, "cache")
	nbDir := filepath.Join(cache, "github.com", "!some!org", "lib@v1.2.3", "examples")
	mustWrite(t, filepath.Join(cache, "github.com", "!some!org", "lib@v1.2.3", "go.mod"), "module github.com/SomeOrg/lib\n\ngo 1.21\n\nrequire example.com/dep v0.4.0\n")
	mc, err := DiscoverModules(filepath.Join(nbDir, "x.ipynb"), &Plan{}, ModuleOptions{ModCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if mc.Enclosing != "github.com/SomeOrg/lib" || mc.EnclosingVersion != "v1.2.3" || mc.Requires["example.com/dep"] != "v0.4.0" {
		t.Errorf("in the module cache: %+v", mc)
	}

	// --pin of the module the notebook sits in resolves it as if it sat in that version: with
	// the requirements of that version's go.mod.
	mustWrite(t, filepath.Join(cache, "cache", "download", "github.com", "!some!org", "lib", "@v", "v1.0.0.mod"), "module github.com/SomeOrg/lib\n\ngo 1.21\n\nrequire example.com/older v0.1.0\n")
	mc, err = DiscoverModules(filepath.Join(nbDir, "x.ipynb"), &Plan{}, ModuleOptions{ModCache: cache, Pins: []string{"github.com/SomeOrg/lib@v1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if mc.Requires["github.com/SomeOrg/lib"] != "v1.0.0" || mc.Requires["example.com/older"] != "v0.1.0" || mc.Requires["example.com/dep"] != "" {
		t.Errorf("--pin of the enclosing module: requires = %v", mc.Requires)
	}

	// A checkout with a local replacement, and a notebook that pins, replaces and uses a workspace.
	proj := filepath.Join(tmp, "proj")
	local := filepath.Join(tmp, "localdep")
	work := filepath.Join(tmp, "worklib")
	mustWrite(t, filepath.Join(local, "go.mod"), "module example.com/dep\n")
	mustWrite(t, filepath.Join(work, "go.mod"), "module example.com/work\n")
	mustWrite(t, filepath.Join(proj, "go.mod"), "module example.com/proj\n\nrequire (\n\texample.com/dep v0.4.0\n\texample.com/old v1.0.0\n)\n\nreplace example.com/dep => ../localdep\n")
	plan := &Plan{Decisions: []Decision{
		{Cell: 1, Line: 1, Subject: "!*go get example.com/old@v1.1.0"},
		{Cell: 2, Line: 1, Subject: "!*rm -f go.work && go work init && go work use . \"" + work + "\""},
		{Cell: 3, Line: 2, Subject: "!*go mod edit -replace example.com/gone=${HOME}/nowhere-" + t.Name()},
	}}
	mc, err = DiscoverModules(filepath.Join(proj, "nb", "x.ipynb"), plan, ModuleOptions{ModCache: cache, Pins: []string{"example.com/pinned@v2.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if mc.Enclosing != "example.com/proj" || mc.Local["example.com/proj"] != proj {
		t.Errorf("enclosing checkout: %+v", mc)
	}
	if mc.Local["example.com/dep"] != local || mc.Local["example.com/work"] != work {
		t.Errorf("local modules = %v", mc.Local)
	}
	if mc.Requires["example.com/old"] != "v1.1.0" || mc.Requires["example.com/pinned"] != "v2.0.0" {
		t.Errorf("requires = %v", mc.Requires)
	}
	var warned bool
	for _, n := range mc.Notes {
		warned = warned || n.Cell == 3 && strings.Contains(n.Reason, "not a module directory")
	}
	if !warned {
		t.Errorf("no warning for the missing replacement directory: %+v", mc.Notes)
	}

	// The verified go.mod replaces with the local directory; the committed one does not.
	verify, commit, _, err := mc.GoMods([]byte("module example.com/svc\n\ngo 1.26\n"), []string{"example.com/dep/x", "fmt"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(verify), "example.com/dep => "+local) || strings.Contains(string(commit), "=>") ||
		!strings.Contains(string(commit), "example.com/dep v0.4.0") {
		t.Errorf("verify:\n%s\ncommit:\n%s", verify, commit)
	}
}

// Requirements the notebook wrote with a commit instead of a version survive go.mod parsing.
func TestGoModsKeepsCommitPins(t *testing.T) {
	mc := &ModuleContext{Requires: map[string]string{}, Local: map[string]string{}, From: map[string]string{}, modCache: t.TempDir()}
	_, commit, _, err := mc.GoMods([]byte("module m\n\ngo 1.26\n\nrequire (\n\texample.com/a d60b2efd2f5a\n\texample.com/b v1.0.0\n)\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(commit), "require example.com/a d60b2efd2f5a") || !strings.Contains(string(commit), "example.com/b v1.0.0") {
		t.Errorf("go.mod:\n%s", commit)
	}
}

// A failure inside a library, or a missing C library at link time, is reported at the cell
// that imports the library.
func TestLocateDependencyProblems(t *testing.T) {
	cache := t.TempDir()
	mc := &ModuleContext{modCache: cache, Enclosing: "example.com/lib"}
	p := &Plan{importAt: map[string][2]int{"example.com/lib/sub": {4, 2}, "example.com/tokenizers": {6, 3}}}
	probs := []Problem{
		{Step: "build", File: filepath.Join(cache, "example.com", "lib@v1.0.0", "x", "x.go"), Line: 3, Cell: -1, Msg: "fatal error: x.h: No such file or directory"},
		{Step: "build", Cell: -1, Msg: "/usr/bin/ld: cannot find -ltokenizers: No such file or directory"},
		{Step: "refactor", Cell: -1, Msg: "could not import example.com/lib/sub (invalid package name)"},
	}
	p.LocateDependencyProblems(probs, mc)
	want := [][2]int{{4, 2}, {6, 3}, {4, 2}}
	for i, pr := range probs {
		if pr.Cell != want[i][0] || pr.CellLine != want[i][1] {
			t.Errorf("problem %d at cell %d, line %d; want %v: %s", i, pr.Cell, pr.CellLine, want[i], pr.Msg)
		}
	}
	if !strings.Contains(probs[0].Msg, "example.com/lib@v1.0.0 does not build") || !strings.Contains(probs[1].Msg, "C library tokenizers") {
		t.Errorf("messages: %q, %q", probs[0].Msg, probs[1].Msg)
	}
}

// Package loaders in the refactorings' copies of the service name files by absolute path
// elsewhere, or by base name: both map back to the generated file.
func TestLocateInCopies(t *testing.T) {
	out := &Output{Files: map[string][]byte{"svc/pipeline.go": nil, "svc/model.go": nil},
		Spans: map[string][]Span{"svc/pipeline.go": {{Start: 10, End: 20, Cell: 7, CellLine: 1}}}}
	for _, text := range []string{
		"/tmp/decant-refactor-1/svc/pipeline.go:12:2: undefined: x",
		"pipeline.go:12:2: undefined: x",
	} {
		probs := Locate("/tmp/decant-extract-9", out, "refactor", []byte(text))
		if len(probs) != 1 || probs[0].Cell != 7 || probs[0].CellLine != 3 {
			t.Errorf("%s: %+v", text, probs)
		}
	}
}

func TestPythonSetupCell(t *testing.T) {
	if !pythonSetupCell("#@title Install Go\n\n# Go first.\n!wget go.tgz\n%env GOROOT=/content/go\n") {
		t.Error("a Colab install cell was not recognized")
	}
	for _, src := range []string{"!go get x", "// comment\n!ls", "# heading\nfmt.Println(1)"} {
		if pythonSetupCell(src) {
			t.Errorf("%q taken for a setup cell", src)
		}
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Rendering says which names it resolved in the module context and which it took for a
// renamed package, so the reader can check them.
func TestRenamedPackageIsReported(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/build/library-names.txtar")
	if err != nil {
		t.Fatal(err)
	}
	nb, raw := notebookFromArchive(t, "library-names.txtar", ar)
	plan, err := Build(nb, raw, Options{Slug: "svc", NoModuleSearch: true})
	if err != nil {
		t.Fatal(err)
	}
	useArchiveModules(t, plan, ar)
	if _, err := plan.Render(); err != nil {
		t.Fatal(err)
	}
	var renamed, found bool
	for _, d := range plan.Decisions {
		renamed = renamed || strings.Contains(d.Reason, "renamed the package") && strings.Contains(d.Reason, "data.InMemory as example.com/lib/datasets")
		found = found || strings.Contains(d.Reason, "metrics as example.com/lib/train/metrics")
	}
	if !renamed || !found {
		t.Errorf("decisions do not report the renamed package (%v) and the context's metrics (%v): %+v", renamed, found, plan.Decisions)
	}
}

// goimports searches every version in the module cache. A package it finds in a module of the
// notebook's context that the required version lacks (another version's layout), when that
// version has no package of the name at all, is refused at the cell and line of its first use,
// naming the version tried, before go mod tidy runs.
func TestGoimportsOutsideContextRefused(t *testing.T) {
	cache := t.TempDir()
	mustWrite(t, filepath.Join(cache, "example.com", "lib@v1.1.0", "go.mod"), "module example.com/lib\n")
	mustWrite(t, filepath.Join(cache, "example.com", "lib@v1.1.0", "neu", "neu.go"), "package neu\n\nfunc Answer() int { return 42 }\n")
	mc, err := DiscoverModules(filepath.Join(cache, "example.com", "lib@v1.1.0", "nb", "x.ipynb"), &Plan{}, ModuleOptions{ModCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{Notebook: "x.ipynb", modules: mc,
		Decls: []*Decl{{Kept: true, Cell: 3, Line: 2, text: "func f() int {\n\treturn old.Answer()\n}"}}}
	out := []byte("package svc\n\nimport \"example.com/lib/old\"\n\nfunc f() int {\n\treturn old.Answer()\n}\n")
	_, _, err = p.checkOutsideContext("svc/f.go", out, nil, map[string][]string{"old": {"Answer"}})
	var ue *UnresolvedError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want an UnresolvedError", err)
	}
	for _, want := range []string{"cell 3, line 3", "uses old without importing it", "example.com/lib@v1.1.0", "--pin example.com/lib@VERSION", "has no package old", "--skip 3",
		"in example.com/lib@v1.1.0, example.com/lib/neu declares Answer: import that package (as old, or by its own name)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	// The package the required version has passes.
	if _, _, err := p.checkOutsideContext("svc/f.go", []byte("package svc\n\nimport \"example.com/lib/neu\"\n"), nil, nil); err != nil {
		t.Errorf("a package of the required version was refused: %v", err)
	}
}

// When goimports found a package of a context module in another version's layout and the
// version the context selects has a package of that name elsewhere, the import is that
// package, as goimports prefers the build list's packages: the report says what it lacks, at
// the cell and line of the first use, and the build then names the uses themselves.
func TestGoimportsOtherVersionReplaced(t *testing.T) {
	cache := t.TempDir()
	lib := filepath.Join(cache, "example.com", "lib@v1.1.0")
	mustWrite(t, filepath.Join(lib, "go.mod"), "module example.com/lib\n")
	mustWrite(t, filepath.Join(lib, "x", "old", "old.go"), "package old\n\nfunc Question() string { return \"?\" }\n")
	mustWrite(t, filepath.Join(lib, "pkg", "train", "old", "old.go"), "package old\n\nfunc Answer() int { return 42 }\n")
	mc, err := DiscoverModules(filepath.Join(lib, "nb", "x.ipynb"), &Plan{}, ModuleOptions{ModCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	p := &Plan{Notebook: "x.ipynb", modules: mc,
		Decls: []*Decl{{Kept: true, Cell: 3, Line: 2, text: "func f() int {\n\treturn old.Answer() + len(old.Gone())\n}"}}}
	out := []byte("package svc\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib/train/old\"\n)\n\nfunc f() int {\n\tfmt.Println()\n\treturn old.Answer() + len(old.Gone())\n}\n")
	got, replaced, err := p.checkOutsideContext("svc/f.go", out, nil, map[string][]string{"old": {"Answer", "Gone"}})
	if err != nil {
		t.Fatal(err)
	}
	// The moved package (train/old now under pkg/) wins over another package of the name.
	if want := strings.Replace(string(out), "example.com/lib/train/old", "example.com/lib/pkg/train/old", 1); string(got) != want {
		t.Errorf("imports not replaced:\n%s\nwant\n%s", got, want)
	}
	if !slices.Equal(replaced, []string{"old"}) {
		t.Errorf("replaced = %q, want [old]", replaced)
	}
	if len(p.Decisions) != 1 {
		t.Fatalf("decisions = %+v, want one", p.Decisions)
	}
	d := p.Decisions[0]
	for _, want := range []string{"goimports found example.com/lib/train/old only in another version of example.com/lib",
		"resolved it as example.com/lib/pkg/train/old, the package named old in example.com/lib@v1.1.0",
		"it lacks old.Gone, which the notebook uses", "--pin example.com/lib@VERSION"} {
		if !strings.Contains(d.Reason, want) {
			t.Errorf("decision does not say %q: %+v", want, d)
		}
	}
	if d.Cell != 3 || d.Line != 3 || d.Action != "replaced" {
		t.Errorf("decision at cell %d, line %d (%s); want cell 3, line 3, replaced", d.Cell, d.Line, d.Action)
	}
}

// A missing C library is pointed at the import whose package links it (#cgo LDFLAGS), not at
// an earlier import that merely has the library's name in its path.
func TestMissingLibraryAtTheLinkingImport(t *testing.T) {
	cache := t.TempDir()
	for _, f := range []struct{ path, src string }{
		{"example.com/hf@v0.3.1/tokenizers/t.go", "package tokenizers\n"},
		{"example.com/rust@v1.2.0/t.go", "package tokenizers\n\n/*\n#cgo LDFLAGS: -ltokenizers -ldl\n*/\nimport \"C\"\n"},
		{"cache/download/example.com/hf/@v/v0.3.1.mod", "module example.com/hf\n"},
		{"cache/download/example.com/rust/@v/v1.2.0.mod", "module example.com/rust\n"},
	} {
		p := filepath.Join(cache, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mc := &ModuleContext{modCache: cache, Requires: map[string]string{}, Local: map[string]string{}}
	p := &Plan{importAt: map[string][2]int{"example.com/hf/tokenizers": {3, 4}, "example.com/rust": {11, 1}}}
	probs := []Problem{{Step: "build", Cell: -1, Msg: "/usr/bin/ld: cannot find -ltokenizers: No such file or directory"}}
	p.LocateDependencyProblems(probs, mc)
	if probs[0].Cell != 11 || probs[0].CellLine != 1 {
		t.Errorf("located at cell %d, line %d; want cell 11, line 1 (the import that links it): %s", probs[0].Cell, probs[0].CellLine, probs[0].Msg)
	}
}

// A go work use or go mod edit -replace word whose value comes from running the notebook (a
// command substitution, a variable this environment does not set) is reported once as not
// resolvable statically, with its cell and line and what would resolve it, never as a
// missing directory; ${HOME}, ~/ and GoNB's own variables still expand.
func TestDiscoverModulesUnresolvableWords(t *testing.T) {
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	t.Setenv("HOME", home)
	t.Setenv("DECANT_TEST_UNSET_VAR", "")
	os.Unsetenv("DECANT_TEST_UNSET_VAR")
	mustWrite(t, filepath.Join(home, "homelib", "go.mod"), "module example.com/homelib\n")
	mustWrite(t, filepath.Join(home, "tildelib", "go.mod"), "module example.com/tildelib\n")
	mustWrite(t, filepath.Join(home, "repl", "go.mod"), "module example.com/repl\n")
	mustWrite(t, filepath.Join(tmp, "proj", "go.mod"), "module example.com/proj\n")
	mustWrite(t, filepath.Join(tmp, "proj", "nb", "sibling", "go.mod"), "module example.com/sibling\n")
	plan := &Plan{Decisions: []Decision{
		{Cell: 5, Line: 1, Subject: `!*rm -f go.work && go work init && go work use . "$(cat TMP_PKG.txt)"`},
		{Cell: 6, Line: 2, Subject: `!*go work use "${HOME}/homelib" ~/tildelib $GONB_DIR/sibling $DECANT_TEST_UNSET_VAR/x`},
		{Cell: 7, Line: 1, Subject: "!*go mod edit -replace example.com/a=`cat dir.txt` -replace=example.com/repl=$HOME/repl"},
		{Cell: 8, Line: 3, Subject: `!*echo "a;b && c" ; go work use '$HOME/literal'`},
	}}
	mc, err := DiscoverModules(filepath.Join(tmp, "proj", "nb", "x.ipynb"), plan, ModuleOptions{ModCache: filepath.Join(tmp, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	for m, d := range map[string]string{
		"example.com/homelib":  filepath.Join(home, "homelib"),
		"example.com/tildelib": filepath.Join(home, "tildelib"),
		"example.com/sibling":  filepath.Join(tmp, "proj", "nb", "sibling"),
		"example.com/repl":     filepath.Join(home, "repl"),
	} {
		if mc.Local[m] != d {
			t.Errorf("Local[%s] = %q, want %q", m, mc.Local[m], d)
		}
	}
	count := map[int]int{}
	for _, n := range mc.Notes {
		if n.Action != "warning" {
			continue
		}
		count[n.Cell]++
		switch n.Cell {
		case 5:
			if n.Line != 1 || !strings.Contains(n.Reason, `"$(cat TMP_PKG.txt)"`) || !strings.Contains(n.Reason, "command substitution $(cat TMP_PKG.txt)") ||
				!strings.Contains(n.Reason, "--replace MODULE=DIR") || strings.Contains(n.Reason, "not a module directory") {
				t.Errorf("cell 5: %+v", n)
			}
		case 6:
			if n.Line != 2 || !strings.Contains(n.Reason, "variable DECANT_TEST_UNSET_VAR") || !strings.Contains(n.Reason, "set DECANT_TEST_UNSET_VAR when extracting") {
				t.Errorf("cell 6: %+v", n)
			}
		case 7:
			if !strings.Contains(n.Reason, "`cat dir.txt`") || !strings.Contains(n.Reason, "--replace example.com/a=DIR") {
				t.Errorf("cell 7: %+v", n)
			}
		case 8:
			// Single quotes keep $HOME literal: a relative directory that does not exist.
			if !strings.Contains(n.Reason, "'$HOME/literal' is not a module directory") {
				t.Errorf("cell 8: %+v", n)
			}
		}
	}
	if want := map[int]int{5: 1, 6: 1, 7: 1, 8: 1}; !reflect.DeepEqual(count, want) {
		t.Errorf("warnings per cell = %v, want %v: %+v", count, want, mc.Notes)
	}
	if h := mc.BuildHint(); !strings.Contains(h, `"$(cat TMP_PKG.txt)" (cell 5, line 1, not resolvable statically)`) {
		t.Errorf("build hint: %s", h)
	}
}

func TestSplitShell(t *testing.T) {
	lookup := func(n string) (string, bool) {
		v, ok := map[string]string{"HOME": "/h", "X": "x y"}[n]
		return v, ok
	}
	for _, tc := range []struct {
		in   string
		want []string // text of each word; ops as themselves; unresolved words as !raw
	}{
		{`go work use . "$(cat TMP_PKG.txt)"`, []string{"go", "work", "use", ".", `!"$(cat TMP_PKG.txt)"`}},
		{`a "${HOME}/b" ~/c '~/d' $X`, []string{"a", "/h/b", "/h/c", "~/d", "x y"}},
		{`a && b||c ; d | e`, []string{"a", "&&", "b", "||", "c", ";", "d", "|", "e"}},
		{`echo "$(printf 'a)b' ; echo "(c)")" z`, []string{"echo", `!"$(printf 'a)b' ; echo "(c)")"`, "z"}},
		{"a `b c` ${NOPE:-d} \\\n e\\ f", []string{"a", "!`b c`", "!${NOPE:-d}", "e f"}},
		{`"a\"b" 'c"d' $ ${X}`, []string{`a"b`, `c"d`, "$", "x y"}},
	} {
		var got []string
		for _, w := range splitShell(tc.in, lookup) {
			if w.static() {
				got = append(got, w.text)
			} else {
				got = append(got, "!"+w.raw)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitShell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A library failing when the test replays the notebook is reported with the environment
// variables its package reads, the usual way to choose a device or a backend.
func TestRuntimeFailureNamesTheLibrarysEnvironment(t *testing.T) {
	cache := t.TempDir()
	dir := filepath.Join(cache, "example.com", "ml@v0.2.0", "backends")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package backends\n\nimport \"os\"\n\n// ConfigEnvVar chooses the backend.\nconst ConfigEnvVar = \"ML_BACKEND\"\n\n" +
		"func config() string {\n\tif v, ok := os.LookupEnv(ConfigEnvVar); ok {\n\t\treturn v\n\t}\n\treturn os.Getenv(\"ML_PLUGIN_DIR\")\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "backends.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	mc := &ModuleContext{modCache: cache, Requires: map[string]string{}, Local: map[string]string{}}
	p := &Plan{importAt: map[string][2]int{"example.com/ml/backends": {3, 5}}}
	probs := []Problem{{Step: "test", File: filepath.Join(dir, "backends.go"), Line: 9, Cell: -1, Msg: `panic: backend "accel" failed to install its plugins`}}
	p.LocateDependencyProblems(probs, mc)
	if probs[0].Cell != 3 || probs[0].CellLine != 5 {
		t.Errorf("located at cell %d, line %d; want cell 3, line 5", probs[0].Cell, probs[0].CellLine)
	}
	for _, want := range []string{"example.com/ml@v0.2.0", "$ML_BACKEND, $ML_PLUGIN_DIR", "--short"} {
		if !strings.Contains(probs[0].Msg, want) {
			t.Errorf("the refusal does not say %q: %s", want, probs[0].Msg)
		}
	}
}

// An import the module proxy refuses (403, as for a private module or one it does not serve)
// says so, with the GOPRIVATE setting that fetches a private module from its host.
func TestUnresolvedProxyRefusal(t *testing.T) {
	e := &UnresolvedError{Notebook: "tutorial.ipynb", Cell: 23, Line: 1, Import: "github.com/benc-uk/gofract/pkg/fractals",
		Tried:  []string{"the module cache and the proxy"},
		Output: "module github.com/benc-uk/gofract/pkg/fractals: reading https://proxy.golang.org/github.com/benc-uk/gofract/pkg/fractals/@v/list: 403 Forbidden"}
	for _, want := range []string{"cell 23, line 1", "--skip 23", "the module proxy https://proxy.golang.org refused it (403 Forbidden)", "GOPRIVATE=github.com/benc-uk/gofract "} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, e)
		}
	}
	e.Output = "module example.com/x@latest found (v1.2.0), but does not contain package example.com/x/y"
	if strings.Contains(e.Error(), "GOPRIVATE") {
		t.Errorf("a module the proxy served is called refused:\n%v", e)
	}
}

// When two modules of the context have a package of the name the notebook used without
// importing it, declaring the names it uses (GoMLX's shapes and go-xla's, both with Make),
// the notebook meant the one of the module it imports most from, whatever the modules' order.
func TestFindPackagePrefersTheNotebooksModule(t *testing.T) {
	cache := t.TempDir()
	for _, m := range []string{"example.com/a-xla", "example.com/ml"} {
		dir := filepath.Join(cache, filepath.FromSlash(m)+"@v1.0.0")
		mustWrite(t, filepath.Join(dir, "go.mod"), "module "+m+"\n")
		mustWrite(t, filepath.Join(dir, "shapes", "shapes.go"), "package shapes\n\nfunc Make() int { return 1 }\n")
		mustWrite(t, filepath.Join(dir, "graph", "graph.go"), "package graph\n\nfunc New() int { return 1 }\n")
	}
	mc := &ModuleContext{modCache: cache, fetched: true,
		Requires: map[string]string{"example.com/a-xla": "v1.0.0", "example.com/ml": "v1.0.0"}, Local: map[string]string{}}
	if got, ok := mc.findPackage("shapes", []string{"Make"}); !ok || got != "example.com/a-xla/shapes" {
		t.Errorf("without written imports: findPackage = %q, %v; want the first module's", got, ok)
	}
	mc.forgetRoots()
	mc.fetched = true
	mc.writtenImports = map[string]bool{"example.com/ml/graph": true}
	if got, ok := mc.findPackage("shapes", []string{"Make"}); !ok || got != "example.com/ml/shapes" {
		t.Errorf("findPackage = %q, %v; want example.com/ml/shapes, of the module the notebook imports from", got, ok)
	}
}

// A package that a module of the context had in earlier releases, under a path that a nested
// module split off later claims (GoMLX's examples/notebook/gonb/plots, in gomlx up to v0.10.0,
// and the examples module since v0.27): both modules are searched for a version that has it.
func TestUnresolvedInNestedModuleSearchesTheContextsModule(t *testing.T) {
	mc := &ModuleContext{Requires: map[string]string{"example.com/ml": "v0.20.0"}, Local: map[string]string{}, From: map[string]string{}}
	err := &TidyError{Output: "go: finding module for package example.com/ml/examples/plots\n" +
		"example.com/svc imports\n\texample.com/ml/examples/plots: module example.com/ml/examples@latest found (v0.28.1), but does not contain package example.com/ml/examples/plots"}
	got := mc.UnresolvedModules(err)
	want := map[string][]string{"example.com/ml/examples": {"example.com/ml/examples/plots"}, "example.com/ml": {"example.com/ml/examples/plots"}}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("UnresolvedModules = %v, want %v", got, want)
	}
}
