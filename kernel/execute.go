package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/decant-go/decant/kernel/wire"
)

// Result statuses. The first three come from the kernel's execute_reply.
const (
	StatusOK      = "ok"
	StatusError   = "error"
	StatusAborted = "aborted"
	StatusTimeout = "timeout" // the cell ran past ExecOptions.Timeout
	StatusDead    = "dead"    // the kernel died during the cell
)

// ExecOptions configures one Execute call. The zero value runs without a
// time limit, answers input requests with empty strings (recording an
// error) and turns runtime failures into errors.
type ExecOptions struct {
	// Timeout limits the cell's run time; 0 means no limit. On expiry the
	// kernel is interrupted and the result has status "timeout".
	Timeout time.Duration
	// Inputs answer the kernel's input requests (stdin), in order. When
	// they run out the kernel gets an empty answer and the cell is marked
	// as an error, so an unattended run never blocks on input.
	Inputs []string
	// StopOnError is passed to the kernel as stop_on_error: abort queued
	// executions after an error.
	StopOnError bool
	// KeepRuntimeFailures keeps status "ok" when DetectRuntimeFailure
	// finds a failed program in the outputs (GoNB reports panics and
	// os.Exit(n) as success).
	KeepRuntimeFailures bool
	// MaxStreamBytes bounds the text kept of one stream output: the first and last half are
	// kept and the output says how much was left out. 0 means DefaultMaxStreamBytes; a
	// negative value keeps everything.
	MaxStreamBytes int
}

// Result is the outcome of one execution.
type Result struct {
	// Status is StatusOK, StatusError, StatusAborted, StatusTimeout or
	// StatusDead.
	Status         string
	ExecutionCount int
	Outputs        []Output
	// DisplayUpdates are update_display_data messages for display ids not
	// shown by this cell; a runner applies them to earlier cells' outputs
	// with the same DisplayID.
	DisplayUpdates []Output
	// Error says why the cell failed; nil when Status is StatusOK.
	Error *ErrorInfo
	// Reply is the raw execute_reply content (nil if none arrived).
	Reply json.RawMessage
	// Duration is measured on the client, from send to the end of
	// collection; kernels' header timestamps are too coarse (GoNB: 1s).
	Duration time.Duration
}

type executeReply struct {
	Status         string   `json:"status"`
	ExecutionCount int      `json:"execution_count"`
	EName          string   `json:"ename"`
	EValue         string   `json:"evalue"`
	Traceback      []string `json:"traceback"`
}

// errNoInput is recorded when the kernel asks for more input than given.
const errNoInput = "kernel asked for input but none was given"

// Execute runs code and collects its outputs until the kernel reports
// idle for it. Executions are serialized.
//
// Cell outcomes — success, kernel error, timeout, dead kernel — are all
// described by the Result. The error is non-nil when the request could
// not be carried out: ctx ended (the partial result is returned too), the
// client is closed, a send failed, or the kernel died (then it wraps
// ErrKernelDead and the Result has status "dead").
func (c *Client) Execute(ctx context.Context, code string, opts ExecOptions) (*Result, error) {
	if err := c.usable(); err != nil {
		return nil, fmt.Errorf("executing cell: %w", err)
	}
	c.execMu.Lock()
	defer c.execMu.Unlock()

	start := time.Now()
	req, err := c.newMessage("execute_request", nil, wire.ExecuteRequest{
		Code:            code,
		StoreHistory:    true,
		UserExpressions: map[string]string{},
		AllowStdin:      true,
		StopOnError:     opts.StopOnError,
	})
	if err != nil {
		return nil, err
	}
	id := req.Header.MsgID
	box := c.register(id)
	defer c.unregister(id)
	if err := c.send(wire.Shell, req); err != nil {
		return nil, fmt.Errorf("executing cell: %w", err)
	}

	x := execution{c: c, opts: opts, parent: &req.Header, col: collector{maxStream: opts.MaxStreamBytes}}
	var timeout, grace, idleWait <-chan time.Time
	if opts.Timeout > 0 {
		t := time.NewTimer(opts.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var idleTimer *time.Timer
	resetIdle := func() {
		if x.reply == nil {
			return
		}
		if idleTimer == nil {
			idleTimer = time.NewTimer(c.cfg.IdleTimeout)
			idleWait = idleTimer.C
		} else {
			idleTimer.Reset(c.cfg.IdleTimeout)
		}
	}
	defer func() {
		if idleTimer != nil {
			idleTimer.Stop()
		}
	}()

	var retErr error
loop:
	for !(x.reply != nil && x.idle) {
		select {
		case <-box.notify:
			for _, e := range box.take() {
				x.handle(e)
				if e.ch == wire.IOPub || e.ch == wire.Shell {
					resetIdle()
				}
			}
		case <-timeout:
			x.timedOut = true
			timeout = nil
			ictx, cancel := context.WithTimeout(ctx, c.cfg.InterruptGrace)
			if err := c.Interrupt(ictx); err != nil {
				x.notes = append(x.notes, err.Error())
			}
			cancel()
			grace = time.After(c.cfg.InterruptGrace)
		case <-grace:
			break loop
		case <-idleWait:
			// The reply came but the idle status never did; iopub
			// messages may have been lost. Keep what arrived.
			x.notes = append(x.notes, "no idle status from kernel after the reply")
			break loop
		case <-c.dead:
			x.dead = true
			retErr = fmt.Errorf("executing cell: %w", c.deadError())
			break loop
		case <-c.closed:
			retErr = fmt.Errorf("executing cell: %w", ErrClosed)
			break loop
		case <-ctx.Done():
			retErr = fmt.Errorf("executing cell: %w", ctx.Err())
			break loop
		}
	}
	// Messages that arrived with the final one are still in the box.
	for _, e := range box.take() {
		x.handle(e)
	}
	r := x.result()
	r.Duration = time.Since(start)
	if retErr != nil && !x.dead && x.reply == nil {
		r.Status = StatusAborted
		r.Error = &ErrorInfo{EName: "ExecutionAborted", EValue: retErr.Error()}
	}
	return r, retErr
}

// execution holds the state of one Execute call.
type execution struct {
	c        *Client
	opts     ExecOptions
	parent   *wire.Header
	col      collector
	reply    *wire.Message
	idle     bool
	timedOut bool
	dead     bool
	inputs   int  // inputs used
	noInput  bool // an input request found no input left
	notes    []string
}

func (x *execution) handle(e event) {
	switch e.ch {
	case wire.Shell:
		if e.msg.Type() == "execute_reply" {
			x.reply = e.msg
		}
	case wire.IOPub:
		if e.msg.Type() == "status" {
			var s struct {
				State string `json:"execution_state"`
			}
			if e.msg.DecodeContent(&s) == nil && s.State == "idle" {
				x.idle = true
			}
			return
		}
		if err := x.col.apply(e.msg.Type(), e.msg.Content); err != nil {
			x.notes = append(x.notes, err.Error())
		}
	case wire.Stdin:
		if e.msg.Type() == "input_request" {
			x.answerInput(e.msg)
		}
	}
}

func (x *execution) answerInput(req *wire.Message) {
	value := ""
	if x.inputs < len(x.opts.Inputs) {
		value = x.opts.Inputs[x.inputs]
		x.inputs++
	} else {
		x.noInput = true
	}
	if d := x.c.cfg.InputDelay; d > 0 {
		time.Sleep(d)
	}
	m, err := x.c.newMessage("input_reply", &req.Header, wire.InputReply{Value: value})
	if err == nil {
		err = x.c.send(wire.Stdin, m)
	}
	if err != nil {
		x.notes = append(x.notes, fmt.Sprintf("answering input request: %v", err))
	}
}

func (x *execution) result() *Result {
	r := &Result{Outputs: x.col.finish(), DisplayUpdates: x.col.updates, Status: StatusOK}
	if x.reply != nil {
		r.Reply = x.reply.Content
		var rep executeReply
		if err := x.reply.DecodeContent(&rep); err != nil {
			x.notes = append(x.notes, err.Error())
		}
		r.ExecutionCount = rep.ExecutionCount
		switch rep.Status {
		case StatusOK, "":
		case StatusError:
			r.Status = StatusError
			r.Error = &ErrorInfo{EName: rep.EName, EValue: rep.EValue, Traceback: rep.Traceback}
			if r.Error.EName == "" {
				// Some kernels only put the details in the error output.
				for _, o := range r.Outputs {
					if o.Type == TypeError {
						r.Error = &ErrorInfo{EName: o.EName, EValue: o.EValue, Traceback: o.Traceback}
					}
				}
			}
		default:
			r.Status = rep.Status
			r.Error = &ErrorInfo{EName: "ExecutionAborted", EValue: "kernel answered status " + rep.Status}
		}
	}
	switch {
	case x.dead:
		r.Status = StatusDead
		r.Error = &ErrorInfo{EName: "DeadKernelError", EValue: "kernel died while executing the cell: " + fmt.Sprint(x.c.deadErr)}
	case x.timedOut:
		r.Status = StatusTimeout
		r.Error = &ErrorInfo{EName: "CellTimeoutError", EValue: fmt.Sprintf("cell did not finish within %s", x.opts.Timeout)}
	case r.Status == StatusOK && x.noInput:
		r.Status = StatusError
		r.Error = &ErrorInfo{EName: "InputError", EValue: errNoInput}
	case r.Status == StatusOK && !x.opts.KeepRuntimeFailures:
		if e := DetectRuntimeFailure(r.Outputs); e != nil {
			r.Status = StatusError
			r.Error = e
		}
	}
	if r.Error != nil && len(x.notes) > 0 {
		r.Error.Traceback = append(r.Error.Traceback, x.notes...)
	}
	return r
}
