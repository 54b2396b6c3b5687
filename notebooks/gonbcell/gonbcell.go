package gonbcell

import (
	"fmt"
	"strings"
)

// Cell is one GoNB code cell, split into its command, Go-declaration and
// main-body parts the way GoNB v0.11.1 splits it.
type Cell struct {
	// Magic is non-nil when line 1 is a cell magic (%%writefile, %%script,
	// %%bash, %%sh, optionally after //gonb:). Then nothing else in the cell is
	// Go: the other fields are zero, but for Decls.FirstLine (1) and
	// Warnings.
	Magic *Magic

	// Commands are the special-command lines (% and !), in line order, with
	// trailing-backslash continuations joined. GoNB runs all of them before any
	// Go code of the cell, wherever they appear.
	Commands []Command

	// Decls holds cell lines 1 .. MainLine-1 (the whole cell when there is no
	// main line): the top-level declarations. Command lines and the `package`
	// lines GoNB drops are replaced by empty lines, so Decls.Src line i is cell
	// line i.
	Decls Part

	// Main holds cell lines MainLine .. last, the statements GoNB wraps in
	// func main. Its first line is the %%/%main line itself, blanked, so that
	// Decls.Src+Main.Src has exactly one line per cell line. Nil when the cell
	// has no main line.
	Main *Part

	// MainLine is the cell line GoNB's composer turned into "func main() {":
	// the first line that starts with %% or %main after an optional //gonb:
	// prefix (a prefix match: %%foo and %mainx count too). 0 if none.
	MainLine int

	// MainArgs are the arguments on the main line, when GoNB's command runner
	// recognised it as %% or %main (nil for %%foo, %mainx, or a main line that
	// is the continuation of another command).
	MainArgs []string

	// Exec is the entry point written by %exec fn [args]: GoNB generates a
	// main that calls fn(). The last %exec wins. Nil if absent.
	Exec *Exec

	// Test reports whether %test was seen: GoNB builds the cell with go test.
	Test bool
	// TestArgs are the flags on the (last) %test line. When the effective Args
	// are empty GoNB substitutes its default test flags, which depend on the
	// cell's Test/Benchmark functions (see section 7 of the semantics notes).
	TestArgs []string

	// Wasm reports whether %wasm was seen.
	Wasm bool

	// Args are the program arguments GoNB runs the cell with: %%, %main,
	// %exec, %test and %args each overwrite them, in line order.
	Args []string

	// RunsGo reports whether GoNB runs the Go part at all: some line that is
	// not a command is non-blank, or %test was seen (dispatcher.go:305).
	// A cell of only commands never reaches the composer.
	RunsGo bool

	// Warnings report places where GoNB's line-based rules and the Go syntax
	// disagree, or where GoNB does something easy to miss. Sorted by line.
	Warnings []Diagnostic
}

// Part is a contiguous run of cell lines holding Go text.
type Part struct {
	// Src is the Go text: whole lines, each ending in "\n". Line i (1-based)
	// of Src is cell line FirstLine+i-1.
	Src string
	// FirstLine is the cell line of Src's first line.
	FirstLine int
}

// Empty reports whether the part holds only whitespace. Comments count as
// content.
func (p Part) Empty() bool { return strings.TrimSpace(p.Src) == "" }

// Lines returns the number of cell lines the part covers.
func (p Part) Lines() int { return strings.Count(p.Src, "\n") }

// Command is one special-command line (possibly continued over several lines).
type Command struct {
	// Line and EndLine are the first and last cell lines of the command; they
	// differ when lines end in a backslash.
	Line, EndLine int
	// Text is the command as GoNB assembles it: each line without its //gonb:
	// prefix, a trailing backslash replaced by one space and the next line
	// appended as is (specialcmd.go:100-111). It starts with % or !.
	Text string
	// Name is "%" followed by the first argument ("%env", "%%", "%main",
	// "%exec", ...), or "!" / "!*" for shell commands. Blanks between % and
	// the name are skipped, as GoNB does: "% main" is "%main".
	Name string
	// Args are the arguments after the name, split with GoNB's rules (blanks
	// separate; double quotes group; \n, \t and \" escapes inside quotes).
	// Nil for shell commands, which GoNB does not split.
	Args []string
	// Shell is the shell text for ! and !* commands (passed to bash -c).
	Shell string
}

// Magic is a cell magic on line 1: the rest of the cell is not Go.
type Magic struct {
	// Name is "%%writefile", "%%script", "%%bash" or "%%sh".
	Name string
	// Args are the arguments after the name (for %%writefile: [-a] path; for
	// %%script: the command; none for %%bash and %%sh, which mean
	// %%script bash and %%script sh).
	Args []string
	// Body is the rest of the cell (lines 2..), joined with "\n". GoNB writes
	// or pipes it with a newline after every line.
	Body string
	// BodyLine is the cell line where Body starts (always 2).
	BodyLine int
}

// Exec is the entry point named by %exec.
type Exec struct {
	// Func is the text GoNB's composer puts before "()": the second
	// single-space-separated field of the %exec line (composer.go:392-396).
	Func string
	// Args are the program arguments on that %exec line.
	Args []string
}

// Diagnostic is a warning tied to a cell line.
type Diagnostic struct {
	Line int
	Msg  string
}

func (d Diagnostic) String() string { return fmt.Sprintf("line %d: %s", d.Line, d.Msg) }

// Error reports a cell GoNB v0.11.1 cannot run: it rejects the cell, fails
// to parse what it composed, or crashes the kernel.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }
