package httpapi

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

func ptr(v float64) *float64 { return &v }

// demoSpec describes the library in testdata/demo.txtar.
func demoSpec() Spec {
	return Spec{
		Module:  "example.com/demo",
		PkgPath: "example.com/demo/demo",
		PkgName: "demo",
		Title:   "Demo scoring",
		Version: "0.1.0",
		Routes: []Route{
			{
				Func: "CalcProbabilities",
				Doc:  "CalcProbabilities returns the churn probability of a customer. It fails for an unknown plan.",
				Params: []Param{
					{Name: "age", GoType: "float64", Min: ptr(0), Max: ptr(120), Example: "42.5"},
					{Name: "plan", GoType: "string", Enum: []string{"basic", "premium"}},
					{Name: "calls", GoType: "int", Min: ptr(0), Example: "3"},
				},
				Results: []Result{{GoType: "float64"}, {GoType: "error"}},
			},
			{
				Func:    "Score",
				Doc:     "Score returns the mean of the features.",
				Params:  []Param{{Name: "features", GoType: "[]float64", Example: "[1, 2, 3]"}},
				Results: []Result{{GoType: "float64"}},
			},
			{
				Func: "Segment",
				Params: []Param{
					{Name: "c", GoType: "demo.Customer", Example: `{"age": 70, "plan": "basic", "calls": [1, 2]}`},
					{Name: "threshold", GoType: "float32", Max: ptr(100)},
				},
				Results: []Result{{Name: "segment", GoType: "string"}, {Name: "confidence", GoType: "float64"}},
			},
			{
				Func: "Lookup",
				Params: []Param{
					{Name: "id", GoType: "int64", Example: "7"},
					{Name: "verbose", GoType: "bool"},
					{Name: "level", GoType: "uint8", Max: ptr(10)},
					{Name: "plan", GoType: "demo.Plan", Kind: String, Enum: []string{"basic", "premium"}},
				},
				Results: []Result{{GoType: "demo.Customer"}, {GoType: "error"}},
			},
			{
				Func:    "Version",
				Path:    "/v1/model-version",
				Results: []Result{{GoType: "string"}},
			},
			{
				Func: "Totals",
				Params: []Param{
					{Name: "series", GoType: "map[string][]float64", Example: `{"a": [1, 2]}`},
					{Name: "weight", GoType: "float32", Min: ptr(0)},
				},
				Results: []Result{{GoType: "map[string]float64"}},
			},
		},
	}
}

// writeModule writes the files of a txtar archive and the rendered files into a new directory.
func writeModule(t *testing.T, fixture string, files map[string][]byte) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range ar.Files {
		write(f.Name, f.Data)
	}
	for name, data := range files {
		write(name, data)
	}
	// The server needs client_golang and its tests kin-openapi: resolve them from the module
	// cache, else the proxy, as extraction's verify step does.
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	return dir
}

// goCmd runs the go command in dir and returns its combined output.
func goCmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=", "GOPROXY=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func needGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
}

// TestEndToEnd renders the demo API next to the demo library and checks that the result is
// gofmt-clean, vets, builds and passes its own tests.
func TestEndToEnd(t *testing.T) {
	needGo(t)
	files, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	dir := writeModule(t, "demo.txtar", files)
	if out, err := goCmd(t, dir, "vet", "./..."); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
	out, err := goCmd(t, dir, "test", "-count=1", "-run=.", "-bench=.", "-benchtime=20x", "./...")
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ok  \texample.com/demo/cmd/server") {
		t.Errorf("go test output does not show the server package passing:\n%s", out)
	}
}

// TestEndToEndCatchesBrokenLibrary checks that the generated tests can fail: with a library
// function that errors on its example, TestLibraryExamples must fail.
func TestEndToEndCatchesBrokenLibrary(t *testing.T) {
	needGo(t)
	files, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	dir := writeModule(t, "demo.txtar", files)
	src := filepath.Join(dir, "demo", "demo.go")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(data, []byte(`if plan != "basic" && plan != "premium" {`), []byte(`if plan != "" {`), 1)
	if bytes.Equal(broken, data) {
		t.Fatal("fixture changed: cannot break CalcProbabilities")
	}
	if err := os.WriteFile(src, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := goCmd(t, dir, "test", "-count=1", "./cmd/server")
	if err == nil {
		t.Fatalf("generated tests passed against a failing library:\n%s", out)
	}
	if !strings.Contains(out, "--- FAIL: TestLibraryExamples/CalcProbabilities") {
		t.Errorf("want TestLibraryExamples/CalcProbabilities to fail; output:\n%s", out)
	}
}

// varietySpec describes the library in testdata/variety.txtar.
func varietySpec() Spec {
	return Spec{
		Module:  "example.com/v",
		PkgPath: "example.com/v/json",
		PkgName: "json",
		Routes: []Route{
			{
				Func: "Handle",
				Params: []Param{
					{Name: "w", GoType: "float64"},
					{Name: "r", GoType: "string"},
					{Name: "json", GoType: "int"},
					{Name: "writeError", GoType: "bool", Example: "false"},
					{Name: "v0", GoType: "json.Kind", Kind: Int, Min: ptr(0), Max: ptr(3)},
				},
				Results: []Result{{Name: "err2", GoType: "json.Result"}, {GoType: "error"}},
			},
			{
				Func: "Raw",
				Params: []Param{
					{Name: "data", GoType: "[]byte"},
					{Name: "grid", GoType: "[2][2]float64"},
					{Name: "p", GoType: "*json.Result"},
				},
				Results: []Result{{GoType: "[]byte"}, {GoType: "error"}},
			},
			{Func: "Ping", Method: "POST", NoLiveTest: true, Results: []Result{{GoType: "string"}, {GoType: "error"}}},
			{
				Func: "Rates",
				Path: "/v2/rates",
				Params: []Param{
					{Name: "r", GoType: "json.Rate", Kind: Float64, Min: ptr(0), Max: ptr(1)},
					{Name: "f", GoType: "float32", Example: "0.1"},
					{Name: "small", GoType: "int8", Min: ptr(-5), Max: ptr(5)},
					{Name: "u", GoType: "uint", Max: ptr(10)},
					{Name: "flag", GoType: "bool"},
				},
				Results: []Result{{GoType: "json.Rate", Kind: Float64}, {GoType: "float32"}},
			},
			{
				Func:    "Tally",
				Params:  []Param{{Name: "n", GoType: "int", Min: ptr(0), Max: ptr(100)}},
				Results: []Result{{GoType: "int"}, {GoType: "uint16"}, {GoType: "bool"}, {GoType: "float32"}, {GoType: "int64"}},
			},
		},
	}
}

// TestEndToEndVariety renders an API whose names collide with the generated code's and whose
// types exercise the less common paths, and runs its tests.
func TestEndToEndVariety(t *testing.T) {
	needGo(t)
	files, err := Render(varietySpec())
	if err != nil {
		t.Fatal(err)
	}
	dir := writeModule(t, "variety.txtar", files)
	if out, err := goCmd(t, dir, "vet", "./..."); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
	if out, err := goCmd(t, dir, "test", "-count=1", "./..."); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}
