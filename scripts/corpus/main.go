// Command corpus runs decant extract over the development corpus of real third-party
// notebooks listed in testdata/corpus/manifest.json and prints one line per notebook: built,
// refused (with the cell-located reason) or failed, and the time it took.
//
// Each notebook is fetched with `go mod download module@version` into the module cache (never
// into the repository), checked against its sha256, extracted in place with --auto-label and
// full verification into a temporary repository, and the result is built with go build.
//
//	go run ./scripts/corpus -decant bin/decant [-run regexp] [-timeout 5m]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

type entry struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	// Env is set for decant (and so for the service's verification) unless the environment
	// already sets the variable: what this kind of machine needs to run the notebook, such as
	// a library backend that needs no download.
	Env map[string]string `json:"env,omitempty"`
}

type result struct {
	name, outcome, reason string
	took                  time.Duration
}

var cellLocated = regexp.MustCompile(`cell \d+(, line \d+)?`)

func main() {
	manifest := flag.String("manifest", "testdata/corpus/manifest.json", "the corpus manifest")
	decant := flag.String("decant", "decant", "the decant binary")
	run := flag.String("run", "", "only notebooks whose module@version/path matches this regexp")
	timeout := flag.Duration("timeout", 5*time.Minute, "time allowed per notebook")
	extra := flag.String("args", "", "extra arguments for decant extract, space separated")
	flag.Parse()

	data, err := os.ReadFile(*manifest)
	if err != nil {
		fatal(err)
	}
	var m struct {
		Notebooks []entry `json:"notebooks"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		fatal(fmt.Errorf("%s: %w", *manifest, err))
	}
	filter := regexp.MustCompile(*run)
	var results []result
	for _, e := range m.Notebooks {
		name := e.Module + "@" + e.Version + "/" + e.Path
		if !filter.MatchString(name) {
			continue
		}
		r := one(e, *decant, *timeout, strings.Fields(*extra))
		r.name = name
		fmt.Fprintf(os.Stderr, "%-8s %6.1fs %s\n", r.outcome, r.took.Seconds(), name)
		results = append(results, r)
	}
	counts := map[string]int{}
	fmt.Printf("\n| notebook | result | time | reason |\n|---|---|---|---|\n")
	for _, r := range results {
		counts[r.outcome]++
		fmt.Printf("| %s | %s | %.1fs | %s |\n", r.name, r.outcome, r.took.Seconds(), strings.ReplaceAll(r.reason, "|", "\\|"))
	}
	fmt.Printf("\n%d notebooks: %d built, %d refused, %d failed\n", len(results), counts["built"], counts["refused"], counts["failed"])
	if counts["failed"] > 0 {
		os.Exit(1)
	}
}

func one(e entry, decant string, timeout time.Duration, extra []string) result {
	start := time.Now()
	fail := func(outcome, reason string) result {
		return result{outcome: outcome, reason: reason, took: time.Since(start)}
	}
	var dl struct{ Dir, Error string }
	out, err := exec.Command("go", "mod", "download", "-json", e.Module+"@"+e.Version).Output()
	if jerr := json.Unmarshal(out, &dl); jerr != nil || dl.Dir == "" {
		return fail("failed", fmt.Sprintf("go mod download: %v %s", err, dl.Error))
	}
	nb := filepath.Join(dl.Dir, filepath.FromSlash(e.Path))
	raw, err := os.ReadFile(nb)
	if err != nil {
		return fail("failed", err.Error())
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != e.SHA256 {
		return fail("failed", "sha256 mismatch: the module cache holds another file than the manifest pins")
	}
	tmp, err := os.MkdirTemp("", "decant-corpus-")
	if err != nil {
		return fail("failed", err.Error())
	}
	defer os.RemoveAll(tmp)
	repo := filepath.Join(tmp, "service")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append([]string{"extract", "--auto-label", "--quiet", "--repo", repo}, extra...)
	cmd := exec.CommandContext(ctx, decant, append(args, nb)...)
	cmd.Env = os.Environ()
	for k, v := range e.Env {
		if _, set := os.LookupEnv(k); !set {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start = time.Now()
	err = cmd.Run()
	took := time.Since(start)
	text := strings.TrimSpace(buf.String())
	if ctx.Err() != nil {
		return result{outcome: "failed", reason: fmt.Sprintf("timeout after %s", timeout), took: took}
	}
	if err != nil {
		reason := firstLocated(text)
		if reason == "" {
			return result{outcome: "failed", reason: firstLine(text), took: took}
		}
		return result{outcome: "refused", reason: reason, took: took}
	}
	build := exec.Command("go", "build", "./...")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		return result{outcome: "failed", reason: "go build: " + firstLine(string(out)), took: took}
	}
	return result{outcome: "built", took: took}
}

// firstLocated returns the first line of decant's output that names a cell, the shape of a
// refusal; an error that names none is a failure of Decant's.
func firstLocated(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if cellLocated.MatchString(l) && !strings.Contains(l, "cell -1") {
			return shorten(strings.TrimSpace(l))
		}
	}
	return ""
}

// firstLine returns the first line that is not a progress message.
func firstLine(s string) string {
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasSuffix(l, "...") && !strings.HasSuffix(l, ":") {
			return shorten(l)
		}
	}
	return ""
}

func shorten(s string) string {
	if len(s) > 240 {
		return s[:240] + "…"
	}
	return s
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "corpus:", err)
	os.Exit(2)
}
