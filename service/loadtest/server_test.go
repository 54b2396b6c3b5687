package loadtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
