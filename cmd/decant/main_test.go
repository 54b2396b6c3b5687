package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
		Dir:  "testdata/script",
		Cmds: scriptCmds,
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

// scriptCmds are the scripts' own commands.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// mkfifo path: make a named pipe.
	"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: mkfifo path")
		}
		if err := syscall.Mkfifo(ts.MkAbs(args[0]), 0o644); err != nil {
			ts.Fatalf("mkfifo: %v", err)
		}
	},
	// jsondoc: standard output of the last command is exactly one JSON object carrying
	// schema_version 1 and, if given, that kind.
	"jsondoc": func(ts *testscript.TestScript, neg bool, args []string) {
		dec := json.NewDecoder(strings.NewReader(ts.ReadFile("stdout")))
		var doc map[string]any
		err := dec.Decode(&doc)
		if err == nil && dec.More() {
			err = fmt.Errorf("more than one JSON document")
		}
		if err == nil {
			if _, e := dec.Token(); e != io.EOF {
				err = fmt.Errorf("text after the JSON document")
			}
		}
		if err == nil && doc["schema_version"] != float64(1) {
			err = fmt.Errorf("schema_version = %v, want 1", doc["schema_version"])
		}
		if err == nil && len(args) > 0 && doc["kind"] != args[0] {
			err = fmt.Errorf("kind = %v, want %s", doc["kind"], args[0])
		}
		if (err != nil) != neg {
			ts.Fatalf("stdout is not one versioned JSON document: %v", err)
		}
	},
	// filekind path kind: the path (not followed) is a file, symlink, fifo or chardev.
	"filekind": func(ts *testscript.TestScript, neg bool, args []string) {
		fi, err := os.Lstat(ts.MkAbs(args[0]))
		ts.Check(err)
		kind := "file"
		switch m := fi.Mode(); {
		case m&os.ModeSymlink != 0:
			kind = "symlink"
		case m&os.ModeNamedPipe != 0:
			kind = "fifo"
		case m&os.ModeCharDevice != 0:
			kind = "chardev"
		}
		if (kind == args[1]) == neg {
			ts.Fatalf("%s is a %s", args[0], kind)
		}
	},
}
