// Package gonbcell splits the source of one GoNB code cell into its special
// commands, its Go top-level declarations and its main body, reproducing what
// the GoNB kernel v0.11.1 does with a cell, including its blind spots, and
// reporting those blind spots as warnings.
//
// # Why reproduce GoNB exactly
//
// A notebook's saved outputs were produced by GoNB. To turn the notebook into
// an ordinary Go package we must know which lines GoNB treated as Go, which
// it ran as commands and which it dropped. GoNB decides that with line-based
// rules that know nothing about Go syntax, so the same text can mean one
// thing to GoNB and another to the Go compiler. Split follows GoNB's rules
// (they define what the notebook did) and says where the two disagree.
//
// # The model
//
// GoNB splits the cell on "\n" and then, in this order:
//
//  1. Cell magic. If line 1, after an optional "//gonb:" prefix, starts with
//     the word %%writefile, %%script, %%bash or %%sh, the rest of the cell
//     is that magic's body and nothing is Go ([Cell.Magic]).
//  2. Commands. Every line that, after an optional "//gonb:" prefix, is longer
//     than one byte and starts with % or ! in column 0 is a command; a
//     trailing backslash continues it on the next line. GoNB runs them all
//     before any Go code, in line order, and stops the cell at the first
//     failing % command ([Cell.Commands]). %%, %main, %exec, %test and
//     %args each overwrite the program arguments ([Cell.Args]).
//  3. Go part. It runs only if a non-command line is non-blank, or %test
//     was seen ([Cell.RunsGo]).
//  4. Composer. Each line is checked, in this order: starts with %% or %main
//     (a prefix match, so %%foo and %mainx count): "func main() {" goes
//     there and the rest of the cell is its body ([Cell.MainLine],
//     [Cell.Main]); starts with %exec: a whole func main calling the named
//     function goes there ([Cell.Exec]); other command lines are skipped;
//     lines starting with "package" (column 0, no //gonb: trimming) are
//     skipped; everything else is copied.
//
// [Cell.Decls] and [Cell.Main] hold the copied lines at their own line
// numbers: every removed line (command, continuation, dropped package line,
// the main line itself) is replaced by an empty line, and nothing else is
// touched, so comments and //go: directives survive byte for byte and
// Decls.Src followed by Main.Src has one line per cell line.
//
// # Errors
//
// Split returns an [*Error] for cells GoNB v0.11.1 cannot run: a cell magic
// not on line 1; a command GoNB rejects statically (%exec without a
// function, %env with the wrong number of arguments, %cd with two, %wasm
// with any, %reset with anything but go.mod, %untrack or %capture with the
// wrong count, %%bash/%%sh with arguments, %%writefile without one path);
// %test together with %wasm; two %%/%main lines; an %exec below the %% line
// or with an empty function name. It also reports the inputs that crash the
// v0.11.1 kernel outright: a command that is only blanks after its % or !, an
// %exec line with no space before the function name, %%script without a
// command, and cells whose %% and %exec lines overrun the composer's line
// map. That map has five spare lines: "package main" uses two, each %exec
// three, the first %% three (with its closing brace) and each further %% one,
// and every other command or dropped package line gives one back. So two %%
// lines, or %exec together with %% or with a second %exec, crash the kernel
// unless enough other command lines make room (then the cell fails to parse
// instead, or the last func main wins). Errors that depend on the machine (a missing directory, a
// failing shell command) or on the Go code itself are not Split's business.
//
// # Warnings
//
// Split warns, without failing, when:
//
//   - a command-looking line sits inside a Go raw string or /* */ comment:
//     GoNB ran it and cut it out of the string (the probe case S20);
//   - a command line sits inside an open bracket of the Go code, where the
//     author may have meant it to run at that point (GoNB runs it first);
//   - a dropped "package" line is not a package clause (for example
//     "packages = nil" in column 0), or sits inside a raw string or comment;
//   - a %args is overwritten by a later %%, %main, %exec, %test or %args;
//   - a main line is matched by prefix but GoNB's command runner does not
//     see %% or %main there (so its arguments are not used), or the runner
//     sees %%/%main/%exec where the composer does not ("% main");
//   - an %exec main is replaced by a later %exec or %% main;
//   - a % command is unknown to GoNB (it prints a message and goes on);
//   - command arguments hold non-ASCII bytes, which GoNB v0.11.1 garbles
//     (each byte becomes a Latin-1 character). Split keeps them as written.
//
// The lexer behind the syntax warnings is deliberately light: it tracks raw
// strings, interpreted strings, runes, line and block comments and bracket
// depth, over the Go text as GoNB composes it (removed lines are blank).
package gonbcell
