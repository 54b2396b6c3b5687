package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/decant-go/decant/cmd/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"decant":  func() { os.Exit(cli.Main(context.Background(), os.Args[1:], fixedEnv())) },
		"extract": func() { os.Exit(cli.Extract(context.Background(), os.Args[1:], fixedEnv())) },
	})
}

// fixedEnv is the real environment with a fixed clock, so commits made by scripts are
// reproducible.
func fixedEnv() cli.Env {
	env := cli.OSEnv()
	env.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	return env
}

// TestScripts runs the command-line scripts in testdata/script. The demo notebook is copied
// into each script's work directory as demo/churn.ipynb, with its data file.
func TestScripts(t *testing.T) {
	demo, err := filepath.Abs("../../testdata/demo")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			for _, f := range []string{"churn.ipynb", "churn.db"} {
				data, err := os.ReadFile(filepath.Join(demo, f))
				if err != nil {
					return err
				}
				if err := os.MkdirAll(filepath.Join(env.WorkDir, "demo"), 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, "demo", f), data, 0o644); err != nil {
					return err
				}
			}
			// The go command needs a home and the real caches for module resolution.
			for _, k := range []string{"HOME", "GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY", "PATH", "GOFLAGS"} {
				if v := os.Getenv(k); v != "" {
					env.Setenv(k, v)
				}
			}
			if os.Getenv("GOCACHE") == "" {
				if dir, err := os.UserCacheDir(); err == nil {
					env.Setenv("GOCACHE", filepath.Join(dir, "go-build"))
				}
			}
			return nil
		},
	})
}
