package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/wire"
)

// These tests run the Decant kernel over real GoNB. The test binary
// doubles as the kernel process that Jupyter starts, selected by this
// environment variable, so they need no decant binary.
const kernelRoleEnv = "DECANT_PROXY_TEST_KERNEL"

func TestMain(m *testing.M) {
	if os.Getenv(kernelRoleEnv) == "1" {
		err := Run(context.Background(), os.Args[len(os.Args)-1], RunOptions{
			GoNB:    GoNBOptions{ModuleDir: os.Getenv("DECANT_TEST_MODULE")},
			Version: "test",
			Logs:    os.Stderr,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "decant kernel:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func moduleRoot(t testing.TB) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	gonbOnce sync.Once
	gonbSpec *kernel.Spec
	gonbErr  error
)

// realGoNB finds GoNB as the serve command does, or skips the test.
func realGoNB(t testing.TB) *kernel.Spec {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running GoNB")
	}
	gonbOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		gonbSpec, gonbErr = FindGoNB(ctx, GoNBOptions{ModuleDir: moduleRoot(t)})
	})
	if gonbErr != nil {
		t.Skipf("GoNB is not available (run `make gonb`): %v", gonbErr)
	}
	return gonbSpec
}

// installTestKernel writes a kernelspec that runs this test binary as the
// Decant kernel into a fresh Jupyter path, and returns the environment
// that makes Jupyter find it.
func installTestKernel(t *testing.T, name string) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	jp := filepath.Join(t.TempDir(), "jupyter")
	spec := NewKernelSpec(exe)
	spec.Argv = []string{exe, "-test.run=^$", "{connection_file}"}
	spec.Env = map[string]string{kernelRoleEnv: "1", "DECANT_TEST_MODULE": moduleRoot(t)}
	if _, err := WriteKernelSpec(filepath.Join(jp, "kernels"), name, spec); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "JUPYTER_PATH="+jp, "JUPYTER_DATA_DIR="+filepath.Join(jp, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(jp, "runtime"), "DECANT_KERNEL_NAME="+name, "DECANT_EXPECT_VERSION=test")
}

const python = "/usr/bin/python3"

func needPython(t *testing.T, module, pkg string) {
	t.Helper()
	if err := exec.Command(python, "-c", "import "+module).Run(); err != nil {
		t.Skipf("%s cannot import %s (apt-get install %s): %v", python, module, pkg, err)
	}
}

// TestConformance runs jupyter_kernel_test against the Decant kernel over
// real GoNB; every test that is not skipped must pass.
func TestConformance(t *testing.T) {
	needPython(t, "jupyter_kernel_test", "python3-jupyter-kernel-test")
	realGoNB(t)
	env := installTestKernel(t, "decant-go-test")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-m", "unittest", "-v", "test_decant_kernel")
	cmd.Dir = "testdata"
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("conformance suite failed: %v", err)
	}
	if !bytes.Contains(out, []byte("\nOK")) {
		t.Fatal("conformance suite did not report OK")
	}
}

// TestNbconvertDemo executes the demo notebook with a %decant cell
// through jupyter nbconvert and validates the result. (The command line's
// magics, such as plan, are tested with the decant binary in cmd.)
func TestNbconvertDemo(t *testing.T) {
	if _, err := exec.LookPath("jupyter-nbconvert"); err != nil {
		t.Skip("jupyter-nbconvert is not installed (apt-get install jupyter-nbconvert)")
	}
	needPython(t, "nbformat", "python3-nbformat")
	realGoNB(t)
	env := installTestKernel(t, "decant-go-demo")
	dir := t.TempDir()
	demo := filepath.Join(moduleRoot(t), "testdata", "demo")
	db, err := os.ReadFile(filepath.Join(demo, "churn.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "churn.db"), db, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(demo, "churn.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var nb map[string]any
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	nb["cells"] = append(nb["cells"].([]any), map[string]any{"cell_type": "code", "execution_count": nil,
		"id": "decant-plan", "metadata": map[string]any{}, "outputs": []any{}, "source": []any{"%decant version"}})
	data, _ := json.MarshalIndent(nb, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "churn.ipynb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "jupyter-nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.kernel_name=decant-go-demo", "--ExecutePreprocessor.timeout=600",
		"--output-dir", filepath.Join(dir, "out"), "--output", "churn.out", "churn.ipynb")
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert: %v\n%s", err, out)
	}
	outPath := filepath.Join(dir, "out", "churn.out.ipynb")
	if out, err := exec.Command(python, "-c", "import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", outPath).CombinedOutput(); err != nil {
		t.Fatalf("the executed notebook does not validate: %v\n%s", err, out)
	}
	raw, err = os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Cells []struct {
			Type    string `json:"cell_type"`
			Outputs []struct {
				Type string                     `json:"output_type"`
				Data map[string]json.RawMessage `json:"data"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	last := got.Cells[len(got.Cells)-1]
	if len(last.Outputs) != 1 || last.Outputs[0].Type != "execute_result" || !bytes.Contains(last.Outputs[0].Data["text/plain"], []byte("decant test")) {
		t.Errorf("the %%decant version cell has outputs %+v", last.Outputs)
	}
	for i, c := range got.Cells {
		for _, o := range c.Outputs {
			if o.Type == "error" {
				t.Errorf("cell %d has an error output", i)
			}
		}
	}
}

// serveGoNB runs the Decant kernel in-process over real GoNB and returns
// a client of it.
func serveGoNB(t *testing.T, dir string) (*Server, *kernel.Client, func() error) {
	t.Helper()
	spec := realGoNB(t)
	s, err := Listen(wire.ConnectionInfo{Key: "gonb-test-key"}, Options{Start: StartGoNB(spec, dir, nil), Version: "test", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var serveErr error
	ctx, cancel := context.WithCancel(context.Background())
	go func() { serveErr = s.Serve(ctx); close(done) }()
	wait := func() error { <-done; return serveErr }
	c, err := kernel.Config{HeartbeatInterval: -1}.Dial(ctx, s.Info())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cancel()
		wait()
	})
	return s, c, wait
}

// TestGoNBKilledMidCell kills GoNB while a cell runs: the cell reports it,
// the next cell runs on a new GoNB, and shutdown leaves no process behind.
func TestGoNBKilledMidCell(t *testing.T) {
	s, c, wait := serveGoNB(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if r, err := c.Execute(ctx, "%%\nfmt.Println(\"warm\")", kernel.ExecOptions{}); err != nil || r.Status != "ok" {
		t.Fatalf("first cell: %v %+v", err, r)
	}
	pids := s.BackendPIDs()
	if len(pids) != 1 {
		t.Fatalf("backend pids %v", pids)
	}
	res := make(chan *kernel.Result, 1)
	go func() {
		r, _ := c.Execute(ctx, "%%\nfmt.Println(\"sleeping\")\ntime.Sleep(time.Minute)", kernel.ExecOptions{})
		res <- r
	}()
	time.Sleep(3 * time.Second) // build and start the cell
	syscall.Kill(-pids[0], syscall.SIGKILL)
	r := <-res
	if r == nil || r.Status != "error" || r.Error == nil || r.Error.EName != "KernelDied" {
		t.Fatalf("killed cell: %+v", r)
	}
	if r, err := c.Execute(ctx, "%%\nfmt.Println(\"again\")", kernel.ExecOptions{}); err != nil || r.Status != "ok" || !strings.Contains(r.Outputs[0].Text, "again") {
		t.Fatalf("cell after restart: %v %+v", err, r)
	}
	if _, err := c.Request(ctx, "shutdown_request", map[string]bool{"restart": false}); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	for _, pid := range s.BackendPIDs() {
		if live := groupMembers(pid); len(live) > 0 {
			t.Errorf("processes %v of GoNB group %d are still running", live, pid)
		}
	}
}

// groupMembers lists live processes in process group pgid (Linux /proc).
func groupMembers(pgid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// BenchmarkEnvCell compares the per-execute latency of a %env cell sent to
// GoNB directly and through the Decant kernel, in the same run, and
// reports the median of each.
func BenchmarkEnvCell(b *testing.B) {
	spec := realGoNB(b)
	dir := b.TempDir()
	ctx := context.Background()
	run := func(b *testing.B, c *kernel.Client) {
		// Warm up, then time each execute.
		for range 5 {
			if _, err := c.Execute(ctx, "%env KK=1", kernel.ExecOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		times := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for b.Loop() {
			start := time.Now()
			r, err := c.Execute(ctx, "%env KK=1", kernel.ExecOptions{})
			if err != nil || r.Status != "ok" {
				b.Fatalf("%v %+v", err, r)
			}
			times = append(times, time.Since(start))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
	}
	b.Run("gonb", func(b *testing.B) {
		c, err := kernel.Start(ctx, spec, kernel.StartOptions{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Shutdown(ctx)
		run(b, c)
	})
	b.Run("decant", func(b *testing.B) {
		s, err := Listen(wire.ConnectionInfo{Key: "bench-key"}, Options{Start: StartGoNB(spec, dir, nil)})
		if err != nil {
			b.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- s.Serve(sctx) }()
		defer func() { cancel(); <-done }()
		c, err := kernel.Config{HeartbeatInterval: -1}.Dial(ctx, s.Info())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		run(b, c)
	})
}

// TestGonbuiInAFreshModule runs a gonbui cell on a new GoNB: the kernel
// pins GoNB's module to the running GoNB's version first, so GoNB's go get
// does not ask the proxy for the newest version (which it may refuse).
func TestGonbuiInAFreshModule(t *testing.T) {
	_, c, _ := serveGoNB(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := c.Execute(ctx, "%%\ngonbui.DisplayHtml(`<b>from decant</b>`)", kernel.ExecOptions{})
	if err != nil || r.Status != "ok" {
		t.Fatalf("%v %+v", err, r)
	}
	found := false
	for _, o := range r.Outputs {
		switch {
		case o.Type == kernel.TypeDisplayData && strings.Contains(string(o.Data["text/html"]), "from decant"):
			found = true
		case o.Type == kernel.TypeStream:
			t.Errorf("unexpected %s: %s", o.Name, o.Text)
		}
	}
	if !found {
		t.Errorf("no HTML display: %+v", r.Outputs)
	}
}

// TestCompileErrorOnRealGoNB checks the error of a failed build, as GoNB
// sends it and the kernel rebuilds it, after a %decant cell moved the
// counts apart.
func TestCompileErrorOnRealGoNB(t *testing.T) {
	_, c, _ := serveGoNB(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if r, err := c.Execute(ctx, "%decant version", kernel.ExecOptions{}); err != nil || r.Status != "ok" {
		t.Fatalf("%v %+v", err, r)
	}
	r, err := c.Execute(ctx, "func half(n int) int {\n\tvar s string = n / 2\n\treturn s\n}", kernel.ExecOptions{})
	if err != nil || r.Status != "error" || r.Error == nil {
		t.Fatalf("%v %+v", err, r)
	}
	if r.Error.EName != "CompileError" || !strings.HasPrefix(r.Error.EValue, "Cell [2], line 2: cannot use n / 2") {
		t.Errorf("error %+v", r.Error)
	}
	if r.Outputs[0].Type != kernel.TypeDisplayData {
		t.Errorf("GoNB's report was not kept: %+v", r.Outputs)
	}
	r, err = c.Execute(ctx, "%%\nvar p *int\nfmt.Println(*p)", kernel.ExecOptions{})
	if err != nil || r.Status != "error" || r.Error == nil {
		t.Fatalf("panic: %v %+v", err, r)
	}
	// GoNB rewrites "main.go:N" to "Cell [3] Line 3" in each chunk it reads
	// from the program's stderr. The runtime prints a frame's file and line in
	// separate writes, so on a busy machine a read can end between them and
	// GoNB sends the frame unmapped. Either way the traceback must reach the
	// error reply with the frame of the cell's code.
	tb := strings.Join(r.Error.Traceback, "\n")
	if !strings.Contains(tb, "nil pointer dereference") || !strings.Contains(tb, "Cell [3] Line 3") && !regexp.MustCompile(`main\.go:\d+`).MatchString(tb) {
		t.Errorf("panic traceback lost its cause or frame: %+v", r.Error)
	}
}

// TestGoNBKilledWhileIdle kills GoNB between cells: the next cell says
// so, then runs on a new GoNB.
func TestGoNBKilledWhileIdle(t *testing.T) {
	s, c, _ := serveGoNB(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if r, err := c.Execute(ctx, "%%\nfmt.Println(\"warm\")", kernel.ExecOptions{}); err != nil || r.Status != "ok" {
		t.Fatalf("first cell: %v %+v", err, r)
	}
	syscall.Kill(-s.BackendPIDs()[0], syscall.SIGKILL)
	for deadline := time.Now().Add(time.Minute); len(s.BackendPIDs()) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("GoNB was not restarted")
		}
	}
	r, err := c.Execute(ctx, "%%\nfmt.Println(\"again\")", kernel.ExecOptions{})
	if err != nil || r.Status != "ok" || len(r.Outputs) != 2 || !strings.Contains(r.Outputs[0].Text, "GoNB stopped while no cell was running") ||
		r.Outputs[1].Text != "again\n" {
		t.Fatalf("cell after the restart: %v %+v", err, r)
	}
}
