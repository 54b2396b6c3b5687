// Package webdriver drives headless Chromium through chromedriver's W3C
// WebDriver HTTP API, for browser tests. It needs Debian's chromium and
// chromium-driver packages; [Available] says whether they are installed.
package webdriver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Where Debian installs the browser and its driver.
const (
	ChromiumBin     = "/usr/bin/chromium"
	ChromedriverBin = "/usr/bin/chromedriver"
)

// Available returns nil when chromium and chromedriver are installed, else
// an error naming the Debian packages to install.
func Available() error {
	for _, p := range []string{ChromiumBin, ChromedriverBin} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s is missing (apt-get install chromium chromium-driver)", p)
		}
	}
	return nil
}

// Session is a browser session: a chromedriver process and the headless
// Chromium it started.
type Session struct {
	base, id string
	driver   *exec.Cmd
	log      bytes.Buffer
}

// Start runs chromedriver on a free loopback port and opens a headless
// Chromium session with a new profile in profileDir. The flags are the
// ones this kind of sandbox needs (no sandbox, no GPU, no background
// networking).
func Start(ctx context.Context, profileDir string) (*Session, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Session{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	s.driver = exec.Command(ChromedriverBin, fmt.Sprintf("--port=%d", port), "--allowed-ips=127.0.0.1")
	s.driver.Stdout, s.driver.Stderr = &s.log, &s.log
	if err := s.driver.Start(); err != nil {
		return nil, fmt.Errorf("starting chromedriver: %w", err)
	}
	for {
		if _, err := s.call(ctx, "GET", "/status", nil); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			s.Close()
			return nil, fmt.Errorf("chromedriver did not start: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": ChromiumBin,
			"args": []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--user-data-dir=" + filepath.Clean(profileDir)},
		},
	}}}
	v, err := s.call(ctx, "POST", "/session", caps)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("starting Chromium: %w", err)
	}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(v, &sess); err != nil || sess.SessionID == "" {
		s.Close()
		return nil, fmt.Errorf("starting Chromium: no session in %s", v)
	}
	s.id = sess.SessionID
	return s, nil
}

// Log returns what chromedriver wrote, for failure reports.
func (s *Session) Log() string { return s.log.String() }

// Close ends the browser session and chromedriver.
func (s *Session) Close() {
	if s.id != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s.call(ctx, "DELETE", "/session/"+s.id, nil)
		cancel()
		s.id = ""
	}
	if s.driver != nil && s.driver.Process != nil {
		s.driver.Process.Kill()
		s.driver.Wait()
		s.driver = nil
	}
}

// Navigate opens url.
func (s *Session) Navigate(ctx context.Context, url string) error {
	_, err := s.call(ctx, "POST", "/session/"+s.id+"/url", map[string]any{"url": url})
	return err
}

// Screenshot returns a PNG of the page as the browser shows it.
func (s *Session) Screenshot(ctx context.Context) ([]byte, error) {
	v, err := s.call(ctx, "GET", "/session/"+s.id+"/screenshot", nil)
	if err != nil {
		return nil, err
	}
	var b64 string
	if err := json.Unmarshal(v, &b64); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(b64)
}

// Eval runs a JavaScript function body in the page (arguments as
// `arguments[i]`) and decodes what it returns into out (nil to ignore).
func (s *Session) Eval(ctx context.Context, out any, script string, args ...any) error {
	if args == nil {
		args = []any{}
	}
	v, err := s.call(ctx, "POST", "/session/"+s.id+"/execute/sync", map[string]any{"script": script, "args": args})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(v, out)
}

// WaitFor evaluates script until it returns a non-empty string, and
// returns that string; on timeout the error holds what last came back.
func (s *Session) WaitFor(ctx context.Context, timeout time.Duration, script string, args ...any) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	var lastErr error
	for {
		var got *string
		lastErr = s.Eval(ctx, &got, script, args...)
		if lastErr == nil && got != nil && *got != "" {
			return *got, nil
		}
		if got != nil {
			last = *got
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("waiting for the page: %w (last value %q, last error %v)", ctx.Err(), last, lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Session) call(ctx context.Context, method, path string, body any) (json.RawMessage, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("webdriver %s %s: %s", method, path, strings.TrimSpace(string(data)))
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("webdriver %s %s: %s: %s", method, path, res.Status, out.Value)
	}
	return out.Value, nil
}
