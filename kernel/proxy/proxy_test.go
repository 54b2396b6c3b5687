package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/kernel/kerneltest"
	"github.com/decant-go/decant/kernel/wire"
)

// fakeBackend is a kerneltest server standing in for GoNB, with the
// client the kernel uses to watch it.
type fakeBackend struct {
	*kernel.Client
	srv *kerneltest.Server
}

// Kill stands in for kernel.Client.Kill, which would only close the
// fake's client: the fake server is told to shut down.
func (f *fakeBackend) Kill() error { return f.Shutdown(context.Background()) }

func (f *fakeBackend) Shutdown(ctx context.Context) error {
	err := f.Client.Shutdown(ctx)
	f.srv.Close()
	return err
}

// harness is a Decant kernel in front of fake GoNBs, and a client of it.
type harness struct {
	t      *testing.T
	srv    *Server
	client *kernel.Client
	done   chan error

	mu    sync.Mutex
	fakes []*kerneltest.Server
}

// fake returns the newest fake GoNB, waiting for its start (GoNB starts
// in the background).
func (h *harness) fake() *kerneltest.Server {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		h.mu.Lock()
		n := len(h.fakes)
		var f *kerneltest.Server
		if n > 0 {
			f = h.fakes[n-1]
		}
		h.mu.Unlock()
		if f != nil {
			return f
		}
		if time.Now().After(deadline) {
			h.t.Fatal("no fake GoNB was started")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) starts() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.fakes)
}

func newHarness(t *testing.T, handler kerneltest.HandlerFunc, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, done: make(chan error, 1)}
	opts.Start = func(ctx context.Context) (Backend, error) {
		fs, err := kerneltest.Listen(wire.ConnectionInfo{}, handler)
		if err != nil {
			return nil, err
		}
		c, err := kernel.Config{Session: BackendSession, HeartbeatInterval: 50 * time.Millisecond,
			HeartbeatTimeout: 300 * time.Millisecond}.Dial(ctx, fs.Info)
		if err != nil {
			fs.Close()
			return nil, err
		}
		h.mu.Lock()
		h.fakes = append(h.fakes, fs)
		h.mu.Unlock()
		return &fakeBackend{Client: c, srv: fs}, nil
	}
	if opts.Version == "" {
		opts.Version = "test"
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	srv, err := Listen(wire.ConnectionInfo{Key: "proxy-test-key"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- srv.Serve(ctx) }()
	dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
	defer dcancel()
	c, err := kernel.Config{HeartbeatInterval: -1, RequestTimeout: 10 * time.Second}.Dial(dctx, srv.Info())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h.client = c
	t.Cleanup(func() {
		c.Close()
		cancel()
		select {
		case <-h.done:
		case <-time.After(20 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return h
}

func (h *harness) exec(code string) *kernel.Result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := h.client.Execute(ctx, code, kernel.ExecOptions{KeepRuntimeFailures: true})
	if err != nil {
		h.t.Fatalf("executing %q: %v", code, err)
	}
	return r
}

func (h *harness) request(msgType string, content any) map[string]any {
	h.t.Helper()
	m, err := h.client.Request(context.Background(), msgType, content)
	if err != nil {
		h.t.Fatalf("%s: %v", msgType, err)
	}
	var out map[string]any
	if err := json.Unmarshal(m.Content, &out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

func countType(outs []kernel.Output, typ string) int {
	n := 0
	for _, o := range outs {
		if o.Type == typ {
			n++
		}
	}
	return n
}

func dataText(o kernel.Output, mime string) string {
	var s string
	_ = json.Unmarshal(o.Data[mime], &s)
	return s
}

func echo(c *kerneltest.Call) { c.Stdout(c.Code) }

func TestForwardsExecutionAndOwnsTheCount(t *testing.T) {
	h := newHarness(t, echo, Options{})
	for i, code := range []string{"one", "two"} {
		r := h.exec(code)
		if r.Status != "ok" || len(r.Outputs) != 1 || r.Outputs[0].Text != code {
			t.Fatalf("%s: status %s outputs %+v", code, r.Status, r.Outputs)
		}
		if r.ExecutionCount != i+1 {
			t.Errorf("%s: execution count %d, want %d", code, r.ExecutionCount, i+1)
		}
	}
	// A magic takes a count too, and the next GoNB cell continues from it.
	if r := h.exec("%decant version"); r.ExecutionCount != 3 {
		t.Errorf("magic count %d, want 3", r.ExecutionCount)
	}
	if r := h.exec("three"); r.ExecutionCount != 4 {
		t.Errorf("count after magic %d, want 4", r.ExecutionCount)
	}
	ki := h.request("kernel_info_request", nil)
	if ki["implementation"] != "decant" || ki["language_info"].(map[string]any)["name"] != "go" {
		t.Errorf("kernel_info %v", ki)
	}
}

func TestIsCompleteAndHistoryAnswered(t *testing.T) {
	h := newHarness(t, echo, Options{})
	for code, want := range map[string]string{
		"%%\nfmt.Println(1)": "complete",
		"func f() {":         "incomplete",
		"func f() { )":       "invalid",
	} {
		if got := h.request("is_complete_request", map[string]string{"code": code}); got["status"] != want {
			t.Errorf("is_complete %q = %v, want %s", code, got, want)
		}
	}
	h.exec("a")
	h.exec("%decant version")
	got := h.request("history_request", map[string]any{"hist_access_type": "tail", "n": 2, "output": true, "raw": true})
	hist, _ := json.Marshal(got["history"])
	if want := `[[1,1,["a",null]],[1,2,["%decant version","decant test"]]]`; string(hist) != want {
		t.Errorf("history %s, want %s", hist, want)
	}
	if reqs := h.fake().Requests(); strings.Contains(strings.Join(reqs, " "), "is_complete") || strings.Contains(strings.Join(reqs, " "), "history") {
		t.Errorf("GoNB got %v", reqs)
	}
}

func TestPanicBecomesOneError(t *testing.T) {
	h := newHarness(t, func(c *kerneltest.Call) {
		switch c.Code {
		case "panic":
			c.Stdout("before\n")
			c.Stderr("warning: x\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n")
			c.Stderr("exit status 2\n")
		case "exit":
			c.Stderr("exit status 3\n")
		case "noise":
			c.Stderr("exit status is fine\n")
		}
	}, Options{})
	r := h.exec("panic")
	if r.Status != "error" || countType(r.Outputs, "error") != 1 {
		t.Fatalf("status %s outputs %+v", r.Status, r.Outputs)
	}
	var stderr string
	for _, o := range r.Outputs {
		if o.Type == "stream" && o.Name == "stderr" {
			stderr += o.Text
		}
	}
	if stderr != "warning: x\n" {
		t.Errorf("stderr passed on %q, want only the text before the panic", stderr)
	}
	if r.Error == nil || r.Error.EName != "RuntimeError" || r.Error.EValue != "panic: boom" {
		t.Errorf("error %+v", r.Error)
	}
	if tb := strings.Join(r.Error.Traceback, "\n"); !strings.Contains(tb, "goroutine 1") || !strings.Contains(tb, "exit status 2") {
		t.Errorf("traceback %q", tb)
	}
	if r := h.exec("exit"); r.Status != "error" || r.Error.EValue != "exit status 3" || len(r.Outputs) != 1 {
		t.Errorf("os.Exit: status %s outputs %+v", r.Status, r.Outputs)
	}
	if r := h.exec("noise"); r.Status != "ok" || len(r.Outputs) != 1 || r.Outputs[0].Text != "exit status is fine\n" {
		t.Errorf("ordinary stderr: status %s outputs %+v", r.Status, r.Outputs)
	}
}

const gonbErrorHTML = `<style>.gonb-err-location {}</style><span class="gonb-err-location">main.go:3:1</span><div class="gonb-err-context">x</div>`

// GoNB's HTML report is kept; the error it follows is rebuilt from it,
// with the compiler's message at the notebook's cell and line.
func TestCompileErrorCarriesTheCompilerMessage(t *testing.T) {
	report := readReports(t)["main"]
	h := newHarness(t, func(c *kerneltest.Call) {
		if strings.Contains(c.Code, "undefinedThing") {
			c.Display(map[string]any{"text/html": strings.ReplaceAll(report.HTML, "Cell[3]", fmt.Sprintf("Cell[%d]", c.ExecutionCount))}, "")
			c.Fail("ERROR", report.EValue, report.EValue)
		}
	}, Options{})
	h.exec("%decant version") // the kernel's count runs ahead of GoNB's
	h.exec("x := 1")
	r := h.exec(report.Code)
	if r.Status != "error" || len(r.Outputs) != 2 || r.Outputs[0].Type != "display_data" || r.Outputs[1].Type != "error" {
		t.Fatalf("compile error: status %s outputs %+v", r.Status, r.Outputs)
	}
	if r.ExecutionCount != 3 || r.Error.EName != "CompileError" || r.Error.EValue != "Cell [3], line 2: declared and not used: y (and 2 more)" {
		t.Errorf("count %d error %+v", r.ExecutionCount, r.Error)
	}
	if html := dataText(r.Outputs[0], "text/html"); !strings.Contains(html, "Cell[3]: Line 4") {
		t.Errorf("the HTML report keeps GoNB's count:\n%s", html)
	}
	// Without an error after it, a report is an ordinary display.
	r = h.exec("display only")
	if r.Status != "ok" || len(r.Outputs) != 0 {
		t.Errorf("display only: status %s outputs %+v", r.Status, r.Outputs)
	}
}

func TestMagicsNeverReachGoNB(t *testing.T) {
	var got []string
	h := newHarness(t, echo, Options{Logf: t.Logf, Magics: map[string]Magic{
		"extract": {Summary: "x", Run: func(ctx context.Context, args []string, env MagicEnv) (*Result, error) {
			io.WriteString(env.Stdout, "working\n")
			got = args
			return nil, nil
		}},
		"boom": {Summary: "panics", Run: func(context.Context, []string, MagicEnv) (*Result, error) { panic("kaboom") }},
	}})
	r := h.exec("%decant version")
	if r.Status != "ok" || len(r.Outputs) != 1 || r.Outputs[0].Type != "execute_result" || dataText(r.Outputs[0], "text/plain") != "decant test" {
		t.Errorf("version: %s %+v", r.Status, r.Outputs)
	}
	r = h.exec("%decant help")
	if text := dataText(r.Outputs[0], "text/plain"); !strings.Contains(text, "%decant version") || !strings.Contains(text, "%decant extract") {
		t.Errorf("help: %q", text)
	}
	r = h.exec("// extract it\n%decant extract --no-verify 'a b'")
	if r.Status != "ok" || len(r.Outputs) != 1 || r.Outputs[0].Text != "working\n" || strings.Join(got, "|") != "--no-verify|a b" {
		t.Errorf("extract: %s %+v, args %q", r.Status, r.Outputs, got)
	}
	for code, want := range map[string]string{
		"%decant nope":         "unknown command",
		"%decant boom":         "kaboom",
		"%decant version\nx++": "cell of its own",
	} {
		r := h.exec(code)
		if r.Status != "error" || countType(r.Outputs, "error") != 1 || !strings.Contains(strings.Join(r.Error.Traceback, "\n"), want) {
			t.Errorf("%q: status %s outputs %+v, want an error about %q", code, r.Status, r.Outputs, want)
		}
	}
	for _, req := range h.fake().Requests() {
		if req == "execute_request" {
			t.Errorf("GoNB got an execute_request: %v", h.fake().Requests())
		}
	}
	// The kernel still works after all that.
	if r := h.exec("still here"); r.Status != "ok" {
		t.Errorf("after magics: %s", r.Status)
	}
}

func TestCrashingCellNotSent(t *testing.T) {
	h := newHarness(t, echo, Options{})
	r := h.exec("%%\nfmt.Println(1)\n%%\nfmt.Println(2)")
	if r.Status != "error" || !strings.Contains(r.Error.EValue, "crash") {
		t.Errorf("status %s error %+v", r.Status, r.Error)
	}
	for _, req := range h.fake().Requests() {
		if req == "execute_request" {
			t.Error("the crashing cell was sent to GoNB")
		}
	}
}

func TestGoNBDeathIsReportedAndRestarted(t *testing.T) {
	h := newHarness(t, func(c *kerneltest.Call) {
		if c.Code == "die" {
			c.Stdout("dying\n")
			c.Die()
			return
		}
		c.Stdout(c.Code)
	}, Options{})
	h.exec("first")
	r := h.exec("die")
	if r.Status != "error" || r.Error == nil || r.Error.EName != "KernelDied" || countType(r.Outputs, "error") != 1 {
		t.Fatalf("status %s outputs %+v", r.Status, r.Outputs)
	}
	r = h.exec("after")
	if r.Status != "ok" || r.Outputs[0].Text != "after" {
		t.Errorf("after restart: %s %+v", r.Status, r.Outputs)
	}
	if r.ExecutionCount != 3 {
		t.Errorf("count after restart %d, want 3", r.ExecutionCount)
	}
	if h.starts() != 2 || h.srv.Restarts() != 1 {
		t.Errorf("%d starts, %d restarts; want 2, 1", h.starts(), h.srv.Restarts())
	}
}

func TestBadMessagesDropped(t *testing.T) {
	h := newHarness(t, echo, Options{})
	d := zmq4.NewDealer(context.Background(), zmq4.WithLogger(log.New(io.Discard, "", 0)))
	defer d.Close()
	if err := d.Dial(h.srv.Info().Addr(wire.Shell)); err != nil {
		t.Fatal(err)
	}
	m, _ := wire.NewMessage("execute_request", "s", nil, wire.ExecuteRequest{Code: "evil", StoreHistory: true})
	bad, _ := wire.Encode(m, wire.Signer{Key: []byte("wrong key")})
	for _, frames := range [][][]byte{
		bad,
		{[]byte("garbage")},
		{[]byte(wire.Delimiter), []byte("sig")},
		{[]byte(wire.Delimiter), {}, []byte("{"), {}, {}, {}},
	} {
		if err := d.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
			t.Fatal(err)
		}
	}
	r := h.exec("good")
	if r.Status != "ok" || r.ExecutionCount != 1 {
		t.Errorf("after bad messages: %s count %d", r.Status, r.ExecutionCount)
	}
	// The bad messages come on another connection: no order with "good".
	for deadline := time.Now().Add(5 * time.Second); h.srv.Dropped() < 4 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.srv.Dropped(); n != 4 {
		t.Errorf("dropped %d messages, want 4", n)
	}
	for _, req := range h.fake().Requests() {
		if req == "execute_request" && h.fake().BadSignatures() > 0 {
			t.Error("a badly signed message reached GoNB")
		}
	}
}

func TestInterruptAndInputForwarded(t *testing.T) {
	h := newHarness(t, func(c *kerneltest.Call) {
		switch c.Code {
		case "sleep":
			if !c.Sleep(time.Hour) {
				c.Stderr("interrupted\n")
			}
		case "ask":
			v, err := c.Input("name? ", false)
			if err != nil {
				c.Fail("Input", err.Error())
				return
			}
			c.Stdout("hello " + v)
		}
	}, Options{})
	h.exec("warm up") // GoNB starts in the background
	done := make(chan *kernel.Result, 1)
	go func() { done <- h.exec("sleep") }()
	time.Sleep(200 * time.Millisecond) // let the cell start
	if err := h.client.Interrupt(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.Outputs[0].Text != "interrupted\n" {
			t.Errorf("interrupted cell: %+v", r.Outputs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("interrupt did not reach GoNB")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := h.client.Execute(ctx, "ask", kernel.ExecOptions{Inputs: []string{"ada"}})
	if err != nil || r.Status != "ok" || r.Outputs[len(r.Outputs)-1].Text != "hello ada" {
		t.Errorf("input: %v %+v", err, r)
	}
}

func TestOtherRequestsForwarded(t *testing.T) {
	h := newHarness(t, func(c *kerneltest.Call) {
		// An iopub message that answers nothing of ours passes through too.
		c.Publish("comm_open", map[string]any{"comm_id": "w1", "target_name": "gonb_comm", "data": map[string]any{}})
		c.Publish("comm_msg", map[string]any{"comm_id": "w1", "data": map[string]any{"v": 1}})
		c.Stdout("x")
	}, Options{})
	h.exec("x")
	h.client.Send(wire.Shell, "comm_open", map[string]any{"comm_id": "f1", "target_name": "jupyter.widget", "data": map[string]any{}})
	h.exec("y")
	if reqs := strings.Join(h.fake().Requests(), " "); !strings.Contains(reqs, "comm_open") {
		t.Errorf("GoNB got %s", reqs)
	}
	// GoNB never answers comm_info_request: the kernel does, from the
	// comms it saw opened either way.
	m := h.request("comm_info_request", map[string]any{})
	comms, _ := m["comms"].(map[string]any)
	if m["status"] != "ok" || len(comms) != 2 || comms["w1"] == nil || comms["f1"] == nil {
		t.Errorf("comm_info_reply %v", m)
	}
	m = h.request("comm_info_request", map[string]any{"target_name": "gonb_comm"})
	if comms, _ := m["comms"].(map[string]any); len(comms) != 1 {
		t.Errorf("comm_info_reply for gonb_comm %v", m)
	}
}

func TestShutdownStopsEverything(t *testing.T) {
	for _, restart := range []bool{false, true} {
		h := newHarness(t, echo, Options{})
		h.exec("a")
		fake := h.fake()
		m := h.request("shutdown_request", map[string]bool{"restart": restart})
		if m["status"] != "ok" || m["restart"] != restart {
			t.Errorf("shutdown reply %v", m)
		}
		// A restart too ends the process: Jupyter starts a new one.
		select {
		case err := <-h.done:
			h.done <- err // for the cleanup
			if err != nil {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after shutdown_request")
		}
		if !fake.ShutdownRequested() {
			t.Error("GoNB was not shut down")
		}
	}
}

func TestInterruptReplyOnBothChannels(t *testing.T) {
	h := newHarness(t, func(c *kerneltest.Call) {
		if c.Code != "sleep" {
			return
		}
		if c.Sleep(10 * time.Second) {
			c.Stdout("slept")
		} else {
			c.Stdout("interrupted\n")
		}
	}, Options{})
	h.exec("warm up")
	for _, ch := range []wire.Channel{wire.Control, wire.Shell} {
		done := make(chan *kernel.Result, 1)
		go func() { done <- h.exec("sleep") }()
		time.Sleep(300 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rep, err := h.client.RequestOn(ctx, ch, "interrupt_request", nil)
		cancel()
		if err != nil || rep.Type() != "interrupt_reply" {
			t.Fatalf("%s: %v %v", ch, err, rep)
		}
		if r := <-done; len(r.Outputs) == 0 || r.Outputs[0].Text != "interrupted\n" {
			t.Errorf("%s: cell %+v", ch, r.Outputs)
		}
	}
}

// A cell still waiting for GoNB to start is interrupted too: it ends
// without running, and the next cell runs once GoNB is up.
func TestInterruptBeforeGoNBIsUp(t *testing.T) {
	release := make(chan struct{})
	var fake *kerneltest.Server
	srv, err := Listen(wire.ConnectionInfo{}, Options{Logf: t.Logf, Start: func(ctx context.Context) (Backend, error) {
		<-release
		fs, err := kerneltest.Listen(wire.ConnectionInfo{}, kerneltest.HandlerFunc(echo))
		if err != nil {
			return nil, err
		}
		c, err := kernel.Config{Session: BackendSession}.Dial(ctx, fs.Info)
		if err != nil {
			fs.Close()
			return nil, err
		}
		fake = fs
		return &fakeBackend{Client: c, srv: fs}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	c, err := kernel.Config{HeartbeatInterval: -1, RequestTimeout: 10 * time.Second}.Dial(context.Background(), srv.Info())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res := make(chan *kernel.Result, 1)
	go func() {
		r, _ := c.Execute(context.Background(), "waits", kernel.ExecOptions{})
		res <- r
	}()
	time.Sleep(200 * time.Millisecond)
	if err := c.Interrupt(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r == nil || r.Status != "error" || r.Error.EName != "Interrupted" {
		t.Fatalf("interrupted waiting cell: %+v", r)
	}
	close(release)
	r, err = c.Execute(context.Background(), "runs", kernel.ExecOptions{})
	if err != nil || r.Status != "ok" || r.Outputs[0].Text != "runs" {
		t.Fatalf("next cell: %v %+v", err, r)
	}
	if n := strings.Count(strings.Join(fake.Requests(), " "), "execute_request"); n != 1 {
		t.Errorf("GoNB got %d execute_requests, want only the cell after the interrupt", n)
	}
}

func TestAbortedCellsHaveNoCount(t *testing.T) {
	h := newHarness(t, func(c *kerneltest.Call) {
		c.Sleep(200 * time.Millisecond)
		if c.Code == "fail" {
			c.Fail("E", "failed")
		}
	}, Options{})
	// A second client, so that the second request is queued while the
	// first runs (a client runs its own executes one after another).
	c2, err := kernel.Config{HeartbeatInterval: -1}.Dial(context.Background(), h.srv.Info())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	results := make(chan *kernel.Result, 2)
	execute := func(c *kernel.Client, code string) {
		r, err := c.Execute(context.Background(), code, kernel.ExecOptions{StopOnError: true, KeepRuntimeFailures: true})
		if err != nil {
			t.Error(err)
		}
		results <- r
	}
	go execute(h.client, "fail")
	time.Sleep(50 * time.Millisecond)
	go execute(c2, "next")
	for range 2 {
		r := <-results
		switch r.Status {
		case "error":
			if r.ExecutionCount != 1 {
				t.Errorf("failed cell count %d", r.ExecutionCount)
			}
		case "aborted":
			if r.ExecutionCount != 0 {
				t.Errorf("aborted cell count %d, want none", r.ExecutionCount)
			}
		default:
			t.Errorf("status %s %+v", r.Status, r)
		}
	}
}

func TestIdleDeathIsReported(t *testing.T) {
	h := newHarness(t, echo, Options{})
	h.exec("first")
	h.fake().Die()
	for deadline := time.Now().Add(10 * time.Second); h.starts() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("GoNB was not restarted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := h.exec("next")
	if r.Status != "ok" || len(r.Outputs) != 2 || r.Outputs[0].Name != "stderr" ||
		!strings.Contains(r.Outputs[0].Text, "GoNB stopped while no cell was running") || r.Outputs[1].Text != "next" {
		t.Errorf("next cell: %s %+v", r.Status, r.Outputs)
	}
	if r := h.exec("again"); len(r.Outputs) != 1 {
		t.Errorf("the notice is shown twice: %+v", r.Outputs)
	}
}

func TestInterruptedMagic(t *testing.T) {
	h := newHarness(t, echo, Options{Magics: map[string]Magic{
		"slow": {Summary: "waits", Run: func(ctx context.Context, _ []string, _ MagicEnv) (*Result, error) {
			<-ctx.Done()
			return nil, fmt.Errorf("does not pass its checks: %w", ctx.Err())
		}},
	}})
	done := make(chan *kernel.Result, 1)
	go func() { done <- h.exec("%decant slow") }()
	time.Sleep(200 * time.Millisecond)
	if err := h.client.Interrupt(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.Status != "error" || r.Error.EName != "Interrupted" || r.Error.EValue != "interrupted" {
		t.Errorf("%s %+v", r.Status, r.Error)
	}
}

func TestStartFailureIsACellError(t *testing.T) {
	srv, err := Listen(wire.ConnectionInfo{}, Options{Start: func(context.Context) (Backend, error) {
		return nil, errors.New("no gonb here")
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	c, err := kernel.Config{HeartbeatInterval: -1}.Dial(context.Background(), srv.Info())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Execute(context.Background(), "x", kernel.ExecOptions{})
	if err != nil || r.Status != "error" || !strings.Contains(r.Error.EValue, "no gonb here") {
		t.Errorf("%v %+v", err, r)
	}
	r, err = c.Execute(context.Background(), "%decant version", kernel.ExecOptions{})
	if err != nil || r.Status != "ok" {
		t.Errorf("magic without GoNB: %v %+v", err, r)
	}
}
