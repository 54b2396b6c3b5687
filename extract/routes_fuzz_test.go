package extract

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/decant-go/decant/notebooks"
)

// routeTypes are the pieces random signatures are made of: predeclared types, the notebook's
// own types (exported, unexported, with fields that cannot travel), library types qualified
// and dot-imported, and the shapes around them.
var routeTypes = []string{
	"int", "float64", "string", "bool", "error", "any", "complex128", "uintptr", "byte",
	"Point", "point", "Holder", "Handle", "Gen[int]", "Node", "*Node", "graph.Node", "*graph.Node",
	"context.Context", "chan int", "func()", "interface{ M() }", "struct{ X int }", "time.Time",
}

func routeType(b byte, depth int) string {
	t := routeTypes[int(b)%len(routeTypes)]
	if depth > 0 {
		switch b % 5 {
		case 1:
			return "[]" + routeType(b/5, depth-1)
		case 2:
			return "map[string]" + routeType(b/5, depth-1)
		case 3:
			return "*" + routeType(b/5, depth-1)
		}
	}
	return t
}

// FuzzRouteSignature gives the calculation section exported functions with random parameter
// and result types: each becomes a route the API generator accepts, or stays in the library
// with a reason. The generator never fails on a plan the extractor made.
func FuzzRouteSignature(f *testing.F) {
	f.Add([]byte{0, 1}, []byte{2})
	f.Add([]byte{15}, []byte{16, 4})
	f.Add([]byte{10, 11, 12}, []byte{13, 14})
	f.Add([]byte{6}, []byte{1, 9})
	f.Fuzz(func(t *testing.T, params, results []byte) {
		if len(params) > 4 || len(results) > 3 {
			return
		}
		var ps, rs []string
		for i, b := range params {
			ps = append(ps, fmt.Sprintf("p%d %s", i, routeType(b, 2)))
		}
		for _, b := range results {
			rs = append(rs, routeType(b, 2))
		}
		lib := `import (
	. "example.com/graph"
	"context"
	"time"
	graph "example.com/graph"
)

var _ = time.Now
var _ context.Context
var _ graph.Node

type Point struct{ X, Y float64 }
type point struct{ X int }
type Holder struct{ N *Node; Label string }
type Handle func()
type Gen[T any] struct{ V T }
`
		fn := fmt.Sprintf("func Calc(%s) (%s) { panic(0) }\n", strings.Join(ps, ", "), strings.Join(rs, ", "))
		cells := []map[string]any{
			{"cell_type": "markdown", "metadata": map[string]any{}, "source": "## 3. Calculation"},
			{"cell_type": "code", "metadata": map[string]any{}, "execution_count": nil, "outputs": []any{}, "source": lib + fn},
			{"cell_type": "code", "metadata": map[string]any{}, "execution_count": nil, "outputs": []any{}, "source": "%%\n_ = Calc\n_ = Point{}\n_ = point{}\n_ = Holder{}\nvar _ Handle\nvar _ Gen[int]"},
		}
		raw, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "cells": cells,
			"metadata": map[string]any{"kernelspec": map[string]any{"name": "gonb", "language": "go", "display_name": "Go (gonb)"}}})
		nb, err := notebooks.Parse("sig.ipynb", raw)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := Build(nb, raw, Options{Slug: "svc", NoModuleSearch: true})
		if err != nil {
			return // the signature does not parse as Go: refused at its cell
		}
		if _, err := plan.Render(); err != nil {
			t.Fatalf("func Calc(%s) (%s): render failed: %v", strings.Join(ps, ", "), strings.Join(rs, ", "), err)
		}
		exposed := len(plan.Routes) == 1
		leftOut := false
		for _, d := range plan.Decisions {
			if d.Subject == "func Calc" && d.Action == "left out" && d.Reason != "" {
				leftOut = true
			}
		}
		if exposed == leftOut {
			t.Fatalf("func Calc(%s) (%s): want a route or a reason, got routes=%v decisions=%v", strings.Join(ps, ", "), strings.Join(rs, ", "), plan.Routes, plan.Decisions)
		}
	})
}
