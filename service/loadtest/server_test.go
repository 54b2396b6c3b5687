package loadtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serverRepo is a repository whose server answers only when it runs from the package
// directory the manifest names, as an extracted service whose data files ship there.
var serverRepo = map[string]string{
	"go.mod":                "module example.com/tiny\n\ngo 1.26.0\n",
	".decant/manifest.json": `{"package": "tiny"}`,
	"tiny/data.txt":         "0.5\n",
	"openapi.json":          `{"paths": {"/v1/half": {"get": {"operationId": "Half"}}}}`,
	"cmd/server/main.go": `package main

import (
	"flag"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "", "")
	flag.Parse()
	data, err := os.ReadFile("data.txt")
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(` + "`" + `{"status":"ok"}` + "`" + `))
	})
	http.HandleFunc("/v1/half", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(` + "`" + `{"half":` + "`" + ` + string(data[:3]) + "}"))
	})
	http.ListenAndServe(*addr, nil)
}
`,
}

func TestStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a server with the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	repo := t.TempDir()
	for name, body := range serverRepo {
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := Start(ctx, repo, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckLoopback(srv.URL); err != nil {
		t.Errorf("server URL: %v", err)
	}
	ts, err := Targets(srv.Spec, TargetOptions{GoodOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, srv.URL, ts, Options{Rate: 100, Duration: time.Second, MaxRequests: 20})
	if err != nil {
		t.Fatal(err)
	}
	if rep.StatusCodes["200"] != 20 || rep.Checks.Failed() != 0 {
		t.Errorf("status codes %v, checks %+v", rep.StatusCodes, rep.Checks)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if _, err := os.Stat(srv.tmp); !os.IsNotExist(err) {
		t.Errorf("the server binary's directory is still there: %v", err)
	}

	// Without its data file the server exits at once: Start must say so, not hang.
	os.Remove(filepath.Join(repo, "tiny", "data.txt"))
	if srv, err := Start(ctx, repo, ServerOptions{}); err == nil {
		srv.Stop()
		t.Error("Start succeeded with a server that exits")
	}
}

// trainedRepo is a repository whose server starts only from an artifact that its batch
// command's train wrote, as an extracted service does, and reports ready on /readyz.
var trainedRepo = map[string]string{
	"go.mod":                "module example.com/tiny\n\ngo 1.26.0\n",
	".decant/manifest.json": `{"package": "tiny"}`,
	"tiny/data.txt":         "0.5\n",
	"openapi.json":          `{"paths": {"/readyz": {"get": {}}, "/v1/half": {"get": {"operationId": "Half"}}}}`,
	"cmd/tiny/main.go": `package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "train" {
		os.Exit(2)
	}
	fs := flag.NewFlagSet("train", flag.ExitOnError)
	url := fs.String("model-url", "", "")
	fs.Parse(os.Args[2:])
	data, err := os.ReadFile("data.txt") // from the package directory, as the Makefile runs it
	if err != nil {
		panic(err)
	}
	dir := strings.TrimPrefix(*url, "file://")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "model"), data[:3], 0o644); err != nil {
		panic(err)
	}
}
`,
	"cmd/server/main.go": `package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	addr := flag.String("addr", "", "listen address")
	url := flag.String("model-url", "", "trained artifact")
	flag.Parse()
	model, err := os.ReadFile(filepath.Join(strings.TrimPrefix(*url, "file://"), "model"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "server: no trained artifact:", err)
		os.Exit(1)
	}
	http.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(` + "`" + `{"status":"ready"}` + "`" + `))
	})
	http.HandleFunc("/v1/half", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(` + "`" + `{"half":` + "`" + ` + string(model) + "}"))
	})
	http.ListenAndServe(*addr, nil)
}
`,
}

// TestStartTrains checks that Start trains an artifact with the batch command before it starts
// a server that needs one, and that a server failing to start is reported with its output.
func TestStartTrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a server with the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	repo := t.TempDir()
	for name, body := range trainedRepo {
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := Start(ctx, repo, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Targets(srv.Spec, TargetOptions{GoodOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, srv.URL, ts, Options{Rate: 100, Duration: time.Second, MaxRequests: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rep.StatusCodes["200"] != 10 || rep.Checks.Failed() != 0 {
		t.Errorf("status codes %v, checks %+v", rep.StatusCodes, rep.Checks)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}

	// An artifact URL with nothing there: the server exits, and the error quotes it.
	_, err = Start(ctx, repo, ServerOptions{ModelURL: "file://" + filepath.ToSlash(t.TempDir())})
	if err == nil || !strings.Contains(err.Error(), "no trained artifact") {
		t.Errorf("Start with an empty artifact URL: %v, want the server's own error", err)
	}

	// Without a batch command there is nothing to train with: a clear error.
	os.RemoveAll(filepath.Join(repo, "cmd", "tiny"))
	if _, err := Start(ctx, repo, ServerOptions{}); err == nil || !strings.Contains(err.Error(), "no batch command") {
		t.Errorf("Start without a batch command: %v", err)
	}
}
