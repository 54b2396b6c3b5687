package loadtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// spec is a small API: one GET route with a number, an enum string and a bounded integer, and
// one POST route with a JSON body.
const spec = `{
  "openapi": "3.0.3",
  "paths": {
    "/healthz": {"get": {"operationId": "healthz"}},
    "/v1/score": {"get": {"operationId": "Score", "parameters": [
      {"name": "x", "in": "query", "required": true, "schema": {"type": "number"}, "example": 1.5},
      {"name": "plan", "in": "query", "required": true, "schema": {"type": "string", "enum": ["basic", "premium"]}, "example": "basic"},
      {"name": "n", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 0, "maximum": 10}, "example": 3}
    ]}},
    "/v1/sum": {"post": {"operationId": "Sum", "requestBody": {"content": {"application/json": {
      "schema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}},
      "example": {"a": 1, "b": 2}}}}}}
  }
}`

// strictHandler validates like an extracted server: 400 JSON for anything off-schema.
func strictHandler(t testing.TB) http.Handler {
	writeJSON := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	bad := func(w http.ResponseWriter, msg string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error_message": msg, "result": 400})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/score", func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			bad(w, "bad query")
			return
		}
		for k, v := range q {
			if k != "x" && k != "plan" && k != "n" || len(v) != 1 {
				bad(w, "bad parameter "+k)
				return
			}
		}
		x, err := strconv.ParseFloat(q.Get("x"), 64)
		if err != nil || x != x {
			bad(w, "x")
			return
		}
		if p := q.Get("plan"); p != "basic" && p != "premium" {
			bad(w, "plan")
			return
		}
		n, err := strconv.Atoi(q.Get("n"))
		if err != nil || n < 0 || n > 10 {
			bad(w, "n")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"score": x * float64(n)})
	})
	mux.HandleFunc("POST /v1/sum", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			bad(w, "no query")
			return
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		var in struct{ A, B *float64 }
		if err := dec.Decode(&in); err != nil || in.A == nil || in.B == nil {
			bad(w, "body")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"sum": *in.A + *in.B})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error_message": "no route", "result": 404})
	})
	return mux
}

func TestTargets(t *testing.T) {
	ts, err := Targets([]byte(spec), TargetOptions{Fuzz: 5, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]Target{}
	classes := map[Class]int{}
	for _, tg := range ts {
		names[tg.Name] = tg
		classes[tg.Class]++
		if strings.HasPrefix(tg.Path, "/healthz") {
			t.Errorf("target %q exercises /healthz", tg.Name)
		}
	}
	if classes[Good] != 2 || classes[Fuzz] != 5 || classes[Bad] < 15 {
		t.Errorf("classes %v, want 2 good, 5 fuzz, at least 15 bad", classes)
	}
	for name, want := range map[string]string{
		"GET /v1/score: examples":         "/v1/score?x=1.5&plan=basic&n=3",
		"GET /v1/score: missing plan":     "/v1/score?x=1.5&n=3",
		"GET /v1/score: plan not in enum": "/v1/score?x=1.5&plan=not-an-enum-value&n=3",
		"GET /v1/score: n above maximum":  "/v1/score?x=1.5&plan=basic&n=11",
		"GET /v1/score: n fractional":     "/v1/score?x=1.5&plan=basic&n=1.5",
		"GET /v1/score: x not finite":     "/v1/score?x=NaN&plan=basic&n=3",
	} {
		if got := names[name].Path; got != want {
			t.Errorf("%s: path %q, want %q", name, got, want)
		}
	}
	if got := string(names["POST /v1/sum: examples"].Body); got != `{"a":1,"b":2}` {
		t.Errorf("example body %s", got)
	}
	if got := string(names["POST /v1/sum: body missing b"].Body); got != `{"a":1}` {
		t.Errorf("body missing b: %s", got)
	}
	again, _ := Targets([]byte(spec), TargetOptions{Fuzz: 5, Seed: 7})
	for i := range ts {
		if ts[i].Path != again[i].Path || string(ts[i].Body) != string(again[i].Body) {
			t.Fatalf("target %d differs between runs with the same seed", i)
		}
	}
}

func TestTargetsErrors(t *testing.T) {
	for _, bad := range []string{`{`, `{"paths": {}}`, `{"paths": {"/healthz": {"get": {}}}}`,
		`{"paths": {"/a": {"get": {"parameters": [{"name": "x", "in": "query", "schema": {"type": "number"}}]}}}}`} {
		if _, err := Targets([]byte(bad), TargetOptions{}); err == nil {
			t.Errorf("Targets(%s): no error", bad)
		}
	}
}

// TestRunStrict attacks a server that validates everything: no check may fail, and the
// results add up.
func TestRunStrict(t *testing.T) {
	srv := httptest.NewServer(strictHandler(t))
	defer srv.Close()
	ts, err := Targets([]byte(spec), TargetOptions{Fuzz: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Int64
	rep, err := Run(context.Background(), srv.URL, ts, Options{Rate: 400, Duration: time.Second, MaxRequests: 200, Result: func(*vegeta.Result) { seen.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 200 || seen.Load() != 200 {
		t.Errorf("requests %d, results seen %d, want 200 (the request limit)", rep.Requests, seen.Load())
	}
	if f := rep.Checks.Failed(); f != 0 {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Errorf("%d checks failed against a strict server:\n%s", f, sb.String())
	}
	if rep.StatusCodes["200"] == 0 || rep.StatusCodes["400"] == 0 {
		t.Errorf("status codes %v, want both 200 and 400", rep.StatusCodes)
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 || rep.Latency.Max < rep.Latency.P99 {
		t.Errorf("latencies out of order: %+v", rep.Latency)
	}
}

// TestRunCatchesBreakage attacks a server that fails in every way the checks look for.
func TestRunCatchesBreakage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.RawQuery, "plan=not-an-enum"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error_message":"boom","result":500}`))
		case strings.Contains(r.URL.RawQuery, "n=11"):
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"score":1}`)) // a bad request accepted
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusBadRequest) // a good body rejected, and not JSON
			w.Write([]byte("bad request"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"score":1}`))
		}
	}))
	defer srv.Close()
	ts, err := Targets([]byte(spec), TargetOptions{GoodOnly: false})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), srv.URL, ts, Options{Rate: 400, Duration: time.Second, MaxRequests: 2 * len(ts)})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Checks
	if c.ServerErrors == 0 || c.BadAccepted == 0 || c.GoodRejected == 0 {
		t.Errorf("checks %+v: want 5xx, bad accepted and good rejected all counted", c)
	}
	if len(c.Examples) == 0 || len(c.Examples) > maxExamples {
		t.Errorf("%d examples", len(c.Examples))
	}
	listed := map[string]bool{}
	for _, b := range c.Examples {
		if listed[b.Target] {
			t.Errorf("target %q listed twice", b.Target)
		}
		listed[b.Target] = true
	}
	var sb strings.Builder
	rep.WriteText(&sb)
	if !strings.Contains(sb.String(), "FAILED") {
		t.Errorf("text report does not say FAILED:\n%s", sb.String())
	}
}

func TestRunRefusesRemote(t *testing.T) {
	ts := []Target{{Method: "GET", Path: "/"}}
	for _, u := range []string{"http://example.com", "http://10.0.0.1:80", "https://127.0.0.1", "http://0.0.0.0:80", "ftp://localhost"} {
		if _, err := Run(context.Background(), u, ts, Options{Rate: 1, Duration: time.Millisecond}); err == nil {
			t.Errorf("Run(%s): no error", u)
		}
	}
	for _, u := range []string{"http://127.0.0.1:1", "http://[::1]:1", "http://localhost:1", "http://127.3.4.5:1"} {
		if _, err := CheckLoopback(u); err != nil {
			t.Errorf("CheckLoopback(%s): %v", u, err)
		}
	}
	for _, o := range []Options{{Rate: MaxRate + 1}, {Duration: MaxDuration + 1}, {MaxRequests: -1}, {Rate: -1}} {
		if _, err := Run(context.Background(), "http://127.0.0.1:1", ts, o); err == nil {
			t.Errorf("Run with %+v: no error", o)
		}
	}
}

func TestRunCanceled(t *testing.T) {
	srv := httptest.NewServer(strictHandler(t))
	defer srv.Close()
	ts, _ := Targets([]byte(spec), TargetOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, srv.URL, ts, Options{Rate: 100, Duration: time.Minute}); err == nil {
		t.Error("a canceled run returned no error")
	}
}

func TestBaseline(t *testing.T) {
	rep := &Report{Rate: 100, Requests: 500, Throughput: 99.87, Success: 1,
		Latency: Latencies{P50: 1200 * time.Microsecond, P90: 2 * time.Millisecond, P99: 3500 * time.Microsecond, Max: 9 * time.Millisecond}}
	b := BaselineOf(rep)
	back, err := ParseBaseline(b.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if back != b || b.P50 != 1.2 || b.P99 != 3.5 || b.Throughput != 99.9 {
		t.Errorf("round trip: %+v, want %+v", back, b)
	}
	if regs := Compare(b, b, Tolerance{}); len(regs) != 0 {
		t.Errorf("a baseline regresses against itself: %v", regs)
	}
	slower := b
	slower.P99 = b.P99*1.25 + 1.01 // just past the default limit
	slower.P50 = b.P50*1.25 + 0.99 // just within it
	slower.Throughput = 80
	slower.Success = 0.99
	regs := Compare(b, slower, Tolerance{})
	var got []string
	for _, r := range regs {
		got = append(got, r.Metric)
	}
	if strings.Join(got, ",") != "p99_ms,throughput,success" {
		t.Errorf("regressions %v, want p99_ms, throughput, success", got)
	}
	other := slower
	other.Rate = 200
	for _, r := range Compare(b, other, Tolerance{}) {
		if r.Metric == "throughput" {
			t.Error("throughput compared across different rates")
		}
	}
	for _, bad := range []string{`{}`, `{"decant_load_baseline": 2}`, `{"decant_load_baseline": 1, "p99_ms": -1}`, `[`} {
		if _, err := ParseBaseline([]byte(bad)); err == nil {
			t.Errorf("ParseBaseline(%s): no error", bad)
		}
	}
}

func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"decant_load_baseline":1,"rate":100,"p50_ms":1,"p90_ms":2,"p99_ms":3,"max_ms":4,"throughput":99,"success":1}`))
	f.Add([]byte(`{"decant_load_baseline":1,"p99_ms":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBaseline(data)
		if err != nil {
			return
		}
		back, err := ParseBaseline(b.Marshal())
		if err != nil || back != b {
			t.Fatalf("round trip of %+v: %+v, %v", b, back, err)
		}
		Compare(b, b, Tolerance{})
	})
}

func FuzzTargets(f *testing.F) {
	f.Add([]byte(spec), uint64(1))
	f.Add([]byte(`{"paths":{"/a":{"post":{"requestBody":{"content":{"application/json":{"schema":{"properties":{"x":{}}},"example":{"x":1}}}}}}}}`), uint64(2))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		ts, err := Targets(data, TargetOptions{Fuzz: 20, Seed: seed})
		if err != nil {
			return
		}
		for _, tg := range ts {
			if _, err := http.NewRequest(tg.Method, "http://127.0.0.1:1"+tg.Path, nil); err != nil {
				t.Fatalf("target %q: %q is not a valid request: %v", tg.Name, tg.Path, err)
			}
		}
	})
}

// opsSpec is the API of an extracted server, operational routes included, as its openapi.json
// declares them: /healthz and /readyz answer JSON status objects, /metrics Prometheus text.
const opsSpec = `{
  "openapi": "3.0.3",
  "paths": {
    "/healthz": {"get": {"operationId": "healthz", "responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/readyz": {"get": {"operationId": "readyz", "responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/metrics": {"get": {"operationId": "metrics", "responses": {"200": {"content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/v1/score": {"get": {"operationId": "Score", "parameters": [
      {"name": "x", "in": "query", "required": true, "schema": {"type": "number"}, "example": 1.5},
      {"name": "plan", "in": "query", "required": true, "schema": {"type": "string", "enum": ["basic", "premium"]}, "example": "basic"},
      {"name": "n", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 0, "maximum": 10}, "example": 3}
    ]}}
  }
}`

// opsHandler is strictHandler plus the operational routes of an extracted server, which
// ignore their query strings as probes and scrapers expect.
func opsHandler(t testing.TB) http.Handler {
	mux := http.NewServeMux()
	api := strictHandler(t)
	mux.Handle("/", api)
	status := func(s string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"status":"` + s + `"}`))
		}
	}
	mux.HandleFunc("GET /healthz", status("ok"))
	mux.HandleFunc("GET /readyz", status("ready"))
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
		w.Write([]byte("# TYPE http_requests_total counter\nhttp_requests_total 1\n"))
	})
	return mux
}

// TestOpsRoutes is the regression test of decant load on an extracted server: its operational
// routes must not count as broken (/metrics is not JSON; /readyz has no parameter to reject),
// and they are left out of the load unless asked for.
func TestOpsRoutes(t *testing.T) {
	ts, err := Targets([]byte(opsSpec), TargetOptions{Fuzz: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		if p, _, _ := strings.Cut(tg.Path, "?"); OpsPaths[p] {
			t.Errorf("target %q exercises %s without Ops", tg.Name, p)
		}
	}
	ts, err = Targets([]byte(opsSpec), TargetOptions{Fuzz: 20, Seed: 3, Ops: true})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]Target{}
	for _, tg := range ts {
		if p, _, _ := strings.Cut(tg.Path, "?"); OpsPaths[p] {
			if tg.Class != Good {
				t.Errorf("target %q: class %v on an operational route, want good only", tg.Name, tg.Class)
			}
			ops[p] = tg
		}
	}
	if len(ops) != 3 || ops["/metrics"].ContentType != "text/plain" || ops["/readyz"].ContentType != "" {
		t.Errorf("operational targets %+v, want /healthz, /readyz (JSON) and /metrics (text/plain)", ops)
	}
	srv := httptest.NewServer(opsHandler(t))
	defer srv.Close()
	rep, err := Run(context.Background(), srv.URL, ts, Options{Rate: 1000, Duration: time.Second, MaxRequests: 3 * len(ts)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checks.Failed() != 0 {
		t.Errorf("checks failed on the operational routes: %+v", rep.Checks)
	}

	// A /metrics that answers JSON (or HTML) breaks its documented content type.
	broken := http.NewServeMux()
	broken.Handle("/", opsHandler(t))
	broken.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>"))
	})
	srv2 := httptest.NewServer(broken)
	defer srv2.Close()
	rep, err = Run(context.Background(), srv2.URL, []Target{ops["/metrics"]}, Options{Rate: 100, Duration: time.Second, MaxRequests: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checks.NotJSON != 3 {
		t.Errorf("a /metrics answering text/html: checks %+v, want 3 wrong content types", rep.Checks)
	}
}
