// Package live keeps a notebook's reading notes current while people edit it, for mob
// documentation sessions: Watch polls the notebook file and calls back once each change has
// settled, and Server serves the notes page on a local address and pushes fresh notes to every
// open page with Server-Sent Events.
//
// Watch polls instead of using file-system notifications: editors save in many ways (rename
// over, truncate and write, write in place), notifications differ between systems, and a poll
// of one file every 200 ms costs nothing.
package live

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"time"

	"github.com/decant-go/decant/internal/safefile"
)

// WatchOptions configures Watch. The zero value polls every 200 ms and waits for the file to
// stay the same for 300 ms before reporting a change.
type WatchOptions struct {
	// Interval is the time between two looks at the file. Default 200 ms.
	Interval time.Duration
	// Debounce is how long a change must stay unchanged before it is reported, so that a save
	// in several writes is reported once. Default 300 ms.
	Debounce time.Duration
}

func (o WatchOptions) interval() time.Duration {
	if o.Interval <= 0 {
		return 200 * time.Millisecond
	}
	return o.Interval
}

func (o WatchOptions) debounce() time.Duration {
	if o.Debounce < 0 {
		return 0
	}
	if o.Debounce == 0 {
		return 300 * time.Millisecond
	}
	return o.Debounce
}

// fingerprint identifies one state of the file.
type fingerprint struct {
	size    int64
	modTime time.Time
	sum     [sha256.Size]byte
	missing bool
}

// hashEvery makes Watch hash the content every few polls even when size and modification time
// look the same: some file systems keep coarse times, and an edit can keep the size.
const hashEvery = 5

// Watch reports the content of the file at path now and after every change: onChange gets the
// new content, or the error reading it (for example while the file is missing during a save).
// Content equal to what was last reported is not reported again. Watch returns ctx.Err() when
// ctx is done; onChange is never called concurrently.
func Watch(ctx context.Context, path string, opts WatchOptions, onChange func(data []byte, err error)) error {
	data, err := readNotebook(ctx, path)
	delivered := fingerprintOf(path, data, err)
	onChange(data, err)

	seen, seenData, seenErr, seenAt := delivered, data, err, time.Now()
	tick := time.NewTicker(opts.interval())
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		fi, statErr := os.Stat(path)
		var fp fingerprint
		var d []byte
		var rerr error
		switch {
		case statErr != nil:
			fp, rerr = fingerprint{missing: true}, statErr
		case fi.Size() == seen.size && fi.ModTime().Equal(seen.modTime) && !seen.missing && n%hashEvery != 0:
			fp, d, rerr = seen, seenData, seenErr
		default:
			d, rerr = readNotebook(ctx, path)
			fp = fingerprintOf(path, d, rerr)
		}
		if fp != seen {
			seen, seenData, seenErr, seenAt = fp, d, rerr, time.Now()
		}
		if !sameContent(seen, delivered) && time.Since(seenAt) >= opts.debounce() {
			delivered = seen
			onChange(bytes.Clone(seenData), seenErr)
		}
	}
}

// sameContent reports whether two states hold the same content: a touch is not a change.
func sameContent(a, b fingerprint) bool { return a.missing == b.missing && a.sum == b.sum }

func fingerprintOf(path string, data []byte, err error) fingerprint {
	if err != nil {
		return fingerprint{missing: true}
	}
	fp := fingerprint{size: int64(len(data)), sum: sha256.Sum256(data)}
	if fi, err := os.Stat(path); err == nil {
		fp.modTime = fi.ModTime()
	}
	return fp
}

// readNotebook reads only a regular file, capped, so a FIFO or device put at the path does not
// hang the watcher.
func readNotebook(ctx context.Context, path string) ([]byte, error) {
	data, _, err := safefile.ReadFile(ctx, path, 0)
	return data, err
}
