package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"

	"github.com/decant-go/decant/extract"
)

// writeProxy lays out a GOPROXY directory (file://) holding example.com/lib at two versions:
// v1.0.0 has package example.com/lib/old, v1.1.0 moved it to example.com/lib/neu.
func writeProxy(t *testing.T, root string) {
	t.Helper()
	versions := map[string]string{"v1.0.0": "old", "v1.1.0": "neu"}
	dir := filepath.Join(root, "example.com", "lib", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var list []string
	for v, pkg := range versions {
		src := filepath.Join(t.TempDir(), "lib")
		write(t, filepath.Join(src, "go.mod"), "module example.com/lib\n\ngo 1.21\n")
		write(t, filepath.Join(src, pkg, pkg+".go"), "package "+pkg+"\n\n// Answer is what the library computes.\nfunc Answer() int { return 42 }\n")
		f, err := os.Create(filepath.Join(dir, v+".zip"))
		if err != nil {
			t.Fatal(err)
		}
		if err := zip.CreateFromDir(f, module.Version{Path: "example.com/lib", Version: v}, src); err != nil {
			t.Fatal(err)
		}
		f.Close()
		write(t, filepath.Join(dir, v+".mod"), "module example.com/lib\n\ngo 1.21\n")
		info, _ := json.Marshal(map[string]string{"Version": v, "Time": "2026-01-01T00:00:00Z"})
		write(t, filepath.Join(dir, v+".info"), string(info))
		list = append(list, v)
	}
	write(t, filepath.Join(dir, "list"), strings.Join(list, "\n")+"\n")
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
	// A fresh module cache, filled from the fake proxy for example.com/lib and from this
	// machine's module cache for the service's own dependencies: no network.
	realCache := extract.DefaultModCache()
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(realCache, "cache", "download")))
	t.Setenv("GOMODCACHE", filepath.Join(tmp, "modcache"))
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOFLAGS", "-mod=mod -modcacherw")
	t.Setenv("GOTOOLCHAIN", "local")

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
