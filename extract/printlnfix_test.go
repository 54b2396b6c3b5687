package extract

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

type lnStringer struct{ n int }

func (s lnStringer) String() string { return fmt.Sprintf("S(%d)", s.n) }

type lnPtrStringer struct{ n int }

func (s *lnPtrStringer) String() string { return fmt.Sprintf("P(%d)", s.n) }

type lnFormatter struct{}

// Format shows the verb and flags it was called with: the two forms must pass the same.
func (lnFormatter) Format(f fmt.State, verb rune) {
	w, wok := f.Width()
	p, pok := f.Precision()
	fmt.Fprintf(f, "F(%c %v%v%v%v%v %d%v %d%v)", verb, f.Flag('+'), f.Flag('-'), f.Flag('#'), f.Flag(' '), f.Flag('0'), w, wok, p, pok)
}

type lnGoStringer struct{}

func (lnGoStringer) GoString() string { return "GO" }

type lnPanicker struct{}

func (lnPanicker) String() string { panic("boom") }

type lnNamed string

func (n lnNamed) String() string { return "named:" + string(n) }

// lnOperands are operands of every kind fmt treats apart: nil, nil pointers with and without
// methods, Formatter, Stringer, error, GoStringer, a String method that panics, byte slices,
// maps, structs holding such values, reflect.Value and a string ending in a newline.
func lnOperands() [][]any {
	var nilPtr *int
	var nilStringer *lnPtrStringer
	var nilErr error
	var nilIface fmt.Stringer
	return [][]any{
		{"x\n"},
		{"a", "b\n"},
		{1, 2.5, "c\n"},
		{nil, "\n"},
		{nilPtr, nilStringer, nilErr, nilIface, "end\n"},
		{lnStringer{7}, &lnPtrStringer{8}, lnPtrStringer{9}, "s\n"},
		{lnFormatter{}, &lnFormatter{}, "f\n"},
		{errors.New("bad"), fmt.Errorf("wrapped: %w", errors.New("inner")), "e\n"},
		{lnGoStringer{}, lnPanicker{}, "g\n"},
		{[]byte("bytes"), map[string]int{"b": 2, "a": 1}, struct {
			S lnStringer
			E error
			P *int
		}{lnStringer{1}, errors.New("in struct"), nilPtr}, "m\n"},
		{reflect.ValueOf(lnStringer{3}), reflect.ValueOf(42), []any{nil, lnStringer{4}}, "r\n"},
		{lnNamed("k"), true, 'r', complex(1, 2), uintptr(0), "%d 100%\n"},
		{[]string{"a b", ""}, [2]bool{}, func() {} == nil, "\t\n"},
	}
}

// fmt's Println prints each operand as %v does, separated by spaces, then a newline: the
// Printf form the rewrite emits prints the same for every kind of operand, and so do the log
// package's f variants for its ln functions.
func TestPrintlnFormEquivalent(t *testing.T) {
	for _, ops := range lnOperands() {
		format := strings.TrimSuffix(strings.Repeat("%v ", len(ops)), " ") + "\n"
		if a, b := fmt.Sprintln(ops...), fmt.Sprintf(format, ops...); a != b {
			t.Errorf("operands %#v:\nSprintln = %q\nSprintf  = %q", ops, a, b)
		}
		if a, b := string(fmt.Appendln([]byte("<"), ops...)), string(fmt.Appendf([]byte("<"), format, ops...)); a != b {
			t.Errorf("operands %#v:\nAppendln = %q\nAppendf  = %q", ops, a, b)
		}
		var ln, f bytes.Buffer
		log.New(&ln, "p: ", 0).Println(ops...)
		log.New(&f, "p: ", 0).Printf(format, ops...)
		if ln.String() != f.String() {
			t.Errorf("operands %#v:\nlog Println = %q\nlog Printf  = %q", ops, ln.String(), f.String())
		}
		lnPanic, fPanic := recoverValue(func() { log.New(&ln, "", 0).Panicln(ops...) }), recoverValue(func() { log.New(&f, "", 0).Panicf(format, ops...) })
		if lnPanic != fPanic {
			t.Errorf("operands %#v:\nlog Panicln = %q\nlog Panicf  = %q", ops, lnPanic, fPanic)
		}
	}
}

func recoverValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// The rewrite of each call, as a reader sees it: string literals folded into the format (a
// single one printed as is), other operands as %v, lines kept.
func TestRewriteRedundantNewline(t *testing.T) {
	for _, tc := range []struct{ fn, call, want string }{
		{"fmt.Println", `fmt.Println("Cache entry line:\n")`, `fmt.Print("Cache entry line:\n\n")`},
		{"fmt.Println", `fmt.Println("a", "b\n")`, `fmt.Print("a b\n\n")`},
		{"fmt.Println", `fmt.Println("two  spaces", n, "\n")`, `fmt.Printf("two  spaces %v \n\n", n)`},
		{"fmt.Println", `fmt.Println("loss:", loss, "\n")`, `fmt.Printf("loss: %v \n\n", loss)`},
		{"fmt.Println", `fmt.Println(x, y, done)`, `fmt.Printf("%v %v %v\n", x, y, done)`},
		{"fmt.Println", `fmt.Println("100%", "ok\n")`, `fmt.Printf("100%% ok\n\n")`},
		{"fmt.Println", `fmt.Println("\x25d", x, "\n")`, `fmt.Printf("%v %v \n\n", "\x25d", x)`},
		{"fmt.Println", "fmt.Println(`raw`, \"\\n\")", "fmt.Printf(\"%v \\n\\n\", `raw`)"},
		{"fmt.Fprintln", `fmt.Fprintln(os.Stderr, "err:", err, "\n")`, `fmt.Fprintf(os.Stderr, "err: %v \n\n", err)`},
		{"fmt.Sprintln", `fmt.Sprintln("x\n")`, `fmt.Sprint("x\n\n")`},
		{"fmt.Appendln", `fmt.Appendln(buf, n, "\n")`, `fmt.Appendf(buf, "%v \n\n", n)`},
		{"log.Println", `log.Println("x", n, "\n")`, `log.Printf("x %v \n\n", n)`},
		{"log.Fatalln", `log.Fatalln(err, "\n")`, `log.Fatalf("%v \n\n", err)`},
		{"(*log.Logger).Println", `logger.Println("x\n")`, `logger.Print("x\n\n")`},
		{"fmt.Println", `f.Println(a /* why */, "\n")`, `f.Printf("%v %v\n", a /* why */, "\n")`},
		{"fmt.Println", "fmt.Println(a,\n\t\"b\\n\")", "fmt.Printf(\"%v %v\\n\", a,\n\t\"b\\n\")"},
	} {
		src := "package p\n\nfunc f() {\n\t" + tc.call + "\n}\n"
		rw, ok := rewriteRedundantNewline([]byte(src), 4, 2, tc.fn)
		if !ok {
			t.Errorf("%s: not rewritten", tc.call)
			continue
		}
		got := applyEdits([]byte(src), rw.edits)
		want := "package p\n\nfunc f() {\n\t" + tc.want + "\n}\n"
		if got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.call, got, want)
		}
		if strings.Count(got, "\n") != strings.Count(src, "\n") {
			t.Errorf("%s: the rewrite moved lines", tc.call)
		}
		if rw.call != strings.ReplaceAll(strings.ReplaceAll(tc.want, "\n\t", " "), "\t", "") {
			t.Errorf("%s: reported as %s", tc.call, rw.call)
		}
	}
	for _, tc := range []struct{ fn, call string }{
		{"fmt.Println", `fmt.Println(args...)`},      // a spread: the operands are not known
		{"example.com/x.Println", `x.Println("\n")`}, // a function of unknown semantics
		{"fmt.Println", `fmt.Print("\n")`},           // not the call vet named
	} {
		src := "package p\n\nfunc f() {\n\t" + tc.call + "\n}\n"
		if rw, ok := rewriteRedundantNewline([]byte(src), 4, 2, tc.fn); ok {
			t.Errorf("%s: rewritten, want left alone: %+v", tc.call, rw)
		}
	}
}

func applyEdits(src []byte, edits []edit) string {
	out := string(src)
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		out = out[:e.start] + e.text + out[e.end:]
	}
	return out
}

// The rewritten calls print exactly what the originals printed, run for real over every kind
// of operand, and go vet accepts them.
func TestRewriteRedundantNewlineRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run and go vet")
	}
	calls := []string{
		`fmt.Println("x\n")`,
		`fmt.Println("a", "b\n")`,
		`fmt.Println("loss:", 0.25, "\n")`,
		`fmt.Println("100%", "ok\n")`,
		`fmt.Println("\x25d", 3, "\n")`,
		"fmt.Println(`raw`, \"\\n\")",
		`fmt.Println(nilPtr, nilStringer, nilErr, nilIface, nil, "end\n")`,
		`fmt.Println(stringer{7}, &ptrStringer{8}, ptrStringer{9}, formatter{}, &formatter{}, "s\n")`,
		`fmt.Println(errors.New("bad"), fmt.Errorf("w: %w", errors.New("in")), goStringer{}, panicker{}, "e\n")`,
		`fmt.Println([]byte("b"), map[string]int{"b": 2, "a": 1}, struct{ S stringer; E error }{stringer{1}, errors.New("x")}, "m\n")`,
		`fmt.Println(reflect.ValueOf(stringer{3}), []any{nil, stringer{4}}, named("k"), 'r', complex(1, 2), "%d 100%\n")`,
		`fmt.Fprintln(os.Stdout, "to", os.Stdout != nil, "\n")`,
		`fmt.Print(fmt.Sprintln("s", 1, "\n"))`,
		`os.Stdout.Write(fmt.Appendln([]byte("<"), 2, "\n"))`,
		`logger.Println("log", stringer{5}, "\n")`,
		`logger.Println("only\n")`,
		"fmt.Println(1, // one\n\t\t2,\n\t\t\"two\\n\")",
		`func() { defer func() { fmt.Print(recover()) }(); logger.Panicln("p", 1, "\n") }()`,
	}
	prog := func(body string) string {
		return `package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"reflect"
)

type stringer struct{ n int }

func (s stringer) String() string { return fmt.Sprintf("S(%d)", s.n) }

type ptrStringer struct{ n int }

func (s *ptrStringer) String() string { return fmt.Sprintf("P(%d)", s.n) }

type formatter struct{}

func (formatter) Format(f fmt.State, verb rune) {
	w, wok := f.Width()
	fmt.Fprintf(f, "F(%c %v%v%v%v %d%v)", verb, f.Flag('+'), f.Flag('-'), f.Flag('#'), f.Flag(' '), w, wok)
}

type goStringer struct{}

func (goStringer) GoString() string { return "GO" }

type panicker struct{}

func (panicker) String() string { panic("boom") }

type named string

func (n named) String() string { return "named:" + string(n) }

var (
	nilPtr      *int
	nilStringer *ptrStringer
	nilErr      error
	nilIface    fmt.Stringer
	logger      = log.New(os.Stdout, "log: ", 0)
)

func main() {
` + body + `}
`
	}
	var body strings.Builder
	for _, c := range calls {
		body.WriteString("\t" + c + "\n")
	}
	orig, err := format.Source([]byte(prog(body.String())))
	if err != nil {
		t.Fatal(err)
	}
	// Every call vet reports, rewritten: vet's own positions, as extraction gets them.
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "go.mod"), "module example.com/p\n\ngo 1.22\n")
	mustWrite(t, filepath.Join(dir, "main.go"), string(orig))
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = dir
	text, _ := vet.CombinedOutput()
	reported := regexp.MustCompile(`main\.go:(\d+):(\d+): (\S+) arg list ends with redundant newline`).FindAllStringSubmatch(string(text), -1)
	if len(reported) != len(calls) {
		t.Fatalf("go vet reported %d redundant newlines, want %d:\n%s", len(reported), len(calls), text)
	}
	var edits []edit
	for _, m := range reported {
		var line, col int
		fmt.Sscan(m[1], &line)
		fmt.Sscan(m[2], &col)
		rw, ok := rewriteRedundantNewline(orig, line, col, m[3])
		if !ok {
			t.Fatalf("line %d: %s not rewritten", line, m[3])
		}
		edits = append(edits, rw.edits...)
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	rewritten := applyEdits(orig, edits)
	if strings.Count(rewritten, "\n") != bytes.Count(orig, []byte("\n")) {
		t.Fatalf("the rewrite moved lines:\n%s", rewritten)
	}
	run := func(src string) string {
		t.Helper()
		mustWrite(t, filepath.Join(dir, "main.go"), src)
		cmd := exec.Command("go", "run", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go run: %v\n%s\n%s", err, out, src)
		}
		return string(out)
	}
	before, after := run(string(orig)), run(rewritten)
	if before != after {
		t.Errorf("the rewrite changed the output:\nbefore %q\nafter  %q\n%s", before, after, rewritten)
	}
	mustWrite(t, filepath.Join(dir, "main.go"), rewritten)
	vet = exec.Command("go", "vet", "./...")
	vet.Dir = dir
	if text, err := vet.CombinedOutput(); err != nil {
		t.Errorf("go vet rejects the rewritten calls: %v\n%s\n%s", err, text, rewritten)
	}
}
