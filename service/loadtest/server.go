package loadtest

import (
	"bytes"
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
	"strings"
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
	Stderr  io.Writer     // receives the build's and the training's output; nil discards it
	Timeout time.Duration // for the build, the training and readiness each; 0 means 2 minutes
	// ServerLog receives the running server's output: its access log, a line per request.
	// nil keeps it in a temporary file, whose last lines an error quotes if the server
	// fails to start.
	ServerLog io.Writer
	// ModelURL is the trained artifact a server that takes -model-url starts from. ""
	// means: run the batch command's train into a temporary file:// URL first.
	ModelURL string
}

// Start builds repo's cmd/server, runs it on a free 127.0.0.1 port from the package directory
// the manifest names (where the notebook's data files ship), and waits until it is ready:
// /readyz answers 200 when the API document has it, else /healthz.
//
// A server that loads a trained artifact (it has a -model-url flag) gets o.ModelURL, or else
// one that the repository's batch command (cmd/PACKAGE) trains into a temporary directory.
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
	pkg := manifestPackage(repo)
	if pkg != "" {
		if fi, err := os.Stat(filepath.Join(repo, pkg)); err == nil && fi.IsDir() {
			runDir = filepath.Join(repo, pkg)
		}
	}
	batch := "" // the batch command's package, when the repository has one
	if pkg != "" {
		if fi, err := os.Stat(filepath.Join(repo, "cmd", pkg, "main.go")); err == nil && fi.Mode().IsRegular() {
			batch = "./cmd/" + pkg
		}
	}
	tmp, err := os.MkdirTemp("", "decant-load-")
	if err != nil {
		return nil, fmt.Errorf("making a build directory: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	bin := filepath.Join(tmp, "server")
	bctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	build := exec.CommandContext(bctx, o.Go, "build", "-o", bin, "./cmd/server")
	build.Dir = repo
	build.Stdout, build.Stderr = o.Stderr, o.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("building %s/cmd/server: %w", repo, err)
	}
	args := []string{"-addr", ""}
	if takesFlag(bctx, bin, "model-url") {
		url := o.ModelURL
		if url == "" {
			if batch == "" {
				return nil, fmt.Errorf("the server in %s loads a trained artifact, and there is no batch command (cmd/%s) to train one: give the artifact's URL", repo, pkg)
			}
			tctx, cancel := context.WithTimeout(ctx, o.Timeout)
			defer cancel()
			if url, err = train(tctx, o, repo, runDir, batch, tmp); err != nil {
				return nil, err
			}
		}
		args = append(args, "-model-url", url)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args[1] = addr
	log, logFile := o.ServerLog, ""
	if log == nil {
		logFile = filepath.Join(tmp, "server.log")
		f, err := os.Create(logFile)
		if err != nil {
			return nil, fmt.Errorf("making the server's log: %w", err)
		}
		defer f.Close() // the child holds its own descriptor
		log = f
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = runDir
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	ok = true
	s := &Server{URL: "http://" + addr, Spec: spec, cmd: cmd, done: make(chan error, 1), tmp: tmp}
	go func() { s.done <- cmd.Wait() }()
	probe := "/healthz"
	if specHasPath(spec, "/readyz") {
		probe = "/readyz"
	}
	rctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := s.waitReady(rctx, probe); err != nil {
		tail := ""
		if logFile != "" {
			tail = logTail(logFile, 20)
		}
		s.Stop()
		if tail != "" {
			return nil, fmt.Errorf("%w; the server's last output:\n%s", err, tail)
		}
		return nil, err
	}
	return s, nil
}

// takesFlag reports whether the program at bin lists -name in its -h usage.
func takesFlag(ctx context.Context, bin, name string) bool {
	out, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput() // -h exits 0 or 2
	return bytes.Contains(out, []byte("-"+name+" ")) || bytes.Contains(out, []byte("-"+name+"\n"))
}

// train runs the batch command's train from runDir, as the repository's Makefile does, into a
// file:// URL under tmp, and returns the URL.
func train(ctx context.Context, o ServerOptions, repo, runDir, batch, tmp string) (string, error) {
	bin := filepath.Join(tmp, "batch")
	build := exec.CommandContext(ctx, o.Go, "build", "-o", bin, batch)
	build.Dir = repo
	build.Stdout, build.Stderr = o.Stderr, o.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building %s/%s: %w", repo, strings.TrimPrefix(batch, "./"), err)
	}
	url := "file://" + filepath.ToSlash(filepath.Join(tmp, "model"))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "train", "-model-url", url)
	cmd.Dir = runDir
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("training the model (%s train -model-url %s): %w\n%s", strings.TrimPrefix(batch, "./"), url, err, bytes.TrimSpace(out.Bytes()))
	}
	o.Stderr.Write(out.Bytes())
	return url, nil
}

// specHasPath reports whether an OpenAPI document declares path.
func specHasPath(spec []byte, path string) bool {
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if json.Unmarshal(spec, &doc) != nil {
		return false
	}
	_, ok := doc.Paths[path]
	return ok
}

// logTail returns the last n lines of the file at path, or "".
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
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

// waitReady polls probe until it answers 200, the server exits, or ctx ends.
func (s *Server) waitReady(ctx context.Context, probe string) error {
	client := &http.Client{Timeout: time.Second}
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+probe, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err // Stop waits on it too
			return fmt.Errorf("the server exited before %s answered 200: %v", probe, err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for the server's %s: %w", probe, ctx.Err())
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
