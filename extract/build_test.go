package extract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/decant-go/decant/notebooks"
)

var update = flag.Bool("update", false, "rewrite golden sections of testdata/build/*.txtar")

// notebookFromArchive builds a notebook from txtar files named "N.go", "N.md" (cell N, in
// order), with optional "N.tags" (one tag a line) and "N.error" (an error output) files.
func notebookFromArchive(t *testing.T, name string, ar *txtar.Archive) (*notebooks.Notebook, []byte) {
	t.Helper()
	type cell struct {
		idx  int
		kind string
		src  string
		tags []string
		err  bool
	}
	cells := map[int]*cell{}
	for _, f := range ar.Files {
		base, ext, ok := strings.Cut(f.Name, ".")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(base)
		if err != nil {
			continue
		}
		c := cells[i]
		if c == nil {
			c = &cell{idx: i}
			cells[i] = c
		}
		switch ext {
		case "go":
			c.kind, c.src = "code", string(f.Data)
		case "md":
			c.kind, c.src = "markdown", string(f.Data)
		case "tags":
			c.tags = strings.Fields(string(f.Data))
		case "error":
			c.err = true
		}
	}
	var idx []int
	for i := range cells {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	var out []map[string]any
	for _, i := range idx {
		c := cells[i]
		m := map[string]any{"cell_type": c.kind, "metadata": map[string]any{}, "source": strings.TrimSuffix(c.src, "\n")}
		if len(c.tags) > 0 {
			m["metadata"] = map[string]any{"tags": c.tags}
		}
		if c.kind == "code" {
			m["execution_count"] = nil
			outs := []any{}
			if c.err {
				outs = append(outs, map[string]any{"output_type": "error", "ename": "ERROR", "evalue": "failed", "traceback": []string{}})
			}
			m["outputs"] = outs
		}
		out = append(out, m)
	}
	kernel := map[string]any{"display_name": "Go (gonb)", "language": "go", "name": "gonb"}
	if f := archiveFile(ar, "kernel"); f != "" {
		kernel["name"] = strings.TrimSpace(f)
		kernel["language"] = strings.TrimSpace(f)
	}
	doc := map[string]any{"nbformat": 4, "nbformat_minor": 4, "metadata": map[string]any{"kernelspec": kernel}, "cells": out}
	raw, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	nb, err := notebooks.Parse(name, raw)
	if err != nil {
		t.Fatalf("parsing the fixture notebook: %v", err)
	}
	return nb, raw
}

func archiveFile(ar *txtar.Archive, name string) string {
	for _, f := range ar.Files {
		if f.Name == name {
			return string(f.Data)
		}
	}
	return ""
}

func setArchiveFile(ar *txtar.Archive, name, data string) {
	for i, f := range ar.Files {
		if f.Name == name {
			ar.Files[i].Data = []byte(data)
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(data)})
}

// TestBuild runs each testdata/build/*.txtar: the notebook cells, options, and the expected
// report (or error) and rendered Go files. Run with -update to rewrite the expectations.
func TestBuild(t *testing.T) {
	files, _ := filepath.Glob("testdata/build/*.txtar")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			nb, raw := notebookFromArchive(t, filepath.Base(file), ar)
			var opts Options
			opts.Slug = "svc"
			opts.ReadFile = func(name string) ([]byte, error) {
				for _, f := range ar.Files {
					if f.Name == "files/"+name {
						return f.Data, nil
					}
				}
				return nil, os.ErrNotExist
			}
			if archiveFile(ar, "notebook-at") != "" {
				opts.NoModuleSearch = true // the fixture's module context resolves every name
			}
			for _, o := range strings.Fields(archiveFile(ar, "options")) {
				switch o {
				case "auto-label":
					opts.AutoLabel = true
				case "keep-failed":
					opts.KeepFailed = true
				}
			}
			var got strings.Builder
			plan, err := Build(nb, raw, opts)
			if err == nil {
				useArchiveModules(t, plan, ar)
			}
			if err != nil {
				got.WriteString("error: " + err.Error() + "\n")
			} else {
				var rep bytes.Buffer
				if err := plan.WriteReport(&rep); err != nil {
					t.Fatal(err)
				}
				got.Write(rep.Bytes())
			}
			check := func(section, text string) {
				want := archiveFile(ar, section)
				if *update {
					setArchiveFile(ar, section, text)
					return
				}
				if want != text {
					t.Errorf("%s differs (run with -update to accept):\n--- want\n%s\n--- got\n%s", section, want, text)
				}
			}
			check("report", got.String())
			if plan != nil {
				out, err := plan.Render()
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				for _, sec := range []string{"preparation.go", "preprocessing.go", "prediction.go", "pipeline.go", "svc_test.go"} {
					if data, ok := out.Files["svc/"+sec]; ok && (archiveFile(ar, sec) != "" || *update) {
						check(sec, string(data))
					}
				}
				// Other files are checked where the archive names them.
				for _, f := range ar.Files {
					name := f.Name
					if name == "pipeline_test.go" {
						name = "svc/" + name
					} else if name != "Makefile" && !strings.HasPrefix(name, wasmDir+"/") {
						continue
					}
					check(f.Name, string(out.Files[name]))
				}
			}
			if *update {
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// useArchiveModules gives the plan the module context of a fixture whose "modcache/" files
// lay out a module cache (module@version directories, as the go command writes them) and
// whose "notebook-at" file places the notebook in it, as a notebook read from a module
// version. No go command runs.
func useArchiveModules(t *testing.T, plan *Plan, ar *txtar.Archive) {
	t.Helper()
	at := strings.TrimSpace(archiveFile(ar, "notebook-at"))
	if at == "" {
		return
	}
	cache := t.TempDir()
	for _, f := range ar.Files {
		if rel, ok := strings.CutPrefix(f.Name, "modcache/"); ok {
			mustWrite(t, filepath.Join(cache, filepath.FromSlash(rel)), string(f.Data))
		}
	}
	mc, err := DiscoverModules(filepath.Join(cache, filepath.FromSlash(at)), plan, ModuleOptions{ModCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	plan.UseModules(mc)
}

func TestParseLabel(t *testing.T) {
	for _, tc := range []struct {
		text   string
		strict bool
		want   Section
		ok     bool
	}{
		{"1. Preparation", true, Preparation, true},
		{"2. Pre/Post processing", true, Processing, true},
		{"3. Calculation", true, Calculation, true},
		{"Preparation code", true, Preparation, true},
		{"preprocessing", true, Processing, true},
		{"Feature engineering", false, Processing, true},
		{"3) Model training", true, Calculation, true},
		{"Step 2: post-processing", true, Processing, true},
		{"Data loading", false, Preparation, true},
		{"Inference", false, Calculation, true},
		{"Setup the database connection", true, Exploration, false}, // a comment that merely starts with a label word
		{"Setup the database connection", false, Preparation, true}, // a heading may say more
		{"Modelling", false, Calculation, true},
		{"Models we tried", false, Exploration, false},
		{"Results", false, Exploration, false},
		{"", false, Exploration, false},
	} {
		got, ok := ParseLabel(tc.text, tc.strict)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseLabel(%q, %v) = %v, %v; want %v, %v", tc.text, tc.strict, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSlugFor(t *testing.T) {
	for in, want := range map[string]string{
		"churn.ipynb":             "churn",
		"dir/Churn Model.ipynb":   "churnmodel",
		"2024-report.ipynb":       "nb2024report",
		"type.ipynb":              "typepkg",
		`C:\nb\héllo-wörld.ipynb`: "hllowrld",
	} {
		if got := SlugFor(in); got != want {
			t.Errorf("SlugFor(%q) = %q, want %q", in, got, want)
		}
	}
}
