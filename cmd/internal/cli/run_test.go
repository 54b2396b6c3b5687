package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/kerneltest"
	"github.com/decant-go/decant/kernel/nbrun"
	"github.com/decant-go/decant/notebooks"
)

func TestRunFlags(t *testing.T) {
	dir := "/work"
	env := Env{Dir: dir, Stderr: &bytes.Buffer{}}
	for _, tc := range []struct {
		args    []string
		want    []nbrun.Job
		opts    func(*runOptions) bool
		wantErr string
	}{
		{args: []string{"a.ipynb"}, want: []nbrun.Job{{Input: "/work/a.ipynb"}}},
		{args: []string{"-p", "x=1,5", "--param", "s=a b", "a.ipynb", "/abs/b.ipynb"},
			want: []nbrun.Job{{Input: "/work/a.ipynb", Params: []nbrun.Param{{Name: "x", Value: "1,5"}, {Name: "s", Value: "a b"}}},
				{Input: "/abs/b.ipynb", Params: []nbrun.Param{{Name: "x", Value: "1,5"}, {Name: "s", Value: "a b"}}}}},
		{args: []string{"-o", "out/r.ipynb", "a.ipynb"}, want: []nbrun.Job{{Input: "/work/a.ipynb", Output: "/work/out/r.ipynb"}}},
		{args: []string{"--inplace", "a.ipynb"}, want: []nbrun.Job{{Input: "/work/a.ipynb", Output: "/work/a.ipynb"}}},
		{args: []string{"--timeout", "90s", "--allow-errors", "-j", "3", "--kernel", "gonb", "--debug-info", "a.ipynb"},
			want: []nbrun.Job{{Input: "/work/a.ipynb"}},
			opts: func(o *runOptions) bool {
				return o.timeout == 90*time.Second && o.allowErrors && o.jobs == 3 && o.kernel == "gonb" && o.debugInfo
			}},
		{args: nil, wantErr: "want at least one notebook"},
		{args: []string{"-o", "x.ipynb", "a.ipynb", "b.ipynb"}, wantErr: "-o names one output file"},
		{args: []string{"-o", "x.ipynb", "--inplace", "a.ipynb"}, wantErr: "do not go together"},
		{args: []string{"-j", "0", "a.ipynb"}, wantErr: "--jobs must be at least 1"},
		{args: []string{"--timeout", "-1s", "a.ipynb"}, wantErr: "--timeout must not be negative"},
		{args: []string{"-p", "x", "a.ipynb"}, wantErr: "-p: parameter \"x\": want name=value"},
		{args: []string{"--progress", "sometimes", "a.ipynb"}, wantErr: "--progress must be"},
		{args: []string{"--timeout", "soon", "a.ipynb"}, wantErr: "invalid argument"},
	} {
		var o runOptions
		fs := bindRunFlags(&o, env)
		err := parse(fs, tc.args)
		var jobs []nbrun.Job
		if err == nil {
			jobs, err = o.jobsFor(fs.Args(), env)
		}
		if tc.wantErr != "" {
			var ue *usageError
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ue) {
				t.Errorf("%q: err = %v, want usage error %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.EqualFunc(jobs, tc.want, func(a, b nbrun.Job) bool {
			return a.Input == b.Input && a.Output == b.Output && slices.Equal(a.Params, b.Params)
		}) {
			t.Errorf("%q: jobs %+v, %v; want %+v", tc.args, jobs, err, tc.want)
		}
		if tc.opts != nil && !tc.opts(&o) {
			t.Errorf("%q: options %+v", tc.args, o)
		}
	}
}

// fakeKernels makes runs use in-process fake kernels.
func fakeKernels(t *testing.T) func(*nbrun.Config) {
	return func(cfg *nbrun.Config) {
		cfg.Finder.Find = func(name string) (*kernel.Spec, error) {
			return &kernel.Spec{Name: name, Argv: []string{"/bin/sh"}}, nil
		}
		cfg.Start = func(ctx context.Context, spec *kernel.Spec, dir string, _ []string) (nbrun.Kernel, error) {
			s := kerneltest.NewServer(t, kerneltest.HandlerFunc(func(c *kerneltest.Call) {
				if c.Code == "fail" {
					c.Fail("CompileError", "undefined: x")
					return
				}
				c.Stdout(c.Code + "\n")
			}))
			return kernel.Dial(ctx, s.Info)
		}
	}
}

func writeTestNotebook(t *testing.T, path string, cells ...string) {
	t.Helper()
	nb := notebooks.New(filepath.Base(path))
	for _, src := range cells {
		c := nb.NewCodeCell(src)
		nb.InsertCell(len(nb.Cells), c)
		if strings.HasPrefix(src, "var ") {
			if err := c.SetMetadata("tags", []string{"parameters"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := notebooks.WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
}

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	writeTestNotebook(t, filepath.Join(dir, "good.ipynb"), "var x = 1\n", "echo")
	writeTestNotebook(t, filepath.Join(dir, "bad.ipynb"), "one", "fail", "three")
	writeTestNotebook(t, filepath.Join(dir, "plain.ipynb"), "echo")

	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		env := Env{Dir: dir, Stdout: &stdout, Stderr: &stderr, Now: time.Now}
		var o runOptions
		fs := bindRunFlags(&o, env)
		if err := parse(fs, args); err != nil {
			return "", "", err
		}
		jobs, err := o.jobsFor(fs.Args(), env)
		if err != nil {
			return "", "", err
		}
		o.configure = fakeKernels(t)
		err = runNotebooks(testContext(t), &o, jobs, env)
		return stdout.String(), stderr.String(), err
	}

	stdout, stderr, err := run("-p", "x=2", "good.ipynb")
	if err != nil || !strings.HasPrefix(stdout, "ok     good.ipynb -> good.out.ipynb: 3 cells, ") || stderr != "" {
		t.Errorf("good: %v\nstdout %q\nstderr %q", err, stdout, stderr)
	}
	out, err := notebooks.ParseFile(filepath.Join(dir, "good.out.ipynb"))
	if err != nil || out.Cells[1].Outputs[0].Text != "// Parameters injected by decant run.\nvar x = 2\n\n" {
		t.Errorf("good.out.ipynb: %v", err)
	}

	stdout, stderr, err = run("-j", "2", "bad.ipynb", "good.ipynb", "plain.ipynb")
	if code := exitWith(err, Env{Stderr: &bytes.Buffer{}}, "decant run"); code != ExitProblem {
		t.Errorf("exit code %d, want %d", code, ExitProblem)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "FAILED bad.ipynb -> bad.out.ipynb: 2 of 3 cells run, 1 failed") ||
		lines[1] != "  cell 1 (In [2]): CompileError: undefined: x" || // the input's numbering, not the output's
		!strings.HasPrefix(lines[2], "ok     good.ipynb") || !strings.HasPrefix(lines[3], "ok     plain.ipynb -> plain.out.ipynb: 1 cell, ") {
		t.Errorf("summary:\n%s", stdout)
	}
	if !strings.Contains(stderr, "1 of 3 notebooks failed") {
		t.Errorf("stderr %q", stderr)
	}

	// A parameter the notebook does not declare fails before anything runs.
	stdout, stderr, err = run("-p", "nope=1", "good.ipynb")
	if err == nil || !strings.Contains(stderr, "unknown parameter nope: the parameters cell (cell 0) declares x") {
		t.Errorf("unknown parameter: %v\nstdout %q\nstderr %q", err, stdout, stderr)
	}

	// Without a parameters cell: a warning, and the run goes on.
	_, stderr, err = run("-p", "y=1", "--inplace", "plain.ipynb")
	if err != nil || !strings.Contains(stderr, `warning: no cell is tagged "parameters"`) {
		t.Errorf("no parameters cell: %v, stderr %q", err, stderr)
	}
}

func TestRunProgressAlways(t *testing.T) {
	dir := t.TempDir()
	writeTestNotebook(t, filepath.Join(dir, "nb.ipynb"), "one", "two")
	var stdout, stderr bytes.Buffer
	env := Env{Dir: dir, Stdout: &stdout, Stderr: &stderr}
	o := runOptions{jobs: 1, progress: "always", configure: fakeKernels(t)}
	jobs, err := o.jobsFor([]string{"nb.ipynb"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := runNotebooks(testContext(t), &o, jobs, env); err != nil {
		t.Fatal(err)
	}
	if s := stderr.String(); !strings.Contains(s, "\r[#####-----] 2/2") || !strings.HasSuffix(s, "\r\x1b[K") {
		t.Errorf("progress output %q", s)
	}
	if isTerminal(&stderr) {
		t.Error("a buffer is not a terminal")
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestKernelSetupCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds GoNB")
	}
	root := nbrun.FindGoNBModule("")
	if root == "" {
		t.Skip("no module pinning GoNB")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	tmp := t.TempDir()
	var stdout, stderr bytes.Buffer
	env := Env{Dir: tmp, Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string {
		if k == "JUPYTER_DATA_DIR" {
			return filepath.Join(tmp, "jupyter")
		}
		return ""
	}}
	err := runKernelSetup(testContext(t), []string{"--module", root, "--bin", "bin"}, env)
	if err != nil {
		t.Skipf("cannot build GoNB here: %v\n%s", err, stderr.String())
	}
	kdir := filepath.Join(tmp, "jupyter", "kernels", "gonb")
	for _, f := range []string{"kernel.json", "gonb", "goimports"} {
		if _, err := os.Stat(filepath.Join(kdir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(tmp, "bin", "gonb")); err != nil {
		t.Error(err)
	}
	if !strings.Contains(stdout.String(), "registered the kernelspec gonb in "+kdir) {
		t.Errorf("stdout %q", stdout.String())
	}
	if err := runKernelSetup(testContext(t), []string{"extra"}, env); err == nil {
		t.Error("kernel-setup accepted an argument")
	}
}
