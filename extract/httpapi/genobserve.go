package httpapi

// renderObserve returns cmd/server/observe.go: Prometheus metrics, access logs, request IDs
// and the buffered log writer.
func renderObserve(m *model) []byte {
	return []byte(observeSrc)
}

// observeSrc is cmd/server/observe.go.
//
// Access logs at thousands of requests per second: slog's JSON handler formats a line in about
// a microsecond, but a write(2) per line to a pipe or a container runtime's log file costs more
// than the request itself. logWriter buffers lines in memory and writes them in batches, at
// least every flush interval, so a line is at most that late; on exit the rest is written. A
// crash can lose the last interval's lines; the metrics do not depend on the logs. Sampling
// would lose requests for good, so every request is logged, and -access-log=false turns the
// lines off entirely.
const observeSrc = `package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// observer counts, times and logs every request.
type observer struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	logger    *slog.Logger
	accessLog bool
	counters  sync.Map // routeCode -> prometheus.Counter
	durations sync.Map // route -> prometheus.Observer
	idPrefix  string
	idSeq     atomic.Uint64
}

type routeCode struct {
	route string
	code  int
}

// newObserver registers the metrics: requests by route and status, latency by route, requests
// in flight, build information (with the artifact version), the trained artifact's creation
// time (alert on time() - artifact_created_timestamp_seconds to catch a stale model), and the
// Go runtime's and process's own collectors.
func newObserver(logger *slog.Logger, accessLog bool, artifactVersion string, artifactCreated time.Time) *observer {
	o := &observer{
		registry:  prometheus.NewRegistry(),
		logger:    logger,
		accessLog: accessLog,
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
// characters), else a new one: a per-process random prefix and a sequence number, unique
// without a random read per request.
func (o *observer) requestID(r *http.Request) string {
	if v := r.Header[requestIDHeader]; len(v) == 1 && saneID(v[0]) {
		return v[0]
	}
	return o.idPrefix + strconv.FormatUint(o.idSeq.Add(1), 10)
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

// wrap counts, times and logs each request that h serves. The route label is the pattern the
// mux matched ("GET /v1/x"; "/" for unknown paths), so the labels stay few whatever the paths.
func (o *observer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := o.requestID(r)
		w.Header()[requestIDHeader] = []string{id}
		o.inFlight.Inc()
		sw := statusWriter{ResponseWriter: w}
		defer func() {
			o.inFlight.Dec()
			d := time.Since(start)
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "none"
			}
			o.counter(route, code).Inc()
			o.histogram(route).Observe(d.Seconds())
			if o.accessLog {
				o.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.String("path", r.URL.Path),
					slog.Int("status", code),
					slog.Duration("duration", d),
					slog.String("request_id", id))
			}
		}()
		h.ServeHTTP(&sw, r)
	})
}

func (o *observer) counter(route string, code int) prometheus.Counter {
	k := routeCode{route, code}
	if c, ok := o.counters.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c := o.requests.WithLabelValues(route, strconv.Itoa(code))
	o.counters.Store(k, c)
	return c
}

func (o *observer) histogram(route string) prometheus.Observer {
	if h, ok := o.durations.Load(route); ok {
		return h.(prometheus.Observer)
	}
	h := o.duration.WithLabelValues(route)
	o.durations.Store(route, h)
	return h
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

// logWriter buffers log lines and writes them in batches: at least every interval, when the
// buffer fills, and on Close. Each Write is one whole line from slog, so lines never tear.
type logWriter struct {
	mu     sync.Mutex
	buf    *bufio.Writer
	done   chan struct{}
	closed sync.Once
	wg     sync.WaitGroup
}

func newLogWriter(w io.Writer, interval time.Duration) *logWriter {
	l := &logWriter{buf: bufio.NewWriterSize(w, 64<<10), done: make(chan struct{})}
	l.wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.Flush()
			case <-l.done:
				return
			}
		}
	})
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Flush writes the buffered lines.
func (l *logWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Flush()
}

// Close stops the periodic flush and writes what is left.
func (l *logWriter) Close() error {
	l.closed.Do(func() { close(l.done) })
	l.wg.Wait()
	return l.Flush()
}
`
