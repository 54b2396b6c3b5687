package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/extract/manifest"
)

// The service's test replays each step with the arguments of its %% line, as GoNB ran the
// cell: a step that requires a flag its %% line sets passes verification.
func TestReplayAppliesStepArgs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "ckpt.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import (\n\t\"flag\"\n\t\"fmt\"\n\t\"log\"\n)\n\nvar checkpoint = flag.String(\"checkpoint\", \"\", \"where to keep the model\")",
		"%% --checkpoint base\nif *checkpoint == \"\" {\n\tlog.Fatal(\"a --checkpoint is required\")\n}\nfmt.Println(\"training into\", *checkpoint)",
		"%%\nfmt.Println(\"checkpoint now\", *checkpoint)")
	if _, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author}); err != nil {
		t.Fatalf("extract: %v", err)
	}
}

// A step that ends the process when the test replays it (log.Fatal leaves no stack) is
// refused at its cell and line, with what the step said and the flag that skips the replay.
func TestReplayExitLocated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "device.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import (\n\t\"fmt\"\n\t\"log\"\n\t\"os\"\n)",
		"%%\nfmt.Println(\"warming up\")",
		"%%\nif _, err := os.Stat(\"/dev/no-such-accelerator\"); err != nil {\n\tlog.Fatalf(\"no accelerator: %v\", err)\n}")
	// A missing device is something this machine lacks; --require-run refuses it, as every
	// failed replay was refused before.
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, RequireRun: true})
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("extract = %v, want a VerifyError", err)
	}
	var found bool
	for _, p := range ve.Problems {
		if p.Step != "test" {
			continue
		}
		found = true
		if p.Cell != 3 || p.CellLine != 2 {
			t.Errorf("located at cell %d, line %d, want cell 3, line 2 (the step replayed): %s", p.Cell, p.CellLine, p)
		}
		for _, want := range []string{"no accelerator", "--short"} {
			if !strings.Contains(p.Msg, want) {
				t.Errorf("the refusal does not say %q: %s", want, p)
			}
		}
		for _, noise := range []string{"no test files", "FAIL\t", "decant: replaying"} {
			if strings.Contains(p.Msg, noise) {
				t.Errorf("the refusal carries go test's %q: %s", noise, p)
			}
		}
	}
	if !found {
		t.Fatalf("no test problem in %v", err)
	}
}

// downloadCell declares a function that downloads a URL and panics, as GoMLX's downloader
// does, when it cannot.
const downloadCell = "import (\n\t\"fmt\"\n\t\"io\"\n\t\"net/http\"\n)\n\nfunc download(url string) []byte {\n\tresp, err := http.Get(url)\n\tif err != nil {\n\t\tpanic(fmt.Sprintf(\"failed downloading %q: %v\", url, err))\n\t}\n\tdefer resp.Body.Close()\n\tb, _ := io.ReadAll(resp.Body)\n\treturn b\n}"

// downloads is a notebook whose preparation downloads its data from a port nothing listens on
// (connection refused, at once and on any machine), as a notebook downloading a data set does
// on a machine without the network.
func downloads(t *testing.T, path string) {
	notebook(t, path, "gonb",
		"#md ## 1. Preparation",
		downloadCell,
		"#md ## 3. Calculation",
		"%%\ndata := download(\"http://127.0.0.1:1/data.csv\")\nfmt.Println(len(data))")
}

// A replay that fails only because a step cannot reach the network does not refuse the
// extraction: the service is verified with go test -short, committed, and the result, the
// report, the README and the manifest say which step needs what.
func TestReplayNeedsNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "fetch.ipynb")
	downloads(t, nb)
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if res.Commit == nil || res.Commit.Commit == "" {
		t.Fatal("nothing was committed")
	}
	if len(res.RunUnverified) != 1 {
		t.Fatalf("RunUnverified = %+v, want one step", res.RunUnverified)
	}
	n := res.RunUnverified[0]
	if n.Need != extract.NeedNetwork || n.Cell != 1 || n.Line != 10 || n.Step == "" ||
		!strings.Contains(n.Cause, "dial tcp 127.0.0.1:1: connect: connection refused") {
		t.Errorf("need = %+v; want the network, at cell 1, line 10 (the panic), with the dial error", n)
	}
	readme := string(res.Output.Files["README.md"])
	for _, want := range []string{"the run was not verified", "`go test -short`", "connection refused", "network"} {
		if !strings.Contains(readme, want) {
			t.Errorf("the README does not say %q:\n%s", want, readme)
		}
	}
	m, err := manifest.Decode(res.Output.Files[manifest.Path])
	if err != nil {
		t.Fatal(err)
	}
	if len(m.RunUnverified) != 1 || m.RunUnverified[0].Need != "network" {
		t.Errorf("manifest run_unverified = %+v", m.RunUnverified)
	}
	var warned bool
	for _, d := range res.Report().Decisions {
		warned = warned || d.Action == "warning" && strings.Contains(d.Reason, "not verified here") && d.Cell == 1
	}
	if !warned {
		t.Errorf("the report has no warning at cell 1: %+v", res.Report().Decisions)
	}

	// --require-run refuses it, at the step's cell and line.
	_, err = Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "strict"), Author: author, RequireRun: true})
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "(cell 1, line 10)") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("extract --require-run = %v, want a VerifyError at cell 1, line 10", err)
	}
}

// A replay that fails for the code's own reason is refused as before: no fallback.
func TestReplayCodePanicRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "bug.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import \"fmt\"\n\nfunc last(xs []int) int { return xs[len(xs)] }",
		"%%\nfmt.Println(last([]int{1, 2, 3}))")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("extract = %v, want a VerifyError naming the index out of range", err)
	}
	if len(res.RunUnverified) != 0 || res.Commit != nil {
		t.Errorf("a code panic fell back to -short: unverified %+v, commit %+v", res.RunUnverified, res.Commit)
	}
}

// A value computed from a download that cannot run here keeps its reproducibility test: a
// failed download says nothing of whether two computations agree.
func TestReplayNeedsNetworkKeepsReproducibility(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "lazy.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 1. Preparation",
		downloadCell+"\n\nvar data = download(\"http://127.0.0.1:1/data.csv\")",
		"#md ## 3. Calculation",
		"%%\nfmt.Println(len(data))")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if len(res.RunUnverified) != 1 {
		t.Errorf("RunUnverified = %+v, want one step", res.RunUnverified)
	}
	for _, d := range res.Decisions {
		if strings.Contains(d.Reason, "different values") {
			t.Errorf("a failed download was taken for a value that is not reproducible: %+v", d)
		}
	}
	if !strings.Contains(string(res.Output.Files["lazy/pipeline_test.go"]), "func TestDataReproducible(") {
		t.Error("the reproducibility test of data was dropped")
	}
}

// A download that fails leaves an empty file behind, as GoMLX's does: the reproducibility test
// meets the network's absence first, and the full replay then finds the empty file and fails
// on its hash, at the same line. That is the same need, not a defect of the code: the branch
// is committed, and the report says what the full replay then failed with.
func TestReplayNeedsNetworkThenEmptyFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the extracted service")
	}
	tmp := t.TempDir()
	nb := filepath.Join(tmp, "cached.ipynb")
	target := filepath.Join(tmp, "data", "data.bin")
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	notebook(t, nb, "gonb",
		"#md ## 1. Preparation",
		"import (\n\t\"crypto/sha256\"\n\t\"encoding/hex\"\n\t\"fmt\"\n\t\"io\"\n\t\"net/http\"\n\t\"os\"\n)\n\n"+
			"func fetch(path, url, want string) ([]byte, error) {\n"+
			"\tif b, err := os.ReadFile(path); err == nil {\n"+
			"\t\tif sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != want {\n"+
			"\t\t\treturn nil, fmt.Errorf(\"file %q sha256 hash is %q, but expected %q\", path, hex.EncodeToString(sum[:]), want)\n\t\t}\n\t\treturn b, nil\n\t}\n"+
			"\tf, err := os.Create(path)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tdefer f.Close()\n"+
			"\tresp, err := http.Get(url)\n\tif err != nil {\n\t\treturn nil, fmt.Errorf(\"failed downloading %q: %w\", url, err)\n\t}\n"+
			"\tdefer resp.Body.Close()\n\treturn io.ReadAll(io.TeeReader(resp.Body, f))\n}\n\n"+
			"func load() []byte {\n\tb, err := fetch("+strconv.Quote(target)+", \"http://127.0.0.1:1/data.bin\", \"c4a38c50\")\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\treturn b\n}\n\n"+
			"var data = load()",
		"#md ## 3. Calculation",
		"%%\nfmt.Println(len(data))")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if len(res.RunUnverified) != 1 {
		t.Fatalf("RunUnverified = %+v, want one step", res.RunUnverified)
	}
	n := res.RunUnverified[0]
	if n.Need != extract.NeedNetwork || !strings.Contains(n.Cause, "connection refused") || !strings.Contains(n.Then, "sha256 hash is") {
		t.Errorf("need = %+v; want the network, then the empty file's hash", n)
	}
}
