package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// scaleNotebook writes a generated notebook of n cells: labeled sections, notes, functions
// (each a few lines with a loop) and %% cells calling them, like a long analysis notebook.
func scaleNotebook(t testing.TB, n int) string {
	t.Helper()
	labels := []string{"## 1. Preparation", "## 2. Preprocessing", "## 3. Calculation"}
	var cells []map[string]any
	for i := range n {
		c := map[string]any{"id": fmt.Sprintf("c%d", i), "metadata": map[string]any{}}
		switch {
		case i%50 == 0:
			c["cell_type"], c["source"] = "markdown", labels[(i/50)%3]
		case i%7 == 0:
			c["cell_type"], c["source"] = "markdown", fmt.Sprintf("Notes about step %d.", i)
		case i%3 == 0:
			c["cell_type"], c["outputs"], c["execution_count"] = "code", []any{}, nil
			c["source"] = fmt.Sprintf("%%%%\nx%d := compute%d(%d)\nfmt.Println(x%d)", i, i-1, i, i)
		default:
			c["cell_type"], c["outputs"], c["execution_count"] = "code", []any{}, nil
			c["source"] = fmt.Sprintf("// compute%d scales its input.\nfunc compute%d(v int) int {\n\ttotal := 0\n\tfor i := 0; i < v; i++ {\n\t\ttotal += i * %d\n\t}\n\tif total > 100 {\n\t\treturn total / 2\n\t}\n\treturn total\n}", i, i, i%5)
		}
		cells = append(cells, c)
	}
	nb := map[string]any{"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{
		"kernelspec": map[string]any{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}}
	b, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("scale%d.ipynb", n))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// BenchmarkDocVsPlan runs decant doc and decant plan, as the user runs them, on the same
// generated notebooks of 1,000 and 3,000 cells, side by side, and reports doc's time as a
// ratio of plan's (the target is at most 2).
func BenchmarkDocVsPlan(b *testing.B) {
	for _, n := range []int{1000, 3000} {
		b.Run(fmt.Sprintf("cells=%d", n), func(b *testing.B) {
			nb := scaleNotebook(b, n)
			env := Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
			var doc, plan time.Duration
			for range b.N {
				t0 := time.Now()
				if code := runCommand(context.Background(), runPlan, []string{nb}, env, "decant plan"); code != ExitOK {
					b.Fatalf("plan exit %d", code)
				}
				t1 := time.Now()
				if code := runCommand(context.Background(), runDoc, []string{nb}, env, "decant doc"); code != ExitOK {
					b.Fatalf("doc exit %d", code)
				}
				plan += t1.Sub(t0)
				doc += time.Since(t1)
			}
			b.ReportMetric(plan.Seconds()/float64(b.N), "s/plan")
			b.ReportMetric(doc.Seconds()/float64(b.N), "s/doc")
			b.ReportMetric(float64(doc)/float64(plan), "doc/plan")
		})
	}
}
