package nbrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/notebooks"
)

// Job is one notebook to run.
type Job struct {
	Input string // the notebook file
	// Output is where the executed notebook goes; "" means DefaultOutput(Input).
	// It may equal Input: the file is replaced atomically.
	Output string
	Params []Param
}

// DefaultOutput is name.out.ipynb next to the input name.ipynb.
func DefaultOutput(input string) string {
	return strings.TrimSuffix(input, ".ipynb") + ".out.ipynb"
}

// Kernel is a started kernel; *kernel.Client is one.
type Kernel interface {
	Executor
	Shutdown(ctx context.Context) error
}

// Config configures RunFile and RunFiles. The zero value starts GoNB as
// SpecFinder's zero value finds it, one notebook at a time.
type Config struct {
	// Options apply to every notebook; Options.Progress is replaced by
	// Progress below.
	Options Options
	// Finder picks each notebook's kernel.
	Finder SpecFinder
	// Jobs is how many notebooks RunFiles runs at once (each with its
	// own kernel); below 1 means 1.
	Jobs int
	// Progress, when set, receives the progress of job number job
	// (the index in RunFiles' list, 0 for RunFile).
	Progress func(job int, p Progress)
	// Finished, when set, is called by RunFiles as each job ends.
	Finished func(job int, r *Result)
	// StartTimeout bounds the kernel's startup; 0 means one minute.
	StartTimeout time.Duration
	// KernelLog receives the kernel processes' logs; nil discards them.
	KernelLog io.Writer
	// KeepDebugInfo leaves the Go build flags alone. By default a Go
	// kernel (GoNB) gets GOFLAGS that make it link the cells' programs
	// without DWARF and symbol tables, which takes a quarter off the
	// build GoNB runs for every cell; panics still print full stack
	// traces. Flags the user sets in GOFLAGS (or `go env -w`) win.
	KeepDebugInfo bool
	// Start starts a kernel for spec in the working directory dir, with
	// env added to its environment; nil means kernel.Start. Tests put a
	// fake kernel here.
	Start func(ctx context.Context, spec *kernel.Spec, dir string, env []string) (Kernel, error)
}

// Result is the outcome of one Job.
type Result struct {
	Job
	// Report is nil when the notebook could not be run at all.
	Report    *Report
	Injection *Injection
	Kernel    string // the kernelspec's name
	// Written reports that Output was written (also for failed runs).
	Written bool
	// Err says why the notebook could not be run or written; cell
	// failures are in Report, not here.
	Err error
}

// Failed reports whether the job did not succeed completely.
func (r *Result) Failed() bool { return r.Err != nil || (r.Report != nil && r.Report.Failed()) }

// RunFile reads a notebook, injects its parameters, runs it in a new
// kernel started in the notebook's directory (GoNB and the cells resolve
// relative paths from there), shuts the kernel down and writes the
// executed notebook atomically. The notebook is written even when a cell
// fails or ctx ends, so it shows what happened.
func RunFile(ctx context.Context, job Job, cfg Config) *Result {
	return runFile(ctx, 0, job, cfg)
}

func runFile(ctx context.Context, n int, job Job, cfg Config) *Result {
	if job.Output == "" {
		job.Output = DefaultOutput(job.Input)
	}
	r := &Result{Job: job}
	fail := func(err error) *Result {
		r.Err = err
		return r
	}
	nb, err := notebooks.ParseFileContext(ctx, job.Input)
	if err != nil {
		return fail(err)
	}
	// Failures are reported by the cell's position in the notebook as the user wrote it, not
	// after the injected parameters cell or the error banner.
	inputIndex := make(map[*notebooks.Cell]int, len(nb.Cells))
	for i, c := range nb.Cells {
		inputIndex[c] = i
	}
	if r.Injection, err = InjectParameters(nb, job.Params); err != nil {
		return fail(err)
	}
	finder := cfg.Finder
	if len(finder.SearchFrom) == 0 {
		finder.SearchFrom = []string{"", filepath.Dir(job.Input)}
	}
	spec, err := finder.Spec(ctx, nb)
	if err != nil {
		return fail(err)
	}
	r.Kernel = spec.Name
	dir, err := filepath.Abs(filepath.Dir(job.Input))
	if err != nil {
		return fail(err)
	}
	start := cfg.Start
	if start == nil {
		start = func(ctx context.Context, spec *kernel.Spec, dir string, env []string) (Kernel, error) {
			return kernel.Start(ctx, spec, kernel.StartOptions{Dir: dir, Env: env, Stderr: cfg.KernelLog})
		}
	}
	var env []string
	if !cfg.KeepDebugInfo && spec.Language == "go" {
		env = append(env, "GOFLAGS="+FastGoFlags(currentGoFlags(ctx)))
	}
	st := cfg.StartTimeout
	if st <= 0 {
		st = time.Minute
	}
	sctx, cancel := context.WithTimeout(ctx, st)
	k, err := start(sctx, spec, dir, env)
	cancel()
	if err != nil {
		return fail(err)
	}
	opts := cfg.Options
	opts.InputIndex = func(c *notebooks.Cell) int {
		if i, ok := inputIndex[c]; ok {
			return i
		}
		return -1
	}
	opts.Progress = nil
	if cfg.Progress != nil {
		opts.Progress = func(p Progress) { cfg.Progress(n, p) }
	}
	rep, runErr := Run(ctx, nb, k, opts)
	r.Report = rep
	// Shut down even when ctx has ended: the kernel must not outlive us.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	shutErr := k.Shutdown(dctx)
	cancel()
	if err := setRunMetadata(nb, job, rep); err != nil {
		return fail(err)
	}
	if err := notebooks.WriteFile(job.Output, nb); err != nil {
		return fail(errors.Join(runErr, err))
	}
	r.Written = true
	if runErr != nil {
		return fail(runErr)
	}
	if shutErr != nil && !rep.Failed() {
		// The notebook ran; a kernel that would not stop cleanly is worth
		// a mention but did not spoil the results.
		r.Err = fmt.Errorf("notebook written, but %w", shutErr)
	}
	return r
}

// FastGoFlags adds to GOFLAGS the flags that make `go build` skip debug
// information (-ldflags=-s, -gcflags=-dwarf=false), unless flags already
// set -ldflags or -gcflags.
func FastGoFlags(flags string) string {
	fields := strings.Fields(flags)
	has := func(name string) bool {
		return slices.ContainsFunc(fields, func(f string) bool {
			return f == name || strings.HasPrefix(f, name+"=") || f == "-"+name || strings.HasPrefix(f, "-"+name+"=")
		})
	}
	if !has("-ldflags") {
		fields = append(fields, "-ldflags=-s")
	}
	if !has("-gcflags") {
		fields = append(fields, "-gcflags=-dwarf=false")
	}
	return strings.Join(fields, " ")
}

// currentGoFlags is the GOFLAGS the go command would use: the
// environment's, else the go env file's.
func currentGoFlags(ctx context.Context) string {
	if f, ok := os.LookupEnv("GOFLAGS"); ok {
		return f
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOFLAGS").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// setRunMetadata records the run in the notebook metadata, as papermill
// does under "papermill".
func setRunMetadata(nb *notebooks.Notebook, job Job, rep *Report) error {
	params := map[string]string{}
	for _, p := range job.Params {
		params[p.Name] = p.Value
	}
	return nb.SetMetadata("decant_run", map[string]any{
		"parameters": params,
		"start_time": rep.Start.UTC().Format(timeLayout),
		"end_time":   rep.End.UTC().Format(timeLayout),
		"duration":   rep.End.Sub(rep.Start).Seconds(),
		"exception":  rep.Failed(),
	})
}

// RunFiles runs the jobs, cfg.Jobs at a time, each in its own kernel, and
// returns their results in the order of jobs. Two jobs writing the same
// output file is an error for the later one.
func RunFiles(ctx context.Context, jobs []Job, cfg Config) []*Result {
	results := make([]*Result, len(jobs))
	seen := map[string]int{}
	for i := range jobs {
		if jobs[i].Output == "" {
			jobs[i].Output = DefaultOutput(jobs[i].Input)
		}
		key, err := filepath.Abs(jobs[i].Output)
		if err != nil {
			key = jobs[i].Output
		}
		if j, ok := seen[key]; ok {
			results[i] = &Result{Job: jobs[i], Err: fmt.Errorf("%s would also write %s, the output of %s", jobs[i].Input, jobs[i].Output, jobs[j].Input)}
			continue
		}
		seen[key] = i
	}
	n := max(cfg.Jobs, 1)
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, job := range jobs {
		if results[i] != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = runFile(ctx, i, job, cfg)
			if cfg.Finished != nil {
				cfg.Finished(i, results[i])
			}
		}()
	}
	wg.Wait()
	return results
}
