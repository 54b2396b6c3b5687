package extract

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/decant-go/decant/notebooks"
)

// FuzzBuild feeds arbitrary cell sources through Build and Render: they may refuse the input
// with an error, but must never panic, and a plan that builds must render.
func FuzzBuild(f *testing.F) {
	files, _ := filepath.Glob("testdata/build/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			continue
		}
		var srcs []string
		for _, af := range ar.Files {
			if strings.HasSuffix(af.Name, ".go") {
				srcs = append(srcs, string(af.Data))
			}
		}
		f.Add(strings.Join(srcs, "\x00"), "## 3. Calculation")
	}
	f.Add("%%\nfmt.Println(1)", "# 1. Preparation")
	f.Fuzz(func(t *testing.T, cells string, heading string) {
		var list []map[string]any
		list = append(list, map[string]any{"cell_type": "markdown", "metadata": map[string]any{}, "source": heading})
		for _, src := range strings.Split(cells, "\x00") {
			list = append(list, map[string]any{"cell_type": "code", "metadata": map[string]any{}, "execution_count": nil, "outputs": []any{}, "source": src})
		}
		raw, err := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "cells": list,
			"metadata": map[string]any{"kernelspec": map[string]any{"name": "gonb", "language": "go", "display_name": "Go"}}})
		if err != nil {
			return
		}
		nb, err := notebooks.Parse("fuzz.ipynb", raw)
		if err != nil {
			return
		}
		for _, auto := range []bool{false, true} {
			plan, err := Build(nb, raw, Options{Slug: "svc", AutoLabel: auto, NoModuleSearch: true})
			if err != nil {
				continue
			}
			if _, err := plan.Render(); err != nil && !strings.Contains(err.Error(), "does not parse") && !strings.Contains(err.Error(), "HTTP API") && !strings.Contains(err.Error(), "formatting") {
				t.Fatalf("Render failed on a plan Build accepted: %v", err)
			}
		}
	})
}

// The shell splitter never panics, and every word it returns as written appears in the line.
func FuzzSplitShell(f *testing.F) {
	for _, s := range []string{`go work use . "$(cat TMP_PKG.txt)"`, "a `b` ${", "${X:-y} '~/d' \\\n e", `"$(a "(b)")"`, "$'", `\`} {
		f.Add(s)
	}
	lookup := func(n string) (string, bool) { return "v", n == "HOME" }
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range splitShell(s, lookup) {
			if !strings.Contains(s, w.raw) {
				t.Errorf("word %q is not in %q", w.raw, s)
			}
		}
	})
}
