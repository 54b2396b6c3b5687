package extract

import (
	"go/token"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/decant-go/decant/notebooks"
)

// Property: whatever the notebook's file name, its slug is a lower-case ASCII Go identifier
// that the go command treats as an ordinary importable package directory.
func TestSlugForProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"main", "vendor", "testdata", "cmd", "init", "func", "_", ".", "-", "Ä", "é", "1", "x", "Go", "漢", " ", "internal", "type"}
	names := []string{"main.ipynb", "vendor.ipynb", "testdata.ipynb", "cmd.ipynb", "_x.ipynb", ".ipynb", "Café.ipynb", "漢字.ipynb", "2024.ipynb", "type.ipynb"}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(4) + 1 {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		names = append(names, b.String()+".ipynb")
	}
	for _, n := range names {
		s := SlugFor(n)
		if !token.IsIdentifier(s) || token.IsKeyword(s) || reservedSlug(s) || strings.HasPrefix(s, "_") {
			t.Fatalf("SlugFor(%q) = %q: not an ordinary package name", n, s)
		}
		for _, c := range s {
			if c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
				t.Fatalf("SlugFor(%q) = %q: not lower-case ASCII", n, s)
			}
		}
	}
}

func TestExplicitSlugAndSkipChecked(t *testing.T) {
	nb, err := notebooks.Parse("nb.ipynb", []byte(`{"cells": [
 {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "## 1. Preparation"},
 {"cell_type": "code", "id": "b", "metadata": {}, "source": "func f() int { return 1 }", "outputs": [], "execution_count": null}
], "metadata": {"kernelspec": {"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}, "nbformat": 4, "nbformat_minor": 5}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Slug: "vendor"}, "treats specially"},
		{Options{Slug: "testdata"}, "treats specially"},
		{Options{Slug: "café"}, "lower-case ASCII"},
		{Options{Slug: "Churn"}, "lower-case ASCII"},
		{Options{Skip: []int{7}}, "--skip 7: no such cell"},
		{Options{Skip: []int{-1}}, "--skip -1: no such cell"},
		{Options{Skip: []int{0}}, "is a markdown cell"},
	} {
		_, err := Build(nb, nil, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.opts, err, c.want)
		}
	}
	if _, err := Build(nb, nil, Options{Skip: []int{1}}); err != nil && strings.Contains(err.Error(), "--skip") {
		t.Errorf("a real code cell refused: %v", err)
	}
}
