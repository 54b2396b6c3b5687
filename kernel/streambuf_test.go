package kernel

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel/kerneltest"
)

// A cell that prints far more than the limit keeps a bounded head and tail, says what it left
// out, and keeps the last line (where a panic or "exit status" is).
func TestCollectorCapsStreams(t *testing.T) {
	c := collector{maxStream: 1 << 20}
	chunk := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	msg, _ := json.Marshal(streamContent{Name: "stdout", Text: chunk})
	const total = 200 << 20
	for n := 0; n < total; n += len(chunk) {
		if err := c.apply("stream", msg); err != nil {
			t.Fatal(err)
		}
		if c.stream != nil && len(c.stream.head)+cap(c.stream.tail) > 4<<20 {
			t.Fatalf("collector holds %d bytes for a 1 MiB limit", len(c.stream.head)+cap(c.stream.tail))
		}
	}
	last, _ := json.Marshal(streamContent{Name: "stdout", Text: "\nthe last line\n"})
	c.apply("stream", last)
	out := c.finish()
	if len(out) != 1 {
		t.Fatalf("%d outputs", len(out))
	}
	text := out[0].Text
	if len(text) > 1<<20+512 {
		t.Fatalf("kept %d bytes, limit 1 MiB", len(text))
	}
	if !strings.Contains(text, "[output truncated: ") || !strings.Contains(text, "bytes of stdout were not kept") {
		t.Fatalf("no truncation note in %q...", text[len(text)-2000:])
	}
	if !strings.HasSuffix(text, "the last line\n") || !strings.HasPrefix(text, "0123456789abcdef") {
		t.Fatal("head or tail lost")
	}
}

// Property: under the limit the text is kept exactly; over it, the kept text is a prefix of the
// original, the note, and a suffix, and the counts add up.
func TestStreamBufOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		limit := 2 + r.IntN(200)
		var full strings.Builder
		b := newStreamBuf("stderr", limit)
		for range r.IntN(20) {
			s := randText(r, r.IntN(3*limit))
			full.WriteString(s)
			b.write(s)
		}
		got, want := b.String(), full.String()
		if len(want) <= limit {
			if got != want {
				t.Fatalf("limit %d: kept %q, want %q", limit, got, want)
			}
			continue
		}
		i := strings.Index(got, "\n[output truncated: ")
		j := strings.Index(got, "like Jupyter's output limits)]\n\n")
		if i < 0 || j < 0 {
			t.Fatalf("limit %d, %d bytes: no note in %q", limit, len(want), got)
		}
		head := got[:i]
		tail := got[j+len("like Jupyter's output limits)]\n\n"):]
		if !strings.HasPrefix(want, strings.TrimSuffix(head, "\n")) || !strings.HasSuffix(want, tail) {
			t.Fatalf("limit %d: head %q / tail %q not from %q", limit, head, tail, want)
		}
		if len(head)+len(tail) > limit+1 {
			t.Fatalf("limit %d: kept %d bytes", limit, len(head)+len(tail))
		}
	}
}

func randText(r *rand.Rand, n int) string {
	const alphabet = "ab\nçé漢"
	var b strings.Builder
	for b.Len() < n {
		runes := []rune(alphabet)
		b.WriteRune(runes[r.IntN(len(runes))])
	}
	return b.String()
}

// BenchmarkStreamOutput runs a cell that prints 200 MB, and ten cells that print 20 MB each,
// through a real client and a fake kernel over ZeroMQ, side by side. Linear collection makes
// the ratio about 1; the old string concatenation made it about 50. Reported: ratio.
func BenchmarkStreamOutput(b *testing.B) {
	const chunk = 64 << 10
	payload := strings.Repeat("x", chunk-1) + "\n"
	s := kerneltest.NewServer(b, kerneltest.HandlerFunc(func(k *kerneltest.Call) {
		var n int
		for _, f := range strings.Fields(k.Code) {
			if v, err := json.Number(f).Int64(); err == nil {
				n = int(v)
			}
		}
		for sent := 0; sent < n; sent += chunk {
			k.Stdout(payload)
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := fastConfig().Dial(ctx, s.Info)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	run := func(bytes int) {
		r, err := c.Execute(ctx, "print "+itoa(bytes), ExecOptions{})
		if err != nil || r.Status != StatusOK {
			b.Fatalf("execute: %v %v", err, r)
		}
	}
	var small, big time.Duration
	for range b.N {
		t0 := time.Now()
		for range 10 {
			run(20 << 20)
		}
		t1 := time.Now()
		run(200 << 20)
		small += t1.Sub(t0)
		big += time.Since(t1)
	}
	b.ReportMetric(big.Seconds()/float64(b.N), "s/200MB")
	b.ReportMetric(small.Seconds()/float64(b.N), "s/10x20MB")
	b.ReportMetric(float64(big)/float64(small), "ratio")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
