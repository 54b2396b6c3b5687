package httpapi

import (
	"bytes"
	_ "embed"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// gen accumulates Go source.
type gen struct{ bytes.Buffer }

// p writes one line, formatted with fmt.Sprintf when args are given.
func (g *gen) p(format string, args ...any) {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	g.WriteString(format)
	g.WriteByte('\n')
}

// goStr returns a Go string literal for s: a raw string when that reads better.
func goStr(s string) string {
	if strings.ContainsAny(s, `"\`) && !strings.ContainsAny(s, "`\r\n") && isPrintable(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func isPrintable(s string) bool {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// importLine returns the import spec of the library package.
func (m *model) importLine() string {
	if path.Base(m.spec.PkgPath) == m.alias {
		return strconv.Quote(m.spec.PkgPath)
	}
	return m.alias + " " + strconv.Quote(m.spec.PkgPath)
}

// funcType returns the type of a route's function, for the routes struct.
func (rt *route) funcType(named bool) string {
	var ps, rs []string
	for i, p := range rt.params {
		switch {
		case named:
			ps = append(ps, p.local+" "+p.typ)
		default:
			ps = append(ps, "a"+strconv.Itoa(i)+" "+p.typ)
		}
	}
	for _, r := range rt.results {
		rs = append(rs, r.typ)
	}
	if rt.hasErr {
		rs = append(rs, "error")
	}
	out := "func(" + strings.Join(ps, ", ") + ")"
	switch len(rs) {
	case 0:
	case 1:
		out += " " + rs[0]
	default:
		out += " (" + strings.Join(rs, ", ") + ")"
	}
	return out
}

// stubType returns the type of a route's function with named results (r0, r1, ..., err), so a
// stub can end in a bare return.
func (rt *route) stubType(paramNames bool) string {
	var ps, rs []string
	for i, p := range rt.params {
		if paramNames {
			ps = append(ps, "a"+strconv.Itoa(i)+" "+p.typ)
		} else {
			ps = append(ps, p.typ)
		}
	}
	for i, r := range rt.results {
		rs = append(rs, "r"+strconv.Itoa(i)+" "+r.typ)
	}
	if rt.hasErr {
		rs = append(rs, "err error")
	}
	out := "func(" + strings.Join(ps, ", ") + ")"
	if len(rs) > 0 {
		out += " (" + strings.Join(rs, ", ") + ")"
	}
	return out
}

// features says which optional helpers the generated code needs.
type features struct {
	get, post                   bool
	float, intK, uintK, boolK   bool
	floatResult                 bool
	appendResult                bool
	errResult                   bool
	enum, bounds                bool
	firstErr, firstFloat        *route
	firstFloatIdx, firstPOSTIdx int
}

func (m *model) features() features {
	var f features
	f.firstPOSTIdx = -1
	for i, rt := range m.routes {
		if rt.method == "GET" {
			f.get = true
		} else {
			f.post = true
			if f.firstPOSTIdx < 0 {
				f.firstPOSTIdx = i
			}
		}
		for _, p := range rt.params {
			if rt.method == "GET" {
				switch {
				case p.kind.isFloat():
					f.float = true
				case p.kind.isInt():
					f.intK = true
				case p.kind.isUint():
					f.uintK = true
				case p.kind == Bool:
					f.boolK = true
				}
			}
			if len(p.enum) > 0 {
				f.enum = true
			}
			if p.min != nil || p.max != nil {
				f.bounds = true
			}
		}
		if rt.appendsJSON() {
			f.appendResult = true
		}
		if rt.hasErr {
			f.errResult = true
			if f.firstErr == nil {
				f.firstErr = rt
			}
		}
		for j, r := range rt.results {
			if r.kind.isFloat() {
				f.floatResult = true
				if f.firstFloat == nil {
					f.firstFloat, f.firstFloatIdx = rt, j
				}
			}
		}
	}
	return f
}

// renderAPI returns cmd/server/api.go: routing, parameter checks, JSON errors, recovery.
func renderAPI(m *model) []byte {
	f := m.features()
	var g gen
	g.p("package main")
	g.p("")
	g.p("import (")
	for _, imp := range []string{"bytes", "encoding/json", "errors", "io", "log/slog", "math", "net", "net/http", "net/url", "os", "path", "reflect", "strconv", "strings", "sync", "time"} {
		g.p("%q", imp)
	}
	g.p("")
	g.p("%s", m.importLine())
	g.p(")")
	g.p("")

	g.p("// routes holds the library functions the API serves, one field per route. newHandler takes")
	g.p("// them as values so tests can substitute stubs, or functions that fail or panic.")
	g.p("type routes struct {")
	for _, rt := range m.routes {
		g.p("%s %s // %s %s", rt.fn, rt.funcType(true), rt.method, rt.path)
	}
	g.p("}")
	g.p("")
	g.p("// libraryRoutes returns the routes backed by package %s.", m.alias)
	g.p("func libraryRoutes() routes {")
	g.p("return routes{")
	for _, rt := range m.routes {
		g.p("%s: %s.%s,", rt.fn, m.alias, rt.fn)
	}
	g.p("}")
	g.p("}")
	g.p("")
	g.WriteString(apiCore)
	g.p("")
	g.p("// newHandler returns the API: the routes, /healthz, JSON errors for unknown paths (404) and")
	g.p("// wrong methods (405 with Allow), and recovery from panics (500).")
	g.p("func newHandler(fns routes, cfg handlerConfig) http.Handler {")
	g.p("s := &server{fns: fns, maxBodyBytes: cfg.MaxBodyBytes, log: cfg.Logger, ready: cfg.Ready}")
	g.p("if s.maxBodyBytes <= 0 {")
	g.p("s.maxBodyBytes = defaultMaxBodyBytes")
	g.p("}")
	g.p("if s.log == nil {")
	g.p("s.log = slog.Default()")
	g.p("}")
	g.p("// A method pattern is more specific than the bare path, so the bare path only sees the")
	g.p("// wrong methods, and \"/\" sees every unknown path: the mux's own 404 and 405 are plain text.")
	g.p("mux := http.NewServeMux()")
	for _, rt := range m.routes {
		g.p("mux.HandleFunc(%q, s.%s)", rt.method+" "+rt.path, rt.handler)
		g.p("mux.HandleFunc(%q, methodNotAllowed(%q))", rt.path, rt.allow)
	}
	g.p(`mux.HandleFunc("GET /healthz", healthz)`)
	g.p(`mux.HandleFunc("/healthz", methodNotAllowed("GET, HEAD"))`)
	g.p(`mux.HandleFunc("GET /readyz", s.readyz)`)
	g.p(`mux.HandleFunc("/readyz", methodNotAllowed("GET, HEAD"))`)
	g.p(`if cfg.Metrics != nil {`)
	g.p(`mux.Handle("GET /metrics", cfg.Metrics)`)
	g.p(`mux.HandleFunc("/metrics", methodNotAllowed("GET, HEAD"))`)
	g.p(`}`)
	g.p(`mux.HandleFunc("/", notFound)`)
	g.p("s.mux = mux")
	g.p("return s")
	g.p("}")
	g.p("")
	g.WriteString(apiErrors)
	g.p("")
	if f.appendResult {
		g.WriteString(apiAppend)
		g.p("")
	}
	g.WriteString(emittedWire(wireSource))
	if f.get {
		g.p("")
		g.WriteString(apiQuery)
	}
	if f.float {
		g.p("")
		g.WriteString(apiParseFloat)
	}
	if f.intK {
		g.p("")
		g.WriteString(apiParseInt)
	}
	if f.uintK {
		g.p("")
		g.WriteString(apiParseUint)
	}
	if f.boolK {
		g.p("")
		g.WriteString(apiParseBool)
	}
	if f.post {
		g.p("")
		g.WriteString(apiBody)
	}
	for _, rt := range m.routes {
		g.p("")
		renderRoute(&g, m, rt)
	}
	return g.Bytes()
}

// appendsJSON reports whether the route's response type can encode itself without reflection:
// every result is a predeclared number or bool under a plain key, whose encoding/json form the
// generated appendJSON method writes byte for byte.
func (rt *route) appendsJSON() bool {
	for _, r := range rt.results {
		k := KindOf(r.typ)
		if !k.isNumeric() && k != Bool {
			return false
		}
		if r.key == "" || strings.TrimLeft(r.key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			return false
		}
	}
	return true
}

// renderAppendJSON writes the appendJSON method of a route's response type.
func renderAppendJSON(g *gen, rt *route) {
	g.p("// appendJSON appends v as encoding/json encodes it, without reflection.")
	g.p("func (v %s) appendJSON(b []byte) []byte {", rt.respType)
	if len(rt.results) == 0 {
		g.p("return append(b, \"{}\"...)")
		g.p("}")
		return
	}
	for i, r := range rt.results {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		g.p("b = append(b, %s...)", strconv.Quote(sep+strconv.Quote(r.key)+":"))
		field := "v." + r.field
		switch k := KindOf(r.typ); {
		case k == Float32:
			g.p("b = appendJSONFloat(b, float64(%s), 32)", field)
		case k == Float64:
			g.p("b = appendJSONFloat(b, %s, 64)", field)
		case k == Int64:
			g.p("b = strconv.AppendInt(b, %s, 10)", field)
		case k.isInt():
			g.p("b = strconv.AppendInt(b, int64(%s), 10)", field)
		case k == Uint64:
			g.p("b = strconv.AppendUint(b, %s, 10)", field)
		case k.isUint():
			g.p("b = strconv.AppendUint(b, uint64(%s), 10)", field)
		case k == Bool:
			g.p("b = strconv.AppendBool(b, %s)", field)
		}
	}
	g.p("return append(b, '}')")
	g.p("}")
}

// renderRoute writes the request and response types and the handler of one route.
func renderRoute(g *gen, m *model, rt *route) {
	if rt.method == "POST" {
		g.p("// %s is the JSON body of %s %s. A missing or null key is a missing parameter.", rt.reqType, rt.method, rt.path)
		g.p("type %s struct {", rt.reqType)
		for _, p := range rt.params {
			g.p("%s *%s `json:%q`", p.field, p.typ, p.wire)
		}
		g.p("}")
		g.p("")
	}
	g.p("// %s is the 200 body of %s %s.", rt.respType, rt.method, rt.path)
	g.p("type %s struct {", rt.respType)
	for _, r := range rt.results {
		g.p("%s %s `json:%q`", r.field, r.typ, r.key)
	}
	g.p("}")
	g.p("")
	if rt.appendsJSON() {
		renderAppendJSON(g, rt)
		g.p("")
	}
	g.p("// %s serves %s %s with %s.%s.", rt.handler, rt.method, rt.path, m.alias, rt.fn)
	g.p("func (s *server) %s(w http.ResponseWriter, r *http.Request) {", rt.handler)
	if rt.method == "GET" {
		renderQueryParams(g, rt)
	} else {
		renderBodyParams(g, rt)
	}
	for _, p := range rt.params {
		renderChecks(g, p)
	}

	var args, lhs []string
	for _, p := range rt.params {
		args = append(args, p.local)
	}
	for _, r := range rt.results {
		lhs = append(lhs, r.local)
	}
	if rt.hasErr {
		lhs = append(lhs, "err")
	}
	call := fmt.Sprintf("s.fns.%s(%s)", rt.fn, strings.Join(args, ", "))
	if len(lhs) > 0 {
		call = strings.Join(lhs, ", ") + " := " + call
	}
	g.p("%s", call)
	if rt.hasErr {
		g.p("if err != nil {")
		g.p("s.fail(w, r, %q, err)", rt.fn+" failed")
		g.p("return")
		g.p("}")
	}
	for _, r := range rt.results {
		if !r.kind.isFloat() {
			continue
		}
		v := r.local
		if r.typ != "float64" {
			v = "float64(" + v + ")"
		}
		g.p("if math.IsNaN(%s) || math.IsInf(%s, 0) {", v, v)
		g.p("s.notFinite(w, r, %q)", rt.fn)
		g.p("return")
		g.p("}")
	}
	var fields []string
	for _, r := range rt.results {
		fields = append(fields, r.field+": "+r.local)
	}
	if rt.appendsJSON() {
		g.p("writeAppended(w, %s{%s})", rt.respType, strings.Join(fields, ", "))
	} else {
		g.p("s.writeResult(w, r, %s{%s})", rt.respType, strings.Join(fields, ", "))
	}
	g.p("}")
}

// renderQueryParams writes the query-string reading of a GET handler.
func renderQueryParams(g *gen, rt *route) {
	if len(rt.params) == 0 {
		g.p("if msg := parseQuery(r.URL.RawQuery, nil, nil, nil); msg != \"\" {")
		g.p("writeError(w, http.StatusBadRequest, msg)")
		g.p("return")
		g.p("}")
		return
	}
	var names []string
	for _, p := range rt.params {
		names = append(names, strconv.Quote(p.wire))
	}
	g.p("names := [...]string{%s}", strings.Join(names, ", "))
	g.p("var vals [%d]string", len(rt.params))
	g.p("var set [%d]bool", len(rt.params))
	g.p("if msg := parseQuery(r.URL.RawQuery, names[:], vals[:], set[:]); msg != \"\" {")
	g.p("writeError(w, http.StatusBadRequest, msg)")
	g.p("return")
	g.p("}")
	for i, p := range rt.params {
		val := fmt.Sprintf("vals[%d]", i)
		g.p("if !set[%d] {", i)
		g.p("writeError(w, http.StatusBadRequest, %s)", goStr(fmt.Sprintf("missing query parameter %q (%s)", p.wire, wantText(p))))
		g.p("return")
		g.p("}")
		if p.kind == String {
			if p.typ == "string" {
				g.p("%s := %s", p.local, val)
			} else {
				g.p("%s := %s(%s)", p.local, p.typ, val)
			}
			continue
		}
		var parse string
		switch {
		case p.kind.isFloat():
			parse = fmt.Sprintf("parseFloat(%s, %d)", val, p.kind.bits())
		case p.kind.isInt():
			bits := strconv.Itoa(p.kind.bits())
			if p.kind == Int {
				bits = "strconv.IntSize"
			}
			parse = fmt.Sprintf("parseInt(%s, %s)", val, bits)
		case p.kind.isUint():
			bits := strconv.Itoa(p.kind.bits())
			if p.kind == Uint {
				bits = "strconv.IntSize"
			}
			parse = fmt.Sprintf("parseUint(%s, %s)", val, bits)
		case p.kind == Bool:
			parse = fmt.Sprintf("parseBool(%s)", val)
		}
		direct := p.typ == "float64" || p.typ == "int64" || p.typ == "uint64" || p.typ == "bool"
		tmp := p.local
		if !direct {
			tmp = "v" + strconv.Itoa(i)
		}
		g.p("%s, ok := %s", tmp, parse)
		g.p("if !ok {")
		g.p("badParam(w, %q, %q, %s)", p.wire, wantText(p), val)
		g.p("return")
		g.p("}")
		if !direct {
			g.p("%s := %s(%s)", p.local, p.typ, tmp)
		}
	}
}

// renderBodyParams writes the JSON body reading of a POST handler.
func renderBodyParams(g *gen, rt *route) {
	g.p("var req %s", rt.reqType)
	g.p("if !s.decodeBody(w, r, &req) {")
	g.p("return")
	g.p("}")
	for _, p := range rt.params {
		g.p("if req.%s == nil {", p.field)
		g.p("writeError(w, http.StatusBadRequest, %s)", goStr(fmt.Sprintf("missing parameter %q (%s) in the JSON body", p.wire, wantText(p))))
		g.p("return")
		g.p("}")
		g.p("%s := *req.%s", p.local, p.field)
	}
}

// renderChecks writes the bound and enum checks of a parameter.
func renderChecks(g *gen, p *param) {
	if p.min != nil || p.max != nil {
		var conds []string
		if p.min != nil {
			conds = append(conds, p.local+" < "+boundLit(p.kind, *p.min))
		}
		if p.max != nil {
			conds = append(conds, p.local+" > "+boundLit(p.kind, *p.max))
		}
		g.p("if %s {", strings.Join(conds, " || "))
		g.p("writeError(w, http.StatusBadRequest, %s)", goStr(fmt.Sprintf("parameter %q must be %s", p.wire, boundsText(p))))
		g.p("return")
		g.p("}")
	}
	if len(p.enum) > 0 {
		var cases []string
		for _, e := range p.enum {
			cases = append(cases, strconv.Quote(e))
		}
		g.p("switch %s {", p.local)
		g.p("case %s:", strings.Join(cases, ", "))
		g.p("default:")
		v := p.local
		if p.typ != "string" {
			v = "string(" + v + ")"
		}
		g.p("badParam(w, %q, %s, %s)", p.wire, goStr(wantText(p)), v)
		g.p("return")
		g.p("}")
	}
}

// boundLit writes a bound as a Go constant of the parameter's kind.
func boundLit(k Kind, v float64) string {
	if k.isFloat() {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	if k.isUint() {
		return strconv.FormatUint(uint64(v), 10)
	}
	return strconv.FormatInt(int64(v), 10)
}

// wantText says in words what a parameter's value must be.
func wantText(p *param) string {
	switch {
	case p.kind == String && len(p.enum) > 0:
		q := make([]string, len(p.enum))
		for i, e := range p.enum {
			q[i] = strconv.Quote(e)
		}
		return "one of " + strings.Join(q, ", ")
	case p.kind == String:
		return "a string"
	case p.kind == Bool:
		return "true or false"
	case p.kind.isFloat():
		return "a finite number"
	case p.kind == Int || p.kind == Int64:
		return "an integer"
	case p.kind == Uint || p.kind == Uint64:
		return "a non-negative integer"
	case p.kind.isInt() || p.kind.isUint():
		lo, hi := intRange(p.kind)
		return fmt.Sprintf("an integer from %s to %s", numText(lo), numText(hi))
	}
	return "JSON of Go type " + p.typ
}

// apiCore is the fixed part of api.go between the routes and newHandler.
const apiCore = `// defaultMaxBodyBytes is the request body limit when handlerConfig.MaxBodyBytes is 0.
const defaultMaxBodyBytes = 1 << 20

// handlerConfig configures newHandler. The zero value is ready to use.
type handlerConfig struct {
	MaxBodyBytes int64        // request body limit in bytes; 0 means defaultMaxBodyBytes
	Logger       *slog.Logger // receives the details of 500 responses; nil means slog.Default()
	// Ready says whether the server can answer: GET /readyz is 200 when it does, else 503.
	// nil means always ready.
	Ready func() bool
	// Metrics serves GET /metrics; nil means no /metrics route.
	Metrics http.Handler
}

// server is the API's http.Handler.
type server struct {
	fns          routes
	maxBodyBytes int64
	log          *slog.Logger
	ready        func() bool
	mux          *http.ServeMux
}

// ServeHTTP serves r and turns a panic into a 500 response. http.ErrAbortHandler passes through:
// it is how a handler asks net/http to drop the connection.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, internalErrorMessage)
		}
	}()
	// ServeMux would answer a path with "..", "//" or "/./" by a redirect with an HTML body;
	// an API answers JSON, and a client sending such a path is probing, not lost.
	if p := r.URL.Path; p != "" && cleanPath(p) != p && r.Method != http.MethodConnect {
		writeError(w, http.StatusBadRequest, "path "+quoteValue(p)+" is not in canonical form; use "+quoteValue(cleanPath(p)))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// cleanPath is p as ServeMux would redirect to it.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
`

// wireSource is wire.go, whose marked part goes into api.go.
//
//go:embed wire.go
var wireSource string

// apiErrors is the fixed response writing part of api.go.
const apiErrors = `// internalErrorMessage is all a client learns about a 500: the log has the detail.
const internalErrorMessage = "internal server error"

// contentTypeJSON is the Content-Type of every response. Assigning this slice to the header map
// instead of calling Header().Set saves an allocation per response; nothing modifies it.
var contentTypeJSON = []string{"application/json"}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	ErrorMessage string ` + "`json:\"error_message\"`" + `
	Result       int    ` + "`json:\"result\"`" + `
}

// writeError answers with status code and an errorBody carrying msg.
func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(errorBody{ErrorMessage: msg, Result: code}) // a string and an int always encode
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(code)
	w.Write(b)
}

// writeResult answers 200 with the JSON encoding of v.
func (s *server) writeResult(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		var unsupported *json.UnsupportedValueError
		if errors.As(err, &unsupported) && (unsupported.Str == "NaN" || unsupported.Str == "+Inf" || unsupported.Str == "-Inf") {
			s.log.Error("result is not a finite number", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, http.StatusInternalServerError, "result is not a finite number")
			return
		}
		s.fail(w, r, "encoding the result", err)
		return
	}
	w.Header()["Content-Type"] = contentTypeJSON
	w.Write(b)
}

// notFinite answers 500 for a NaN or infinite result, which JSON cannot carry.
func (s *server) notFinite(w http.ResponseWriter, r *http.Request, fn string) {
	s.log.Error("result is not a finite number", "func", fn, "method", r.Method, "path", r.URL.Path)
	writeError(w, http.StatusInternalServerError, "result is not a finite number")
}

// fail logs err and answers 500 without it, since it may describe the server's internals.
func (s *server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.Error(what, "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, internalErrorMessage)
}

// methodNotAllowed answers 405 for a path that is served with other methods.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path+"; use "+allow)
	}
}

// notFound answers 404 for a path the API does not serve.
func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no route for "+r.URL.Path)
}

// serverListener wraps each connection the server accepts in a serverConn.
type serverListener struct{ net.Listener }

// Accept wraps each connection.
func (l serverListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &serverConn{Conn: c}, nil
}

// serverConn is one of the server's connections. It does two things.
//
// It makes the errors net/http answers by itself, before any handler runs (431 for headers over
// MaxHeaderBytes, 400 for a malformed request line or Host header, 501 for an unsupported
// transfer encoding), JSON like every other answer. net/http writes each as one plain-text
// response straight to the connection; Write rewrites exactly that shape.
//
// And it keeps the server's timeouts cheap. With them set, net/http moves a connection's read
// and write deadlines eight times per request (header, body, idle and write deadlines), and each
// move resets a runtime timer. serverConn passes a deadline on at once only when it is earlier
// than the one in force, which is also how net/http wakes a blocked read. A later deadline, or
// none, is only recorded: when the earlier one in force expires, Read or Write sees that the
// deadline last set has not passed, applies it and carries on. So a timeout fires exactly when
// the last deadline set says, as without serverConn, and a busy keep-alive connection resets
// three timers per request instead of eight.
type serverConn struct {
	net.Conn
	mu            sync.Mutex // guards the deadlines: net/http reads in the background while it serves
	readDeadline  lazyDeadline
	writeDeadline lazyDeadline
}

// lazyDeadline is one direction's deadline: the last one set, and the one in force.
type lazyDeadline struct{ want, applied time.Time }

// set records t as the deadline and reports whether it must be put in force now: only when it
// is earlier than the one in force, or none is.
func (d *lazyDeadline) set(t time.Time) bool {
	d.want = t
	if t.IsZero() || (!d.applied.IsZero() && !t.Before(d.applied)) {
		return false
	}
	d.applied = t
	return true
}

// retry reports whether an operation that failed with err failed only because the deadline in
// force was older than the one last set, which it then puts in force.
func (c *serverConn) retry(err error, d *lazyDeadline, read bool) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d.want.Equal(d.applied) || (!d.want.IsZero() && !time.Now().Before(d.want)) {
		return false // the deadline last set has passed: a real timeout
	}
	d.applied = d.want
	if read {
		return c.Conn.SetReadDeadline(d.want) == nil
	}
	return c.Conn.SetWriteDeadline(d.want) == nil
}

func (c *serverConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readDeadline.set(t) {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *serverConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.writeDeadline.set(t) {
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *serverConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *serverConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if n > 0 || err == nil || !c.retry(err, &c.readDeadline, true) {
			return n, err
		}
	}
}

// CloseWrite keeps net/http's lingering close (it half-closes and drains the request before
// closing, so the client reads the error instead of a reset).
func (c *serverConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// plainErrorHeaders are the headers net/http writes with its own error responses.
const plainErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *serverConn) Write(p []byte) (int, error) {
	// Responses of handlers never carry plainErrorHeaders: writeError sets application/json.
	if len(p) > 12 && (p[9] == '4' || p[9] == '5') && bytes.HasPrefix(p, []byte("HTTP/1.1 ")) {
		if i := bytes.Index(p, []byte(plainErrorHeaders)); i > 0 {
			code, err := strconv.Atoi(string(p[9:12]))
			if err == nil {
				body, _ := json.Marshal(errorBody{ErrorMessage: string(p[i+len(plainErrorHeaders):]), Result: code})
				resp := string(p[:i]) + "\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + string(body)
				if _, err := c.writeAll([]byte(resp)); err != nil {
					return 0, err
				}
				return len(p), nil
			}
		}
	}
	return c.writeAll(p)
}

// writeAll writes all of p, past a deadline in force that is older than the one last set.
func (c *serverConn) writeAll(p []byte) (int, error) {
	written := 0
	for {
		n, err := c.Conn.Write(p[written:])
		written += n
		if err == nil || !c.retry(err, &c.writeDeadline, false) {
			return written, err
		}
	}
}

// healthzBody is the answer of /healthz while the process serves requests.
const healthzBody = ` + "`" + `{"status":"ok"}` + "`" + `

// healthz serves GET /healthz.
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header()["Content-Type"] = contentTypeJSON
	io.WriteString(w, healthzBody)
}

// readyz serves GET /readyz: 200 when the server can answer, 503 before and while it shuts down.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil && !s.ready() {
		writeError(w, http.StatusServiceUnavailable, "not ready")
		return
	}
	w.Header()["Content-Type"] = contentTypeJSON
	io.WriteString(w, readyzBody)
}

// readyzBody is the answer of /readyz when the server is ready.
const readyzBody = ` + "`" + `{"status":"ready"}` + "`" + `

// quoteValue quotes a client's value for an error message, cut to 64 bytes.
func quoteValue(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}

// badParam answers 400 for a parameter whose value is not what the route needs.
func badParam(w http.ResponseWriter, name, want, got string) {
	writeError(w, http.StatusBadRequest, "parameter "+strconv.Quote(name)+" must be "+want+", got "+quoteValue(got))
}
`

// apiQuery reads query strings.
const apiAppend = `// jsonAppender is a response type that appends its own JSON encoding: the bytes encoding/json
// would write, without reflection.
type jsonAppender interface{ appendJSON(b []byte) []byte }

// resultBuffers recycles the buffers of response bodies; Write copies the body out.
var resultBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// writeAppended answers 200 with the JSON encoding of v.
func writeAppended[T jsonAppender](w http.ResponseWriter, v T) {
	bp := resultBuffers.Get().(*[]byte)
	b := v.appendJSON((*bp)[:0])
	w.Header()["Content-Type"] = contentTypeJSON
	w.Write(b)
	if cap(b) <= 64<<10 {
		*bp = b
		resultBuffers.Put(bp)
	}
}
`

const apiQuery = `// parseQuery stores the value of each parameter in names at the same index of vals and set, and
// returns a message for an unknown, repeated or badly escaped parameter. Values are unescaped
// only when they contain % or +, so a plain query allocates nothing.
func parseQuery(raw string, names, vals []string, set []bool) string {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, ok := unescape(k)
		if !ok {
			return "query parameter name " + quoteValue(k) + " is not valid URL encoding"
		}
		i := 0
		for i < len(names) && names[i] != key {
			i++
		}
		if i == len(names) {
			if len(names) == 0 {
				return "unknown query parameter " + quoteValue(key) + "; this route takes none"
			}
			return "unknown query parameter " + quoteValue(key) + "; want " + strings.Join(names, ", ")
		}
		if set[i] {
			return "query parameter " + strconv.Quote(key) + " is given more than once"
		}
		val, ok := unescape(v)
		if !ok {
			return "query parameter " + strconv.Quote(key) + " is not valid URL encoding"
		}
		vals[i], set[i] = val, true
	}
	return ""
}

// unescape decodes one query component, allocating only when there is something to decode.
func unescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
`

const apiParseFloat = `// parseFloat parses a finite number of the given bit size.
func parseFloat(s string, bits int) (float64, bool) {
	if !jsonNumber(s, false) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, bits)
	return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
}
`

const apiParseInt = `// parseInt parses a decimal integer of the given bit size.
func parseInt(s string, bits int) (int64, bool) {
	if !jsonNumber(s, true) {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, bits)
	return v, err == nil
}
`

const apiParseUint = `// parseUint parses a non-negative decimal integer of the given bit size.
func parseUint(s string, bits int) (uint64, bool) {
	if !jsonNumber(s, true) {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, bits)
	return v, err == nil
}
`

const apiParseBool = `// parseBool parses true or false (also 1, 0, t, f and their upper-case forms).
func parseBool(s string) (bool, bool) {
	v, err := strconv.ParseBool(s)
	return v, err == nil
}
`

// apiBody reads JSON bodies.
const apiBody = `// decodeBody decodes the request body, one JSON object, into dst and reports whether it did. It
// answers 413 for a body over the limit, and 400 for a body that is not JSON, not an object,
// has a key dst does not declare, a value of the wrong type, or data after the object.
func (s *server) decodeBody(w http.ResponseWriter, r *http.Request, dst any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	if err == nil {
		if msg := checkKeys(body, reflect.TypeOf(dst)); msg != "" {
			writeError(w, http.StatusBadRequest, "request body: "+msg)
			return false
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(dst)
		if err == nil {
			if _, err = dec.Token(); err == io.EOF {
				return true
			}
			writeError(w, http.StatusBadRequest, "request body must hold one JSON object and nothing after it")
			return false
		}
	}
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "request body is larger than "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes")
	case errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, http.StatusBadRequest, "request body is not valid JSON: it ends too early")
	case errors.As(err, &syntax):
		writeError(w, http.StatusBadRequest, "request body is not valid JSON: "+syntax.Error()+" at byte "+strconv.FormatInt(syntax.Offset, 10))
	case errors.As(err, &typeErr) && typeErr.Field == "":
		writeError(w, http.StatusBadRequest, "request body must be a JSON object, not a JSON "+typeErr.Value)
	case errors.As(err, &typeErr):
		writeError(w, http.StatusBadRequest, "parameter "+strconv.Quote(typeErr.Field)+" must be "+typeErr.Type.String()+", got a JSON "+typeErr.Value)
	default:
		// Unknown keys (encoding/json has no error type for them) and errors from the
		// library's own UnmarshalJSON methods.
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
			msg = "unknown parameter " + field
		}
		writeError(w, http.StatusBadRequest, "request body: "+msg)
	}
	return false
}
`
