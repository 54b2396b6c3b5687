package nbrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/kerneltest"
	"github.com/decant-go/decant/notebooks"
)

// fakeConfig runs notebooks against fake kernels and records the
// directories they were started in.
func fakeConfig(t *testing.T, dirs *[]string) Config {
	var mu sync.Mutex
	return Config{
		Finder: SpecFinder{Find: func(name string) (*kernel.Spec, error) {
			return &kernel.Spec{Name: name, Argv: []string{"/bin/sh"}, Language: "go"}, nil
		}},
		Start: func(ctx context.Context, spec *kernel.Spec, dir string, env []string) (Kernel, error) {
			mu.Lock()
			*dirs = append(*dirs, dir)
			*dirs = append(*dirs, env...)
			mu.Unlock()
			s := kerneltest.NewServer(t, kerneltest.HandlerFunc(script))
			return kernel.Dial(ctx, s.Info)
		},
	}
}

func writeNotebook(t *testing.T, path string, cells ...string) {
	t.Helper()
	nb := newNotebook(t, cells...)
	for _, c := range nb.Cells {
		if strings.HasPrefix(c.Source, "var ") {
			tag(t, c, TagParameters)
		}
	}
	if err := notebooks.WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
}

func TestRunFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "study.ipynb")
	writeNotebook(t, in, "md:# Study", "var name = \"a\"\n", "echo hi")
	before, _ := os.ReadFile(in)
	var dirs []string
	cfg := fakeConfig(t, &dirs)
	r := RunFile(testCtx(t), Job{Input: in, Params: []Param{{"name", "b"}}}, cfg)
	if r.Err != nil || r.Failed() || !r.Written {
		t.Fatalf("result = %+v", r)
	}
	if r.Output != filepath.Join(dir, "study.out.ipynb") || r.Kernel != "gonb" {
		t.Errorf("output %s, kernel %s", r.Output, r.Kernel)
	}
	if len(dirs) != 2 || dirs[0] != dir || !strings.HasPrefix(dirs[1], "GOFLAGS=") || !strings.HasSuffix(dirs[1], "-ldflags=-s -gcflags=-dwarf=false") {
		t.Errorf("kernel started in %q, want the notebook's directory %s and fast GOFLAGS", dirs, dir)
	}
	if after, _ := os.ReadFile(in); string(after) != string(before) {
		t.Error("the input notebook changed")
	}
	out, err := notebooks.ParseFile(r.Output)
	if err != nil {
		t.Fatal(err)
	}
	// The fake echoes unknown code, so the injected cell's output is its source.
	if len(out.Cells) != 4 || out.Cells[2].Outputs[0].Text != injectedHeader+"var name = \"b\"\n" {
		t.Errorf("cells: %q", sources(out))
	}
	meta, ok := out.Metadata("decant_run")
	if !ok || !strings.Contains(string(meta), `"parameters":{"name":"b"}`) || !strings.Contains(string(meta), `"exception":false`) {
		t.Errorf("metadata.decant_run = %s", meta)
	}
	validateFile(t, r.Output)
}

func TestRunFileFailureStillWrites(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "nb.ipynb")
	writeNotebook(t, in, "echo one", "fail", "echo three")
	var dirs []string
	r := RunFile(testCtx(t), Job{Input: in, Output: in}, fakeConfig(t, &dirs))
	if r.Err != nil || !r.Failed() || !r.Written || len(r.Report.Failures) != 1 {
		t.Fatalf("result = %+v", r)
	}
	out, err := notebooks.ParseFile(in) // written in place
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Cells[0].Source, "An exception was encountered") {
		t.Errorf("no banner in %q", sources(out))
	}
	validateFile(t, in)
}

func TestRunFileErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "nb.ipynb")
	writeNotebook(t, in, "var n = 1\n", "echo")
	var dirs []string
	cfg := fakeConfig(t, &dirs)
	for _, tc := range []struct {
		job     Job
		cfg     func(Config) Config
		wantErr string
	}{
		{job: Job{Input: filepath.Join(dir, "missing.ipynb")}, wantErr: "no such file"},
		{job: Job{Input: in, Params: []Param{{"m", "1"}}}, wantErr: "unknown parameter m: the parameters cell (cell 0) declares n"},
		{job: Job{Input: in}, cfg: func(c Config) Config {
			c.Start = func(context.Context, *kernel.Spec, string, []string) (Kernel, error) {
				return nil, errors.New("no kernel today")
			}
			return c
		}, wantErr: "no kernel today"},
		{job: Job{Input: in}, cfg: func(c Config) Config {
			c.Finder = SpecFinder{Name: "python3", Find: func(string) (*kernel.Spec, error) { return nil, kernel.ErrNoSpec }}
			return c
		}, wantErr: "finding kernel python3: no such kernelspec (pass --kernel"},
	} {
		c := cfg
		if tc.cfg != nil {
			c = tc.cfg(cfg)
		}
		r := RunFile(testCtx(t), tc.job, c)
		if r.Err == nil || !strings.Contains(r.Err.Error(), tc.wantErr) || r.Written {
			t.Errorf("RunFile(%+v) = %v (written %v), want error %q", tc.job, r.Err, r.Written, tc.wantErr)
		}
	}
	if _, err := os.Stat(DefaultOutput(in)); err == nil {
		t.Error("an output was written for a run that never started")
	}
}

func TestRunFiles(t *testing.T) {
	dir := t.TempDir()
	var jobs []Job
	for i := range 4 {
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(sub, "nb.ipynb")
		cell := fmt.Sprintf("echo %d", i)
		if i == 2 {
			cell = "fail"
		}
		writeNotebook(t, in, cell)
		jobs = append(jobs, Job{Input: in})
	}
	jobs = append(jobs, Job{Input: jobs[0].Input, Output: DefaultOutput(jobs[0].Input)})
	var dirs []string
	cfg := fakeConfig(t, &dirs)
	var mu sync.Mutex
	seen := map[int]bool{}
	cfg.Progress = func(job int, p Progress) {
		mu.Lock()
		seen[job] = true
		mu.Unlock()
	}
	cfg.Jobs = 3
	res := RunFiles(testCtx(t), jobs, cfg)
	if len(res) != 5 {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res[:4] {
		if r.Input != jobs[i].Input || r.Failed() != (i == 2) || !r.Written {
			t.Errorf("result %d = %+v (err %v)", i, r.Job, r.Err)
		}
		out, err := notebooks.ParseFile(r.Output)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%d\n", i)
		if i != 2 && out.Cells[0].Outputs[0].Text != want {
			t.Errorf("notebook %d output %q, want %q", i, out.Cells[0].Outputs[0].Text, want)
		}
	}
	if res[4].Err == nil || !strings.Contains(res[4].Err.Error(), "would also write") {
		t.Errorf("duplicate output: %v", res[4].Err)
	}
	cfg.KeepDebugInfo = true
	dirs = nil
	RunFiles(testCtx(t), jobs[:1], cfg)
	if len(dirs) != 1 {
		t.Errorf("KeepDebugInfo still set an environment: %q", dirs)
	}
	if len(seen) != 4 {
		t.Errorf("progress for %d jobs; want 4", len(seen))
	}
}

func TestFastGoFlags(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "-ldflags=-s -gcflags=-dwarf=false",
		"-mod=mod":                "-mod=mod -ldflags=-s -gcflags=-dwarf=false",
		"-ldflags=-X=a.b=c":       "-ldflags=-X=a.b=c -gcflags=-dwarf=false",
		"--gcflags=-N -tags=x":    "--gcflags=-N -tags=x -ldflags=-s",
		"-ldflags=-w -gcflags=-l": "-ldflags=-w -gcflags=-l",
	} {
		if got := FastGoFlags(in); got != want {
			t.Errorf("FastGoFlags(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpecFinder(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "gonb")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(dir, "mod")
	if err := os.MkdirAll(filepath.Join(mod, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module m\n\ntool (\n\tgithub.com/janpfeifer/gonb // the kernel\n)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	specs := map[string]*kernel.Spec{
		"gonb":  {Name: "gonb", Argv: []string{prog}},
		"stale": {Name: "stale", Argv: []string{filepath.Join(dir, "gone")}},
		"sh":    {Name: "sh", Argv: []string{"sh"}},
	}
	find := func(installed ...string) func(string) (*kernel.Spec, error) {
		return func(name string) (*kernel.Spec, error) {
			for _, n := range installed {
				if n == name {
					return specs[name], nil
				}
			}
			return nil, fmt.Errorf("finding kernelspec %q: %w", name, kernel.ErrNoSpec)
		}
	}
	var builtFrom string
	gonb := func(ctx context.Context, dir string) (*kernel.Spec, error) {
		builtFrom = dir
		return &kernel.Spec{Name: "gonb", Argv: []string{"tool-gonb"}}, nil
	}
	nbWith := func(kernelName string) *notebooks.Notebook {
		nb := notebooks.New("x.ipynb")
		if kernelName != "" {
			if err := nb.SetMetadata("kernelspec", map[string]string{"name": kernelName, "display_name": kernelName}); err != nil {
				t.Fatal(err)
			}
		}
		return nb
	}
	for _, tc := range []struct {
		name      string
		f         SpecFinder
		nbKernel  string
		want      string // first argv entry
		wantBuilt string
		wantErr   string
	}{
		{name: "installed gonb", f: SpecFinder{Find: find("gonb")}, want: prog},
		{name: "notebook's kernel", f: SpecFinder{Find: find("gonb", "sh")}, nbKernel: "sh", want: "sh"},
		{name: "flag wins", f: SpecFinder{Name: "sh", Find: find("gonb", "sh")}, nbKernel: "gonb", want: "sh"},
		{name: "tool fallback", f: SpecFinder{Find: find(), GoNB: gonb, SearchFrom: []string{filepath.Join(mod, "sub")}}, want: "tool-gonb", wantBuilt: mod},
		{name: "stale spec", f: SpecFinder{Name: "stale", Find: find("stale")}, wantErr: "names a program that is gone"},
		{name: "no gonb anywhere", f: SpecFinder{Find: find(), GoNB: gonb, SearchFrom: []string{dir}}, wantErr: "run decant kernel-setup"},
		{name: "unknown kernel", f: SpecFinder{Find: find("gonb")}, nbKernel: "julia", wantErr: "finding kernel julia"},
	} {
		builtFrom = ""
		s, err := tc.f.Spec(context.Background(), nbWith(tc.nbKernel))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || s.Argv[0] != tc.want || builtFrom != tc.wantBuilt {
			t.Errorf("%s: spec %v, err %v, built from %q", tc.name, s, err, builtFrom)
		}
	}
}

func TestPinsTool(t *testing.T) {
	for _, tc := range []struct {
		gomod string
		want  bool
	}{
		{"module m\ntool github.com/janpfeifer/gonb\n", true},
		{"module m\ntool (\n\tgolang.org/x/tools/cmd/goimports\n\tgithub.com/janpfeifer/gonb\n)\n", true},
		{"module m\nrequire github.com/janpfeifer/gonb v0.11.1\n", false},
		{"module m\n// tool github.com/janpfeifer/gonb\n", false},
		{"module m\ntool (\n)\nrequire (\n\tgithub.com/janpfeifer/gonb v0.11.1\n)\n", false},
		{"module m\ntool github.com/janpfeifer/gonb/cmd/x\n", false},
	} {
		if got := PinsTool([]byte(tc.gomod), GoNBModule); got != tc.want {
			t.Errorf("PinsTool(%q) = %v, want %v", tc.gomod, got, tc.want)
		}
	}
}

func TestBarLine(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	var sb strings.Builder
	b := newBar(&sb, []string{"dir/study.ipynb"}, 60, func() time.Time { return now })
	if got := b.line(t0.Add(300 * time.Millisecond)); got != "study.ipynb: starting the kernel  0.3s" {
		t.Errorf("before the first cell: %q", got)
	}
	b.Update(0, Progress{Step: 3, Steps: 10, FirstLine: "fmt.Println(\"a long first line that will not fit in sixty columns\")", Started: t0.Add(2 * time.Second)})
	got := b.line(t0.Add(3500 * time.Millisecond))
	want := "[##--------] 3/10  3.5s (cell 1.5s)  fmt.Println(\"a long fi…"
	if got != want {
		t.Errorf("line:\n got %q\nwant %q", got, want)
	}
	if !strings.HasPrefix(sb.String(), "\r[##--------] 3/10") {
		t.Errorf("drawn %q", sb.String())
	}

	m := newBar(&sb, []string{"a.ipynb", "b.ipynb", "c.ipynb"}, 80, func() time.Time { return t0 })
	m.Update(0, Progress{Step: 1, Steps: 2})
	m.Finish(0)
	m.Update(2, Progress{Step: 4, Steps: 7, FirstLine: "x"})
	if got := m.line(t0.Add(time.Second)); got != "[###-------] 1/3 notebooks  1.0s  c.ipynb 4/7" {
		t.Errorf("jobs line = %q", got)
	}
	if got := truncate("a\tb\x1b[2Jc", 80); got != "a b [2Jc" {
		t.Errorf("truncate kept control characters: %q", got)
	}
}
