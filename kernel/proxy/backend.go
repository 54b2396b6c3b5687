package proxy

import (
	"context"
	"fmt"
	"io"
	"log"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/decant-go/decant/kernel/wire"
)

// backendConn is the kernel's own set of client sockets to one backend.
// Only the Serve goroutine sends on them; a reader per socket posts what
// arrives as events tagged with the backend's generation, so messages from
// a replaced backend are recognised and ignored.
type backendConn struct {
	b      Backend
	signer wire.Signer
	socks  map[wire.Channel]zmq4.Socket
	logf   func(string, ...any)

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

func dialBackend(ctx context.Context, s *Server, b Backend, gen int) (*backendConn, error) {
	info := b.Info()
	c := &backendConn{b: b, signer: info.Signer(), socks: map[wire.Channel]zmq4.Socket{}, logf: s.opts.Logf, closed: make(chan struct{})}
	// GoNB sends input_request to the identity of the shell request, so
	// the shell and stdin sockets share one identity.
	id := zmq4.SocketIdentity("decant-" + wire.NewID())
	opts := []zmq4.Option{
		zmq4.WithLogger(log.New(io.Discard, "", 0)),
		zmq4.WithTimeout(s.opts.SendTimeout),
		zmq4.WithDialerRetry(50 * time.Millisecond),
		zmq4.WithDialerMaxRetries(100),
	}
	bg := context.Background()
	c.socks[wire.Shell] = zmq4.NewDealer(bg, append(opts, zmq4.WithID(id))...)
	c.socks[wire.Stdin] = zmq4.NewDealer(bg, append(opts, zmq4.WithID(id))...)
	c.socks[wire.Control] = zmq4.NewDealer(bg, opts...)
	c.socks[wire.IOPub] = zmq4.NewSub(bg, opts...)
	// Subscribing before dialing makes the subscription part of the
	// handshake, so nothing published after Dial returns is missed.
	if err := c.socks[wire.IOPub].SetOption(zmq4.OptionSubscribe, ""); err != nil {
		c.close()
		return nil, fmt.Errorf("subscribing to iopub: %w", err)
	}
	for ch, sock := range c.socks {
		done := make(chan error, 1)
		go func() { done <- sock.Dial(info.Addr(ch)) }()
		select {
		case err := <-done:
			if err != nil {
				c.close()
				return nil, fmt.Errorf("dialing %s: %w", ch, err)
			}
		case <-ctx.Done():
			c.close()
			return nil, fmt.Errorf("dialing %s: %w", ch, ctx.Err())
		}
	}
	if err := c.waitSubscribed(ctx); err != nil {
		c.close()
		return nil, err
	}
	for ch := range c.socks {
		c.wg.Add(1)
		go c.read(s, ch, gen)
	}
	return c, nil
}

func (c *backendConn) read(s *Server, ch wire.Channel, gen int) {
	defer c.wg.Done()
	for {
		m, err := c.socks[ch].Recv()
		select {
		case <-c.closed:
			return
		default:
		}
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		select {
		case s.events <- event{kind: evBackend, ch: ch, frames: m.Frames, gen: gen}:
		case <-c.closed:
			return
		case <-s.closed:
			return
		}
	}
}

// send forwards m (its identities stripped) to the backend, signed with
// the backend's key.
func (c *backendConn) send(ch wire.Channel, m *wire.Message) {
	out := *m
	out.Identities = nil
	frames, err := wire.Encode(&out, c.signer)
	if err != nil {
		c.logf("decant kernel: encoding %s for GoNB: %v", m.Type(), err)
		return
	}
	if err := c.socks[ch].SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		c.logf("decant kernel: sending %s to GoNB: %v", m.Type(), err)
	}
}

func (c *backendConn) close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		for _, sock := range c.socks {
			sock.Close()
		}
	})
	// Readers may be blocked posting to a loop that is busy right here;
	// they leave on closed, so waiting is safe.
	c.wg.Wait()
}

// waitSubscribed returns once the iopub subscription has reached the
// backend: a publisher drops what it sends before it has seen the
// subscription, and the first cell would lose its outputs. It repeats
// kernel_info_request until a status message for one of them arrives.
func (c *backendConn) waitSubscribed(ctx context.Context) error {
	var mu sync.Mutex
	sent := map[string]bool{}
	seen := make(chan struct{})
	go func() {
		for {
			zm, err := c.socks[wire.IOPub].Recv()
			if err != nil {
				return // closed
			}
			m, err := wire.Decode(zm.Frames, c.signer)
			if err != nil || m.Type() != "status" {
				continue
			}
			mu.Lock()
			ok := sent[m.ParentID()]
			mu.Unlock()
			if ok {
				close(seen)
				return
			}
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		m, err := wire.Builder{}.NewMessage("kernel_info_request", BackendSession, nil, nil)
		if err != nil {
			return err
		}
		mu.Lock()
		sent[m.Header.MsgID] = true
		mu.Unlock()
		c.send(wire.Shell, m)
		select {
		case <-seen:
			return nil
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("waiting for GoNB's iopub: %w", ctx.Err())
		}
	}
}
