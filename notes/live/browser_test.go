package live

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/internal/webdriver"
)

// The browser test drives headless Chromium through chromedriver (Debian packages chromium and
// chromium-driver) and reads the live page as a person would see it.

func TestBrowser(t *testing.T) {
	if err := webdriver.Available(); err != nil {
		t.Skipf("skipping the browser test: %v", err)
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

	// Headless Chromium through chromedriver, on the page.
	wd, err := webdriver.Start(ctx, filepath.Join(dir, "profile"))
	if err != nil {
		t.Fatalf("starting the browser: %v", err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("chromedriver log:\n%s", wd.Log())
		}
		wd.Close()
	}()
	if err := wd.Navigate(ctx, ts.URL+"/"); err != nil {
		t.Fatal(err)
	}
	notesText := func() (string, error) {
		var s string
		err := wd.Eval(ctx, &s, "var n = document.getElementById('notes'); return n ? n.innerText : '';")
		return s, err
	}
	waitText := func(want string) string {
		t.Helper()
		deadline := time.Now().Add(wait)
		for {
			text, err := notesText()
			if err == nil && strings.Contains(text, want) {
				return text
			}
			if time.Now().After(deadline) {
				t.Fatalf("the page never showed %q (last error %v); it shows:\n%.2000s", want, err, text)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	page := waitText("Reading notes: churn.ipynb")
	for _, want := range []string{"Smells", "prepareTrain", "Extraction plan", "hard-coded path"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if strings.Contains(page, "prepareHoldout") {
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
	var status string
	if err := wd.Eval(ctx, &status, "return document.getElementById('status').textContent;"); err != nil || !strings.Contains(status, "updated") {
		t.Errorf("status line %q (%v), want it to say the notes were updated", status, err)
	}
}
