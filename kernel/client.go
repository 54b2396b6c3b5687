package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decant-go/decant/kernel/wire"
	"github.com/go-zeromq/zmq4"
)

// Errors returned (wrapped) by Client methods.
var (
	// ErrKernelDead means the kernel process exited or stopped answering
	// heartbeats.
	ErrKernelDead = errors.New("kernel died")
	// ErrClosed means the Client was closed.
	ErrClosed = errors.New("kernel client closed")
)

// Config tunes a Client. The zero value gives the defaults noted on each
// field.
type Config struct {
	// HeartbeatInterval is the time between heartbeat pings (default 1s).
	// A negative value turns heartbeat monitoring off; a started kernel's
	// death is still noticed when its process exits.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a ping may stay unanswered before the
	// kernel is declared dead (default 5s).
	HeartbeatTimeout time.Duration
	// RequestTimeout bounds Request calls whose context has no deadline
	// (default 30s), because some kernels never answer some requests
	// (GoNB ignores is_complete_request and history_request).
	RequestTimeout time.Duration
	// InterruptGrace is how long Execute waits, after interrupting a cell
	// that ran past its timeout, for the kernel to go idle (default 5s).
	InterruptGrace time.Duration
	// IdleTimeout is how long Execute waits for the iopub "idle" status
	// after the execute_reply arrived (default 5s); each iopub message
	// restarts the wait.
	IdleTimeout time.Duration
	// InputDelay is how long Execute waits before answering an
	// input_request (default 20ms; negative means no wait). GoNB installs
	// its input callback only after sending the request, so an instant
	// answer can be lost and the cell then waits for input forever.
	InputDelay time.Duration
	// SendTimeout bounds one socket send (default 10s).
	SendTimeout time.Duration
	// InterruptMode applies to Dial: "message" (default) sends
	// interrupt_request on the control channel; "signal" is only possible
	// for kernels the client started. Start uses the kernelspec's mode.
	InterruptMode string
	// Session is the session id sent in message headers (default random).
	Session string
	// Builder makes request messages; inject its clock and ids in tests.
	Builder wire.Builder
	// Logger receives diagnostics from the ZeroMQ library (default discard).
	Logger *log.Logger
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.HeartbeatInterval, time.Second)
	def(&c.HeartbeatTimeout, 5*time.Second)
	def(&c.RequestTimeout, 30*time.Second)
	def(&c.InterruptGrace, 5*time.Second)
	def(&c.IdleTimeout, 5*time.Second)
	def(&c.SendTimeout, 10*time.Second)
	def(&c.InputDelay, 20*time.Millisecond)
	if c.InterruptMode == "" {
		c.InterruptMode = "message"
	}
	if c.Session == "" {
		c.Session = wire.NewID()
	}
	if c.Logger == nil {
		c.Logger = log.New(io.Discard, "", 0)
	}
	return c
}

// Client talks to one kernel over its five ZeroMQ sockets. Its methods
// are safe for concurrent use; executions are serialized.
type Client struct {
	cfg    Config
	info   wire.ConnectionInfo
	signer wire.Signer

	socks  map[wire.Channel]zmq4.Socket
	sendMu map[wire.Channel]*sync.Mutex

	mu     sync.Mutex
	routes map[string]*mailbox // by request msg_id

	dead     chan struct{}
	deadOnce sync.Once
	deadErr  error

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	execMu  sync.Mutex
	dropped atomic.Int64

	proc *process // nil for dialed kernels
}

// event is one message received for a request, tagged with its channel.
type event struct {
	ch  wire.Channel
	msg *wire.Message
}

// mailbox is an unbounded queue of events for one request, so socket
// readers never block on a slow consumer.
type mailbox struct {
	mu     sync.Mutex
	q      []event
	notify chan struct{}
}

func newMailbox() *mailbox { return &mailbox{notify: make(chan struct{}, 1)} }

func (b *mailbox) push(e event) {
	b.mu.Lock()
	b.q = append(b.q, e)
	b.mu.Unlock()
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

func (b *mailbox) take() []event {
	b.mu.Lock()
	q := b.q
	b.q = nil
	b.mu.Unlock()
	return q
}

// Dial connects to an already running kernel with the default Config.
func Dial(ctx context.Context, info wire.ConnectionInfo) (*Client, error) {
	return Config{}.Dial(ctx, info)
}

// Dial connects to an already running kernel described by info and waits
// until it answers kernel_info_request and publishes on iopub.
func (cfg Config) Dial(ctx context.Context, info wire.ConnectionInfo) (*Client, error) {
	c, err := cfg.connect(ctx, info, nil)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (cfg Config) connect(ctx context.Context, info wire.ConnectionInfo, proc *process) (*Client, error) {
	if err := info.Validate(); err != nil {
		return nil, fmt.Errorf("connecting to kernel: %w", err)
	}
	cfg = cfg.withDefaults()
	c := &Client{
		cfg:    cfg,
		info:   info,
		signer: info.Signer(),
		socks:  map[wire.Channel]zmq4.Socket{},
		sendMu: map[wire.Channel]*sync.Mutex{},
		routes: map[string]*mailbox{},
		dead:   make(chan struct{}),
		closed: make(chan struct{}),
		proc:   proc,
	}
	if proc != nil {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			select {
			case <-proc.exited:
				c.markDead(fmt.Errorf("kernel process exited: %v", proc.waitErr))
			case <-c.closed:
			}
		}()
	}
	// Stop connecting as soon as a started kernel's process exits.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.dead:
			cancel()
		case <-ctx.Done():
		}
	}()
	fail := func(err error) (*Client, error) {
		c.Close()
		select {
		case <-c.dead:
			return nil, fmt.Errorf("connecting to kernel: %w", c.deadError())
		default:
			return nil, err
		}
	}
	if err := c.openSockets(ctx); err != nil {
		return fail(err)
	}
	for _, ch := range []wire.Channel{wire.Shell, wire.Control, wire.Stdin, wire.IOPub} {
		c.wg.Add(1)
		go c.readLoop(ch)
	}
	if err := c.ping(ctx); err != nil {
		return fail(fmt.Errorf("connecting to kernel: heartbeat: %w", err))
	}
	if err := c.waitReady(ctx); err != nil {
		return fail(err)
	}
	if cfg.HeartbeatInterval > 0 {
		c.wg.Add(1)
		go c.heartbeatLoop()
	}
	return c, nil
}

func (c *Client) openSockets(ctx context.Context) error {
	// Shell and stdin share an identity: the kernel's stdin ROUTER sends
	// input_request to the identity the execute_request came from.
	id := zmq4.SocketIdentity(c.cfg.Session)
	common := []zmq4.Option{
		zmq4.WithLogger(c.cfg.Logger),
		zmq4.WithTimeout(c.cfg.SendTimeout),
		zmq4.WithDialerRetry(50 * time.Millisecond),
		zmq4.WithDialerMaxRetries(-1), // bounded by ctx in dialSocket
	}
	bg := context.Background() // sockets outlive ctx, which only bounds connecting
	c.socks[wire.Shell] = zmq4.NewDealer(bg, append(common, zmq4.WithID(id))...)
	c.socks[wire.Stdin] = zmq4.NewDealer(bg, append(common, zmq4.WithID(id))...)
	c.socks[wire.Control] = zmq4.NewDealer(bg, common...)
	c.socks[wire.IOPub] = zmq4.NewSub(bg, common...)
	c.socks[wire.HB] = zmq4.NewReq(bg, common...)
	for ch := range c.socks {
		c.sendMu[ch] = &sync.Mutex{}
	}
	// Subscribing before dialing makes the subscription part of the
	// connection handshake.
	if err := c.socks[wire.IOPub].SetOption(zmq4.OptionSubscribe, ""); err != nil {
		return fmt.Errorf("subscribing to iopub: %w", err)
	}
	for _, ch := range wire.Channels() {
		if err := dialSocket(ctx, c.socks[ch], c.info.Addr(ch)); err != nil {
			return fmt.Errorf("connecting to kernel %s channel: %w", ch, err)
		}
	}
	return nil
}

// dialSocket dials with unlimited retries until ctx ends: a freshly
// started kernel may not be listening yet.
func dialSocket(ctx context.Context, s zmq4.Socket, addr string) error {
	done := make(chan error, 1)
	go func() { done <- s.Dial(addr) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		s.Close() // stops the retry loop
		<-done
		return ctx.Err()
	}
}

// readLoop decodes messages from one socket and routes them to the
// mailbox of the request they answer. Messages that fail to decode or
// verify are counted and dropped.
func (c *Client) readLoop(ch wire.Channel) {
	defer c.wg.Done()
	sock := c.socks[ch]
	for {
		zm, err := sock.Recv()
		select {
		case <-c.closed:
			return
		default:
		}
		if err != nil {
			// A lost connection shows up once per connection; death is
			// detected by the heartbeat or the process watcher.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		m, err := wire.Decode(zm.Frames, c.signer)
		if err != nil {
			c.dropped.Add(1)
			c.cfg.Logger.Printf("dropping %s message: %v", ch, err)
			continue
		}
		c.mu.Lock()
		box := c.routes[m.ParentID()]
		c.mu.Unlock()
		if box != nil {
			box.push(event{ch: ch, msg: m})
		}
	}
}

// Dropped returns how many received messages were dropped because they
// were malformed or badly signed.
func (c *Client) Dropped() int64 { return c.dropped.Load() }

func (c *Client) register(id string) *mailbox {
	b := newMailbox()
	c.mu.Lock()
	c.routes[id] = b
	c.mu.Unlock()
	return b
}

func (c *Client) unregister(id string) {
	c.mu.Lock()
	delete(c.routes, id)
	c.mu.Unlock()
}

func (c *Client) send(ch wire.Channel, m *wire.Message) error {
	frames, err := wire.Encode(m, c.signer)
	if err != nil {
		return err
	}
	mu := c.sendMu[ch]
	mu.Lock()
	defer mu.Unlock()
	if err := c.socks[ch].SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("sending %s on %s: %w", m.Header.MsgType, ch, err)
	}
	return nil
}

func (c *Client) newMessage(msgType string, parent *wire.Header, content any) (*wire.Message, error) {
	return c.cfg.Builder.NewMessage(msgType, c.cfg.Session, parent, content)
}

// usable reports why the client cannot take requests, or nil.
func (c *Client) usable() error {
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	select {
	case <-c.dead:
		return c.deadError()
	default:
	}
	return nil
}

func (c *Client) markDead(err error) {
	c.deadOnce.Do(func() {
		c.deadErr = err
		close(c.dead)
	})
}

func (c *Client) deadError() error {
	return fmt.Errorf("%w: %v", ErrKernelDead, c.deadErr)
}

// Dead returns a channel closed when the kernel is found dead.
func (c *Client) Dead() <-chan struct{} { return c.dead }

// isControl reports whether Jupyter sends msgType on the control channel.
func isControl(msgType string) bool {
	switch msgType {
	case "shutdown_request", "interrupt_request", "debug_request":
		return true
	}
	return false
}

// Request sends a request of msgType with content (nil means {}) and
// returns the kernel's reply. shutdown_request, interrupt_request and
// debug_request go on the control channel, everything else on shell.
//
// It returns an error wrapping context.DeadlineExceeded when no reply
// arrives in time; if ctx has no deadline, Config.RequestTimeout applies.
// It never waits for iopub messages.
func (c *Client) Request(ctx context.Context, msgType string, content any) (*wire.Message, error) {
	ch := wire.Shell
	if isControl(msgType) {
		ch = wire.Control
	}
	return c.RequestOn(ctx, ch, msgType, content)
}

// RequestOn is Request on a channel of the caller's choice (shell or
// control), for requests a protocol version allows on either.
func (c *Client) RequestOn(ctx context.Context, ch wire.Channel, msgType string, content any) (*wire.Message, error) {
	if err := c.usable(); err != nil {
		return nil, fmt.Errorf("%s: %w", msgType, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}
	m, err := c.newMessage(msgType, nil, content)
	if err != nil {
		return nil, err
	}
	box := c.register(m.Header.MsgID)
	defer c.unregister(m.Header.MsgID)
	if err := c.send(ch, m); err != nil {
		return nil, err
	}
	for {
		select {
		case <-box.notify:
			for _, e := range box.take() {
				if e.ch == ch {
					return e.msg, nil
				}
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: no reply from kernel: %w", msgType, ctx.Err())
		case <-c.dead:
			return nil, fmt.Errorf("%s: %w", msgType, c.deadError())
		case <-c.closed:
			return nil, fmt.Errorf("%s: %w", msgType, ErrClosed)
		}
	}
}

// Send sends a message that gets no reply (comm_open, comm_msg, ...) on
// channel ch.
func (c *Client) Send(ch wire.Channel, msgType string, content any) error {
	if err := c.usable(); err != nil {
		return fmt.Errorf("%s: %w", msgType, err)
	}
	m, err := c.newMessage(msgType, nil, content)
	if err != nil {
		return err
	}
	return c.send(ch, m)
}

// KernelInfo returns the content of the kernel's kernel_info_reply.
func (c *Client) KernelInfo(ctx context.Context) (json.RawMessage, error) {
	m, err := c.Request(ctx, "kernel_info_request", nil)
	if err != nil {
		return nil, err
	}
	return m.Content, nil
}

// waitReady repeats kernel_info_request until one is answered on shell
// and its busy/idle status also arrives on iopub. The second condition
// matters: a SUB socket misses everything published before its
// subscription reaches the kernel, so an execution started earlier could
// lose its outputs.
func (c *Client) waitReady(ctx context.Context) error {
	wait := 250 * time.Millisecond
	for {
		m, err := c.newMessage("kernel_info_request", nil, nil)
		if err != nil {
			return err
		}
		box := c.register(m.Header.MsgID)
		if err := c.send(wire.Shell, m); err != nil {
			c.unregister(m.Header.MsgID)
			return fmt.Errorf("waiting for kernel: %w", err)
		}
		gotReply, gotIOPub := false, false
		timer := time.NewTimer(wait)
	try:
		for {
			select {
			case <-box.notify:
				for _, e := range box.take() {
					switch e.ch {
					case wire.Shell:
						gotReply = true
					case wire.IOPub:
						gotIOPub = true
					}
				}
				if gotReply && gotIOPub {
					timer.Stop()
					c.unregister(m.Header.MsgID)
					return nil
				}
			case <-timer.C:
				break try
			case <-ctx.Done():
				timer.Stop()
				c.unregister(m.Header.MsgID)
				return fmt.Errorf("waiting for kernel to be ready: %w", ctx.Err())
			case <-c.dead:
				timer.Stop()
				c.unregister(m.Header.MsgID)
				return fmt.Errorf("waiting for kernel to be ready: %w", c.deadError())
			}
		}
		c.unregister(m.Header.MsgID)
		if wait < 2*time.Second {
			wait *= 2
		}
	}
}

// ping sends one heartbeat and waits for the echo.
func (c *Client) ping(ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		mu := c.sendMu[wire.HB]
		mu.Lock()
		defer mu.Unlock()
		sock := c.socks[wire.HB]
		if err := sock.Send(zmq4.NewMsgString("ping")); err != nil {
			done <- err
			return
		}
		_, err := sock.Recv()
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return ErrClosed
	}
}

func (c *Client) heartbeatLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-c.dead:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.HeartbeatTimeout)
		err := c.ping(ctx)
		cancel()
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			c.markDead(fmt.Errorf("heartbeat failed: %v", err))
			return
		}
	}
}

// Interrupt asks the kernel to interrupt the running cell: with an
// interrupt_request on the control channel in "message" mode, or with
// SIGINT to the kernel's process group in "signal" mode.
func (c *Client) Interrupt(ctx context.Context) error {
	if c.interruptMode() == "signal" {
		if c.proc == nil {
			return errors.New("interrupting kernel: signal mode needs a kernel started by this client")
		}
		return c.proc.signal(sigInterrupt)
	}
	_, err := c.Request(ctx, "interrupt_request", nil)
	if err != nil {
		return fmt.Errorf("interrupting kernel: %w", err)
	}
	return nil
}

func (c *Client) interruptMode() string {
	if c.proc != nil {
		return c.proc.interruptMode
	}
	return c.cfg.InterruptMode
}

// Info returns the connection info the client uses.
func (c *Client) Info() wire.ConnectionInfo { return c.info }

// Close closes the sockets. For a kernel started by this client it also
// kills the kernel's process group and removes the connection file; use
// Shutdown first for a clean stop.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		for _, s := range c.socks {
			s.Close()
		}
		if c.proc != nil {
			err = c.proc.kill(context.Background())
		}
		c.wg.Wait()
	})
	return err
}
