package gonbcell

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// want describes the expected split of one cell. Slices compare with
// slices.Equal, so nil and empty are the same.
type want struct {
	err     string // substring of the *Error message; "" means no error
	errLine int

	names    []string // command names in order
	mainLine int
	mainArgs []string
	args     []string
	exec     *Exec
	test     bool
	testArgs []string
	wasm     bool
	noGo     bool // RunsGo == false

	decls string // checked when non-empty
	main  string // checked when non-empty; "<nil>" means Main == nil

	warns []string // one substring per warning, in order
}

func TestSplitTable(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want want
	}{
		// R1: command detection (specialcmd.go:55-56, parser.go:630-634).
		{"plain Go", "func f() {}\nvar x = 1", want{decls: "func f() {}\nvar x = 1\n", main: "<nil>"}},
		{"shell and percent commands", "!ls -l\n%env AB=1\nfunc f() {}",
			want{names: []string{"!", "%env"}, decls: "\n\nfunc f() {}\n"}},
		{"gonb prefix", "//gonb:%args a \"b c\"\n//gonb:!*go get x@v1\nvar y int",
			want{names: []string{"%args", "!*"}, args: []string{"a", "b c"}, decls: "\n\nvar y int\n"}},
		{"single char is not a command (len>1)", "%\n!", want{decls: "%\n!\n"}},
		{"indented is not a command", "  %%\nfmt.Println(1)", want{decls: "  %%\nfmt.Println(1)\n", main: "<nil>"}},
		{"gonb prefix must be column 0", " //gonb:%%\nvar x = 1", want{decls: " //gonb:%%\nvar x = 1\n"}},
		// specialcmd.go:61-62: blanks after % are skipped, so "% main" runs as %main,
		// but composer.go:383 does not see a main line there.
		{"spaced percent", "% main x\nvar a = 1",
			want{names: []string{"%main"}, args: []string{"x"}, warns: []string{"does not start func main"}}},
		// specialcmd.go:100-111: a trailing backslash joins, replaced by one space.
		{"continuation", "!echo one \\\n  two \\\n  three\nvar z = 1",
			want{names: []string{"!"}, decls: "\n\n\nvar z = 1\n"}},
		{"continuation swallows a would-be command", "!echo A \\\n%args b\nvar z = 1",
			want{names: []string{"!"}, decls: "\n\nvar z = 1\n"}},
		// specialcmd.go:61: blanks only after % or ! index past the string.
		{"blank command crashes", "var a = 1\n%  \t", want{err: "crashes on a command line", errLine: 2}},
		{"blank shell crashes", "! ", want{err: "crashes", errLine: 1}},
		{"unknown command warns", "%nosuchcmd\nvar a = 1",
			want{names: []string{"%nosuchcmd"}, warns: []string{`"%nosuchcmd" unknown`}}},

		// R1: cell magics only on line 1 (cellmagic.go:36-45; specialcmd.go:326-330).
		{"writefile magic", "%%writefile -a out.txt\nline1\n%%\n!x",
			want{noGo: true}},
		{"bash magic with gonb prefix", "//gonb:%%bash\necho hi", want{noGo: true}},
		{"writefile not on line 1", "// c\n%%writefile f", want{err: `"%%writefile" can only appear at the start of the cell`, errLine: 2}},
		{"bash not on line 1", "var a = 1\n%%bash", want{err: "can only appear at the start", errLine: 2}},
		{"bash with args", "%%bash -x\necho", want{err: "expects no extra arguments", errLine: 1}},
		{"writefile without path", "%%writefile\nx", want{err: "writefile [-a] <file_name>", errLine: 1}},
		{"script without command crashes", "%%script\nx", want{err: "crashes", errLine: 1}},
		// %%bashx is not a magic (exact word), but composer.go:383 makes it a main line by prefix.
		{"percent-percent prefix is main", "var a = 1\n%%bashx y\nfmt.Println(a)",
			want{names: []string{"%%bashx"}, mainLine: 2, decls: "var a = 1\n", main: "\nfmt.Println(a)\n",
				warns: []string{`"%%bashx" unknown`, "does not run"}}},

		// R2: the %% / %main line (composer.go:383-390, specialcmd.go:130-145).
		{"main split", "import \"fmt\"\n%% -v=3\nfmt.Println(1)",
			want{names: []string{"%%"}, mainLine: 2, mainArgs: []string{"-v=3"}, args: []string{"-v=3"},
				decls: "import \"fmt\"\n", main: "\nfmt.Println(1)\n"}},
		{"main on line 1", "%%\nfmt.Println(1)",
			want{names: []string{"%%"}, mainLine: 1, decls: "", main: "\nfmt.Println(1)\n"}},
		{"%main alias", "%main a\nx := 1\n_ = x",
			want{names: []string{"%main"}, mainLine: 1, mainArgs: []string{"a"}, args: []string{"a"}}},
		{"%mainx is a main line by prefix only", "%mainx a\nx := 1",
			want{names: []string{"%mainx"}, mainLine: 1, warns: []string{"unknown", "does not run"}}},
		{"gonb-prefixed main", "//gonb:%%\nfmt.Println(1)", want{names: []string{"%%"}, mainLine: 1}},
		{"commands inside main are blanked", "%%\nfmt.Println(1)\n!echo x\n%args q",
			want{names: []string{"%%", "!", "%args"}, mainLine: 1, args: []string{"q"}, main: "\nfmt.Println(1)\n\n\n"}},
		// composer.go:356-361,430: two main lines overrun the line map and panic.
		{"two %% lines crash", "%%\nfmt.Println(1)\n%%\nfmt.Println(2)",
			want{err: "crashes on a cell with two %% lines", errLine: 3}},
		// With one other command line the map is just big enough: no panic, but a
		// nested "func main() {" that does not parse.
		{"two %% lines with another command", "%env A B\n%%\nfmt.Println(1)\n%main\nfmt.Println(2)",
			want{err: "second %%/%main line", errLine: 4}},
		{"two %% lines without Go do nothing", "%%\n%%", want{names: []string{"%%", "%%"}, mainLine: 1, noGo: true,
			warns: []string{"harmless here"}}},

		// R3: package lines (composer.go:415-418): column-0 prefix "package", untrimmed.
		{"package clause dropped", "package foo\nfunc g() {}", want{decls: "\nfunc g() {}\n"}},
		{"package prefix drops non-clauses", "%%\npackages := 1\n_ = packages",
			want{names: []string{"%%"}, mainLine: 1, main: "\n\n_ = packages\n", warns: []string{"not a package clause"}}},
		{"indented package kept", " package foo", want{decls: " package foo\n"}},
		{"gonb-prefixed package kept", "//gonb:package foo", want{decls: "//gonb:package foo\n"}},

		// R4: %exec (composer.go:391-406; specialcmd.go:132-137).
		{"exec", "func entry() {}\n%exec entry a b",
			want{names: []string{"%exec"}, exec: &Exec{"entry", []string{"a", "b"}}, args: []string{"a", "b"}}},
		{"exec without function", "%exec\nfunc f() {}", want{err: "requires the name", errLine: 1}},
		{"exec tab crashes", "func f() {}\n%exec\tf", want{err: "without a space", errLine: 2}},
		{"exec double space", "func f() {}\n%exec  f", want{err: "finds it empty", errLine: 2}},
		// The composer's line map has a slack of 5 lines (composer.go:358):
		// "package main" takes 2, an %exec line 3 more than its own, a %% line 1
		// more plus 2 for the closing brace. So one %exec alone fits, but %exec
		// with %% or a second %exec overruns it unless command or package lines
		// make room.
		{"exec anywhere alone", "%exec f a\nfunc f() {}\nvar a = 1",
			want{names: []string{"%exec"}, exec: &Exec{"f", []string{"a"}}, args: []string{"a"}}},
		{"exec below main crashes", "%%\nx := 1\n%exec f", want{err: "crashes", errLine: 3}},
		{"exec below main", "%env K V\n!a\n!b\n%%\nx := 1\n%exec f", want{err: "below the %% line", errLine: 6}},
		{"exec then main crashes", "func f() {}\n%exec f\n%%\nf()", want{err: "crashes", errLine: 4}},
		{"exec then main", "!a\n!b\n!c\nfunc f() {}\n%exec f\n%%\nf()",
			want{names: []string{"!", "!", "!", "%exec", "%%"}, mainLine: 6, exec: &Exec{Func: "f"}, warns: []string{"replaced by the %% main"}}},
		{"two execs", "!a\n!b\n!c\nfunc f() {}\n%exec f\n%exec g 1",
			want{names: []string{"!", "!", "!", "%exec", "%exec"}, exec: &Exec{"g", []string{"1"}}, args: []string{"1"},
				warns: []string{"replaced by the %exec on line 6"}}},
		{"three execs crash", "%exec f\n%exec g\n%exec h\nfunc f() {}", want{err: "crashes", errLine: 2}},

		// R14: %test (specialcmd.go:142-144).
		{"test", "func TestX(t *testing.T) {}\n%test -test.v", want{names: []string{"%test"}, test: true,
			testArgs: []string{"-test.v"}, args: []string{"-test.v"}}},
		{"bare test runs Go", "%test", want{names: []string{"%test"}, test: true}},
		{"test and wasm", "%test\n%wasm\nfunc TestA(t *testing.T) {}", want{err: "%test in a %wasm cell", errLine: 2}},
		{"wasm", "%wasm\n%%\nx := 1", want{names: []string{"%wasm", "%%"}, wasm: true, mainLine: 2}},

		// R16-R17: static command checks GoNB makes before running anything.
		{"env key=value", "%env KEY=v", want{names: []string{"%env"}, noGo: true}},
		// specialcmd.go:177: the "=" must be past index 1, so a one-letter name fails.
		{"env one-letter key=value", "%env A=1", want{err: "takes 2 arguments", errLine: 1}},
		{"cd with two args", "%cd a b", want{err: "%cd", errLine: 1}},
		{"reset bad arg", "%reset all", want{err: "go.mod", errLine: 1}},
		{"reset go.mod", "%reset go.mod", want{names: []string{"%reset"}, noGo: true}},
		{"wasm with args", "%wasm x", want{err: "no extra parameters", errLine: 1}},
		{"capture", "%capture -a out.txt\n%%\nx := 1", want{names: []string{"%capture", "%%"}, mainLine: 2}},
		{"capture -a alone names a file called -a", "%capture -a", want{names: []string{"%capture"}, noGo: true}},
		{"capture without file", "%capture", want{err: "%capture takes one argument", errLine: 1}},
		{"untrack", "%untrack a b", want{err: "%untrack", errLine: 1}},
		{"first failing command wins", "%cd a b\n%env A=1", want{err: "%cd", errLine: 1}},

		// Args overwrite order (specialcmd.go:130-141; args_probe).
		{"args above main are wiped", "%args -v=1\n%%\nx := 1",
			want{names: []string{"%args", "%%"}, mainLine: 2, warns: []string{"overwritten by %% on line 2"}}},
		{"args below main win", "%%\n%args -v=2\nx := 1",
			want{names: []string{"%%", "%args"}, mainLine: 1, args: []string{"-v=2"}}},
		{"args quoting", `%args "a b" "" "x\ty\"z" c\d`,
			want{names: []string{"%args"}, args: []string{"a b", "", "x\ty\"z", `c\d`}, noGo: true}},
		{"non-ASCII args", "%args héllo", want{names: []string{"%args"}, args: []string{"héllo"}, noGo: true,
			warns: []string{"Latin-1"}}},

		// R1 warnings: command-looking lines that Go would not see as commands.
		{"raw string", "var s = `a\n!echo hi\n%x\nb`",
			want{names: []string{"!", "%x"}, decls: "var s = `a\n\n\nb`\n",
				warns: []string{"inside a Go raw string", "unknown", "inside a Go raw string"}}},
		{"block comment", "/*\n%args z\n*/\nvar a = 1",
			want{names: []string{"%args"}, args: []string{"z"}, warns: []string{"inside a /* */ comment"}}},
		{"closed raw string", "var s = `a`\n!echo hi\nvar t = \"`\" // `\n!echo 2",
			want{names: []string{"!", "!"}}},
		{"comment markers in strings", "var s = \"/*\"\n!echo hi\nvar r = '`'\n!echo 2",
			want{names: []string{"!", "!"}}},
		{"line comment hides raw start", "// `\n!echo hi", want{names: []string{"!"}}},
		{"command inside a block", "%%\nfor i := range 3 {\n!echo $i\n}",
			want{names: []string{"%%", "!"}, mainLine: 1, warns: []string{"inside an open Go bracket"}}},
		{"package line inside raw string", "var s = `\npackage x\n`",
			want{decls: "var s = `\n\n`\n", warns: []string{"inside a Go raw string starts with \"package\""}}},

		// Directives and comments are kept byte for byte.
		{"directives kept", "import _ \"embed\"\n\n//go:embed probe.txt\nvar embedded string // trailing\n/* block */",
			want{decls: "import _ \"embed\"\n\n//go:embed probe.txt\nvar embedded string // trailing\n/* block */\n"}},
		{"CRLF kept", "var a = 1\r\n%%\r\nx := a\r", want{names: []string{"%%\r"}, mainLine: 2, main: "\nx := a\r\n",
			warns: []string{"unknown", "does not run"}}},
		{"empty cell", "", want{noGo: true, decls: "\n"}},
		// parser.go:604 uses `^\s*$`; RE2's \s has no \v.
		{"vertical tab is not blank to GoNB", "%%\n\v", want{names: []string{"%%"}, mainLine: 1, main: "\n\v\n"}},
		{"only commands", "!ls\n\n  \n%env K V", want{names: []string{"!", "%env"}, noGo: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Split(tt.src)
			checkInvariants(t, tt.src, c, err)
			checkWant(t, c, err, tt.want)
		})
	}
}

func checkWant(t *testing.T, c *Cell, err error, w want) {
	t.Helper()
	if w.err != "" {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want *Error containing %q", err, w.err)
		}
		if !strings.Contains(e.Msg, w.err) || e.Line != w.errLine {
			t.Fatalf("err = %v, want line %d containing %q", err, w.errLine, w.err)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if w.names != nil {
		var got []string
		for _, cmd := range c.Commands {
			got = append(got, cmd.Name)
		}
		if !slices.Equal(got, w.names) {
			t.Errorf("command names = %q, want %q", got, w.names)
		}
	}
	if c.MainLine != w.mainLine {
		t.Errorf("MainLine = %d, want %d", c.MainLine, w.mainLine)
	}
	if !slices.Equal(c.MainArgs, w.mainArgs) {
		t.Errorf("MainArgs = %q, want %q", c.MainArgs, w.mainArgs)
	}
	if !slices.Equal(c.Args, w.args) {
		t.Errorf("Args = %q, want %q", c.Args, w.args)
	}
	switch {
	case (c.Exec == nil) != (w.exec == nil):
		t.Errorf("Exec = %+v, want %+v", c.Exec, w.exec)
	case c.Exec != nil && (c.Exec.Func != w.exec.Func || !slices.Equal(c.Exec.Args, w.exec.Args)):
		t.Errorf("Exec = %+v, want %+v", *c.Exec, *w.exec)
	}
	if c.Test != w.test || !slices.Equal(c.TestArgs, w.testArgs) {
		t.Errorf("Test, TestArgs = %v, %q, want %v, %q", c.Test, c.TestArgs, w.test, w.testArgs)
	}
	if c.Wasm != w.wasm {
		t.Errorf("Wasm = %v, want %v", c.Wasm, w.wasm)
	}
	if c.RunsGo == w.noGo && c.Magic == nil {
		t.Errorf("RunsGo = %v, want %v", c.RunsGo, !w.noGo)
	}
	if w.decls != "" && c.Decls.Src != w.decls {
		t.Errorf("Decls.Src = %q, want %q", c.Decls.Src, w.decls)
	}
	switch {
	case w.main == "<nil>":
		if c.Main != nil {
			t.Errorf("Main = %q, want nil", c.Main.Src)
		}
	case w.main != "":
		if c.Main == nil || c.Main.Src != w.main {
			t.Errorf("Main = %+v, want %q", c.Main, w.main)
		}
	}
	if len(c.Warnings) != len(w.warns) {
		t.Errorf("warnings = %q, want %d matching %q", c.Warnings, len(w.warns), w.warns)
		return
	}
	for i, sub := range w.warns {
		if !strings.Contains(c.Warnings[i].Msg, sub) {
			t.Errorf("warning %d = %q, want it to contain %q", i, c.Warnings[i], sub)
		}
	}
}

// checkInvariants checks what must hold for every input: a *Error with a
// line inside the cell, or a split that keeps every Go line at its place.
func checkInvariants(t testing.TB, src string, c *Cell, err error) {
	t.Helper()
	lines := strings.Split(src, "\n")
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		if e.Line < 1 || e.Line > len(lines) {
			t.Fatalf("error line %d outside 1..%d: %v", e.Line, len(lines), err)
		}
		if c != nil {
			t.Fatalf("non-nil cell returned with error %v", err)
		}
		return
	}
	if c == nil {
		t.Fatal("nil cell without error")
	}
	for _, w := range c.Warnings {
		if w.Line < 1 || w.Line > len(lines) {
			t.Fatalf("warning line outside 1..%d: %v", len(lines), w)
		}
	}
	if c.Magic != nil {
		if got := strings.Join(lines[1:], "\n"); c.Magic.Body != got || c.Magic.BodyLine != 2 {
			t.Fatalf("magic body = %q at %d, want %q at 2", c.Magic.Body, c.Magic.BodyLine, got)
		}
		return
	}
	if c.Decls.FirstLine != 1 {
		t.Fatalf("Decls.FirstLine = %d", c.Decls.FirstLine)
	}
	got := c.Decls.Src
	n := c.Decls.Lines()
	if c.Main != nil {
		if c.Main.FirstLine != c.MainLine || c.MainLine != n+1 {
			t.Fatalf("Main.FirstLine = %d, MainLine = %d, Decls lines = %d", c.Main.FirstLine, c.MainLine, n)
		}
		got += c.Main.Src
		n += c.Main.Lines()
	} else if c.MainLine != 0 {
		t.Fatalf("MainLine = %d with nil Main", c.MainLine)
	}
	if n != len(lines) {
		t.Fatalf("Decls+Main have %d lines, cell has %d", n, len(lines))
	}
	removed := make([]bool, len(lines))
	prev := 0
	for _, cmd := range c.Commands {
		if cmd.Line <= prev || cmd.EndLine < cmd.Line || cmd.EndLine > len(lines) {
			t.Fatalf("bad command range %d-%d after %d", cmd.Line, cmd.EndLine, prev)
		}
		prev = cmd.EndLine
		if t0 := strings.TrimPrefix(lines[cmd.Line-1], gonbPrefix); len(t0) < 2 || (t0[0] != '%' && t0[0] != '!') {
			t.Fatalf("command at line %d is not a command line: %q", cmd.Line, lines[cmd.Line-1])
		}
		if !strings.HasPrefix(cmd.Name, cmd.Text[:1]) {
			t.Fatalf("command %q has name %q", cmd.Text, cmd.Name)
		}
		for l := cmd.Line; l <= cmd.EndLine; l++ {
			removed[l-1] = true
		}
	}
	out := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	for i, line := range lines {
		switch {
		case out[i] == line:
		case out[i] == "" && (removed[i] || strings.HasPrefix(line, "package")):
		default:
			t.Fatalf("line %d: got %q, want %q (or blank if removed)", i+1, out[i], line)
		}
		if removed[i] && out[i] != "" {
			t.Fatalf("command line %d kept in Go text: %q", i+1, out[i])
		}
	}
}
