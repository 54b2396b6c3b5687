package extract

import (
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/decant-go/decant/notebooks"
)

// syntheticNotebook makes a labeled notebook of n code cells: declarations, %% cells that call
// them, and headings that switch sections, like a long research notebook.
func syntheticNotebook(n int) []byte {
	type cell map[string]any
	var cells []cell
	secs := []string{"## 1. Preparation", "## 2. Pre/Post processing", "## 3. Calculation"}
	for i := 0; i < n; i++ {
		if i%(n/3+1) == 0 {
			cells = append(cells, cell{"cell_type": "markdown", "metadata": cell{}, "source": secs[(i*3/n)%3]})
		}
		var src string
		switch i % 4 {
		case 0:
			src = fmt.Sprintf("// f%d scales its input.\nfunc f%d(x float64) float64 {\n\ty := x * %d\n\tif y > 10 {\n\t\treturn y - 10\n\t}\n\treturn y\n}", i, i, i)
		case 1:
			src = fmt.Sprintf("type T%d struct {\n\tA, B float64\n}\n\nfunc (t T%d) Sum() float64 { return f%d(t.A) + t.B }", i, i, i-1)
		case 2:
			src = fmt.Sprintf("var v%d = map[string]float64{\"a\": %d, \"b\": 2}\n\nconst c%d = %d", i, i, i, i)
		case 3:
			src = fmt.Sprintf("%%%%\nt := T%d{A: v%d[\"a\"], B: c%d}\nfmt.Println(t.Sum())", i-2, i-1, i-1)
		}
		cells = append(cells, cell{"cell_type": "code", "metadata": cell{}, "execution_count": nil, "outputs": []any{}, "source": src})
	}
	doc := cell{"nbformat": 4, "nbformat_minor": 4, "cells": cells,
		"metadata": cell{"kernelspec": cell{"name": "gonb", "language": "go", "display_name": "Go (gonb)"}}}
	raw, _ := json.MarshalIndent(doc, "", " ")
	return raw
}

func benchExtract(b *testing.B, name string, raw []byte) {
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		nb, err := notebooks.Parse(name, raw)
		if err != nil {
			b.Fatal(err)
		}
		plan, err := Build(nb, raw, Options{Slug: "svc"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := plan.Render(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchParseOnly is the peer: only decoding the notebook's JSON and parsing its Go with
// go/parser, the least any extractor must do.
func benchParseOnly(b *testing.B, raw []byte) {
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var doc struct {
			Cells []struct {
				CellType string          `json:"cell_type"`
				Source   json.RawMessage `json:"source"`
			} `json:"cells"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			b.Fatal(err)
		}
		for _, c := range doc.Cells {
			if c.CellType != "code" {
				continue
			}
			var s string
			if json.Unmarshal(c.Source, &s) != nil {
				var lines []string
				json.Unmarshal(c.Source, &lines)
				s = strings.Join(lines, "")
			}
			decls, body, _ := strings.Cut(s, "%%")
			fset := token.NewFileSet()
			parser.ParseFile(fset, "", "package p;"+decls, parser.ParseComments)
			if body != "" {
				parser.ParseFile(fset, "", "package p;func _(){"+body+"\n}", parser.ParseComments)
			}
		}
	}
}

func demoNotebook(b *testing.B) []byte {
	raw, err := os.ReadFile("../testdata/demo/churn.ipynb")
	if err != nil {
		b.Skip("demo notebook missing")
	}
	return raw
}

func BenchmarkExtractDemo(b *testing.B)    { benchExtract(b, "churn.ipynb", demoNotebook(b)) }
func BenchmarkParseOnlyDemo(b *testing.B)  { benchParseOnly(b, demoNotebook(b)) }
func BenchmarkExtract1000(b *testing.B)    { benchExtract(b, "n1000.ipynb", syntheticNotebook(1000)) }
func BenchmarkParseOnly1000(b *testing.B)  { benchParseOnly(b, syntheticNotebook(1000)) }
func BenchmarkExtract10000(b *testing.B)   { benchExtract(b, "n10000.ipynb", syntheticNotebook(10000)) }
func BenchmarkParseOnly10000(b *testing.B) { benchParseOnly(b, syntheticNotebook(10000)) }
