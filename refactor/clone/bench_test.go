package clone

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The comparison with mibk/dupl runs both tools on the same files of golang.org/x/tools at
// the same threshold, each as a child process so that wall time and peak memory (max RSS)
// are measured the same way. Our detector runs without type information there, as dupl
// does; its typed mode is measured by BenchmarkAnalyzeTyped-style callers of Analyze with
// an Info.
const (
	xtoolsModule = "golang.org/x/tools@v0.52.0"
	duplModule   = "github.com/mibk/dupl@v1.0.0"
	benchTokens  = 100
	childEnv     = "DECANT_CLONE_CHILD_FILES"
)

func xtoolsDir(tb testing.TB) string {
	out, err := exec.Command("go", "mod", "download", "-json", xtoolsModule).Output()
	if err != nil {
		tb.Skipf("x/tools source not available: %v", err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		tb.Skipf("x/tools source not available: %s", out)
	}
	return m.Dir
}

// sourceFiles lists the Go files dupl would read, minus testdata (much of it is not Go).
func sourceFiles(root string) []string {
	var paths []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") {
			paths = append(paths, p)
		}
		return nil
	})
	sort.Strings(paths)
	return paths
}

// TestCloneChild is the child process of BenchmarkVsDupl: it reads file names from the file
// named by $DECANT_CLONE_CHILD_FILES and prints one line per clone pair, in dupl's plumbing
// format.
func TestCloneChild(t *testing.T) {
	list := os.Getenv(childEnv)
	if list == "" {
		t.Skip("only run as the benchmark's child process")
	}
	b, err := os.ReadFile(list)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range strings.Fields(string(b)) {
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err == nil {
			files = append(files, f)
		}
	}
	tokens, _ := strconv.Atoi(os.Getenv("DECANT_CLONE_TOKENS"))
	res := Analyze(fset, files, nil, Options{MinTokens: tokens, MinStmts: 1})
	w := bufio.NewWriter(os.Stdout)
	for _, g := range res.Groups {
		for i, m := range g.Members {
			o := g.Members[(i+1)%len(g.Members)]
			fmt.Fprintf(w, "%s:%d-%d: duplicate of %s:%d-%d\n", m.File, m.Line, m.EndLine, o.File, o.Line, o.EndLine)
		}
		fmt.Fprintln(w, "GROUP")
	}
	w.Flush()
}

type run struct {
	wall   time.Duration
	maxRSS int64 // bytes
	out    []byte
}

func measure(b *testing.B, cmd *exec.Cmd) run {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, errb.String())
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return run{wall, ru.Maxrss * 1024, out.Bytes()}
}

// span is one clone member as reported.
type span struct {
	file       string
	start, end int
}

var plumbing = regexp.MustCompile(`^(.+):(\d+)-(\d+): duplicate of (.+):(\d+)-(\d+)$`)

// groupsOf reads the child's output: pairs in dupl's plumbing format, each group ended by
// a GROUP line.
func groupsOf(out []byte, root string) [][]span {
	var groups [][]span
	var cur []span
	seen := map[span]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if line == "GROUP" {
			if len(cur) > 1 {
				groups = append(groups, cur)
			}
			cur, seen = nil, map[span]bool{}
			continue
		}
		if m := plumbing.FindStringSubmatch(line); m != nil {
			a := span{rel(m[1], root), atoi(m[2]), atoi(m[3])}
			if !seen[a] {
				seen[a] = true
				cur = append(cur, a)
			}
		}
	}
	return groups
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// duplGroups parses dupl's plumbing output, where each group is printed as a cycle
// a->b, b->c, ..., z->a: a group ends when a pair points back to the group's first member.
func duplGroups(out []byte, root string) [][]span {
	var groups [][]span
	var cur []span
	for _, line := range strings.Split(string(out), "\n") {
		m := plumbing.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		a := span{rel(m[1], root), atoi(m[2]), atoi(m[3])}
		b := span{rel(m[4], root), atoi(m[5]), atoi(m[6])}
		cur = append(cur, a)
		if b == cur[0] {
			groups = append(groups, cur)
			cur = nil
		}
	}
	return groups
}

func rel(p, root string) string {
	p = strings.TrimPrefix(p, root+"/")
	return strings.TrimPrefix(p, "./")
}

func overlaps(a, b span) bool { return a.file == b.file && a.start <= b.end && b.start <= a.end }

// covered reports whether some group of others has two distinct members overlapping two
// distinct members of g: the same duplication, found by the other tool.
func covered(g []span, others [][]span) bool {
	for _, o := range others {
		hits := 0
		for _, m := range g {
			for _, n := range o {
				if overlaps(m, n) {
					hits++
					break
				}
			}
		}
		if hits >= 2 {
			return true
		}
	}
	return false
}

// BenchmarkVsDupl compares this package with mibk/dupl v1.0.0 on x/tools v0.52.0's source,
// in the same run, at dupl's threshold of 100: wall-time and peak-memory ratios (ours/dupl,
// lower is better; the target is at most 0.5) and the overlap of the clone groups found. It
// writes the first 20 of our groups, for judging by hand, to $DECANT_CLONE_SAMPLE if set.
func BenchmarkVsDupl(b *testing.B) {
	root := xtoolsDir(b)
	bin := b.TempDir()
	install := exec.Command("go", "install", duplModule)
	install.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		b.Skipf("cannot build dupl: %v\n%s", err, out)
	}
	files := sourceFiles(root)
	list := filepath.Join(bin, "files.txt")
	if err := os.WriteFile(list, []byte(strings.Join(files, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		dcmd := exec.Command(filepath.Join(bin, "dupl"), "-t", strconv.Itoa(benchTokens), "-plumbing", "-files")
		dcmd.Stdin = strings.NewReader(strings.Join(files, "\n") + "\n")
		d := measure(b, dcmd)

		ocmd := exec.Command(os.Args[0], "-test.run=^TestCloneChild$", "-test.count=1")
		ourTokens := benchTokens
		if s := os.Getenv("DECANT_CLONE_OUR_TOKENS"); s != "" {
			ourTokens = atoi(s)
		}
		ocmd.Env = append(os.Environ(), childEnv+"="+list, "DECANT_CLONE_TOKENS="+strconv.Itoa(ourTokens))
		o := measure(b, ocmd)

		dg := duplGroups(d.out, root)
		og := groupsOf(o.out, root)
		var dIn, oIn int
		for _, g := range dg {
			if covered(g, og) {
				dIn++
			}
		}
		for _, g := range og {
			if covered(g, dg) {
				oIn++
			}
		}
		b.ReportMetric(o.wall.Seconds()/d.wall.Seconds(), "time-ratio")
		b.ReportMetric(float64(o.maxRSS)/float64(d.maxRSS), "mem-ratio")
		b.ReportMetric(float64(len(dg)), "dupl-groups")
		b.ReportMetric(float64(len(og)), "our-groups")
		b.ReportMetric(frac(dIn, len(dg)), "dupl-found-by-us")
		b.ReportMetric(frac(oIn, len(og)), "ours-found-by-dupl")
		b.Logf("%d files; dupl %v %d MiB, %d groups; ours %v %d MiB, %d groups; %d/%d of dupl's groups found by us, %d/%d of ours by dupl",
			len(files), d.wall.Round(time.Millisecond), d.maxRSS>>20, len(dg), o.wall.Round(time.Millisecond), o.maxRSS>>20, len(og), dIn, len(dg), oIn, len(og))
		if path := os.Getenv("DECANT_CLONE_SAMPLE"); path != "" {
			var sb strings.Builder
			for i, g := range og[:min(20, len(og))] {
				fmt.Fprintf(&sb, "%d. %v (dupl also: %v)\n", i+1, g, covered(g, dg))
			}
			sb.WriteString("\ndupl's groups we do not report:\n")
			for _, g := range dg {
				if !covered(g, og) {
					fmt.Fprintf(&sb, "%v\n", g)
				}
			}
			os.WriteFile(path, []byte(sb.String()), 0o644)
		}
	}
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// BenchmarkAnalyze measures detection alone (parsing excluded) on x/tools' source.
func BenchmarkAnalyze(b *testing.B) {
	root := xtoolsDir(b)
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range sourceFiles(root) {
		if f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution); err == nil {
			files = append(files, f)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		Analyze(fset, files, nil, Options{MinTokens: benchTokens, MinStmts: 1})
	}
}
