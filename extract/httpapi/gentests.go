package httpapi

import (
	"fmt"
	"go/ast"
	"math"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// exampleRequest returns the target and body of a request to rt with every parameter at its
// example, except that omit is left out and override replaces values (query form for GET,
// JSON for POST); extra is appended as one more raw query pair or JSON member.
func (rt *route) exampleRequest(omit string, override map[string]string, extra string) (target, body string) {
	var parts []string
	for _, p := range rt.params {
		if p.wire == omit {
			continue
		}
		v, ok := override[p.wire]
		if rt.method == "GET" {
			if !ok {
				v = p.exQuery
			}
			parts = append(parts, url.QueryEscape(p.wire)+"="+url.QueryEscape(v))
		} else {
			if !ok {
				v = p.exJSON
			}
			parts = append(parts, strconv.Quote(p.wire)+":"+v)
		}
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	if rt.method == "GET" {
		target = rt.path
		if len(parts) > 0 {
			target += "?" + strings.Join(parts, "&")
		}
		return target, ""
	}
	return rt.path, "{" + strings.Join(parts, ",") + "}"
}

func (rt *route) keys() string {
	q := make([]string, len(rt.results))
	for i, r := range rt.results {
		q[i] = strconv.Quote(r.key)
	}
	return strings.Join(q, ", ")
}

// badCase is one generated 400 or 413 test.
type badCase struct {
	name, method, target, body string
	code                       int
	want                       string
}

// badCases lists the parameter errors of a route: each parameter missing, unparsable, out of
// bounds and outside its enum, plus unknown and repeated parameters and malformed bodies.
func (rt *route) badCases() []badCase {
	var cs []badCase
	add := func(name, omit string, override map[string]string, extra, want string) {
		target, body := rt.exampleRequest(omit, override, extra)
		cs = append(cs, badCase{name: rt.fn + ": " + name, method: rt.method, target: target, body: body, code: 400, want: want})
	}
	get := rt.method == "GET"
	for _, p := range rt.params {
		quoted := strconv.Quote(p.wire)
		add("missing "+p.wire, p.wire, nil, "", quoted)
		set := func(name, v string) { add(name, "", map[string]string{p.wire: v}, "", quoted) }
		switch {
		case len(p.enum) > 0:
			bad := "not-a-choice"
			for contains(p.enum, bad) {
				bad += "x"
			}
			if get {
				set(p.wire+" not in enum", bad)
			} else {
				set(p.wire+" not in enum", strconv.Quote(bad))
			}
		case p.kind == String:
			if !get {
				set(p.wire+" of the wrong JSON type", "123")
			}
		case p.kind.IsScalar():
			bad := "abc"
			if p.kind == Bool {
				bad = "maybe"
			}
			if get {
				set(p.wire+" unparsable", bad)
				if p.kind.isFloat() {
					set(p.wire+" not finite", "NaN")
					set(p.wire+" as a hexadecimal float", "0x1p-2")
					set(p.wire+" without a leading digit", ".5")
				}
				if p.kind != Bool {
					// Query numbers follow JSON's grammar: no sign plus, no leading zeros.
					set(p.wire+" with a plus sign", "+1")
					set(p.wire+" with a leading zero", "01")
				}
			} else {
				set(p.wire+" of the wrong JSON type", strconv.Quote(bad))
			}
		case isCollection(p.expr):
			set(p.wire+" of the wrong JSON type", "true")
		}
		if p.min != nil {
			if v, ok := outside(p, *p.min, -1); ok {
				set(p.wire+" below the minimum", v)
			}
		}
		if p.max != nil {
			if v, ok := outside(p, *p.max, +1); ok {
				set(p.wire+" above the maximum", v)
			}
		}
	}
	if get {
		add("unknown parameter", "", nil, "bogus=1", "bogus")
		if len(rt.params) > 0 {
			p := rt.params[0]
			add("repeated parameter", "", nil, url.QueryEscape(p.wire)+"="+url.QueryEscape(p.exQuery), strconv.Quote(p.wire))
		}
		return cs
	}
	add("unknown key", "", nil, `"bogus":1`, "bogus")
	if len(rt.params) > 0 {
		p := rt.params[0]
		// Keys are case-sensitive and given once: encoding/json alone would accept both.
		if up := strings.ToUpper(p.wire[:1]) + p.wire[1:]; up != p.wire {
			add("wrongly cased key", p.wire, nil, strconv.Quote(up)+":"+p.exJSON, "case-sensitive")
		}
		add("duplicate key", "", nil, strconv.Quote(p.wire)+":"+p.exJSON, "more than once")
	}
	raw := func(name, body, want string) {
		cs = append(cs, badCase{name: rt.fn + ": " + name, method: "POST", target: rt.path, body: body, code: 400, want: want})
	}
	target, body := rt.exampleRequest("", nil, "")
	_ = target
	raw("invalid JSON", "{", "not valid JSON")
	raw("empty body", "", "empty")
	raw("array body", "[]", "JSON object")
	raw("data after the object", body+" {}", "nothing after it")
	return cs
}

// outside returns a value just outside bound (dir -1 below, +1 above) in the request form of
// p, or false when the type cannot express one that differs from the bound.
func outside(p *param, bound float64, dir float64) (string, bool) {
	step := 1.0
	if p.kind.isFloat() {
		step = math.Max(1, math.Abs(bound))
	}
	v := bound + dir*step
	if v == bound || math.IsInf(v, 0) || (p.kind == Float32 && math.Abs(v) > math.MaxFloat32) {
		return "", false
	}
	return numText(v), true
}

// renderTests returns cmd/server/api_test.go.
func renderTests(m *model) []byte {
	f := m.features()
	var g gen
	g.p("package main")
	g.p("")
	g.p("import (")
	for _, imp := range []string{"bufio", "bytes", "context", "encoding/json", "errors", "io", "log/slog", "math", "net", "net/http", "net/http/httptest", "os", "reflect", "sort", "strconv", "strings", "testing", "time"} {
		g.p("%q", imp)
	}
	g.p("")
	g.p("%s", m.importLine())
	g.p(")")
	g.p("")
	g.p("// The handler tests run newHandler in-process. Route tests use stubs so they check the HTTP")
	g.p("// layer alone; TestLibraryExamples calls the library with the documented examples.")
	g.p("")
	g.p("// stubRoutes returns functions that return zero values.")
	g.p("func stubRoutes() routes {")
	g.p("return routes{")
	for _, rt := range m.routes {
		g.p("%s: %s { return },", rt.fn, rt.stubType(false))
	}
	g.p("}")
	g.p("}")
	g.p("")
	g.WriteString(testHelpers)

	for _, rt := range m.routes {
		g.p("")
		renderRouteTest(&g, rt)
	}

	var live []*route
	for _, rt := range m.routes {
		if rt.live {
			live = append(live, rt)
		}
	}
	if len(live) > 0 {
		g.p("")
		g.p("// TestLibraryExamples calls the library's functions with the example parameters.")
		g.p("func TestLibraryExamples(t *testing.T) {")
		g.p("h := newHandler(libraryRoutes(), handlerConfig{})")
		for _, rt := range live {
			target, body := rt.exampleRequest("", nil, "")
			g.p("t.Run(%q, func(t *testing.T) {", rt.fn)
			g.p("checkJSON(t, serveTest(h, %q, %s, %s), http.StatusOK, %s)", rt.method, goStr(target), goStr(body), rt.keys())
			g.p("})")
		}
		g.p("}")
	}

	g.p("")
	g.p("func TestBadRequests(t *testing.T) {")
	g.p("tests := []struct {")
	g.p("name, method, target, body string")
	g.p("want string // part of the error message")
	g.p("}{")
	for _, rt := range m.routes {
		for _, c := range rt.badCases() {
			g.p("{%q, %q, %s, %s, %s},", c.name, c.method, goStr(c.target), goStr(c.body), goStr(c.want))
		}
	}
	g.p("}")
	g.p("h := newHandler(stubRoutes(), quietConfig())")
	g.p("for _, tc := range tests {")
	g.p("t.Run(tc.name, func(t *testing.T) {")
	g.p("checkError(t, serveTest(h, tc.method, tc.target, tc.body), http.StatusBadRequest, tc.want)")
	g.p("})")
	g.p("}")
	g.p("}")

	g.p("")
	g.p("func TestNotFound(t *testing.T) {")
	g.p("h := newHandler(stubRoutes(), quietConfig())")
	g.p("for _, target := range []string{%s} {", quoteList(m.notFoundPaths()))
	g.WriteString(testNotFound)
	g.p("")
	g.WriteString(testEveryAnswerJSON)
	g.p("")
	g.WriteString(testTimeouts)
	g.p("")
	if f.appendResult {
		renderAppendTest(&g, m)
		g.p("")
	}
	g.p("func TestMethodNotAllowed(t *testing.T) {")
	g.p("tests := []struct{ method, path, allow string }{")
	for _, rt := range m.routes {
		wrong := "POST"
		if rt.method == "POST" {
			wrong = "GET"
		}
		g.p("{%q, %q, %q},", wrong, rt.path, rt.allow)
	}
	g.p(`{"DELETE", "/healthz", "GET, HEAD"},`)
	g.p("}")
	g.WriteString(testMethodLoop)

	if f.post {
		rt := m.routes[f.firstPOSTIdx]
		g.p("")
		g.p("func TestBodyTooLarge(t *testing.T) {")
		g.p("h := newHandler(stubRoutes(), handlerConfig{MaxBodyBytes: 64, Logger: quietConfig().Logger})")
		g.p("body := `{\"x\":\"` + strings.Repeat(\"a\", 100) + `\"}`")
		g.p("checkError(t, serveTest(h, \"POST\", %q, body), http.StatusRequestEntityTooLarge, \"64 bytes\")", rt.path)
		g.p("}")
	}

	first := m.routes[0]
	target, body := first.exampleRequest("", nil, "")
	g.p("")
	g.p("func TestPanicRecovered(t *testing.T) {")
	g.p("fns := stubRoutes()")
	g.p("fns.%s = %s { panic(\"secret detail\") }", first.fn, first.stubType(false))
	g.p("rec := serveTest(newHandler(fns, quietConfig()), %q, %s, %s)", first.method, goStr(target), goStr(body))
	g.p("checkError(t, rec, http.StatusInternalServerError, \"internal server error\")")
	g.p("if strings.Contains(rec.Body.String(), \"secret\") {")
	g.p("t.Errorf(\"the panic value leaked: %s\", rec.Body)")
	g.p("}")
	g.p("}")

	if rt := f.firstErr; rt != nil {
		target, body := rt.exampleRequest("", nil, "")
		g.p("")
		g.p("func TestFunctionError(t *testing.T) {")
		g.p("fns := stubRoutes()")
		g.p("fns.%s = %s {", rt.fn, rt.stubType(false))
		g.p("err = errors.New(\"secret detail\")")
		g.p("return")
		g.p("}")
		g.p("rec := serveTest(newHandler(fns, quietConfig()), %q, %s, %s)", rt.method, goStr(target), goStr(body))
		g.p("checkError(t, rec, http.StatusInternalServerError, \"internal server error\")")
		g.p("if strings.Contains(rec.Body.String(), \"secret\") {")
		g.p("t.Errorf(\"the error text leaked: %s\", rec.Body)")
		g.p("}")
		g.p("}")
	}

	if rt := f.firstFloat; rt != nil {
		target, body := rt.exampleRequest("", nil, "")
		res := rt.results[f.firstFloatIdx]
		nan := "math.NaN()"
		if res.typ != "float64" {
			nan = res.typ + "(" + nan + ")"
		}
		g.p("")
		g.p("func TestResultNotFinite(t *testing.T) {")
		g.p("fns := stubRoutes()")
		g.p("fns.%s = %s {", rt.fn, rt.stubType(false))
		g.p("r%d = %s", f.firstFloatIdx, nan)
		g.p("return")
		g.p("}")
		g.p("rec := serveTest(newHandler(fns, quietConfig()), %q, %s, %s)", rt.method, goStr(target), goStr(body))
		g.p("checkError(t, rec, http.StatusInternalServerError, \"not a finite number\")")
		g.p("}")
	}

	g.p("")
	g.WriteString(testServe)

	g.p("")
	g.p("// FuzzRoutes sends arbitrary queries and bodies to every route. With stub functions the only")
	g.p("// acceptable answers are 200 with the route's keys, and 400 or 413 errors.")
	g.p("func FuzzRoutes(f *testing.F) {")
	g.p("targets := []struct {")
	g.p("method, path string")
	g.p("keys         []string")
	g.p("}{")
	for _, rt := range m.routes {
		g.p("{%q, %q, []string{%s}},", rt.method, rt.path, rt.keys())
	}
	g.p("}")
	for i, rt := range m.routes {
		target, body := rt.exampleRequest("", nil, "")
		_, query, _ := strings.Cut(target, "?")
		g.p("f.Add(uint8(%d), %s, []byte(%s))", i, goStr(query), goStr(body))
	}
	g.WriteString(testFuzzBody)

	g.p("")
	g.p("// BenchmarkRoutes measures the HTTP layer of each route: stub functions, no sockets.")
	g.p("func BenchmarkRoutes(b *testing.B) {")
	g.p("h := newHandler(stubRoutes(), quietConfig())")
	g.p("for _, bc := range []struct{ name, method, target, body string }{")
	for _, rt := range m.routes {
		target, body := rt.exampleRequest("", nil, "")
		g.p("{%q, %q, %s, %s},", rt.fn, rt.method, goStr(target), goStr(body))
	}
	g.p("} {")
	g.WriteString(testBenchBody)
	return g.Bytes()
}

// renderRouteTest writes the success test of a route: the stub sees the example arguments and
// the response has the route's keys.
func renderRouteTest(g *gen, rt *route) {
	target, body := rt.exampleRequest("", nil, "")
	g.p("func TestRoute%s(t *testing.T) {", rt.fn)
	g.p("var got struct {")
	g.p("called bool")
	for i, p := range rt.params {
		g.p("a%d %s", i, p.typ)
	}
	g.p("}")
	g.p("fns := stubRoutes()")
	g.p("fns.%s = %s {", rt.fn, rt.stubType(true))
	g.p("got.called = true")
	if len(rt.params) > 0 {
		var l, r []string
		for i := range rt.params {
			l = append(l, fmt.Sprintf("got.a%d", i))
			r = append(r, fmt.Sprintf("a%d", i))
		}
		g.p("%s = %s", strings.Join(l, ", "), strings.Join(r, ", "))
	}
	g.p("return")
	g.p("}")
	g.p("rec := serveTest(newHandler(fns, quietConfig()), %q, %s, %s)", rt.method, goStr(target), goStr(body))
	g.p("checkJSON(t, rec, http.StatusOK, %s)", rt.keys())
	g.p("if !got.called {")
	g.p("t.Fatal(\"%s was not called\")", rt.fn)
	g.p("}")
	for i, p := range rt.params {
		if p.kind == JSON {
			g.p("if want := decodeJSON[%s](t, %s); !reflect.DeepEqual(got.a%d, want) {", p.typ, goStr(p.exJSON), i)
			g.p("t.Errorf(\"%s = %%v, want %%v\", got.a%d, want)", p.wire, i)
			g.p("}")
			continue
		}
		g.p("if got.a%d != %s {", i, p.exGo)
		g.p("t.Errorf(\"%s = %%v, want %%v\", got.a%d, %s)", p.wire, i, p.exGo)
		g.p("}")
	}
	g.p("}")
}

// notFoundPaths returns paths no route serves: an unrelated one, the version prefix, and a
// route's path with a trailing slash.
func (m *model) notFoundPaths() []string {
	served := map[string]bool{"/healthz": true}
	for _, rt := range m.routes {
		served[rt.path] = true
	}
	var out []string
	candidates := []string{"/no/such/path", m.routes[0].path + "/", "/healthz/extra"}
	if dir := path.Dir(m.routes[0].path); dir != "/" {
		candidates = append(candidates, dir+"/")
	}
	for _, p := range candidates {
		for served[p] {
			p += "x"
		}
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// isCollection reports whether a type is syntactically a slice, array or map (or a pointer to
// one), which reject a JSON bool whatever their element type.
func isCollection(e ast.Expr) bool {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ArrayType, *ast.MapType:
			return true
		default:
			return false
		}
	}
}

const testHelpers = `// quietConfig discards the logs of the 500 responses the tests provoke.
func quietConfig() handlerConfig {
	return handlerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// serveTest sends one request to h and returns the recorded response.
func serveTest(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, rd))
	return rec
}

// checkJSON checks the status and content type of rec and that its body is a JSON object with
// exactly the given keys, and returns the object.
func checkJSON(t *testing.T, rec *httptest.ResponseRecorder, code int, keys ...string) map[string]json.RawMessage {
	t.Helper()
	if rec.Code != code {
		t.Errorf("status %d, want %d; body %s", rec.Code, code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v; body %s", err, rec.Body)
	}
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want := append([]string(nil), keys...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("keys %v, want %v; body %s", got, want, rec.Body)
	}
	return m
}

// checkError checks that rec is an error response with status code whose message contains want.
func checkError(t *testing.T, rec *httptest.ResponseRecorder, code int, want string) {
	t.Helper()
	m := checkJSON(t, rec, code, "error_message", "result")
	var msg string
	var result int
	if err := json.Unmarshal(m["error_message"], &msg); err != nil {
		t.Errorf("error_message %s is not a string", m["error_message"])
	}
	if err := json.Unmarshal(m["result"], &result); err != nil || result != code {
		t.Errorf("result %s, want %d", m["result"], code)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error_message %q does not contain %q", msg, want)
	}
}

// decodeJSON decodes an example the way the server decodes a parameter.
func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return v
}
`

const testNotFound = `		checkError(t, serveTest(h, "GET", target, ""), http.StatusNotFound, target)
	}
}

func TestHealthz(t *testing.T) {
	rec := serveTest(newHandler(stubRoutes(), quietConfig()), "GET", "/healthz", "")
	m := checkJSON(t, rec, http.StatusOK, "status")
	if string(m["status"]) != ` + "`" + `"ok"` + "`" + ` {
		t.Errorf("status %s, want \"ok\"", m["status"])
	}
}
`

const testMethodLoop = `	h := newHandler(stubRoutes(), quietConfig())
	for _, tc := range tests {
		rec := serveTest(h, tc.method, tc.path, "")
		checkError(t, rec, http.StatusMethodNotAllowed, tc.method)
		if got := rec.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}
`

const testServe = `// TestServeShutsDown serves a request on a loopback socket, then cancels the context and
// expects a clean shutdown.
func TestServeShutsDown(t *testing.T) {
	cfg, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logger := quietConfig().Logger
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, newServer(cfg, newHandler(stubRoutes(), quietConfig()), logger), cfg.shutdownTimeout, logger) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		addr    string
		wantErr bool
	}{
		{"defaults", nil, nil, "127.0.0.1:8080", false},
		{"ADDR", nil, map[string]string{"ADDR": "0.0.0.0:9000"}, "0.0.0.0:9000", false},
		{"PORT", nil, map[string]string{"PORT": "9001"}, ":9001", false},
		{"ADDR over PORT", nil, map[string]string{"ADDR": "127.0.0.1:9002", "PORT": "9001"}, "127.0.0.1:9002", false},
		{"flag over env", []string{"-addr", "127.0.0.1:9003"}, map[string]string{"ADDR": "127.0.0.1:9002"}, "127.0.0.1:9003", false},
		{"zero body limit", []string{"-max-body-bytes", "0"}, nil, "", true},
		{"zero timeout", []string{"-write-timeout", "0s"}, nil, "", true},
		{"extra argument", []string{"extra"}, nil, "", true},
		{"unknown flag", []string{"-nope"}, nil, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if err == nil && cfg.addr != tc.addr {
				t.Errorf("addr %q, want %q", cfg.addr, tc.addr)
			}
			if err == nil && cfg.maxBodyBytes != defaultMaxBodyBytes {
				t.Errorf("maxBodyBytes %d, want %d", cfg.maxBodyBytes, defaultMaxBodyBytes)
			}
		})
	}
}
`

const testFuzzBody = `	h := newHandler(stubRoutes(), quietConfig())
	f.Fuzz(func(t *testing.T, route uint8, query string, body []byte) {
		tg := targets[int(route)%len(targets)]
		req := httptest.NewRequest(tg.method, tg.path, bytes.NewReader(body))
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			checkJSON(t, rec, http.StatusOK, tg.keys...)
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			checkError(t, rec, rec.Code, "")
		default:
			t.Fatalf("%s %s?%s with body %q: status %d: %s", tg.method, tg.path, query, body, rec.Code, rec.Body)
		}
	})
}
`

const testBenchBody = `		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(bc.method, bc.target, nil)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if bc.body != "" {
					req.Body = io.NopCloser(strings.NewReader(bc.body))
				}
				clear(w.h)
				w.code = 0
				h.ServeHTTP(w, req)
				if w.code != 0 && w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the status, so the benchmark measures the
// handler rather than the recorder.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
`

// renderAppendTest writes the test that each response type's appendJSON writes what
// encoding/json writes for the same value.
func renderAppendTest(g *gen, m *model) {
	g.p("// TestResponsesEncodeAsEncodingJSON expects each response type that encodes itself to write")
	g.p("// exactly what encoding/json writes for the same value.")
	g.p("func TestResponsesEncodeAsEncodingJSON(t *testing.T) {")
	g.p("check := func(v jsonAppender) {")
	g.p("t.Helper()")
	g.p("want, err := json.Marshal(v)")
	g.p("if err != nil {")
	g.p("t.Fatal(err)")
	g.p("}")
	g.p("if got := v.appendJSON(nil); string(got) != string(want) {")
	g.p("t.Errorf(\"%T: appendJSON gives %s, encoding/json %s\", v, got, want)")
	g.p("}")
	g.p("}")
	g.p("for _, x := range []float64{0, 1, -1, 0.5, -2.75, 1e-7, 3e-6, 1e21, 1e20, 123456789, 0.9812389453960341, math.MaxFloat32} {")
	for _, rt := range m.routes {
		if !rt.appendsJSON() {
			continue
		}
		var fields []string
		for _, r := range rt.results {
			var v string
			switch k := KindOf(r.typ); {
			case k == Bool:
				v = "x > 0"
			case k == Float64:
				v = "x"
			case k.isUint():
				v = r.typ + "(math.Abs(x))"
			default:
				v = r.typ + "(x)"
			}
			fields = append(fields, r.field+": "+v)
		}
		g.p("check(%s{%s})", rt.respType, strings.Join(fields, ", "))
	}
	g.p("}")
	g.p("}")
}

// testTimeouts checks that net/http's timeouts fire as set through serverConn, which passes
// later deadlines on to the connection lazily.
const testTimeouts = `// TestTimeouts serves through serverListener, whose connections pass a later deadline on only
// when the one in force expires, and checks each timeout: a keep-alive connection outlives the
// first request's deadlines, and a stalled request header and an idle connection are closed.
func TestTimeouts(t *testing.T) {
	srv := httptest.NewUnstartedServer(newHandler(stubRoutes(), quietConfig()))
	srv.Listener = serverListener{srv.Listener}
	srv.Config.ReadHeaderTimeout = 500 * time.Millisecond
	srv.Config.ReadTimeout = 750 * time.Millisecond
	srv.Config.WriteTimeout = 750 * time.Millisecond
	srv.Config.IdleTimeout = 1500 * time.Millisecond
	srv.Start()
	defer srv.Close()
	dial := func() (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return conn, bufio.NewReader(conn)
	}
	get := func(conn net.Conn, br *bufio.Reader, what string) {
		t.Helper()
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", what, res.StatusCode)
		}
	}
	// closed waits for the server to close conn, which it must do within ten seconds.
	closed := func(conn net.Conn, br *bufio.Reader, what string) time.Duration {
		t.Helper()
		start := time.Now()
		conn.SetReadDeadline(start.Add(10 * time.Second))
		_, err := io.Copy(io.Discard, br)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s: the server kept the connection open", what)
		}
		return time.Since(start)
	}

	// Requests 150ms apart for 1.5s: the read, write and header deadlines of the first request
	// pass long before the last one, which must still be served.
	conn, br := dial()
	for i := range 10 {
		get(conn, br, "request "+strconv.Itoa(i)+" on a keep-alive connection")
		time.Sleep(150 * time.Millisecond)
	}
	conn.Close()

	// A request header that stops halfway is cut off by the header timeout.
	conn, br = dial()
	get(conn, br, "first request")
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
	if d := closed(conn, br, "stalled header"); d < 250*time.Millisecond {
		t.Errorf("stalled header: closed after %v, before the 500ms header timeout", d)
	}
	conn.Close()

	// A connection that stays idle is closed by the idle timeout.
	conn, br = dial()
	get(conn, br, "request before idling")
	if d := closed(conn, br, "idle connection"); d < time.Second {
		t.Errorf("idle connection: closed after %v, before the 1.5s idle timeout", d)
	}
	conn.Close()
}
`

// testEveryAnswerJSON checks, over a real connection, the answers that ServeMux and net/http
// would give in plain text or HTML: unclean paths, headers over the limit, a malformed Host,
// an unsupported transfer encoding.
const testEveryAnswerJSON = `func TestEveryAnswerIsJSON(t *testing.T) {
	srv := httptest.NewUnstartedServer(newHandler(stubRoutes(), quietConfig()))
	srv.Listener = serverListener{srv.Listener}
	srv.Config.MaxHeaderBytes = 1 << 10
	srv.Start()
	defer srv.Close()
	tests := []struct {
		name, request string
		code          int
	}{
		{"dot-dot path", "GET /v1/../healthz HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusBadRequest},
		{"double slash", "GET //healthz HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusBadRequest},
		{"dot segment", "GET /./healthz HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusBadRequest},
		{"headers too large", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"malformed Host", "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", http.StatusBadRequest},
		{"unsupported transfer encoding", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", http.StatusNotImplemented},
		{"malformed request line", "GET\r\n\r\n", http.StatusBadRequest},
	}
	for _, tt := range tests {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, tt.request)
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			conn.Close()
			continue
		}
		body, _ := io.ReadAll(res.Body)
		conn.Close()
		if res.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.code)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q, body %q", tt.name, ct, body)
		}
		var e struct {
			ErrorMessage *string ` + "`json:\"error_message\"`" + `
			Result       int     ` + "`json:\"result\"`" + `
		}
		if err := json.Unmarshal(body, &e); err != nil || e.ErrorMessage == nil || e.Result != tt.code {
			t.Errorf("%s: body %q is not a JSON error with result %d", tt.name, body, tt.code)
		}
	}
}
`
