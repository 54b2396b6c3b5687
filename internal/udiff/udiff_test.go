package udiff

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type fileSet = map[string][]byte

func gitBin() string {
	p, err := exec.LookPath("git")
	if err != nil {
		return ""
	}
	return p
}

// runGit runs git in dir with the user's and system's configuration ignored.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gitBin(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

var update = flag.Bool("update", false, "rewrite testdata/*.diff golden files")

func numbered(from, to int) string {
	var sb strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&sb, "line %d\n", i)
	}
	return sb.String()
}

var diffCases = []struct {
	name     string
	old, new fileSet
}{
	{"add", fileSet{}, fileSet{"b/new.go": []byte("package b\n\nfunc F() {}\n"), "a.txt": []byte("one\n")}},
	{"delete", fileSet{"gone.txt": []byte("x\ny\n"), "kept.txt": []byte("k\n")}, fileSet{"kept.txt": []byte("k\n")}},
	{"modify", fileSet{
		// Two changes 10 lines apart make two hunks; two changes 6 lines apart share one.
		"far.txt":  []byte(numbered(1, 30)),
		"near.txt": []byte(numbered(1, 20)),
		"edge.txt": []byte("first\nmiddle\nlast\n"),
	}, fileSet{
		"far.txt":  []byte(strings.Replace(strings.Replace(numbered(1, 30), "line 5\n", "line five\n", 1), "line 16\n", "", 1)),
		"near.txt": []byte(strings.Replace(strings.Replace(numbered(1, 20), "line 5\n", "line five\n", 1), "line 12\n", "line twelve\nextra\n", 1)),
		"edge.txt": []byte("new first\nmiddle\nnew last\n"),
	}},
	{"no_newline", fileSet{
		"lose.txt":  []byte("a\nb\n"),
		"gain.txt":  []byte("a\nb"),
		"both.txt":  []byte("a\nb\nc"),
		"added.txt": nil,
	}, fileSet{
		"lose.txt":  []byte("a\nb"),
		"gain.txt":  []byte("a\nb\n"),
		"both.txt":  []byte("a\nB\nc"),
		"added.txt": []byte("only line"),
	}},
	{"binary_and_empty", fileSet{
		"img.png":   []byte("\x89PNG\x00\x01"),
		"empty.txt": {},
	}, fileSet{
		"img.png":     []byte("\x89PNG\x00\x02"),
		"new-empty":   {},
		"to-text.txt": []byte("text\n"),
	}},
	{"unchanged", fileSet{"same.txt": []byte("s\n")}, fileSet{"same.txt": []byte("s\n")}},
}

func TestFilesGolden(t *testing.T) {
	for _, tc := range diffCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Files(tc.old, tc.new)
			golden := filepath.Join("testdata", tc.name+".diff")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("Files mismatch (-update to accept)\ngot:\n%s\nwant:\n%s", got, want)
			}
			if again := Files(tc.old, tc.new); again != got {
				t.Error("Files is not deterministic")
			}
			if tc.name == "unchanged" && got != "" {
				t.Errorf("equal file sets gave a diff:\n%s", got)
			}
			if !strings.Contains(tc.name, "binary") {
				checkApplies(t, tc.old, tc.new, got)
			}
		})
	}
}

// checkApplies applies diff to old with the test applier, and with `git apply` when git is
// installed, and requires the result to equal new.
func checkApplies(t *testing.T, old, new fileSet, diff string) {
	t.Helper()
	for _, p := range sortedKeys(new) {
		if len(new[p]) == 0 {
			continue // no hunks for empty files; only git's own applier handles those
		}
		got, err := applyFileDiff(string(old[p]), diff, p)
		if err != nil || got != string(new[p]) {
			t.Errorf("applying the diff of %s: %q, %v; want %q", p, got, err, new[p])
		}
	}
	if gitBin() == "" {
		return
	}
	dir := t.TempDir()
	for p, b := range old {
		fp := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(fp), 0o755)
		if err := os.WriteFile(fp, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	patch := filepath.Join(t.TempDir(), "p.diff")
	os.WriteFile(patch, []byte(diff), 0o644)
	if diff != "" {
		runGit(t, dir, "apply", patch)
	}
	for p, b := range new {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(got) != string(b) {
			t.Errorf("git apply: %s = %q, %v; want %q", p, got, err, b)
		}
	}
	for p := range old {
		if _, ok := new[p]; !ok {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				t.Errorf("git apply: %s was not deleted", p)
			}
		}
	}
}

// applyFileDiff applies the hunks that diff has for path to old. It checks every context and
// removed line, and every hunk's line counts.
func applyFileDiff(old, diff, path string) (string, error) {
	lines := splitLines(diff)
	i := 0
	for i < len(lines) && lines[i] != fmt.Sprintf("diff --git a/%s b/%s\n", path, path) {
		i++
	}
	if i == len(lines) {
		if old == "" {
			return "", errors.New("no diff for file")
		}
		return old, nil
	}
	oldLines := splitLines(old)
	var out strings.Builder
	pos := 0
	for i++; i < len(lines) && !strings.HasPrefix(lines[i], "diff --git "); i++ {
		if !strings.HasPrefix(lines[i], "@@ ") {
			continue
		}
		var a, b, c, d string
		if _, err := fmt.Sscanf(lines[i], "@@ -%s +%s @@\n", &a, &c); err != nil {
			return "", fmt.Errorf("bad hunk header %q", lines[i])
		}
		a, b, _ = strings.Cut(a, ",")
		c, d, _ = strings.Cut(c, ",")
		oldStart, _ := strconv.Atoi(a)
		oldCount, newCount := 1, 1
		if b != "" {
			oldCount, _ = strconv.Atoi(b)
		}
		if d != "" {
			newCount, _ = strconv.Atoi(d)
		}
		start := oldStart - 1
		if oldCount == 0 {
			start = oldStart
		}
		if start < pos || start > len(oldLines) {
			return "", fmt.Errorf("hunk %q out of order", lines[i])
		}
		for _, l := range oldLines[pos:start] {
			out.WriteString(l)
		}
		pos = start
		var ops []lineOp
		for i+1 < len(lines) && strings.ContainsAny(lines[i+1][:1], " +-\\") &&
			!strings.HasPrefix(lines[i+1], "diff --git ") {
			i++
			l := lines[i]
			if l[0] == '\\' {
				if len(ops) == 0 {
					return "", errors.New("no-newline marker with no line")
				}
				ops[len(ops)-1].text = strings.TrimSuffix(ops[len(ops)-1].text, "\n")
				continue
			}
			ops = append(ops, lineOp{l[0], l[1:]})
		}
		gotOld, gotNew := 0, 0
		for _, op := range ops {
			if op.kind != '+' {
				if pos >= len(oldLines) || oldLines[pos] != op.text {
					return "", fmt.Errorf("line %d: have %q, diff says %q", pos+1, oldLines[min(pos, len(oldLines)-1)], op.text)
				}
				pos++
				gotOld++
			}
			if op.kind != '-' {
				out.WriteString(op.text)
				gotNew++
			}
		}
		if gotOld != oldCount || gotNew != newCount {
			return "", fmt.Errorf("hunk %q has %d old and %d new lines", lines[i], gotOld, gotNew)
		}
	}
	for _, l := range oldLines[pos:] {
		out.WriteString(l)
	}
	return out.String(), nil
}

func FuzzFiles(f *testing.F) {
	f.Add("", "")
	f.Add("a\nb\nc\n", "a\nB\nc\n")
	f.Add("a\nb", "a\nb\n")
	f.Add(numbered(1, 30), strings.Replace(numbered(1, 30), "line 9\n", "", 1))
	f.Add("x\x00y", "x")
	f.Add("\n\n\n", "\n")
	f.Fuzz(func(t *testing.T, old, new string) {
		d := Files(fileSet{"f": []byte(old)}, fileSet{"f": []byte(new)})
		if old == new {
			if d != "" {
				t.Fatalf("equal contents gave a diff:\n%s", d)
			}
			return
		}
		if !strings.HasPrefix(d, "diff --git a/f b/f\n") {
			t.Fatalf("diff lacks its header:\n%s", d)
		}
		if isBinary([]byte(old)) || isBinary([]byte(new)) {
			return
		}
		got, err := applyFileDiff(old, d, "f")
		if err != nil || got != new {
			t.Fatalf("applying the diff: %q, %v; want %q\ndiff:\n%s", got, err, new, d)
		}
	})
}
