package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/nbrun"
)

func runCommands() []command {
	return []command{
		{"run", "execute notebooks headless through a kernel (GoNB), with parameters, like papermill", runRun},
		{"kernel-setup", "install the pinned GoNB and goimports and register GoNB's kernelspec", runKernelSetup},
	}
}

type runOptions struct {
	params      []string
	output      string
	inplace     bool
	timeout     time.Duration
	allowErrors bool
	jobs        int
	kernel      string
	kernelLog   string
	quiet       bool
	progress    string // auto, always, never
	debugInfo   bool
	maxOutput   int

	// configure adjusts the run's configuration; tests use it to put a
	// fake kernel in.
	configure func(*nbrun.Config)
}

func bindRunFlags(o *runOptions, env Env) *pflag.FlagSet {
	fs := newFlags("run", "decant run [flags] notebook.ipynb...", env)
	fs.StringArrayVarP(&o.params, "param", "p", nil, "set a parameter: name=value, typed as declared in the cell tagged parameters (repeatable)")
	fs.StringVarP(&o.output, "output", "o", "", "where to write the executed notebook (one notebook only; default <name>.out.ipynb next to it)")
	fs.BoolVar(&o.inplace, "inplace", false, "replace each notebook with its executed version (atomically)")
	fs.DurationVar(&o.timeout, "timeout", 0, "time limit per cell, e.g. 2m; the kernel is interrupted after it (0: none)")
	fs.BoolVar(&o.allowErrors, "allow-errors", false, "go on after a failing cell (the command still exits 1)")
	fs.IntVarP(&o.jobs, "jobs", "j", 1, "run this many notebooks at once, each in its own kernel")
	fs.StringVar(&o.kernel, "kernel", "", "kernelspec to use (default the notebook's; for GoNB, else the version pinned by go.mod)")
	fs.StringVar(&o.kernelLog, "kernel-log", "", "append the kernels' own logs to this file")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only failures")
	fs.StringVar(&o.progress, "progress", "auto", "progress line on stderr: auto (when it is a terminal), always or never")
	fs.IntVar(&o.maxOutput, "max-output", kernel.DefaultMaxStreamBytes, "bytes of each cell's stdout or stderr kept in the notebook: the first and last half, with a note of what was left out (-1: keep all)")
	fs.BoolVar(&o.debugInfo, "debug-info", false, "let GoNB build cells with debug information (slower; by default GOFLAGS gets -ldflags=-s -gcflags=-dwarf=false)")
	return fs
}

func runRun(ctx context.Context, args []string, env Env) error {
	var o runOptions
	fs := bindRunFlags(&o, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	jobs, err := o.jobsFor(fs.Args(), env)
	if err != nil {
		return err
	}
	return runNotebooks(ctx, &o, jobs, env)
}

// jobsFor checks the flags and turns the arguments into jobs.
func (o *runOptions) jobsFor(args []string, env Env) ([]nbrun.Job, error) {
	if len(args) == 0 {
		return nil, usagef("want at least one notebook")
	}
	if o.output != "" && len(args) > 1 {
		return nil, usagef("-o names one output file, but %d notebooks were given", len(args))
	}
	if o.output != "" && o.inplace {
		return nil, usagef("-o and --inplace do not go together")
	}
	if o.jobs < 1 {
		return nil, usagef("--jobs must be at least 1")
	}
	if o.maxOutput < -1 {
		return nil, usagef("--max-output must be positive, or -1 to keep all output")
	}
	if o.timeout < 0 {
		return nil, usagef("--timeout must not be negative")
	}
	switch o.progress {
	case "auto", "always", "never":
	default:
		return nil, usagef("--progress must be auto, always or never, not %q", o.progress)
	}
	var params []nbrun.Param
	for _, p := range o.params {
		pp, err := nbrun.ParseParam(p)
		if err != nil {
			return nil, usagef("-p: %v", err)
		}
		params = append(params, pp)
	}
	var jobs []nbrun.Job
	for _, a := range args {
		in := resolve(env, a)
		j := nbrun.Job{Input: in, Params: params}
		switch {
		case o.inplace:
			j.Output = in
		case o.output != "":
			j.Output = resolve(env, o.output)
			if safefile.Same(in, j.Output) {
				return nil, usagef("-o %s is the notebook being run; use --inplace to replace it", o.output)
			}
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func runNotebooks(ctx context.Context, o *runOptions, jobs []nbrun.Job, env Env) error {
	cfg := nbrun.Config{
		Options: nbrun.Options{Timeout: o.timeout, AllowErrors: o.allowErrors, Now: env.Now, MaxStreamBytes: o.maxOutput},
		Jobs:    o.jobs,
		Finder:  nbrun.SpecFinder{Name: o.kernel},

		KeepDebugInfo: o.debugInfo,
	}
	if env.Dir != "" {
		cfg.Finder.SearchFrom = []string{env.Dir}
	}
	if o.configure != nil {
		o.configure(&cfg)
	}
	if o.kernelLog != "" {
		f, err := os.OpenFile(resolve(env, o.kernelLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("opening the kernel log: %w", err)
		}
		defer f.Close()
		cfg.KernelLog = f
	}
	if o.progress == "always" || (o.progress == "auto" && progressAllowed(env.Stderr, env)) {
		names := make([]string, len(jobs))
		for i, j := range jobs {
			names[i] = j.Input
		}
		width, _ := strconv.Atoi(env.getenv("COLUMNS"))
		bar := nbrun.NewBar(env.Stderr, names, min(max(width, 0), 80))
		bar.SetPlain(plainOutput(env))
		cfg.Progress = bar.Update
		cfg.Finished = func(job int, _ *nbrun.Result) { bar.Finish(job) }
		results := nbrun.RunFiles(ctx, jobs, cfg)
		bar.Close()
		return reportRuns(results, o, env)
	}
	return reportRuns(nbrun.RunFiles(ctx, jobs, cfg), o, env)
}

// reportRuns prints one line per notebook, in the order given, and the
// warnings and failures; any failure makes the exit code 1.
func reportRuns(results []*nbrun.Result, o *runOptions, env Env) error {
	failed := 0
	for _, r := range results {
		name := relTo(env, r.Input)
		if r.Injection != nil {
			for _, w := range r.Injection.Warnings {
				fmt.Fprintf(env.Stderr, "decant run: %s: warning: %s\n", name, w)
			}
		}
		if r.Failed() {
			failed++
		}
		switch {
		case r.Report == nil:
			fmt.Fprintf(env.Stderr, "decant run: %s: %v\n", name, r.Err)
			continue
		case r.Report.Failed():
			rep := r.Report
			fmt.Fprintf(env.Stdout, "FAILED %s -> %s: %d of %d cells run, %d failed, %s\n", name, relTo(env, r.Output),
				rep.Executed, rep.Steps, len(rep.Failures), rep.End.Sub(rep.Start).Round(time.Millisecond))
			for _, f := range rep.Failures {
				fmt.Fprintf(env.Stdout, "  %s\n", f)
			}
		case !o.quiet:
			rep := r.Report
			fmt.Fprintf(env.Stdout, "ok     %s -> %s: %s, %s\n", name, relTo(env, r.Output), cells(rep.Executed),
				rep.End.Sub(rep.Start).Round(time.Millisecond))
		}
		if r.Err != nil {
			fmt.Fprintf(env.Stderr, "decant run: %s: %v\n", name, r.Err)
		}
	}
	if failed > 0 {
		if len(results) > 1 {
			fmt.Fprintf(env.Stderr, "decant run: %d of %d notebooks failed\n", failed, len(results))
		}
		return silentError(ExitProblem)
	}
	return nil
}

func cells(n int) string {
	if n == 1 {
		return "1 cell"
	}
	return fmt.Sprintf("%d cells", n)
}

// relTo shows p relative to the working directory when it is inside it.
func relTo(env Env, p string) string {
	base := env.Dir
	if base == "" {
		var err error
		if base, err = os.Getwd(); err != nil {
			return p
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(base, abs); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return p
}

type kernelSetupOptions struct {
	module  string
	bin     string
	dataDir string
	verbose bool
}

func bindKernelSetupFlags(o *kernelSetupOptions, env Env) *pflag.FlagSet {
	fs := newFlags("kernel-setup", "decant kernel-setup [flags]", env)
	fs.StringVar(&o.module, "module", "", "Go module whose go.mod pins GoNB and goimports with tool directives (default: found from the current directory; without one the pinned versions are installed by version)")
	fs.StringVar(&o.bin, "bin", "", "directory to install the programs into (default $GOBIN, else $GOPATH/bin)")
	fs.StringVar(&o.dataDir, "data-dir", "", "Jupyter data directory for the kernelspec (default $JUPYTER_DATA_DIR, else ~/.local/share/jupyter)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print the commands run and their output")
	return fs
}

func runKernelSetup(ctx context.Context, args []string, env Env) error {
	var o kernelSetupOptions
	fs := bindKernelSetupFlags(&o, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("kernel-setup takes no arguments")
	}
	opts := nbrun.SetupOptions{BinDir: o.bin, DataDir: o.dataDir}
	if o.bin != "" {
		opts.BinDir = resolve(env, o.bin)
	}
	if o.dataDir != "" {
		opts.DataDir = resolve(env, o.dataDir)
	} else if d := env.getenv("JUPYTER_DATA_DIR"); d != "" {
		opts.DataDir = d
	}
	switch {
	case o.module != "":
		opts.ModuleDir = resolve(env, o.module)
	default:
		opts.ModuleDir = nbrun.FindGoNBModule(env.Dir)
	}
	if opts.ModuleDir == "" {
		opts.ByVersion = true
	}
	if o.verbose {
		opts.Log = env.Stderr
	}
	fmt.Fprintf(env.Stderr, "installing GoNB %s and goimports %s (this builds them; it can take a minute)...\n", nbrun.GoNBVersion, nbrun.GoImportsVersion)
	res, err := nbrun.Setup(ctx, opts)
	if err != nil {
		if opts.ByVersion {
			return fmt.Errorf("%w\nwith Decant's source at hand, run it there (or pass --module) to use its tool directives", err)
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "installed %s and %s (%s)\n", res.GoNB, res.GoImports, res.Method)
	fmt.Fprintf(env.Stdout, "registered the kernelspec gonb in %s, with its own copies of both programs\n", res.KernelDir)
	return nil
}
