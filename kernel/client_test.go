package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel/kerneltest"
	"github.com/decant-go/decant/kernel/wire"
	"github.com/go-zeromq/zmq4"
)

// testCtx returns a context bounded by the test's deadline, so a hang
// fails the test with a message instead of killing the binary.
func testCtx(t *testing.T) context.Context {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-5*time.Second))
		t.Cleanup(cancel)
	}
	return ctx
}

// fastConfig keeps failure-path tests short.
func fastConfig() Config {
	return Config{
		HeartbeatInterval: 50 * time.Millisecond,
		HeartbeatTimeout:  time.Second,
		RequestTimeout:    5 * time.Second,
		InterruptGrace:    2 * time.Second,
	}
}

func dialFake(t *testing.T, h kerneltest.HandlerFunc) (*kerneltest.Server, *Client) {
	t.Helper()
	s := kerneltest.NewServer(t, h)
	c, err := fastConfig().Dial(testCtx(t), s.Info)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

func execute(t *testing.T, c *Client, code string, opts ExecOptions) *Result {
	t.Helper()
	r, err := c.Execute(testCtx(t), code, opts)
	if err != nil {
		t.Fatalf("Execute(%q): %v", code, err)
	}
	return r
}

// summary renders outputs compactly for comparisons.
func summary(outs []Output) string {
	var b strings.Builder
	for _, o := range outs {
		switch o.Type {
		case TypeStream:
			b.WriteString(o.Name + ":" + o.Text)
		case TypeError:
			b.WriteString("error:" + o.EName + "=" + o.EValue)
		default:
			s, _ := o.DataString("text/plain")
			b.WriteString(o.Type + ":" + s)
			if o.DisplayID != "" {
				b.WriteString("#" + o.DisplayID)
			}
		}
		b.WriteString("|")
	}
	return b.String()
}

func TestExecuteStreams(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		k.Stdout("a")
		k.Stdout("b\n")
		k.Stderr("warn\n")
		k.Stdout("c\n")
	})
	r := execute(t, c, "x", ExecOptions{})
	if r.Status != StatusOK || r.Error != nil {
		t.Fatalf("status %s, error %v", r.Status, r.Error)
	}
	if got, want := summary(r.Outputs), "stdout:ab\n|stderr:warn\n|stdout:c\n|"; got != want {
		t.Errorf("outputs %q, want %q", got, want)
	}
	if r.ExecutionCount != 1 {
		t.Errorf("execution count %d, want 1", r.ExecutionCount)
	}
	r = execute(t, c, "y", ExecOptions{})
	if r.ExecutionCount != 2 {
		t.Errorf("second execution count %d, want 2", r.ExecutionCount)
	}
	if len(r.Reply) == 0 {
		t.Error("raw reply missing")
	}
}

func TestExecuteDisplayData(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		k.Display(map[string]any{"text/plain": "first"}, "d1")
		k.Result(map[string]any{"text/plain": "42", "application/json": map[string]int{"a": 1}})
		k.Display(map[string]any{"text/plain": "plain"}, "")
		k.UpdateDisplay(map[string]any{"text/plain": "updated"}, "d1")
		k.UpdateDisplay(map[string]any{"text/plain": "elsewhere"}, "earlier-cell")
	})
	r := execute(t, c, "x", ExecOptions{})
	want := "display_data:updated#d1|execute_result:42|display_data:plain|"
	if got := summary(r.Outputs); got != want {
		t.Errorf("outputs %q, want %q", got, want)
	}
	if r.Outputs[1].ExecutionCount != 1 {
		t.Errorf("execute_result count %d, want 1", r.Outputs[1].ExecutionCount)
	}
	if got := string(r.Outputs[1].Data["application/json"]); got != `{"a":1}` {
		t.Errorf("application/json = %s", got)
	}
	if got := summary(r.DisplayUpdates); got != "display_data:elsewhere#earlier-cell|" {
		t.Errorf("display updates %q", got)
	}
}

func TestExecuteClearOutput(t *testing.T) {
	tests := []struct {
		name   string
		script func(k *kerneltest.Call)
		want   string
	}{
		{"wait clears on next output", func(k *kerneltest.Call) {
			k.Stdout("1")
			k.ClearOutput(true)
			k.Stdout("2")
		}, "stdout:2|"},
		{"wait without later output keeps", func(k *kerneltest.Call) {
			k.Stdout("1")
			k.ClearOutput(true)
		}, "stdout:1|"},
		{"immediate clear", func(k *kerneltest.Call) {
			k.Stdout("1")
			k.Display(map[string]any{"text/plain": "p"}, "")
			k.ClearOutput(false)
		}, ""},
		{"update does not flush a pending clear", func(k *kerneltest.Call) {
			k.Display(map[string]any{"text/plain": "a"}, "d")
			k.ClearOutput(true)
			k.UpdateDisplay(map[string]any{"text/plain": "b"}, "d")
		}, "display_data:b#d|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := dialFake(t, tt.script)
			r := execute(t, c, "x", ExecOptions{})
			if got := summary(r.Outputs); got != tt.want {
				t.Errorf("outputs %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExecuteError(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		k.Stdout("before\n")
		k.Fail("NameError", "x is undefined", "line 1", "line 2")
	})
	r := execute(t, c, "x", ExecOptions{})
	if r.Status != StatusError {
		t.Fatalf("status %s, want error", r.Status)
	}
	if r.Error == nil || r.Error.EName != "NameError" || r.Error.EValue != "x is undefined" ||
		strings.Join(r.Error.Traceback, ";") != "line 1;line 2" {
		t.Errorf("error %+v", r.Error)
	}
	if got := summary(r.Outputs); got != "stdout:before\n|error:NameError=x is undefined|" {
		t.Errorf("outputs %q", got)
	}
}

func TestExecuteAborted(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) { k.SetStatus("aborted") })
	r := execute(t, c, "x", ExecOptions{})
	if r.Status != StatusAborted || r.Error == nil {
		t.Errorf("status %s error %v, want aborted with error", r.Status, r.Error)
	}
}

func TestExecuteRuntimeFailure(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		k.Stdout("start\n")
		k.Stderr("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n")
		k.Stderr("exit status 2\n")
	})
	r := execute(t, c, "x", ExecOptions{})
	if r.Status != StatusError || r.Error == nil || r.Error.EName != "RuntimeError" || r.Error.EValue != "panic: boom" {
		t.Fatalf("status %s error %+v, want RuntimeError panic: boom", r.Status, r.Error)
	}
	r = execute(t, c, "x", ExecOptions{KeepRuntimeFailures: true})
	if r.Status != StatusOK || r.Error != nil {
		t.Errorf("with KeepRuntimeFailures: status %s error %v, want ok", r.Status, r.Error)
	}
}

func TestExecuteStdin(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		a, err := k.Input("name?", false)
		if err != nil {
			k.Fail("InputFailed", err.Error())
			return
		}
		b, _ := k.Input("pin?", true)
		k.Stdout("a=" + a + " b=" + b + "\n")
	})
	r := execute(t, c, "x", ExecOptions{Inputs: []string{"bob", "1234"}})
	if r.Status != StatusOK {
		t.Fatalf("status %s error %v", r.Status, r.Error)
	}
	if got := summary(r.Outputs); got != "stdout:a=bob b=1234\n|" {
		t.Errorf("outputs %q", got)
	}

	r = execute(t, c, "x", ExecOptions{Inputs: []string{"only"}})
	if got := summary(r.Outputs); got != "stdout:a=only b=\n|" {
		t.Errorf("outputs %q", got)
	}
	if r.Status != StatusError || r.Error == nil || r.Error.EValue != errNoInput {
		t.Errorf("status %s error %v, want the missing-input error", r.Status, r.Error)
	}
}

func TestExecuteTimeoutInterrupts(t *testing.T) {
	s, c := dialFake(t, func(k *kerneltest.Call) {
		if k.Code == "quick" {
			k.Stdout("quick\n")
			return
		}
		k.Stdout("sleeping\n")
		if !k.Sleep(time.Hour) {
			k.Stderr("interrupted\n")
		}
	})
	r := execute(t, c, "slow", ExecOptions{Timeout: 100 * time.Millisecond})
	if r.Status != StatusTimeout || r.Error == nil || r.Error.EName != "CellTimeoutError" {
		t.Fatalf("status %s error %v, want timeout", r.Status, r.Error)
	}
	if got := summary(r.Outputs); got != "stdout:sleeping\n|stderr:interrupted\n|" {
		t.Errorf("outputs %q", got)
	}
	if s.Interrupts() != 1 {
		t.Errorf("%d interrupts, want 1", s.Interrupts())
	}
	// The kernel is still usable.
	r = execute(t, c, "quick", ExecOptions{Timeout: time.Minute})
	if r.Status != StatusOK || summary(r.Outputs) != "stdout:quick\n|" {
		t.Errorf("after timeout: status %s outputs %q", r.Status, summary(r.Outputs))
	}
}

func TestExecuteTimeoutStuckKernel(t *testing.T) {
	s := kerneltest.NewServer(t, kerneltest.HandlerFunc(func(k *kerneltest.Call) {
		k.NoReply()
		k.Sleep(time.Hour)
	}))
	cfg := fastConfig()
	cfg.InterruptGrace = 100 * time.Millisecond
	c, err := cfg.Dial(testCtx(t), s.Info)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Execute(testCtx(t), "x", ExecOptions{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusTimeout {
		t.Errorf("status %s, want timeout", r.Status)
	}
}

func TestExecuteContextCanceled(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) { k.Sleep(time.Hour) })
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	r, err := c.Execute(ctx, "x", ExecOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want DeadlineExceeded", err)
	}
	if r == nil || r.Status != StatusAborted {
		t.Errorf("result %+v, want a partial aborted result", r)
	}
}

func TestExecuteKernelDies(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		k.Stdout("before\n")
		k.Die()
	})
	r, err := c.Execute(testCtx(t), "x", ExecOptions{})
	if !errors.Is(err, ErrKernelDead) {
		t.Fatalf("err %v, want ErrKernelDead", err)
	}
	if r == nil || r.Status != StatusDead || r.Error == nil || !strings.Contains(r.Error.EValue, "kernel died") {
		t.Fatalf("result %+v, want status dead with an error saying so", r)
	}
	if _, err := c.Execute(testCtx(t), "y", ExecOptions{}); !errors.Is(err, ErrKernelDead) {
		t.Errorf("execute after death: %v, want ErrKernelDead", err)
	}
	select {
	case <-c.Dead():
	default:
		t.Error("Dead channel not closed")
	}
}

func TestRequestUnanswered(t *testing.T) {
	_, c := dialFake(t, nil)
	ctx, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
	defer cancel()
	_, err := c.Request(ctx, "is_complete_request", map[string]string{"code": "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("is_complete_request: err %v, want DeadlineExceeded", err)
	}
	// Without a deadline in ctx, Config.RequestTimeout applies.
	c.cfg.RequestTimeout = 200 * time.Millisecond
	_, err = c.Request(context.Background(), "history_request", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("history_request: err %v, want DeadlineExceeded", err)
	}
}

func TestKernelInfo(t *testing.T) {
	_, c := dialFake(t, nil)
	raw, err := c.KernelInfo(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Implementation string `json:"implementation"`
		Language       struct {
			Name string `json:"name"`
		} `json:"language_info"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	if info.Implementation != "kerneltest" || info.Language.Name != "go" {
		t.Errorf("kernel info %s", raw)
	}
}

func TestFakeRejectsBadSignature(t *testing.T) {
	s := kerneltest.NewServer(t, nil)
	info := s.Info
	info.Key = "not-the-key"
	ctx, cancel := context.WithTimeout(testCtx(t), 500*time.Millisecond)
	defer cancel()
	if c, err := fastConfig().Dial(ctx, info); err == nil {
		c.Close()
		t.Fatal("Dial with the wrong key succeeded")
	}
	if s.BadSignatures() == 0 {
		t.Error("fake counted no bad signatures")
	}
	if got := s.Requests(); len(got) != 0 {
		t.Errorf("fake accepted requests %v", got)
	}
}

func TestClientRejectsBadMessages(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		k.PublishSigned(wire.Signer{Key: []byte("wrong")}, "stream", map[string]string{"name": "stdout", "text": "forged\n"})
		k.PublishFrames([][]byte{[]byte("garbage")})
		k.PublishFrames([][]byte{[]byte(wire.Delimiter), nil, []byte("{")})
		k.PublishFrames([][]byte{{}})
		k.Stdout("good\n")
	})
	r := execute(t, c, "x", ExecOptions{})
	if got := summary(r.Outputs); got != "stdout:good\n|" {
		t.Errorf("outputs %q, want only the good stream", got)
	}
	if c.Dropped() < 3 {
		t.Errorf("dropped %d messages, want at least 3", c.Dropped())
	}
}

func TestFakeIgnoresMalformedFrames(t *testing.T) {
	s, c := dialFake(t, nil)
	raw := zmq4.NewDealer(context.Background())
	defer raw.Close()
	if err := raw.Dial(s.Info.Addr(wire.Shell)); err != nil {
		t.Fatal(err)
	}
	for _, frames := range [][][]byte{
		{[]byte("no delimiter")},
		{[]byte(wire.Delimiter)},
		{[]byte(wire.Delimiter), []byte("sig"), []byte("{"), []byte("{}"), []byte("{}"), []byte("{}")},
	} {
		if err := raw.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
			t.Fatal(err)
		}
	}
	// The fake keeps serving; Execute is ordered after the garbage on the
	// wire only per connection, so wait for the counters instead.
	waitFor(t, func() bool { return s.Malformed()+s.BadSignatures() >= 3 })
	r := execute(t, c, "still alive", ExecOptions{})
	if got := summary(r.Outputs); got != "stdout:still alive|" {
		t.Errorf("outputs %q", got)
	}
}

func TestShutdownDialed(t *testing.T) {
	s, c := dialFake(t, nil)
	if err := c.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if !s.ShutdownRequested() {
		t.Error("fake got no shutdown_request")
	}
	if _, err := c.Execute(testCtx(t), "x", ExecOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("execute after shutdown: %v, want ErrClosed", err)
	}
}

func TestConcurrentExecutesAreSerialized(t *testing.T) {
	_, c := dialFake(t, func(k *kerneltest.Call) {
		k.Stdout(k.Code + "1")
		k.Sleep(10 * time.Millisecond)
		k.Stdout(k.Code + "2")
	})
	errs := make(chan error, 4)
	for _, code := range []string{"a", "b", "c", "d"} {
		go func() {
			r, err := c.Execute(testCtx(t), code, ExecOptions{})
			if err == nil && summary(r.Outputs) != "stdout:"+code+"1"+code+"2|" {
				err = errors.New("cell " + code + " got " + summary(r.Outputs))
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// waitFor polls cond until it holds or the test deadline nears.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx := testCtx(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition never became true")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
