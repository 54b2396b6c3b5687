//go:build unix

package nbrun

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/notebooks"
)

// Tests against the real GoNB kernel. They skip in -short mode and when
// GoNB can be found neither through the module's tool directive nor as an
// installed kernelspec.

func moduleRoot(t testing.TB) string {
	t.Helper()
	dir := FindGoNBModule("")
	if dir == "" {
		t.Fatal("no go.mod pinning GoNB above the test directory")
	}
	return dir
}

// gonb returns a kernelspec for GoNB: the version pinned by go.mod first,
// else an installed one.
func gonb(t testing.TB) *kernel.Spec {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping GoNB tests in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	spec, toolErr := kernel.GoNBSpec(ctx, moduleRoot(t))
	if toolErr == nil {
		return spec
	}
	if s, err := (SpecFinder{Name: "gonb"}).Spec(ctx, nil); err == nil {
		return s
	}
	t.Skipf("GoNB not available: go tool -n gonb failed (%v) and no usable gonb kernelspec is installed", toolErr)
	return nil
}

func gonbConfig(t testing.TB) Config {
	spec := gonb(t)
	return Config{Finder: SpecFinder{Find: func(string) (*kernel.Spec, error) { return spec, nil }}}
}

// copyTo copies files into dir (the module cache is read-only, and the
// kernel works in the notebook's directory).
func copyTo(t testing.TB, dir string, files ...string) {
	t.Helper()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func gonbExamples(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "github.com", "janpfeifer", "gonb@"+GoNBVersion, "examples", "tests")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("GoNB's examples are not in the module cache: %v", err)
	}
	return dir
}

// texts returns each code cell's stream text.
func texts(nb *notebooks.Notebook) []string {
	var s []string
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		var b strings.Builder
		for _, o := range c.Outputs {
			b.WriteString(o.Text)
		}
		s = append(s, b.String())
	}
	return s
}

func runReal(t *testing.T, job Job, cfg Config) *notebooks.Notebook {
	t.Helper()
	r := RunFile(testCtx(t), job, cfg)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Report.Failed() {
		t.Fatalf("%s failed: %v", filepath.Base(job.Input), r.Report.Failures)
	}
	validateFile(t, r.Output)
	nb, err := notebooks.ParseFile(r.Output)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range nb.Cells {
		if c.Type == "code" {
			if _, ok := c.Metadata("execution"); !ok || c.ExecutionCount == nil {
				t.Errorf("cell %d has no execution count or timing", c.Index)
			}
		}
	}
	return nb
}

func TestGoNBHelloAndFunctions(t *testing.T) {
	cfg := gonbConfig(t)
	src := gonbExamples(t)
	dir := t.TempDir()
	copyTo(t, dir, filepath.Join(src, "hello.ipynb"), filepath.Join(src, "functions.ipynb"))
	res := RunFiles(testCtx(t), []Job{{Input: filepath.Join(dir, "hello.ipynb")}, {Input: filepath.Join(dir, "functions.ipynb")}},
		func() Config { c := cfg; c.Jobs = 2; return c }())
	for _, r := range res {
		if r.Failed() {
			t.Fatalf("%s: err %v, failures %v", r.Input, r.Err, r.Report)
		}
		validateFile(t, r.Output)
	}
	hello, err := notebooks.ParseFile(res[0].Output)
	if err != nil {
		t.Fatal(err)
	}
	got := texts(hello)
	for i, want := range []string{"Hello World!\n", "Works with //gonb:\n", "%exec worked for x=17\n"} {
		if !strings.Contains(got[i+1], want) {
			t.Errorf("hello cell %d printed %q, want %q", i+1, got[i+1], want)
		}
	}
	functions, err := notebooks.ParseFile(res[1].Output)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(functions); !strings.Contains(got[2], "incr: x=2, y=4.14\n") {
		t.Errorf("functions printed %q", got)
	}
}

func TestGoNBDemo(t *testing.T) {
	cfg := gonbConfig(t)
	dir := t.TempDir()
	demo := filepath.Join(moduleRoot(t), "testdata", "demo")
	copyTo(t, dir, filepath.Join(demo, "churn.ipynb"), filepath.Join(demo, "churn.db"))
	// Run from elsewhere: the kernel must still work in the notebook's directory.
	t.Chdir(t.TempDir())
	nb := runReal(t, Job{Input: filepath.Join(dir, "churn.ipynb")}, cfg)
	all := strings.Join(texts(nb), "")
	for _, want := range []string{"loaded ", "train: ", "P(churn | 34y, basic"} {
		if !strings.Contains(all, want) {
			t.Errorf("demo output lacks %q:\n%s", want, all)
		}
	}
}

func TestGoNBParameters(t *testing.T) {
	cfg := gonbConfig(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "params.ipynb")
	nb := newNotebook(t, "md:# Parameters", "var threshold = 0.5\nconst (\n\tlo = 1\n\thi = 10\n)\nvar name = \"a\"\n",
		"%%\nfmt.Println(threshold, lo, hi, name)")
	tag(t, nb.Cells[1], TagParameters)
	if err := notebooks.WriteFile(in, nb); err != nil {
		t.Fatal(err)
	}
	out := runReal(t, Job{Input: in, Params: []Param{{"threshold", "0.75"}, {"hi", "20"}, {"name", "b c"}}}, cfg)
	if got := texts(out); len(got) != 3 || got[2] != "0.75 1 20 b c\n" {
		t.Errorf("printed %q, want the injected values", got)
	}
}

func TestGoNBFailures(t *testing.T) {
	cfg := gonbConfig(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "fail.ipynb")
	nb := newNotebook(t,
		"%%\nfmt.Println(\"first\")",
		"%%\nundefinedThing++",
		"%%\npanic(\"boom\")",
		"%%\ntime.Sleep(time.Hour)",
		"%env KK=1",
		"%%\nfmt.Println(\"after\")")
	if err := notebooks.WriteFile(in, nb); err != nil {
		t.Fatal(err)
	}

	// Without --allow-errors: stop at the compile error.
	r := RunFile(testCtx(t), Job{Input: in}, cfg)
	if r.Err != nil || r.Report == nil || len(r.Report.Failures) != 1 || !r.Report.Stopped {
		t.Fatalf("result %+v, report %+v", r, r.Report)
	}
	if d := r.Report.Failures[0].Detail; d != "line 2: undefined: undefinedThing" {
		t.Errorf("compile error detail = %q", d)
	}
	validateFile(t, r.Output)

	c := cfg
	c.Options = Options{AllowErrors: true, Timeout: 5 * time.Second}
	r = RunFile(testCtx(t), Job{Input: in}, c)
	if r.Err != nil || r.Report == nil {
		t.Fatalf("result %+v", r)
	}
	var statuses []string
	for _, f := range r.Report.Failures {
		statuses = append(statuses, f.Status+" "+f.EName)
	}
	sort.Strings(statuses)
	want := []string{"error RuntimeError", "timeout CellTimeoutError"}
	if len(statuses) != 3 || !slices.Equal(statuses[1:], want) || !strings.HasPrefix(statuses[0], "error ") {
		t.Errorf("failures = %q, want a compile error, %q", statuses, want)
	}
	out, err := notebooks.ParseFile(r.Output)
	if err != nil {
		t.Fatal(err)
	}
	// Stripped builds (FastGoFlags) still give panics their stack traces.
	var trace string
	for _, c := range out.Cells {
		for _, o := range c.Outputs {
			if o.Type == "error" && o.EName == "RuntimeError" {
				trace = strings.Join(o.Traceback, "\n")
			}
		}
	}
	if !strings.Contains(trace, "main.main()") || !strings.Contains(trace, "main.go:") {
		t.Errorf("panic traceback lacks function and line:\n%s", trace)
	}
	if got := texts(out); got[len(got)-1] != "after\n" {
		t.Errorf("the kernel did not go on after the timeout: %q", got)
	}
	validateFile(t, r.Output)
}

// BenchmarkGoNBEnvCell measures what one execute costs through this
// client on a cell GoNB answers without building anything (%env), the
// protocol overhead; jupyter_client takes a median of 1.2 ms here.
func BenchmarkGoNBEnvCell(b *testing.B) {
	spec := gonb(b)
	ctx := context.Background()
	c, err := kernel.Start(ctx, spec, kernel.StartOptions{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown(ctx)
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		res, err := c.Execute(ctx, "%env KK=1", kernel.ExecOptions{})
		samples = append(samples, time.Since(t0))
		if err != nil || res.Status != kernel.StatusOK {
			b.Fatal(err, res.Status)
		}
	}
	b.StopTimer()
	reportQuantiles(b, samples)
}

// BenchmarkGoNBRunEnvCells is the same through Run, with everything a
// notebook run adds per cell (outputs, metadata, progress).
func BenchmarkGoNBRunEnvCells(b *testing.B) {
	spec := gonb(b)
	ctx := context.Background()
	c, err := kernel.Start(ctx, spec, kernel.StartOptions{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown(ctx)
	cells := make([]string, 20)
	for i := range cells {
		cells[i] = "%env KK=1"
	}
	nb := newNotebook(b, cells...)
	var samples []time.Duration
	var start time.Time
	opts := Options{Progress: func(p Progress) {
		if !p.Done {
			start = time.Now()
		} else {
			samples = append(samples, time.Since(start))
		}
	}}
	for b.Loop() {
		rep, err := Run(ctx, nb, c, opts)
		if err != nil || rep.Failed() {
			b.Fatal(err, rep.Failures)
		}
	}
	reportQuantiles(b, samples)
}

func reportQuantiles(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(samples[len(samples)/2]), "median-ms/cell")
	b.ReportMetric(ms(samples[len(samples)*9/10]), "p90-ms/cell")
	b.ReportMetric(ms(samples[0]), "min-ms/cell")
}

func TestSetupFromModule(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds GoNB")
	}
	root := moduleRoot(t)
	tmp := t.TempDir()
	data := filepath.Join(tmp, "jupyter")
	var log strings.Builder
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Minute)
	defer cancel()
	res, err := Setup(ctx, SetupOptions{ModuleDir: root, BinDir: filepath.Join(tmp, "bin"), DataDir: data, Log: &log})
	if err != nil {
		t.Skipf("cannot build GoNB here: %v\n%s", err, log.String())
	}
	checkInstalledKernel(t, res, data)
}

func TestSetupByVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds GoNB")
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "jupyter")
	var log strings.Builder
	ctx, cancel := context.WithTimeout(testCtx(t), 8*time.Minute)
	defer cancel()
	res, err := Setup(ctx, SetupOptions{ByVersion: true, BinDir: filepath.Join(tmp, "bin"), DataDir: data, Log: &log})
	if err != nil {
		t.Skipf("cannot install GoNB by version here (needs the module proxy): %v\n%s", err, log.String())
	}
	if res.Method != "go install by version" || !strings.Contains(log.String(), "GOPROXY=file://") {
		t.Errorf("method %q; log:\n%s", res.Method, log.String())
	}
	checkInstalledKernel(t, res, data)
}

// checkInstalledKernel finds the kernelspec Setup wrote, checks that it
// uses its own copies of the programs, and runs a cell with a PATH that
// holds neither GOBIN nor GOPATH/bin.
func checkInstalledKernel(t *testing.T, res *SetupResult, data string) {
	t.Helper()
	s, err := kernel.FindSpecIn([]string{filepath.Join(data, "kernels")}, "gonb")
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != res.KernelDir || s.Argv[0] != filepath.Join(res.KernelDir, "gonb") {
		t.Errorf("kernelspec %+v, want the copied binary in %s", s, res.KernelDir)
	}
	if !strings.HasPrefix(s.Env["PATH"], res.KernelDir+":") {
		t.Errorf("kernel PATH = %q", s.Env["PATH"])
	}
	raw, _ := os.ReadFile(filepath.Join(res.KernelDir, "kernel.json"))
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil || spec["interrupt_mode"] != "message" {
		t.Errorf("kernel.json = %s (%v)", raw, err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Dir(goBin)+":/usr/bin:/bin")
	ctx := testCtx(t)
	c, err := kernel.Start(ctx, s, kernel.StartOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(ctx)
	r, err := c.Execute(ctx, "%%\nfmt.Println(\"installed\")", kernel.ExecOptions{Timeout: 2 * time.Minute})
	if err != nil || r.Status != kernel.StatusOK || len(r.Outputs) == 0 || r.Outputs[0].Text != "installed\n" {
		t.Errorf("cell in the installed kernel: %v %+v", err, r)
	}
}

// A default Go install: GOBIN unset, GOPATH at its default ($HOME/go), a
// fresh HOME. Setup must install into $HOME/go/bin and write the
// kernelspec under $HOME/.local/share/jupyter.
func TestSetupDefaultGoEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds GoNB")
	}
	home := t.TempDir()
	// Keep the module and build caches, so the test stays offline and fast;
	// GOBIN and GOPATH are what is being tested.
	modCache := goEnvValue(t, "GOMODCACHE")
	buildCache := goEnvValue(t, "GOCACHE")
	env := []string{"HOME=" + home, "GOBIN=", "GOPATH=", "GOENV=" + filepath.Join(home, "goenv"),
		"GOMODCACHE=" + modCache, "GOCACHE=" + buildCache, "JUPYTER_DATA_DIR=", "XDG_CONFIG_HOME=", "XDG_DATA_HOME="}
	var log strings.Builder
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Minute)
	defer cancel()
	res, err := Setup(ctx, SetupOptions{ModuleDir: moduleRoot(t), Env: env, Log: &log})
	if err != nil {
		if strings.Contains(err.Error(), "was not installed") {
			t.Fatalf("Setup looked in the wrong place: %v\n%s", err, log.String())
		}
		t.Skipf("cannot build GoNB here: %v\n%s", err, log.String())
	}
	if want := filepath.Join(home, "go", "bin", "gonb"); res.GoNB != want {
		t.Errorf("GoNB installed at %s, want %s", res.GoNB, want)
	}
	data := filepath.Join(home, ".local", "share", "jupyter")
	checkInstalledKernel(t, res, data)
}

func goEnvValue(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
