package proxy

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

func TestIsComplete(t *testing.T) {
	tests := []struct {
		code, status, indent string
	}{
		{"", "complete", ""},
		{"%%\nfmt.Println(\"hi\")", "complete", ""},
		{"func f() int { return 1 }", "complete", ""},
		{"%env KK=1", "complete", ""},
		{"import \"fmt\"\n\nvar x = 1\n%%\nfmt.Println(x)", "complete", ""},
		{"%%bash\necho {", "complete", ""},
		{"// just a comment", "complete", ""},
		{"func f() {", "incomplete", "\t"},
		{"%%\nfor i := 0; i < 3; i++ {\n\tif i > 1 {", "incomplete", "\t\t"},
		{"var x = 1 +", "incomplete", "\t"},
		{"%%\nfmt.Println(1,", "incomplete", "\t"},
		{"var s = `raw\nstill raw", "incomplete", ""},
		{"/* open comment", "incomplete", ""},
		{"!echo a \\", "incomplete", ""},
		{"func f() { )", "invalid", ""},
		{"%%\nx := ]", "invalid", ""},
		{"func 1f() {}", "invalid", ""},
		{"x := 1", "invalid", ""},
		{"var s = \"open", "invalid", ""},
		{"%%\na()\n%%\nb()", "invalid", ""},
	}
	for _, tt := range tests {
		got := IsComplete(tt.code)
		if got.Status != tt.status || got.Indent != tt.indent {
			t.Errorf("IsComplete(%q) = %+v, want %s %q", tt.code, got, tt.status, tt.indent)
		}
	}
}

func FuzzIsComplete(f *testing.F) {
	for _, s := range []string{"", "%%\nx", "func f() {", "`", "/*", "%env A=1 \\", "%%\n%%", "var x = (1 +\n2)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		c := IsComplete(code)
		switch c.Status {
		case "complete", "invalid":
			if c.Indent != "" {
				t.Fatalf("%q: %s with indent %q", code, c.Status, c.Indent)
			}
		case "incomplete":
			if strings.Trim(c.Indent, "\t") != "" {
				t.Fatalf("%q: indent %q is not tabs", code, c.Indent)
			}
		default:
			t.Fatalf("%q: status %q", code, c.Status)
		}
	})
}

func TestHistoryQuery(t *testing.T) {
	var h History
	for i, code := range []string{"%decant version", "a", "%decant version", "b"} {
		h.Add(i+1, code)
	}
	h.SetOutput(3, "decant x")
	n := func(v int) *int { return &v }
	q := func(r HistoryRequest) string {
		data, _ := json.Marshal(h.Query(r))
		return string(data)
	}
	tests := []struct {
		req  HistoryRequest
		want string
	}{
		{HistoryRequest{HistAccessType: "tail", N: n(2)}, `[[1,3,"%decant version"],[1,4,"b"]]`},
		{HistoryRequest{HistAccessType: "tail", N: n(1), Output: true}, `[[1,4,["b",null]]]`},
		{HistoryRequest{HistAccessType: "tail"}, `[[1,1,"%decant version"],[1,2,"a"],[1,3,"%decant version"],[1,4,"b"]]`},
		{HistoryRequest{HistAccessType: "range", Start: 2, Stop: n(4)}, `[[1,2,"a"],[1,3,"%decant version"]]`},
		{HistoryRequest{HistAccessType: "range", Session: 7, Start: 1}, `[]`},
		{HistoryRequest{HistAccessType: "search", Pattern: "%decant vers*"}, `[[1,1,"%decant version"],[1,3,"%decant version"]]`},
		{HistoryRequest{HistAccessType: "search", Pattern: "%decant vers*", Unique: true, Output: true}, `[[1,3,["%decant version","decant x"]]]`},
		{HistoryRequest{HistAccessType: "search", Pattern: "?", N: n(1)}, `[[1,4,"b"]]`},
		{HistoryRequest{HistAccessType: "bogus"}, `[]`},
	}
	for _, tt := range tests {
		if got := q(tt.req); got != tt.want {
			t.Errorf("%+v: got %s, want %s", tt.req, got, tt.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "abc", true}, {"*c", "abc", true}, {"a?c", "abc", true},
		{"a*b*c", "axxbyyc", true}, {"a*b", "abc", false}, {"abc", "ab", false}, {"", "x", false},
		{"*x*", "a\nxb", true},
	} {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
}

func TestStderrHold(t *testing.T) {
	var h stderrHold
	if got := h.feed("plain\n"); got != "plain\n" {
		t.Errorf("plain text held: %q", got)
	}
	if got := h.feed("log line\npanic: x\n\ngoroutine 1\n"); got != "log line\n" {
		t.Errorf("feed passed %q", got)
	}
	if got := h.feed("exit status 2\n"); got != "" {
		t.Errorf("held text leaked: %q", got)
	}
	info, release := h.finish()
	if info == nil || info.EValue != "panic: x" || release != "" {
		t.Errorf("finish = %+v, %q", info, release)
	}
	// A panic line without an exit line is released as text.
	h.feed("panic: but recovered\n")
	if info, release := h.finish(); info != nil || release != "panic: but recovered\n" {
		t.Errorf("finish = %+v, %q", info, release)
	}
}

func TestParseMagicCell(t *testing.T) {
	lines, ok, err := parseMagicCell("// notes\n%decant plan --notebook \"my nb.ipynb\"\n\n%decant\n")
	if !ok || err != nil || len(lines) != 2 {
		t.Fatalf("got %+v %v %v", lines, ok, err)
	}
	if lines[0].name != "plan" || strings.Join(lines[0].args, "|") != "--notebook|my nb.ipynb" || lines[1].name != "help" {
		t.Errorf("lines %+v", lines)
	}
	for code, wantOK := range map[string]bool{"%decantx": false, "%%\nx": false, "%decant plan\nfmt.Println()": true, "%decant 'open": true} {
		_, ok, err := parseMagicCell(code)
		if ok != wantOK || ok && err == nil {
			t.Errorf("%q: ok %v err %v", code, ok, err)
		}
	}
}

func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{"", "a b", `"a\" b"`, "'x y' z", `"\\"`, "'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitWords(s)
		if err != nil {
			return
		}
		// Words without blanks or quotes come back as they were.
		if !strings.ContainsAny(s, "'\"\\") {
			blank := func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' }
			if strings.Join(words, "\x00") != strings.Join(strings.FieldsFunc(s, blank), "\x00") {
				t.Fatalf("splitWords(%q) = %q", s, words)
			}
		}
	})
}

func TestGoNBErrorDisplay(t *testing.T) {
	yes, _ := json.Marshal(map[string]any{"data": map[string]any{"text/html": gonbErrorHTML}})
	no, _ := json.Marshal(map[string]any{"data": map[string]any{"text/html": "<b>hi</b>"}})
	if _, ok := gonbErrorReport(yes); !ok {
		t.Error("GoNB's report not recognised")
	}
	for _, c := range [][]byte{no, []byte("{")} {
		if _, ok := gonbErrorReport(c); ok {
			t.Errorf("%s taken for GoNB's report", c)
		}
	}
}

func TestWordAt(t *testing.T) {
	for _, tt := range []struct {
		code   string
		cursor int
		want   string
	}{
		{"%%\nfmt.Println", 12, "fmt.Println"},
		{"%%\nfmt.Println(x)", 5, "fmt.Println"},
		{"x := strings.Cut(", 17, ""},
		{"héllo.Wörld", 11, "héllo.Wörld"},
		{"abc", 9, ""},
	} {
		if got := wordAt(tt.code, tt.cursor); got != tt.want {
			t.Errorf("wordAt(%q, %d) = %q, want %q", tt.code, tt.cursor, got, tt.want)
		}
	}
}

func TestGoDocInspect(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	req, _ := json.Marshal(map[string]any{"code": "%%\nfmt.Println", "cursor_pos": 12})
	content, ok := goDocInspect(context.Background(), "", req)
	if !ok || !inspectFound(content) || !strings.Contains(string(content), "func Println") {
		t.Errorf("go doc fallback: %v %s", ok, content)
	}
	req, _ = json.Marshal(map[string]any{"code": "nosuchpkg.X", "cursor_pos": 3})
	if _, ok := goDocInspect(context.Background(), "", req); ok {
		t.Error("found documentation for nosuchpkg.X")
	}
}
