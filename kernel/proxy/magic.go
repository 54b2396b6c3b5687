package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// Magic is one %decant subcommand, registered through [Options.Magics]
// under its name. The zero value is not usable: Run is required.
type Magic struct {
	// Summary is the line %decant help shows.
	Summary string
	// Run does the work. args are the words after the subcommand name,
	// split as a shell would (quotes group words). The returned Result (nil
	// for none) is the cell's execute_result; an error is shown in the cell
	// as a notebook error. ctx is cancelled when the cell is interrupted or
	// the kernel shuts down.
	Run func(ctx context.Context, args []string, env MagicEnv) (*Result, error)
}

// BuiltinMagics returns the magics the kernel answers by itself: version.
// help is always added. Everything else (plan, doc, dupes, extract, ...)
// is registered by the program that runs the kernel, through
// [Options.Magics] or [RunOptions.Magics]: the kernel knows nothing of
// Decant's other packages.
func BuiltinMagics() map[string]Magic {
	return map[string]Magic{
		"version": {"the Decant version", runVersion},
	}
}

// IsMagicCell reports whether the kernel answers code itself as a
// %decant cell (one made of %decant lines, blank lines and // comments),
// so that none of it reaches GoNB.
func IsMagicCell(code string) bool {
	_, ok, err := parseMagicCell(code)
	return ok && err == nil
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
