package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notes"
)

// Result is what a magic shows as the cell's execute_result. Text is
// required; HTML and Markdown are extra representations.
type Result struct {
	Text     string
	HTML     string
	Markdown string
}

// MagicEnv is what a running magic may use.
type MagicEnv struct {
	// Stdout and Stderr are published as stream outputs as they are
	// written, so long magics show progress.
	Stdout, Stderr io.Writer
	// Dir is the kernel's working directory: the notebook's directory when
	// Jupyter started the kernel.
	Dir string
	// Getenv reads the kernel's environment.
	Getenv func(string) string
	// Version is Decant's version.
	Version string
}

// Notebook returns the path of the notebook a magic works on: flag when
// not empty, else $JPY_SESSION_NAME (which Jupyter sets to the notebook's
// path), else the only .ipynb file in Dir. Relative paths are taken from
// Dir. The notebook is read as last saved.
func (e MagicEnv) Notebook(flag string) (string, error) {
	abs := func(p string) string {
		if filepath.IsAbs(p) || e.Dir == "" {
			return p
		}
		return filepath.Join(e.Dir, p)
	}
	if flag != "" {
		return abs(flag), nil
	}
	if e.Getenv != nil {
		if p := e.Getenv("JPY_SESSION_NAME"); p != "" {
			// Jupyter Server gives the path relative to its root, which
			// need not be the kernel's directory; the notebook itself is
			// in the kernel's directory.
			for _, c := range []string{abs(p), abs(filepath.Base(p))} {
				if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
					return c, nil
				}
			}
			return "", fmt.Errorf("finding the notebook: JPY_SESSION_NAME is %q, but no such file is in %s; pass --notebook", p, e.Dir)
		}
	}
	dir := e.Dir
	if dir == "" {
		dir = "."
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	if len(found) == 1 {
		return found[0], nil
	}
	return "", fmt.Errorf("finding the notebook: JPY_SESSION_NAME is not set and %s holds %d notebooks; pass --notebook path.ipynb", dir, len(found))
}

// Magic is one %decant subcommand.
type Magic struct {
	// Summary is the line %decant help shows.
	Summary string
	// Run does the work. args are the words after the subcommand name.
	// Errors are shown in the cell as a notebook error.
	Run func(ctx context.Context, args []string, env MagicEnv) (*Result, error)
}

// BuiltinMagics returns the magics Decant answers without the command
// line: plan, doc, dupes and version. help is always added by the kernel.
func BuiltinMagics() map[string]Magic {
	return map[string]Magic{
		"plan":    {"how the notebook would be extracted: cells → sections → files, what is left out and why, duplicates", runPlan},
		"doc":     {"reading notes for the notebook: roles, uses, I/O, TODOs, smells, duplicates", runDoc},
		"dupes":   {"duplicated blocks of statements across cells", runDupes},
		"version": {"the Decant version", runVersion},
	}
}

// magicLine is one "%decant name args..." line.
type magicLine struct {
	line int // 1-based cell line
	name string
	args []string
}

// errMixedCell means a cell mixes %decant lines with other code.
var errMixedCell = errors.New("a %decant line must be in a cell of its own: the other lines of this cell would go to GoNB, which does not know %decant")

// parseMagicCell reports whether code is a %decant cell and returns its
// lines. Blank and // comment lines are allowed around them. A cell that
// mixes %decant lines with anything else is an error, so that no part of
// it reaches GoNB.
func parseMagicCell(code string) (lines []magicLine, ok bool, err error) {
	other := false
	for i, l := range strings.Split(code, "\n") {
		t := strings.TrimSpace(l)
		rest, isMagic := strings.CutPrefix(t, "%decant")
		switch {
		case isMagic && (rest == "" || rest[0] == ' ' || rest[0] == '\t'):
			args, err := splitWords(rest)
			if err != nil {
				return nil, true, fmt.Errorf("line %d: %w", i+1, err)
			}
			ml := magicLine{line: i + 1, name: "help"}
			if len(args) > 0 {
				ml.name, ml.args = args[0], args[1:]
			}
			lines = append(lines, ml)
		case t == "" || strings.HasPrefix(t, "//"):
		default:
			other = true
		}
	}
	if len(lines) == 0 {
		return nil, false, nil
	}
	if other {
		return nil, true, errMixedCell
	}
	return lines, true, nil
}

// splitWords splits a magic line into words: blanks separate, single
// quotes keep text as is, double quotes allow \" and \\ escapes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated ' quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated \" quote")
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// helpResult lists the magics.
func helpResult(magics map[string]Magic) *Result {
	names := make([]string, 0, len(magics))
	for n := range magics {
		names = append(names, n)
	}
	sort.Strings(names)
	var text, md strings.Builder
	text.WriteString("Decant magics (Decant answers these itself; GoNB never sees them):\n")
	md.WriteString("**Decant magics** (Decant answers these itself; GoNB never sees them)\n\n")
	for _, n := range names {
		fmt.Fprintf(&text, "  %%decant %-8s %s\n", n, magics[n].Summary)
		fmt.Fprintf(&md, "- `%%decant %s`: %s\n", n, magics[n].Summary)
	}
	text.WriteString("\nThe notebook is the one being edited (as last saved): from --notebook, else $JPY_SESSION_NAME,\nelse the only .ipynb in the kernel's directory. Every other line goes to GoNB.\n")
	md.WriteString("\nThe notebook is the one being edited (as last saved): from `--notebook`, else `$JPY_SESSION_NAME`, else the only `.ipynb` in the kernel's directory.\n")
	return &Result{Text: text.String(), Markdown: md.String()}
}

func runVersion(_ context.Context, args []string, env MagicEnv) (*Result, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%%decant version takes no arguments, got %q", args)
	}
	v := env.Version
	if v == "" {
		v = "devel"
	}
	return &Result{Text: "decant " + v}, nil
}

// notesFlags parses the flags the notes-based magics share.
func notesFlags(name string, args []string, env MagicEnv) (*notes.Notes, error) {
	flags := pflag.NewFlagSet(name, pflag.ContinueOnError)
	flags.SetOutput(io.Discard)
	nbFlag := flags.String("notebook", "", "the notebook (default: $JPY_SESSION_NAME, else the only .ipynb here)")
	if err := flags.Parse(args); err != nil {
		return nil, fmt.Errorf("%%decant %s: %w\nflags:\n%s", name, err, flags.FlagUsages())
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("%%decant %s: unexpected arguments %q", name, flags.Args())
	}
	path, err := env.Notebook(*nbFlag)
	if err != nil {
		return nil, err
	}
	nb, raw, err := readNotebook(path)
	if err != nil {
		return nil, err
	}
	n, err := notes.Analyze(nb, raw)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func runDoc(_ context.Context, args []string, env MagicEnv) (*Result, error) {
	n, err := notesFlags("doc", args, env)
	if err != nil {
		return nil, err
	}
	md := string(n.Markdown())
	return &Result{Text: md, Markdown: md, HTML: string(n.HTML())}, nil
}

func runDupes(_ context.Context, args []string, env MagicEnv) (*Result, error) {
	n, err := notesFlags("dupes", args, env)
	if err != nil {
		return nil, err
	}
	return &Result{Text: dupesText(n.Duplicates), HTML: dupesHTML(n.Duplicates)}, nil
}

func runPlan(_ context.Context, args []string, env MagicEnv) (*Result, error) {
	flags := pflag.NewFlagSet("plan", pflag.ContinueOnError)
	flags.SetOutput(io.Discard)
	var opts extract.Options
	nbFlag := flags.String("notebook", "", "the notebook (default: $JPY_SESSION_NAME, else the only .ipynb here)")
	flags.StringVar(&opts.Slug, "slug", "", "package name (default from the notebook's file name)")
	flags.BoolVar(&opts.AutoLabel, "auto-label", false, "assign sections to a notebook without labels")
	flags.BoolVar(&opts.KeepFailed, "keep-failed", false, "keep cells whose saved outputs hold an error")
	if err := flags.Parse(args); err != nil {
		return nil, fmt.Errorf("%%decant plan: %w\nflags:\n%s", err, flags.FlagUsages())
	}
	if flags.NArg() > 0 {
		return nil, fmt.Errorf("%%decant plan: unexpected arguments %q", flags.Args())
	}
	path, err := env.Notebook(*nbFlag)
	if err != nil {
		return nil, err
	}
	nb, raw, err := readNotebook(path)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(filepath.Dir(path))
	if err == nil {
		defer root.Close()
		opts.ReadFile = func(name string) ([]byte, error) {
			fi, err := root.Stat(name)
			if err != nil || !fi.Mode().IsRegular() || fi.Size() > 64<<20 {
				return nil, fs.ErrNotExist
			}
			return root.ReadFile(name)
		}
	}
	plan, err := extract.Build(nb, raw, opts)
	var nl *extract.NoLabelsError
	if errors.As(err, &nl) {
		return nil, fmt.Errorf("%w\n(run %%decant plan --auto-label to see suggested sections)", err)
	}
	if err != nil {
		return nil, err
	}
	var dupes []notes.DuplicateBlock
	if n, err := notes.Analyze(nb, raw); err == nil {
		dupes = n.Duplicates
	}
	var text strings.Builder
	if err := plan.WriteReport(&text); err != nil {
		return nil, err
	}
	text.WriteString("\n" + dupesText(dupes))
	return &Result{Text: text.String(), HTML: planHTML(plan, dupes)}, nil
}

func dupesText(ds []notes.DuplicateBlock) string {
	if len(ds) == 0 {
		return "duplicates: none\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "duplicates: %d blocks\n", len(ds))
	for _, d := range ds {
		var places []string
		for _, p := range d.Places {
			places = append(places, placeString(p))
		}
		fmt.Fprintf(&b, "  %d statements (%d lines) at %s\n", d.Statements, d.Lines, strings.Join(places, ", "))
	}
	return b.String()
}

func placeString(p notes.Place) string {
	s := fmt.Sprintf("cell %d:%d-%d", p.Cell, p.StartLine, p.EndLine)
	if p.Func != "" {
		s += " in " + p.Func
	}
	return s
}

// readNotebook reads and parses the notebook a magic works on.
func readNotebook(path string) (*notebooks.Notebook, []byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading notebook: %w", err)
	}
	nb, err := notebooks.Parse(path, raw)
	if err != nil {
		return nil, nil, err
	}
	return nb, raw, nil
}
