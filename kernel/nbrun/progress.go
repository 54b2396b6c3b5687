package nbrun

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Bar draws a one-line progress display on a terminal: for one notebook
// the cell number out of all, the elapsed time and the running cell's
// first line; for several, how many notebooks are done and each running
// notebook's cell number. It redraws the line with a carriage return,
// several times a second so the elapsed time moves.
type Bar struct {
	w     io.Writer
	width int
	names []string
	now   func() time.Time
	start time.Time

	mu    sync.Mutex
	jobs  []barJob
	drawn bool
	plain bool // no escape sequences: erase by overwriting with spaces
	last  int  // width of the line drawn last, for plain erasing
	stop  chan struct{}
	done  chan struct{}
}

type barJob struct {
	p        Progress
	started  bool
	finished bool
}

// NewBar starts a progress display for notebooks with the given names,
// at most width columns wide (80 when width <= 0). Close it when done.
func NewBar(w io.Writer, names []string, width int) *Bar {
	b := newBar(w, names, width, time.Now)
	go b.tick(200 * time.Millisecond)
	return b
}

func newBar(w io.Writer, names []string, width int, now func() time.Time) *Bar {
	if width <= 0 {
		width = 80
	}
	return &Bar{w: w, width: width, names: names, now: now, start: now(),
		jobs: make([]barJob, len(names)), stop: make(chan struct{}), done: make(chan struct{})}
}

func (b *Bar) tick(every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.mu.Lock()
			b.draw()
			b.mu.Unlock()
		}
	}
}

// Update records the progress of notebook job; Config.Progress can call
// it directly.
func (b *Bar) Update(job int, p Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if job < 0 || job >= len(b.jobs) {
		return
	}
	b.jobs[job].p, b.jobs[job].started = p, true
	b.draw()
}

// Finish marks notebook job as done.
func (b *Bar) Finish(job int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if job >= 0 && job < len(b.jobs) {
		b.jobs[job].finished = true
	}
	b.draw()
}

// Close stops the redrawing and erases the line, so that what is printed
// next starts on a clean line.
func (b *Bar) Close() {
	select {
	case <-b.stop:
		return
	default:
	}
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		if b.plain {
			fmt.Fprint(b.w, "\r"+strings.Repeat(" ", b.last)+"\r")
		} else {
			fmt.Fprint(b.w, "\r\x1b[K")
		}
	}
}

// SetPlain makes the bar draw without escape sequences (NO_COLOR): a shorter line is padded
// with spaces instead of erased with ESC [K.
func (b *Bar) SetPlain(plain bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.plain = plain
}

func (b *Bar) draw() {
	line := b.line(b.now())
	if b.plain {
		n := utf8.RuneCountInString(line)
		fmt.Fprint(b.w, "\r"+line+strings.Repeat(" ", max(b.last-n, 0)))
		b.last = n
	} else {
		fmt.Fprint(b.w, "\r"+line+"\x1b[K")
	}
	b.drawn = true
}

// line renders the display at time now.
func (b *Bar) line(now time.Time) string {
	elapsed := fmtSeconds(now.Sub(b.start))
	if len(b.jobs) == 1 {
		j := b.jobs[0]
		if !j.started {
			return truncate(fmt.Sprintf("%s: starting the kernel  %s", filepath.Base(b.names[0]), elapsed), b.width)
		}
		done := j.p.Step - 1
		if j.p.Done {
			done++
		}
		s := fmt.Sprintf("%s %d/%d  %s", meter(done, j.p.Steps, 10), j.p.Step, j.p.Steps, elapsed)
		if !j.p.Done {
			s += fmt.Sprintf(" (cell %s)  %s", fmtSeconds(now.Sub(j.p.Started)), j.p.FirstLine)
		}
		return truncate(s, b.width)
	}
	finished := 0
	var running []string
	for i, j := range b.jobs {
		switch {
		case j.finished:
			finished++
		case j.started:
			running = append(running, fmt.Sprintf("%s %d/%d", filepath.Base(b.names[i]), j.p.Step, j.p.Steps))
		}
	}
	s := fmt.Sprintf("%s %d/%d notebooks  %s", meter(finished, len(b.jobs), 10), finished, len(b.jobs), elapsed)
	if len(running) > 0 {
		s += "  " + strings.Join(running, ", ")
	}
	return truncate(s, b.width)
}

// meter draws done/total as a bar of width cells.
func meter(done, total, width int) string {
	n := 0
	if total > 0 {
		n = min(max(done, 0)*width/total, width)
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat("-", width-n) + "]"
}

func fmtSeconds(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// truncate cuts s to width runes, marking the cut with "…", and drops
// control characters that would break the line.
func truncate(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	rs := []rune(s)
	return string(rs[:width-1]) + "…"
}
