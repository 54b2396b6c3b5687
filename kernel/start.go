package kernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/decant-go/decant/kernel/wire"
)

// StartOptions configures Start. The zero value starts the kernel in the
// current directory with the current environment and discards its logs.
type StartOptions struct {
	// Dir is the kernel's working directory. GoNB resolves relative paths
	// (and %cd) from here, so a runner sets it to the notebook's folder.
	Dir string
	// Env holds extra "KEY=value" entries, applied after os.Environ() and
	// the kernelspec's env.
	Env []string
	// Stderr receives the kernel process's stdout and stderr (its logs);
	// nil discards them.
	Stderr io.Writer
	// ConnectionDir is where the connection file is written. By default a
	// new temporary directory, decant-kernel-<pid>-*, is made and removed
	// again at shutdown; the kernel's TMPDIR points into it, so the
	// folders a kernel makes there (GoNB's gonb_*) go with it. If this
	// process dies without shutting the kernel down (kill -9), the next
	// Start in any process removes the directory.
	ConnectionDir string
	// IP is the address the kernel listens on (default 127.0.0.1).
	IP string
	// Config tunes the client.
	Config Config
}

// process is a kernel process started by Start.
type process struct {
	cmd           *exec.Cmd
	pgid          int
	interruptMode string
	exited        chan struct{} // closed after cmd.Wait returns
	waitErr       error         // set before exited is closed

	connFile string
	tmpDir   string // removed on kill when Start created it

	killOnce sync.Once
	killErr  error
}

// Start launches the kernel described by spec, connects to it and waits
// until it is ready. ctx bounds only the startup; the kernel runs until
// Shutdown or Close.
//
// Start writes a fresh connection file (mode 0600, free ports on
// 127.0.0.1, a random key), substitutes {connection_file} in the argv, and
// runs the kernel in its own process group so that Shutdown can stop the
// helpers it spawns (GoNB leaves gopls running).
func Start(ctx context.Context, spec *Spec, opts StartOptions) (*Client, error) {
	if spec == nil || len(spec.Argv) == 0 {
		return nil, errors.New("starting kernel: empty kernelspec")
	}
	ip := opts.IP
	if ip == "" {
		ip = "127.0.0.1"
	}
	// The ports are free when chosen, but another process may bind one before the kernel does;
	// a kernel that dies saying so is started again on other ports, as Jupyter's clients do.
	for attempt := 1; ; attempt++ {
		c, portTaken, err := start(ctx, spec, opts, ip)
		if err == nil || !portTaken || attempt == startAttempts || ctx.Err() != nil {
			return c, err
		}
	}
}

// startAttempts bounds how often Start tries new ports after the kernel found one taken.
const startAttempts = 3

// start is one attempt of Start. portTaken reports that the kernel exited because a port it
// was given had been taken in the meantime.
func start(ctx context.Context, spec *Spec, opts StartOptions, ip string) (c *Client, portTaken bool, err error) {
	ports, err := freePorts(ip, 5)
	if err != nil {
		return nil, false, fmt.Errorf("starting kernel %s: %w", spec.Name, err)
	}
	info := wire.ConnectionInfo{
		Transport: "tcp", IP: ip,
		ShellPort: ports[0], IOPubPort: ports[1], StdinPort: ports[2], ControlPort: ports[3], HBPort: ports[4],
		Key: wire.NewID(), SignatureScheme: wire.SchemeHMACSHA256, KernelName: spec.Name,
	}
	p := &process{interruptMode: spec.InterruptMode, exited: make(chan struct{})}
	dir := opts.ConnectionDir
	if dir == "" {
		sweepOnce.Do(func() { SweepStale(os.TempDir()) })
		if dir, err = os.MkdirTemp("", fmt.Sprintf("%s%d-", tempPrefix, os.Getpid())); err != nil {
			return nil, false, fmt.Errorf("starting kernel %s: %w", spec.Name, err)
		}
		p.tmpDir = dir
		tmp := filepath.Join(dir, "tmp")
		if err := os.Mkdir(tmp, 0o700); err != nil {
			p.cleanFiles()
			return nil, false, fmt.Errorf("starting kernel %s: %w", spec.Name, err)
		}
		opts.Env = append(append([]string(nil), opts.Env...), "TMPDIR="+tmp)
	}
	// Jupyter's "kernel-<uuid>.json" name lets kernels (GoNB does) derive
	// their kernel id from the path.
	p.connFile = filepath.Join(dir, "kernel-"+wire.NewID()+".json")
	if err := wire.WriteConnectionFile(p.connFile, info); err != nil {
		p.cleanFiles()
		return nil, false, fmt.Errorf("starting kernel %s: %w", spec.Name, err)
	}

	argv := spec.command(p.connFile)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = opts.Dir
	cmd.Env = spec.environ(os.Environ(), opts.Env)
	tail := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = tail, tail
	if opts.Stderr != nil {
		w := io.MultiWriter(opts.Stderr, tail)
		cmd.Stdout, cmd.Stderr = w, w
	}
	setProcessGroup(cmd)
	// Children that inherit the log pipe (gopls) must not keep Wait from
	// noticing that the kernel itself exited.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		p.cleanFiles()
		return nil, false, fmt.Errorf("starting kernel %s: %w", spec.Name, err)
	}
	p.cmd, p.pgid = cmd, cmd.Process.Pid
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()

	c, err = opts.Config.connect(ctx, info, p)
	if err != nil {
		p.kill(context.Background())
		return nil, tail.contains("address already in use"), fmt.Errorf("starting kernel %s: %w", spec.Name, err)
	}
	return c, false, nil
}

// tailBuffer keeps the last max bytes written to it: what a kernel printed before it died.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) contains(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Contains(t.buf, []byte(s))
}

// tempPrefix starts the name of the temporary directory Start makes for a
// kernel; the starting process's id follows.
const tempPrefix = "decant-kernel-"

var sweepOnce sync.Once

// SweepStale removes the kernel directories in dir (decant-kernel-<pid>-*)
// whose starting process is gone: left behind when that process was
// killed before it could shut its kernel down. Start calls it once per
// process. It returns the directories it removed.
func SweepStale(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), tempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if os.RemoveAll(path) == nil {
			removed = append(removed, path)
		}
	}
	return removed
}

// freePorts returns n distinct ports that were free on ip a moment ago.
// Holding all listeners until the end keeps the ports distinct; another
// process may still grab one before the kernel binds it, as with Jupyter.
func freePorts(ip string, n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		_, port, _ := net.SplitHostPort(l.Addr().String())
		p, _ := strconv.Atoi(port)
		ports = append(ports, p)
	}
	return ports, nil
}

func (p *process) cleanFiles() {
	if p.connFile != "" {
		os.Remove(p.connFile)
	}
	if p.tmpDir != "" {
		os.RemoveAll(p.tmpDir)
	}
}

// kill stops the whole process group: SIGTERM, then SIGKILL for whatever
// is left after a short wait. It then removes the connection file.
func (p *process) kill(ctx context.Context) error {
	p.killOnce.Do(func() {
		defer p.cleanFiles()
		if p.cmd == nil {
			return
		}
		p.signal(sigTerminate)
		if p.waitGroupGone(ctx, 2*time.Second) {
			return
		}
		p.signal(sigKill)
		if !p.waitGroupGone(context.Background(), 2*time.Second) {
			p.killErr = fmt.Errorf("killing kernel process group %d: processes remain", p.pgid)
		}
	})
	return p.killErr
}

// waitGroupGone waits until the kernel process has been reaped and no
// live process is left in its group.
func (p *process) waitGroupGone(ctx context.Context, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.exited:
			if !groupAlive(p.pgid) {
				return true
			}
		default:
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// Kill stops a kernel started by Start at once: SIGKILL to its whole
// process group, a wait until it is gone, then the sockets are closed and
// its temporary directory removed. For a kernel whose state needs no
// goodbye (GoNB's is in memory and in its temporary folder) it is the
// fast way out; Shutdown is the polite one.
func (c *Client) Kill() error {
	var errs []error
	if c.proc != nil {
		c.markDead(errors.New("kernel was shut down"))
		c.proc.killOnce.Do(func() {
			defer c.proc.cleanFiles()
			c.proc.signal(sigKill)
			if !c.proc.waitGroupGone(context.Background(), 2*time.Second) {
				c.proc.killErr = fmt.Errorf("killing kernel process group %d: processes remain", c.proc.pgid)
			}
		})
		if c.proc.killErr != nil {
			errs = append(errs, c.proc.killErr)
		}
	}
	if err := c.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Err returns why the kernel is dead (its process exited, its heartbeat
// failed, it was shut down), or nil while it is alive.
func (c *Client) Err() error {
	select {
	case <-c.dead:
		return c.deadErr
	default:
		return nil
	}
}

// PID returns the process id of a kernel started by Start (it is also
// the process group id), or 0 for a dialed kernel.
func (c *Client) PID() int {
	if c.proc == nil {
		return 0
	}
	return c.proc.pgid
}

// Shutdown stops the kernel: a shutdown_request on the control channel,
// a wait for the process to exit, then SIGTERM and SIGKILL for anything
// left in its process group; finally the sockets are closed and the
// connection file removed. ctx bounds the polite part; the kill always
// runs. For a dialed kernel only the request is sent.
func (c *Client) Shutdown(ctx context.Context) error {
	var errs []error
	if c.usable() == nil {
		rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		_, err := c.Request(rctx, "shutdown_request", map[string]bool{"restart": false})
		cancel()
		if err != nil && !errors.Is(err, ErrKernelDead) {
			errs = append(errs, fmt.Errorf("shutting down kernel: %w", err))
		}
	}
	if c.proc != nil {
		select {
		case <-c.proc.exited:
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
		// Mark the exit as expected so that it is not reported as a death
		// to executions racing with the shutdown.
		c.markDead(errors.New("kernel was shut down"))
		if err := c.proc.kill(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
