package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/refactor"
)

// writeProxy lays out a GOPROXY directory (file://) holding example.com/lib at two versions:
// v1.0.0 has package example.com/lib/old, v1.1.0 moved it to example.com/lib/neu.
func writeProxy(t *testing.T, root string) {
	t.Helper()
	for v, pkg := range map[string]string{"v1.0.0": "old", "v1.1.0": "neu"} {
		writeModule(t, root, "example.com/lib", v, map[string]string{
			pkg + "/" + pkg + ".go": "package " + pkg + "\n\n// Answer is what the library computes.\nfunc Answer() int { return 42 }\n",
		})
	}
}

// writeModule adds module mod at version v, with files (relative path to source; go.mod
// defaults to one without requirements), to the GOPROXY directory root.
func writeModule(t *testing.T, root, mod, v string, files map[string]string) {
	t.Helper()
	dir := filepath.Join(root, filepath.FromSlash(mod), "@v")
	gomod, ok := files["go.mod"]
	if !ok {
		gomod = "module " + mod + "\n\ngo 1.21\n"
	}
	src := filepath.Join(t.TempDir(), "src")
	write(t, filepath.Join(src, "go.mod"), gomod)
	for name, data := range files {
		write(t, filepath.Join(src, filepath.FromSlash(name)), data)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, v+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := zip.CreateFromDir(f, module.Version{Path: mod, Version: v}, src); err != nil {
		t.Fatal(err)
	}
	f.Close()
	write(t, filepath.Join(dir, v+".mod"), gomod)
	info, _ := json.Marshal(map[string]string{"Version": v, "Time": "2026-01-01T00:00:00Z"})
	write(t, filepath.Join(dir, v+".info"), string(info))
	var list []string
	if old, err := os.ReadFile(filepath.Join(dir, "list")); err == nil {
		list = strings.Fields(string(old))
	}
	list = append(list, v)
	sort.Strings(list)
	write(t, filepath.Join(dir, "list"), strings.Join(list, "\n")+"\n")
}

// offlineModules points the go command at a fresh module cache filled from the GOPROXY
// directory proxy, for the test's modules, and from this machine's module cache for the
// service's own dependencies: no network.
func offlineModules(t *testing.T, tmp, proxy string) {
	t.Helper()
	realCache := extract.DefaultModCache()
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(realCache, "cache", "download")))
	t.Setenv("GOMODCACHE", filepath.Join(tmp, "modcache"))
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOFLAGS", "-mod=mod -modcacherw")
	t.Setenv("GOTOOLCHAIN", "local")
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func notebook(t *testing.T, path string, kernel string, cells ...string) {
	t.Helper()
	var list []map[string]any
	for _, c := range cells {
		if h, ok := strings.CutPrefix(c, "#md "); ok {
			list = append(list, map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": h})
			continue
		}
		list = append(list, map[string]any{"cell_type": "code", "metadata": map[string]any{}, "execution_count": nil, "outputs": []any{}, "source": c})
	}
	raw, err := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "cells": list,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": kernel, "language": "go", "display_name": "Go"}}})
	if err != nil {
		t.Fatal(err)
	}
	write(t, path, string(raw))
}

// A notebook inside a module that requires an older layout of a library extracts against the
// version that module requires, not the library's latest, which no longer has the package.
func TestEnclosingModuleVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeProxy(t, proxy)
	offlineModules(t, tmp, proxy)

	proj := filepath.Join(tmp, "proj")
	write(t, filepath.Join(proj, "go.mod"), "module example.com/proj\n\ngo 1.21\n\nrequire example.com/lib v1.0.0\n")
	nb := filepath.Join(proj, "notebooks", "answer.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import \"example.com/lib/old\"\n\n// Compute returns the library's answer.\nfunc Compute() int { return old.Answer() }",
		"%%\nfmt.Println(Compute())")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	gomod := string(res.Output.Files["go.mod"])
	if !strings.Contains(gomod, "example.com/lib v1.0.0") {
		t.Errorf("go.mod does not require the enclosing module's version:\n%s", gomod)
	}
	found := false
	for _, d := range res.Decisions {
		if strings.Contains(d.Reason, "requires example.com/lib v1.0.0") && strings.Contains(d.Reason, "enclosing go.mod") {
			found = true
		}
	}
	if !found {
		t.Errorf("no decision says where example.com/lib v1.0.0 came from: %+v", res.Decisions)
	}

	// --pin wins over the enclosing module: v1.1.0 has no package old, so the import is
	// refused at its cell and line, naming the module, the versions tried and the flag.
	_, err = Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc2"), Author: author, NoVerify: true,
		Modules: extractModules("example.com/lib@v1.1.0")})
	if err == nil {
		t.Fatal("extract with --pin example.com/lib@v1.1.0 succeeded; want the import refused")
	}
	for _, want := range []string{"cell 1, line 1", `import "example.com/lib/old"`, "example.com/lib@v1.1.0", "--pin example.com/lib@VERSION"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

// A notebook inside a module that uses its library as GoMLX's examples do extracts into a
// service that builds, vets and passes its tests: a dot import written in one cell serves the
// code of others, a blank import survives its cell's redefinition, a package named like a
// standard one (metrics) is the library's, and a package the library renamed resolves to the
// one the notebook imports. The notebook's %env reaches the tests.
func TestLibraryImportsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the service")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeModule(t, proxy, "example.com/ml", "v1.0.0", map[string]string{
		"graph/graph.go": `package graph

type Graph struct{}

type Node struct{ v float64 }

type Exec struct{ f func(*Graph) *Node }

func Add(a, b *Node) *Node { return &Node{a.v + b.v} }

func Const(g *Graph, v float64) *Node { return &Node{v} }

func MustNewExec(f func(*Graph) *Node) *Exec { return &Exec{f} }

func (e *Exec) Run() float64 { return e.f(&Graph{}).v }
`,
		"backend/backend.go": "// Package backend registers the default backend when imported.\npackage backend\n\n// Registered is set by importing the package.\nvar Registered bool\n\nfunc init() { Registered = true }\n",
		"backends/backends.go": `package backends

import (
	"os"

	"example.com/ml/backend"
)

// Name is the backend in use; it panics when none is registered or the environment asks for
// one this machine lacks.
func Name() string {
	if !backend.Registered {
		panic("no backend registered: import example.com/ml/backend")
	}
	if b := os.Getenv("ML_BACKEND"); b != "go" {
		panic("backend " + b + " needs a plugin this machine lacks")
	}
	return "go"
}
`,
		"train/metrics/metrics.go": "package metrics\n\ntype MeanAccuracy struct{}\n\nfunc NewMeanAccuracy() *MeanAccuracy { return &MeanAccuracy{} }\n\nfunc (m *MeanAccuracy) Of(n int) float64 { return 1 / float64(n) }\n",
		"datasets/inmemory.go":     "package datasets\n\ntype InMemoryDataset struct{ v []float64 }\n\nfunc InMemory(v []float64) *InMemoryDataset { return &InMemoryDataset{v} }\n\nfunc (d *InMemoryDataset) Len() int { return len(d.v) }\n",
	})
	offlineModules(t, tmp, proxy)
	t.Setenv("ML_BACKEND", "") // the notebook's %env decides
	os.Unsetenv("ML_BACKEND")

	proj := filepath.Join(tmp, "proj")
	write(t, filepath.Join(proj, "go.mod"), "module example.com/proj\n\ngo 1.21\n\nrequire example.com/ml v1.0.0\n")
	nb := filepath.Join(proj, "notebooks", "model.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 2. Pre/Post processing",
		"%env ML_BACKEND=go\n\nimport (\n\t. \"example.com/ml/graph\"\n\t_ \"example.com/ml/backend\"\n)\n\nfunc Sum(a, b *Node) *Node { return Add(a, b) }",
		"import . \"example.com/ml/graph\"\n\n// Sum adds a twice.\nfunc Sum(a, b *Node) *Node { return Add(a, Add(a, b)) }",
		"#md ## 3. Calculation",
		"import (\n\t\"math\"\n\n\t\"example.com/ml/backends\"\n\t\"example.com/ml/datasets\"\n)\n\n// predict builds the graph and runs it.\nfunc predict(x float64) float64 {\n\t_ = backends.Name()\n\te := MustNewExec(func(g *Graph) *Node { return Sum(Const(g, x), Const(g, 1)) })\n\treturn math.Sqrt(e.Run())\n}\n\n// accuracy measures on an in-memory dataset.\nfunc accuracy() float64 {\n\tds := data.InMemory([]float64{1, 0})\n\treturn metrics.NewMeanAccuracy().Of(ds.Len())\n}",
		"%%\nfmt.Println(predict(1), accuracy())")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if res.Commit == nil {
		t.Fatal("nothing was committed")
	}
	pred := string(res.Output.Files["model/prediction.go"])
	for _, want := range []string{`. "example.com/ml/graph"`, `data "example.com/ml/datasets"`, `"example.com/ml/train/metrics"`} {
		if !strings.Contains(pred, want) {
			t.Errorf("prediction.go does not import %s:\n%s", want, pred)
		}
	}
	if pipe := string(res.Output.Files["model/pipeline.go"]); !strings.Contains(pipe, `_ "example.com/ml/backend"`) {
		t.Errorf("pipeline.go lost the blank import:\n%s", pipe)
	}
}

func extractModules(pins ...string) extract.ModuleOptions { return extract.ModuleOptions{Pins: pins} }

// Notebooks written for gophernotes and lgo extract, verify (build, vet, test) and commit like
// GoNB notebooks.
func TestOtherKernelsExtractAndBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the services")
	}
	for _, nb := range []string{"../testdata/kernels/gophernotes.ipynb", "../testdata/kernels/lgo.ipynb"} {
		t.Run(filepath.Base(nb), func(t *testing.T) {
			res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(t.TempDir(), "svc"), Author: author, Short: true,
				Build: extract.Options{AutoLabel: true}})
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if res.Commit == nil {
				t.Fatal("nothing was committed")
			}
		})
	}
}

// Arguments on a %% line become the batch command's arguments for that step: flags are reset
// and set from them before the step, and the command line wins.
func TestStepArgs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the batch command")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "flags.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import (\n\t\"flag\"\n\t\"fmt\"\n)\n\nvar maxLen = flag.Int(\"max_len\", 10, \"longest input\")",
		"%% --max_len=200\nfmt.Println(\"first\", *maxLen)",
		"%%\nfmt.Println(\"second\", *maxLen)")
	repo := filepath.Join(tmp, "svc")
	res, err := Run(context.Background(), nb, Options{Repo: repo, Author: author, Short: true})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if readme := string(res.Output.Files["README.md"]); !strings.Contains(readme, "`--max_len=200`") {
		t.Errorf("the README does not document the step's arguments:\n%s", readme)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "first 200\nsecond 10\n"},
		{[]string{"-max_len=5"}, "first 5\nsecond 5\n"},
	} {
		cmd := exec.Command("go", append([]string{"run", "./cmd/flags"}, tc.args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go run ./cmd/flags %v: %v\n%s", tc.args, err, out)
		}
		if string(out) != tc.want {
			t.Errorf("go run ./cmd/flags %v printed %q, want %q", tc.args, out, tc.want)
		}
	}
}

// A library with cgo code makes the service build with CGO_ENABLED=1; the image test the
// service ships must then build its binaries with cgo too, not fail its own static build.
func TestCgoLibraryServiceVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the service")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeModule(t, proxy, "example.com/clib", "v1.0.0", map[string]string{
		"twice/twice.go": "// Package twice doubles with C.\npackage twice\n\n/*\nstatic int twice(int x) { return 2 * x; }\n*/\nimport \"C\"\n\n// Twice returns 2x.\nfunc Twice(x int) int { return int(C.twice(C.int(x))) }\n",
	})
	offlineModules(t, tmp, proxy)
	t.Setenv("CGO_ENABLED", "")
	os.Unsetenv("CGO_ENABLED")

	nb := filepath.Join(tmp, "nb", "double.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import \"example.com/clib/twice\"\n\n// Double doubles x.\nfunc Double(x int) int { return twice.Twice(x) }",
		"%%\nfmt.Println(Double(21))")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, Refactor: []string{refactor.PassModernize}})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if res.Commit == nil {
		t.Fatal("nothing was committed")
	}
	if res.Refactor == nil {
		t.Fatal("the refactorings did not run")
	}
	for _, c := range res.Refactor.Dropped {
		// The generated code may have nothing to modernize; what it has must verify with cgo.
		t.Errorf("refactoring %s dropped: verified without the service's cgo setting? %s", c.Title, c.Problem)
	}
	if !slices.ContainsFunc(res.Decisions, func(d extract.Decision) bool { return d.Subject == "cgo" }) {
		t.Errorf("no decision says the service needs cgo: %+v", res.Decisions)
	}
	if _, ok := res.Output.Files["cmd/image/image_test.go"]; !ok {
		t.Error("the service has no image test: the case this test is about is not exercised")
	}
}
