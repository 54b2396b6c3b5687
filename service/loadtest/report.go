package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Report summarizes a load test.
type Report struct {
	URL         string         `json:"url"`
	Rate        int            `json:"rate"`       // requested, per second
	Requests    uint64         `json:"requests"`   // sent
	Duration    time.Duration  `json:"duration"`   // from the first request to the last answer
	SentRate    float64        `json:"sent_rate"`  // requests actually sent per second
	Throughput  float64        `json:"throughput"` // 2xx and 3xx answers per second
	Success     float64        `json:"success"`    // share of 2xx and 3xx answers
	Latency     Latencies      `json:"latency"`
	StatusCodes map[string]int `json:"status_codes"` // "0" counts requests with no answer
	Errors      []string       `json:"errors"`       // distinct errors, 4xx statuses included
	Checks      Checks         `json:"checks"`
}

// Latencies are latency statistics over all requests.
type Latencies struct {
	Mean time.Duration `json:"mean"`
	P50  time.Duration `json:"p50"`
	P90  time.Duration `json:"p90"`
	P99  time.Duration `json:"p99"`
	Max  time.Duration `json:"max"`
}

// Checks counts the answers that broke their target's expectation.
type Checks struct {
	ServerErrors    int      `json:"server_errors"`    // 5xx answers, to any target
	TransportErrors int      `json:"transport_errors"` // no answer: refused, reset, timed out
	GoodRejected    int      `json:"good_rejected"`    // a good target answered other than 2xx
	BadAccepted     int      `json:"bad_accepted"`     // a bad target answered other than 4xx
	NotJSON         int      `json:"not_json"`         // a body that is not JSON, or another content type
	Examples        []Broken `json:"examples,omitempty"`
}

// Broken is one answer that broke its target's expectation.
type Broken struct {
	Target  string `json:"target"`
	Class   string `json:"class"`
	Request string `json:"request"`
	Body    string `json:"body,omitempty"`
	Problem string `json:"problem"`
	Answer  string `json:"answer,omitempty"` // the start of the response body
}

// Failed returns how many answers broke their expectations.
func (c Checks) Failed() int {
	return c.ServerErrors + c.TransportErrors + c.GoodRejected + c.BadAccepted + c.NotJSON
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "target       %s\n", r.URL)
	fmt.Fprintf(&sb, "requests     %d in %s (asked %d/s, sent %.1f/s)\n", r.Requests, r.Duration.Round(time.Millisecond), r.Rate, r.SentRate)
	fmt.Fprintf(&sb, "throughput   %.1f/s 2xx-3xx (%.2f%% of answers)\n", r.Throughput, 100*r.Success)
	l := r.Latency
	fmt.Fprintf(&sb, "latency      p50 %s  p90 %s  p99 %s  max %s  mean %s\n", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max), ms(l.Mean))
	fmt.Fprintf(&sb, "status codes %s\n", formatCodes(r.StatusCodes))
	if len(r.Errors) > 0 {
		errs := append([]string(nil), r.Errors...)
		sort.Strings(errs)
		if len(errs) > 8 {
			errs = append(errs[:8], fmt.Sprintf("and %d more", len(r.Errors)-8))
		}
		fmt.Fprintf(&sb, "errors       %s\n", strings.Join(errs, "; "))
	}
	c := r.Checks
	if c.Failed() == 0 {
		sb.WriteString("checks       every answer met its expectation (good 2xx, bad 4xx, never 5xx, JSON)\n")
	} else {
		fmt.Fprintf(&sb, "checks       FAILED: %d 5xx, %d without answer, %d good rejected, %d bad accepted, %d not JSON\n",
			c.ServerErrors, c.TransportErrors, c.GoodRejected, c.BadAccepted, c.NotJSON)
		for _, b := range c.Examples {
			fmt.Fprintf(&sb, "  %s: %s\n    %s", b.Target, b.Problem, b.Request)
			if b.Body != "" {
				fmt.Fprintf(&sb, " body %q", b.Body)
			}
			if b.Answer != "" {
				fmt.Fprintf(&sb, "\n    answer %s", strings.TrimSpace(b.Answer))
			}
			sb.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
}

func formatCodes(codes map[string]int) string {
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + strconv.Itoa(codes[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// Baseline is the part of a report a repository commits to catch regressions: latencies in
// milliseconds, for diffs people can read.
type Baseline struct {
	Version    int     `json:"decant_load_baseline"`
	Rate       int     `json:"rate"`
	Requests   uint64  `json:"requests"`
	Throughput float64 `json:"throughput"`
	Success    float64 `json:"success"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	Max        float64 `json:"max_ms"`
}

// BaselineOf returns the baseline of a report.
func BaselineOf(r *Report) Baseline {
	f := func(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }
	return Baseline{Version: 1, Rate: r.Rate, Requests: r.Requests, Throughput: math.Round(r.Throughput*10) / 10,
		Success: math.Round(r.Success*1e4) / 1e4, P50: f(r.Latency.P50), P90: f(r.Latency.P90), P99: f(r.Latency.P99), Max: f(r.Latency.Max)}
}

// Marshal encodes a baseline as indented JSON with a final newline.
func (b Baseline) Marshal() []byte {
	js, _ := json.MarshalIndent(b, "", "  ") // numbers only
	return append(js, '\n')
}

// ParseBaseline decodes a baseline file.
func ParseBaseline(data []byte) (Baseline, error) {
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return Baseline{}, fmt.Errorf("reading the load baseline: %w", err)
	}
	if b.Version != 1 {
		return Baseline{}, fmt.Errorf("reading the load baseline: decant_load_baseline is %d, want 1", b.Version)
	}
	for _, v := range []float64{b.Throughput, b.Success, b.P50, b.P90, b.P99, b.Max} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return Baseline{}, fmt.Errorf("reading the load baseline: negative or non-finite number %v", v)
		}
	}
	return b, nil
}

// Tolerance is how far a measurement may move from its baseline before it is a regression.
// The zero value allows 25% plus 1 ms on latencies, 10% on throughput, and no drop in success.
type Tolerance struct {
	Ratio      float64 // relative slack on the p50, p90 and p99 latencies; 0 means 0.25
	SlackMS    float64 // absolute slack on latencies, for timer noise on fast services; 0 means 1
	Throughput float64 // relative slack on throughput; 0 means 0.10
}

// Regression is one measurement worse than its baseline.
type Regression struct {
	Metric   string  `json:"metric"`
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	Limit    float64 `json:"limit"`
}

func (r Regression) String() string {
	return fmt.Sprintf("%s %.3f is worse than the baseline %.3f (limit %.3f)", r.Metric, r.Current, r.Baseline, r.Limit)
}

// Compare returns the measurements of cur that regressed from base, in a fixed order. Max
// latency is left out: one slow request is noise, not a trend. Throughput is compared only
// when both runs asked for the same rate, since a constant-rate test measures the rate asked.
func Compare(base, cur Baseline, tol Tolerance) []Regression {
	if tol.Ratio == 0 {
		tol.Ratio = 0.25
	}
	if tol.SlackMS == 0 {
		tol.SlackMS = 1
	}
	if tol.Throughput == 0 {
		tol.Throughput = 0.10
	}
	var out []Regression
	for _, m := range []struct {
		name      string
		base, cur float64
	}{{"p50_ms", base.P50, cur.P50}, {"p90_ms", base.P90, cur.P90}, {"p99_ms", base.P99, cur.P99}} {
		if limit := m.base*(1+tol.Ratio) + tol.SlackMS; m.cur > limit {
			out = append(out, Regression{m.name, m.base, m.cur, limit})
		}
	}
	if base.Rate == cur.Rate {
		if limit := base.Throughput * (1 - tol.Throughput); cur.Throughput < limit {
			out = append(out, Regression{"throughput", base.Throughput, cur.Throughput, limit})
		}
	}
	if cur.Success < base.Success-1e-9 {
		out = append(out, Regression{"success", base.Success, cur.Success, base.Success})
	}
	return out
}
