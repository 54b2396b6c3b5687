package proxy

import (
	"strings"
	"sync"
	"testing"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/kerneltest"
)

func TestWithDisplayFlush(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		uses       bool
		want       string // "" means unchanged
	}{
		{"main body", "%%\ngonbui.DisplayHtml(`x`)", true, "%%\ngonbui.DisplayHtml(`x`)\ngonbui.Sync()"},
		{"trailing newline", "%%\nshow()\n", true, "%%\nshow()\ngonbui.Sync()"},
		{"declarations first", "func show() { gonbui.DisplayHtml(`x`) }\n%% -n=1\nshow()", true,
			"func show() { gonbui.DisplayHtml(`x`) }\n%% -n=1\nshow()\ngonbui.Sync()"},
		{"no gonbui", "%%\nfmt.Println(1)", false, ""},
		{"declarations only", "func show() { gonbui.DisplayHtml(`x`) }", true, ""},
		{"test cell", "%test\nfunc TestX(t *testing.T) { gonbui.DisplayHtml(`x`) }\n%%\nx()", true, ""},
		{"exec cell", "func run() { gonbui.DisplayHtml(`x`) }\n%exec run", true, ""},
		{"cell magic", "%%writefile a.go\ngonbui.DisplayHtml(`x`)", true, ""},
		{"continued command", "%%\nshow()\n!echo \\", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := withDisplayFlush(tc.code, tc.uses)
			want := tc.want
			if want == "" {
				want = tc.code
			}
			if got != want || changed != (tc.want != "") {
				t.Errorf("withDisplayFlush(%q) = %q, %v; want %q", tc.code, got, changed, want)
			}
		})
	}
}

// gonbPipe models how GoNB v0.11.1 passes on gonbui's displays: the
// program writes them to a pipe that GoNB reads in a goroutine, and GoNB
// closes the pipe when the program exits. The model takes the ordering
// seen under load, where that goroutine runs only after the exit: a
// display reaches the notebook only if the program synced after it.
func gonbPipe(c *kerneltest.Call) {
	lines := strings.Split(c.Code, "\n")
	pending := 0
	for _, l := range lines {
		switch strings.TrimSpace(l) {
		case "gonbui.DisplayHtml(`<b>shown</b>`)":
			pending++
		case "gonbui.Sync()":
			for ; pending > 0; pending-- {
				c.Display(map[string]any{"text/html": "<b>shown</b>"}, "")
			}
		}
	}
}

// TestGonbuiDisplayOutlivesProgramExit runs gonbui cells on a GoNB that
// drops displays not yet read when the program exits: the kernel's flush
// at the end of the main body keeps them, and leaves the user's lines as
// they were.
func TestGonbuiDisplayOutlivesProgramExit(t *testing.T) {
	var mu sync.Mutex
	var got []string
	h := newHarness(t, func(c *kerneltest.Call) {
		mu.Lock()
		got = append(got, c.Code)
		mu.Unlock()
		gonbPipe(c)
	}, Options{})
	code := "%%\ngonbui.DisplayHtml(`<b>shown</b>`)"
	r := h.exec(code)
	if r.Status != "ok" || countType(r.Outputs, kernel.TypeDisplayData) != 1 || dataText(r.Outputs[0], "text/html") != "<b>shown</b>" {
		t.Fatalf("status %s outputs %+v", r.Status, r.Outputs)
	}
	// A cell calling a memorized function that displays is flushed too,
	// though it does not name gonbui itself; a cell without a main body
	// is sent as written.
	decl := "func show() {\n\tgonbui.DisplayHtml(`<b>shown</b>`)\n}"
	h.exec(decl)
	h.exec("%%\nshow()")
	mu.Lock()
	defer mu.Unlock()
	want := []string{code + "\n" + gonbuiFlush, decl, "%%\nshow()\n" + gonbuiFlush}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("GoNB got %q, want %q", got, want)
	}
}
