package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/internal/gocmd"
	"github.com/decant-go/decant/internal/modcache"
	"github.com/decant-go/decant/internal/safefile"
)

// This file is the edge of the package: it writes the rendered files to a directory and runs the
// go command there. Everything else in the package is pure.

// WriteDir writes files under dir, creating directories. Each file is written to a temporary name
// and renamed, so no file is ever half-written.
func WriteDir(dir string, files map[string][]byte, exec map[string]bool) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
		mode := os.FileMode(0o644)
		if exec[n] {
			mode = 0o755
		}
		// Generated files: the mode is the generator's, not what a previous run left.
		if err := safefile.Write(p, files[n], safefile.Options{Perm: mode, ForcePerm: true}); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
	}
	return nil
}

// Problem is a failure of the verify step, mapped back to the notebook where possible.
type Problem struct {
	Step     string // tidy, gofmt, build, vet, test
	File     string // generated file, slash path
	Line     int
	Cell     int // -1 when it maps to no cell
	CellLine int
	Msg      string
	// Replayed says the cell is the step the emitted test was replaying when it failed
	// (found by the test's replay markers), not a line the failure names.
	Replayed bool
	// Replaying is the pipeline step the emitted test was replaying when it failed, as its
	// replay markers say; "" for other steps and failures before any step.
	Replaying string
	// Frames is the stack of the goroutine that panicked, innermost first, when the failure
	// is a panic whose trace go test printed; the classifier of failed replays reads it (see
	// [Plan.ConsequentRunNeeds]).
	Frames []Frame
}

// Frame is one frame of a panic's goroutine trace: the function, as the trace names it
// ("github.com/gomlx/gomlx/ml/model.MustCallOnceN[...]"), and its file and line.
type Frame struct {
	Func string
	File string
	Line int
}

func (p Problem) String() string {
	loc := p.Step
	if p.File != "" {
		loc += ": " + p.File
		if p.Line > 0 {
			loc += ":" + strconv.Itoa(p.Line)
		}
	}
	if p.Cell >= 0 {
		loc += fmt.Sprintf(" (cell %d, line %d)", p.Cell, p.CellLine)
	}
	return loc + ": " + p.Msg
}

// VerifyOptions configures Tidy and Verify.
type VerifyOptions struct {
	Go      string   // the go command; default "go"
	Env     []string // extra environment
	NoTests bool     // skip go test
	Short   bool     // pass -short to go test
	// CgoNeeded, if not nil, is set when the service builds only with cgo (a library has cgo
	// code): verification then ran with CGO_ENABLED=1.
	CgoNeeded *bool
	// VetFixed, if not nil, lets Verify apply the fixes go vet suggests (one per diagnostic) to
	// the service and its Output, and receives them.
	VetFixed *[]VetFix

	cgoTried bool
}

// needsCgo reports whether a failed static build in dir looks like a library's cgo code left
// out: build constraints that exclude every file, or undefined names inside the module cache.
func needsCgo(dir string, out []byte) bool {
	text := string(out)
	if strings.Contains(text, "build constraints exclude all Go files") {
		return true
	}
	for _, m := range diagRE.FindAllStringSubmatch(text, -1) {
		if inModuleCache("", printedPath(dir, m[1])) && strings.HasPrefix(m[3], "undefined: ") {
			return true
		}
	}
	return false
}

// printedPath is a file as the go command run in dir printed it, made absolute when the
// command printed it relative to dir: it does so for a file outside dir (a module cache
// other than ~/go/pkg/mod, such as GOMODCACHE=/tmp/mod) when that is shorter.
func printedPath(dir, file string) string {
	if strings.HasPrefix(file, ".."+string(filepath.Separator)) {
		return filepath.Join(dir, file)
	}
	return file
}

func (o VerifyOptions) goCmd() string {
	if o.Go == "" {
		return "go"
	}
	return o.Go
}

func (o VerifyOptions) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, o.goCmd(), args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off"), o.Env...)
	cleanup, err := gocmd.Prepare(cmd)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	return buf.Bytes(), err
}

// Tidy resolves the module's dependencies in dir with `go mod tidy` and returns go.mod and go.sum.
// GoNB resolved modules at whatever version was newest; pins from the notebook are kept.
//
// It resolves from the module cache first, offline; only when that fails does it ask the proxy,
// with the cache still in front of it (some proxies answer 403 for version lists, for modules
// such as GoNB's own, that the cache can answer).
func Tidy(ctx context.Context, dir string, opts VerifyOptions) (gomod, gosum []byte, err error) {
	// The module cache first, offline: what the author's machine (and GoNB) had is there, and
	// asking the proxy for every module costs seconds. Modules in the cache were checked against
	// the checksum database when they were downloaded.
	var out []byte
	err = errors.New("no module cache")
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		cache = modCache(ctx, opts)
	}
	if cache != "" {
		offline := opts
		offline.Env = append([]string{"GOPROXY=" + cacheProxy(cache), "GOSUMDB=off", "GOTOOLCHAIN=local"}, opts.Env...)
		out, err = offline.run(ctx, dir, "mod", "tidy")
		if err != nil {
			// Only what is missing comes from the proxy, with the cache still in front of it
			// (some proxies refuse version lists that the cache can answer).
			online := opts
			online.Env = append([]string{"GOPROXY=" + cacheProxy(cache) + "," + goEnv(ctx, opts, "GOPROXY")}, opts.Env...)
			out, err = online.run(ctx, dir, "mod", "tidy")
		}
	} else {
		out, err = opts.run(ctx, dir, "mod", "tidy")
	}
	if err != nil {
		return nil, nil, &TidyError{Output: strings.TrimSpace(string(out)), Err: err}
	}
	gomod, err = os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading go.mod after tidy: %w", err)
	}
	gosum, err = os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, fmt.Errorf("reading go.sum after tidy: %w", err)
	}
	return gomod, gosum, nil
}

var diagRE = regexp.MustCompile(`(?m)^(?:vet: )?(?:\./)?([^\s:]+\.go):(\d+)(?::\d+)?:\s*(.*)$`)

// stackRE finds the frames of a panic's stack trace: a tab, an absolute file path and a line.
var stackRE = regexp.MustCompile(`(?m)^\t(/\S+\.go):(\d+)`)

// Verify checks the written repository: gofmt, go build, go vet and go test. Failures are
// returned as problems located in the notebook through out's spans.
// Locate reads the go command's output of a step run in dir (build, vet, test, or a
// refactoring's package loading) and returns its problems located in the notebook through
// out's spans: file:line diagnostics, else the first frame of a panic inside the service.
func Locate(dir string, out *Output, step string, text []byte) []Problem {
	var probs []Problem
	found := false
	for _, m := range diagRE.FindAllSubmatch(text, -1) {
		path := printedPath(dir, string(m[1]))
		file := filepath.ToSlash(path)
		if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
			file = filepath.ToSlash(rel)
		}
		if _, ok := out.Files[file]; !ok {
			// Package loaders name a file relative to its package directory, and the
			// refactorings work in copies of dir elsewhere.
			file = out.generatedFile(file)
		}
		line, _ := strconv.Atoi(string(m[2]))
		p := Problem{Step: step, File: file, Line: line, Cell: -1, Msg: string(m[3])}
		if c, cl, _, ok := out.Locate(file, line); ok {
			p.Cell, p.CellLine = c, cl
		}
		probs = append(probs, p)
		found = true
	}
	if !found {
		// A panic: point at the first frame inside the service that maps to a cell.
		msg := strings.TrimSpace(string(text))
		if i := strings.Index(msg, "panic: "); i >= 0 {
			msg = msg[i:]
			if nl := strings.Index(msg, "\n"); nl >= 0 {
				msg = msg[:nl]
			}
		} else {
			msg = causeFirst(msg)
		}
		p := Problem{Step: step, Cell: -1, Msg: msg}
		for _, m := range stackRE.FindAllSubmatch(text, -1) {
			rel, err := filepath.Rel(dir, string(m[1]))
			if err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			line, _ := strconv.Atoi(string(m[2]))
			if c, cl, _, ok := out.Locate(filepath.ToSlash(rel), line); ok {
				p.File, p.Line, p.Cell, p.CellLine = filepath.ToSlash(rel), line, c, cl
				break
			}
		}
		if p.Cell < 0 {
			// No frame in the service: name the deepest frame of a library (the module cache),
			// which the caller can point at the cell importing it.
			for _, m := range stackRE.FindAllSubmatch(text, -1) {
				if f := string(m[1]); inModuleCache("", f) {
					p.File = f
					p.Line, _ = strconv.Atoi(string(m[2]))
					break
				}
			}
		}
		if p.Cell < 0 {
			// No frame at all, or only a library's: the step the test was replaying (a step
			// that ends the process, through log.Fatal or os.Exit, leaves no stack).
			if c, l, ok := lastReplayed(text); ok {
				p.Cell, p.CellLine, p.Replayed = c, l, true
			}
			if !strings.Contains(msg, "panic: ") {
				p.Msg = failureLines(msg)
			}
		}
		probs = append(probs, p)
	}
	if step == "test" && !found && len(probs) == 1 {
		probs[0].Frames = panicFrames(string(text))
	}
	if step == "test" {
		if name, _, _, ok := lastReplayedStep(text); ok {
			for i := range probs {
				probs[i].Replaying = name
			}
		}
	}
	return probs
}

// VerifyEnv returns the notebook's %env settings for the commands that verify the service,
// as GoNB's kernel process had them. A variable already set in Decant's environment wins, as
// it does in the service's Makefile, so a machine can choose (a backend, an endpoint) without
// editing the notebook; the report says so. lookup is os.LookupEnv outside tests.
func (p *Plan) VerifyEnv(lookup func(string) (string, bool)) (env []string, notes []Decision) {
	for _, kv := range p.Env {
		if toolchainEnv[kv[0]] {
			continue // how the go command builds is the verification's to decide
		}
		if cur, ok := lookup(kv[0]); ok {
			if cur != kv[1] {
				notes = append(notes, Decision{Cell: -1, Subject: "%env " + kv[0], Action: "warning",
					Reason: fmt.Sprintf("verified with %s=%s from the environment, not the notebook's %s", kv[0], cur, kv[1])})
			}
			continue
		}
		env = append(env, kv[0]+"="+kv[1])
	}
	return env, notes
}

// TestEnvHint explains, for a service whose tests fail, which of the notebook's %env settings
// they ran with, since those often choose what a machine may lack (a backend, a device, an
// endpoint), and that the environment overrides them. It returns "" when there are none.
func (p *Plan) TestEnvHint(lookup func(string) (string, bool)) string {
	var set []string
	for _, kv := range p.Env {
		if _, overridden := lookup(kv[0]); !overridden && !toolchainEnv[kv[0]] {
			set = append(set, kv[0]+"="+kv[1])
		}
	}
	if len(set) == 0 {
		return ""
	}
	return fmt.Sprintf("the tests ran with the notebook's %%env %s; set a variable in the environment to verify with another value", strings.Join(set, ", "))
}

// toolchainEnv are the go command's settings that verification controls itself (module mode,
// proxies, caches, target): a notebook's %env of them stays in the Makefile only.
var toolchainEnv = map[string]bool{
	"GOFLAGS": true, "GOWORK": true, "GOPROXY": true, "GOSUMDB": true, "GOTOOLCHAIN": true,
	"GOOS": true, "GOARCH": true, "GOMODCACHE": true, "GOCACHE": true, "GOPATH": true,
	"GOROOT": true, "GOBIN": true, "GOENV": true, "CGO_ENABLED": true,
}

// goTestNoiseRE matches the lines go test prints about packages and tests, not about a failure.
var goTestNoiseRE = regexp.MustCompile(`^(\?\s+\S+\s+\[no test files\]|ok\s+\S+.*|FAIL(\s+\S+.*)?|=== (RUN|PAUSE|CONT)\s.*|--- (FAIL|PASS|SKIP):.*|PASS|exit status \d+)$`)

// logPrefixRE matches what the log package (date and time) or klog (severity, date, time,
// thread and file:line]) puts before a message.
var logPrefixRE = regexp.MustCompile(`^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? |[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\]\s]+\] )`)

// causeFirst moves the first line of a failed test's output that says what went wrong (a
// log.Fatal message, an error) to the front, so the one-line summary names the cause rather
// than go test's "[no test files]" lines for the other packages.
func causeFirst(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || goTestNoiseRE.MatchString(t) || strings.HasPrefix(t, ReplayMarker) {
			continue // the replay markers say where, not why
		}
		cause := logPrefixRE.ReplaceAllString(t, "")
		rest := append(append([]string(nil), lines[:i]...), lines[i+1:]...)
		return cause + "\n" + strings.Join(rest, "\n")
	}
	return out
}

var replayedRE = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(ReplayMarker) + ` (\S+) \(cell (\d+), line (\d+)\)$`)

// lastReplayed returns the cell and line of the last step a test's output says it replayed.
func lastReplayed(text []byte) (cell, line int, ok bool) {
	_, cell, line, ok = lastReplayedStep(text)
	return cell, line, ok
}

// lastReplayedStep returns the name, cell and line of the last step a test's output says it
// replayed.
func lastReplayedStep(text []byte) (name string, cell, line int, ok bool) {
	all := replayedRE.FindAllSubmatch(text, -1)
	if len(all) == 0 {
		return "", 0, 0, false
	}
	m := all[len(all)-1]
	cell, _ = strconv.Atoi(string(m[2]))
	line, _ = strconv.Atoi(string(m[3]))
	return string(m[1]), cell, line, true
}

// failureLines keeps what a failed go test printed about the failure: not the go command's
// package summaries, the test framework's headers or the replay markers.
func failureLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "", t == "FAIL", t == "PASS", strings.HasPrefix(t, "?"), strings.HasPrefix(t, "ok "), strings.HasPrefix(t, "ok\t"),
			strings.HasPrefix(t, "FAIL\t"), strings.HasPrefix(t, "=== "), strings.HasPrefix(t, "--- "),
			strings.HasPrefix(t, ReplayMarker), strings.HasPrefix(t, "exit status "):
			continue
		}
		keep = append(keep, t)
	}
	if len(keep) == 0 {
		return strings.TrimSpace(out)
	}
	if len(keep) > 5 {
		// The first line (causeFirst puts the cause there) and the last ones.
		keep = append(keep[:1], keep[len(keep)-4:]...)
	}
	return strings.Join(keep, "\n")
}

func Verify(ctx context.Context, dir string, out *Output, opts VerifyOptions) []Problem {
	if !opts.cgoTried && !slices.ContainsFunc(opts.Env, func(kv string) bool { return strings.HasPrefix(kv, "CGO_ENABLED=") }) {
		// Static first, as the service's Makefile builds (and its image test checks), whatever
		// this machine's default is: a library that needs cgo is found below, not in production.
		opts.Env = append(append([]string(nil), opts.Env...), "CGO_ENABLED=0")
	}
	var probs []Problem
	locate := func(step string, text []byte) {
		probs = append(probs, Locate(dir, out, step, text)...)
	}
	var unformatted []string
	for name, data := range out.Files {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		if formatted, err := formatGo(data); err != nil || !bytes.Equal(formatted, data) {
			unformatted = append(unformatted, name)
		}
	}
	sort.Strings(unformatted)
	for _, n := range unformatted {
		probs = append(probs, Problem{Step: "gofmt", File: n, Cell: -1, Msg: "not gofmt-formatted"})
	}
	if o, err := opts.run(ctx, dir, "build", "./..."); err != nil {
		// Libraries that need cgo (GoMLX's XLA bindings, tokenizers) do not build static:
		// try again with cgo, and if that builds, verify the rest with it and say so.
		withCgo := opts
		withCgo.Env = append(append([]string(nil), opts.Env...), "CGO_ENABLED=1")
		if !opts.cgoTried && needsCgo(dir, o) {
			o2, err2 := withCgo.run(ctx, dir, "build", "./...")
			if err2 == nil {
				withCgo.cgoTried = true
				if opts.CgoNeeded != nil {
					*opts.CgoNeeded = true
				}
				return append(probs, Verify(ctx, dir, out, withCgo)...)
			}
			o = o2 // with cgo, the error names what is missing (a C header or library)
		}
		locate("build", o)
		return probs // vet and test would repeat the same errors
	}
	o, err := opts.run(ctx, dir, "vet", "./...")
	if err != nil && opts.VetFixed != nil {
		// Diagnostics with one suggested fix (printf's "%s" for a computed format string) are
		// fixed with vet's own edits; the others remain problems.
		if fixes := fixVet(ctx, dir, out, opts); len(fixes) > 0 {
			*opts.VetFixed = append(*opts.VetFixed, fixes...)
			o, err = opts.run(ctx, dir, "vet", "./...")
		}
	}
	if err != nil {
		locate("vet", o)
	}
	if hasWasm(out) {
		// The browser programs of %wasm cells build only for js/wasm: ./... above skipped them.
		js := opts
		js.Env = append(append([]string(nil), opts.Env...), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
		if o, err := js.run(ctx, dir, "build", "./"+wasmDir+"/..."); err != nil {
			locate("build (js/wasm)", o)
		} else if o, err := js.run(ctx, dir, "vet", "./"+wasmDir+"/..."); err != nil {
			locate("vet (js/wasm)", o)
		}
	}
	if !opts.NoTests {
		// A step that waits for the notebook (a widget, an input) must not hang the check.
		args := []string{"test", "-count=1", "-timeout=3m"}
		if opts.Short {
			args = append(args, "-short")
		}
		if o, err := opts.run(ctx, dir, append(args, "./...")...); err != nil {
			// go test runs part of vet first: a finding vet reported above is not repeated.
			vetted := len(probs)
			locate("test", o)
			probs = append(probs[:vetted], slices.DeleteFunc(probs[vetted:], func(t Problem) bool {
				return slices.ContainsFunc(probs[:vetted], func(v Problem) bool {
					return v.Step == "vet" && v.File == t.File && v.Line == t.Line && v.Msg == t.Msg
				})
			})...)
		}
	}
	return probs
}

// hasWasm reports whether out holds browser programs (see wasm.go).
func hasWasm(out *Output) bool {
	for name := range out.Files {
		if strings.HasPrefix(name, wasmDir+"/") && strings.HasSuffix(name, ".go") {
			return true
		}
	}
	return false
}

func formatGo(src []byte) ([]byte, error) { return format.Source(src) }

// TidyError is a failure to resolve the service's module versions.
type TidyError struct {
	Output string
	Err    error
}

func (e *TidyError) Error() string {
	return "resolving module versions (go mod tidy): " + e.Err.Error() + "\n" + e.Output
}

func (e *TidyError) Unwrap() error { return e.Err }

func goEnv(ctx context.Context, opts VerifyOptions, key string) string {
	cmd := exec.CommandContext(ctx, opts.goCmd(), "env", key)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func cacheProxy(cache string) string { return modcache.Proxy(cache) }

func modCache(ctx context.Context, opts VerifyOptions) string {
	return goEnv(ctx, opts, "GOMODCACHE")
}

// ExplainTidy points a module resolution failure at the cells that asked for the modules it
// names: the !*go get pins and the imports.
func (p *Plan) ExplainTidy(err error) error {
	var te *TidyError
	if !errors.As(err, &te) {
		return err
	}
	var notes []string
	for _, d := range p.Decisions {
		if !strings.HasPrefix(d.Subject, "!*go get") {
			continue
		}
		for _, f := range strings.Fields(strings.TrimPrefix(d.Subject, "!*go get")) {
			mod, _, _ := strings.Cut(f, "@")
			if mod != "" && !strings.HasPrefix(f, "-") && strings.Contains(te.Output, mod) {
				note := fmt.Sprintf("cell %d, line %d: %s", d.Cell, d.Line, d.Subject)
				if refused := proxyRefusedFor(te.Output, mod); refused != "" {
					// With no copy in the module cache, the proxy is the only source; say it
					// refused, so the cause is on the cell's own line.
					note += ": " + refused + "; or pass --pin " + mod + "@VERSION (a version it serves)"
				}
				notes = append(notes, note)
			}
		}
	}
	cells := make([]int, 0, len(p.cellImports))
	for c := range p.cellImports {
		cells = append(cells, c)
	}
	sort.Ints(cells)
	for _, c := range cells {
		for _, imp := range p.cellImports[c] {
			if strings.Contains(te.Output, imp.Path) {
				note := fmt.Sprintf("cell %d: import %q", c, imp.Path)
				if refused := proxyRefusedFor(te.Output, imp.Path); refused != "" {
					note += ": " + refused
				}
				notes = append(notes, note)
			}
		}
	}
	if len(notes) == 0 {
		return err
	}
	return fmt.Errorf("%s: the modules these cells ask for could not be resolved:\n\t%s\n%w", p.Notebook, strings.Join(dedupe(notes), "\n\t"), err)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// OutputCheck is the result of comparing one %% cell's saved output with its step's.
type OutputCheck struct {
	Cell  int
	Step  string
	Match bool
	// NotRun is a step the golden test never reached: an earlier step's panic ended it, and
	// Detail says which, in one line.
	NotRun bool
	Detail string
}

// CompareOutputs runs the emitted golden test in dir: each %% cell's pipeline step must print
// what the notebook saved for that cell. Steps without saved output are not listed.
func CompareOutputs(ctx context.Context, dir string, plan *Plan, opts VerifyOptions) ([]OutputCheck, error) {
	out, err := opts.run(ctx, dir, "test", "-count=1", "-run", "^TestNotebookOutputs$", "-v", "./"+plan.Slug)
	text := string(out)
	if err != nil && environmental(text, dir) {
		// A step could not run here (no network, no plugin): nothing was compared, and
		// nothing differed. The verify stage decides what that means for the service.
		return nil, &ReplayEnvError{Test: "the notebook's golden test", Output: out}
	}
	if err != nil && !strings.Contains(text, "--- FAIL: TestNotebookOutputs") {
		return nil, fmt.Errorf("running the notebook's golden test: %w\n%s", err, text)
	}
	if strings.Contains(text, "--- SKIP: TestNotebookOutputs ") {
		// The test says why it cannot compare (init functions, files only shell lines write):
		// no cell was compared, and none differed.
		return nil, nil
	}
	return goldenChecks(text, plan.Steps), nil
}

// goldenChecks reads the golden test's verbose output: one check per kept step with saved
// output, matched, differing (with the test's account of the difference), or not run. A step
// that did not run says why in one line: the step whose failure (a panic ends the test
// binary) stopped the test before it, or else the test's last line.
func goldenChecks(text string, steps []*Step) []OutputCheck {
	var checks []OutputCheck
	stopped := ""
	for _, st := range steps {
		if !st.Kept || !st.Golden {
			continue
		}
		c := OutputCheck{Cell: st.Cell, Step: st.Name}
		pass := "--- PASS: TestNotebookOutputs/" + st.Name + " "
		fail := "--- FAIL: TestNotebookOutputs/" + st.Name + " "
		switch {
		case strings.Contains(text, pass):
			c.Match = true
		case strings.Contains(text, fail):
			i := strings.Index(text, fail)
			rest := text[i+len(fail):]
			if j := strings.Index(rest, "\n    --- "); j >= 0 {
				rest = rest[:j]
			}
			if j := strings.Index(rest, "\n--- "); j >= 0 {
				rest = rest[:j]
			}
			if nl := strings.Index(rest, "\n"); nl >= 0 {
				rest = rest[nl+1:]
			}
			c.Detail = strings.TrimSpace(rest)
			// The last failure before a step that did not run is the one that stopped it.
			stopped = fmt.Sprintf("the golden test stopped when step %s (cell %d) failed", st.Name, st.Cell)
			if i := strings.Index(text, "panic: "); i >= 0 {
				stopped += " with " + firstLine(text[i:])
			}
		default:
			why := stopped
			if why == "" {
				why = "the golden test ended before it: " + lastLines(text, 1)
			}
			c.NotRun, c.Detail = true, why
		}
		checks = append(checks, c)
	}
	return checks
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// CheckReproducible runs the emitted reproducibility tests in dir and, for each lazy value
// whose two computations differ, leaves its test out with a warning: the notebook computes it
// from randomness or outside state, so the service serves a different value in each process.
// It returns a decision per dropped test; the caller renders the tests again when there are any.
func CheckReproducible(ctx context.Context, dir string, plan *Plan, opts VerifyOptions) ([]Decision, error) {
	out, err := opts.run(ctx, dir, "test", "-count=1", "-run", "Reproducible$", "-v", "./"+plan.Slug)
	text := string(out)
	if err != nil && environmental(text, dir) {
		// Computing a value failed for want of what this machine lacks (a download): that
		// says nothing of whether two computations agree, so no test is dropped.
		return nil, &ReplayEnvError{Test: "the reproducibility tests", Output: out}
	}
	if err != nil && !strings.Contains(text, "--- FAIL: Test") {
		return nil, nil // a build failure: Verify reports it against the cells
	}
	var dropped []Decision
	for _, d := range plan.Decls {
		if !d.Kept || d.lazyInit == "" || d.notReproducible != "" {
			continue
		}
		if !strings.Contains(text, "--- FAIL: Test"+exportName(d.Names[0])+"Reproducible ") {
			continue
		}
		d.notReproducible = "two computations differ"
		dropped = append(dropped, Decision{Cell: d.Cell, Line: d.Line, Subject: "var " + d.Key, Action: "warning",
			Reason: "computing it twice gives different values (randomness or outside state): each process of the service will hold a different value; no reproducibility test was emitted"})
	}
	return dropped, nil
}

// generatedFile returns the generated file that p names: p itself, the one file whose path
// p ends with (p absolute, in a copy of the service), or the one file named p (p a base name).
// It returns p when none or several match.
func (o *Output) generatedFile(p string) string {
	found := ""
	for name := range o.Files {
		if strings.HasSuffix(p, "/"+name) || !strings.Contains(p, "/") && path.Base(name) == p {
			if found != "" && len(name) <= len(found) {
				continue
			}
			found = name
		}
	}
	if found == "" {
		return p
	}
	return found
}
