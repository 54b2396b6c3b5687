// Package cli implements Decant's command line: the decant command and its subcommands, and the
// standalone extract command, which behaves exactly like decant extract.
//
// Every subcommand has an options struct, a function that binds flags to it on its own
// pflag.FlagSet, and a run function taking a context and Env. Nothing here reads global state:
// standard streams, the clock and the environment come in through Env, so tests drive the
// commands in-process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/decant-go/decant/internal/recognize"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitProblem = 1 // the input or the work failed
	ExitUsage   = 2 // the command line was wrong
)

// Env is the outside world a command may touch.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time // the clock; commit times come from it unless --date is given
	Getenv func(string) string
	Dir    string // working directory; "" = the process's
}

// OSEnv is the real environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now, Getenv: os.Getenv}
}

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(k)
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// command is one decant subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env) error
}

func commands() []command {
	cmds := []command{
		{"extract", "turn a labeled GoNB notebook into a Go service repository, committed on a branch", runExtract},
		{"completion", "print a shell completion script: decant completion bash|zsh|fish", runCompletion},
		{"plan", "print how a notebook would be extracted, without rendering or writing anything", runPlan},
	}
	cmds = append(cmds, extraCommands()...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

// Main runs the decant command with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		// Like the go command: bare decant is a usage mistake, so usage goes to stderr.
		printUsage(env.Stderr)
		return ExitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return Main(ctx, []string{args[1], "--help"}, env)
		}
		printUsage(env.Stdout)
		return ExitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(env.Stdout, "decant", Version())
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return runCommand(ctx, c.run, args[1:], env, "decant "+c.name)
		}
	}
	fmt.Fprintf(env.Stderr, "decant: unknown command %q\n\n", args[0])
	printUsage(env.Stderr)
	return ExitUsage
}

// Extract runs the standalone extract command.
func Extract(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "version") {
		fmt.Fprintln(env.Stdout, "extract", Version())
		return ExitOK
	}
	return runCommand(ctx, runExtract, args, env, "extract")
}

// runCommand runs one command and turns its error into an exit code. Under --json, a command
// that fails before printing its document prints a JSON error document instead, so standard
// output is always one JSON document.
func runCommand(ctx context.Context, run func(context.Context, []string, Env) error, args []string, env Env, prog string) int {
	var out *countingWriter
	if wantsJSON(args) {
		out = &countingWriter{w: env.Stdout}
		env.Stdout = out
	}
	err := run(ctx, args, env)
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		// Whatever failed after an interrupt failed because of it.
		err = fmt.Errorf("interrupted: %w", err)
	}
	code := exitWith(err, env, prog)
	if out != nil && code != ExitOK && out.n == 0 {
		msg := err.Error()
		var silent silentError
		if errors.As(err, &silent) {
			msg = "failed; the reasons are on standard error"
		}
		writeJSONError(out.w, prog, msg, code)
	}
	return code
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// exitWith prints err and returns the exit code.
func exitWith(err error, env Env, prog string) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, pflag.ErrHelp) {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(env.Stderr, "%s: %s\n", prog, recognize.Mask(err.Error()))
		fmt.Fprintf(env.Stderr, "run '%s --help' for usage\n", prog)
		return ExitUsage
	}
	var silent silentError
	if errors.As(err, &silent) {
		return int(silent)
	}
	// Errors can quote what the user wrote (a cell's line, a DSN): passwords never reach the terminal.
	fmt.Fprintf(env.Stderr, "%s: %s\n", prog, recognize.Mask(err.Error()))
	return ExitProblem
}

// silentError is an exit code whose message was already printed.
type silentError int

func (e silentError) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Decant turns research in GoNB notebooks into production Go services.")
	fmt.Fprintln(w, "\nUsage:\n\tdecant <command> [flags] [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'decant <command> --help' for a command's flags.")
}

// newFlags makes a subcommand's flag set; parse errors become usage errors.
func newFlags(name, usage string, env Env) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.SortFlags = true
	// Help that was asked for is output, not a diagnostic: it goes to stdout (decant x --help | less).
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: %s\n\nFlags:\n%s", usage, fs.FlagUsages())
	}
	return fs
}

func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	return nil
}
