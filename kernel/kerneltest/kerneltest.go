package kerneltest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel/wire"
	"github.com/go-zeromq/zmq4"
)

// Handler scripts the fake kernel's response to one execute_request.
type Handler interface {
	Execute(c *Call)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(c *Call)

// Execute calls f(c).
func (f HandlerFunc) Execute(c *Call) { f(c) }

// Server is a fake kernel listening on 127.0.0.1.
type Server struct {
	// Info is the connection info to dial.
	Info wire.ConnectionInfo

	h        Handler
	signer   wire.Signer
	socks    map[wire.Channel]zmq4.Socket
	pubMu    sync.Mutex // iopub sends
	shMu     sync.Mutex // shell sends
	ctlMu    sync.Mutex // control sends
	inMu     sync.Mutex // stdin sends
	sockOnce sync.Once

	inputReplies chan *wire.Message

	mu        sync.Mutex
	current   *Call
	requests  []string
	execCount int

	badSigs, malformed, interrupts atomic.Int64
	shutdownReq                    atomic.Bool

	dead      chan struct{}
	deadOnce  sync.Once
	closed    chan struct{}
	closeOnce sync.Once
	shutdown  chan struct{}
	shutOnce  sync.Once
	wg        sync.WaitGroup
}

// NewServer starts a fake kernel that hands execute requests to h. A nil
// h echoes the code on stdout. The server is closed when the test ends.
func NewServer(t testing.TB, h Handler) *Server {
	t.Helper()
	s, err := Listen(wire.ConnectionInfo{}, h)
	if err != nil {
		t.Fatalf("kerneltest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen starts a fake kernel on the address and ports of info, as a
// kernel process does with its connection file. Zero ports are picked
// freely, an empty IP means 127.0.0.1 and an empty key a random one; the
// Info field of the result holds the final values. A nil h echoes the code.
func Listen(info wire.ConnectionInfo, h Handler) (*Server, error) {
	if f, ok := h.(HandlerFunc); h == nil || ok && f == nil {
		h = HandlerFunc(func(c *Call) { c.Stdout(c.Code) })
	}
	s := &Server{
		h:            h,
		socks:        map[wire.Channel]zmq4.Socket{},
		inputReplies: make(chan *wire.Message, 16),
		dead:         make(chan struct{}),
		closed:       make(chan struct{}),
		shutdown:     make(chan struct{}),
	}
	if info.Transport == "" {
		info.Transport = "tcp"
	}
	if info.IP == "" {
		info.IP = "127.0.0.1"
	}
	if info.Key == "" {
		info.Key = wire.NewID()
	}
	info.SignatureScheme = wire.SchemeHMACSHA256
	if info.KernelName == "" {
		info.KernelName = "fake"
	}
	quiet := zmq4.WithLogger(log.New(io.Discard, "", 0))
	bg := context.Background()
	s.socks[wire.Shell] = zmq4.NewRouter(bg, quiet)
	s.socks[wire.Control] = zmq4.NewRouter(bg, quiet)
	s.socks[wire.Stdin] = zmq4.NewRouter(bg, quiet)
	s.socks[wire.IOPub] = zmq4.NewPub(bg, quiet)
	s.socks[wire.HB] = zmq4.NewRep(bg, quiet)
	s.signer = info.Signer()
	ports := map[wire.Channel]*int{wire.Shell: &info.ShellPort, wire.Control: &info.ControlPort,
		wire.Stdin: &info.StdinPort, wire.IOPub: &info.IOPubPort, wire.HB: &info.HBPort}
	for _, ch := range wire.Channels() {
		if err := s.socks[ch].Listen(info.Addr(ch)); err != nil {
			s.closeSockets()
			return nil, fmt.Errorf("listening on %s: %w", ch, err)
		}
		_, port, _ := net.SplitHostPort(s.socks[ch].Addr().String())
		*ports[ch], _ = strconv.Atoi(port)
	}
	s.Info = info
	s.wg.Add(4)
	go s.shellLoop()
	go s.controlLoop()
	go s.stdinLoop()
	go s.hbLoop()
	return s, nil
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.closeSockets()
		s.wg.Wait()
	})
}

// Die makes the kernel vanish as if its process crashed: every socket
// closes and nothing answers any more, heartbeats included.
func (s *Server) Die() {
	s.deadOnce.Do(func() {
		close(s.dead)
		s.closeSockets()
	})
}

func (s *Server) closeSockets() {
	s.sockOnce.Do(func() {
		for _, sock := range s.socks {
			sock.Close()
		}
	})
}

// Requests returns the msg_type of every decoded shell and control
// request, in arrival order (per channel).
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// BadSignatures counts received messages dropped for a bad signature.
func (s *Server) BadSignatures() int64 { return s.badSigs.Load() }

// Malformed counts received messages dropped as malformed.
func (s *Server) Malformed() int64 { return s.malformed.Load() }

// Interrupts counts interrupt_request messages received.
func (s *Server) Interrupts() int64 { return s.interrupts.Load() }

// ShutdownC returns a channel closed after a shutdown_request has been
// answered; a fake kernel process exits then.
func (s *Server) ShutdownC() <-chan struct{} { return s.shutdown }

// Interrupt interrupts the running call, as an interrupt_request does; a
// fake kernel process calls it on SIGINT.
func (s *Server) Interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.current; c != nil {
		c.interruptOnce.Do(func() { close(c.interrupted) })
	}
}

// ShutdownRequested reports whether a shutdown_request arrived.
func (s *Server) ShutdownRequested() bool { return s.shutdownReq.Load() }

func (s *Server) stopped() bool {
	select {
	case <-s.closed:
		return true
	case <-s.dead:
		return true
	default:
		return false
	}
}

// recv reads and decodes the next message from ch; ok is false once the
// server is stopped.
func (s *Server) recv(ch wire.Channel) (m *wire.Message, ok bool) {
	for {
		zm, err := s.socks[ch].Recv()
		if s.stopped() {
			return nil, false
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m, err := wire.Decode(zm.Frames, s.signer)
		switch {
		case errors.Is(err, wire.ErrBadSignature):
			s.badSigs.Add(1)
			continue
		case err != nil:
			s.malformed.Add(1)
			continue
		}
		if ch == wire.Shell || ch == wire.Control {
			s.mu.Lock()
			s.requests = append(s.requests, m.Type())
			s.mu.Unlock()
		}
		return m, true
	}
}

func (s *Server) shellLoop() {
	defer s.wg.Done()
	for {
		req, ok := s.recv(wire.Shell)
		if !ok {
			return
		}
		switch req.Type() {
		case "kernel_info_request":
			s.status(req, "busy")
			s.reply(wire.Shell, req, "kernel_info_reply", map[string]any{
				"status": "ok", "protocol_version": wire.ProtocolVersion,
				"implementation": "kerneltest", "implementation_version": "0",
				"language_info": map[string]string{"name": "go", "file_extension": ".go", "mimetype": "text/x-go"},
				"banner":        "fake kernel",
			})
			s.status(req, "idle")
		case "execute_request":
			s.execute(req)
		default:
			// Like GoNB: no reply to is_complete_request, history_request
			// or anything else unknown.
		}
	}
}

func (s *Server) execute(req *wire.Message) {
	var content wire.ExecuteRequest
	_ = req.DecodeContent(&content)
	s.mu.Lock()
	if content.StoreHistory {
		s.execCount++
	}
	n := s.execCount
	c := &Call{Code: content.Code, Request: req, ExecutionCount: n, s: s, status: "ok", interrupted: make(chan struct{})}
	s.current = c
	s.mu.Unlock()

	s.status(req, "busy")
	s.publish(req, s.signer, "execute_input", map[string]any{"code": content.Code, "execution_count": n})
	s.h.Execute(c)
	s.mu.Lock()
	s.current = nil
	s.mu.Unlock()
	if c.noReply || s.stopped() {
		return
	}
	reply := map[string]any{"status": c.status, "execution_count": n}
	if c.status == "error" {
		reply["ename"], reply["evalue"], reply["traceback"] = c.ename, c.evalue, c.traceback
	} else {
		reply["user_expressions"] = map[string]any{}
	}
	s.reply(wire.Shell, req, "execute_reply", reply)
	s.status(req, "idle")
}

func (s *Server) controlLoop() {
	defer s.wg.Done()
	for {
		req, ok := s.recv(wire.Control)
		if !ok {
			return
		}
		switch req.Type() {
		case "interrupt_request":
			s.interrupts.Add(1)
			s.Interrupt()
			s.reply(wire.Control, req, "interrupt_reply", map[string]any{"status": "ok"})
		case "shutdown_request":
			s.shutdownReq.Store(true)
			var content struct {
				Restart bool `json:"restart"`
			}
			_ = req.DecodeContent(&content)
			s.reply(wire.Control, req, "shutdown_reply", map[string]any{"status": "ok", "restart": content.Restart})
			s.shutOnce.Do(func() { close(s.shutdown) })
		}
	}
}

func (s *Server) stdinLoop() {
	defer s.wg.Done()
	for {
		m, ok := s.recv(wire.Stdin)
		if !ok {
			return
		}
		if m.Type() == "input_reply" {
			select {
			case s.inputReplies <- m:
			default: // nobody asked; drop
			}
		}
	}
}

func (s *Server) hbLoop() {
	defer s.wg.Done()
	sock := s.socks[wire.HB]
	for {
		m, err := sock.Recv()
		if s.stopped() {
			return
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		_ = sock.Send(m)
	}
}

func (s *Server) newMessage(parent *wire.Message, msgType string, content any) *wire.Message {
	m, err := wire.Builder{Username: "kernel"}.NewMessage(msgType, parent.Header.Session, &parent.Header, content)
	if err != nil {
		panic("kerneltest: " + err.Error()) // a bug in a test script
	}
	return m
}

func (s *Server) reply(ch wire.Channel, req *wire.Message, msgType string, content any) {
	m := s.newMessage(req, msgType, content)
	m.Identities = req.Identities
	frames, _ := wire.Encode(m, s.signer)
	mu := &s.shMu
	if ch == wire.Control {
		mu = &s.ctlMu
	}
	mu.Lock()
	defer mu.Unlock()
	_ = s.socks[ch].SendMulti(zmq4.NewMsgFrom(frames...))
}

func (s *Server) status(req *wire.Message, state string) {
	s.publish(req, s.signer, "status", map[string]string{"execution_state": state})
}

func (s *Server) publish(req *wire.Message, signer wire.Signer, msgType string, content any) {
	m := s.newMessage(req, msgType, content)
	// Real kernels prefix iopub messages with a topic frame.
	m.Identities = [][]byte{[]byte("kernel.fake." + msgType)}
	frames, _ := wire.Encode(m, signer)
	s.publishFrames(frames)
}

func (s *Server) publishFrames(frames [][]byte) {
	if s.stopped() {
		return
	}
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	_ = s.socks[wire.IOPub].SendMulti(zmq4.NewMsgFrom(frames...))
}

// Call is one execute_request being handled. Its methods publish on iopub
// as the kernel would; the handler returning sends the execute_reply and
// the idle status (unless NoReply or Die was called).
type Call struct {
	// Code is the cell source.
	Code string
	// Request is the decoded execute_request.
	Request *wire.Message
	// ExecutionCount is the count the reply will carry.
	ExecutionCount int

	s             *Server
	status        string
	ename, evalue string
	traceback     []string
	noReply       bool
	interrupted   chan struct{}
	interruptOnce sync.Once
}

// Stdout publishes text on stdout.
func (c *Call) Stdout(text string) { c.Stream("stdout", text) }

// Stderr publishes text on stderr.
func (c *Call) Stderr(text string) { c.Stream("stderr", text) }

// Stream publishes text on the named stream.
func (c *Call) Stream(name, text string) {
	c.Publish("stream", map[string]string{"name": name, "text": text})
}

// Display publishes display_data; displayID may be empty.
func (c *Call) Display(data map[string]any, displayID string) {
	c.Publish("display_data", displayContent(data, displayID))
}

// UpdateDisplay publishes update_display_data for displayID.
func (c *Call) UpdateDisplay(data map[string]any, displayID string) {
	c.Publish("update_display_data", displayContent(data, displayID))
}

// Result publishes an execute_result.
func (c *Call) Result(data map[string]any) {
	content := displayContent(data, "")
	content["execution_count"] = c.ExecutionCount
	c.Publish("execute_result", content)
}

func displayContent(data map[string]any, displayID string) map[string]any {
	transient := map[string]any{}
	if displayID != "" {
		transient["display_id"] = displayID
	}
	return map[string]any{"data": data, "metadata": map[string]any{}, "transient": transient}
}

// ClearOutput publishes clear_output.
func (c *Call) ClearOutput(wait bool) {
	c.Publish("clear_output", map[string]bool{"wait": wait})
}

// Fail publishes an error output and makes the reply status "error".
func (c *Call) Fail(ename, evalue string, traceback ...string) {
	if traceback == nil {
		traceback = []string{}
	}
	c.status, c.ename, c.evalue, c.traceback = "error", ename, evalue, traceback
	c.Publish("error", map[string]any{"ename": ename, "evalue": evalue, "traceback": traceback})
}

// SetStatus sets the reply status, e.g. "aborted".
func (c *Call) SetStatus(status string) { c.status = status }

// Publish publishes any iopub message for this request.
func (c *Call) Publish(msgType string, content any) {
	c.s.publish(c.Request, c.s.signer, msgType, content)
}

// PublishSigned publishes a message signed with signer instead of the
// server's key, to test that clients reject it.
func (c *Call) PublishSigned(signer wire.Signer, msgType string, content any) {
	c.s.publish(c.Request, signer, msgType, content)
}

// PublishFrames publishes raw frames on iopub, to test malformed input.
// An empty list is not sent: the ZeroMQ library cannot publish it.
func (c *Call) PublishFrames(frames [][]byte) {
	if len(frames) > 0 {
		c.s.publishFrames(frames)
	}
}

// Interrupted returns a channel closed when an interrupt_request arrives
// during this call.
func (c *Call) Interrupted() <-chan struct{} { return c.interrupted }

// Sleep waits for d and reports true, or reports false as soon as the
// call is interrupted or the server stops.
func (c *Call) Sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.interrupted:
	case <-c.s.closed:
	case <-c.s.dead:
	}
	return false
}

// ErrStopped is returned by Input when the call is interrupted or the
// server stops before the answer arrives.
var ErrStopped = errors.New("kerneltest: stopped while waiting for input")

// Input sends an input_request to the client, as GoNB does (on the stdin
// channel, to the identity of the shell request), and returns the answer.
func (c *Call) Input(prompt string, password bool) (string, error) {
	s := c.s
	m := s.newMessage(c.Request, "input_request", wire.InputRequest{Prompt: prompt, Password: password})
	m.Identities = c.Request.Identities
	frames, err := wire.Encode(m, s.signer)
	if err != nil {
		return "", err
	}
	s.inMu.Lock()
	err = s.socks[wire.Stdin].SendMulti(zmq4.NewMsgFrom(frames...))
	s.inMu.Unlock()
	if err != nil {
		return "", err
	}
	for {
		select {
		case r := <-s.inputReplies:
			if r.ParentID() != m.Header.MsgID {
				continue
			}
			var v wire.InputReply
			if err := r.DecodeContent(&v); err != nil {
				return "", err
			}
			return v.Value, nil
		case <-c.interrupted:
			return "", ErrStopped
		case <-s.closed:
			return "", ErrStopped
		case <-s.dead:
			return "", ErrStopped
		}
	}
}

// NoReply makes the fake send neither execute_reply nor the idle status
// for this call, like a kernel stuck forever.
func (c *Call) NoReply() { c.noReply = true }

// Die crashes the kernel in the middle of this call.
func (c *Call) Die() {
	c.noReply = true
	c.s.Die()
}
