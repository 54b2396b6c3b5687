package gonbcell

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gonbExamples returns the example notebooks shipped with GoNB v0.11.1, from
// the module cache (the module is a tool dependency of this repository).
func gonbExamples(tb testing.TB) []string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		tb.Skipf("go env GOMODCACHE: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "github.com", "janpfeifer", "gonb@v0.11.1", "examples")
	if _, err := os.Stat(root); err != nil {
		tb.Skipf("GoNB v0.11.1 examples not in the module cache: %v", err)
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".ipynb") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		tb.Fatalf("walking %s: %v", root, err)
	}
	return files
}

// codeCells returns the source of every code cell of the notebooks.
func codeCells(tb testing.TB, files []string) []string {
	var srcs []string
	for _, f := range files {
		for _, c := range readNotebook(tb, f) {
			if c.CellType == "code" {
				srcs = append(srcs, string(c.Source))
			}
		}
	}
	return srcs
}

// TestGoNBExamples splits every code cell of GoNB's own examples. Exactly
// the cells whose saved output shows GoNB rejecting them while running their
// commands must be an *Error (one example does this on purpose), and the
// invariants must hold for all.
func TestGoNBExamples(t *testing.T) {
	files := gonbExamples(t)
	var cells, magics, mains, cmds, rejects int
	for _, f := range files {
		for i, c := range readNotebook(t, f) {
			if c.CellType != "code" {
				continue
			}
			src := string(c.Source)
			cell, err := Split(src)
			checkInvariants(t, src, cell, err)
			rejected := strings.Contains(c.text(), "executing special commands in cell")
			if rejected != (err != nil) {
				t.Errorf("%s cell %d: GoNB rejected it: %v; Split error: %v", filepath.Base(f), i, rejected, err)
			}
			if err != nil {
				rejects++
				continue
			}
			cells++
			if cell.Magic != nil {
				magics++
			}
			if cell.Main != nil {
				mains++
			}
			cmds += len(cell.Commands)
		}
	}
	t.Logf("%d notebooks, %d code cells: %d magic, %d with main, %d commands, %d rejected",
		len(files), cells, magics, mains, cmds, rejects)
	if cells < 100 || mains == 0 || cmds == 0 || magics == 0 || rejects == 0 {
		t.Errorf("examples look incomplete: %d cells, %d magic, %d mains, %d commands", cells, magics, mains, cmds)
	}
}

// fuzzSeeds are hand-written cells that reach the corners of Split.
var fuzzSeeds = []string{
	"",
	"%%\n%%",
	"%  ",
	"!echo a \\\n  b \\",
	"%exec\tf",
	"%exec  f\n%%\nx()",
	"var s = `\n%args x\n`\n/*\n!ls\n*/",
	"package main\npackages := 1",
	"//gonb:%%writefile a\nb",
	"%%script\n",
	"%args \"a\\\"b\" \"\\",
	"%env A=1\n%env AB=1",
	"func f() {\n!echo\n}\n%main x\r",
}

func FuzzSplit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	probes, _ := filepath.Glob(filepath.Join("testdata", "*.ipynb"))
	for _, s := range codeCells(f, probes) {
		f.Add(s)
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		root := filepath.Join(strings.TrimSpace(string(out)), "github.com", "janpfeifer", "gonb@v0.11.1", "examples")
		if _, err := os.Stat(root); err == nil {
			for _, s := range codeCells(f, gonbExamples(f)) {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Split(src)
		checkInvariants(t, src, c, err)
	})
}

func BenchmarkSplit(b *testing.B) {
	probes, _ := filepath.Glob(filepath.Join("testdata", "*.ipynb"))
	cells := codeCells(b, probes)
	var bytes int64
	for _, s := range cells {
		bytes += int64(len(s))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range cells {
			_, _ = Split(s)
		}
	}
}
