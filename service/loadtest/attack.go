package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Limits that no options can exceed: a load test is a bounded experiment.
const (
	MaxRate     = 100_000
	MaxDuration = 10 * time.Minute
	MaxRequests = 10_000_000
)

// Options configures [Run]. The zero value sends 50 requests per second for 5 seconds.
type Options struct {
	Rate        int           // requests per second; 0 means 50
	Duration    time.Duration // how long to send; 0 means 5s
	MaxRequests int           // stop after this many requests; 0 means Rate × Duration
	Timeout     time.Duration // per request; 0 means 5s
	Workers     int           // initial concurrent requests; 0 means 16 (more are started to hold the rate)
	MaxWorkers  int           // cap on concurrent requests; 0 means 1024
	Name        string        // attack name, shown in plots; "" means "load"
	// Result, if set, receives every result in the order they arrive (for a plot, say). It must
	// not keep the pointer.
	Result func(*vegeta.Result)
}

func (o Options) withDefaults() (Options, error) {
	if o.Rate == 0 {
		o.Rate = 50
	}
	if o.Duration == 0 {
		o.Duration = 5 * time.Second
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Workers == 0 {
		o.Workers = 16
	}
	if o.MaxWorkers == 0 {
		o.MaxWorkers = 1024
	}
	if o.Name == "" {
		o.Name = "load"
	}
	switch {
	case o.Rate < 0 || o.Rate > MaxRate:
		return o, fmt.Errorf("rate %d is out of range: want 1 to %d requests per second", o.Rate, MaxRate)
	case o.Duration < 0 || o.Duration > MaxDuration:
		return o, fmt.Errorf("duration %v is out of range: want up to %v", o.Duration, MaxDuration)
	case o.MaxRequests < 0 || o.MaxRequests > MaxRequests:
		return o, fmt.Errorf("request limit %d is out of range: want up to %d", o.MaxRequests, MaxRequests)
	case o.Timeout < 0 || o.Workers < 0 || o.MaxWorkers < o.Workers:
		return o, errors.New("timeout and workers must be positive, and max workers at least workers")
	}
	if limit := int(float64(o.Rate) * o.Duration.Seconds()); o.MaxRequests == 0 || o.MaxRequests > limit {
		o.MaxRequests = max(limit, 1)
	}
	return o, nil
}

// CheckLoopback returns an error unless base is an http URL whose host is a loopback address
// or "localhost": the load test never leaves the machine.
func CheckLoopback(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("reading the service URL: %w", err)
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("service URL %q: want http://", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("service URL %q: load tests only target loopback addresses (127.0.0.1, ::1, localhost)", base)
	}
	return u, nil
}

// Run sends targets round-robin to the service at base at a constant rate until the request
// limit, the duration or ctx ends it, and reports what came back.
func Run(ctx context.Context, base string, targets []Target, o Options) (*Report, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	u, err := CheckLoopback(base)
	if err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errors.New("nothing to send: no targets")
	}
	root := strings.TrimSuffix(u.String(), "/")
	// The fragment names the target: clients never send it, and vegeta copies the URL into
	// each result, so results map back to their targets' expectations.
	vt := make([]vegeta.Target, len(targets))
	for i, t := range targets {
		vt[i] = vegeta.Target{Method: t.Method, URL: root + t.Path + "#" + strconv.Itoa(i), Body: t.Body}
		if t.Body != nil {
			vt[i].Header = http.Header{"Content-Type": []string{"application/json"}}
		}
	}
	var next atomic.Uint64
	targeter := func(t *vegeta.Target) error {
		*t = vt[(next.Add(1)-1)%uint64(len(vt))]
		return nil
	}
	atk := vegeta.NewAttacker(
		vegeta.Timeout(o.Timeout),
		vegeta.Workers(uint64(o.Workers)),
		vegeta.MaxWorkers(uint64(o.MaxWorkers)),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.Proxy(func(*http.Request) (*url.URL, error) { return nil, nil }),
		vegeta.MaxBody(64<<10),
		vegeta.KeepAlive(true),
	)
	pacer := countPacer{ConstantPacer: vegeta.ConstantPacer{Freq: o.Rate, Per: time.Second}, max: uint64(o.MaxRequests)}
	var acc accumulator
	acc.init(targets)
	results := atk.Attack(targeter, pacer, o.Duration, o.Name)
	for {
		select {
		case <-ctx.Done():
			atk.Stop()
			for res := range results { // drain so the workers finish
				acc.add(res, o.Result)
			}
			return nil, ctx.Err()
		case res, ok := <-results:
			if !ok {
				rep := acc.report(base, o)
				return rep, nil
			}
			acc.add(res, o.Result)
		}
	}
}

// countPacer is a constant pacer that stops after max hits.
type countPacer struct {
	vegeta.ConstantPacer
	max uint64
}

func (p countPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.max {
		return 0, true
	}
	return p.ConstantPacer.Pace(elapsed, hits)
}

// accumulator folds results into vegeta's metrics and this package's expectation checks.
type accumulator struct {
	targets []Target
	metrics vegeta.Metrics
	checks  Checks
	listed  map[int]bool // targets already among the examples
}

func (a *accumulator) init(targets []Target) { a.targets = targets }

// maxExamples is how many broken expectations a report lists.
const maxExamples = 10

func (a *accumulator) add(r *vegeta.Result, sink func(*vegeta.Result)) {
	a.metrics.Add(r)
	if sink != nil {
		sink(r)
	}
	_, frag, _ := strings.Cut(r.URL, "#")
	i, err := strconv.Atoi(frag)
	if err != nil || i < 0 || i >= len(a.targets) {
		return
	}
	t := a.targets[i]
	var problem string
	switch {
	case r.Code == 0:
		a.checks.TransportErrors++
		problem = "no answer: " + r.Error
	case r.Code >= 500:
		a.checks.ServerErrors++
		problem = "status " + strconv.Itoa(int(r.Code))
	case t.Class == Good && (r.Code < 200 || r.Code > 299):
		a.checks.GoodRejected++
		problem = "status " + strconv.Itoa(int(r.Code)) + ", want 2xx"
	case t.Class == Bad && (r.Code < 400 || r.Code > 499):
		a.checks.BadAccepted++
		problem = "status " + strconv.Itoa(int(r.Code)) + ", want 4xx"
	case t.ContentType != "" && r.Code >= 200 && r.Code <= 299:
		if !hasMediaType(r.Headers.Get("Content-Type"), t.ContentType) {
			a.checks.NotJSON++
			problem = "status " + strconv.Itoa(int(r.Code)) + " with Content-Type " + strconv.Quote(r.Headers.Get("Content-Type")) + ", want " + t.ContentType
		}
	case !isJSON(r):
		a.checks.NotJSON++
		problem = "status " + strconv.Itoa(int(r.Code)) + " with a body that is not JSON"
	}
	if problem == "" {
		return
	}
	if len(a.checks.Examples) < maxExamples && !a.listed[i] {
		if a.listed == nil {
			a.listed = map[int]bool{}
		}
		a.listed[i] = true
		body := r.Body
		if len(body) > 200 {
			body = body[:200]
		}
		a.checks.Examples = append(a.checks.Examples, Broken{Target: t.Name, Class: t.Class.String(), Request: t.Method + " " + t.Path, Body: string(t.Body), Problem: problem, Answer: string(body)})
	}
}

// isJSON reports whether a result carries a JSON body with a JSON content type. HEAD and 204
// answers have no body to check.
func isJSON(r *vegeta.Result) bool {
	if r.Method == http.MethodHead || r.Code == http.StatusNoContent {
		return true
	}
	if !hasMediaType(r.Headers.Get("Content-Type"), "application/json") {
		return false
	}
	return json.Valid(bytes.TrimSpace(r.Body))
}

// hasMediaType reports whether a Content-Type header names the media type want, with or
// without parameters ("text/plain; version=0.0.4" has "text/plain").
func hasMediaType(header, want string) bool {
	mt, _, _ := strings.Cut(header, ";")
	return strings.EqualFold(strings.TrimSpace(mt), want)
}

func (a *accumulator) report(base string, o Options) *Report {
	a.metrics.Close()
	m := &a.metrics
	rep := &Report{
		URL:         base,
		Rate:        o.Rate,
		Requests:    m.Requests,
		Duration:    m.Duration + m.Wait,
		SentRate:    m.Rate,
		Throughput:  m.Throughput,
		Success:     m.Success,
		Latency:     Latencies{Mean: m.Latencies.Mean, P50: m.Latencies.P50, P90: m.Latencies.P90, P99: m.Latencies.P99, Max: m.Latencies.Max},
		StatusCodes: m.StatusCodes,
		Errors:      m.Errors,
		Checks:      a.checks,
	}
	if rep.StatusCodes == nil {
		rep.StatusCodes = map[string]int{}
	}
	return rep
}
