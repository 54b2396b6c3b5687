package nbrun

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/kerneltest"
	"github.com/decant-go/decant/notebooks"
)

// script is a fake kernel whose behaviour is chosen by the cell source.
func script(c *kerneltest.Call) {
	switch {
	case c.Code == "fail":
		c.Stdout("before\n")
		c.Fail("CompileError", "undefined: x", "line 1", "line 2")
	case c.Code == "panic":
		// GoNB reports a panicking program as success.
		c.Stderr("panic: boom\n\ngoroutine 1 [running]:\nexit status 2\n")
	case c.Code == "sleep":
		if !c.Sleep(time.Hour) {
			c.Stderr("interrupted\n")
		}
	case c.Code == "rich":
		c.Stdout("a")
		c.Stdout("b\n")
		c.Stderr("warn\n")
		c.Display(map[string]any{"text/html": "<b>x</b>\n<i>y</i>", "image/png": "iVBORw0KGgo=", "application/json": map[string]any{"k": []int{1, 2}}}, "")
		c.Result(map[string]any{"text/plain": "42"})
	case c.Code == "show":
		c.Display(map[string]any{"text/plain": "old"}, "d1")
	case c.Code == "update":
		c.UpdateDisplay(map[string]any{"text/plain": "new"}, "d1")
	case strings.HasPrefix(c.Code, "echo "):
		c.Stdout(strings.TrimPrefix(c.Code, "echo ") + "\n")
	default:
		c.Stdout(c.Code)
	}
}

func dial(t testing.TB, h kerneltest.HandlerFunc) (*kerneltest.Server, *kernel.Client) {
	t.Helper()
	s := kerneltest.NewServer(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := kernel.Dial(ctx, s.Info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

func testCtx(t *testing.T) context.Context {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
		t.Cleanup(cancel)
	}
	return ctx
}

func sources(nb *notebooks.Notebook) []string {
	var s []string
	for _, c := range nb.Cells {
		s = append(s, c.Type+":"+c.Source)
	}
	return s
}

func TestRunStopsAtFirstError(t *testing.T) {
	_, c := dial(t, script)
	nb := newNotebook(t, "md:# T", "echo one", "fail", "echo three")
	var events []Progress
	rep, err := Run(testCtx(t), nb, c, Options{Progress: func(p Progress) { events = append(events, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps != 3 || rep.Executed != 2 || !rep.Stopped || len(rep.Failures) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	f := rep.Failures[0]
	// In the input "fail" is cell 2; in the output: banner at 0, markdown at 1, "echo one" at 2,
	// marker at 3, "fail" at 4. Failures name the cell as the user numbers it.
	if f.Cell != 2 || f.OutputCell != 4 || f.ExecutionCount != 2 || f.EName != "CompileError" || f.Status != kernel.StatusError || f.FirstLine != "fail" {
		t.Errorf("failure = %+v", f)
	}
	if got := f.String(); got != "cell 2 (In [2]): CompileError: undefined: x" {
		t.Errorf("failure string = %q", got)
	}
	if len(nb.Cells) != 6 {
		t.Fatalf("cells: %q", sources(nb))
	}
	banner, marker := nb.Cells[0], nb.Cells[3]
	if !slices.Equal(banner.Tags, []string{TagErrorBanner}) || !strings.Contains(banner.Source, `An exception was encountered at '<a href="#decant-error-cell">In [2]</a>'`) {
		t.Errorf("banner = %q %q", banner.Tags, banner.Source)
	}
	if !slices.Equal(marker.Tags, []string{TagErrorCell}) || !strings.Contains(marker.Source, `id="decant-error-cell"`) ||
		!strings.Contains(marker.Source, "and stopped") || !strings.Contains(marker.Source, "`CompileError: undefined: x`") {
		t.Errorf("marker = %q %q", marker.Tags, marker.Source)
	}
	failed := nb.Cells[4]
	if len(failed.Outputs) != 2 || failed.Outputs[1].Type != "error" || !slices.Equal(failed.Outputs[1].Traceback, []string{"line 1", "line 2"}) {
		t.Errorf("failing cell outputs = %+v", failed.Outputs)
	}
	last := nb.Cells[5]
	if len(last.Outputs) != 0 || last.ExecutionCount != nil {
		t.Errorf("cell after the failure ran: %+v", last.Outputs)
	}
	if _, ok := last.Metadata("execution"); ok {
		t.Error("cell after the failure has timing metadata")
	}
	if len(events) != 4 || events[0].Step != 1 || events[0].Steps != 3 || events[3].Status != kernel.StatusError || !events[3].Done {
		t.Errorf("progress events = %+v", events)
	}
	validate(t, nb)

	// Running again replaces the banner instead of adding another.
	rep, err = Run(testCtx(t), nb, c, Options{})
	if err != nil || len(nb.Cells) != 6 || rep.Failures[0].Cell != 4 {
		t.Errorf("second run: %v, cells %q", err, sources(nb))
	}
}

func TestRunAllowErrors(t *testing.T) {
	_, c := dial(t, script)
	nb := newNotebook(t, "fail", "panic", "echo three")
	rep, err := Run(testCtx(t), nb, c, Options{AllowErrors: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Executed != 3 || rep.Stopped || len(rep.Failures) != 2 {
		t.Fatalf("report = %+v", rep)
	}
	if rep.Failures[1].EName != "RuntimeError" || rep.Failures[1].EValue != "panic: boom" {
		t.Errorf("runtime failure = %+v", rep.Failures[1])
	}
	// Banner, marker, fail, panic, echo.
	if len(nb.Cells) != 5 || !strings.Contains(nb.Cells[0].Source, "2 cells failed") || strings.Contains(nb.Cells[1].Source, "and stopped") {
		t.Fatalf("cells: %q", sources(nb))
	}
	panicked := nb.Cells[3]
	if n := len(panicked.Outputs); n != 2 || panicked.Outputs[1].Type != "error" || panicked.Outputs[1].EName != "RuntimeError" {
		t.Errorf("panicking cell outputs = %+v", panicked.Outputs)
	}
	if got := nb.Cells[4].Outputs; len(got) != 1 || got[0].Text != "three\n" {
		t.Errorf("last cell outputs = %+v", got)
	}
	validate(t, nb)
}

func TestRunTimeout(t *testing.T) {
	s, c := dial(t, script)
	nb := newNotebook(t, "sleep", "echo after")
	rep, err := Run(testCtx(t), nb, c, Options{Timeout: 300 * time.Millisecond, AllowErrors: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failures) != 1 || rep.Failures[0].Status != kernel.StatusTimeout || rep.Failures[0].EName != "CellTimeoutError" {
		t.Fatalf("failures = %+v", rep.Failures)
	}
	if s.Interrupts() != 1 {
		t.Errorf("interrupts = %d, want 1", s.Interrupts())
	}
	sleep := nb.Cells[2] // after banner and marker
	if o := sleep.Outputs; len(o) != 2 || o[0].Text != "interrupted\n" || o[1].EName != "CellTimeoutError" {
		t.Errorf("timed-out cell outputs = %+v", o)
	}
	if o := nb.Cells[3].Outputs; len(o) != 1 || o[0].Text != "after\n" {
		t.Errorf("the kernel did not go on after the timeout: %+v", o)
	}
	validate(t, nb)
}

func TestRunDeadKernel(t *testing.T) {
	_, c := dial(t, func(c *kerneltest.Call) {
		if c.Code == "die" {
			c.Die()
			return
		}
		script(c)
	})
	nb := newNotebook(t, "echo one", "die", "echo three")
	rep, err := Run(testCtx(t), nb, c, Options{AllowErrors: true})
	if err != nil {
		t.Fatalf("a dead kernel is a cell failure, not a run error: %v", err)
	}
	if !rep.Stopped || len(rep.Failures) != 1 || rep.Failures[0].Status != kernel.StatusDead {
		t.Fatalf("report = %+v", rep)
	}
	validate(t, nb)
}

func TestRunOutputs(t *testing.T) {
	_, c := dial(t, script)
	nb := newNotebook(t, "rich", "show", "", "update")
	start := time.Now().UTC().Add(-time.Second)
	rep, err := Run(testCtx(t), nb, c, Options{})
	if err != nil || rep.Failed() {
		t.Fatal(err, rep.Failures)
	}
	if rep.Steps != 3 {
		t.Errorf("steps = %d; the blank cell must not run", rep.Steps)
	}
	rich := nb.Cells[0]
	if rich.ExecutionCount == nil || *rich.ExecutionCount != 1 {
		t.Errorf("execution count = %v", rich.ExecutionCount)
	}
	o := rich.Outputs
	if len(o) != 4 {
		t.Fatalf("outputs = %+v", o)
	}
	if o[0].Type != "stream" || o[0].Name != "stdout" || o[0].Text != "ab\n" || o[1].Name != "stderr" {
		t.Errorf("streams = %+v %+v", o[0], o[1])
	}
	if o[2].Type != "display_data" || o[2].Data["text/html"] != "<b>x</b>\n<i>y</i>" || o[2].Data["image/png"] != "iVBORw0KGgo=" ||
		o[2].Data["application/json"] != `{"k":[1,2]}` {
		t.Errorf("display = %+v", o[2])
	}
	if o[3].Type != "execute_result" || o[3].ExecutionCount == nil || *o[3].ExecutionCount != 1 || o[3].Data["text/plain"] != "42" {
		t.Errorf("result = %+v", o[3])
	}
	if got := nb.Cells[1].Outputs; len(got) != 1 || got[0].Data["text/plain"] != "new" {
		t.Errorf("update_display_data did not reach the earlier cell: %+v", got)
	}
	if nb.Cells[2].ExecutionCount != nil {
		t.Error("blank cell got an execution count")
	}

	raw, ok := rich.Metadata("execution")
	if !ok {
		t.Fatal("no metadata.execution")
	}
	var times map[string]string
	if err := json.Unmarshal(raw, &times); err != nil {
		t.Fatal(err)
	}
	keys := []string{"iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply"}
	for _, k := range keys {
		ts, err := time.Parse(time.RFC3339Nano, times[k])
		if err != nil || ts.Before(start) {
			t.Errorf("metadata.execution[%q] = %q (%v)", k, times[k], err)
		}
	}
	in, _ := time.Parse(time.RFC3339Nano, times["iopub.execute_input"])
	out, _ := time.Parse(time.RFC3339Nano, times["shell.execute_reply"])
	if out.Before(in) {
		t.Errorf("reply %v before input %v", out, in)
	}
	validate(t, nb)
}

func TestRunContextCanceled(t *testing.T) {
	_, c := dial(t, script)
	nb := newNotebook(t, "sleep", "echo two")
	ctx, cancel := context.WithCancel(testCtx(t))
	rep, err := Run(ctx, nb, c, Options{Progress: func(p Progress) {
		if !p.Done {
			go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v", err)
	}
	if !rep.Stopped || rep.Executed != 1 || nb.Cells[len(nb.Cells)-1].ExecutionCount != nil {
		t.Errorf("report = %+v", rep)
	}
	validate(t, nb)
}

func TestCompileErrors(t *testing.T) {
	// As GoNB v0.11.1 reports `go build` failures (shortened).
	report := `<style>.gonb-err-location {}</style>
<span style="white-space: pre;"> # gonb_1c359ce8</span>
<span class="gonb-cell-line-info">Cell[3]: Line 2</span>
<span class="gonb-err-location">./main.go:17:1: </span> undefined: undefinedThing
<div class="gonb-err-context">
func main() {
<div class="gonb-err-line">undefinedThing++
</div>
<span class="gonb-cell-line-info">Cell[1]: Line 4</span>
<span class="gonb-err-location">./main.go:9:2: </span> cannot use &#34;x&#34; (untyped string constant) as int value
`
	raw, _ := json.Marshal(report)
	outs := []kernel.Output{
		{Type: kernel.TypeStream, Name: "stderr", Text: "x"},
		{Type: kernel.TypeDisplayData, Data: map[string]json.RawMessage{"text/html": raw}},
	}
	want := `line 2: undefined: undefinedThing; Cell[1]: Line 4: cannot use "x" (untyped string constant) as int value`
	if got := CompileErrors(outs, 3); got != want {
		t.Errorf("CompileErrors:\n got %q\nwant %q", got, want)
	}
	if got := CompileErrors(outs[:1], 3); got != "" {
		t.Errorf("CompileErrors without a report = %q", got)
	}
	f := Failure{Cell: 5, ExecutionCount: 3, EName: "ERROR", EValue: "failed to run go build", Detail: "line 2: undefined: x"}
	if got := f.String(); got != "cell 5 (In [3]): ERROR: line 2: undefined: x" {
		t.Errorf("Failure.String = %q", got)
	}
}

func TestFirstLine(t *testing.T) {
	for src, want := range map[string]string{
		"%%\nfmt.Println(1)":   "fmt.Println(1)",
		"\n  // load data\n%%": "// load data",
		"%% --who=me\nx":       "%% --who=me",
		"\n \n":                "",
	} {
		if got := FirstLine(src); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", src, got, want)
		}
	}
}

func TestConvertOutputDropsBadJSON(t *testing.T) {
	o := ConvertOutput(kernel.Output{Type: kernel.TypeDisplayData, Data: map[string]json.RawMessage{
		"application/vnd.x+json": json.RawMessage(`{"a":`),
		"text/plain":             json.RawMessage(`["a\n", "b"]`),
		"text/html":              json.RawMessage(`7`),
	}, Metadata: map[string]json.RawMessage{"b": json.RawMessage(`1`), "a": json.RawMessage(`true`)}})
	if len(o.Data) != 1 || o.Data["text/plain"] != "a\nb" || string(o.Metadata) != `{"a":true,"b":1}` {
		t.Errorf("converted = %+v, metadata %s", o.Data, o.Metadata)
	}
	s := ConvertOutput(kernel.Output{Type: kernel.TypeStream, Name: "weird", Text: "x"})
	if s.Name != "stdout" {
		t.Errorf("stream name = %q", s.Name)
	}
}

// validate checks nb with the Python nbformat validator, when it is
// installed (Debian: python3-nbformat).
func validate(t *testing.T, nb *notebooks.Notebook) {
	t.Helper()
	data, err := notebooks.Format(nb)
	if err != nil {
		t.Fatalf("Format: %v", err)
	}
	path := filepath.Join(t.TempDir(), "out.ipynb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	validateFile(t, path)
}

const nbformatCheck = `import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], 4))`

func validateFile(t *testing.T, path string) {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import nbformat").Run(); err != nil {
		t.Logf("python3-nbformat not installed; nbformat validation of %s skipped", filepath.Base(path))
		return
	}
	out, err := exec.Command(py, "-c", nbformatCheck, path).CombinedOutput()
	if err != nil {
		t.Errorf("nbformat rejects %s: %v\n%s", filepath.Base(path), err, out)
	}
}
