package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func runDocCmd(t *testing.T, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Now: func() time.Time { return time.Unix(0, 0) }}
	for _, c := range docCommands() {
		if c.name == name {
			return runCommand(context.Background(), c.run, args, env, "decant "+name), out.String(), errb.String()
		}
	}
	t.Fatalf("no command %s", name)
	return
}

func demoCopy(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../../testdata/demo/churn.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "churn.ipynb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDoc(t *testing.T) {
	nb := demoCopy(t)
	orig, _ := os.ReadFile(nb)

	code, out, _ := runDocCmd(t, "doc", nb)
	if code != 0 || !strings.HasPrefix(out, "# Reading notes: churn.ipynb") {
		t.Fatalf("doc: exit %d, output %.200s", code, out)
	}
	code, out, _ = runDocCmd(t, "doc", "--json", nb)
	var js struct{ Cells []any }
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || len(js.Cells) != 18 {
		t.Errorf("doc --json: exit %d, %d cells", code, len(js.Cells))
	}
	md := filepath.Join(filepath.Dir(nb), "notes.md")
	if code, _, _ = runDocCmd(t, "doc", "-o", md, nb); code != 0 {
		t.Errorf("doc -o: exit %d", code)
	} else if b, _ := os.ReadFile(md); !bytes.HasPrefix(b, []byte("# Reading notes")) {
		t.Errorf("doc -o wrote %.100q", b)
	}

	code, _, errOut := runDocCmd(t, "doc", "--check", nb)
	if code != ExitProblem || !strings.Contains(errOut, "cell 2: code before the first label") {
		t.Errorf("doc --check: exit %d, stderr %s", code, errOut)
	}

	code, out, _ = runDocCmd(t, "doc", "--write", "--dry-run", nb)
	if code != 0 || !strings.Contains(out, "+// TODO: select only the columns used instead of SELECT *") {
		t.Errorf("doc --write --dry-run: exit %d, diff:\n%s", code, out)
	}
	if now, _ := os.ReadFile(nb); !bytes.Equal(now, orig) {
		t.Fatal("--dry-run changed the notebook")
	}

	if code, _, errOut = runDocCmd(t, "doc", "--write", nb); code != 0 || !strings.Contains(errOut, "annotated churn.ipynb") {
		t.Fatalf("doc --write: exit %d, %s", code, errOut)
	}
	written, _ := os.ReadFile(nb)
	if bytes.Equal(written, orig) || !bytes.Contains(written, []byte("// TODO: move \\\"churn.db\\\" to config")) {
		t.Errorf("doc --write did not write the notes")
	}
	if code, _, errOut = runDocCmd(t, "doc", "--write", nb); code != 0 || !strings.Contains(errOut, "nothing to write") {
		t.Errorf("second doc --write: exit %d, %s", code, errOut)
	}
	if again, _ := os.ReadFile(nb); !bytes.Equal(again, written) {
		t.Errorf("second doc --write changed the file")
	}

	if code, _, _ = runDocCmd(t, "doc", "--dry-run", nb); code != ExitUsage {
		t.Errorf("--dry-run without --write: exit %d, want usage", code)
	}
	if code, _, _ = runDocCmd(t, "serve", "--addr", "0.0.0.0:0", nb); code != ExitUsage {
		t.Errorf("serve on all interfaces: exit %d, want usage", code)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServe(t *testing.T) {
	nb := demoCopy(t)
	var out, errb syncBuffer
	env := Env{Stdout: &out, Stderr: &errb}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, []string{nb}, env) }()
	var url string
	deadline := time.Now().Add(time.Minute)
	for url == "" {
		if i := strings.Index(out.String(), "http://"); i >= 0 {
			url, _, _ = strings.Cut(out.String()[i:], " ")
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no URL: %q %q", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("serve listens on %s, want 127.0.0.1", url)
	}
	// DNS rebinding: a request naming another host, or from another origin, is refused.
	for _, h := range [][2]string{{"Host", "evil.example:" + url[len("http://127.0.0.1:"):len(url)-1]}, {"Origin", "http://evil.example"}} {
		req, _ := http.NewRequest("GET", url+"notes.md", nil)
		if h[0] == "Host" {
			req.Host = h[1]
		} else {
			req.Header.Set(h[0], h[1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s: status %d, want 403", h[0], h[1], res.StatusCode)
		}
	}
	// An open event stream must not keep the server from stopping.
	res, err := http.Get(url + "events")
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(res.Body).ReadString('\n')
	if !strings.HasPrefix(line, "retry:") {
		t.Errorf("event stream starts with %q", line)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
}

func TestWatchCommand(t *testing.T) {
	nb := demoCopy(t)
	md := filepath.Join(filepath.Dir(nb), "notes.md")
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runWatch(ctx, []string{"--interval", "10ms", "--debounce", "10ms", "-o", md, nb}, Env{Stdout: io.Discard, Stderr: &errb})
	}()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(errb.String(), "notes updated") {
		if time.Now().After(deadline) {
			t.Fatalf("watch wrote no notes: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	data, _ := os.ReadFile(nb)
	os.WriteFile(nb, bytes.Replace(data, []byte("func prepareTest("), []byte("func prepareHoldout("), 1), 0o644)
	for {
		b, _ := os.ReadFile(md)
		if bytes.Contains(b, []byte("prepareHoldout")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch did not redo the notes: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch: %v", err)
	}
}
