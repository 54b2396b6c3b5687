package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/decant-go/decant/internal/webdriver"
	"github.com/decant-go/decant/kernel"
)

// These tests run the Decant kernel as users run it: `decant kernel
// serve`, started by Jupyter (a notebook server, jupyter_client), over
// real GoNB. The decant command is this test binary under the name
// "decant" (TestMain runs cli.Main for that name).

const python = "/usr/bin/python3"

// decantExe returns a path named decant that runs this test binary as
// the decant command.
func decantExe(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "decant")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// gonbBinary finds the GoNB that make gonb installs (bin/gonb), else gonb
// on PATH, or skips.
func gonbBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not running GoNB")
	}
	root, _ := filepath.Abs("../..")
	for _, p := range []string{filepath.Join(root, "bin", "gonb")} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("gonb"); err == nil {
		return p
	}
	t.Skip("GoNB is not installed (run `make gonb`)")
	return ""
}

// kernelPath is the PATH the kernels run with: GoNB's folder (goimports
// is installed next to it) and the go command's.
func kernelPath(gonb string) string {
	dirs := []string{filepath.Dir(gonb)}
	if goBin, err := exec.LookPath("go"); err == nil {
		dirs = append(dirs, filepath.Dir(goBin))
	}
	return strings.Join(append(dirs, "/usr/local/bin", "/usr/bin", "/bin"), ":")
}

// writeSpec writes a kernelspec into jp/kernels/name.
func writeSpec(t testing.TB, jp, name string, argv []string, env map[string]string) {
	t.Helper()
	dir := filepath.Join(jp, "kernels", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"argv": argv, "display_name": name, "language": "go",
		"interrupt_mode": "message", "env": env})
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// jupyterEnv installs the Decant kernel (as decant-go-test) and plain
// GoNB (as gonb-test) into a fresh Jupyter path and returns the
// environment that makes Jupyter use it.
func jupyterEnv(t testing.TB) []string {
	t.Helper()
	gonb := gonbBinary(t)
	jp := filepath.Join(t.TempDir(), "jupyter")
	env := map[string]string{"PATH": kernelPath(gonb)}
	writeSpec(t, jp, "decant-go-test", []string{decantExe(t), "kernel", "serve", "--connection-file", "{connection_file}", "--gonb", gonb}, env)
	writeSpec(t, jp, "gonb-test", []string{gonb, "--kernel", "{connection_file}"}, env)
	return append(os.Environ(), "JUPYTER_PATH="+jp, "JUPYTER_DATA_DIR="+filepath.Join(jp, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(jp, "runtime"), "JUPYTER_CONFIG_DIR="+filepath.Join(jp, "config"))
}

func needPython(t testing.TB, module, pkg string) {
	t.Helper()
	if err := exec.Command(python, "-c", "import "+module).Run(); err != nil {
		t.Skipf("%s cannot import %s (apt-get install %s): %v", python, module, pkg, err)
	}
}

// BenchmarkKernelRestart restarts plain GoNB and the Decant kernel through
// jupyter_client (KernelManager.restart_kernel, as Jupyter's restart does)
// in alternating rounds, b.N rounds each, and reports the medians: until
// the kernel answers kernel_info (ready) and until a first %env cell ran
// on the new GoNB (cell), for both, and the ratios decant/gonb.
//
//	go test ./cmd/decant -run '^$' -bench KernelRestart -benchtime 10x
func BenchmarkKernelRestart(b *testing.B) {
	needPython(b, "jupyter_client", "python3-jupyter-client")
	env := jupyterEnv(b)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "testdata/restart_bench.py", fmt.Sprint(b.N), "gonb-test", "decant-go-test")
	cmd.Env = env
	cmd.Dir = "."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("restart_bench.py: %v\n%s", err, stderr.String())
	}
	medians := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			Kernel    string    `json:"kernel"`
			Ready     []float64 `json:"ready"`
			FirstCell []float64 `json:"first_cell"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			b.Fatalf("%v: %q", err, line)
		}
		name := strings.TrimSuffix(strings.TrimSuffix(r.Kernel, "-test"), "-go")
		medians[name+"-ready"] = median(r.Ready)
		medians[name+"-cell"] = median(r.FirstCell)
	}
	for k, v := range medians {
		b.ReportMetric(v*1000, k+"-ms")
	}
	if medians["gonb-ready"] > 0 && medians["gonb-cell"] > 0 {
		b.ReportMetric(medians["decant-ready"]/medians["gonb-ready"], "ready-x-gonb")
		b.ReportMetric(medians["decant-cell"]/medians["gonb-cell"], "cell-x-gonb")
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// TestKernelInTheBrowser opens a notebook on the Decant kernel in the
// classic Notebook (Debian's jupyter-notebook) with headless Chromium and
// does what a data scientist does: a cell with a type error (the page must
// show the compiler's message and the cell's line), a panic, an endless
// loop interrupted from the page, a restart, and %decant plan.
func TestKernelInTheBrowser(t *testing.T) {
	if err := webdriver.Available(); err != nil {
		t.Skipf("skipping the browser test: %v", err)
	}
	if _, err := exec.LookPath("jupyter-notebook"); err != nil {
		t.Skip("skipping the browser test: jupyter-notebook is missing (apt-get install jupyter-notebook)")
	}
	env := jupyterEnv(t)
	dir := t.TempDir()
	writeNotebook(t, filepath.Join(dir, "lab.ipynb"), "decant-go-test",
		"func double(x int) int { return 2 * x }",
		"%%\nvar n int = double(1)\nfmt.Println(n + \"a\")",
		"%%\npanic(\"boom\")",
		"%%\nfor i := 0; ; i++ {\n\tfmt.Println(\"tick\", i)\n\ttime.Sleep(200 * time.Millisecond)\n}",
		"%decant plan --auto-label",
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	url := startNotebookServer(t, ctx, dir, env)

	browser, err := webdriver.Start(ctx, filepath.Join(t.TempDir(), "profile"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("chromedriver log:\n%s", browser.Log())
		}
		browser.Close()
	}()
	if err := browser.Navigate(ctx, url+"/notebooks/lab.ipynb"); err != nil {
		t.Fatal(err)
	}
	const kernelReady = `var k = window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel;
		return (k && k.is_connected() && k.info_reply && k.info_reply.implementation) || '';`
	if impl, err := browser.WaitFor(ctx, 2*time.Minute, kernelReady); err != nil || impl != "decant" {
		t.Fatalf("the kernel did not come up in the page: %q %v", impl, err)
	}
	run := func(i int) {
		t.Helper()
		if err := browser.Eval(ctx, nil, `Jupyter.notebook.get_cell(arguments[0]).execute();`, i); err != nil {
			t.Fatal(err)
		}
	}
	// wait waits for cell i to finish and returns its prompt number and
	// the text of its outputs, as the page shows them.
	// wait returns cell i's prompt once it has run, and its output once that shows every
	// want. The prompt comes with the execute reply on the shell channel, the output on
	// iopub: the browser may render the reply first, above all right after a restart, when
	// the server replays the messages it buffered. A want that never shows is the caller's
	// failure, reported with the text the cell does show.
	wait := func(i int, wants ...string) (string, string) {
		t.Helper()
		prompt, err := browser.WaitFor(ctx, 3*time.Minute, `var c = Jupyter.notebook.get_cell(arguments[0]);
			var p = c.input_prompt_number;
			return (p === undefined || p === null || p === '*') ? '' : String(p);`, i)
		if err != nil {
			t.Fatalf("cell %d did not finish: %v", i, err)
		}
		if len(wants) > 0 {
			browser.WaitFor(ctx, 30*time.Second, `var t = Jupyter.notebook.get_cell(arguments[0]).output_area.element[0].innerText;
				return arguments[1].every(function (w) { return t.indexOf(w) >= 0; }) ? 'shown' : '';`, i, wants)
		}
		var text string
		if err := browser.Eval(ctx, &text, `return Jupyter.notebook.get_cell(arguments[0]).output_area.element[0].innerText;`, i); err != nil {
			t.Fatal(err)
		}
		return prompt, text
	}

	run(0)
	wait(0)
	run(1)
	prompt, text := wait(1, "mismatched types int and untyped string")
	for _, want := range []string{"Cell [" + prompt + "], line 3", "mismatched types int and untyped string", `fmt.Println(n + "a")`} {
		if !strings.Contains(text, want) {
			t.Errorf("the type error's output does not show %q; it shows:\n%s", want, text)
		}
	}

	run(2)
	if _, text := wait(2, "panic: boom"); !strings.Contains(text, "panic: boom") {
		t.Errorf("the panic's output:\n%s", text)
	}

	run(3)
	if _, err := browser.WaitFor(ctx, 2*time.Minute, `var t = Jupyter.notebook.get_cell(3).output_area.element[0].innerText;
		return t.indexOf('tick 2') >= 0 ? 'running' : '';`); err != nil {
		t.Fatalf("the loop does not run: %v", err)
	}
	start := time.Now()
	if err := browser.Eval(ctx, nil, `Jupyter.notebook.kernel.interrupt();`); err != nil {
		t.Fatal(err)
	}
	if _, text := wait(3, "tick 2"); !strings.Contains(text, "tick 2") {
		t.Errorf("the interrupted loop's output:\n%s", text)
	}
	t.Logf("interrupt took %v", time.Since(start))

	if err := browser.Eval(ctx, nil, `window.decantRestarted = '';
		Jupyter.notebook.events.one('kernel_ready.Kernel', function () { window.decantRestarted = 'yes'; });
		Jupyter.notebook.kernel.restart();`); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := browser.WaitFor(ctx, 2*time.Minute, `return window.decantRestarted || '';`); err != nil {
		t.Fatalf("the kernel did not restart: %v", err)
	}
	t.Logf("restart took %v", time.Since(start))

	run(4)
	prompt, text = wait(4, "lab.ipynb", "double")
	if prompt != "1" {
		t.Errorf("the first cell after the restart is In [%s], want In [1]", prompt)
	}
	for _, want := range []string{"lab.ipynb", "double"} {
		if !strings.Contains(text, want) {
			t.Errorf("%%decant plan does not show %q:\n%s", want, text)
		}
	}
	// DECANT_BROWSER_SCREENSHOT=page.png keeps a picture of the page.
	if path := os.Getenv("DECANT_BROWSER_SCREENSHOT"); path != "" {
		browser.Eval(ctx, nil, `Jupyter.notebook.get_cell(1).element[0].scrollIntoView();`)
		if png, err := browser.Screenshot(ctx); err != nil {
			t.Error(err)
		} else if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// writeNotebook writes an nbformat 4 notebook of code cells for kernel.
func writeNotebook(t *testing.T, path, kernel string, cells ...string) {
	t.Helper()
	var cs []any
	for i, src := range cells {
		cs = append(cs, map[string]any{"cell_type": "code", "execution_count": nil, "id": fmt.Sprintf("cell-%d", i),
			"metadata": map[string]any{}, "outputs": []any{}, "source": src})
	}
	nb := map[string]any{"cells": cs, "nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{
		"kernelspec":    map[string]any{"name": kernel, "display_name": kernel, "language": "go"},
		"language_info": map[string]any{"name": "go"},
	}}
	data, _ := json.MarshalIndent(nb, "", " ")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startNotebookServer runs the classic Notebook server on dir and returns
// its URL once it answers; it is stopped when the test ends.
func startNotebookServer(t *testing.T, ctx context.Context, dir string, env []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("jupyter-notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--port-retries=0", "--NotebookApp.token=", "--NotebookApp.password=", "--notebook-dir="+dir)
	cmd.Dir, cmd.Env = dir, env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("notebook server log:\n%s", log.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for {
		res, err := http.Get(url + "/api/status")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the notebook server did not start:\n%s", log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestKill9LeavesNoFolders kills `decant kernel serve` with SIGKILL: GoNB
// goes with it (parent-death signal), and the next kernel started on the
// machine removes the folder the killed one left in the temp dir, GoNB's
// gonb_* folder inside it. A clean shutdown leaves the temp dir empty.
func TestKill9LeavesNoFolders(t *testing.T) {
	gonb := gonbBinary(t)
	decant := decantExe(t)
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := func() (*kernel.Client, string) {
		t.Helper()
		nbDir := t.TempDir()
		spec := &kernel.Spec{Name: "decant-go-test", InterruptMode: "message", Env: map[string]string{"PATH": kernelPath(gonb)},
			Argv: []string{decant, "kernel", "serve", "--connection-file", "{connection_file}", "--gonb", gonb}}
		c, err := kernel.Start(ctx, spec, kernel.StartOptions{Dir: nbDir, ConnectionDir: t.TempDir(), Env: []string{"TMPDIR=" + tmp}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Execute(ctx, "%%\nfmt.Println(\"hi\")", kernel.ExecOptions{})
		if err != nil || r.Status != "ok" {
			t.Fatalf("cell: %v %+v", err, r)
		}
		return c, nbDir
	}
	c, nbDir := start()
	left, _ := filepath.Glob(filepath.Join(tmp, "decant-kernel-*", "tmp", "gonb_*"))
	if len(left) != 1 {
		t.Fatalf("GoNB's folder is not in the kernel's own temp folder: %v", left)
	}
	if err := syscall.Kill(c.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// GoNB (whose working directory is the notebook's) must go too.
	for deadline := time.Now().Add(10 * time.Second); len(processesIn(nbDir)) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("processes %v outlived the killed kernel", processesIn(nbDir))
		}
	}
	killed := filepath.Dir(filepath.Dir(left[0])) // decant-kernel-<pid>-*
	if _, err := os.Stat(killed); err != nil {
		t.Fatalf("the killed kernel's folder is already gone: %v", err)
	}
	c2, _ := start()
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the next kernel started (%v)", killed, err)
	}
	if err := c2.Shutdown(ctx); err != nil {
		t.Error(err)
	}
	// x/tools' module index makes $TMPDIR/goimports at init in a test
	// binary (testing.Testing()), which decant is here.
	if entries, _ := os.ReadDir(tmp); len(entries) > 1 || len(entries) == 1 && entries[0].Name() != "goimports" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		out, _ := exec.Command("find", tmp).CombinedOutput()
		t.Errorf("the temp dir holds %v after a clean shutdown:\n%s", names, out)
	}
}

// processesIn lists the live processes whose working directory is dir.
func processesIn(dir string) []string {
	links, _ := filepath.Glob("/proc/[0-9]*/cwd")
	var pids []string
	for _, l := range links {
		if target, err := os.Readlink(l); err == nil && target == dir {
			stat, _ := os.ReadFile(filepath.Join(filepath.Dir(l), "stat"))
			if f := strings.Fields(string(stat)); len(f) > 2 && f[2] != "Z" {
				pids = append(pids, filepath.Base(filepath.Dir(l)))
			}
		}
	}
	return pids
}

// TestKernelSetupOnADefaultGoInstall runs `decant kernel-setup` as a new
// user would: a fresh HOME, GOBIN unset, GOPATH at its default ($HOME/go).
// Only the module and build caches are shared, to stay offline and fast.
func TestKernelSetupOnADefaultGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds GoNB")
	}
	home := t.TempDir()
	root, _ := filepath.Abs("../..")
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "GOBIN", "GOPATH", "HOME", "GOENV", "JUPYTER_DATA_DIR", "JUPYTER_PATH", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME":
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "GOMODCACHE="+goEnv("GOMODCACHE"), "GOCACHE="+goEnv("GOCACHE"))
	cmd := exec.Command(decantExe(t), "kernel-setup", "--module", root)
	cmd.Env, cmd.Dir = env, home
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("decant kernel-setup: %v\n%s", err, out)
	}
	for _, p := range []string{
		filepath.Join(home, "go", "bin", "gonb"),
		filepath.Join(home, "go", "bin", "goimports"),
		filepath.Join(home, ".local", "share", "jupyter", "kernels", "gonb", "kernel.json"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was not installed: %v\n%s", p, err, out)
		}
	}
}
