package httpapi

// renderObserve returns cmd/server/observe.go: Prometheus metrics, access logs, request IDs
// and the buffered log writer.
func renderObserve(m *model) []byte {
	return []byte(observeSrc)
}

// observeSrc is cmd/server/observe.go.
//
// Access logs at thousands of requests per second: each line is appended to a pooled buffer in
// the shape of slog's JSON handler (slog itself cost as much as the rest of the request path),
// but a write(2) per line to a pipe or a container runtime's log file costs more than the
// request itself. logWriter buffers lines in memory and writes them in batches, at
// least every flush interval, so a line is at most that late; on exit the rest is written. A
// crash can lose the last interval's lines; the metrics do not depend on the logs. Sampling
// would lose requests for good, so every request is logged, and -access-log=false turns the
// lines off entirely.
const observeSrc = `package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// observer counts, times and logs every request. The per-request path allocates only the
// request ID it generates: the metrics for a route are looked up once and kept, and the access
// log line is appended to a pooled buffer.
type observer struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	accessLog io.Writer // nil: no access log
	routes    atomic.Pointer[map[string]*routeMetrics]
	routesMu  sync.Mutex // serializes adding to routes
	idPrefix  string
	idSeq     atomic.Uint64
}

// routeMetrics are one route's observers and its name as a JSON string, ready to use.
type routeMetrics struct {
	route     string
	routeJSON []byte
	duration  prometheus.Observer
	ok        prometheus.Counter // code 200, by far the most common
	codes     atomic.Pointer[map[int]prometheus.Counter]
	codesMu   sync.Mutex
}

// newObserver registers the metrics: requests by route and status, latency by route, requests
// in flight, build information (with the artifact version), the trained artifact's creation
// time (alert on time() - artifact_created_timestamp_seconds to catch a stale model), and the
// Go runtime's and process's own collectors. With accessLog on, each request is logged as one
// JSON line to logs, in the shape of slog's JSON handler.
func newObserver(logs io.Writer, accessLog bool, artifactVersion string, artifactCreated time.Time) *observer {
	o := &observer{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from reading the request to writing the response, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	if accessLog && logs != nil {
		o.accessLog = logs
	}
	o.routes.Store(&map[string]*routeMetrics{})
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "service_build_info",
		Help: "Always 1; the labels say what is running.",
		ConstLabels: prometheus.Labels{
			"version":          apiVersion,
			"revision":         buildRevision(),
			"artifact_version": artifactVersion,
		},
	})
	buildInfo.Set(1)
	if !artifactCreated.IsZero() {
		created := prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "artifact_created_timestamp_seconds",
			Help: "When the trained artifact the server loaded was created, in Unix seconds.",
		})
		created.Set(float64(artifactCreated.UnixNano()) / 1e9)
		o.registry.MustRegister(created)
	}
	o.registry.MustRegister(o.requests, o.duration, o.inFlight, buildInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var seed [6]byte
	rand.Read(seed[:])
	o.idPrefix = hex.EncodeToString(seed[:]) + "-"
	return o
}

// metricsHandler serves the metrics in the Prometheus text format.
func (o *observer) metricsHandler() http.Handler {
	return promhttp.HandlerFor(o.registry, promhttp.HandlerOpts{Registry: o.registry})
}

// requestIDHeader is the canonical form of X-Request-ID.
const requestIDHeader = "X-Request-Id"

// requestID returns the request's X-Request-ID when it is sane (1 to 128 printable ASCII
// characters), else a new one: a per-process random prefix (48 bits from crypto/rand) and a
// sequence number, unique without a random read per request.
func (o *observer) requestID(r *http.Request) string {
	if v := r.Header[requestIDHeader]; len(v) == 1 && saneID(v[0]) {
		return v[0]
	}
	var b [40]byte
	return string(strconv.AppendUint(append(b[:0], o.idPrefix...), o.idSeq.Add(1), 10))
}

func saneID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusWriters recycles the response writer wrappers: net/http forbids using a
// ResponseWriter after ServeHTTP returns, so once wrap's handler returns nothing refers to it.
var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// wrap counts, times and logs each request that h serves. The route label is the pattern the
// mux matched ("GET /v1/x"; "/" for unknown paths), so the labels stay few whatever the paths.
func (o *observer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := o.requestID(r)
		w.Header()[requestIDHeader] = []string{id}
		o.inFlight.Inc()
		sw := statusWriters.Get().(*statusWriter)
		sw.ResponseWriter, sw.code = w, 0
		defer func() {
			d := time.Since(start) // the monotonic clock only: half the cost of time.Now
			o.inFlight.Dec()
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			sw.ResponseWriter = nil
			statusWriters.Put(sw)
			m := o.route(r.Pattern)
			m.counter(o, code).Inc()
			m.duration.Observe(d.Seconds())
			if o.accessLog != nil {
				o.logRequest(start.Add(d), r, m, code, d, id)
			}
		}()
		h.ServeHTTP(sw, r)
	})
}

// route returns the metrics of the route with the given pattern, making them on first use.
// Reads are a lock-free map lookup; a new route copies the map, which happens once per route.
func (o *observer) route(pattern string) *routeMetrics {
	if pattern == "" {
		pattern = "none"
	}
	if m, ok := (*o.routes.Load())[pattern]; ok {
		return m
	}
	o.routesMu.Lock()
	defer o.routesMu.Unlock()
	old := *o.routes.Load()
	if m, ok := old[pattern]; ok {
		return m
	}
	m := &routeMetrics{
		route:     pattern,
		routeJSON: appendJSONString(nil, pattern),
		duration:  o.duration.WithLabelValues(pattern),
		ok:        o.requests.WithLabelValues(pattern, "200"),
	}
	m.codes.Store(&map[int]prometheus.Counter{})
	routes := make(map[string]*routeMetrics, len(old)+1)
	for k, v := range old {
		routes[k] = v
	}
	routes[pattern] = m
	o.routes.Store(&routes)
	return m
}

// counter returns the route's request counter for status code.
func (m *routeMetrics) counter(o *observer, code int) prometheus.Counter {
	if code == http.StatusOK {
		return m.ok
	}
	if c, ok := (*m.codes.Load())[code]; ok {
		return c
	}
	m.codesMu.Lock()
	defer m.codesMu.Unlock()
	old := *m.codes.Load()
	if c, ok := old[code]; ok {
		return c
	}
	c := o.requests.WithLabelValues(m.route, strconv.Itoa(code))
	codes := make(map[int]prometheus.Counter, len(old)+1)
	for k, v := range old {
		codes[k] = v
	}
	codes[code] = c
	m.codes.Store(&codes)
	return c
}

// logBuffers recycles the access log lines' buffers.
var logBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// logRequest writes the access log line of one request: the fields and format of slog's JSON
// handler (time in RFC 3339 with nanoseconds, duration in nanoseconds), appended to a pooled
// buffer instead of going through slog, which spends more than the rest of the request path.
func (o *observer) logRequest(t time.Time, r *http.Request, m *routeMetrics, code int, d time.Duration, id string) {
	bp := logBuffers.Get().(*[]byte)
	b := append((*bp)[:0], "{\"time\":\""...)
	b = appendLogTime(b, t)
	b = append(b, "\",\"level\":\"INFO\",\"msg\":\"request\",\"method\":"...)
	b = appendJSONString(b, r.Method)
	b = append(b, ",\"route\":"...)
	b = append(b, m.routeJSON...)
	b = append(b, ",\"path\":"...)
	b = appendJSONString(b, r.URL.Path)
	b = append(b, ",\"status\":"...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ",\"duration\":"...)
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, ",\"request_id\":"...)
	b = appendJSONString(b, id)
	b = append(b, "}\n"...)
	o.accessLog.Write(b)
	if cap(b) <= 64<<10 { // a huge path would otherwise stay pinned in the pool
		*bp = b
		logBuffers.Put(bp)
	}
}

// logSecond is one second of the access log's timestamps, formatted.
type logSecond struct {
	unix int64
	loc  *time.Location
	date string // "2006-01-02T15:04:05"
	zone string // "Z" or "-07:00"
}

// lastLogSecond is the second the latest access log line was in.
var lastLogSecond atomic.Pointer[logSecond]

// appendLogTime appends t as t.AppendFormat(b, time.RFC3339Nano) does. Formatting a time costs
// about as much as the rest of the line, so the date, clock and zone of the current second are
// kept, and each line formats only its fraction of a second.
func appendLogTime(b []byte, t time.Time) []byte {
	sec, loc := t.Unix(), t.Location()
	s := lastLogSecond.Load()
	if s == nil || s.unix != sec || s.loc != loc {
		f := t.Format(time.RFC3339)
		if y := t.Year(); y < 0 || y > 9999 || len(f) < 20 {
			return t.AppendFormat(b, time.RFC3339Nano) // not the usual fixed-width layout
		}
		s = &logSecond{unix: sec, loc: loc, date: f[:19], zone: f[19:]}
		lastLogSecond.Store(s)
	}
	b = append(b, s.date...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := len(frac)
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, s.zone...)
}

// appendJSONString appends s as a JSON string, as slog's JSON handler writes it: invalid UTF-8
// becomes U+FFFD, and control characters, U+2028 and U+2029 are escaped.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\\ufffd"...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// buildRevision is the version control revision of the binary, or "unknown".
func buildRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// logWriter buffers log lines and writes them in batches: at least every interval, when a
// buffer fills, and on Flush and Close. The writes happen on a goroutine of their own, so a
// request never waits for write(2) unless both 64 KiB buffers are full (then it waits, rather
// than dropping lines or growing without bound). Each Write is one whole line, and lines are
// written in order and never torn.
type logWriter struct {
	out     io.Writer
	mu      sync.Mutex
	buf     []byte        // lines not yet handed to the writing goroutine
	free    chan []byte   // empty buffers
	pending chan logBatch // buffers to write, in order
	done    chan struct{}
	closed  sync.Once
	wg      sync.WaitGroup
	err     atomic.Pointer[error] // the last write error
}

// logBatch is lines to write, or with flushed set, a mark to close once what came before is
// written.
type logBatch struct {
	lines   []byte
	flushed chan struct{}
}

// logBufferSize is the size of each of the two log buffers.
const logBufferSize = 64 << 10

func newLogWriter(w io.Writer, interval time.Duration) *logWriter {
	l := &logWriter{
		out:     w,
		buf:     make([]byte, 0, logBufferSize),
		free:    make(chan []byte, 1),
		pending: make(chan logBatch, 4),
		done:    make(chan struct{}),
	}
	l.free <- make([]byte, 0, logBufferSize)
	l.wg.Go(func() {
		for b := range l.pending {
			if len(b.lines) > 0 {
				if _, err := l.out.Write(b.lines); err != nil {
					l.err.Store(&err)
				}
			}
			if b.flushed != nil {
				close(b.flushed)
				continue
			}
			if cap(b.lines) <= logBufferSize {
				l.free <- b.lines[:0]
			} else {
				l.free <- make([]byte, 0, logBufferSize) // a huge line grew it: let it go
			}
		}
	})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.mu.Lock()
				l.handOff()
				l.mu.Unlock()
			case <-l.done:
				return
			}
		}
	}()
	return l
}

// handOff gives the current buffer to the writing goroutine and takes an empty one, waiting
// for it if both are in use. l.mu must be held.
func (l *logWriter) handOff() {
	if len(l.buf) == 0 || l.pending == nil {
		return
	}
	l.pending <- logBatch{lines: l.buf}
	l.buf = <-l.free
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending == nil {
		return 0, errors.New("log writer is closed")
	}
	if len(l.buf)+len(p) > cap(l.buf) {
		l.handOff()
	}
	l.buf = append(l.buf, p...)
	return len(p), nil
}

// Flush writes the buffered lines and returns the last write error.
func (l *logWriter) Flush() error {
	flushed := make(chan struct{})
	l.mu.Lock()
	if l.pending == nil {
		l.mu.Unlock()
		return nil
	}
	l.handOff()
	l.pending <- logBatch{flushed: flushed}
	l.mu.Unlock()
	<-flushed
	if err := l.err.Load(); err != nil {
		return *err
	}
	return nil
}

// Close stops the periodic flush and writes what is left.
func (l *logWriter) Close() error {
	var err error
	l.closed.Do(func() {
		close(l.done)
		err = l.Flush()
		l.mu.Lock()
		close(l.pending)
		l.pending = nil
		l.mu.Unlock()
		l.wg.Wait()
	})
	return err
}
`
