package live

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const demoPath = "../../testdata/demo/churn.ipynb"

// wait is the longest a test waits for something that should happen at once; it is a guard
// against hangs, not a timing assertion.
const wait = 60 * time.Second

func TestWatch(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nb.ipynb")
	os.WriteFile(p, []byte("one"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, p, WatchOptions{Interval: 5 * time.Millisecond, Debounce: 10 * time.Millisecond}, func(d []byte, err error) {
			if err != nil {
				got <- "error"
				return
			}
			got <- string(d)
		})
	}()
	next := func() string {
		select {
		case s := <-got:
			return s
		case <-time.After(wait):
			t.Fatal("no change reported")
			return ""
		}
	}
	if s := next(); s != "one" {
		t.Fatalf("first report %q, want the initial content", s)
	}
	// Rewriting the same content is not a change; the next report is the real change.
	os.WriteFile(p, []byte("one"), 0o644)
	os.WriteFile(p+".tmp", []byte("two"), 0o644)
	os.Rename(p+".tmp", p)
	if s := next(); s != "two" {
		t.Fatalf("report %q, want two", s)
	}
	os.Remove(p)
	if s := next(); s != "error" {
		t.Fatalf("report %q for a missing file, want an error", s)
	}
	os.WriteFile(p, []byte("three"), 0o644)
	if s := next(); s != "three" {
		t.Fatalf("report %q, want three", s)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch returned %v, want context.Canceled", err)
	}
}

type event struct{ name, id, data string }

func readEvent(t *testing.T, r *bufio.Reader) (event, error) {
	var e event
	var data []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if e.name != "" {
				e.data = strings.Join(data, "\n")
				return e, nil
			}
		case strings.HasPrefix(line, "event: "):
			e.name = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			e.id = line[len("id: "):]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[len("data: "):])
		}
	}
}

func TestServer(t *testing.T) {
	demo, err := os.ReadFile(demoPath)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer("churn.ipynb", WatchOptions{})
	s.Update(demo, nil)
	ts := httptest.NewServer(s)
	defer ts.Close()

	res, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"Reading notes: <code>churn.ipynb</code>", "new EventSource('/events')", "Extraction plan", "prepareTrain"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) {
		t.Errorf("the page links out; it must be self-contained")
	}
	res, err = http.Get(ts.URL + "/notes.json")
	if err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.NewDecoder(res.Body).Decode(&js); err != nil || js["notebook"] != "churn.ipynb" {
		t.Errorf("notes.json: %v, %v", err, js["notebook"])
	}
	res.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/events", nil)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	r := bufio.NewReader(res.Body)
	e, err := readEvent(t, r)
	if err != nil || e.name != "notes" || e.id != "1" || !strings.Contains(e.data, "prepareTrain") {
		t.Fatalf("first event %q id %q (%v)", e.name, e.id, err)
	}
	changed := bytes.Replace(demo, []byte("func prepareTest("), []byte("func prepareHoldout("), 1)
	s.Update(changed, nil)
	e, err = readEvent(t, r)
	if err != nil || e.id != "2" || !strings.Contains(e.data, "prepareHoldout") {
		t.Fatalf("second event %q id %q (%v)", e.name, e.id, err)
	}
	s.Update([]byte("{not json"), nil)
	e, err = readEvent(t, r)
	if err != nil || e.name != "problem" || e.data == "" {
		t.Fatalf("third event %q %q (%v), want a problem", e.name, e.data, err)
	}
	s.Close()
	if _, err := readEvent(t, r); err == nil {
		t.Errorf("the stream goes on after Close")
	}
	if v := s.Version(); v != 2 {
		t.Errorf("Version() = %d, want 2 (the broken notebook keeps the last notes)", v)
	}
}

func TestServerClientGone(t *testing.T) {
	demo, _ := os.ReadFile(demoPath)
	s := NewServer("churn.ipynb", WatchOptions{})
	s.Update(demo, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/events", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		s.ServeHTTP(rec, req)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("the event handler did not stop when the client left")
	}
}
