package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The browser test drives headless Chromium through chromedriver's W3C WebDriver HTTP API.
// Debian packages: chromium and chromium-driver.
const (
	chromiumBin     = "/usr/bin/chromium"
	chromedriverBin = "/usr/bin/chromedriver"
)

// webdriver is a minimal W3C WebDriver client.
type webdriver struct {
	t       *testing.T
	base    string
	session string
}

func (wd *webdriver) call(method, path string, body any) (json.RawMessage, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	url := wd.base + path
	if wd.session != "" {
		url = wd.base + "/session/" + wd.session + path
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("webdriver %s %s: %s", method, path, data)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("webdriver %s %s: %s: %s", method, path, res.Status, out.Value)
	}
	return out.Value, nil
}

// text returns the visible text of the notes element.
func (wd *webdriver) text() (string, error) {
	v, err := wd.call("POST", "/execute/sync", map[string]any{
		"script": "var n = document.getElementById('notes'); return n ? n.innerText : '';",
		"args":   []any{},
	})
	if err != nil {
		return "", err
	}
	var s string
	err = json.Unmarshal(v, &s)
	return s, err
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestBrowser(t *testing.T) {
	for _, p := range []string{chromiumBin, chromedriverBin} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("skipping the browser test: %s is missing (apt-get install chromium chromium-driver)", p)
		}
	}
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	dir := t.TempDir()
	nbPath := filepath.Join(dir, "churn.ipynb")
	demo, err := os.ReadFile(demoPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nbPath, demo, 0o644); err != nil {
		t.Fatal(err)
	}

	// The notes server, watching the copy.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewServer(nbPath, WatchOptions{Interval: 50 * time.Millisecond, Debounce: 50 * time.Millisecond})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.Run(ctx)
	}()
	defer func() { cancel(); <-watched }()
	ts := httptest.NewServer(s)
	defer ts.Close()
	defer s.Close()

	// chromedriver on a free loopback port.
	port := freePort(t)
	drv := exec.Command(chromedriverBin, fmt.Sprintf("--port=%d", port), "--allowed-ips=127.0.0.1")
	var drvLog bytes.Buffer
	drv.Stdout, drv.Stderr = &drvLog, &drvLog
	if err := drv.Start(); err != nil {
		t.Fatalf("starting chromedriver: %v", err)
	}
	defer func() {
		drv.Process.Kill()
		drv.Wait()
		if t.Failed() {
			t.Logf("chromedriver log:\n%s", drvLog.String())
		}
	}()
	wd := &webdriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(wait)
	for {
		if _, err := wd.call("GET", "/status", nil); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("chromedriver did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}

	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromiumBin,
			"args": []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
				"--disable-dev-shm-usage", "--user-data-dir=" + filepath.Join(dir, "profile")},
		},
	}}}
	v, err := wd.call("POST", "/session", caps)
	if err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(v, &sess); err != nil || sess.SessionID == "" {
		t.Fatalf("no session: %s", v)
	}
	wd.session = sess.SessionID
	defer wd.call("DELETE", "", nil)

	if _, err := wd.call("POST", "/url", map[string]any{"url": ts.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	waitText := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(wait)
		for {
			text, err := wd.text()
			if err == nil && strings.Contains(text, want) {
				return text
			}
			if time.Now().After(deadline) {
				t.Fatalf("the page never showed %q (last error %v); it shows:\n%.2000s", want, err, text)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	text := waitText("Reading notes: churn.ipynb")
	for _, want := range []string{"Smells", "prepareTrain", "Extraction plan", "hard-coded path"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if strings.Contains(text, "prepareHoldout") {
		t.Fatal("the page shows the change before it is made")
	}

	// Edit the notebook the way an editor saves it: write a new file and rename it over.
	changed := bytes.Replace(demo, []byte("func prepareTest("), []byte("func prepareHoldout("), 1)
	tmp := nbPath + ".tmp"
	if err := os.WriteFile(tmp, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, nbPath); err != nil {
		t.Fatal(err)
	}
	waitText("prepareHoldout")
	if v, _ := wd.call("POST", "/execute/sync", map[string]any{"script": "return document.getElementById('status').textContent;", "args": []any{}}); !strings.Contains(string(v), "updated") {
		t.Errorf("status line %s, want it to say the notes were updated", v)
	}
}
