package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// addModule adds path@version to the file:// proxy at root: a go.mod (with require lines)
// and one Go package per entry of pkgs ("." for the module's root).
func addModule(t *testing.T, root, path, version, requires string, pkgs ...string) {
	t.Helper()
	files := map[string]string{"go.mod": "module " + path + "\n\ngo 1.21\n" + requires}
	for _, p := range pkgs {
		name := filepath.Base(p)
		if p == "." {
			name = filepath.Base(path)
		}
		files[p+"/x.go"] = "package " + name + "\n\n// Answer is what the library computes.\nfunc Answer() int { return 42 }\n"
	}
	writeModule(t, root, path, version, files)
}

// layoutProject writes a module requiring lib libVersion and wrap v0.2.0, with a notebook at
// rel inside it that imports example.com/lib/pkg and example.com/wrap, and returns its path.
func layoutProject(t *testing.T, tmp, libVersion, rel, pkg string) string {
	t.Helper()
	proj := filepath.Join(tmp, "proj")
	write(t, filepath.Join(proj, "go.mod"), "module example.com/proj\n\ngo 1.21\n\nrequire (\n\texample.com/lib "+libVersion+"\n\texample.com/wrap v0.2.0\n)\n")
	nb := filepath.Join(proj, rel)
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import (\n\t\"example.com/lib/"+pkg+"\"\n\t\"example.com/wrap\"\n)\n\n// Compute returns the libraries' answer.\nfunc Compute() int { return "+pkg+".Answer() + wrap.Answer() }",
		"%%\nfmt.Println(Compute())")
	return nb
}

// A notebook committed in a module's release but written for an older layout of a library:
// the release's go.mod requires the library's new layout (and a wrapper built on it), the
// notebook imports the old one. The version search finds the library's newest version with
// the old layout and the wrapper's newest release that accepts it, and says so.
func TestVersionSearchOlderLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	addModule(t, proxy, "example.com/lib", "v1.0.0", "", "old")
	addModule(t, proxy, "example.com/lib", "v1.1.0", "", "neu")
	addModule(t, proxy, "example.com/wrap", "v0.1.0", "\nrequire example.com/lib v1.0.0\n", ".")
	addModule(t, proxy, "example.com/wrap", "v0.2.0", "\nrequire example.com/lib v1.1.0\n", ".")
	offlineModules(t, tmp, proxy)

	nb := layoutProject(t, tmp, "v1.1.0", "notebooks/answer.ipynb", "old")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	gomod := string(res.Output.Files["go.mod"])
	for _, want := range []string{"example.com/lib v1.0.0", "example.com/wrap v0.1.0"} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod does not require %s:\n%s", want, gomod)
		}
	}
	found := false
	for _, d := range res.Decisions {
		if strings.Contains(d.Reason, "example.com/lib@v1.1.0 does not have example.com/lib/old") &&
			strings.Contains(d.Reason, "example.com/wrap v0.1.0 instead of v0.2.0") && strings.Contains(d.Reason, "--pin example.com/lib@VERSION") {
			found = true
		}
	}
	if !found {
		t.Errorf("no decision explains the versions chosen: %+v", res.Decisions)
	}

	// --pin wins: the search leaves a pinned module alone, and the refusal names the pin.
	_, err = Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc2"), Author: author, NoVerify: true,
		Modules: extractModules("example.com/lib@v1.1.0")})
	if err == nil || !strings.Contains(err.Error(), `import "example.com/lib/old"`) {
		t.Fatalf("extract with --pin example.com/lib@v1.1.0 = %v; want the import refused", err)
	}
}

// When no version known here has every package the notebook imports, the refusal says what
// the search tried, at the import's cell and line.
func TestVersionSearchNothingFits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	addModule(t, proxy, "example.com/lib", "v1.0.0", "", "old")
	addModule(t, proxy, "example.com/lib", "v1.1.0", "", "neu")
	addModule(t, proxy, "example.com/wrap", "v0.2.0", "\nrequire example.com/lib v1.1.0\n", ".")
	offlineModules(t, tmp, proxy)

	nb := layoutProject(t, tmp, "v1.1.0", "notebooks/answer.ipynb", "old")
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err == nil {
		t.Fatal("extract succeeded; want the import refused")
	}
	for _, want := range []string{"cell 1, line 2", `import "example.com/lib/old"`,
		"example.com/lib@v1.0.0 has the packages, but example.com/wrap@v0.2.0 requires a newer example.com/lib",
		"--pin example.com/wrap@VERSION"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
}

// When the version required lacks a package the notebook imports, the search prefers the
// version another imported library requires (what it was built against) to a newer one.
func TestVersionSearchPrefersWhatLibrariesRequire(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	addModule(t, proxy, "example.com/lib", "v1.1.0", "", "neu")
	addModule(t, proxy, "example.com/lib", "v1.2.0", "", "neu")
	addModule(t, proxy, "example.com/lib", "v1.3.0", "", "newer")
	addModule(t, proxy, "example.com/wrap", "v0.2.0", "\nrequire example.com/lib v1.1.0\n", ".")
	offlineModules(t, tmp, proxy)
	// The module the notebook sits in requires the library's newest version, which moved the
	// package again.
	nb := layoutProject(t, tmp, "v1.3.0", "answer.ipynb", "neu")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if gomod := string(res.Output.Files["go.mod"]); !strings.Contains(gomod, "example.com/lib v1.1.0") {
		t.Errorf("go.mod does not require the version example.com/wrap requires:\n%s", gomod)
	}
	found := false
	for _, d := range res.Decisions {
		found = found || strings.Contains(d.Reason, "the version example.com/wrap@v0.2.0, which the notebook also imports, requires")
	}
	if !found {
		t.Errorf("no decision says why example.com/lib v1.1.0: %+v", res.Decisions)
	}
}
