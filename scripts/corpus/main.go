// Command corpus runs decant extract over the development corpus of real third-party
// notebooks listed in testdata/corpus/manifest.json and prints one line per notebook: built,
// refused (with the cell-located reason) or failed, and the time it took.
//
// A notebook whose branch builds but whose full replay could not run here (decant extract
// warns that the pipeline's run was not verified: the network, a plugin or a data file this
// machine lacks) is classed "built, run unverified (environment)": it counts as a branch that
// builds, and apart from the runs verified.
//
// A refusal is classed as "refused: environment" when its reason is that this machine lacks
// something the notebook needs and Decant cannot supply (a C library, a library that does not
// build or pass here); as "refused: notebook's code" when Decant located the reason in the
// notebook's own code and no choice of Decant's can change it (no published version of a
// library has the API the notebook calls, or go vet reports a finding at a cell's line); and
// "refused: other" otherwise. The summary counts each class. With -json FILE the results are also written as JSON, for comparing runs.
//
// Each notebook is fetched with `go mod download module@version` into the module cache (never
// into the repository), checked against its sha256, extracted in place with --auto-label and
// full verification into a temporary repository, and the result is built with go build.
//
// Each notebook runs with a fresh HOME and TMPDIR (and XDG directories inside that HOME), so
// what one notebook downloads, or leaves half-downloaded, cannot change another's result; the
// go command's caches and settings (GOMODCACHE, GOCACHE, GOPATH, GOENV, GOFLAGS, GOPROXY...)
// stay where they are, so they stay warm. Libraries that expand ~ through os/user (GoMLX's data
// directories, ~/work/...) read the home directory from /etc/passwd, not $HOME: where the
// machine allows a private mount namespace (unshare), each notebook also sees an /etc/passwd
// naming its fresh home; elsewhere the runner says that those directories stay shared.
//
//	go run ./scripts/corpus -decant bin/decant [-run regexp] [-timeout 5m] [-json report.json]
//
// The summary prints the share of notebooks whose branch builds and of those whose run was
// verified too.
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
	"sort"
	"strconv"
	"strings"
	"time"
)

type entry struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Kernel  string `json:"kernel"`
	// Triage is the last manual reading of a notebook that does not build: "Decant bug",
	// "environment" or "stale", with a few words of why. It is shown beside the result.
	Triage string `json:"triage,omitempty"`
}

type result struct {
	name, kernel, outcome, reason, triage string
	// explained is the refusal's whole text after its located line: the explanation that
	// follows it (what the version search tried, what the context's packages declare).
	explained string
	// runUnverified is decant's warning that the pipeline's run was not verified here, for a
	// notebook that built.
	runUnverified string
	took          time.Duration
}

// class is the summary class of a result: built, built, run unverified (environment),
// refused: environment, refused: notebook's code, refused: other or failed.
func (r result) class() string {
	if r.outcome == "built" && r.runUnverified != "" {
		return builtUnverified
	}
	if r.outcome == "refused" {
		if environmental.MatchString(r.reason) {
			return refusedEnvironment
		}
		if notebookCode.MatchString(r.reason) || notebookCode.MatchString(r.explained) {
			return refusedNotebook
		}
		return "refused: other"
	}
	return r.outcome
}

const (
	refusedEnvironment = "refused: environment"
	// refusedNotebook is a refusal whose reason Decant located in the notebook's own code
	// and that no choice of Decant's can change: an API that no published version of the
	// library has, or a go vet finding at a cell's line.
	refusedNotebook = "refused: notebook's code"
)

// notebookCode matches the refusals that say the notebook's code itself cannot pass: the
// version search found no release known here that fits it or that has every package it
// imports from a module, a name it uses without an import is declared by no package of that
// name in its module context, or go vet reports a finding at a line of a cell (generated code
// has no cell, so a finding in it is not matched).
var notebookCode = regexp.MustCompile(`fits the notebook's code|has every package the notebook imports from it|` +
	`no package named \S+ in the notebook's module context declares what the notebook uses|(?m)^vet: \S+ \(cell \d+, line \d+\)`)

// builtUnverified is the class of a notebook whose branch builds and passes go test -short,
// but whose replay needs what this machine lacks.
const builtUnverified = "built, run unverified (environment)"

// classes lists the summary classes in the order they are printed.
var classes = []string{"built", builtUnverified, refusedEnvironment, refusedNotebook, "refused: other", "failed"}

// unverifiedWarning starts the line decant extract prints when it committed a service whose
// run it could not verify on this machine.
const unverifiedWarning = "warning: the pipeline's run was not verified here: "

// summary is the last line of the report: how many notebooks' branches build, and of how
// many the run was verified too; and how many build of those this machine can build at all
// (all but the refusals for what it lacks), which is what Decant itself decides.
func summary(counts map[string]int, total int) string {
	builds := counts["built"] + counts[builtUnverified]
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d notebooks:", total)
	for i, c := range classes {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&sb, "%s %d %s", sep, counts[c], c)
	}
	fmt.Fprintf(&sb, "\nbranch builds: %d of %d (%s)\nrun verified: %d of %d (%s)", builds, total, percent(builds, total), counts["built"], total, percent(counts["built"], total))
	buildable := total - counts[refusedEnvironment]
	fmt.Fprintf(&sb, "\nbranch builds, of the notebooks this machine can build (all but %q): %d of %d (%s)", refusedEnvironment, builds, buildable, percent(builds, buildable))
	return sb.String()
}

func percent(n, total int) string {
	if total == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(total))
}

// goSettings are the go command's settings each notebook's fresh HOME must not move: its
// caches (so they stay warm), its configuration file and how it reaches modules.
var goSettings = []string{"GOMODCACHE", "GOCACHE", "GOPATH", "GOENV", "GOFLAGS", "GOPROXY", "GOSUMDB",
	"GONOSUMDB", "GONOPROXY", "GOPRIVATE", "GOINSECURE", "GOTOOLCHAIN"}

// isolated returns env with HOME, TMPDIR and the XDG directories moved into root (which the
// caller creates fresh for one notebook), and the go command's settings (as `go env` printed
// them, in goenv) pinned to where they were.
func isolated(env []string, goenv map[string]string, root string) []string {
	set := map[string]string{
		"HOME":            filepath.Join(root, "home"),
		"TMPDIR":          filepath.Join(root, "tmp"),
		"XDG_CACHE_HOME":  filepath.Join(root, "home", ".cache"),
		"XDG_CONFIG_HOME": filepath.Join(root, "home", ".config"),
		"XDG_DATA_HOME":   filepath.Join(root, "home", ".local", "share"),
	}
	for _, k := range goSettings {
		if v, ok := goenv[k]; ok && v != "" {
			set[k] = v
		}
	}
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+set[k])
	}
	return out
}

// passwdWithHome returns passwd (an /etc/passwd file) with the home directory of the user
// whose uid is uid replaced by home, and whether that user was found.
func passwdWithHome(passwd []byte, uid, home string) ([]byte, bool) {
	lines := strings.Split(string(passwd), "\n")
	found := false
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) == 7 && f[2] == uid {
			f[5] = home
			lines[i] = strings.Join(f, ":")
			found = true
		}
	}
	return []byte(strings.Join(lines, "\n")), found
}

// namespaced returns argv run in a private mount namespace where passwd is mounted over
// /etc/passwd. As root, the namespace is the process's own; otherwise a user namespace maps
// the user to root, so the command runs as uid 0 inside it.
func namespaced(root bool, passwd string, argv []string) []string {
	ns := []string{"unshare", "--mount", "--propagation", "private"}
	if !root {
		ns = append(ns, "--map-root-user")
	}
	return append(append(ns, "--", "sh", "-c", `mount --bind "$0" /etc/passwd && exec "$@"`, passwd), argv...)
}

// sandbox isolates one notebook's home directory.
type sandbox struct {
	goenv map[string]string
	// passwd is /etc/passwd, when a private mount namespace can replace it; nil otherwise.
	passwd []byte
	root   bool
}

// newSandbox checks once whether this machine lets the runner give each notebook its own
// /etc/passwd, and says on stderr how notebooks are isolated.
func newSandbox(goenv map[string]string) *sandbox {
	sb := &sandbox{goenv: goenv, root: os.Geteuid() == 0}
	passwd, err := os.ReadFile("/etc/passwd")
	if err == nil {
		if f, terr := os.CreateTemp("", "decant-corpus-passwd-"); terr == nil {
			f.Write(passwd)
			f.Close()
			argv := namespaced(sb.root, f.Name(), []string{"true"})
			if exec.Command(argv[0], argv[1:]...).Run() == nil {
				sb.passwd = passwd
			}
			os.Remove(f.Name())
		}
	}
	if sb.passwd != nil {
		fmt.Fprintln(os.Stderr, "corpus isolation: a fresh HOME, TMPDIR and /etc/passwd home directory per notebook")
	} else {
		fmt.Fprintln(os.Stderr, "corpus isolation: a fresh HOME and TMPDIR per notebook; no private mount namespace here, so directories that libraries find through /etc/passwd (GoMLX's ~/work) stay shared")
	}
	return sb
}

// command returns the command that runs argv for the notebook whose scratch directory is
// tmp: its environment isolated, and in a mount namespace with its own /etc/passwd when the
// machine allows.
func (sb *sandbox) command(ctx context.Context, tmp string, base []string, argv []string) (*exec.Cmd, error) {
	for _, d := range []string{"home", "tmp"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return nil, err
		}
	}
	if sb.passwd != nil {
		uid := strconv.Itoa(os.Geteuid())
		if !sb.root {
			uid = "0" // the user namespace maps the user to root
		}
		if passwd, ok := passwdWithHome(sb.passwd, uid, filepath.Join(tmp, "home")); ok {
			p := filepath.Join(tmp, "passwd")
			if err := os.WriteFile(p, passwd, 0o644); err != nil {
				return nil, err
			}
			argv = namespaced(sb.root, p, argv)
		}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = isolated(base, sb.goenv, tmp)
	return cmd, nil
}

// goEnv returns the go command's settings, as it resolves them in this environment.
func goEnv() (map[string]string, error) {
	out, err := exec.Command("go", append([]string{"env", "-json"}, goSettings...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	return m, nil
}

// environmental matches the refusals that name something this machine lacks rather than
// something in the notebook or in Decant: a C library or a library that does not build here,
// or, when the service's tests run the notebook's code, a network it cannot reach (a data set or
// an XLA plugin to download; e3b0c442… is the sha256 of the empty file a failed download
// leaves).
var environmental = regexp.MustCompile(`needs the C library|not installed on this machine|does not build on this machine|fails on this machine|` +
	`dial tcp|no such host|network is unreachable|failed downloading|failed to fetch|failed to auto-install|plugin name "[^"]*" not found|` +
	`hash is "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"|the module proxy \S+ refused it`)

var cellLocated = regexp.MustCompile(`cell \d+(, line \d+)?`)

func main() {
	manifest := flag.String("manifest", "testdata/corpus/manifest.json", "the corpus manifest")
	decant := flag.String("decant", "decant", "the decant binary")
	run := flag.String("run", "", "only notebooks whose module@version/path matches this regexp")
	timeout := flag.Duration("timeout", 5*time.Minute, "time allowed per notebook")
	extra := flag.String("args", "", "extra arguments for decant extract, space separated")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()

	data, err := os.ReadFile(*manifest)
	if err != nil {
		fatal(err)
	}
	var m struct {
		// Env is the corpus machine's environment, set for every notebook: the choices a
		// user of these libraries makes on a machine like this one (documented in the
		// manifest's comment).
		Env       map[string]string `json:"env"`
		Notebooks []entry           `json:"notebooks"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		fatal(fmt.Errorf("%s: %w", *manifest, err))
	}
	env := os.Environ()
	keys := make([]string, 0, len(m.Env))
	for k := range m.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+m.Env[k])
		fmt.Fprintf(os.Stderr, "corpus environment: %s=%s\n", k, m.Env[k])
	}
	goenv, err := goEnv()
	if err != nil {
		fatal(err)
	}
	box := newSandbox(goenv)
	filter := regexp.MustCompile(*run)
	var results []result
	for _, e := range m.Notebooks {
		name := e.Module + "@" + e.Version + "/" + e.Path
		if !filter.MatchString(name) {
			continue
		}
		r := one(e, *decant, *timeout, strings.Fields(*extra), env, box)
		r.name, r.kernel = name, e.Kernel
		if r.outcome != "built" {
			r.triage = e.Triage
		}
		fmt.Fprintf(os.Stderr, "%-8s %6.1fs %s\n", r.class(), r.took.Seconds(), name)
		results = append(results, r)
	}
	counts := map[string]int{}
	fmt.Printf("\n| notebook | kernel | result | time | reason | triage |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		counts[r.class()]++
		fmt.Printf("| %s | %s | %s | %.1fs | %s | %s |\n", r.name, r.kernel, r.class(), r.took.Seconds(),
			strings.ReplaceAll(r.why(), "|", "\\|"), strings.ReplaceAll(r.triage, "|", "\\|"))
	}
	fmt.Printf("\n%s\n", summary(counts, len(results)))
	if *jsonOut != "" {
		if err := writeJSON(*jsonOut, results, counts); err != nil {
			fatal(err)
		}
	}
	if counts["failed"] > 0 {
		os.Exit(1)
	}
}

// why is the reason shown for a result, shortened: the refusal's, or what a built notebook's
// run lacked. The class is told from the whole reason.
func (r result) why() string {
	if r.reason == "" {
		return shorten(r.runUnverified)
	}
	return shorten(r.reason)
}

func one(e entry, decant string, timeout time.Duration, extra []string, env []string, box *sandbox) result {
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
	// A home of its own: the data a notebook downloads (or a failed download leaves empty)
	// into ~/work stays its own.
	cmd, err := box.command(ctx, tmp, env, append(append([]string{decant}, args...), nb))
	if err != nil {
		return fail("failed", err.Error())
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
		_, explained, _ := strings.Cut(text, reason)
		return result{outcome: "refused", reason: reason, explained: explained, took: took}
	}
	build := exec.Command("go", "build", "./...")
	build.Dir = repo
	build.Env = env
	if out, err := build.CombinedOutput(); err != nil {
		return result{outcome: "failed", reason: "go build: " + firstLine(string(out)), took: took}
	}
	return result{outcome: "built", runUnverified: runUnverified(text), took: took}
}

// runUnverified returns what decant's warnings say the pipeline's run needed and this machine
// lacked ("" when the run was verified), the warnings joined by "; ".
func runUnverified(text string) string {
	var why []string
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), unverifiedWarning); ok {
			// The step and what it needs, without the advice that follows.
			if i := strings.Index(rest, "; the service was verified"); i >= 0 {
				rest = rest[:i]
			}
			why = append(why, rest)
		}
	}
	return shorten(strings.Join(why, "; "))
}

// writeJSON writes the results and the count per class to path, through a temporary file
// renamed into place.
func writeJSON(path string, results []result, counts map[string]int) error {
	type row struct {
		Notebook string  `json:"notebook"`
		Kernel   string  `json:"kernel,omitempty"`
		Result   string  `json:"result"`
		Seconds  float64 `json:"seconds"`
		Reason   string  `json:"reason,omitempty"`
		Triage   string  `json:"triage,omitempty"`
	}
	report := struct {
		Notebooks []row          `json:"notebooks"`
		Summary   map[string]int `json:"summary"`
		// BranchBuilds counts the notebooks whose branch builds, run verified or not;
		// RunVerified those whose full replay passed too.
		BranchBuilds int `json:"branch_builds"`
		RunVerified  int `json:"run_verified"`
		Total        int `json:"total"`
	}{Notebooks: []row{}, Summary: map[string]int{}, BranchBuilds: counts["built"] + counts[builtUnverified],
		RunVerified: counts["built"], Total: len(results)}
	for _, c := range classes {
		report.Summary[c] = counts[c]
	}
	for _, r := range results {
		secs := float64(r.took.Milliseconds()) / 1000
		report.Notebooks = append(report.Notebooks, row{r.name, r.kernel, r.class(), secs, r.why(), r.triage})
	}
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// firstLocated returns the first line of decant's output that names a cell, the shape of a
// refusal; an error that names none is a failure of Decant's.
func firstLocated(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if cellLocated.MatchString(l) && !strings.Contains(l, "cell -1") {
			return strings.TrimSpace(l)
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
