package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/tsenart/vegeta/v12/lib/plot"

	"github.com/spf13/pflag"

	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/service/loadtest"
	"github.com/decant-go/decant/service/score"
)

// serviceCommands lists the commands that check an extracted service: load and score.
func serviceCommands() []command {
	return []command{
		{"load", "load-test an extracted service on the loopback interface at a constant rate", runLoad},
		{"score", "check the ML Test Score items a service repository can show, with their evidence", runScore},
	}
}

type loadOptions struct {
	url, repo, spec string
	rate            int
	duration        time.Duration
	requests        int
	timeout         time.Duration
	fuzz            int
	seed            uint64
	goodOnly        bool
	ops             bool
	modelURL        string
	plot            string
	baseline        string
	update          bool
	ratio           float64
	jsonOut         bool
}

func bindLoadFlags(o *loadOptions, env Env) *pflag.FlagSet {
	fs := newFlags("load", "decant load [flags] (--url http://127.0.0.1:PORT | --repo DIR)", env)
	fs.StringVar(&o.url, "url", "", "base URL of a running service; loopback addresses only")
	fs.StringVar(&o.repo, "repo", "", "service repository: build and start its cmd/server on a free loopback port, test it, stop it")
	fs.StringVar(&o.spec, "spec", "", "OpenAPI document to build requests from (default openapi.json in --repo, else in the current directory)")
	fs.IntVar(&o.rate, "rate", 50, "requests per second")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long to send requests")
	fs.IntVar(&o.requests, "requests", 0, "stop after this many requests (default rate × duration)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.IntVar(&o.fuzz, "fuzz", 0, "add this many fuzzed requests (mutated queries and bodies), which must never get a 5xx")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the fuzzed requests")
	fs.BoolVar(&o.goodOnly, "good-only", false, "send only the example requests, not the bad ones")
	fs.BoolVar(&o.ops, "ops", false, "also send requests to the operational routes /healthz, /readyz and /metrics")
	fs.StringVar(&o.modelURL, "model-url", "", "with --repo: the trained artifact the server starts from (default: run the batch command's train into a temporary directory first)")
	fs.StringVar(&o.plot, "plot", "", "write Vegeta's HTML latency plot to this file")
	fs.StringVar(&o.baseline, "baseline", "", "baseline file: written if missing, else compared against (a regression exits 1)")
	fs.BoolVar(&o.update, "update-baseline", false, "overwrite the --baseline file with this run")
	fs.Float64Var(&o.ratio, "threshold", 0.25, "latency regression threshold, as a fraction of the baseline (plus 1 ms)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	return fs
}

func runLoad(ctx context.Context, args []string, env Env) error {
	var o loadOptions
	fs := bindLoadFlags(&o, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if (o.url == "") == (o.repo == "") {
		return usagef("give exactly one of --url and --repo")
	}
	if o.modelURL != "" && o.repo == "" {
		return usagef("--model-url needs --repo")
	}
	if o.update && o.baseline == "" {
		return usagef("--update-baseline needs --baseline")
	}
	if o.ratio <= 0 {
		return usagef("--threshold must be positive")
	}
	lo := loadtest.Options{Rate: o.rate, Duration: o.duration, MaxRequests: o.requests, Timeout: o.timeout}
	if _, err := loadtestCheck(lo); err != nil {
		return usagef("%v", err)
	}
	if o.url != "" {
		if _, err := loadtest.CheckLoopback(o.url); err != nil {
			return usagef("%v", err)
		}
	}
	var spec []byte
	if o.spec != "" {
		b, err := os.ReadFile(resolve(env, o.spec))
		if err != nil {
			return fmt.Errorf("reading the API document: %w", err)
		}
		spec = b
	}
	base := o.url
	if o.repo != "" {
		fmt.Fprintf(env.Stderr, "building and starting %s/cmd/server...\n", o.repo)
		srv, err := loadtest.Start(ctx, resolve(env, o.repo), loadtest.ServerOptions{Stderr: env.Stderr, ModelURL: o.modelURL})
		if err != nil {
			return err
		}
		defer srv.Stop()
		base = srv.URL
		if spec == nil {
			spec = srv.Spec
		}
	}
	if spec == nil {
		b, err := os.ReadFile(resolve(env, "openapi.json"))
		if err != nil {
			return fmt.Errorf("reading the API document (give --spec or --repo): %w", err)
		}
		spec = b
	}
	targets, err := loadtest.Targets(spec, loadtest.TargetOptions{Fuzz: o.fuzz, Seed: o.seed, GoodOnly: o.goodOnly, Ops: o.ops})
	if err != nil {
		return err
	}
	var p *plot.Plot
	if o.plot != "" {
		p = plot.New(plot.Title("decant load " + base))
		lo.Result = func(r *vegeta.Result) { p.Add(r) }
	}
	fmt.Fprintf(env.Stderr, "sending %d kinds of request to %s at %d/s for up to %s...\n", len(targets), base, o.rate, o.duration)
	rep, err := loadtest.Run(ctx, base, targets, lo)
	if err != nil {
		return err
	}
	if p != nil {
		p.Close()
		var buf bytes.Buffer
		if _, err := p.WriteTo(&buf); err != nil {
			return fmt.Errorf("drawing the latency plot: %w", err)
		}
		if err := safefile.WriteFile(resolve(env, o.plot), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the latency plot: %w", err)
		}
	}
	if o.jsonOut {
		js, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := writeJSON(env, "load", js); err != nil {
			return err
		}
	} else if err := rep.WriteText(env.Stdout); err != nil {
		return err
	}
	failed := rep.Checks.Failed() > 0
	if o.baseline != "" {
		regressed, err := checkBaseline(resolve(env, o.baseline), o, rep, env)
		if err != nil {
			return err
		}
		failed = failed || regressed
	}
	if failed {
		return silentError(ExitProblem)
	}
	return nil
}

// loadtestCheck validates the bounds of a load test before anything starts.
func loadtestCheck(o loadtest.Options) (loadtest.Options, error) {
	switch {
	case o.Rate <= 0 || o.Rate > loadtest.MaxRate:
		return o, fmt.Errorf("--rate must be between 1 and %d", loadtest.MaxRate)
	case o.Duration <= 0 || o.Duration > loadtest.MaxDuration:
		return o, fmt.Errorf("--duration must be positive and at most %v", loadtest.MaxDuration)
	case o.MaxRequests < 0 || o.MaxRequests > loadtest.MaxRequests:
		return o, fmt.Errorf("--requests must be between 0 and %d", loadtest.MaxRequests)
	case o.Timeout <= 0:
		return o, errors.New("--timeout must be positive")
	}
	return o, nil
}

// checkBaseline writes the baseline file if it is missing (or --update-baseline), else compares
// the run against it and reports whether it regressed.
func checkBaseline(path string, o loadOptions, rep *loadtest.Report, env Env) (bool, error) {
	cur := loadtest.BaselineOf(rep)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || o.update {
		if rep.Checks.Failed() > 0 {
			return false, fmt.Errorf("not writing the baseline %s: the run broke %d expectations", o.baseline, rep.Checks.Failed())
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return false, fmt.Errorf("writing the baseline: %w", err)
		}
		if err := safefile.WriteFile(path, cur.Marshal(), 0o644); err != nil {
			return false, fmt.Errorf("writing the baseline: %w", err)
		}
		fmt.Fprintf(env.Stdout, "baseline     wrote %s; commit it so later runs compare against it\n", o.baseline)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading the baseline: %w", err)
	}
	base, err := loadtest.ParseBaseline(raw)
	if err != nil {
		return false, err
	}
	regs := loadtest.Compare(base, cur, loadtest.Tolerance{Ratio: o.ratio})
	if len(regs) == 0 {
		fmt.Fprintf(env.Stdout, "baseline     no regression against %s (p99 %.3fms, was %.3fms)\n", o.baseline, cur.P99, base.P99)
		return false, nil
	}
	fmt.Fprintf(env.Stdout, "baseline     REGRESSED against %s:\n", o.baseline)
	for _, r := range regs {
		fmt.Fprintf(env.Stdout, "  %s\n", r)
	}
	return true, nil
}

type scoreOptions struct {
	jsonOut bool
}

func runScore(ctx context.Context, args []string, env Env) error {
	var o scoreOptions
	fs := newFlags("score", "decant score [flags] DIR", env)
	fs.BoolVar(&o.jsonOut, "json", false, "print the score as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one service repository, got %d arguments", fs.NArg())
	}
	res, err := score.Dir(resolve(env, fs.Arg(0)))
	if err != nil {
		return err
	}
	if o.jsonOut {
		js, err := res.JSON()
		if err != nil {
			return err
		}
		return writeJSON(env, "score", js)
	}
	return res.WriteText(env.Stdout)
}
