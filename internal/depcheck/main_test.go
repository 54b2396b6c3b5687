package main

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	m := func(rel string) string { return module + "/" + rel }
	pkgs := map[string]*pkg{
		m("kernel/proxy"):   {ImportPath: m("kernel/proxy"), Imports: []string{m("kernel")}, Deps: []string{m("kernel"), m("extract"), m("notebooks")}},
		m("kernel"):         {ImportPath: m("kernel"), Imports: []string{m("extract")}, Deps: []string{m("extract"), m("notebooks")}},
		m("extract"):        {ImportPath: m("extract"), Imports: []string{m("notebooks")}, Deps: []string{m("notebooks")}},
		m("notebooks"):      {ImportPath: m("notebooks")},
		m("refactor/edit"):  {ImportPath: m("refactor/edit"), Imports: []string{"github.com/go-git/go-git/v5"}, Deps: []string{"github.com/go-git/go-git/v5"}},
		m("cmd/decant"):     {ImportPath: m("cmd/decant"), Imports: []string{m("kernel/proxy")}, Deps: []string{m("kernel/proxy"), m("kernel"), m("extract"), m("notebooks")}},
		m("internal/udiff"): {ImportPath: m("internal/udiff"), Imports: []string{m("notebooks")}, Deps: []string{m("notebooks")}},
	}
	bad, _ := check(pkgs)
	text := strings.Join(bad, "\n")
	for _, want := range []string{
		"kernel/proxy → extract (kernel/proxy → kernel → extract)",
		"kernel → extract (kernel → extract)",
		"refactor/edit → github.com/go-git/go-git/v5",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("check misses %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "cmd/decant →") || strings.Contains(text, "internal/udiff → notebooks") {
		t.Errorf("check forbids an allowed arrow:\n%s", text)
	}
	if len(bad) != 3 {
		t.Errorf("got %d violations, want 3:\n%s", len(bad), text)
	}
}
