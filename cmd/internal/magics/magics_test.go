package magics

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/decant-go/decant/kernel/proxy"
)

func demoEnv() proxy.MagicEnv {
	var out, errb bytes.Buffer
	return proxy.MagicEnv{Stdout: &out, Stderr: &errb, Dir: "../../../testdata/demo", Getenv: func(string) string { return "" }}
}

func TestPlanOnTheDemo(t *testing.T) {
	r, err := Plan().Run(context.Background(), nil, demoEnv())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cells:", "files:", "duplicates:"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("plan text lacks %q:\n%s", want, r.Text)
		}
	}
	if !strings.Contains(r.HTML, "<table>") || !strings.Contains(r.HTML, "pipeline.go") {
		t.Errorf("plan HTML:\n%s", r.HTML)
	}
	for name, m := range map[string]proxy.Magic{"doc": Doc(), "dupes": Dupes()} {
		if r, err := m.Run(context.Background(), nil, demoEnv()); err != nil || r == nil || r.Text == "" {
			t.Errorf("%s: %v %+v", name, err, r)
		}
	}
}

func TestBadArguments(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--notebook", "/nonexistent.ipynb"}, "no such file"},
		{[]string{"--bogus"}, "unknown flag"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		for name, m := range All() {
			_, err := m.Run(context.Background(), tt.args, demoEnv())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%%decant %s %q: %v, want an error about %q", name, tt.args, err, tt.want)
			}
		}
	}
}
