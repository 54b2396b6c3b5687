package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/extract/pipeline"
	"github.com/decant-go/decant/extract/publish"
	"github.com/decant-go/decant/internal/recognize"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/refactor"
)

type extractOptions struct {
	extract.Options
	repo        string
	branch      string
	jsonOut     bool
	dryRun      bool
	noVerify    bool
	short       bool
	requireRun  bool
	force       bool
	message     string
	authorName  string
	authorEmail string
	date        string
	quiet       bool
	outputs     bool
	refactor    string
	pins        []string
	replaces    []string
	budgets     map[string]string
}

func bindExtractFlags(o *extractOptions, env Env, name string) *pflag.FlagSet {
	fs := newFlags(name, name+" [flags] notebook.ipynb", env)
	fs.StringVar(&o.repo, "repo", "", "git repository to commit to, created if missing (default ./<slug>-service)")
	fs.StringVar(&o.branch, "branch", "", "branch to commit to (default decant/<slug>)")
	fs.StringVar(&o.Slug, "slug", "", "package name and directory (default from the notebook's file name)")
	fs.StringVar(&o.Module, "module", "", "module path of the service (default example.com/<slug>)")
	fs.BoolVar(&o.AutoLabel, "auto-label", false, "assign sections to a notebook without labels, from headings and what the code does")
	fs.BoolVar(&o.KeepFailed, "keep-failed", false, "keep cells whose saved outputs show a failed run: an error, or lgo's compile error, panic or interrupt (the kernel never kept them)")
	fs.IntSliceVar(&o.Skip, "skip", nil, "cell indexes to leave out, as if marked //decant:skip")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the plan and a unified diff against the branch tip; write nothing")
	fs.BoolVar(&o.noVerify, "no-verify", false, "skip building, vetting and testing the result")
	fs.BoolVar(&o.short, "short", false, "verify with go test -short (skips replaying the whole notebook)")
	fs.BoolVar(&o.requireRun, "require-run", false, "refuse, rather than verify with go test -short, when replaying the notebook fails for want of what this machine lacks (network, plugin, data file)")
	fs.BoolVar(&o.force, "force", false, "move a branch whose tip Decant did not make")
	fs.StringVar(&o.message, "message", "", "commit message (default: a summary of the extraction)")
	fs.StringVar(&o.authorName, "author-name", "", "commit author name (default $DECANT_AUTHOR_NAME, else Decant)")
	fs.StringVar(&o.authorEmail, "author-email", "", "commit author email (default $DECANT_AUTHOR_EMAIL, else decant@localhost)")
	fs.StringVar(&o.date, "date", "", "commit time, RFC 3339 (default $SOURCE_DATE_EPOCH, else now)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the result line")
	fs.StringVar(&o.refactor, "refactor", "all", "refactorings to run on the result: all, none, or a list of unify,sql,hoist,config,modernize")
	fs.BoolVar(&o.outputs, "verify-outputs", false, "run the extracted pipeline and compare what each %% cell prints with the notebook's saved outputs")
	fs.StringArrayVar(&o.pins, "pin", nil, "require module@version, over the notebook's and the enclosing module's choice (repeatable)")
	fs.StringToStringVar(&o.budgets, "budget", nil, "time allowed to an optional stage, as stage=duration (outputs=30s,refactor=2m); past it the stage's remaining work is skipped and the report says so")
	fs.StringArrayVar(&o.replaces, "replace", nil, "old=dir verifies against a local checkout of module old (the committed go.mod still requires a published version); old=module@version pins it (repeatable)")
	return fs
}

func runExtract(ctx context.Context, args []string, env Env) error {
	var o extractOptions
	fs := bindExtractFlags(&o, env, "extract")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one notebook, got %d arguments", fs.NArg())
	}
	return extractRun(ctx, &o, fs.Arg(0), env)
}

// loadPlan reads a notebook and builds its plan.
func loadPlan(path string, opts extract.Options, env Env) (*notebooks.Notebook, *extract.Plan, error) {
	nb, plan, err := extract.BuildFile(resolve(env, path), opts)
	if err != nil {
		return nil, nil, err
	}
	return nb, plan, nil
}

func resolve(env Env, p string) string {
	if env.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(env.Dir, p)
}

func extractRun(ctx context.Context, o *extractOptions, nbPath string, env Env) error {
	passes, err := refactor.ParsePasses(o.refactor)
	if err != nil {
		return usagef("--refactor: %v", err)
	}
	popts := pipeline.Options{Build: o.Options, Dir: env.Dir, Repo: o.repo, Branch: o.branch,
		DryRun: o.dryRun, NoVerify: o.noVerify, Short: o.short, RequireRun: o.requireRun, VerifyOutputs: o.outputs,
		Refactor: passes, Force: o.force, Message: o.message,
		Modules: extract.ModuleOptions{Pins: o.pins, Replaces: o.replaces}}
	if popts.Budgets, err = parseBudgets(o.budgets); err != nil {
		return usagef("--budget: %v", err)
	}
	if !o.quiet {
		popts.Progress = env.Stderr
	}
	if !o.dryRun {
		when, err := commitTime(o.date, env)
		if err != nil {
			return err
		}
		popts.Author = publish.Signature{Name: firstNonEmpty(o.authorName, env.getenv("DECANT_AUTHOR_NAME"), "Decant"),
			Email: firstNonEmpty(o.authorEmail, env.getenv("DECANT_AUTHOR_EMAIL"), "decant@localhost"), When: when}
	}
	res, err := pipeline.Run(ctx, nbPath, popts)
	if o.outputs && res.Outputs != nil {
		writeOutputChecks(env.Stdout, res.Outputs)
	}
	var verr *pipeline.VerifyError
	var oerr *pipeline.OutputsError
	switch {
	case err != nil && ctx.Err() != nil:
		// The checks were stopped, not failed: say so.
		return fmt.Errorf("interrupted; nothing was committed: %w", ctx.Err())
	case errors.As(err, &verr):
		fmt.Fprintf(env.Stderr, "%s\n", recognize.Mask(err.Error()))
		hint := "pass --no-verify to commit anyway"
		if cells := problemCells(verr.Problems); len(cells) > 0 {
			// A finding with no exact fix (a vet report of a real bug) is the author's to fix;
			// until then, the cells can be left out.
			hint = fmt.Sprintf("leave them out with --skip %s, or %s", cells, hint)
		}
		if !o.short && onlyTests(verr.Problems) {
			// It builds and vets: what failed is a replay of the notebook's steps, which may
			// need data, network or hardware this machine lacks.
			hint = "pass --short to verify without replaying the whole notebook, or --no-verify to commit anyway"
			if o.requireRun {
				if _, env := extract.RunNeeds(verr.Problems, nil); env || len(verr.RunNeeds) > 0 {
					hint = "run it where what the steps need is available, or drop --require-run to commit it verified with go test -short"
				}
			}
		}
		fmt.Fprintf(env.Stderr, "nothing was committed; fix the cells named above, or %s\n", hint)
		return silentError(ExitProblem)
	case errors.As(err, &oerr):
		fmt.Fprintf(env.Stderr, "%v\n", err)
		return silentError(ExitProblem)
	case err != nil:
		return err
	}
	for _, s := range res.Skipped {
		if s.Stage != pipeline.StageOutputs || s.Reason != "not verifying" {
			fmt.Fprintf(env.Stderr, "skipped %s: %s\n", s.Stage, s.Reason)
		}
	}
	// A run that could not be verified here is said on stderr even with --quiet or --json:
	// the branch was committed, but its full test did not pass on this machine.
	for _, n := range res.RunUnverified {
		fmt.Fprintf(env.Stderr, "warning: the pipeline's run was not verified here: %s; the service was verified with go test -short instead; %s (--require-run refuses instead)\n",
			recognize.Mask(n.String()), n.Remedy())
	}
	// Under --json, standard output is one document: the plan and the result.
	if o.jsonOut {
		js, err := res.Report().JSON()
		if err != nil {
			return err
		}
		doc := &extractJSON{Plan: js, Repo: res.Repo, Branch: res.Branch, DryRun: o.dryRun,
			Verification: verification(o, res), RunUnverified: res.RunUnverified}
		if o.dryRun {
			doc.Diff, doc.UpToDate = res.Diff, res.Diff == ""
		} else {
			doc.Commit, doc.UpToDate, doc.Created = res.Commit.Commit, res.Commit.UpToDate, res.Created
			for _, c := range res.Commit.Changed {
				doc.Changed = append(doc.Changed, changeJSON{Path: c.Path, Kind: c.Kind})
			}
		}
		return doc.write(env)
	}
	if !o.quiet || o.dryRun {
		if err := res.Report().WriteReport(env.Stdout); err != nil {
			return err
		}
	}
	if o.dryRun {
		if res.Diff == "" {
			fmt.Fprintf(env.Stdout, "\n%s is up to date with the notebook\n", res.Branch)
		} else {
			fmt.Fprintf(env.Stdout, "\ndiff against %s:\n%s", res.Branch, res.Diff)
		}
	} else {
		switch c := res.Commit; {
		case c.UpToDate:
			fmt.Fprintf(env.Stdout, "\n%s in %s is up to date (%s)\n", res.Branch, res.Repo, shortHash(c.Commit))
		default:
			fmt.Fprintf(env.Stdout, "\ncommitted %s to %s in %s (%d files changed)\n", shortHash(c.Commit), res.Branch, res.Repo, len(c.Changed))
			if res.Created {
				fmt.Fprintf(env.Stdout, "created the repository %s; main is checked out at the same commit\n", res.Repo)
				fmt.Fprintf(env.Stdout, "later extractions move only %s: review it and merge it into main\n", res.Branch)
			}
		}
	}
	// The refactoring report comes last, after the result line.
	if res.Refactor != nil && !o.jsonOut && (!o.quiet || o.dryRun) {
		if err := res.Refactor.Report().WriteText(env.Stdout); err != nil {
			return fmt.Errorf("writing the refactoring report: %w", err)
		}
	}
	return nil
}

// writeOutputChecks prints --verify-outputs' table: each %% cell's step against the
// notebook's saved output.
func writeOutputChecks(w io.Writer, checks []extract.OutputCheck) {
	fmt.Fprintf(w, "\noutputs (extracted step vs the notebook's saved output):\n")
	for _, c := range checks {
		if c.Match {
			fmt.Fprintf(w, "  cell %-3d %-24s same\n", c.Cell, c.Step+"()")
			continue
		}
		if c.NotRun {
			fmt.Fprintf(w, "  cell %-3d %-24s NOT RUN\n      %s\n", c.Cell, c.Step+"()", c.Detail)
			continue
		}
		fmt.Fprintf(w, "  cell %-3d %-24s DIFFERENT\n", c.Cell, c.Step+"()")
		for _, l := range strings.Split(c.Detail, "\n") {
			fmt.Fprintf(w, "      %s\n", strings.TrimSpace(l))
		}
	}
	if len(checks) == 0 {
		fmt.Fprintf(w, "  no %%%% cell has saved output to compare\n")
	}
}

func commitTime(flag string, env Env) (time.Time, error) {
	if flag != "" {
		t, err := time.Parse(time.RFC3339, flag)
		if err != nil {
			return time.Time{}, usagef("--date: %v", err)
		}
		if err := publish.CheckDate(t); err != nil {
			return time.Time{}, usagef("--date: %v", err)
		}
		return t, nil
	}
	if s := env.getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
		}
		t := time.Unix(sec, 0).UTC()
		if err := publish.CheckDate(t); err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%s: %w", s, err)
		}
		return t, nil
	}
	return env.now().UTC().Truncate(time.Second), nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func shortHash(h string) string {
	if len(h) > 10 {
		return h[:10]
	}
	return h
}

func runPlan(ctx context.Context, args []string, env Env) error {
	var o extractOptions
	fs := newFlags("plan", "decant plan [flags] notebook.ipynb", env)
	fs.StringVar(&o.Slug, "slug", "", "package name (default from the notebook's file name)")
	fs.BoolVar(&o.AutoLabel, "auto-label", false, "assign sections to a notebook without labels")
	fs.BoolVar(&o.KeepFailed, "keep-failed", false, "keep cells whose saved outputs hold an error")
	fs.IntSliceVar(&o.Skip, "skip", nil, "cell indexes to leave out, as if marked //decant:skip (as extract --skip)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the plan as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one notebook, got %d arguments", fs.NArg())
	}
	_, plan, err := loadPlan(fs.Arg(0), o.Options, env)
	if err != nil {
		return err
	}
	if o.jsonOut {
		js, err := plan.JSON()
		if err != nil {
			return err
		}
		return writeJSON(env, "plan", js)
	}
	return plan.WriteReport(env.Stdout)
}

// extractJSON is extract's --json document.
type extractJSON struct {
	Plan   json.RawMessage `json:"plan"`
	Repo   string          `json:"repo"`
	Branch string          `json:"branch"`
	DryRun bool            `json:"dry_run,omitempty"`
	// Verification is what the service passed: "full" (build, vet and every test, the
	// notebook's replay included), "short" (go test -short: with --short, or when the replay
	// needed what this machine lacks, as RunUnverified then lists) or "none".
	Verification  string            `json:"verification"`
	RunUnverified []extract.RunNeed `json:"run_unverified,omitempty"`
	Diff          string            `json:"diff,omitempty"`
	Commit        string            `json:"commit,omitempty"`
	UpToDate      bool              `json:"up_to_date"`
	Created       bool              `json:"created_repository,omitempty"`
	Changed       []changeJSON      `json:"changed,omitempty"`
}

type changeJSON struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
}

func (d *extractJSON) write(env Env) error {
	js, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return writeJSON(env, "extract", js)
}

// verification names what the extracted service passed, for --json.
func verification(o *extractOptions, res *pipeline.Result) string {
	switch {
	case o.dryRun || o.noVerify:
		return "none"
	case o.short || len(res.RunUnverified) > 0:
		return "short"
	}
	return "full"
}

// onlyTests reports whether every problem comes from running the service's tests.
// problemCells lists the cells the problems are located at, as --skip takes them ("3,43").
func problemCells(probs []extract.Problem) string {
	var cells []int
	for _, p := range probs {
		if p.Cell >= 0 && !slices.Contains(cells, p.Cell) {
			cells = append(cells, p.Cell)
		}
	}
	slices.Sort(cells)
	var s []string
	for _, c := range cells {
		s = append(s, strconv.Itoa(c))
	}
	return strings.Join(s, ",")
}

func onlyTests(probs []extract.Problem) bool {
	for _, p := range probs {
		if p.Step != "test" {
			return false
		}
	}
	return len(probs) > 0
}

// parseBudgets turns --budget's stage=duration pairs into the pipeline's budgets. Only the
// optional stages take one: the required stages cannot be skipped, so a budget there would
// only turn a slow run into a failed one.
func parseBudgets(flags map[string]string) (map[pipeline.Stage]time.Duration, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	budgets := make(map[pipeline.Stage]time.Duration, len(flags))
	for name, value := range flags {
		s := pipeline.Stage(name)
		if s != pipeline.StageOutputs && s != pipeline.StageRefactor {
			return nil, fmt.Errorf("stage %q: only %s and %s take a budget", name, pipeline.StageOutputs, pipeline.StageRefactor)
		}
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("stage %s: want a positive duration such as 90s or 2m, got %q", name, value)
		}
		budgets[s] = d
	}
	return budgets, nil
}
