package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/semver"

	"github.com/decant-go/decant/extract"
)

// fileProxy serves the GOPROXY directory root over HTTP, as a module proxy does, except for
// the requests answer takes (it reports whether it answered).
func fileProxy(t *testing.T, root string, answer func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	files := http.FileServer(http.Dir(root))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !answer(w, r) {
			files.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// refusingProxy serves the GOPROXY directory root over HTTP, as a module proxy does, except
// that it answers 403 Forbidden for every path under refused (an escaped module path): the
// answer proxy.golang.org gives for a module, or a commit of one, it does not serve.
func refusingProxy(t *testing.T, root, refused string) string {
	t.Helper()
	return fileProxy(t, root, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/"+refused+"/@") {
			return false
		}
		http.Error(w, "This module version is not available.", http.StatusForbidden)
		return true
	})
}

// With an empty module cache, a notebook that go gets a commit of a module the proxy refuses
// (with a warm cache its cached release stands in) is refused at that cell's line, and the
// line itself says that the proxy refused the module and how to fetch it anyway.
func TestColdCacheCommitProxyRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	addModule(t, proxy, "example.com/plot", "v0.3.0", "", ".")
	machine := extract.DefaultModCache()
	offlineModules(t, tmp, proxy)
	url := refusingProxy(t, proxy, "example.com/plot")
	t.Setenv("GOPROXY", url+",file://"+filepath.ToSlash(filepath.Join(machine, "cache", "download")))

	nb := filepath.Join(tmp, "plot.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"!*go get -u example.com/plot@d60b2efd2f5acc5d8fbbe13eaf85f1532e11a2fb",
		"import \"example.com/plot\"\n\n// Compute returns the library's answer.\nfunc Compute() int { return plot.Answer() }",
		"%%\nfmt.Println(Compute())")
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err == nil {
		t.Fatal("extract succeeded with a module the proxy refuses and the module cache lacks")
	}
	first, _, _ := strings.Cut(err.Error(), "\n\t")
	_, located, _ := strings.Cut(err.Error(), "\n\t")
	located, _, _ = strings.Cut(located, "\n")
	if !strings.Contains(first, "plot.ipynb") {
		t.Errorf("the error does not name the notebook: %v", err)
	}
	for _, want := range []string{"cell 1, line 1: !*go get -u example.com/plot@d60b2efd2f5acc5d8fbbe13eaf85f1532e11a2fb",
		"the module proxy " + url + " refused it (403 Forbidden)", "GOPRIVATE=example.com/plot", "--pin example.com/plot@VERSION"} {
		if !strings.Contains(located, want) {
			t.Errorf("the refusal's located line does not say %q:\n%v", want, err)
		}
	}
}

// A library whose cgo code declares what its plain Go files use (as GoMLX's XLA bindings do)
// fails a static build with "undefined" in the module cache, wherever GOMODCACHE puts it (a
// fresh one outside any GOPATH, printed relative to the build directory): the service is
// then verified with cgo, as with the default ~/go/pkg/mod.
func TestColdCacheCgoLibraryOutsideGopath(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the service")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeModule(t, proxy, "example.com/xla", "v0.1.4", map[string]string{
		"pjrt/plugins.go": "// Package pjrt loads plugins through C.\npackage pjrt\n\n/*\nstatic int count(void) { return 2; }\n*/\nimport \"C\"\n\nvar loaded = int(C.count())\n",
		"pjrt/cuda.go":    "package pjrt\n\n// Plugins returns how many plugins are loaded.\nfunc Plugins() int { return loaded }\n",
	})
	offlineModules(t, tmp, proxy)
	if strings.Contains(filepath.ToSlash(os.Getenv("GOMODCACHE")), "/pkg/mod") {
		t.Fatalf("GOMODCACHE=%s: the case this test is about needs a cache outside any GOPATH", os.Getenv("GOMODCACHE"))
	}
	os.Unsetenv("CGO_ENABLED")

	nb := filepath.Join(tmp, "nb", "plugins.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import \"example.com/xla/pjrt\"\n\n// Count returns the plugins loaded.\nfunc Count() int { return pjrt.Plugins() }",
		"%%\nfmt.Println(Count())")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if !slices.ContainsFunc(res.Decisions, func(d extract.Decision) bool { return d.Subject == "cgo" }) {
		t.Errorf("no decision says the service needs cgo: %+v", res.Decisions)
	}
}

// newestOnlyProxy serves the GOPROXY directory root over HTTP with each module's version list
// cut to its newest version, as a proxy that lists only recent releases (and serves the
// others when asked by version) does.
func newestOnlyProxy(t *testing.T, root string) string {
	t.Helper()
	return fileProxy(t, root, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/@v/list") {
			return false
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
		if err != nil {
			http.NotFound(w, r)
			return true
		}
		vs := strings.Fields(string(data))
		semver.Sort(vs)
		fmt.Fprintln(w, vs[len(vs)-1])
		return true
	})
}

// With an empty module cache and a proxy that lists only each module's newest release, a
// notebook written for an older layout of a library still resolves: the version search finds
// the earlier releases the proxy serves unlisted, for the library and for the module that
// requires its newest release. (A warm module cache held them, so only a cold one showed it.)
func TestColdCacheVersionSearchUnlistedReleases(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	addModule(t, proxy, "example.com/ml", "v0.2.0", "", "graph")
	addModule(t, proxy, "example.com/ml", "v0.3.0", "", "core/graph")
	addModule(t, proxy, "example.com/onnx", "v0.1.0", "\nrequire example.com/ml v0.2.0\n", ".")
	addModule(t, proxy, "example.com/onnx", "v0.2.0", "\nrequire example.com/ml v0.3.0\n", ".")
	machine := extract.DefaultModCache()
	offlineModules(t, tmp, proxy)
	t.Setenv("GOPROXY", newestOnlyProxy(t, proxy)+",file://"+filepath.ToSlash(filepath.Join(machine, "cache", "download")))

	nb := filepath.Join(tmp, "model.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import (\n\t\"example.com/ml/graph\"\n\t\"example.com/onnx\"\n)\n\n// Compute returns the libraries' answer.\nfunc Compute() int { return graph.Answer() + onnx.Answer() }",
		"%%\nfmt.Println(Compute())")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	gomod := string(res.Output.Files["go.mod"])
	for _, want := range []string{"example.com/ml v0.2.0", "example.com/onnx v0.1.0"} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod does not require %s:\n%s", want, gomod)
		}
	}
}
