package httpapi

// renderObserveTest returns cmd/server/observe_test.go.
func renderObserveTest(m *model) []byte { return []byte(observeTestSrc) }

// renderOpenAPITest returns cmd/server/openapi_test.go.
func renderOpenAPITest(m *model) []byte { return []byte(openapiTestSrc) }

const observeTestSrc = `package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// observed returns the API as the server runs it: observed, with /metrics, access logs into
// logs, and readiness from ready.
func observed(logs io.Writer, ready func() bool) http.Handler {
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	obs := newObserver(logs, true, "test-artifact", time.Unix(1767225600, 0))
	return obs.wrap(newHandler(stubRoutes(), handlerConfig{Logger: logger, Ready: ready, Metrics: obs.metricsHandler()}))
}

// TestMetricsShowRequests makes requests and expects /metrics to count them by route and
// status, time them, and show the in-flight gauge and the build information.
func TestMetricsShowRequests(t *testing.T) {
	h := observed(io.Discard, nil)
	serveTest(h, "GET", "/healthz", "")
	serveTest(h, "GET", "/healthz", "")
	serveTest(h, "GET", "/no/such/path", "")
	rec := serveTest(h, "GET", "/metrics", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		` + "`" + `http_requests_total{code="200",route="GET /healthz"} 2` + "`" + `,
		` + "`" + `http_requests_total{code="404",route="/"} 1` + "`" + `,
		` + "`" + `http_request_duration_seconds_count{route="GET /healthz"} 2` + "`" + `,
		` + "`" + `http_requests_in_flight 1` + "`" + `, // the /metrics request itself
		` + "`" + `artifact_version="test-artifact"` + "`" + `,
		"service_build_info{",
		"artifact_created_timestamp_seconds 1.7672256e+09",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestRequestID checks that a sane X-Request-ID is kept and returned, and that a missing or
// unreasonable one is replaced by a new, unique one.
func TestRequestID(t *testing.T) {
	h := observed(io.Discard, nil)
	get := func(id string) string {
		req := httptest.NewRequest("GET", "/healthz", nil)
		if id != "" {
			req.Header.Set("X-Request-ID", id)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Header().Get("X-Request-ID")
	}
	if got := get("abc-123"); got != "abc-123" {
		t.Errorf("X-Request-ID abc-123 came back as %q", got)
	}
	a, b := get(""), get("")
	if a == "" || b == "" || a == b {
		t.Errorf("generated request IDs %q and %q: want two different ones", a, b)
	}
	for _, bad := range []string{"has space", strings.Repeat("x", 200), "tab\there"} {
		if got := get(bad); got == bad || got == "" {
			t.Errorf("X-Request-ID %q came back as %q; want a new one", bad, got)
		}
	}
}

// TestAccessLog expects one JSON line per request with method, route, status, duration and
// request ID.
func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	h := observed(&logs, nil)
	req := httptest.NewRequest("GET", "/no/such/path", nil)
	req.Header.Set("X-Request-ID", "req-1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	var line struct {
		Msg       string
		Method    string
		Route     string
		Path      string
		Status    int
		Duration  *int64
		RequestID string ` + "`json:\"request_id\"`" + `
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("access log %q: %v", logs.String(), err)
	}
	if line.Msg != "request" || line.Method != "GET" || line.Route != "/" || line.Path != "/no/such/path" ||
		line.Status != 404 || line.Duration == nil || line.RequestID != "req-1" {
		t.Errorf("access log line %s", logs.String())
	}
}

// TestAccessLogStringsMatchSlog expects the access log's JSON strings to be exactly what
// slog's JSON handler writes, for paths and IDs of any bytes.
func TestAccessLogStringsMatchSlog(t *testing.T) {
	for _, s := range []string{"", "/v1/x", "/a\"b\\c", "/tab\there\n\r\x00\x1f\x7f", "/caf\u00e9/\u2028\u2029/\U0001F600",
		"/bad\xff\xfe/utf8\xc3", "<script>&amp;</script>"} {
		var want bytes.Buffer
		slog.New(slog.NewJSONHandler(&want, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey {
				return slog.Attr{}
			}
			return a
		}})).Info("", "k", s)
		got := "{\"k\":" + string(appendJSONString(nil, s)) + "}\n"
		if got != want.String() {
			t.Errorf("%q: appendJSONString gives %s, slog %s", s, got, want.String())
		}
	}
}

// TestAccessLogTimeMatchesFormat expects the access log's timestamps to be exactly what
// time.RFC3339Nano gives, as in slog's JSON handler, within a second, across seconds and zones.
func TestAccessLogTimeMatchesFormat(t *testing.T) {
	base := time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", -7*3600-30*60), time.FixedZone("", 5*3600+45*60)}
	for _, ns := range []int{0, 1, 10, 999999999, 123456789, 100000000, 500, 999000000} {
		for _, loc := range zones {
			for _, step := range []time.Duration{0, time.Second, 24 * time.Hour, -400 * 24 * time.Hour} {
				tm := base.Add(step + time.Duration(ns)).In(loc)
				if got, want := string(appendLogTime(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
					t.Errorf("appendLogTime gives %s, time.RFC3339Nano %s", got, want)
				}
			}
		}
	}
	for _, tm := range []time.Time{{}, time.Date(10000, 1, 1, 0, 0, 0, 5, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(appendLogTime(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
			t.Errorf("appendLogTime gives %s, time.RFC3339Nano %s", got, want)
		}
	}
}

// TestGCHeadroom expects a GC percentage above the default for the test's small heap, and
// GOGC, when set, to be left alone.
func TestGCHeadroom(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	setGCHeadroom(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=100 set, the GC percentage became %d", got)
	}
	setGCHeadroom(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got <= 100 {
		t.Errorf("GC percentage %d for a small heap; want more than 100", got)
	}
}

// BenchmarkObservedRequest serves GET /healthz through the observer with the
// access log on, to show the cost and the allocations of the observability path.
func BenchmarkObservedRequest(b *testing.B) {
	h := observed(io.Discard, nil)
	req := httptest.NewRequest("GET", "/healthz", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
	}
}

// TestReadyz expects 503 until the server is ready, then 200.
func TestReadyz(t *testing.T) {
	ready := false
	h := observed(io.Discard, func() bool { return ready })
	checkError(t, serveTest(h, "GET", "/readyz", ""), http.StatusServiceUnavailable, "not ready")
	ready = true
	m := checkJSON(t, serveTest(h, "GET", "/readyz", ""), http.StatusOK, "status")
	if string(m["status"]) != ` + "`" + `"ready"` + "`" + ` {
		t.Errorf("status %s", m["status"])
	}
	checkError(t, serveTest(h, "POST", "/readyz", ""), http.StatusMethodNotAllowed, "POST")
}

// TestLogWriter checks that buffered lines are written by the periodic flush and on Close.
func TestLogWriter(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lw := newLogWriter(w, 10*time.Millisecond)
	lw.Write([]byte("one\n"))
	buf := make([]byte, 16)
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "one\n" {
		t.Fatalf("after the flush interval read %q, %v", buf[:n], err)
	}
	lw.Write([]byte("two\n"))
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	rest, _ := io.ReadAll(r)
	if string(rest) != "two\n" {
		t.Errorf("after Close read %q", rest)
	}
}

// TestAdminHandler expects the pprof index and the metrics on the admin handler.
func TestAdminHandler(t *testing.T) {
	obs := newObserver(io.Discard, false, "", time.Time{})
	h := adminHandler(obs.metricsHandler())
	for _, path := range []string{"/debug/pprof/", "/metrics"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s on the admin handler: status %d", path, rec.Code)
		}
	}
}

// TestSecondSignalExits checks that the first signal starts the shutdown and the second exits.
func TestSecondSignalExits(t *testing.T) {
	signals := make(chan os.Signal, 2)
	shutdown := make(chan struct{})
	exited := make(chan int, 1)
	go onSignals(signals, func() { close(shutdown) }, io.Discard, func(code int) { exited <- code })
	signals <- syscall.SIGTERM
	<-shutdown
	select {
	case <-exited:
		t.Fatal("exited on the first signal")
	case <-time.After(10 * time.Millisecond):
	}
	signals <- syscall.SIGINT
	if code := <-exited; code == 0 {
		t.Errorf("exit code %d after the second signal", code)
	}
}

// TestVersionFlag expects -version to print the version and exit without serving.
func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-version"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "server "+apiVersion+" (") {
		t.Errorf("-version printed %q", out.String())
	}
}
`

const openapiTestSrc = `package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// repoFile returns the path of name at the root of the module, wherever the test runs from.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(name))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test's directory to find %s", name)
		}
		dir = parent
	}
}

// TestOpenAPIValid validates openapi.json with kin-openapi and checks that every path it
// documents is served, with the method it documents.
func TestOpenAPIValid(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(repoFile(t, "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	if doc.Info.License == nil || doc.Components.SecuritySchemes["bearerAuth"] == nil {
		t.Error("openapi.json declares no license or no security scheme")
	}
	h := observed(io.Discard, nil)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			rec := serveTest(h, method, path, "")
			if rec.Code == 404 && strings.Contains(rec.Body.String(), "no route") {
				t.Errorf("%s %s is documented but not served", method, path)
			}
			if rec.Code == 405 {
				t.Errorf("%s %s is documented but the server answers 405", method, path)
			}
		}
	}
}
`
