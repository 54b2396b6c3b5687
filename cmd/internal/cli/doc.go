package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/decant-go/decant/internal/loopback"
	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/internal/udiff"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notes"
	"github.com/decant-go/decant/notes/live"
)

// docCommands lists doc, watch and serve: reading notes, on demand, on every save, and live in
// a browser for a mob session.
func docCommands() []command {
	return []command{
		{"doc", "write reading notes for a notebook (roles, uses, I/O, TODOs, smells, duplicates); --write puts them into it", runDoc},
		{"watch", "re-render a notebook's reading notes on every save", runWatch},
		{"serve", "serve a notebook's live reading notes on 127.0.0.1, for a mob documentation session", runServe},
	}
}

type docOptions struct {
	out     string
	jsonOut bool
	write   bool
	dryRun  bool
	check   bool
}

func bindDocFlags(o *docOptions, env Env) *pflag.FlagSet {
	fs := newFlags("doc", "decant doc [flags] notebook.ipynb", env)
	fs.StringVarP(&o.out, "output", "o", "", "write the notes to this file instead of standard output")
	fs.BoolVar(&o.jsonOut, "json", false, "write the notes as JSON")
	fs.BoolVar(&o.write, "write", false, "write the notes into the notebook: a // TODO: line at each smell, label headings where suggested")
	fs.BoolVar(&o.dryRun, "dry-run", false, "with --write: print the diff of the changed cells; write nothing")
	fs.BoolVar(&o.check, "check", false, "exit 1 when the notebook has unlabeled code cells or severe smells (for CI and pre-commit hooks)")
	return fs
}

func runDoc(ctx context.Context, args []string, env Env) error {
	var o docOptions
	fs := bindDocFlags(&o, env)
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.check && fs.NArg() > 1 && !o.write && o.out == "" && !o.jsonOut {
		// Pre-commit passes every staged notebook at once: check each.
		var failed error
		for _, nb := range fs.Args() {
			if err := runDoc(ctx, []string{"--check", nb}, env); err != nil {
				failed = err
			}
		}
		return failed
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one notebook, got %d arguments", fs.NArg())
	}
	if o.dryRun && !o.write {
		return usagef("--dry-run goes with --write")
	}
	path := resolve(env, fs.Arg(0))
	if err := notOutputOf(path, o.out, env); err != nil {
		return err
	}
	nb, n, stamp, err := readNotes(ctx, path)
	if err != nil {
		return err
	}
	if o.write {
		if n, err = docWrite(ctx, path, nb, n, stamp, o.dryRun, env); err != nil {
			return err
		}
	}
	if !o.check || o.out != "" {
		if err := emitNotes(n, o.jsonOut, resolveOut(env, o.out), env); err != nil {
			return err
		}
	}
	if o.check {
		probs := n.Check()
		for _, p := range probs {
			fmt.Fprintf(env.Stderr, "%s: %s\n", fs.Arg(0), p)
		}
		if len(probs) > 0 {
			fmt.Fprintf(env.Stderr, "decant doc --check: %d problems\n", len(probs))
			return silentError(ExitProblem)
		}
		fmt.Fprintf(env.Stderr, "decant doc --check: %s is labeled and has no severe smells\n", fs.Arg(0))
	}
	return nil
}

func resolveOut(env Env, out string) string {
	if out == "" || out == "-" {
		return ""
	}
	return resolve(env, out)
}

// notOutputOf refuses an -o that names the notebook itself: the notes would replace it.
func notOutputOf(notebook, out string, env Env) error {
	if out == "" || out == "-" {
		return nil
	}
	if safefile.Same(notebook, resolveOut(env, out)) {
		return usagef("-o %s is the notebook itself; refusing to replace it with its notes", out)
	}
	return nil
}

// readNotes reads a notebook file and analyzes it. The stamp says what was read, so a write
// back can refuse to replace another writer's later edit.
func readNotes(ctx context.Context, path string) (*notebooks.Notebook, *notes.Notes, safefile.Stamp, error) {
	raw, stamp, err := safefile.ReadFile(ctx, path, 0)
	if err != nil {
		return nil, nil, stamp, fmt.Errorf("reading notebook: %w", err)
	}
	nb, err := notebooks.Parse(path, raw)
	if err != nil {
		return nil, nil, stamp, err
	}
	n, err := notes.Analyze(nb, raw)
	if err != nil {
		return nil, nil, stamp, err
	}
	return nb, n, stamp, nil
}

// docWrite annotates the notebook and writes it back atomically, or prints the diff. It
// returns the notes of the result.
func docWrite(ctx context.Context, path string, nb *notebooks.Notebook, n *notes.Notes, stamp safefile.Stamp, dryRun bool, env Env) (*notes.Notes, error) {
	before := map[*notebooks.Cell]string{}
	for _, c := range nb.Cells {
		before[c] = c.Source
	}
	changed := notes.Annotate(nb, n)
	name := filepath.Base(path)
	if len(changed) == 0 {
		fmt.Fprintf(env.Stderr, "%s already carries its notes: nothing to write\n", name)
		return n, nil
	}
	if dryRun {
		old, cur := map[string][]byte{}, map[string][]byte{}
		for _, i := range changed {
			c := nb.Cells[i]
			key := fmt.Sprintf("%s/cell-%03d.%s", name, i, map[bool]string{true: "go", false: "md"}[c.Type == "code"])
			if src, ok := before[c]; ok {
				old[key] = []byte(src + "\n")
			}
			cur[key] = []byte(c.Source + "\n")
		}
		fmt.Fprint(env.Stdout, udiff.Files(old, cur))
		fmt.Fprintf(env.Stderr, "--dry-run: %s not written (%d cells would change)\n", name, len(changed))
		return n, nil
	}
	if err := checkOwnership(ctx, path, nb, before, changed, stamp); err != nil {
		return nil, err
	}
	if err := notebooks.WriteFileExpect(path, nb, &stamp); err != nil {
		if errors.Is(err, safefile.ErrModified) {
			return nil, fmt.Errorf("%s changed while its notes were made (an editor's autosave?); nothing was written, run decant doc --write again: %w", name, err)
		}
		return nil, err
	}
	fmt.Fprintf(env.Stderr, "annotated %s: %d cells changed (%v)\n", name, len(changed), changed)
	_, n2, _, err := readNotes(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("re-reading the annotated notebook: %w", err)
	}
	return n2, nil
}

// emitNotes writes the notes as Markdown or JSON to a file (atomically) or standard output.
func emitNotes(n *notes.Notes, jsonOut bool, out string, env Env) error {
	data := n.Markdown()
	if jsonOut {
		js, err := n.JSON()
		if err != nil {
			return err
		}
		data = versionedJSON("notes", js)
	}
	if out == "" {
		_, err := env.Stdout.Write(data)
		return err
	}
	return writeAtomic(out, data)
}

func writeAtomic(path string, data []byte) error {
	if err := safefile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing notes: %w", err)
	}
	return nil
}

type watchOptions struct {
	out      string
	jsonOut  bool
	interval time.Duration
	debounce time.Duration
}

func runWatch(ctx context.Context, args []string, env Env) error {
	var o watchOptions
	fs := newFlags("watch", "decant watch [flags] notebook.ipynb", env)
	fs.StringVarP(&o.out, "output", "o", "", "file to keep up to date (default: print the notes on every change)")
	fs.BoolVar(&o.jsonOut, "json", false, "write the notes as JSON")
	fs.DurationVar(&o.interval, "interval", 200*time.Millisecond, "how often to look at the notebook")
	fs.DurationVar(&o.debounce, "debounce", 300*time.Millisecond, "how long a change must settle before the notes are redone")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one notebook, got %d arguments", fs.NArg())
	}
	path := resolve(env, fs.Arg(0))
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("reading notebook: %w", err)
	}
	if err := notOutputOf(path, o.out, env); err != nil {
		return err
	}
	out := resolveOut(env, o.out)
	fmt.Fprintf(env.Stderr, "watching %s (Ctrl-C to stop)\n", fs.Arg(0))
	var werr error
	err := live.Watch(ctx, path, live.WatchOptions{Interval: o.interval, Debounce: o.debounce}, func(data []byte, err error) {
		if werr != nil {
			return
		}
		var n *notes.Notes
		if err == nil {
			var nb *notebooks.Notebook
			if nb, err = notebooks.Parse(path, data); err == nil {
				n, err = notes.Analyze(nb, data)
			}
		}
		stamp := env.now().Format("15:04:05")
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s %s does not read: %v\n", stamp, fs.Arg(0), err)
			return
		}
		if out == "" {
			fmt.Fprintf(env.Stdout, "\n<!-- notes for %s at %s -->\n", fs.Arg(0), stamp)
		}
		if werr = emitNotes(n, o.jsonOut, out, env); werr != nil {
			return
		}
		fmt.Fprintf(env.Stderr, "%s notes updated: %d smells, %d duplicated blocks\n", stamp, len(n.Smells()), len(n.Duplicates))
	})
	if werr != nil {
		return werr
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

func runServe(ctx context.Context, args []string, env Env) error {
	addr := ""
	fs := newFlags("serve", "decant serve [flags] notebook.ipynb", env)
	fs.StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on, on this machine only (port 0 picks a free one)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one notebook, got %d arguments", fs.NArg())
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("--addr %q: the notes are served on this machine only (use 127.0.0.1; share the port with your session tool)", addr)
	}
	path := resolve(env, fs.Arg(0))
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("reading notebook: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ls := live.NewServer(path, live.WatchOptions{})
	// Answer only requests addressed to the loopback address itself: a page elsewhere that
	// rebinds its own name to 127.0.0.1 must not read the notes.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	srv := &http.Server{Handler: loopback.Guard(ls, port), ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(ls.Close)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		ls.Run(ctx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(env.Stdout, "serving the reading notes of %s at http://%s/ (Ctrl-C to stop)\n", fs.Arg(0), ln.Addr())
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		cancel()
		<-watchDone
		return fmt.Errorf("serving notes: %w", err)
	}
	ls.Close()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	err = srv.Shutdown(sctx)
	<-watchDone
	if err != nil {
		return fmt.Errorf("stopping the notes server: %w", err)
	}
	return nil
}

// checkOwnership makes sure that writing nb back changes only the cells doc --write says it
// changed: the file must be valid UTF-8 (decoding replaces invalid bytes, so they would be
// rewritten in cells doc never touched), and every other cell must come back from the
// written bytes with the same source.
func checkOwnership(ctx context.Context, path string, nb *notebooks.Notebook, before map[*notebooks.Cell]string, changed []int, stamp safefile.Stamp) error {
	name := filepath.Base(path)
	raw, now, err := safefile.ReadFile(ctx, path, 0)
	if err != nil {
		return fmt.Errorf("re-reading %s: %w", name, err)
	}
	if now.Sum != stamp.Sum {
		return fmt.Errorf("%s changed while its notes were made (an editor's autosave?); nothing was written, run decant doc --write again: %w", name, safefile.ErrModified)
	}
	if !utf8.Valid(raw) {
		off := 0
		for off < len(raw) {
			r, size := utf8.DecodeRune(raw[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		line := bytes.Count(raw[:off], []byte("\n")) + 1
		return fmt.Errorf("%s:%d: the file is not valid UTF-8 (byte %d); writing notes into it would replace those bytes in cells decant does not change, so nothing was written (re-save the notebook as UTF-8)", name, line, off)
	}
	out, err := notebooks.Format(nb)
	if err != nil {
		return err
	}
	back, err := notebooks.Parse(path, out)
	if err != nil {
		return fmt.Errorf("the annotated notebook does not read back: %w", err)
	}
	isChanged := map[int]bool{}
	for _, i := range changed {
		isChanged[i] = true
	}
	if len(back.Cells) != len(nb.Cells) {
		return fmt.Errorf("annotating %s would change its number of cells unexpectedly; nothing was written", name)
	}
	for i, c := range nb.Cells {
		if isChanged[i] {
			continue
		}
		if src, ok := before[c]; ok && back.Cells[i].Source != src {
			return fmt.Errorf("annotating %s would change cell %d, which it does not own; nothing was written", name, i)
		}
	}
	return nil
}
