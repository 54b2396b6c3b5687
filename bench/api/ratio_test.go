// Package api holds the HTTP serving benchmark: bench/api/run.sh (`make bench-api`) builds the
// server decant extract emits and a hand-written net/http server for the same route, and
// BenchmarkServeRatio measures them side by side.
package api

import (
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkServeRatio loads running servers over loopback TCP in alternating rounds with the
// same fixed-concurrency keep-alive client, and reports each one's median requests per second
// and the median of its per-round ratios to the hand-written server. Alternating short rounds, in a rotating order, and
// taking medians, keeps a burst of other work on the machine from landing on one server only.
// It needs BENCH_API_GENERATED and BENCH_API_HAND (full URLs of the same request on each
// server); without them it skips. BENCH_API_BASELINE optionally adds a third server, such as
// an older build of the generated one. BENCH_API_ROUNDS (default 20 per server),
// BENCH_API_ROUND (default 500ms) and BENCH_API_CONNS (default 32) tune it. Run it with
// -benchtime=1x: one iteration is the whole comparison.
func BenchmarkServeRatio(b *testing.B) {
	type server struct {
		name, url string
		rates     []float64
	}
	servers := []*server{{name: "hand", url: os.Getenv("BENCH_API_HAND")}, {name: "generated", url: os.Getenv("BENCH_API_GENERATED")}}
	if servers[0].url == "" || servers[1].url == "" {
		b.Skip("BENCH_API_GENERATED and BENCH_API_HAND are not set; make bench-api sets them")
	}
	if u := os.Getenv("BENCH_API_BASELINE"); u != "" {
		servers = append(servers, &server{name: "baseline", url: u})
	}
	rounds := envInt(b, "BENCH_API_ROUNDS", 20)
	conns := envInt(b, "BENCH_API_CONNS", 32)
	round := 500 * time.Millisecond
	if v := os.Getenv("BENCH_API_ROUND"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_API_ROUND: %v", err)
		}
		round = d
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	for b.Loop() {
		// A warm-up round each opens the connections and warms the servers' caches.
		for _, s := range servers {
			load(b, client, s.url, conns, round/4)
			s.rates = s.rates[:0]
		}
		for i := range rounds {
			// Rotate the order every round so no server always goes first.
			for j := range servers {
				s := servers[(i+j)%len(servers)]
				s.rates = append(s.rates, load(b, client, s.url, conns, round))
			}
		}
		// The ratio is the median of each round's ratio: servers measured moments apart see
		// about the same machine, while the load from other work drifts between rounds.
		hand := servers[0].rates
		b.ReportMetric(median(hand), "hand-req/s")
		for _, s := range servers {
			b.Logf("%-9s rounds (req/s) %v", s.name, rounds1(s.rates))
			if s.name == "hand" {
				continue
			}
			ratios := make([]float64, len(s.rates))
			for i := range ratios {
				ratios[i] = s.rates[i] / hand[i]
			}
			b.ReportMetric(median(s.rates), s.name+"-req/s")
			b.ReportMetric(median(ratios), s.name+"/hand")
		}
	}
}

// load sends GET url from conns goroutines for d and returns the rate of 200 answers.
func load(b *testing.B, client *http.Client, url string, conns int, d time.Duration) float64 {
	// Each goroutine finishes its request in flight rather than cancelling it, so the
	// connections stay open for the next round.
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := client.Get(url)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		b.Fatalf("%s: %d failed requests", url, n)
	}
	return float64(ok.Load()) / time.Since(start).Seconds()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rounds1(xs []float64) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = int(x)
	}
	return out
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}
