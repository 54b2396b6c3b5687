package magics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/kernel/proxy"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notes"
)

// All returns the magics of this package by name. The map is new on every
// call, so callers may add to it.
func All() map[string]proxy.Magic {
	return map[string]proxy.Magic{
		"plan":  Plan(),
		"doc":   Doc(),
		"dupes": Dupes(),
	}
}

// Plan is %decant plan: how the notebook would be extracted.
func Plan() proxy.Magic {
	return proxy.Magic{Summary: "how the notebook would be extracted: cells → sections → files, what is left out and why, duplicates", Run: runPlan}
}

// Doc is %decant doc: the notebook's reading notes.
func Doc() proxy.Magic {
	return proxy.Magic{Summary: "reading notes for the notebook: roles, uses, I/O, TODOs, smells, duplicates", Run: runDoc}
}

// Dupes is %decant dupes: duplicated blocks across cells.
func Dupes() proxy.Magic {
	return proxy.Magic{Summary: "duplicated blocks of statements across cells", Run: runDupes}
}

// notesFlags parses the flags the notes-based magics share.
func notesFlags(name string, args []string, env proxy.MagicEnv) (*notes.Notes, error) {
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

func runDoc(_ context.Context, args []string, env proxy.MagicEnv) (*proxy.Result, error) {
	n, err := notesFlags("doc", args, env)
	if err != nil {
		return nil, err
	}
	md := string(n.Markdown())
	return &proxy.Result{Text: md, Markdown: md, HTML: string(n.HTML())}, nil
}

func runDupes(_ context.Context, args []string, env proxy.MagicEnv) (*proxy.Result, error) {
	n, err := notesFlags("dupes", args, env)
	if err != nil {
		return nil, err
	}
	return &proxy.Result{Text: dupesText(n.Duplicates), HTML: dupesHTML(n.Duplicates)}, nil
}

func runPlan(_ context.Context, args []string, env proxy.MagicEnv) (*proxy.Result, error) {
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
	plan, err := buildForNotebook(nb, raw, opts)
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
	return &proxy.Result{Text: text.String(), HTML: planHTML(plan, dupes)}, nil
}

// buildForNotebook builds the plan of a notebook being edited, where some
// cells are not meant for extraction: %decant cells, which the Decant
// kernel answers (GoNB never sees them), and cells that do not compile
// yet. Both are shown as skipped, with the reason, instead of failing the
// whole plan.
func buildForNotebook(nb *notebooks.Notebook, raw []byte, opts extract.Options) (*extract.Plan, error) {
	skipped := map[int]string{}
	blank := func(index int) bool {
		for i := range nb.Cells {
			if nb.Cells[i].Index == index && nb.Cells[i].Type == "code" && strings.TrimSpace(nb.Cells[i].Source) != "" {
				nb.Cells[i].Source = ""
				return true
			}
		}
		return false
	}
	for _, c := range nb.Cells {
		if c.Type == "code" && proxy.IsMagicCell(c.Source) {
			blank(c.Index)
			skipped[c.Index] = "%decant cell"
		}
	}
	for {
		plan, err := extract.Build(nb, raw, opts)
		var ce *extract.CellError
		if errors.As(err, &ce) && blank(ce.Cell) {
			why := "does not compile: " + ce.Msg
			if ce.Line > 0 {
				why = fmt.Sprintf("does not compile: line %d: %s", ce.Line, ce.Msg)
			}
			skipped[ce.Cell] = why
			continue
		}
		if err != nil {
			return nil, err
		}
		for i := range plan.Cells {
			if why, ok := skipped[plan.Cells[i].Index]; ok {
				plan.Cells[i].Skipped = why
			}
		}
		return plan, nil
	}
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
