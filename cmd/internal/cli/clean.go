package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/clean"
)

type cleanOptions struct {
	clean.Options
	check     bool
	stdin     bool
	stdout    bool
	install   bool
	repo      string
	extraKeys string
	keepKeys  string
	dropTags  string
	command   string
}

func cleanCommands() []command {
	return []command{{"clean", "strip outputs, execution counts and volatile metadata from notebooks (nbstripout-compatible), or install that as a git filter", runClean}}
}

func runClean(ctx context.Context, args []string, env Env) error {
	var o cleanOptions
	fs := newFlags("clean", "decant clean [flags] notebook.ipynb...\n       decant clean --stdin --stdout < in.ipynb > out.ipynb\n       decant clean --install [--repo DIR]", env)
	fs.BoolVar(&o.check, "check", false, "change nothing; exit 1 if a notebook would change (for CI and pre-commit)")
	fs.BoolVar(&o.stdin, "stdin", false, "read one notebook from standard input and write it cleaned to standard output (a git clean filter)")
	fs.BoolVar(&o.stdout, "stdout", false, "write cleaned notebooks to standard output instead of in place")
	fs.BoolVar(&o.KeepOutput, "keep-output", false, "keep outputs (cells tagged keep_output always keep theirs)")
	fs.BoolVar(&o.KeepCount, "keep-count", false, "keep execution counts")
	fs.StringVar(&o.extraKeys, "extra-keys", "", "more metadata keys to remove, space-separated: metadata.KEY (notebook) or cell.metadata.KEY (cells)")
	fs.StringVar(&o.keepKeys, "keep-metadata-keys", "", "default keys not to remove, space-separated, in the --extra-keys notation")
	fs.BoolVar(&o.DropEmptyCells, "drop-empty-cells", false, "remove cells with no source")
	fs.StringVar(&o.dropTags, "drop-tagged-cells", "", "remove cells with any of these tags, space-separated")
	fs.BoolVar(&o.StripInitCells, "strip-init-cells", false, "strip the outputs of init_cell cells too")
	fs.IntVar(&o.MaxSize, "max-size", 0, "with kept outputs, still strip those larger than this many bytes (0: no limit)")
	fs.BoolVar(&o.install, "install", false, "set up a git clean filter (and diff driver) for *.ipynb in the repository")
	fs.StringVar(&o.repo, "repo", ".", "with --install: the git repository")
	fs.StringVar(&o.command, "command", "", "with --install: how git runs decant clean (default: this executable's absolute path, then clean)")
	if err := parse(fs, args); err != nil {
		return err
	}
	o.ExtraKeys = strings.Fields(o.extraKeys)
	o.KeepMetadataKeys = strings.Fields(o.keepKeys)
	o.DropTaggedCells = strings.Fields(o.dropTags)
	for _, k := range o.Options.Keys() {
		if !strings.HasPrefix(k, "metadata.") && !strings.HasPrefix(k, "cell.metadata.") {
			return usagef("metadata key %q must start with metadata. or cell.metadata.", k)
		}
	}
	switch {
	case o.install:
		if fs.NArg() > 0 || o.stdin || o.check {
			return usagef("--install takes no notebooks and no --stdin or --check")
		}
		return cleanInstall(&o, env)
	case o.stdin:
		if fs.NArg() > 0 {
			return usagef("--stdin reads one notebook from standard input; got notebook arguments too")
		}
		return cleanStream(&o, env)
	case fs.NArg() == 0:
		return usagef("want at least one notebook (or --stdin, or --install)")
	}
	return cleanFiles(ctx, &o, fs.Args(), env)
}

func cleanStream(o *cleanOptions, env Env) error {
	if env.Stdin == nil {
		return fmt.Errorf("no standard input")
	}
	data, err := io.ReadAll(env.Stdin)
	if err != nil {
		return fmt.Errorf("reading standard input: %w", err)
	}
	out, changed, err := clean.Bytes("<stdin>", data, o.Options)
	if err != nil {
		return err
	}
	if o.check {
		if changed {
			fmt.Fprintln(env.Stderr, "<stdin> would be cleaned")
			return silentError(ExitProblem)
		}
		return nil
	}
	_, err = env.Stdout.Write(out)
	return err
}

func cleanFiles(ctx context.Context, o *cleanOptions, paths []string, env Env) error {
	dirty := 0
	for _, p := range paths {
		path := resolve(env, p)
		data, stamp, err := safefile.ReadFile(ctx, path, 0)
		if err != nil {
			return fmt.Errorf("reading notebook: %w", err)
		}
		nb, err := notebooks.Parse(p, data)
		if err != nil {
			return err
		}
		if err := clean.Notebook(nb, o.Options); err != nil {
			return err
		}
		out, err := notebooks.Format(nb)
		if err != nil {
			return err
		}
		changed := !bytes.Equal(out, data)
		switch {
		case o.stdout:
			if _, err := env.Stdout.Write(out); err != nil {
				return err
			}
		case o.check:
			if changed {
				fmt.Fprintf(env.Stdout, "%s would be cleaned\n", p)
				dirty++
			}
		case changed:
			if err := notebooks.WriteFileExpect(path, nb, &stamp); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "cleaned %s\n", p)
		}
	}
	if dirty > 0 {
		fmt.Fprintf(env.Stderr, "decant clean --check: %d of %d notebooks would change; run decant clean on them\n", dirty, len(paths))
		return silentError(ExitProblem)
	}
	return nil
}

func cleanInstall(o *cleanOptions, env Env) error {
	command := o.command
	if command == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding the decant executable for the git filter (pass --command): %w", err)
		}
		command = clean.ShellQuote(exe) + " clean"
	}
	res, err := clean.Install(resolve(env, o.repo), command)
	if err != nil {
		return err
	}
	switch {
	case res.Config || res.Attributes:
		fmt.Fprintf(env.Stdout, "installed the %s git filter: notebooks are stored cleaned (%s)\n", clean.FilterName, res.AttrFile)
		fmt.Fprintf(env.Stdout, "notebooks committed before keep their outputs until re-added: git add --renormalize .\n")
	default:
		fmt.Fprintf(env.Stdout, "the %s git filter is already installed\n", clean.FilterName)
	}
	return nil
}
