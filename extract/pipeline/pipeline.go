// Package pipeline runs a whole extraction as a library: from a notebook file to a verified,
// refactored service committed to a branch. The decant and extract commands bind flags to
// [Options] and print the [Result]; the kernel's magics and the tests call [Run] directly.
//
// # Stages
//
// Each stage is a function that takes the previous stages' values and returns its own:
//
//  1. build: read the notebook and plan the package ([extract.BuildFile]);
//  2. destination: open and check the repository and branch, writing nothing, so a bad
//     destination is refused in milliseconds, before any slow stage;
//  3. render: the plan's files, in memory;
//  4. stage: write them into a scratch directory and resolve module versions (go mod tidy);
//  5. outputs: compare each %% cell's step with the notebook's saved output and test that lazy
//     values are reproducible; cells that differ leave the golden test;
//  6. verify: gofmt, go build, go vet and go test on the service as extracted;
//  7. refactor: the chosen refactorings, each verified on its own with go test -short, and the
//     refactored service once more with the full tests (see [refactor.Options.Short]);
//  8. finalize: a unified diff against the branch (dry run) or a commit.
//
// Decisions made after the plan was built (cells left out of the golden test, values that are
// not reproducible) are returned in [Result.Decisions], not appended to the plan.
//
// # Budgets
//
// [Options.Budgets] bounds the optional stages (outputs, refactor). Past its budget, a stage
// stops, its remaining work is skipped, [Result.Skipped] says so, and the run goes on with what
// it has: the files are still verified and committed. The required stages run to the end of
// the context.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/extract/manifest"
	"github.com/decant-go/decant/extract/publish"
	"github.com/decant-go/decant/internal/udiff"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/refactor"
)

// Stage names a step of the pipeline, as it appears in progress lines, budgets and skips.
type Stage string

// The stages, in the order they run.
const (
	StageBuild       Stage = "build"
	StageDestination Stage = "destination"
	StageRender      Stage = "render"
	StageTidy        Stage = "tidy"
	StageOutputs     Stage = "outputs"
	StageVerify      Stage = "verify"
	StageRefactor    Stage = "refactor"
	StageFinalize    Stage = "finalize"
)

// Options configures [Run]. The zero value extracts, verifies and commits without refactoring
// into ./<slug>-service on branch decant/<slug>; Author must be set to commit.
type Options struct {
	// Build configures the plan (slug, module, labels, skipped cells).
	Build extract.Options
	// Dir is the directory relative paths (the notebook, Repo) are resolved against;
	// "" means the process's working directory.
	Dir string
	// Repo is the git repository to commit to, created if missing; "" means <slug>-service.
	Repo string
	// Branch is the branch to move; "" means decant/<slug>.
	Branch string
	// DryRun computes the diff against the branch tip and writes nothing. It implies no
	// verification.
	DryRun bool
	// NoVerify skips building, vetting and testing the service and its refactorings.
	NoVerify bool
	// Short verifies with go test -short.
	Short bool
	// RequireRun refuses a service whose full test (the replay of the notebook) fails for want
	// of what this machine lacks at run time (the network, a plugin, the author's data files).
	// Without it, such a service is verified with go test -short instead, committed, and
	// [Result.RunUnverified] (and the plan, README and manifest) say what was not run.
	RequireRun bool
	// Probe reports whether this machine can reach a host the notebook's code names, when a
	// replay failed after a network call whose error the code never checked. Nil:
	// [extract.ProbeHost].
	Probe func(ctx context.Context, host, port string) error
	// VerifyOutputs makes a difference between a %% cell's step and the notebook's saved output
	// an error ([OutputsError]) rather than a reason to leave the cell out of the golden test.
	VerifyOutputs bool
	// Refactor lists the refactorings to run, in [refactor.AllPasses] order; nil runs none.
	Refactor []string
	// Force moves a branch whose tip Decant did not make.
	Force bool
	// Message is the commit message; "" means [CommitMessage] of the plan.
	Message string
	// Author signs the commit (author and committer). Required unless DryRun.
	Author publish.Signature
	// Progress, if not nil, receives a line as each slow stage starts.
	Progress io.Writer
	// Budgets bounds the optional stages (StageOutputs, StageRefactor); a stage without an
	// entry runs to the end of the context.
	Budgets map[Stage]time.Duration
	// Modules pins and replaces modules over the notebook's and the enclosing module's choice.
	Modules extract.ModuleOptions
}

// Result is what a run produced. Run returns it, partly filled, with most errors, so callers
// can report what was done before the failure.
type Result struct {
	Notebook *notebooks.Notebook
	// Plan is the plan as built. Later stages change only its rendering state; their decisions
	// are in Decisions.
	Plan *extract.Plan
	// Output holds the final files: rendered, tidied, with refactorings applied.
	Output *extract.Output
	// Decisions are the decisions of the stages after build, in the order they were made.
	Decisions []extract.Decision
	// Repo and Branch are the destination as given or defaulted (Repo not resolved against Dir).
	Repo, Branch string
	// Outputs are the per-cell output comparisons, when the outputs stage ran.
	Outputs []extract.OutputCheck
	// Problems are what failed verification; Run then returns a [*VerifyError].
	Problems []extract.Problem
	// RunUnverified lists the steps whose replay failed only for want of what this machine
	// lacks at run time: the service was verified with go test -short instead (see
	// [Options.RequireRun]). Empty when the run was verified or not attempted.
	RunUnverified []extract.RunNeed
	// Refactor is the refactoring result, when refactorings ran.
	Refactor *refactor.Result
	// Skipped lists the stages (or the rest of them) left out, and why.
	Skipped []Skip
	// Diff is the unified diff against the branch tip (dry run only); "" means up to date.
	Diff string
	// Commit is the commit result (not for a dry run).
	Commit *publish.Result
	// Created reports that the repository was created by this run.
	Created bool
	// Durations records how long each stage that ran took.
	Durations map[Stage]time.Duration
}

// Report returns the plan with the later stages' decisions appended, for printing and for
// rendering the README's notes.
func (r *Result) Report() *extract.Plan {
	return r.Plan.WithDecisions(r.Decisions)
}

// Skip says that a stage, or what remained of it, did not run.
type Skip struct {
	Stage  Stage
	Reason string
}

// VerifyError is returned when the extracted service does not pass its own checks.
type VerifyError struct {
	Problems []extract.Problem
	// Versions are the library versions chosen because their API fits the notebook's code,
	// with which the problems were met.
	Versions []extract.Decision
	Hint     string // what may explain the problems, when something does
	// RunNeeds is, under [Options.RequireRun], what the full replay lacked on this machine
	// when that alone made it fail: without --require-run the run would have been committed
	// as unverified.
	RunNeeds []extract.RunNeed
}

func (e *VerifyError) Error() string {
	var sb strings.Builder
	sb.WriteString("the extracted service does not pass its checks:")
	for _, p := range e.Problems {
		fmt.Fprintf(&sb, "\n  %s", p)
	}
	for _, d := range e.Versions {
		fmt.Fprintf(&sb, "\nnote: cell %d, line %d: %s: %s", d.Cell, d.Line, d.Subject, d.Reason)
	}
	if e.Hint != "" {
		fmt.Fprintf(&sb, "\nnote: %s", e.Hint)
	}
	for _, n := range e.RunNeeds {
		fmt.Fprintf(&sb, "\nnote: the run cannot be verified here: %s; %s (--require-run refuses it)", n, n.Remedy())
	}
	return sb.String()
}

// OutputsError is returned with Options.VerifyOutputs when some cells print something else
// than the notebook did.
type OutputsError struct{ Failed int }

func (e *OutputsError) Error() string {
	return fmt.Sprintf("%d cells print something else than the notebook did; nothing was committed", e.Failed)
}

// Run extracts the notebook at path.
func Run(ctx context.Context, path string, opts Options) (*Result, error) {
	r := &run{ctx: ctx, opts: opts, res: &Result{Durations: map[Stage]time.Duration{}}}
	return r.res, r.run(r.abs(path))
}

// run is the state of one Run: its options, the result so far and the staging directory.
type run struct {
	ctx     context.Context
	opts    Options
	res     *Result
	repoDir string
	stage   string
	vopts   extract.VerifyOptions
	// modules is the module context the notebook's author ran it in.
	modules *extract.ModuleContext
	// apiVersions are the library versions chosen for their API (see searchAPI).
	apiVersions []extract.Decision
	// modNotes is where, in res.Decisions, the notes on the modules required are.
	modNotes [2]int
	// envProblems are the failures of the replays before the verify stage (the golden and
	// reproducibility tests) for want of what this machine lacks: what they leave behind (an
	// empty download) can fail the full replay later for another reason.
	envProblems []extract.Problem
}

func (r *run) abs(p string) string {
	if r.opts.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.opts.Dir, p)
}

func (r *run) progress(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, format+"\n", args...)
	}
}

// timed runs one stage and records its duration.
func (r *run) timed(s Stage, f func() error) error {
	start := time.Now()
	err := f()
	r.res.Durations[s] += time.Since(start)
	return err
}

func (r *run) run(nbPath string) error {
	res := r.res
	if err := r.timed(StageBuild, func() error { return r.build(nbPath) }); err != nil {
		return err
	}
	if err := r.timed(StageDestination, r.destination); err != nil {
		return err
	}
	if err := r.timed(StageRender, r.render); err != nil {
		return err
	}
	stage, err := os.MkdirTemp("", "decant-extract-")
	if err != nil {
		return fmt.Errorf("making a staging directory: %w", err)
	}
	defer os.RemoveAll(stage)
	r.stage = stage
	r.vopts = extract.VerifyOptions{Short: r.opts.Short}
	env, notes := r.res.Plan.VerifyEnv(os.LookupEnv)
	r.vopts.Env = append(r.vopts.Env, env...)
	r.res.Plan.Decisions = append(r.res.Plan.Decisions, notes...)
	if err := r.timed(StageTidy, r.tidy); err != nil {
		return err
	}
	verify := !r.opts.NoVerify && !r.opts.DryRun
	if r.opts.VerifyOutputs || verify {
		if err := r.timed(StageOutputs, r.outputs); err != nil {
			return err
		}
	} else {
		res.Skipped = append(res.Skipped, Skip{StageOutputs, "not verifying"})
	}
	if verify {
		if err := r.timed(StageVerify, r.verify); err != nil {
			return err
		}
	}
	if len(r.opts.Refactor) > 0 {
		if err := r.timed(StageRefactor, r.refactor); err != nil {
			return err
		}
	}
	return r.timed(StageFinalize, r.finalize)
}

func (r *run) build(nbPath string) error {
	nb, plan, err := extract.BuildFile(nbPath, r.opts.Build)
	if err != nil {
		return err
	}
	r.res.Notebook, r.res.Plan = nb, plan
	mc, err := extract.DiscoverModules(nbPath, plan, r.opts.Modules)
	if err != nil {
		return err
	}
	plan.UseModules(mc)
	r.modules = mc
	return nil
}

// destination fills in the repository and branch and checks them, writing nothing.
func (r *run) destination() error {
	plan := r.res.Plan
	r.res.Repo, r.res.Branch = r.opts.Repo, r.opts.Branch
	if r.res.Repo == "" {
		r.res.Repo = plan.Slug + "-service"
	}
	if r.res.Branch == "" {
		r.res.Branch = "decant/" + plan.Slug
	}
	r.repoDir = r.abs(r.res.Repo)
	if r.opts.DryRun {
		return nil
	}
	a := r.opts.Author
	if a.Name == "" || a.Email == "" || a.When.IsZero() {
		return fmt.Errorf("extracting %s: the commit author's name, email and time are required", plan.Notebook)
	}
	err := publish.Check(r.repoDir, publish.Options{Branch: r.res.Branch, Force: r.opts.Force, Marker: manifest.Path})
	return r.explainDestination(err)
}

// explainDestination rewords the destination errors users can fix with a flag.
func (r *run) explainDestination(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, publish.ErrNotRepository):
		return fmt.Errorf("%s exists and is not a git repository; refusing to write into it (choose another --repo): %w", r.res.Repo, err)
	case errors.Is(err, publish.ErrForeignBranch):
		return fmt.Errorf("branch %s of %s was not made by decant (its tip has no %s); refusing to move it (use --force, or another --branch): %w",
			r.res.Branch, r.res.Repo, manifest.Path, err)
	}
	return err
}

func (r *run) render() error {
	out, err := r.res.Plan.Render()
	if err != nil {
		return err
	}
	r.res.Output = out
	return nil
}

// tidy writes the files into the staging directory and resolves module versions there; the
// user's tree is not used.
func (r *run) tidy() error {
	out := r.res.Output
	if err := extract.WriteDir(r.stage, out.Files, out.Exec); err != nil {
		return err
	}
	// Resolve the service's modules the way the notebook's author had them. A dry run without
	// verification does not run go mod tidy: go.mod comes from the module context alone.
	mc := r.modules
	verifyMod, commitMod, notes, err := mc.GoMods(out.Files["go.mod"], out.Imports())
	if err != nil {
		return err
	}
	r.res.Decisions = append(r.res.Decisions, mc.Notes...)
	r.modNotes = [2]int{len(r.res.Decisions), len(r.res.Decisions) + len(notes)}
	r.res.Decisions = append(r.res.Decisions, notes...)
	if r.opts.DryRun && r.opts.NoVerify {
		out.Files["go.mod"] = commitMod
		// The refactorings load the staged module: give them the module context too.
		if err := os.WriteFile(filepath.Join(r.stage, "go.mod"), verifyMod, 0o644); err != nil {
			return fmt.Errorf("writing the staged go.mod: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(filepath.Join(r.stage, "go.mod"), verifyMod, 0o644); err != nil {
		return fmt.Errorf("writing the staged go.mod: %w", err)
	}
	r.progress("resolving module versions (go mod tidy)...")
	gomod, gosum, err := extract.Tidy(r.ctx, r.stage, r.vopts)
	if refused := mc.RefusedModules(err); len(refused) > 0 {
		// A required version could not be fetched here (an untagged commit the proxy does not
		// serve): use the nearest release that has the packages the notebook imports.
		r.progress("searching releases near the module versions that could not be fetched...")
		found, changed := mc.SearchRefused(r.ctx, refused, out.Imports(), r.vopts.Env, extract.SearchBudget{})
		if changed {
			gomod, gosum, err = r.resolveAgain()
			var pe *prepError
			if errors.As(err, &pe) {
				return pe.err
			}
		}
		r.res.Decisions = append(r.res.Decisions, found...)
		if err != nil && mc.UnresolvedModules(err) == nil {
			return r.res.Plan.ExplainResolve(err, mc, found...)
		}
	}
	if missing := mc.UnresolvedModules(err); len(missing) > 0 {
		// The notebook imports packages the required versions lack: it was written for
		// another release. Look for versions that have them, then resolve again.
		r.progress("searching module versions that have the packages the notebook imports...")
		found, changed := mc.SearchVersions(r.ctx, missing, out.Imports(), r.vopts.Env, extract.SearchBudget{})
		if changed {
			gomod, gosum, err = r.resolveAgain()
			var pe *prepError
			if errors.As(err, &pe) {
				return pe.err
			}
		}
		r.res.Decisions = append(r.res.Decisions, found...)
		if err != nil {
			return r.res.Plan.ExplainResolve(err, mc, found...)
		}
	}
	if err != nil {
		return r.res.Plan.ExplainResolve(err, mc)
	}
	r.tidied(gomod, gosum)
	return nil
}

// tidied records the resolved go.mod and go.sum in the output.
func (r *run) tidied(gomod, gosum []byte) {
	out := r.res.Output
	out.Files["go.mod"] = extract.WithoutLocal(gomod, r.modules)
	if len(gosum) > 0 {
		out.Files["go.sum"] = gosum
	}
}

// prepError is a failure to render or write the service again, as opposed to go mod tidy's.
type prepError struct{ err error }

func (e *prepError) Error() string { return e.err.Error() }

// resolveAgain renders and stages the service again after the module context changed (names
// the notebook used without importing them resolve in the versions chosen), replaces the
// module notes, and resolves the modules again with go mod tidy.
func (r *run) resolveAgain() (gomod, gosum []byte, err error) {
	if err := r.render(); err != nil {
		return nil, nil, &prepError{err}
	}
	out := r.res.Output
	if err := extract.WriteDir(r.stage, out.Files, out.Exec); err != nil {
		return nil, nil, &prepError{err}
	}
	verifyMod, _, notes, err := r.modules.GoMods(out.Files["go.mod"], out.Imports())
	if err != nil {
		return nil, nil, &prepError{err}
	}
	r.res.Decisions = slices.Replace(r.res.Decisions, r.modNotes[0], r.modNotes[1], notes...)
	r.modNotes[1] = r.modNotes[0] + len(notes)
	if err := os.WriteFile(filepath.Join(r.stage, "go.mod"), verifyMod, 0o644); err != nil {
		return nil, nil, &prepError{fmt.Errorf("writing the staged go.mod: %w", err)}
	}
	r.progress("resolving module versions again (go mod tidy)...")
	return extract.Tidy(r.ctx, r.stage, r.vopts)
}

// budget returns the context a budgeted stage runs under.
func (r *run) budget(s Stage) (context.Context, context.CancelFunc) {
	if d, ok := r.opts.Budgets[s]; ok && d > 0 {
		return context.WithTimeout(r.ctx, d)
	}
	return context.WithCancel(r.ctx)
}

// overBudget reports whether err comes from s's budget running out (not the caller's
// context), and records the skip.
func (r *run) overBudget(s Stage, ctx context.Context, what string) bool {
	if r.ctx.Err() != nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return false
	}
	r.res.Skipped = append(r.res.Skipped, Skip{s, fmt.Sprintf("%s: over its budget of %s", what, r.opts.Budgets[s])})
	return true
}

// outputs compares each %% cell's step with the notebook's saved output. With VerifyOutputs a
// difference is an error; otherwise the cell leaves the golden test, and a decision says so.
// Lazy values that differ between two computations lose their reproducibility test.
func (r *run) outputs() error {
	ctx, cancel := r.budget(StageOutputs)
	defer cancel()
	plan, out := r.res.Plan, r.res.Output
	r.progress("comparing each cell's output with the notebook's...")
	checks, err := extract.CompareOutputs(ctx, r.stage, plan, r.vopts)
	if r.overBudget(StageOutputs, ctx, "comparing outputs and checking reproducibility") {
		return nil
	}
	if r.replayNeeds(err) && !r.opts.VerifyOutputs {
		err = nil // nothing was compared; the verify stage decides what it means
	}
	if err != nil && r.opts.VerifyOutputs {
		return err
	}
	if err == nil {
		r.res.Outputs = checks
		if err := r.dropGoldens(checks); err != nil {
			return err
		}
	}
	decisions, err := extract.CheckReproducible(ctx, r.stage, plan, r.vopts)
	if r.overBudget(StageOutputs, ctx, "checking reproducibility") {
		return nil
	}
	if r.replayNeeds(err) {
		err = nil
	}
	if err != nil {
		return err
	}
	if len(decisions) == 0 {
		return nil
	}
	r.res.Decisions = append(r.res.Decisions, decisions...)
	changed, err := r.res.Report().RenderTests(out)
	if err != nil {
		return err
	}
	return extract.WriteDir(r.stage, changed, nil)
}

// replayNeeds records a replay that failed for want of what this machine lacks, and reports
// whether err is one.
func (r *run) replayNeeds(err error) bool {
	var env *extract.ReplayEnvError
	if !errors.As(err, &env) {
		return false
	}
	r.envProblems = append(r.envProblems, extract.Locate(r.stage, r.res.Output, "test", env.Output)...)
	return true
}

// dropGoldens leaves the cells whose output differed out of the golden test.
func (r *run) dropGoldens(checks []extract.OutputCheck) error {
	failed := 0
	for _, c := range checks {
		if c.Match {
			continue
		}
		failed++
		if r.opts.VerifyOutputs {
			continue
		}
		detail := strings.TrimSpace(c.Detail)
		if c.NotRun {
			r.res.Decisions = append(r.res.Decisions, r.res.Plan.DropGolden(c.Cell,
				"it did not run when the service was verified ("+detail+")")...)
			continue
		}
		if i := strings.Index(detail, "panic: "); i >= 0 {
			// A step that panicked: its panic's line, not the goroutines' traces.
			detail, _, _ = strings.Cut(detail[i:], "\n")
		} else if i := strings.Index(detail, "got:"); i >= 0 {
			detail = strings.Join(strings.Fields(detail[i:]), " ")
		}
		r.res.Decisions = append(r.res.Decisions, r.res.Plan.DropGolden(c.Cell,
			"its output differed from the notebook's saved output when the service was verified ("+detail+")")...)
	}
	if failed == 0 {
		return nil
	}
	if r.opts.VerifyOutputs {
		return &OutputsError{Failed: failed}
	}
	changed, err := r.res.Report().RenderTests(r.res.Output)
	if err != nil {
		return err
	}
	return extract.WriteDir(r.stage, changed, nil)
}

// verify checks the service as extracted, so failures point at cells; each refactoring after
// this is verified on its own and kept only if the service still passes.
func (r *run) verify() error {
	r.progress("verifying the service (gofmt, go build, go vet, go test)...")
	cgo := false
	vopts := r.vopts
	vopts.CgoNeeded = &cgo
	var vetFixed []extract.VetFix
	vopts.VetFixed = &vetFixed
	probs := extract.Verify(r.ctx, r.stage, r.res.Output, vopts)
	var apiNotes map[int]string
	if len(probs) > 0 && slices.ContainsFunc(probs, func(p extract.Problem) bool { return p.Step == "build" }) {
		var err error
		if probs, apiNotes, err = r.searchAPI(probs, vopts); err != nil {
			return err
		}
	}
	for _, f := range vetFixed {
		r.res.Decisions = append(r.res.Decisions, f.Decision())
	}
	if cgo {
		// Later stages (outputs, refactorings) and the service's own Makefile build with cgo too.
		r.vopts.Env = append(r.vopts.Env, "CGO_ENABLED=1")
		if mk, ok := r.res.Output.Files["Makefile"]; ok {
			r.res.Output.Files["Makefile"] = []byte(strings.Replace(string(mk), "# Static binaries: they run in the scratch image and on any Linux.\nexport CGO_ENABLED := 0",
				"# A library the service uses has cgo code: the binaries link C libraries, so they are\n# not static and need those libraries where they run.\nexport CGO_ENABLED := 1", 1))
		}
		r.res.Plan.Cgo = true
		r.res.Decisions = append(r.res.Decisions, extract.Decision{Cell: -1, Subject: "cgo", Action: "warning",
			Reason: "a library the service uses builds only with cgo: the service was verified with CGO_ENABLED=1 and its Makefile sets it; the binaries are not static, so the scratch image needs a base with those C libraries"})
	}
	var refusedNeeds []extract.RunNeed
	if len(probs) > 0 && !r.opts.Short {
		ev := &extract.RunEvidence{Own: []string{r.stage, os.TempDir()}, Out: r.res.Output, Probe: r.opts.Probe}
		needs, ok := r.res.Plan.ConsequentRunNeeds(r.ctx, probs, r.envProblems, ev)
		if ok && r.opts.RequireRun {
			// Refused all the same, saying what the run lacked.
			refusedNeeds, ok = needs, false
		}
		if ok {
			// A failure inside a library names no cell: point it at the cell using the library,
			// as a refusal would.
			located := slices.Clone(probs)
			r.res.Plan.LocateDependencyProblems(located, r.modules)
			for i := range needs {
				if needs[i].Cell < 0 && located[i].Cell >= 0 {
					needs[i].Cell, needs[i].Line = located[i].Cell, located[i].CellLine
				}
			}
			var err error
			if probs, err = r.verifyShort(needs); err != nil {
				return err
			}
			apiNotes = nil // they were about other problems

		}
	}
	if len(probs) > 0 {
		r.explain(probs)
		for i, note := range apiNotes {
			probs[i].Msg += note
		}
		verr := r.verifyError(probs)
		verr.RunNeeds = refusedNeeds
		return verr
	}
	return nil
}

// maxAPIRounds bounds how many library versions chosen for their API are built in turn.
const maxAPIRounds = 3

// searchAPI answers a build that fails on library objects (a function's result count, a
// method another version has) with versions of those libraries whose API fits the notebook's
// code, resolving and building again with each choice, at most maxAPIRounds times within the
// version search's budget. It returns the problems of the last build, or, when no choice
// builds, those of the first with the versions tried, the context as it was.
func (r *run) searchAPI(probs []extract.Problem, vopts extract.VerifyOptions) ([]extract.Problem, map[int]string, error) {
	api := r.modules.NewAPISearch(r.res.Plan, r.vopts.Env, extract.SearchBudget{})
	first := probs
	for api.Rounds < maxAPIRounds {
		if !api.Search(r.ctx, probs, r.res.Output.Files["go.mod"], r.res.Output.Imports()) {
			break
		}
		r.progress("searching library versions whose API fits the notebook: building again...")
		gomod, gosum, err := r.resolveAgain()
		var pe *prepError
		if errors.As(err, &pe) {
			return nil, nil, pe.err
		}
		if err != nil {
			probs = []extract.Problem{{Step: "build", Cell: -1, Msg: "go mod tidy failed: " + lastLine(err)}}
			continue
		}
		r.tidied(gomod, gosum)
		// The outputs stage met the failed build: compare again with the versions chosen.
		if err := r.outputs(); err != nil {
			return nil, nil, err
		}
		probs = extract.Verify(r.ctx, r.stage, r.res.Output, vopts)
		if !slices.ContainsFunc(probs, func(p extract.Problem) bool { return p.Step == "build" }) {
			r.apiVersions = api.Settle()
			r.res.Decisions = append(r.res.Decisions, r.apiVersions...)
			return probs, nil, nil
		}
	}
	if api.Holds(probs, r.res.Output.Files["go.mod"]) {
		// The versions chosen fit, and the build fails on the notebook's own code: report
		// that, with the versions chosen.
		notes := api.Annotate(probs)
		r.apiVersions = api.Settle()
		r.res.Decisions = append(r.res.Decisions, r.apiVersions...)
		return probs, notes, nil
	}
	// Nothing built: back to the versions the notebook's context chose, and today's refusal.
	notes := api.Refuse(first, probs, r.res.Output.Files["go.mod"])
	if api.Rounds == 0 {
		return first, notes, nil
	}
	gomod, gosum, err := r.resolveAgain()
	var pe *prepError
	if errors.As(err, &pe) {
		return nil, nil, pe.err
	}
	if err == nil {
		r.tidied(gomod, gosum)
	}
	return first, notes, nil
}

// lastLine is the last line of an error's text: what go mod tidy says last is its cause.
func lastLine(err error) string {
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// verifyShort verifies the service with go test -short after its full test failed only for
// want of what this machine lacks at run time (needs). When that passes, the run is recorded
// as unverified, in the result, the plan's report, the README and the manifest, and the later
// stages verify with -short too; the problems of the short verification are returned.
func (r *run) verifyShort(needs []extract.RunNeed) ([]extract.Problem, error) {
	for _, n := range needs {
		r.progress("the notebook's replay cannot run here: %s; verifying with go test -short instead...", n)
	}
	short := r.vopts
	short.Short = true
	if probs := extract.Verify(r.ctx, r.stage, r.res.Output, short); len(probs) > 0 {
		return probs, nil
	}
	r.vopts.Short = true
	r.res.RunUnverified = needs
	r.res.Plan.RunUnverified = needs
	for _, n := range needs {
		r.res.Decisions = append(r.res.Decisions, n.Decision())
	}
	// The README and the manifest say so too.
	r.res.Report().Update(r.res.Output, nil)
	out := r.res.Output
	return nil, extract.WriteDir(r.stage, map[string][]byte{"README.md": out.Files["README.md"], manifest.Path: out.Files[manifest.Path]}, nil)
}

// explain points the problems met in libraries at the cells that use them, and says what
// names the library versions in use lack.
func (r *run) explain(probs []extract.Problem) {
	r.res.Plan.LocateDependencyProblems(probs, r.modules)
	r.res.Plan.ExplainUndefined(probs, r.modules)
	extract.ExplainEmptyFiles(probs)
}

// verifyError records located problems and returns them as the run's error, with the hint
// that fits them: the module context for build and vet errors, the environment for tests.
func (r *run) verifyError(probs []extract.Problem) *VerifyError {
	r.res.Problems = probs
	verr := &VerifyError{Problems: probs, Versions: r.apiVersions}
	if slices.ContainsFunc(probs, func(p extract.Problem) bool { return p.Step == "build" || p.Step == "vet" }) {
		// Once the API search has chosen versions, its notes say what the service was
		// verified against; the module context's hint would name the versions it left.
		if len(r.apiVersions) == 0 {
			verr.Hint = r.modules.BuildHint()
		}
	} else {
		verr.Hint = r.res.Plan.TestEnvHint(os.LookupEnv)
	}
	return verr
}

// refactor runs the chosen refactorings on the staged service and folds the changed files
// into the output.
func (r *run) refactor() error {
	ctx, cancel := r.budget(StageRefactor)
	defer cancel()
	r.progress("refactoring the service (%s), each change verified...", strings.Join(r.opts.Refactor, ", "))
	// The verify stage has just checked the staged service: the refactorings do not check it
	// again before their first change.
	verified := !r.opts.NoVerify && !r.opts.DryRun
	res, err := refactor.Run(ctx, r.stage, refactor.Options{Passes: r.opts.Refactor, NoVerify: r.opts.NoVerify, Short: r.vopts.Short, Verified: verified, Env: r.vopts.Env})
	if r.overBudget(StageRefactor, ctx, "refactoring") {
		return nil
	}
	if err != nil {
		// A refactoring met an error of the service itself (with --no-verify, the first
		// stage to build it): name the cells it comes from.
		probs := extract.Locate(r.stage, r.res.Output, "refactor", []byte(err.Error()))
		r.explain(probs)
		located := false
		for _, p := range probs {
			located = located || p.Cell >= 0
		}
		if !located {
			return fmt.Errorf("refactoring the extracted service: %w", err)
		}
		if r.opts.NoVerify {
			var lines []string
			for _, p := range probs {
				lines = append(lines, p.String())
			}
			r.res.Skipped = append(r.res.Skipped, Skip{StageRefactor, "the service does not build, so it cannot be refactored: " + strings.Join(lines, "; ")})
			return nil
		}
		return r.verifyError(probs)
	}
	if err := refactor.WriteFiles(r.stage, res.Files); err != nil {
		return err
	}
	r.res.Report().Update(r.res.Output, res.Files)
	r.res.Refactor = res
	return nil
}

// finalize diffs against the branch (dry run) or commits.
func (r *run) finalize() error {
	res := r.res
	if r.opts.DryRun {
		diff, err := dryRunDiff(r.repoDir, res.Branch, res.Output.Files)
		res.Diff = diff
		return err
	}
	msg := r.opts.Message
	if msg == "" {
		msg = CommitMessage(res.Plan)
	}
	// A new repository gets a main branch at the same commit, checked out, so later
	// extractions move only the decant branch and the user merges it when ready. Publish
	// creates it whole or not at all.
	c, err := publish.Publish(r.repoDir, publish.Files(res.Output.Files),
		publish.Options{Branch: res.Branch, Message: msg, Author: r.opts.Author, Exec: res.Output.Exec, Force: r.opts.Force, Marker: manifest.Path})
	if err != nil {
		return r.explainDestination(err)
	}
	res.Commit, res.Created = c, c.Created
	return nil
}

func dryRunDiff(repoDir, branch string, files map[string][]byte) (string, error) {
	if _, err := os.Stat(filepath.Join(repoDir, ".git")); err != nil {
		return udiff.Files(nil, files), nil
	}
	repo, _, err := publish.Open(repoDir)
	if err != nil {
		return "", err
	}
	return publish.Diff(repo, branch, publish.Files(files))
}

// CommitMessage summarizes an extraction: what was extracted from which notebook, and the
// notebook's hash.
func CommitMessage(p *extract.Plan) string {
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
