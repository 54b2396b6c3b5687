package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Server is a repository's cmd/server, built and running on a loopback port.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	Spec []byte // the repository's openapi.json

	cmd  *exec.Cmd
	done chan error
	tmp  string
}

// ServerOptions configures [Start]. The zero value works.
type ServerOptions struct {
	Go      string        // the go command; "" means "go"
	Stderr  io.Writer     // receives the build's and the server's output; nil discards it
	Timeout time.Duration // for the build and for /healthz to answer; 0 means 2 minutes
}

// Start builds repo's cmd/server, runs it on a free 127.0.0.1 port from the package directory
// the manifest names (where the notebook's data files ship), and waits until /healthz answers.
// The caller must call Stop.
func Start(ctx context.Context, repo string, o ServerOptions) (*Server, error) {
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	spec, err := os.ReadFile(filepath.Join(repo, "openapi.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the service's API: %w", err)
	}
	runDir := repo
	if pkg := manifestPackage(repo); pkg != "" {
		if fi, err := os.Stat(filepath.Join(repo, pkg)); err == nil && fi.IsDir() {
			runDir = filepath.Join(repo, pkg)
		}
	}
	tmp, err := os.MkdirTemp("", "decant-load-")
	if err != nil {
		return nil, fmt.Errorf("making a build directory: %w", err)
	}
	bin := filepath.Join(tmp, "server")
	bctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	build := exec.CommandContext(bctx, o.Go, "build", "-o", bin, "./cmd/server")
	build.Dir = repo
	build.Stdout, build.Stderr = o.Stderr, o.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("building %s/cmd/server: %w", repo, err)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Dir = runDir
	cmd.Stdout, cmd.Stderr = o.Stderr, o.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	s := &Server{URL: "http://" + addr, Spec: spec, cmd: cmd, done: make(chan error, 1), tmp: tmp}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitHealthy(bctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// manifestPackage returns the package directory named in .decant/manifest.json, or "".
func manifestPackage(repo string) string {
	raw, err := os.ReadFile(filepath.Join(repo, ".decant", "manifest.json"))
	if err != nil {
		return ""
	}
	var m struct {
		Package string `json:"package"`
	}
	if json.Unmarshal(raw, &m) != nil || !filepath.IsLocal(m.Package) {
		return ""
	}
	return m.Package
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port nothing listens on right now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// waitHealthy polls /healthz until it answers 200, the server exits, or ctx ends.
func (s *Server) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/healthz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err // Stop waits on it too
			return fmt.Errorf("the server exited before answering /healthz: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for the server's /healthz: %w", ctx.Err())
		case <-time.After(delay):
		}
	}
}

// Stop asks the server to shut down with SIGTERM, kills it if it has not exited within ten
// seconds, and removes its binary.
func (s *Server) Stop() error {
	defer os.RemoveAll(s.tmp)
	if s.cmd.Process == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return fmt.Errorf("stopping the server: %w", err)
		}
		return nil
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		return errors.New("stopping the server: it did not exit within 10s of SIGTERM; killed it")
	}
}
