package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/decant-go/decant/kernel/wire"
	"github.com/decant-go/decant/notebooks/gonbcell"
)

// BackendSession is the session id a [Backend]'s own client should use.
// iopub messages answering that session (the backend's readiness checks)
// are not forwarded to the notebook.
const BackendSession = "decant-kernel-backend"

// Backend is a running GoNB (or a stand-in) and the client that started
// it. *kernel.Client implements it.
type Backend interface {
	// Info is the backend's connection info; the kernel opens its own
	// sockets to it.
	Info() wire.ConnectionInfo
	// Dead is closed when the backend's process exits or stops answering
	// heartbeats.
	Dead() <-chan struct{}
	// KernelInfo returns the content of the backend's kernel_info_reply.
	KernelInfo(ctx context.Context) (json.RawMessage, error)
	// Interrupt interrupts the running cell.
	Interrupt(ctx context.Context) error
	// Shutdown stops the backend and everything it started.
	Shutdown(ctx context.Context) error
}

// Options configures a [Server]. Start is required; the zero value of the
// rest works.
type Options struct {
	// Start starts a backend. It is called at the beginning of Serve and
	// again whenever the backend dies. Its client should use
	// BackendSession as its session id.
	Start func(ctx context.Context) (Backend, error)
	// Magics are %decant subcommands added to (or replacing) the
	// built-in ones, such as extract from the command line.
	Magics map[string]Magic
	// Version is Decant's version, for kernel_info and %decant version.
	Version string
	// Dir is the working directory magics resolve paths against ("" means
	// the process's).
	Dir string
	// Getenv reads the environment (nil means none: JPY_SESSION_NAME is
	// then unknown).
	Getenv func(string) string
	// Logf receives diagnostics (nil discards them).
	Logf func(format string, args ...any)
	// SendTimeout bounds one socket send (default 5s).
	SendTimeout time.Duration
	// Builder makes the messages the kernel writes itself.
	Builder wire.Builder
}

// Server is the Decant kernel: it speaks the kernel side of the Jupyter
// protocol on one connection and forwards to a backend GoNB on another.
type Server struct {
	info    wire.ConnectionInfo
	opts    Options
	signer  wire.Signer
	session string
	magics  map[string]Magic

	fe    map[wire.Channel]zmq4.Socket
	pubMu sync.Mutex

	events    chan event
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	dropped  atomic.Int64
	restarts atomic.Int64
	pidMu    sync.Mutex
	pids     []int

	// Loop state: only the Serve goroutine touches these.
	ctx        context.Context
	be         *backendConn
	beErr      error
	gen        int
	routes     map[string]route
	queue      []*execution
	active     *execution
	count      int
	hist       History
	kernelInfo map[string]json.RawMessage
	stop       bool
	// The cells sent to the current GoNB, for mapping its cell counts and
	// locating its errors.
	sent      []sentCell
	gonbCount int
	// Starting GoNB happens in the background; requests for it wait in
	// held, and cells in the queue.
	starting    bool
	startCancel context.CancelFunc
	startDone   chan struct{}
	held        []heldMessage
	// notice is shown at the start of the next cell: why GoNB was
	// restarted while no cell ran.
	notice   string
	lastExec *wire.Message
	comms    map[string]string // open comm id → target name
	pin      pinState
}

type eventKind int

const (
	evFrontend eventKind = iota
	evBackend
	evMagicDone
	evInterrupt
	evInspected
	evBackendUp
)

type event struct {
	kind   eventKind
	ch     wire.Channel
	frames [][]byte
	gen    int
	exec   *execution
	result *Result
	err    error
	msg    *wire.Message // evInspected: GoNB's reply, with the new content
	route  route
	up     *startResult // evBackendUp
}

// startResult is the outcome of starting a backend.
type startResult struct {
	gen        int
	conn       *backendConn
	kernelInfo map[string]json.RawMessage
	err        error
}

// heldMessage is a frontend message waiting for GoNB to come up.
type heldMessage struct {
	ch wire.Channel
	m  *wire.Message
}

// route remembers who asked a request the backend will answer.
type route struct {
	ids     [][]byte
	ch      wire.Channel
	msgType string
	content json.RawMessage // the request's content, for inspect_request
}

// execution is one execute_request, from the queue to its reply.
type execution struct {
	req       *wire.Message
	content   wire.ExecuteRequest
	count     int
	forwarded bool
	cancel    context.CancelFunc // magics
	// startTried is set when GoNB was started for this cell.
	startTried  bool
	interrupted bool

	reply, idle *wire.Message // held backend messages (forwarded cells)
	notice      string        // shown as stderr once GoNB begins the cell
	hold        stderrHold
	report      []reportItem   // GoNB's error report for this cell, parsed
	errorSent   map[string]any // the error content published for this cell
}

func (x *execution) id() string { return x.req.Header.MsgID }

// Listen binds the kernel's sockets on info's address and ports. Zero
// ports are picked freely (Info returns the final values); an empty key
// means unsigned messages. Call Serve to start work.
func Listen(info wire.ConnectionInfo, opts Options) (*Server, error) {
	if opts.Start == nil {
		return nil, errors.New("starting the Decant kernel: no backend starter")
	}
	if opts.SendTimeout == 0 {
		opts.SendTimeout = 5 * time.Second
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	if info.Transport == "" {
		info.Transport = "tcp"
	}
	if info.IP == "" {
		info.IP = "127.0.0.1"
	}
	// An empty key means unsigned messages, as Jupyter defines it.
	if info.Key != "" && info.SignatureScheme == "" {
		info.SignatureScheme = wire.SchemeHMACSHA256
	}
	s := &Server{
		opts:    opts,
		session: wire.NewID(),
		fe:      map[wire.Channel]zmq4.Socket{},
		events:  make(chan event, 256),
		closed:  make(chan struct{}),
		routes:  map[string]route{},
		comms:   map[string]string{},
		magics:  BuiltinMagics(),
	}
	for k, v := range opts.Magics {
		s.magics[k] = v
	}
	quiet := []zmq4.Option{zmq4.WithLogger(log.New(io.Discard, "", 0)), zmq4.WithTimeout(opts.SendTimeout)}
	bg := context.Background()
	s.fe[wire.Shell] = zmq4.NewRouter(bg, quiet...)
	s.fe[wire.Control] = zmq4.NewRouter(bg, quiet...)
	s.fe[wire.Stdin] = zmq4.NewRouter(bg, quiet...)
	s.fe[wire.IOPub] = zmq4.NewPub(bg, quiet...)
	s.fe[wire.HB] = zmq4.NewRep(bg, quiet...)
	ports := map[wire.Channel]*int{wire.Shell: &info.ShellPort, wire.Control: &info.ControlPort,
		wire.Stdin: &info.StdinPort, wire.IOPub: &info.IOPubPort, wire.HB: &info.HBPort}
	for _, ch := range wire.Channels() {
		if err := s.fe[ch].Listen(info.Addr(ch)); err != nil {
			s.closeSockets()
			return nil, fmt.Errorf("starting the Decant kernel: listening on %s: %w", ch, err)
		}
		if a, ok := s.fe[ch].Addr().(*net.TCPAddr); ok {
			*ports[ch] = a.Port
		} else if _, p, err := net.SplitHostPort(s.fe[ch].Addr().String()); err == nil && *ports[ch] == 0 {
			*ports[ch], _ = strconv.Atoi(p)
		}
	}
	s.info = info
	s.signer = info.Signer()
	for _, ch := range []wire.Channel{wire.Shell, wire.Control, wire.Stdin} {
		s.wg.Add(1)
		go s.readFrontend(ch)
	}
	s.wg.Add(1)
	go s.heartbeat()
	return s, nil
}

// Info returns the connection info clients use.
func (s *Server) Info() wire.ConnectionInfo { return s.info }

// Dropped counts received messages dropped as malformed or badly signed.
func (s *Server) Dropped() int64 { return s.dropped.Load() }

// Restarts counts how many times a dead backend was restarted.
func (s *Server) Restarts() int64 { return s.restarts.Load() }

// BackendPIDs returns the process ids of the backends started so far, for
// backends that report one (a PID() int method).
func (s *Server) BackendPIDs() []int {
	s.pidMu.Lock()
	defer s.pidMu.Unlock()
	return append([]int(nil), s.pids...)
}

// Interrupt interrupts the running cell, as an interrupt_request does; the
// serve command calls it on SIGINT.
func (s *Server) Interrupt() { s.post(event{kind: evInterrupt}) }

func (s *Server) post(e event) bool {
	select {
	case s.events <- e:
		return true
	case <-s.closed:
		return false
	}
}

func (s *Server) readFrontend(ch wire.Channel) {
	defer s.wg.Done()
	for {
		m, err := s.fe[ch].Recv()
		select {
		case <-s.closed:
			return
		default:
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !s.post(event{kind: evFrontend, ch: ch, frames: m.Frames}) {
			return
		}
	}
}

func (s *Server) heartbeat() {
	defer s.wg.Done()
	sock := s.fe[wire.HB]
	for {
		m, err := sock.Recv()
		select {
		case <-s.closed:
			return
		default:
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		_ = sock.Send(m)
	}
}

// Close stops the server: it shuts the backend down and closes the
// sockets. Serve calls it on return.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.closeSockets()
		s.wg.Wait()
	})
}

func (s *Server) closeSockets() {
	for _, sock := range s.fe {
		sock.Close()
	}
}

// Serve starts the backend and handles messages until a shutdown_request
// or the end of ctx; then it stops the backend, leaving no processes, and
// closes the sockets. It returns nil after a shutdown_request.
func (s *Server) Serve(ctx context.Context) error {
	defer s.Close()
	s.ctx = ctx
	s.startBackend()
	defer s.stopBackend()
	defer s.abandonStart()
	for !s.stop {
		var dead <-chan struct{}
		if s.be != nil {
			dead = s.be.b.Dead()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-dead:
			s.safely(s.backendDied)
		case e := <-s.events:
			s.safely(func() { s.handle(e) })
		}
	}
	// Give the last reply time to leave before the sockets close.
	time.Sleep(20 * time.Millisecond)
	return nil
}

// safely runs f, turning a panic into a log line: a bug in one handler
// must not take the notebook's session down.
func (s *Server) safely(f func()) {
	defer func() {
		if r := recover(); r != nil {
			buf := make([]byte, 4096)
			buf = buf[:runtime.Stack(buf, false)]
			s.opts.Logf("decant kernel: internal error: %v\n%s", r, buf)
		}
	}()
	f()
}

func (s *Server) handle(e event) {
	switch e.kind {
	case evFrontend:
		m, err := wire.Decode(e.frames, s.signer)
		if err != nil {
			s.dropped.Add(1)
			s.opts.Logf("decant kernel: dropping %s message: %v", e.ch, err)
			return
		}
		s.fromFrontend(e.ch, m)
	case evBackend:
		if s.be == nil || e.gen != s.gen {
			return // from a backend that was replaced, or not up yet
		}
		m, err := wire.Decode(e.frames, s.be.signer)
		if err != nil {
			s.dropped.Add(1)
			s.opts.Logf("decant kernel: dropping GoNB %s message: %v", e.ch, err)
			return
		}
		s.fromBackend(e.ch, m)
	case evMagicDone:
		if s.active == e.exec {
			err := e.err
			if err != nil && e.exec.interrupted {
				err = errInterrupted
			}
			s.endLocal(e.exec, e.result, err)
		}
	case evInterrupt:
		s.interruptActive()
	case evInspected:
		e.msg.Identities = e.route.ids
		s.sendFrontend(e.route.ch, e.msg)
	case evBackendUp:
		s.backendUp(e.up)
	}
}

func (s *Server) fromFrontend(ch wire.Channel, m *wire.Message) {
	s.trackComm(m)
	switch ch {
	case wire.Shell:
		switch m.Type() {
		case "kernel_info_request":
			s.replyLocal(ch, m, "kernel_info_reply", s.kernelInfoContent())
		case "is_complete_request":
			var c struct {
				Code string `json:"code"`
			}
			_ = m.DecodeContent(&c)
			s.replyLocal(ch, m, "is_complete_reply", IsComplete(c.Code))
		case "history_request":
			var req HistoryRequest
			if err := m.DecodeContent(&req); err != nil {
				s.replyLocal(ch, m, "history_reply", errorContent("BadRequest", err.Error(), nil))
				return
			}
			s.replyLocal(ch, m, "history_reply", map[string]any{"status": "ok", "history": s.hist.Query(req)})
		case "interrupt_request":
			// Old clients send it on shell.
			s.interruptActive()
			s.replyLocal(ch, m, "interrupt_reply", map[string]string{"status": "ok"})
		case "comm_info_request":
			s.commInfo(ch, m)
		case "execute_request":
			x := &execution{req: m}
			if err := m.DecodeContent(&x.content); err != nil {
				s.replyLocal(ch, m, "execute_reply", errorContent("BadRequest", err.Error(), nil))
				return
			}
			s.queue = append(s.queue, x)
			s.startNext()
		default:
			s.forward(ch, m)
		}
	case wire.Control:
		switch m.Type() {
		case "kernel_info_request":
			s.replyLocal(ch, m, "kernel_info_reply", s.kernelInfoContent())
		case "shutdown_request":
			s.shutdown(m)
		case "interrupt_request":
			// GoNB does not answer it; the kernel interrupts GoNB in the
			// way its kernelspec asks and answers itself.
			s.interruptActive()
			s.replyLocal(ch, m, "interrupt_reply", map[string]string{"status": "ok"})
		default:
			s.forward(ch, m)
		}
	case wire.Stdin:
		s.forward(ch, m)
	}
}

// forward sends a frontend message to the backend, remembering who asked
// when a reply will come.
func (s *Server) forward(ch wire.Channel, m *wire.Message) {
	isRequest := strings.HasSuffix(m.Type(), "_request")
	if s.be == nil && s.starting {
		s.held = append(s.held, heldMessage{ch, m})
		return
	}
	if s.be == nil {
		if isRequest {
			s.replyLocal(ch, m, replyType(m.Type()), errorContent("KernelNotRunning", s.notRunning(), nil))
		}
		return
	}
	if isRequest {
		r := route{ids: m.Identities, ch: ch, msgType: m.Type()}
		if m.Type() == "inspect_request" {
			r.content = m.Content
		}
		s.routes[m.Header.MsgID] = r
	}
	s.be.send(ch, m)
}

func replyType(req string) string { return strings.TrimSuffix(req, "_request") + "_reply" }

func (s *Server) notRunning() string {
	msg := "GoNB is not running"
	if s.beErr != nil {
		msg += ": " + s.beErr.Error()
	}
	return msg
}

func (s *Server) fromBackend(ch wire.Channel, m *wire.Message) {
	x := s.active
	mine := x != nil && x.forwarded && m.ParentID() == x.id()
	switch ch {
	case wire.IOPub:
		if s.pin.id != "" && m.ParentID() == s.pin.id {
			var st struct {
				Text string `json:"text"`
			}
			if m.Type() == "stream" && m.DecodeContent(&st) == nil {
				s.pin.output.WriteString(st.Text)
			}
			return
		}
		if m.ParentHeader.Session == BackendSession {
			return
		}
		s.trackComm(m)
		if mine {
			s.execIOPub(x, m)
			return
		}
		s.publishMsg(m)
	case wire.Shell, wire.Control:
		if s.pin.id != "" && m.ParentID() == s.pin.id && m.Type() == "execute_reply" {
			s.pinReply(m)
			return
		}
		if mine && m.Type() == "execute_reply" {
			x.reply = m
			s.maybeFinish(x)
			return
		}
		r, ok := s.routes[m.ParentID()]
		if !ok {
			return
		}
		delete(s.routes, m.ParentID())
		if r.msgType == "inspect_request" && m.Type() == "inspect_reply" && !inspectFound(m.Content) {
			// GoNB inspects through gopls, which may be missing: look the
			// name up with go doc instead, off the loop.
			dir := s.opts.Dir
			go func() {
				if content, ok := goDocInspect(s.ctx, dir, r.content); ok {
					m.Content = content
				}
				s.post(event{kind: evInspected, msg: m, route: r})
			}()
			return
		}
		m.Identities = r.ids
		s.sendFrontend(r.ch, m)
	case wire.Stdin:
		if mine {
			m.Identities = x.req.Identities
			s.sendFrontend(wire.Stdin, m)
		}
	}
}

// execIOPub passes on the iopub messages of the forwarded cell, fixing
// what GoNB gets wrong: execution counts, a runtime failure reported as
// success, and an HTML error report next to the error message.
func (s *Server) execIOPub(x *execution, m *wire.Message) {
	switch m.Type() {
	case "status":
		var st struct {
			State string `json:"execution_state"`
		}
		_ = m.DecodeContent(&st)
		if st.State == "idle" {
			x.idle = m
			s.maybeFinish(x)
			return
		}
		if st.State == "busy" && x.content.Silent && x.notice != "" {
			s.publishMsg(m)
			s.publish(x.req, "stream", map[string]string{"name": "stderr", "text": x.notice})
			x.notice = ""
			return
		}
	case "execute_input", "execute_result":
		fields := map[string]any{"execution_count": x.count}
		if m.Type() == "execute_input" {
			// The code as the user wrote it, without the kernel's additions.
			fields["code"] = x.content.Code
		}
		m.Content = setFields(m.Content, fields)
		if m.Type() == "execute_result" {
			s.recordResult(x, m.Content)
		}
		if m.Type() == "execute_input" && x.notice != "" {
			s.publishMsg(m)
			s.publish(x.req, "stream", map[string]string{"name": "stderr", "text": x.notice})
			x.notice = ""
			return
		}
	case "stream":
		var st struct {
			Name string `json:"name"`
			Text string `json:"text"`
		}
		if m.DecodeContent(&st) == nil {
			text := mapCellRefs(st.Text, s.sent)
			if st.Name == "stderr" {
				text = x.hold.feed(text)
				if text == "" {
					return
				}
			}
			if text != st.Text {
				m.Content = setFields(m.Content, map[string]any{"text": text})
			}
		}
	case "display_data":
		if report, ok := gonbErrorReport(m.Content); ok {
			if items, ok := parseErrorReport(report); ok {
				for i := range items {
					locate(&items[i], s.sent)
				}
				x.report = items
				m.Content = setHTML(m.Content, annotateReport(report, items, s.sent))
			}
		}
	case "error":
		if x.report != nil {
			var e struct {
				EName  string `json:"ename"`
				EValue string `json:"evalue"`
			}
			_ = m.DecodeContent(&e)
			x.errorSent = compileErrorContent(x.report, e.EName, e.EValue)
			delete(x.errorSent, "status")
			m.Content = setFields(m.Content, x.errorSent)
		}
	}
	s.publishMsg(m)
}

func (s *Server) recordResult(x *execution, content json.RawMessage) {
	var r struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	var text string
	if json.Unmarshal(content, &r) == nil && json.Unmarshal(r.Data["text/plain"], &text) == nil && x.content.StoreHistory && !x.content.Silent {
		s.hist.SetOutput(x.count, text)
	}
}

// maybeFinish completes a forwarded cell once both its execute_reply and
// its idle status have arrived.
func (s *Server) maybeFinish(x *execution) {
	if x.reply == nil || x.idle == nil {
		return
	}
	var rep struct {
		Status string `json:"status"`
	}
	_ = x.reply.DecodeContent(&rep)
	info, release := x.hold.finish()
	if release != "" {
		s.publish(x.req, "stream", map[string]string{"name": "stderr", "text": release})
	}
	fields := map[string]any{"execution_count": x.count}
	status := rep.Status
	if status == "error" && x.errorSent != nil {
		for k, v := range x.errorSent {
			fields[k] = v
		}
	}
	if info != nil && status == "ok" {
		status = "error"
		s.publish(x.req, "error", errorContent(info.EName, info.EValue, info.Traceback))
		for k, v := range errorContent(info.EName, info.EValue, info.Traceback) {
			fields[k] = v
		}
	}
	x.reply.Content = setFields(x.reply.Content, fields)
	x.reply.Identities = x.req.Identities
	s.sendFrontend(wire.Shell, x.reply)
	s.publishMsg(x.idle)
	s.done(x, status)
}

// done ends the active cell and starts the next one. After an error,
// stop_on_error aborts the cells queued behind it, as IPython does.
func (s *Server) done(x *execution, status string) {
	s.active = nil
	if status == "error" && x.content.StopOnError {
		queued := s.queue
		s.queue = nil
		for _, q := range queued {
			s.publish(q.req, "status", map[string]string{"execution_state": "busy"})
			// An aborted cell never ran, so it gets no execution count (as
			// in IPython); the notebook shows it unnumbered.
			s.reply(wire.Shell, q.req, "execute_reply", map[string]any{"status": "aborted"})
			s.publish(q.req, "status", map[string]string{"execution_state": "idle"})
		}
	}
	s.startNext()
}

func (s *Server) startNext() {
	for s.active == nil && len(s.queue) > 0 && !s.stop {
		x := s.queue[0]
		if s.be == nil && needsGoNB(x.content.Code) {
			if !s.starting && !x.startTried {
				x.startTried = true // one attempt per cell after a failure
				s.startBackend()
			}
			if s.starting {
				return // backendUp starts it
			}
		}
		if s.be != nil && needsGoNB(x.content.Code) && s.maybePin(x) {
			return // pinReply starts it
		}
		s.queue = s.queue[1:]
		s.start(x)
	}
}

// needsGoNB reports whether a cell goes to GoNB: not a %decant cell and
// not one the kernel refuses.
func needsGoNB(code string) bool {
	if _, isMagic, _ := parseMagicCell(code); isMagic {
		return false
	}
	if _, err := gonbcell.Split(code); err != nil && strings.Contains(err.Error(), "crash") {
		return false
	}
	return true
}

func (s *Server) start(x *execution) {
	c := &x.content
	if c.StoreHistory && !c.Silent {
		s.count++
		s.hist.Add(s.count, c.Code)
	}
	x.count = s.count
	s.lastExec = x.req
	lines, isMagic, err := parseMagicCell(c.Code)
	if isMagic {
		s.runMagic(x, lines, err)
		return
	}
	if _, err := gonbcell.Split(c.Code); err != nil && strings.Contains(err.Error(), "crash") {
		s.beginLocal(x)
		s.endLocal(x, nil, fmt.Errorf("this cell was not sent to GoNB, because it would crash the kernel: %v", err))
		return
	}
	if s.be == nil {
		s.beginLocal(x)
		s.endLocal(x, nil, errors.New(s.notRunning()))
		return
	}
	if s.notice != "" {
		// Shown in this cell as stderr once GoNB has begun it (after its
		// execute_input), so that every client counts it as the cell's.
		x.notice, s.notice = s.notice, ""
	}
	x.forwarded = true
	s.active = x
	gonb := 0
	if c.StoreHistory {
		s.gonbCount++
		gonb = s.gonbCount
	}
	fwd := x.req
	if code, ok := withDisplayFlush(c.Code, s.programUsesGonbui(c.Code)); ok {
		m := *x.req
		m.Content = setFields(m.Content, map[string]any{"code": code})
		fwd = &m
	}
	s.sent = append(s.sent, sentCell{gonb: gonb, count: x.count, code: c.Code})
	s.be.send(wire.Shell, fwd)
}

// beginLocal publishes the start of a cell the kernel runs itself.
func (s *Server) beginLocal(x *execution) {
	s.active = x
	s.publish(x.req, "status", map[string]string{"execution_state": "busy"})
	if !x.content.Silent {
		s.publish(x.req, "execute_input", map[string]any{"code": x.content.Code, "execution_count": x.count})
	}
}

// endLocal publishes the result or error of a cell the kernel ran itself,
// replies and goes idle.
func (s *Server) endLocal(x *execution, res *Result, err error) {
	status := "ok"
	reply := map[string]any{"status": "ok", "execution_count": x.count, "user_expressions": map[string]any{}, "payload": []any{}}
	if err != nil {
		status = "error"
		ename := "DecantError"
		if errors.Is(err, errInterrupted) {
			ename = "Interrupted"
		}
		ec := errorContent(ename, firstLine(err.Error()), strings.Split(err.Error(), "\n"))
		if !x.content.Silent {
			s.publish(x.req, "error", ec)
		}
		reply = ec
		reply["execution_count"] = x.count
	} else if res != nil && !x.content.Silent {
		data := map[string]string{"text/plain": res.Text}
		if res.HTML != "" {
			data["text/html"] = res.HTML
		}
		if res.Markdown != "" {
			data["text/markdown"] = res.Markdown
		}
		s.publish(x.req, "execute_result", map[string]any{"data": data, "metadata": map[string]any{}, "execution_count": x.count})
		if x.content.StoreHistory {
			s.hist.SetOutput(x.count, res.Text)
		}
	}
	s.reply(wire.Shell, x.req, "execute_reply", reply)
	s.publish(x.req, "status", map[string]string{"execution_state": "idle"})
	s.done(x, status)
}

// errInterrupted ends a %decant cell the user interrupted.
var errInterrupted = errors.New("interrupted")

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func errorContent(ename, evalue string, traceback []string) map[string]any {
	if traceback == nil {
		traceback = []string{}
	}
	return map[string]any{"status": "error", "ename": ename, "evalue": evalue, "traceback": traceback}
}

func (s *Server) runMagic(x *execution, lines []magicLine, perr error) {
	s.beginLocal(x)
	if perr != nil {
		s.endLocal(x, nil, perr)
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	x.cancel = cancel
	env := MagicEnv{
		Stdout:  &streamWriter{s: s, req: x.req, name: "stdout"},
		Stderr:  &streamWriter{s: s, req: x.req, name: "stderr"},
		Dir:     s.opts.Dir,
		Getenv:  s.opts.Getenv,
		Version: s.opts.Version,
	}
	magics := s.magics
	go func() {
		defer cancel()
		res, err := runMagicLines(ctx, magics, lines, env)
		s.post(event{kind: evMagicDone, exec: x, result: res, err: err})
	}()
}

// runMagicLines runs the lines of a %decant cell in order; their results
// are joined. A panic in a magic becomes its error.
func runMagicLines(ctx context.Context, magics map[string]Magic, lines []magicLine, env MagicEnv) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%%decant failed unexpectedly: %v", r)
		}
	}()
	var out *Result
	for _, l := range lines {
		var r *Result
		if l.name == "help" {
			r = helpResult(withHelp(magics))
		} else if m, ok := magics[l.name]; ok && m.Run != nil {
			if r, err = m.Run(ctx, l.args, env); err != nil {
				return nil, err
			}
		} else {
			return nil, fmt.Errorf("unknown command %%decant %s; %%decant help lists them", l.name)
		}
		out = joinResults(out, r)
	}
	return out, nil
}

func withHelp(m map[string]Magic) map[string]Magic {
	all := map[string]Magic{"help": {Summary: "this list"}}
	for k, v := range m {
		all[k] = v
	}
	return all
}

func joinResults(a, b *Result) *Result {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	join := func(x, y, sep string) string {
		if x == "" || y == "" {
			return x + y
		}
		return x + sep + y
	}
	return &Result{Text: join(a.Text, b.Text, "\n"), HTML: join(a.HTML, b.HTML, "<hr/>"), Markdown: join(a.Markdown, b.Markdown, "\n\n")}
}

// streamWriter publishes what a magic writes as stream outputs.
type streamWriter struct {
	s    *Server
	req  *wire.Message
	name string
}

func (w *streamWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		w.s.publish(w.req, "stream", map[string]string{"name": w.name, "text": string(p)})
	}
	return len(p), nil
}

func (s *Server) interruptActive() {
	x := s.active
	switch {
	case x == nil && len(s.queue) > 0 && (s.starting || s.pin.id != ""):
		// The next cell waits for GoNB (its start, or the pin): it is
		// the one the user sees running, so it ends without running.
		q := s.queue[0]
		s.queue = s.queue[1:]
		s.beginLocal(q)
		s.endLocal(q, nil, errInterrupted)
	case x == nil:
	case x.cancel != nil:
		x.interrupted = true
		x.cancel()
	case s.be != nil:
		b := s.be.b
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := b.Interrupt(ctx); err != nil {
				s.opts.Logf("decant kernel: interrupting GoNB: %v", err)
			}
		}()
	}
}

// shutdown answers a shutdown_request and ends Serve, whether or not it
// asks for a restart: Jupyter restarts a kernel by starting a new process
// once this one has exited, and waits (then kills) until it has. So the
// reply goes out first and GoNB is stopped at once.
func (s *Server) shutdown(m *wire.Message) {
	var c struct {
		Restart bool `json:"restart"`
	}
	_ = m.DecodeContent(&c)
	why := "the kernel is shutting down"
	if c.Restart {
		why = "the kernel is restarting"
	}
	s.failPending(why)
	s.replyLocal(wire.Control, m, "shutdown_reply", map[string]any{"status": "ok", "restart": c.Restart})
	s.stop = true
}

// backendDied reports the death (in the running cell, or, when no cell
// runs, right away and again at the start of the next cell), fails the
// requests GoNB will never answer, and starts a new GoNB.
func (s *Server) backendDied() {
	s.restarts.Add(1)
	cause := ""
	if e, ok := s.be.b.(interface{ Err() error }); ok && e.Err() != nil {
		cause = " (" + e.Err().Error() + ")"
	}
	s.opts.Logf("decant kernel: GoNB died%s; restarting it", cause)
	const lost = "Decant restarted it, so the notebook session goes on, but the declarations memorized by earlier cells are gone: run those cells again."
	if x := s.active; x != nil && x.forwarded {
		s.failPending("GoNB died while running this cell" + cause + ". " + lost)
	} else {
		s.failPending("GoNB died" + cause)
		s.notice = "GoNB stopped while no cell was running" + cause + ". " + lost + "\n"
		if s.lastExec != nil {
			s.publish(s.lastExec, "stream", map[string]string{"name": "stderr", "text": s.notice})
		}
	}
	s.stopBackend()
	s.startBackend()
}

// failPending ends the forwarded cell and every routed request with an
// error, for when the backend goes away.
func (s *Server) failPending(why string) {
	if x := s.active; x != nil && x.forwarded {
		if _, release := x.hold.finish(); release != "" {
			s.publish(x.req, "stream", map[string]string{"name": "stderr", "text": release})
		}
		s.active = nil
		if x.reply == nil || x.idle == nil {
			ec := errorContent("KernelDied", why, []string{why})
			s.publish(x.req, "error", ec)
			ec["execution_count"] = x.count
			s.reply(wire.Shell, x.req, "execute_reply", ec)
			s.publish(x.req, "status", map[string]string{"execution_state": "idle"})
		}
	}
	for id, r := range s.routes {
		req := &wire.Message{Identities: r.ids, Header: wire.Header{MsgID: id, MsgType: r.msgType, Session: s.session}}
		s.reply(r.ch, req, replyType(r.msgType), errorContent("KernelDied", why, nil))
	}
	s.routes = map[string]route{}
}

// startBackend starts GoNB in the background; backendUp takes over when it
// is ready. Meanwhile the kernel answers what it can itself (kernel_info,
// %decant cells) and holds the rest.
func (s *Server) startBackend() {
	if s.starting || s.stop {
		return
	}
	s.starting = true
	s.gen++
	gen := s.gen
	ctx, cancel := context.WithTimeout(s.ctx, 3*time.Minute)
	done := make(chan struct{})
	s.startCancel, s.startDone = cancel, done
	go func() {
		defer close(done)
		defer cancel()
		up := s.launch(ctx, gen)
		if !s.post(event{kind: evBackendUp, up: up}) && up.conn != nil {
			// Serve has ended: nobody will use it.
			up.conn.close()
			_ = stopBackendNow(up.conn.b)
		}
	}()
}

// launch starts a backend and connects to it (in startBackend's goroutine).
func (s *Server) launch(ctx context.Context, gen int) *startResult {
	b, err := s.opts.Start(ctx)
	if err != nil {
		return &startResult{gen: gen, err: fmt.Errorf("starting GoNB: %w", err)}
	}
	if p, ok := b.(interface{ PID() int }); ok && p.PID() > 0 {
		s.pidMu.Lock()
		s.pids = append(s.pids, p.PID())
		s.pidMu.Unlock()
	}
	conn, err := dialBackend(ctx, s, b, gen)
	if err != nil {
		_ = stopBackendNow(b)
		return &startResult{gen: gen, err: fmt.Errorf("connecting to GoNB: %w", err)}
	}
	up := &startResult{gen: gen, conn: conn}
	if ki, err := b.KernelInfo(ctx); err == nil {
		var m map[string]json.RawMessage
		if json.Unmarshal(ki, &m) == nil {
			up.kernelInfo = m
		}
	}
	return up
}

// backendUp takes a started backend into use, or reports why it did not
// start, and lets the waiting requests and cells go.
func (s *Server) backendUp(up *startResult) {
	if up.gen != s.gen || s.stop {
		if up.conn != nil {
			up.conn.close()
			_ = stopBackendNow(up.conn.b)
		}
		return
	}
	s.starting = false
	held := s.held
	s.held = nil
	if up.err != nil {
		s.beErr = up.err
		s.opts.Logf("decant kernel: %v", up.err)
	} else {
		s.be, s.beErr = up.conn, nil
		s.sent, s.gonbCount = nil, 0
		s.pin = pinState{}
		if v, ok := up.conn.b.(interface{ GoNBVersion() string }); ok {
			s.pin.version = v.GoNBVersion()
		}
		if up.kernelInfo != nil {
			s.kernelInfo = up.kernelInfo
		}
	}
	for _, h := range held {
		s.forward(h.ch, h.m)
	}
	s.startNext()
}

// abandonStart cancels a start in progress and waits for it to end; a
// backend that comes up anyway is stopped by the starting goroutine.
func (s *Server) abandonStart() {
	if s.startCancel == nil {
		return
	}
	s.startCancel()
	select {
	case <-s.startDone:
	case <-time.After(10 * time.Second):
		s.opts.Logf("decant kernel: GoNB's start did not end")
	}
}

// stopBackend stops GoNB at once: its state lives in memory and in its
// temporary folder, neither of which outlives it, so there is nothing to
// wait for.
func (s *Server) stopBackend() {
	if s.be == nil {
		return
	}
	be := s.be
	s.be = nil
	be.close()
	if err := stopBackendNow(be.b); err != nil {
		s.opts.Logf("decant kernel: stopping GoNB: %v", err)
	}
}

// stopBackendNow kills b when it can be killed (a GoNB process), else
// shuts it down politely.
func stopBackendNow(b Backend) error {
	if k, ok := b.(interface{ Kill() error }); ok {
		return k.Kill()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return b.Shutdown(ctx)
}

// commInfo answers comm_info_request, which GoNB ignores, from the comms
// the kernel saw opened and not closed (by the notebook or by GoNB).
func (s *Server) commInfo(ch wire.Channel, m *wire.Message) {
	var req struct {
		Target string `json:"target_name"`
	}
	_ = m.DecodeContent(&req)
	comms := map[string]any{}
	for id, target := range s.comms {
		if req.Target == "" || req.Target == target {
			comms[id] = map[string]string{"target_name": target}
		}
	}
	s.replyLocal(ch, m, "comm_info_reply", map[string]any{"status": "ok", "comms": comms})
}

// trackComm follows comm_open and comm_close messages, either way.
func (s *Server) trackComm(m *wire.Message) {
	var c struct {
		ID     string `json:"comm_id"`
		Target string `json:"target_name"`
	}
	switch m.Type() {
	case "comm_open":
		if m.DecodeContent(&c) == nil && c.ID != "" {
			s.comms[c.ID] = c.Target
		}
	case "comm_close":
		if m.DecodeContent(&c) == nil {
			delete(s.comms, c.ID)
		}
	}
}

func (s *Server) kernelInfoContent() map[string]any {
	lang := json.RawMessage(`{"name":"go","version":"` + runtime.Version() + `","mimetype":"text/x-go","file_extension":".go"}`)
	banner := "Decant kernel: GoNB underneath, %decant magics on top"
	if l, ok := s.kernelInfo["language_info"]; ok {
		lang = l
	}
	var gonbBanner string
	if json.Unmarshal(s.kernelInfo["banner"], &gonbBanner) == nil && gonbBanner != "" {
		banner += "\n" + gonbBanner
	}
	version := s.opts.Version
	if version == "" {
		version = "devel"
	}
	c := map[string]any{
		"status": "ok", "protocol_version": wire.ProtocolVersion,
		"implementation": "decant", "implementation_version": version,
		"language_info": lang, "banner": banner,
		"help_links": []map[string]string{{"text": "Decant magics", "url": "https://github.com/decant-go/decant"}},
	}
	if links, ok := s.kernelInfo["help_links"]; ok && string(links) != "null" {
		c["help_links"] = links
	}
	return c
}

// replyLocal answers a request the kernel handles itself, between busy
// and idle statuses as every kernel reply is.
func (s *Server) replyLocal(ch wire.Channel, req *wire.Message, msgType string, content any) {
	s.publish(req, "status", map[string]string{"execution_state": "busy"})
	s.reply(ch, req, msgType, content)
	s.publish(req, "status", map[string]string{"execution_state": "idle"})
}

func (s *Server) newMessage(parent *wire.Message, msgType string, content any) *wire.Message {
	m, err := s.opts.Builder.NewMessage(msgType, s.session, &parent.Header, content)
	if err != nil {
		// Only the kernel's own contents get here; they always encode.
		panic(fmt.Sprintf("decant kernel: building %s: %v", msgType, err))
	}
	return m
}

func (s *Server) reply(ch wire.Channel, req *wire.Message, msgType string, content any) {
	m := s.newMessage(req, msgType, content)
	m.Identities = req.Identities
	s.sendFrontend(ch, m)
}

func (s *Server) sendFrontend(ch wire.Channel, m *wire.Message) {
	frames, err := wire.Encode(m, s.signer)
	if err != nil {
		s.opts.Logf("decant kernel: encoding %s: %v", m.Type(), err)
		return
	}
	if err := s.fe[ch].SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		s.opts.Logf("decant kernel: sending %s on %s: %v", m.Type(), ch, err)
	}
}

// publish sends a new iopub message answering parent. It is safe to call
// from magic goroutines.
func (s *Server) publish(parent *wire.Message, msgType string, content any) {
	m := s.newMessage(parent, msgType, content)
	m.Identities = [][]byte{[]byte("kernel." + s.session + "." + msgType)}
	s.publishMsg(m)
}

func (s *Server) publishMsg(m *wire.Message) {
	frames, err := wire.Encode(m, s.signer)
	if err != nil {
		s.opts.Logf("decant kernel: encoding %s: %v", m.Type(), err)
		return
	}
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if err := s.fe[wire.IOPub].SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		s.opts.Logf("decant kernel: publishing %s: %v", m.Type(), err)
	}
}

// setFields returns the JSON object content with the given fields set.
func setFields(content json.RawMessage, fields map[string]any) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(content, &obj) != nil || obj == nil {
		obj = map[string]json.RawMessage{}
	}
	for k, v := range fields {
		data, err := json.Marshal(v)
		if err != nil {
			continue
		}
		obj[k] = data
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return content
	}
	return out
}
