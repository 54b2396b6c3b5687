package main

import (
	"slices"
	"strings"
	"testing"
)

func TestClass(t *testing.T) {
	for _, tc := range []struct {
		outcome, reason, unverified, want string
	}{
		{"refused", "decant extract: ogbn-mag.ipynb: cell 15, line 2: import \"x/plots\": cannot be resolved", "", "refused: other"},
		{"built", "", "", "built"},
		{"built", "", "step train, at cell 2, line 15, needs the network: dial tcp: lookup x.org: no such host", builtUnverified},
		{"failed", "timeout after 5m0s", "", "failed"},
		{"refused", "cell 4, line 2: a library imported here uses cgo and needs the C library xla, which is not installed on this machine", "", "refused: environment"},
		{"refused", "cell 3, line 1: the library github.com/x/y@v1.0.0 does not build on this machine: …", "", "refused: environment"},
		{"refused", "decant extract: tutorial.ipynb: cell 23, line 1: import \"github.com/benc-uk/gofract/pkg/fractals\": cannot be resolved: tried the module cache and the proxy; fix it with --pin MODULE@VERSION or --replace MODULE=DIR (or import the package meant, or leave the cell out with --skip 23); the module proxy https://proxy.golang.org refused it (403 Forbidden): if it is private, set GOPRIVATE=github.com/benc-uk/gofract", "", "refused: environment"},
		{"refused", "cell 2, line 7: undefined: foo", "", "refused: other"},
		{"refused", "build: fft/prediction.go:59 (cell 4, line 46): assignment mismatch: 1 variable but learnedXVar.Value returns 2 values (no version of github.com/gomlx/gomlx known here fits the notebook's code: tried v0.25.0, v0.24.0)", "", refusedNotebook},
		{"refused", "vet: rational/prediction.go:103 (cell 10, line 69): fmt.Println arg list ends with redundant newline", "", refusedNotebook},
		{"refused", "vet: rational/api.go:10: unreachable code", "", "refused: other"},
		{"refused", "decant extract: ogbn-mag.ipynb: cell 15, line 2: import \"github.com/gomlx/gomlx/examples/notebook/gonb/plots\": cannot be resolved: tried the module cache (v0.28.1, v0.27.3), the proxy's latest (v0.28.1); fix it with --pin github.com/gomlx/gomlx/examples@VERSION\nno version of github.com/gomlx/gomlx/examples known here (the module cache, the proxy's list) has every package the notebook imports from it (github.com/gomlx/gomlx/examples/notebook/gonb/plotly)", "", refusedNotebook},
		{"refused", "decant extract: OxfordFlowers102_Diffusion.ipynb: cell 15, line 21: the notebook uses data without importing it, and goimports found \"github.com/gomlx/gomlx/ml/data\" in another module version: cannot be resolved\nno package named data in the notebook's module context declares what the notebook uses; github.com/gomlx/gomlx@v0.26.0 has no package ml/data", "", refusedNotebook},
		{"refused", `test: p/pipeline.go:26 (cell 4, line 32): panic: failed downloading "https://example.com/data.zip": Get "https://example.com/data.zip": dial tcp: lookup example.com: no such host`, "", "refused: environment"},
		{"refused", `test: p/prediction.go:32 (cell 3, line 22): panic: file "data.tar.gz" sha256 hash is "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", but expected "c4a3"`, "", "refused: environment"},
	} {
		// The explanation that follows the located line counts as well.
		located, explained, _ := strings.Cut(tc.reason, "\n")
		if got := (result{outcome: tc.outcome, reason: located, explained: explained, runUnverified: tc.unverified}).class(); got != tc.want {
			t.Errorf("class(%q, %q, %q) = %q, want %q", tc.outcome, tc.reason, tc.unverified, got, tc.want)
		}
	}
}

// The warning decant extract prints for a run it could not verify is read back, without its
// advice; a verified run has none.
func TestRunUnverified(t *testing.T) {
	out := "resolving module versions (go mod tidy)...\n" +
		"warning: the pipeline's run was not verified here: step calculate, at cell 1, line 10, needs the network: dial tcp 127.0.0.1:1: connect: connection refused; the service was verified with go test -short instead; run `make test` where the network is reachable (--require-run refuses instead)\n" +
		"committed 193bd70e84 to decant/fetch in fetch-service (11 files changed)\n"
	want := "step calculate, at cell 1, line 10, needs the network: dial tcp 127.0.0.1:1: connect: connection refused"
	if got := runUnverified(out); got != want {
		t.Errorf("runUnverified = %q, want %q", got, want)
	}
	if got := runUnverified("committed 193bd70e84 to decant/fetch\nwarning: something else\n"); got != "" {
		t.Errorf("runUnverified of a verified run = %q", got)
	}
}

func TestSummary(t *testing.T) {
	got := summary(map[string]int{"built": 28, builtUnverified: 12, refusedEnvironment: 9, refusedNotebook: 5, "refused: other": 15}, 69)
	for _, want := range []string{"69 notebooks: 28 built, 12 built, run unverified (environment), 9 refused: environment, 5 refused: notebook's code, 15 refused: other, 0 failed",
		"branch builds: 40 of 69 (58%)", "run verified: 28 of 69 (41%)",
		`branch builds, of the notebooks this machine can build (all but "refused: environment"): 40 of 60 (67%)`} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}

// Each notebook gets its own HOME, TMPDIR and XDG directories; the go command's caches and
// settings stay where they were, and the rest of the environment is kept.
func TestIsolated(t *testing.T) {
	base := []string{"HOME=/root", "TMPDIR=/tmp", "PATH=/usr/bin", "GOMLX_BACKEND=go", "XDG_CACHE_HOME=/root/.cache"}
	goenv := map[string]string{"GOMODCACHE": "/root/go/pkg/mod", "GOCACHE": "/root/.cache/go-build", "GOPATH": "/root/go",
		"GOFLAGS": "-buildvcs=false", "GOPROXY": "https://proxy.golang.org,direct", "GOENV": "/root/.config/go/env", "GONOSUMDB": ""}
	env := isolated(base, goenv, "/tmp/nb1")
	for _, want := range []string{"HOME=/tmp/nb1/home", "TMPDIR=/tmp/nb1/tmp", "XDG_CACHE_HOME=/tmp/nb1/home/.cache",
		"GOMODCACHE=/root/go/pkg/mod", "GOCACHE=/root/.cache/go-build", "GOPATH=/root/go", "GOENV=/root/.config/go/env",
		"GOFLAGS=-buildvcs=false", "GOPROXY=https://proxy.golang.org,direct", "PATH=/usr/bin", "GOMLX_BACKEND=go"} {
		if !slices.Contains(env, want) {
			t.Errorf("isolated env lacks %s: %q", want, env)
		}
	}
	for _, bad := range []string{"HOME=/root", "TMPDIR=/tmp", "XDG_CACHE_HOME=/root/.cache", "GONOSUMDB="} {
		if slices.Contains(env, bad) {
			t.Errorf("isolated env keeps %s: %q", bad, env)
		}
	}
}

// GoMLX expands ~ through os/user, which reads /etc/passwd: each notebook's copy names its
// fresh home for the user it runs as, and no other.
func TestPasswdWithHome(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nann:x:1000:1000:Ann:/home/ann:/bin/sh\n"
	got, ok := passwdWithHome([]byte(passwd), "1000", "/tmp/nb1/home")
	want := "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nann:x:1000:1000:Ann:/tmp/nb1/home:/bin/sh\n"
	if !ok || string(got) != want {
		t.Errorf("passwdWithHome = %q, %v; want %q", got, ok, want)
	}
	if _, ok := passwdWithHome([]byte(passwd), "1001", "/x"); ok {
		t.Error("passwdWithHome found a user that is not there")
	}
}

func TestNamespaced(t *testing.T) {
	got := strings.Join(namespaced(false, "/tmp/nb1/passwd", []string{"bin/decant", "extract", "nb.ipynb"}), " ")
	want := `unshare --mount --propagation private --map-root-user -- sh -c mount --bind "$0" /etc/passwd && exec "$@" /tmp/nb1/passwd bin/decant extract nb.ipynb`
	if got != want {
		t.Errorf("namespaced =\n%s\nwant\n%s", got, want)
	}
}
