// Command sweep runs Decant's hostile-input and fault cases end to end, as a user (or an
// attacker) would: the decant binary on a fresh temporary directory with a fresh HOME. Each case
// prints PASS or FAIL with the reason, and the last line says how many held:
//
//	N passed, M failed
//
// It is `make sweep`, not part of `make test`: it runs real processes, signals and the go
// command, and takes a few minutes.
//
//	go run ./scripts/sweep [-decant path/to/decant] [-run regexp] [-keep]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

var (
	decantFlag = flag.String("decant", "", "decant binary (default: built from this module)")
	runFlag    = flag.String("run", "", "run only the cases whose name matches this regexp")
	keepFlag   = flag.Bool("keep", false, "keep the temporary directory")
)

type sweep struct {
	bin  string // decant binary
	root string // fresh temporary directory
	demo string // the demo notebook's folder (notebook and data)
	env  []string
	n    int
}

type result struct {
	code   int
	stdout string
	stderr string
	dur    time.Duration
}

func main() {
	flag.Parse()
	root, err := os.MkdirTemp("", "decant-sweep-")
	check(err)
	if !*keepFlag {
		defer os.RemoveAll(root)
	} else {
		fmt.Println("working in", root)
	}
	s := &sweep{root: root}
	s.env = freshEnv(root)
	s.bin = *decantFlag
	if s.bin == "" {
		s.bin = filepath.Join(root, "bin", "decant")
		cmd := exec.Command("go", "build", "-o", s.bin, "./cmd/decant")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		check(cmd.Run())
	}
	s.demo = filepath.Join(root, "demo")
	check(os.MkdirAll(s.demo, 0o755))
	for _, f := range []string{"churn.ipynb", "churn.db"} {
		b, err := os.ReadFile(filepath.Join("testdata", "demo", f))
		check(err)
		check(os.WriteFile(filepath.Join(s.demo, f), b, 0o644))
	}

	var re *regexp.Regexp
	if *runFlag != "" {
		re = regexp.MustCompile(*runFlag)
	}
	passed, failed := 0, 0
	for _, c := range cases {
		if re != nil && !re.MatchString(c.name) {
			continue
		}
		start := time.Now()
		err := func() (err error) {
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("panic: %v", v)
				}
			}()
			return c.run(s)
		}()
		if err != nil {
			failed++
			fmt.Printf("FAIL %-40s %v\n", c.name, err)
		} else {
			passed++
			fmt.Printf("PASS %-40s (%s)\n", c.name, time.Since(start).Round(time.Millisecond))
		}
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(2)
	}
}

// freshEnv is the process environment with a fresh HOME and GOBIN unset; the go caches stay,
// so the sweep does not download the world.
func freshEnv(root string) []string {
	home := filepath.Join(root, "home")
	os.MkdirAll(home, 0o755)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "GOBIN", "NO_COLOR", "TERM":
			continue
		}
		env = append(env, kv)
	}
	if c, err := os.UserCacheDir(); err == nil && os.Getenv("GOCACHE") == "" {
		env = append(env, "GOCACHE="+filepath.Join(c, "go-build"))
	}
	if os.Getenv("GOMODCACHE") == "" {
		if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
			env = append(env, "GOMODCACHE="+strings.TrimSpace(string(out)))
		}
	}
	return append(env, "HOME="+home, "TMPDIR="+filepath.Join(root, "tmp"), "SOURCE_DATE_EPOCH=1767225600")
}

// dir makes a fresh directory for a case, with a copy of the demo notebook and its data.
func (s *sweep) dir() string {
	s.n++
	d := filepath.Join(s.root, fmt.Sprintf("case%02d", s.n))
	check(os.MkdirAll(d, 0o755))
	os.MkdirAll(filepath.Join(s.root, "tmp"), 0o755)
	for _, f := range []string{"churn.ipynb", "churn.db"} {
		b, _ := os.ReadFile(filepath.Join(s.demo, f))
		check(os.WriteFile(filepath.Join(d, f), b, 0o644))
	}
	return d
}

// cmd makes a decant command in dir.
func (s *sweep) cmd(ctx context.Context, dir string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, s.bin, args...)
	c.Dir = dir
	c.Env = s.env
	return c
}

// run runs decant in dir with a time limit and returns what it did.
func (s *sweep) run(dir string, limit time.Duration, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	c := s.cmd(ctx, dir, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	start := time.Now()
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String(), dur: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code = -1
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		r.code = -2
	}
	return r
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s; stderr: %s", r.code, r.dur.Round(time.Millisecond), firstLines(r.stderr, 3))
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

func same(path string, want []byte) error {
	got, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s changed", filepath.Base(path))
	}
	return nil
}

// oneJSON checks that s is exactly one JSON object with schema_version 1.
func oneJSON(s string) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("stdout is not JSON: %v (%q)", err, firstLines(s, 1))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the JSON document")
	}
	if doc["schema_version"] != float64(1) {
		return nil, fmt.Errorf("schema_version %v", doc["schema_version"])
	}
	return doc, nil
}

// extractArgs are the flags of a fast extraction.
var extractArgs = []string{"extract", "--no-verify", "--refactor=none", "-q"}

type sweepCase struct {
	name string
	run  func(s *sweep) error
}

var cases = []sweepCase{
	{"doc -o names the notebook", func(s *sweep) error {
		d := s.dir()
		orig, _ := os.ReadFile(filepath.Join(d, "churn.ipynb"))
		for _, args := range [][]string{{"doc", "-o", "churn.ipynb", "churn.ipynb"}, {"doc", "--write", "-o", "churn.ipynb", "churn.ipynb"}, {"watch", "-o", "./churn.ipynb", "churn.ipynb"}} {
			if r := s.run(d, time.Minute, args...); r.code == 0 {
				return fmt.Errorf("%v: %s", args, r)
			}
			if err := same(filepath.Join(d, "churn.ipynb"), orig); err != nil {
				return fmt.Errorf("%v: %w", args, err)
			}
		}
		return nil
	}},
	{"-o /dev/null stays a device", func(s *sweep) error {
		before, err := os.Stat(os.DevNull)
		if err != nil {
			return nil
		}
		if r := s.run(s.dir(), time.Minute, "doc", "-o", os.DevNull, "churn.ipynb"); r.code != 0 {
			return errors.New(r.String())
		}
		after, err := os.Stat(os.DevNull)
		if err != nil || !os.SameFile(before, after) || after.Mode()&fs.ModeCharDevice == 0 {
			return errors.New("/dev/null was replaced")
		}
		return nil
	}},
	{"-o symlink stays a link", func(s *sweep) error {
		d := s.dir()
		os.WriteFile(filepath.Join(d, "target.md"), nil, 0o644)
		os.Symlink("target.md", filepath.Join(d, "notes.md"))
		if r := s.run(d, time.Minute, "doc", "-o", "notes.md", "churn.ipynb"); r.code != 0 {
			return errors.New(r.String())
		}
		fi, _ := os.Lstat(filepath.Join(d, "notes.md"))
		if fi == nil || fi.Mode()&fs.ModeSymlink == 0 {
			return errors.New("the link became a regular file")
		}
		if b, _ := os.ReadFile(filepath.Join(d, "target.md")); len(b) == 0 {
			return errors.New("the link's target got nothing")
		}
		return nil
	}},
	{"-o FIFO without reader", func(s *sweep) error {
		d := s.dir()
		p := filepath.Join(d, "pipe")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			return nil
		}
		r := s.run(d, 20*time.Second, "doc", "-o", "pipe", "churn.ipynb")
		if r.code <= 0 {
			return fmt.Errorf("want a prompt refusal: %s", r)
		}
		if fi, _ := os.Lstat(p); fi == nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			return errors.New("the FIFO was replaced")
		}
		return nil
	}},
	{"notebook is a FIFO, /dev/zero, a directory", func(s *sweep) error {
		d := s.dir()
		syscall.Mkfifo(filepath.Join(d, "fifo.ipynb"), 0o644)
		for _, args := range [][]string{{"doc", "fifo.ipynb"}, {"plan", "fifo.ipynb"}, {"extract", "--no-verify", "fifo.ipynb"}, {"doc", "/dev/zero"}, {"plan", "/dev/zero"}, {"doc", "."}} {
			r := s.run(d, 20*time.Second, args...)
			if r.code <= 0 || !strings.Contains(r.stderr, "not a regular file") {
				return fmt.Errorf("%v: %s", args, r)
			}
		}
		return nil
	}},
	{"read-only notebook and -o target", func(s *sweep) error {
		d := s.dir()
		nb := filepath.Join(d, "churn.ipynb")
		orig, _ := os.ReadFile(nb)
		os.Chmod(nb, 0o444)
		if r := s.run(d, time.Minute, "doc", "--write", "churn.ipynb"); r.code == 0 && !strings.Contains(r.stderr, "nothing to write") {
			return fmt.Errorf("read-only notebook written: %s", r)
		}
		if err := same(nb, orig); err != nil {
			return err
		}
		ro := filepath.Join(d, "ro.md")
		os.WriteFile(ro, []byte("keep"), 0o444)
		if r := s.run(d, time.Minute, "doc", "-o", "ro.md", "churn.ipynb"); r.code == 0 {
			return fmt.Errorf("read-only -o written: %s", r)
		}
		return same(ro, []byte("keep"))
	}},
	{"doc --write on invalid UTF-8", func(s *sweep) error {
		d := s.dir()
		nb := filepath.Join(d, "churn.ipynb")
		b, _ := os.ReadFile(nb)
		i := bytes.Index(b, []byte(`"# `))
		if i < 0 {
			return errors.New("no heading in the demo")
		}
		bad := append(append(bytes.Clone(b[:i+3]), 0xff), b[i+3:]...)
		os.WriteFile(nb, bad, 0o644)
		if r := s.run(d, time.Minute, "doc", "--write", "churn.ipynb"); r.code == 0 && !strings.Contains(r.stderr, "nothing to write") {
			return fmt.Errorf("rewritten: %s", r)
		}
		return same(nb, bad)
	}},
	{"parallel first extractions", func(s *sweep) error {
		d := s.dir()
		const n = 4
		var wg sync.WaitGroup
		results := make([]result, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = s.run(d, 5*time.Minute, append(extractArgs, "--repo", "svc", "churn.ipynb")...)
			}()
		}
		wg.Wait()
		repo, err := git.PlainOpen(filepath.Join(d, "svc"))
		if err != nil {
			return err
		}
		onBranch, err := history(repo, "decant/churn")
		if err != nil {
			return err
		}
		if _, err := repo.Reference(plumbing.NewBranchReferenceName("main"), true); err != nil {
			return errors.New("no main")
		}
		for i, r := range results {
			m := regexp.MustCompile(`committed ([0-9a-f]+) `).FindStringSubmatch(r.stdout)
			if r.code != 0 {
				if !strings.Contains(r.stderr, "concurrent") && !strings.Contains(r.stderr, "lock") {
					return fmt.Errorf("run %d: %s", i, r)
				}
				continue
			}
			if m != nil && !hasPrefix(onBranch, m[1]) {
				return fmt.Errorf("run %d says committed %s, which is not on the branch", i, m[1])
			}
		}
		return gitFsck(filepath.Join(d, "svc"))
	}},
	{"SIGKILL during repository creation", func(s *sweep) error {
		d := s.dir()
		for i := range 6 {
			repoDir := filepath.Join(d, fmt.Sprintf("svc%d", i))
			c := s.cmd(context.Background(), d, append(extractArgs, "--repo", repoDir, "churn.ipynb")...)
			if err := c.Start(); err != nil {
				return err
			}
			time.Sleep(time.Duration(200+i*150) * time.Millisecond)
			c.Process.Signal(syscall.SIGKILL)
			c.Wait()
			if r := s.run(d, 5*time.Minute, append(extractArgs, "--repo", repoDir, "churn.ipynb")...); r.code != 0 {
				return fmt.Errorf("rerun after kill %d: %s", i, r)
			}
			repo, err := git.PlainOpen(repoDir)
			if err != nil {
				return err
			}
			head, _ := repo.Storer.Reference(plumbing.HEAD)
			if head == nil || head.Target() != plumbing.NewBranchReferenceName("main") {
				return fmt.Errorf("kill %d: HEAD is %v, want main", i, head)
			}
			if _, err := os.Stat(filepath.Join(repoDir, "churn", "prediction.go")); err != nil {
				return fmt.Errorf("kill %d: working tree incomplete", i)
			}
		}
		return nil
	}},
	{"re-extract in a clone builds on origin", func(s *sweep) error {
		d := s.dir()
		if r := s.run(d, 5*time.Minute, append(extractArgs, "--repo", "svc", "churn.ipynb")...); r.code != 0 {
			return errors.New(r.String())
		}
		origin, _ := git.PlainOpen(filepath.Join(d, "svc"))
		tip, err := origin.Reference(plumbing.NewBranchReferenceName("decant/churn"), true)
		if err != nil {
			return err
		}
		if _, err := git.PlainClone(filepath.Join(d, "clone"), false, &git.CloneOptions{URL: filepath.Join(d, "svc")}); err != nil {
			return err
		}
		// Change the notebook a little: a new markdown cell.
		nb := filepath.Join(d, "churn.ipynb")
		b, _ := os.ReadFile(nb)
		b = bytes.Replace(b, []byte(`"cells": [`), []byte(`"cells": [{"cell_type": "markdown", "id": "sweep-added", "metadata": {}, "source": "Re-extracted."},`), 1)
		os.WriteFile(nb, b, 0o644)
		r := s.run(d, 5*time.Minute, append(extractArgs, "--repo", "clone", "churn.ipynb")...)
		if r.code != 0 {
			return errors.New(r.String())
		}
		clone, _ := git.PlainOpen(filepath.Join(d, "clone"))
		ref, err := clone.Reference(plumbing.NewBranchReferenceName("decant/churn"), true)
		if err != nil {
			return err
		}
		hist, _ := history(clone, "decant/churn")
		if !hist[tip.Hash().String()] {
			return fmt.Errorf("the clone's %s does not descend from origin's %s (a new root?)", ref.Hash(), tip.Hash())
		}
		return nil
	}},
	{"git's ref lock is respected", func(s *sweep) error {
		d := s.dir()
		if r := s.run(d, 5*time.Minute, append(extractArgs, "--repo", "svc", "churn.ipynb")...); r.code != 0 {
			return errors.New(r.String())
		}
		repo, _ := git.PlainOpen(filepath.Join(d, "svc"))
		before, _ := repo.Reference(plumbing.NewBranchReferenceName("decant/churn"), true)
		lock := filepath.Join(d, "svc", ".git", "refs", "heads", "decant", "churn.lock")
		os.WriteFile(lock, nil, 0o644)
		nb := filepath.Join(d, "churn.ipynb")
		b, _ := os.ReadFile(nb)
		os.WriteFile(nb, bytes.Replace(b, []byte(`"cells": [`), []byte(`"cells": [{"cell_type": "markdown", "id": "lock", "metadata": {}, "source": "x"},`), 1), 0o644)
		r := s.run(d, 5*time.Minute, append(extractArgs, "--repo", "svc", "churn.ipynb")...)
		after, _ := repo.Reference(plumbing.NewBranchReferenceName("decant/churn"), true)
		if r.code == 0 || after.Hash() != before.Hash() {
			return fmt.Errorf("branch moved while git held its lock: %s", r)
		}
		if _, err := os.Stat(lock); err != nil {
			return errors.New("git's lock file was removed")
		}
		return nil
	}},
	{"extract --json is one document", func(s *sweep) error {
		d := s.dir()
		for _, args := range [][]string{
			{"extract", "--json", "--no-verify", "--refactor=none", "--repo", "svc", "churn.ipynb"},
			{"extract", "--json", "--no-verify", "--refactor=none", "--repo", "svc", "churn.ipynb"},
			{"plan", "--json", "churn.ipynb"},
			{"doc", "--json", "churn.ipynb"},
			{"plan", "--json", "missing.ipynb"},
			{"extract", "--json", "--frobnicate"},
		} {
			r := s.run(d, 5*time.Minute, args...)
			if _, err := oneJSON(r.stdout); err != nil {
				return fmt.Errorf("%v: %v", args, err)
			}
		}
		return nil
	}},
	{"serve refuses other Host and Origin", func(s *sweep) error {
		d := s.dir()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := s.cmd(ctx, d, "serve", "churn.ipynb")
		out, _ := c.StdoutPipe()
		if err := c.Start(); err != nil {
			return err
		}
		defer func() { c.Process.Signal(os.Interrupt); c.Wait() }()
		line, _ := bufio.NewReader(out).ReadString('\n')
		m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(line)
		if m == nil {
			return fmt.Errorf("no URL in %q", line)
		}
		for _, h := range [][2]string{{"Host", "evil.example"}, {"Origin", "http://evil.example"}, {"", ""}} {
			req, _ := http.NewRequest("GET", "http://"+m[1]+"/notes.md", nil)
			want := http.StatusForbidden
			switch h[0] {
			case "Host":
				req.Host = h[1]
			case "Origin":
				req.Header.Set("Origin", h[1])
			default:
				want = 0 // the real address is served
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			res.Body.Close()
			if want != 0 && res.StatusCode != want || want == 0 && res.StatusCode == http.StatusForbidden {
				return fmt.Errorf("%s %q: status %d", h[0], h[1], res.StatusCode)
			}
		}
		return nil
	}},
	{"doc on 3,000 cells within 2x plan", func(s *sweep) error {
		d := s.dir()
		nb := filepath.Join(d, "big.ipynb")
		check(os.WriteFile(nb, bigNotebook(3000), 0o644))
		p := s.run(d, 5*time.Minute, "plan", "big.ipynb")
		dc := s.run(d, 5*time.Minute, "doc", "big.ipynb")
		if p.code != 0 || dc.code != 0 {
			return fmt.Errorf("plan %s; doc %s", p, dc)
		}
		ratio := dc.dur.Seconds() / p.dur.Seconds()
		fmt.Printf("     doc %s, plan %s: doc/plan = %.2f\n", dc.dur.Round(time.Millisecond), p.dur.Round(time.Millisecond), ratio)
		if ratio > 2.5 { // 2 is the target; the margin absorbs a loaded machine
			return fmt.Errorf("doc/plan = %.2f", ratio)
		}
		return nil
	}},
	{"interrupting extract", func(s *sweep) error {
		d := s.dir()
		tmp := filepath.Join(d, "tmp")
		os.MkdirAll(tmp, 0o755)
		c := s.cmd(context.Background(), d, "extract", "--refactor=none", "--repo", "svc", "churn.ipynb")
		c.Env = append(c.Env, "TMPDIR="+tmp)
		var errb syncBuffer
		c.Stderr = &errb
		if err := c.Start(); err != nil {
			return err
		}
		for deadline := time.Now().Add(3 * time.Minute); !strings.Contains(errb.String(), "verifying") && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		c.Process.Signal(os.Interrupt)
		c.Wait()
		if strings.Contains(errb.String(), "does not pass its checks") || !strings.Contains(errb.String(), "interrupted") {
			return fmt.Errorf("stderr: %s", firstLines(errb.String(), 6))
		}
		time.Sleep(200 * time.Millisecond)
		ents, _ := os.ReadDir(tmp)
		for _, e := range ents {
			return fmt.Errorf("left in TMPDIR: %s", e.Name())
		}
		return nil
	}},
	{"a second Ctrl-C exits at once", func(s *sweep) error {
		d := s.dir()
		c := s.cmd(context.Background(), d, "extract", "--refactor=none", "--repo", "svc2", "churn.ipynb")
		var errb syncBuffer
		c.Stderr = &errb
		if err := c.Start(); err != nil {
			return err
		}
		for deadline := time.Now().Add(3 * time.Minute); !strings.Contains(errb.String(), "verifying") && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		c.Process.Signal(os.Interrupt)
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		c.Process.Signal(os.Interrupt)
		err := c.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 && ee.ExitCode() != 1 {
			return fmt.Errorf("exit %v", err)
		}
		if time.Since(start) > 2*time.Second {
			return fmt.Errorf("took %s after the second signal", time.Since(start))
		}
		return nil
	}},
	{"emitted service answers JSON only", func(s *sweep) error {
		d := s.dir()
		if r := s.run(d, 5*time.Minute, append(extractArgs, "--repo", "svc", "churn.ipynb")...); r.code != 0 {
			return errors.New(r.String())
		}
		srvBin := filepath.Join(d, "server")
		build := exec.Command("go", "build", "-o", srvBin, "./cmd/server")
		build.Dir, build.Env = filepath.Join(d, "svc"), s.env
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building the server: %v\n%s", err, out)
		}
		// No artifact, no start: train it first, as the server's own message says.
		train := exec.Command("go", "run", "../cmd/churn", "train", "-model-url", "model")
		train.Dir, train.Env = filepath.Join(d, "svc", "churn"), s.env
		if out, err := train.CombinedOutput(); err != nil {
			return fmt.Errorf("training: %v\n%s", err, out)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr := ln.Addr().String()
		ln.Close()
		// From the package directory, as make demo runs it: the notebook's data files are
		// relative to it.
		srv := exec.Command(srvBin, "-addr", addr)
		srv.Dir, srv.Env = filepath.Join(d, "svc", "churn"), append(s.env, "ADDR="+addr)
		var srvErr syncBuffer
		srv.Stderr = &srvErr
		if err := srv.Start(); err != nil {
			return err
		}
		defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
		var conn net.Conn
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if conn, err = net.Dial("tcp", addr); err == nil {
				conn.Close()
				break
			}
		}
		if err != nil {
			return fmt.Errorf("server did not listen on %s: %v; its stderr: %s", addr, err, firstLines(srvErr.String(), 4))
		}
		for _, req := range []string{
			"GET /v1/../healthz HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET //healthz HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n",
			"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n",
			"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n",
			"DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
		} {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			go io.WriteString(conn, req)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				conn.Close()
				return fmt.Errorf("%q: %v", firstLines(req, 1), err)
			}
			body, _ := io.ReadAll(res.Body)
			conn.Close()
			if res.Header.Get("Content-Type") != "application/json" || !json.Valid(body) {
				return fmt.Errorf("%q: %d %q %q", firstLines(req, 1), res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		}
		return nil
	}},
	{"--help on stdout, bare decant exit 2", func(s *sweep) error {
		d := s.dir()
		for _, name := range []string{"extract", "plan", "doc", "watch", "serve", "run", "load", "score", "refactor", "dupes", "kernel", "completion"} {
			r := s.run(d, time.Minute, name, "--help")
			if r.code != 0 || !strings.Contains(r.stdout, "Usage") || r.stderr != "" {
				return fmt.Errorf("%s --help: %s", name, r)
			}
		}
		r := s.run(d, time.Minute)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "Usage") {
			return fmt.Errorf("bare decant: %s", r)
		}
		return nil
	}},
	{"version and completion", func(s *sweep) error {
		d := s.dir()
		r := s.run(d, time.Minute, "version")
		if r.code != 0 || !regexp.MustCompile(`^decant \S+ \((git [0-9a-f]{12}|no VCS revision recorded)`).MatchString(r.stdout) {
			return fmt.Errorf("version: %q", r.stdout)
		}
		for _, sh := range []string{"bash", "zsh", "fish"} {
			if r := s.run(d, time.Minute, "completion", sh); r.code != 0 || !strings.Contains(r.stdout, "extract") {
				return fmt.Errorf("completion %s: %s", sh, r)
			}
		}
		return nil
	}},
}

// history returns the commits reachable from branch.
func history(repo *git.Repository, branch string) (map[string]bool, error) {
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		return nil, err
	}
	iter, err := repo.Log(&git.LogOptions{From: ref.Hash()})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	err = iter.ForEach(func(c *object.Commit) error { out[c.Hash.String()] = true; return nil })
	return out, err
}

func hasPrefix(set map[string]bool, prefix string) bool {
	for h := range set {
		if strings.HasPrefix(h, prefix) {
			return true
		}
	}
	return false
}

// gitFsck runs git fsck when git is installed (the sweep itself never needs it).
func gitFsck(dir string) error {
	if _, err := exec.LookPath("git"); err != nil {
		return nil
	}
	out, err := exec.Command("git", "-C", dir, "fsck", "--strict").CombinedOutput()
	if err != nil {
		return fmt.Errorf("git fsck: %v\n%s", err, out)
	}
	return nil
}

// bigNotebook is a generated GoNB notebook of n cells.
func bigNotebook(n int) []byte {
	labels := []string{"## 1. Preparation", "## 2. Preprocessing", "## 3. Calculation"}
	var cells []map[string]any
	for i := range n {
		c := map[string]any{"id": fmt.Sprintf("c%d", i), "metadata": map[string]any{}}
		switch {
		case i%50 == 0:
			c["cell_type"], c["source"] = "markdown", labels[(i/50)%3]
		case i%7 == 0:
			c["cell_type"], c["source"] = "markdown", fmt.Sprintf("Notes about step %d.", i)
		case i%3 == 0:
			c["cell_type"], c["outputs"], c["execution_count"] = "code", []any{}, nil
			c["source"] = fmt.Sprintf("%%%%\nx%d := compute%d(%d)\nfmt.Println(x%d)", i, i-1, i, i)
		default:
			c["cell_type"], c["outputs"], c["execution_count"] = "code", []any{}, nil
			c["source"] = fmt.Sprintf("func compute%d(v int) int {\n\ttotal := 0\n\tfor i := 0; i < v; i++ {\n\t\ttotal += i * %d\n\t}\n\treturn total\n}", i, i%5)
		}
		cells = append(cells, c)
	}
	b, _ := json.MarshalIndent(map[string]any{"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{
		"kernelspec": map[string]any{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}}, "", " ")
	return b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
