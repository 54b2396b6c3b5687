package kernel

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultMaxStreamBytes is how much of one stream output (consecutive stdout or stderr text of
// a cell) is kept when ExecOptions.MaxStreamBytes is 0: the first and the last half of it.
// Jupyter front ends limit what they keep and show of large outputs for the same reason: a
// cell printing gigabytes must not take the notebook (or the runner's memory) with it.
const DefaultMaxStreamBytes = 10 << 20

// streamBuf accumulates the text of one stream output in time linear in its size, keeping at
// most limit bytes: the first limit/2 bytes and a sliding window over the last limit/2.
type streamBuf struct {
	name    string
	limit   int
	head    []byte
	tail    []byte
	dropped int64
}

func newStreamBuf(name string, limit int) *streamBuf {
	if limit == 0 {
		limit = DefaultMaxStreamBytes
	}
	return &streamBuf{name: name, limit: limit}
}

func (s *streamBuf) write(t string) {
	if s.limit < 0 { // unlimited
		s.head = append(s.head, t...)
		return
	}
	half := s.limit / 2
	if room := half - len(s.head); room > 0 {
		n := min(room, len(t))
		s.head = append(s.head, t[:n]...)
		t = t[n:]
	}
	if len(t) == 0 {
		return
	}
	if len(t) >= s.limit-half {
		// The new text alone fills the tail window.
		keep := s.limit - half
		s.dropped += int64(len(s.tail)) + int64(len(t)-keep)
		s.tail = append(s.tail[:0], t[len(t)-keep:]...)
		return
	}
	s.tail = append(s.tail, t...)
	// Let the window grow to twice its size before sliding, so each byte is copied O(1) times.
	if keep := s.limit - half; len(s.tail) > 2*keep {
		drop := len(s.tail) - keep
		s.dropped += int64(drop)
		s.tail = append(s.tail[:0], s.tail[drop:]...)
	}
}

// String returns the kept text. When bytes were dropped it says how many, between the head and
// the tail, cut at line (or at least rune) boundaries.
func (s *streamBuf) String() string {
	keep := s.limit - s.limit/2
	tail := s.tail
	dropped := s.dropped
	if s.limit >= 0 && len(tail) > keep {
		dropped += int64(len(tail) - keep)
		tail = tail[len(tail)-keep:]
	}
	if dropped == 0 {
		return string(s.head) + string(tail)
	}
	head := s.head
	// Cut the head after its last newline and the tail after its first, when there is one
	// reasonably near, so no line is shown half.
	if i := lastIndexByte(head, '\n'); i >= len(head)-4096 && i >= 0 {
		dropped += int64(len(head) - i - 1)
		head = head[:i+1]
	}
	for len(head) > 0 && !utf8.Valid(head[max(0, len(head)-utf8.UTFMax):]) {
		head, dropped = head[:len(head)-1], dropped+1
	}
	if i := indexByte(tail, '\n'); i >= 0 && i < 4096 {
		dropped += int64(i + 1)
		tail = tail[i+1:]
	}
	for len(tail) > 0 && !utf8.RuneStart(tail[0]) {
		tail, dropped = tail[1:], dropped+1
	}
	var b strings.Builder
	b.Grow(len(head) + len(tail) + 200)
	b.Write(head)
	if len(head) > 0 && head[len(head)-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\n[output truncated: %d bytes of %s were not kept; the notebook keeps the first and last %d bytes of a stream (limit %d bytes, like Jupyter's output limits)]\n\n",
		dropped, s.name, s.limit/2, s.limit)
	b.Write(tail)
	return b.String()
}

func indexByte(b []byte, c byte) int     { return strings.IndexByte(string(b), c) }
func lastIndexByte(b []byte, c byte) int { return strings.LastIndexByte(string(b), c) }
