package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/spf13/pflag"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/extract/publish"
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
	force       bool
	message     string
	authorName  string
	authorEmail string
	date        string
	quiet       bool
	outputs     bool
	refactor    string

	refactorReport interface{ WriteText(io.Writer) error }
}

func bindExtractFlags(o *extractOptions, env Env, name string) *pflag.FlagSet {
	fs := newFlags(name, name+" [flags] notebook.ipynb", env)
	fs.StringVar(&o.repo, "repo", "", "git repository to commit to, created if missing (default ./<slug>-service)")
	fs.StringVar(&o.branch, "branch", "", "branch to commit to (default decant/<slug>)")
	fs.StringVar(&o.Slug, "slug", "", "package name and directory (default from the notebook's file name)")
	fs.StringVar(&o.Module, "module", "", "module path of the service (default example.com/<slug>)")
	fs.BoolVar(&o.AutoLabel, "auto-label", false, "assign sections to a notebook without labels, from headings and what the code does")
	fs.BoolVar(&o.KeepFailed, "keep-failed", false, "keep cells whose saved outputs hold an error (GoNB never memorized them)")
	fs.IntSliceVar(&o.Skip, "skip", nil, "cell indexes to leave out, as if marked //decant:skip")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the plan and a unified diff against the branch tip; write nothing")
	fs.BoolVar(&o.noVerify, "no-verify", false, "skip building, vetting and testing the result")
	fs.BoolVar(&o.short, "short", false, "verify with go test -short (skips replaying the whole notebook)")
	fs.BoolVar(&o.force, "force", false, "move a branch whose tip Decant did not make")
	fs.StringVar(&o.message, "message", "", "commit message (default: a summary of the extraction)")
	fs.StringVar(&o.authorName, "author-name", "", "commit author name (default $DECANT_AUTHOR_NAME, else Decant)")
	fs.StringVar(&o.authorEmail, "author-email", "", "commit author email (default $DECANT_AUTHOR_EMAIL, else decant@localhost)")
	fs.StringVar(&o.date, "date", "", "commit time, RFC 3339 (default $SOURCE_DATE_EPOCH, else now)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the result line")
	fs.StringVar(&o.refactor, "refactor", "all", "refactorings to run on the result: all, none, or a list of unify,sql,hoist,config,modernize")
	fs.BoolVar(&o.outputs, "verify-outputs", false, "run the extracted pipeline and compare what each %% cell prints with the notebook's saved outputs")
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
	if _, err := refactor.ParsePasses(o.refactor); err != nil {
		return usagef("--refactor: %v", err)
	}
	_, plan, err := loadPlan(nbPath, o.Options, env)
	if err != nil {
		return err
	}
	out, err := plan.Render()
	if err != nil {
		return err
	}
	if o.repo == "" {
		o.repo = plan.Slug + "-service"
	}
	if o.branch == "" {
		o.branch = "decant/" + plan.Slug
	}
	repoDir := resolve(env, o.repo)

	// Resolve module versions (and verify) in a scratch directory; the user's tree is not used.
	stage, err := os.MkdirTemp("", "decant-extract-")
	if err != nil {
		return fmt.Errorf("making a staging directory: %w", err)
	}
	defer os.RemoveAll(stage)
	if err := extract.WriteDir(stage, out.Files, out.Exec); err != nil {
		return err
	}
	vopts := extract.VerifyOptions{Short: o.short}
	gomod, gosum, err := extract.Tidy(ctx, stage, vopts)
	if err != nil {
		return plan.ExplainTidy(err)
	}
	out.Files["go.mod"] = gomod
	if len(gosum) > 0 {
		out.Files["go.sum"] = gosum
	}
	// Compare each %% cell's step with the notebook's saved output. With --verify-outputs a
	// difference is fatal; otherwise the cell leaves the golden test, and the report says so.
	if o.outputs || !o.noVerify && !o.dryRun {
		checks, err := extract.CompareOutputs(ctx, stage, plan, vopts)
		if err != nil && o.outputs {
			return err
		}
		if err == nil {
			if err := reportOutputs(o, plan, out, stage, checks, env); err != nil {
				return err
			}
		}
		dropped, err := extract.CheckReproducible(ctx, stage, plan, vopts)
		if err != nil {
			return err
		}
		if dropped {
			changed, err := plan.RenderTests(out)
			if err != nil {
				return err
			}
			if err := extract.WriteDir(stage, changed, nil); err != nil {
				return err
			}
		}
	}
	// Verify the service as extracted, so failures point at cells; each refactoring after this
	// is verified on its own and kept only if the service still passes.
	if !o.noVerify && !o.dryRun {
		fmt.Fprintf(env.Stderr, "verifying the service (gofmt, go build, go vet, go test)...\n")
		probs := extract.Verify(ctx, stage, out, vopts)
		if err := ctx.Err(); err != nil {
			// The checks were stopped, not failed: say so, and commit nothing.
			return fmt.Errorf("interrupted while verifying the service; nothing was committed: %w", err)
		}
		if len(probs) > 0 {
			fmt.Fprintf(env.Stderr, "the extracted service does not pass its checks:\n")
			for _, p := range probs {
				fmt.Fprintf(env.Stderr, "  %s\n", p)
			}
			fmt.Fprintf(env.Stderr, "nothing was committed; fix the cells named above, or pass --no-verify to commit anyway\n")
			return silentError(ExitProblem)
		}
	}
	if err := refactorStage(ctx, o, stage, plan, out, env); err != nil {
		return err
	}

	// Under --json, standard output is one document: the plan and the result, printed at the end.
	var doc *extractJSON
	if o.jsonOut {
		js, err := plan.JSON()
		if err != nil {
			return err
		}
		doc = &extractJSON{Plan: js, Repo: o.repo, Branch: o.branch}
	} else if !o.quiet || o.dryRun {
		if o.refactorReport != nil {
			defer o.refactorReport.WriteText(env.Stdout)
		}
		if err := plan.WriteReport(env.Stdout); err != nil {
			return err
		}
	}
	if o.dryRun {
		diff, err := dryRunDiff(repoDir, o.branch, out.Files)
		if err != nil {
			return err
		}
		if doc != nil {
			doc.DryRun, doc.Diff, doc.UpToDate = true, diff, diff == ""
			return doc.write(env)
		}
		if diff == "" {
			fmt.Fprintf(env.Stdout, "\n%s is up to date with the notebook\n", o.branch)
		} else {
			fmt.Fprintf(env.Stdout, "\ndiff against %s:\n%s", o.branch, diff)
		}
		return nil
	}
	when, err := commitTime(o.date, env)
	if err != nil {
		return err
	}
	sig := publish.Signature{Name: firstNonEmpty(o.authorName, env.getenv("DECANT_AUTHOR_NAME"), "Decant"),
		Email: firstNonEmpty(o.authorEmail, env.getenv("DECANT_AUTHOR_EMAIL"), "decant@localhost"), When: when}
	msg := o.message
	if msg == "" {
		msg = commitMessage(plan)
	}
	repo, created, err := publish.Open(repoDir)
	if err != nil {
		if errors.Is(err, publish.ErrNotRepository) {
			return fmt.Errorf("%s exists and is not a git repository; refusing to write into it (choose another --repo)", o.repo)
		}
		return err
	}
	files := publish.Files{}
	for k, v := range out.Files {
		files[k] = v
	}
	res, err := publish.Commit(repo, files, created, publish.Options{Branch: o.branch, Message: msg, Author: sig, Exec: out.Exec, Force: o.force})
	if err != nil {
		if errors.Is(err, publish.ErrForeignBranch) {
			return fmt.Errorf("branch %s of %s was not made by decant (its tip has no .decant/manifest.json); refusing to move it (use --force, or another --branch): %w", o.branch, o.repo, err)
		}
		return err
	}
	if created {
		// The repository is new: give it a main branch at the same commit and check that out,
		// so later extractions move only the decant branch and the user merges it when ready.
		if err := handOff(repo, res.Commit); err != nil {
			return err
		}
	}
	if doc != nil {
		doc.Commit, doc.UpToDate, doc.Created = res.Commit, res.UpToDate, created
		for _, c := range res.Changed {
			doc.Changed = append(doc.Changed, changeJSON{Path: c.Path, Kind: c.Kind})
		}
		return doc.write(env)
	}
	switch {
	case res.UpToDate:
		fmt.Fprintf(env.Stdout, "\n%s in %s is up to date (%s)\n", o.branch, o.repo, shortHash(res.Commit))
	default:
		fmt.Fprintf(env.Stdout, "\ncommitted %s to %s in %s (%d files changed)\n", shortHash(res.Commit), o.branch, o.repo, len(res.Changed))
		if created {
			fmt.Fprintf(env.Stdout, "created the repository %s; main is checked out at the same commit\n", o.repo)
			fmt.Fprintf(env.Stdout, "later extractions move only %s: review it and merge it into main\n", o.branch)
		}
	}
	return nil
}

func dryRunDiff(repoDir, branch string, files map[string][]byte) (string, error) {
	pf := publish.Files{}
	for k, v := range files {
		pf[k] = v
	}
	if _, err := os.Stat(filepath.Join(repoDir, ".git")); err != nil {
		return publish.UnifiedDiff(publish.Files{}, pf), nil
	}
	repo, _, err := publish.Open(repoDir)
	if err != nil {
		return "", err
	}
	return publish.Diff(repo, branch, pf)
}

func commitTime(flag string, env Env) (time.Time, error) {
	if flag != "" {
		t, err := time.Parse(time.RFC3339, flag)
		if err != nil {
			return time.Time{}, usagef("--date: %v", err)
		}
		return t, nil
	}
	if s := env.getenv("SOURCE_DATE_EPOCH"); s != "" {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	return env.now().UTC().Truncate(time.Second), nil
}

func commitMessage(p *extract.Plan) string {
	kept := 0
	for _, d := range p.Decls {
		if d.Kept {
			kept++
		}
	}
	steps := 0
	for _, s := range p.Steps {
		if s.Kept {
			steps++
		}
	}
	var routes []string
	for _, r := range p.Routes {
		routes = append(routes, r.Func)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Extract %s from %s\n\n", p.Slug, p.Notebook)
	fmt.Fprintf(&sb, "%d declarations, %d pipeline steps", kept, steps)
	if len(routes) > 0 {
		fmt.Fprintf(&sb, ", API routes for %s", strings.Join(routes, ", "))
	}
	fmt.Fprintf(&sb, ".\nNotebook sha256 %s.\n", p.NotebookHash)
	return sb.String()
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

// handOff points a repository Decant just created at a main branch holding the first extraction.
// The working tree and index already match that commit.
func handOff(repo *git.Repository, commit string) error {
	h := plumbing.NewHash(commit)
	main := plumbing.NewBranchReferenceName("main")
	if err := repo.Storer.SetReference(plumbing.NewHashReference(main, h)); err != nil {
		return fmt.Errorf("creating main in the new repository: %w", err)
	}
	if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, main)); err != nil {
		return fmt.Errorf("checking out main in the new repository: %w", err)
	}
	return nil
}

// refactorStage runs the chosen refactorings on the staged service, each kept only if the
// service still builds, vets and passes its tests, and folds the changed files into out.
func refactorStage(ctx context.Context, o *extractOptions, stage string, plan *extract.Plan, out *extract.Output, env Env) error {
	passes, err := refactor.ParsePasses(o.refactor)
	if err != nil {
		return usagef("--refactor: %v", err)
	}
	if len(passes) == 0 {
		return nil
	}
	if !o.quiet {
		fmt.Fprintf(env.Stderr, "refactoring the service (%s), each change verified...\n", strings.Join(passes, ", "))
	}
	res, err := refactor.Run(ctx, stage, refactor.Options{Passes: passes, NoVerify: o.noVerify, Short: o.short})
	if err != nil {
		return fmt.Errorf("refactoring the extracted service: %w", err)
	}
	if err := refactor.WriteFiles(stage, res.Files); err != nil {
		return err
	}
	plan.Update(out, res.Files)
	rep := res.Report()
	o.refactorReport = rep
	return nil
}

func reportOutputs(o *extractOptions, plan *extract.Plan, out *extract.Output, stage string, checks []extract.OutputCheck, env Env) error {
	if o.outputs {
		fmt.Fprintf(env.Stdout, "\noutputs (extracted step vs the notebook's saved output):\n")
	}
	failed := 0
	for _, c := range checks {
		if c.Match {
			if o.outputs {
				fmt.Fprintf(env.Stdout, "  cell %-3d %-24s same\n", c.Cell, c.Step+"()")
			}
			continue
		}
		failed++
		if o.outputs {
			fmt.Fprintf(env.Stdout, "  cell %-3d %-24s DIFFERENT\n", c.Cell, c.Step+"()")
			for _, l := range strings.Split(c.Detail, "\n") {
				fmt.Fprintf(env.Stdout, "      %s\n", strings.TrimSpace(l))
			}
			continue
		}
		detail := strings.TrimSpace(c.Detail)
		if i := strings.Index(detail, "got:"); i >= 0 {
			detail = strings.Join(strings.Fields(detail[i:]), " ")
		}
		plan.DropGolden(c.Cell, "its output differed from the notebook's saved output when the service was verified ("+detail+")")
	}
	if o.outputs {
		if len(checks) == 0 {
			fmt.Fprintf(env.Stdout, "  no %%%% cell has saved output to compare\n")
		}
		if failed > 0 {
			fmt.Fprintf(env.Stderr, "%d cells print something else than the notebook did; nothing was committed\n", failed)
			return silentError(ExitProblem)
		}
		return nil
	}
	if failed > 0 {
		changed, err := plan.RenderTests(out)
		if err != nil {
			return err
		}
		return extract.WriteDir(stage, changed, nil)
	}
	return nil
}

// extractJSON is extract's --json document.
type extractJSON struct {
	Plan     json.RawMessage `json:"plan"`
	Repo     string          `json:"repo"`
	Branch   string          `json:"branch"`
	DryRun   bool            `json:"dry_run,omitempty"`
	Diff     string          `json:"diff,omitempty"`
	Commit   string          `json:"commit,omitempty"`
	UpToDate bool            `json:"up_to_date"`
	Created  bool            `json:"created_repository,omitempty"`
	Changed  []changeJSON    `json:"changed,omitempty"`
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
