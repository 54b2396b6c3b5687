package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// JSONSchemaVersion is the version of every document decant prints under --json. It changes
// only when a field is removed or changes meaning; new fields keep it.
const JSONSchemaVersion = 1

// versionedJSON puts "schema_version" and "kind" first into a JSON object, keeping the rest of
// the document as it is (indentation, key order). A document that is not an object is wrapped:
// {"schema_version":1,"kind":kind,"items":doc}.
func versionedJSON(kind string, doc []byte) []byte {
	trimmed := bytes.TrimSpace(doc)
	head := fmt.Sprintf(`"schema_version": %d, "kind": %q`, JSONSchemaVersion, kind)
	var out []byte
	switch {
	case len(trimmed) >= 2 && trimmed[0] == '{':
		rest := bytes.TrimSpace(trimmed[1:])
		out = append([]byte("{"+head), "\n"...)
		if rest[0] != '}' {
			out = append(out[:len(out)-1], ",\n  "...)
		}
		out = append(out, rest...)
	default:
		if len(trimmed) == 0 {
			trimmed = []byte("null")
		}
		out = append([]byte("{"+head+`, "items": `), trimmed...)
		out = append(out, '}')
	}
	return append(out, '\n')
}

// writeJSON prints a versioned JSON document on standard output.
func writeJSON(env Env, kind string, doc []byte) error {
	_, err := env.Stdout.Write(versionedJSON(kind, doc))
	return err
}

// jsonError is what a command run with --json prints on standard output when it fails, so a
// program reading that output always gets one JSON document.
type jsonError struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	Command       string `json:"command"`
	Error         string `json:"error"`
	ExitCode      int    `json:"exit_code"`
}

func writeJSONError(w io.Writer, prog, msg string, code int) {
	b, _ := json.Marshal(jsonError{SchemaVersion: JSONSchemaVersion, Kind: "error", Command: prog, Error: msg, ExitCode: code})
	w.Write(append(b, '\n'))
}

// wantsJSON reports whether args (a subcommand's, without its name) ask for --json.
func wantsJSON(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--json" || a == "--json=true" || a == "--json=1" {
			return true
		}
	}
	return false
}

// Version describes this build of decant: the module version (a tag when installed with
// go install module@version, "(devel)" when built from a checkout) and, when the build recorded
// it, the VCS revision and whether the tree was modified. A build made with -buildvcs=false, or
// outside a git checkout, has no revision, and the text says so rather than inventing one.
// A version set with -ldflags=-X ...cli.version=v1.2.3 takes precedence over the module version.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return strings.TrimSpace(version) + " (no build information)"
	}
	return versionOf(bi, strings.TrimSpace(version))
}

func versionOf(bi *debug.BuildInfo, override string) string {
	v := bi.Main.Version
	if override != "" {
		v = override
	}
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var parts []string
	if rev := settings["vcs.revision"]; rev != "" {
		r := rev
		if len(r) > 12 {
			r = r[:12]
		}
		if settings["vcs.modified"] == "true" {
			r += "+modified"
		}
		parts = append(parts, settings["vcs"]+" "+r)
		if t := settings["vcs.time"]; t != "" {
			parts = append(parts, t)
		}
	} else {
		parts = append(parts, "no VCS revision recorded (built with -buildvcs=false or outside a checkout)")
	}
	if bi.GoVersion != "" {
		parts = append(parts, bi.GoVersion)
	}
	return v + " (" + strings.Join(parts, ", ") + ")"
}

// version may be set at link time: -ldflags=-X github.com/decant-go/decant/cmd/internal/cli.version=v1.2.3
var version = ""

// NotifyContext returns a context canceled by the first SIGINT or SIGTERM, so the command can
// stop cleanly (kernels shut down, temporary files removed). A second signal exits at once
// with status 130, as the go command and gh do, for when the clean stop itself hangs.
func NotifyContext(parent context.Context, stderr io.Writer) (context.Context, func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stop := notifyContext(parent, sigs, stderr, os.Exit)
	return ctx, func() { signal.Stop(sigs); stop() }
}

func notifyContext(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		fmt.Fprintln(stderr, "\ninterrupted: stopping (press Ctrl-C again to exit at once)")
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "interrupted again: exiting")
			exit(130)
		case <-done:
		}
	}()
	var once bool
	return ctx, func() {
		if !once {
			once = true
			close(done)
		}
		cancel()
	}
}

// isTerminal reports whether w is a terminal, by asking the terminal driver (a character device
// such as /dev/null is not one).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressAllowed reports whether an automatic progress line may be drawn on w: a terminal that
// is not TERM=dumb (which cannot erase a line).
func progressAllowed(w io.Writer, env Env) bool {
	return isTerminal(w) && env.getenv("TERM") != "dumb"
}

// plainOutput reports whether output must avoid escape sequences: NO_COLOR set (to anything
// per no-color.org: present and not empty) or TERM=dumb.
func plainOutput(env Env) bool {
	return env.getenv("NO_COLOR") != "" || env.getenv("TERM") == "dumb"
}

// runCompletion prints a shell completion script: decant completion bash|zsh|fish.
func runCompletion(ctx context.Context, args []string, env Env) error {
	fs := newFlags("completion", "decant completion bash|zsh|fish\n\nLoad it with, for example:\n\tsource <(decant completion bash)\n\tdecant completion fish > ~/.config/fish/completions/decant.fish", env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one shell: bash, zsh or fish")
	}
	cmds := completionData(ctx)
	switch fs.Arg(0) {
	case "bash":
		writeBash(env.Stdout, cmds)
	case "zsh":
		fmt.Fprint(env.Stdout, "#compdef decant\nautoload -U +X bashcompinit && bashcompinit\n")
		writeBash(env.Stdout, cmds)
	case "fish":
		writeFish(env.Stdout, cmds)
	default:
		return usagef("unknown shell %q: want bash, zsh or fish", fs.Arg(0))
	}
	return nil
}

type completionCmd struct {
	name, summary string
	flags         []string // --long and -s forms
}

// completionData lists the commands and, for each, the flags its own --help shows: the flag
// sets are the source of truth, so completion cannot drift from them.
func completionData(ctx context.Context) []completionCmd {
	var out []completionCmd
	for _, c := range commands() {
		cc := completionCmd{name: c.name, summary: c.summary}
		if c.name != "completion" {
			var buf bytes.Buffer
			c.run(ctx, []string{"--help"}, Env{Stdout: &buf, Stderr: io.Discard, Getenv: func(string) string { return "" }})
			for _, line := range strings.Split(buf.String(), "\n") {
				f := strings.Fields(line)
				for _, w := range f[:min(len(f), 2)] {
					w = strings.TrimSuffix(w, ",")
					if strings.HasPrefix(w, "-") && len(w) > 1 && w != "--" {
						cc.flags = append(cc.flags, w)
					}
				}
			}
		}
		sort.Strings(cc.flags)
		out = append(out, cc)
	}
	return out
}

func writeBash(w io.Writer, cmds []completionCmd) {
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	fmt.Fprintln(w, "# bash completion for decant; load with: source <(decant completion bash)")
	fmt.Fprintln(w, "_decant() {")
	fmt.Fprintln(w, `	local cur="${COMP_WORDS[COMP_CWORD]}"`)
	fmt.Fprintln(w, `	if [ "$COMP_CWORD" -eq 1 ]; then`)
	fmt.Fprintf(w, "\t\tCOMPREPLY=($(compgen -W %q -- \"$cur\"))\n", strings.Join(names, " ")+" help version")
	fmt.Fprintln(w, "\t\treturn")
	fmt.Fprintln(w, "\tfi")
	fmt.Fprintln(w, `	case "${COMP_WORDS[1]}" in`)
	for _, c := range cmds {
		words := strings.Join(c.flags, " ")
		if c.name == "completion" {
			words = "bash zsh fish"
		}
		fmt.Fprintf(w, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", c.name, words)
	}
	fmt.Fprintln(w, "\tesac")
	fmt.Fprintln(w, `	if [ ${#COMPREPLY[@]} -eq 0 ] || [[ "$cur" != -* ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi`)
	fmt.Fprintln(w, "}")
	fmt.Fprintln(w, "complete -o default -F _decant decant")
}

func writeFish(w io.Writer, cmds []completionCmd) {
	fmt.Fprintln(w, "# fish completion for decant")
	fmt.Fprintln(w, "complete -c decant -f -n __fish_use_subcommand -a 'help version' -d 'help or version'")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c decant -f -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
		if c.name == "completion" {
			fmt.Fprintln(w, "complete -c decant -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'")
			continue
		}
		for _, f := range c.flags {
			opt := "-l " + strings.TrimPrefix(f, "--")
			if !strings.HasPrefix(f, "--") {
				opt = "-s " + strings.TrimPrefix(f, "-")
			}
			fmt.Fprintf(w, "complete -c decant -n '__fish_seen_subcommand_from %s' %s\n", c.name, opt)
		}
	}
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
