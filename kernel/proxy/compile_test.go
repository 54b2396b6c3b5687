package proxy

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The reports in testdata were captured from GoNB v0.11.1: a cell it
// cannot parse, a function with a type error (for which GoNB gives no cell
// and line), and a %% cell with three errors.
func readReports(t *testing.T) map[string]struct{ Code, HTML, EValue string } {
	t.Helper()
	data, err := os.ReadFile("testdata/gonb_error_reports.json")
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]struct{ Code, HTML, EValue string }
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCompileErrorFromReport(t *testing.T) {
	reports := readReports(t)
	for _, tt := range []struct {
		name       string
		gonbCount  int
		ename      string
		evalue     string
		tracebacks []string
	}{
		{"parse", 1, "CompileError", "Cell [7], line 1: expected declaration, found x", []string{"--> 1 | x := 1"}},
		{"func", 2, "CompileError", `Cell [7], line 3: invalid operation: x + "a" (mismatched types int and untyped string)`, []string{"    2 | \tvar x int = 1\n--> 3 | \treturn x + \"a\""}},
		{"main", 3, "CompileError", "Cell [7], line 2: declared and not used: y (and 2 more)",
			[]string{`Cell [7], line 3: cannot use "s" (untyped string constant) as int value in assignment`, "Cell [7], line 4: undefined: undefinedThing", "--> 4 | fmt.Println(undefinedThing)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := reports[tt.name]
			items, ok := parseErrorReport(r.HTML)
			if !ok {
				t.Fatal("not parsed")
			}
			sent := []sentCell{{gonb: tt.gonbCount - 1, count: 6, code: "x := 2"}, {gonb: tt.gonbCount, count: 7, code: r.Code}}
			for i := range items {
				locate(&items[i], sent)
			}
			c := compileErrorContent(items, "ERROR", r.EValue)
			if c["ename"] != tt.ename || c["evalue"] != tt.evalue {
				t.Errorf("ename %q evalue %q, want %q %q", c["ename"], c["evalue"], tt.ename, tt.evalue)
			}
			tb := strings.Join(c["traceback"].([]string), "\n")
			for _, want := range tt.tracebacks {
				if !strings.Contains(tb, want) {
					t.Errorf("traceback lacks %q:\n%s", want, tb)
				}
			}
			if strings.Contains(tb, "# gonb_") {
				t.Errorf("traceback shows GoNB's package header:\n%s", tb)
			}
			html := annotateReport(r.HTML, items, sent)
			if !strings.Contains(html, "Cell[7]: Line") || strings.Contains(html, "Cell["+string(rune('0'+tt.gonbCount))+"]") {
				t.Errorf("HTML report not mapped to the notebook's cell:\n%s", html)
			}
		})
	}
}

// GoNB's report of a failed go get has no compiler messages: the
// evalue is go's complaint, not GoNB's "failed to run".
func TestGoGetReport(t *testing.T) {
	r := readReports(t)["goget"]
	items, ok := parseErrorReport(r.HTML)
	if !ok {
		t.Fatal("not parsed")
	}
	c := compileErrorContent(items, "ERROR", r.EValue)
	if c["ename"] != "GoGetError" || !strings.HasPrefix(c["evalue"].(string), "go: module github.com/janpfeifer/gonb/gonbui: reading") {
		t.Errorf("%v", c)
	}
}

func TestMapCellRefs(t *testing.T) {
	sent := []sentCell{{gonb: 3, count: 5}}
	got := mapCellRefs("main.main()\n\t \x1b[7m[[ Cell [3] Line 2 ]]\x1b[0m /tmp/gonb_x/main.go:10\nCell[3]: Line 4 Cell [9]", sent)
	want := "main.main()\n\t \x1b[7m[[ Cell [5] Line 2 ]]\x1b[0m /tmp/gonb_x/main.go:10\nCell[5]: Line 4 Cell [9]"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestPreReport(t *testing.T) {
	items, ok := parseErrorReport("<pre>go: module example.com/x: no matching versions\n</pre>")
	if !ok || len(items) != 1 {
		t.Fatalf("%v %+v", ok, items)
	}
	c := compileErrorContent(items, "ERROR", `failed to run "go get": exit status 1`)
	if c["ename"] != "GoGetError" || c["evalue"] != "go: module example.com/x: no matching versions" {
		t.Errorf("%v", c)
	}
}

// FuzzParseErrorReport feeds GoNB-like reports to the parser and the
// error builder: they must not panic, and a failing line must be one of
// its context lines.
func FuzzParseErrorReport(f *testing.F) {
	data, err := os.ReadFile("testdata/gonb_error_reports.json")
	if err != nil {
		f.Fatal(err)
	}
	var r map[string]struct{ Code, HTML, EValue string }
	if err := json.Unmarshal(data, &r); err != nil {
		f.Fatal(err)
	}
	for _, rep := range r {
		f.Add(rep.HTML, rep.Code)
	}
	f.Add("<pre>x\n</pre>", "")
	f.Add(`<span class="gonb-err-location">a</span> b<div class="gonb-err-context"><div class="gonb-err-line">`, "b")
	f.Fuzz(func(t *testing.T, report, code string) {
		items, ok := parseErrorReport(report)
		if !ok {
			return
		}
		sent := []sentCell{{gonb: 1, count: 2, code: code}}
		for i := range items {
			locate(&items[i], sent)
			if it := items[i]; it.errLine >= len(it.context) {
				t.Fatalf("failing line %d of %d context lines", it.errLine, len(it.context))
			}
		}
		c := compileErrorContent(items, "ERROR", "x")
		if _, ok := c["traceback"].([]string); !ok {
			t.Fatal("no traceback")
		}
		annotateReport(report, items, sent)
		mapCellRefs(report, sent)
	})
}
