package live

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notes"
)

// Server serves the live notes of one notebook:
//
//	GET /            the notes page; it updates itself
//	GET /events      Server-Sent Events: "notes" (an HTML fragment, id = version) and "problem"
//	GET /notes.json  the current notes as JSON
//	GET /notes.md    the current notes as Markdown
//
// Feed it with Update (Run does so from Watch). Close ends every open event stream, so that an
// http.Server can shut down.
type Server struct {
	path  string
	title string
	opts  WatchOptions

	mu       sync.Mutex
	version  int // 0 until the first notes
	fragment []byte
	json     []byte
	markdown []byte
	problem  string
	changed  chan struct{} // closed and replaced on every update

	done      chan struct{}
	closeOnce sync.Once
}

// NewServer returns a server for the notebook at path. Nothing is read until Run or Update.
func NewServer(path string, opts WatchOptions) *Server {
	return &Server{
		path:    path,
		title:   "Reading notes: " + filepath.Base(path),
		opts:    opts,
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// Run watches the notebook and updates the notes on every change until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	return Watch(ctx, s.path, s.opts, s.Update)
}

// Update renders notes from the notebook content data (or records err) and pushes them to
// every open page. When the content does not read, the last good notes stay and pages are told
// what is wrong.
func (s *Server) Update(data []byte, err error) {
	var n *notes.Notes
	if err == nil {
		var nb *notebooks.Notebook
		if nb, err = notebooks.Parse(s.path, data); err == nil {
			n, err = notes.Analyze(nb, data)
		}
	}
	var frag, js, md []byte
	if err == nil {
		frag, md = n.HTML(), n.Markdown()
		js, err = n.JSON()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.problem = err.Error()
	} else {
		s.version++
		s.fragment, s.json, s.markdown, s.problem = frag, js, md, ""
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Version is the number of notes rendered so far.
func (s *Server) Version() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Close ends the open event streams. The server still answers other requests.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

func (s *Server) snapshot() (int, []byte, []byte, []byte, string, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version, s.fragment, s.json, s.markdown, s.problem, s.changed
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	v, frag, js, md, problem, _ := s.snapshot()
	switch r.URL.Path {
	case "/":
		if v == 0 {
			frag = []byte("<p>Reading the notebook…</p>")
			if problem != "" {
				frag = []byte("<p>The notebook does not read: " + htmlEscape(problem) + "</p>")
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(notes.Page(s.title, frag, v))
	case "/events":
		s.events(w, r)
	case "/notes.json":
		if v == 0 {
			http.Error(w, "no notes yet: "+problem, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(js)
	case "/notes.md":
		if v == 0 {
			http.Error(w, "no notes yet: "+problem, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Write(md)
	default:
		http.NotFound(w, r)
	}
}

// pingEvery keeps idle streams alive through proxies and finds closed connections.
const pingEvery = 15 * time.Second

// events streams the notes. It returns when the client goes away or the server closes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "retry: 1000\n\n")
	sent, sentProblem := 0, ""
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		v, frag, _, _, problem, changed := s.snapshot()
		if v != sent {
			writeEvent(w, "notes", fmt.Sprint(v), string(frag))
			sent = v
		}
		if problem != sentProblem {
			writeEvent(w, "problem", "", problem)
			sentProblem = problem
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-changed:
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
		}
	}
}

// writeEvent writes one event; every line of data gets its own data field.
func writeEvent(w io.Writer, name, id, data string) {
	var b strings.Builder
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", id)
	}
	fmt.Fprintf(&b, "event: %s\n", name)
	// A carriage return ends a line in the event stream format too.
	for _, l := range strings.Split(strings.ReplaceAll(data, "\r", ""), "\n") {
		fmt.Fprintf(&b, "data: %s\n", l)
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}
