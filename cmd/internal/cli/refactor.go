package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notes"
	"github.com/decant-go/decant/refactor"
	"github.com/decant-go/decant/refactor/clone"
)

// refactorCommands lists the refactor and dupes subcommands.
func refactorCommands() []command {
	return []command{
		{"refactor", "unify duplicated code, narrow SELECT *, share client setups, lift settings into config, modernize: verified edits", runRefactor},
		{"dupes", "report duplicated code (type-1 and type-2 clones) in a Go module or a notebook", runDupes},
	}
}

type refactorOptions struct {
	passes   string
	dryRun   bool
	jsonOut  bool
	noVerify bool
	short    bool
	quiet    bool
	clone    clone.Options
}

func bindCloneFlags(fs *pflag.FlagSet, o *clone.Options) {
	fs.IntVar(&o.MinTokens, "min-tokens", 50, "smallest clone reported, in syntax nodes (mibk/dupl's threshold unit)")
	fs.IntVar(&o.MinStmts, "min-stmts", 2, "fewest statements in a cloned statement run")
}

func newRefactorFlags(o *refactorOptions, env Env) *pflag.FlagSet {
	fs := newFlags("refactor", "decant refactor [flags] DIR", env)
	fs.StringVar(&o.passes, "refactor", "all", "refactorings to run: all, none, or a comma-separated list of "+strings.Join(refactor.AllPasses, ", "))
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the report and the unified diff; write nothing")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&o.noVerify, "no-verify", false, "keep changes without building, vetting and testing them")
	fs.BoolVar(&o.short, "short", false, "verify with go test -short")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary line")
	bindCloneFlags(fs, &o.clone)
	return fs
}

func runRefactor(ctx context.Context, args []string, env Env) error {
	var o refactorOptions
	fs := newRefactorFlags(&o, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one module directory, got %d arguments", fs.NArg())
	}
	passes, err := refactor.ParsePasses(o.passes)
	if err != nil {
		return usagef("--refactor: %v", err)
	}
	dir := resolve(env, fs.Arg(0))
	opts := refactor.Options{Passes: passes, Clone: o.clone, NoVerify: o.noVerify, Short: o.short}
	if !o.quiet && !o.jsonOut {
		opts.Log = env.Stderr
	}
	res, err := refactor.Run(ctx, dir, opts)
	if err != nil {
		return err
	}
	rep := res.Report()
	switch {
	case o.jsonOut:
		b, err := rep.JSON()
		if err != nil {
			return err
		}
		if err := writeJSON(env, "refactor", b); err != nil {
			return err
		}
	case o.quiet:
		fmt.Fprintf(env.Stdout, "%d applied, %d dropped; Go lines %d -> %d\n", len(rep.Applied), len(rep.Dropped), rep.GoLinesBefore, rep.GoLinesAfter)
	default:
		if err := rep.WriteText(env.Stdout); err != nil {
			return err
		}
	}
	if o.dryRun {
		if d := res.Diff(); d != "" && !o.jsonOut {
			fmt.Fprintf(env.Stdout, "\n%s", d)
		}
		return nil
	}
	if err := refactor.WriteFiles(dir, res.Files); err != nil {
		return err
	}
	if !o.jsonOut && len(res.Files) > 0 {
		fmt.Fprintf(env.Stdout, "\nwrote %d files in %s\n", len(res.Files), fs.Arg(0))
	}
	return nil
}

type dupesOptions struct {
	jsonOut bool
	noTests bool
	clone   clone.Options
}

func runDupes(ctx context.Context, args []string, env Env) error {
	var o dupesOptions
	fs := newFlags("dupes", "decant dupes [flags] DIR|notebook.ipynb", env)
	fs.BoolVar(&o.jsonOut, "json", false, "print the clone groups as JSON")
	fs.BoolVar(&o.noTests, "no-tests", false, "leave out _test.go files")
	fs.BoolVar(&o.clone.NoFuncs, "no-funcs", false, "do not group whole functions, only statement runs")
	bindCloneFlags(fs, &o.clone)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one directory or notebook, got %d arguments", fs.NArg())
	}
	target := resolve(env, fs.Arg(0))
	var res *refactor.DupesResult
	var err error
	if strings.HasSuffix(target, ".ipynb") {
		res, err = notebookDupes(target, o.clone)
	} else {
		res, err = refactor.Dupes(ctx, target, o.clone, o.noTests)
	}
	if err != nil {
		return err
	}
	if o.jsonOut {
		b, err := res.Report.JSON()
		if err != nil {
			return err
		}
		return writeJSON(env, "dupes", b)
	}
	if !res.Typed {
		fmt.Fprintf(env.Stdout, "(no type information: identifiers compared by name only)\n")
	}
	fmt.Fprintf(env.Stdout, "%d Go files, ", res.Files)
	return res.Report.WriteText(env.Stdout)
}

// notebookDupes finds clones across the code cells of a GoNB notebook with the detector the
// reading notes use (notes.FindClones), so `decant dupes` and `decant doc` agree. Locations are
// notebook.ipynb:cellN:line.
func notebookDupes(path string, opts clone.Options) (*refactor.DupesResult, error) {
	raw, _, err := safefile.ReadFile(context.Background(), path, 0)
	if err != nil {
		return nil, fmt.Errorf("reading notebook: %w", err)
	}
	nb, err := notebooks.Parse(path, raw)
	if err != nil {
		return nil, err
	}
	cl := notes.FindClones(nb, opts)
	return &refactor.DupesResult{Report: clone.MakeReport(cl.Result, nil), Typed: true, Files: cl.Files}, nil
}
