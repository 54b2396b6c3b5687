// Package udiff renders unified diffs in the format of `git diff` from in-memory file sets.
// It is a leaf: it knows nothing of git repositories, so packages that only show changes
// (refactor, doc --dry-run) need not link go-git.
package udiff

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// contextLines is the number of unchanged lines shown around a change, as in `git diff`.
const contextLines = 3

// Files returns the unified diff that turns the file set old into new, in the format
// of `git diff`: per changed path (sorted) a "diff --git a/p b/p" header, "new file mode" or
// "deleted file mode" lines for added and removed files (always 100644 here: file sets carry
// no modes), "--- a/p" and "+++ b/p" (or /dev/null), and @@ hunks with 3 lines of context.
// A missing final newline is marked "\ No newline at end of file"; files with a NUL byte in
// their first 8000 bytes are reported as "Binary files ... differ", as git does. Paths are
// not quoted. Equal file sets give "".
//
// Line diffs come from sergi/go-diff in line mode with no time limit, so the output depends
// only on the inputs.
func Files(old, new map[string][]byte) string {
	return FilesWithModes(old, new, nil)
}

// FilesWithModes is [Files] where oldModes gives the git mode (such as 0o100755) shown for
// a deleted file; a path it lacks is shown as 100644.
func FilesWithModes(old, new map[string][]byte, oldModes map[string]uint32) string {
	paths := map[string]bool{}
	for p := range old {
		paths[p] = true
	}
	for p := range new {
		paths[p] = true
	}
	var sb strings.Builder
	for _, p := range sortedKeys(paths) {
		o, inOld := old[p]
		n, inNew := new[p]
		if inOld && inNew && bytes.Equal(o, n) {
			continue
		}
		fmt.Fprintf(&sb, "diff --git a/%s b/%s\n", p, p)
		from, to := "a/"+p, "b/"+p
		switch {
		case !inOld:
			sb.WriteString("new file mode 100644\n")
			from = "/dev/null"
		case !inNew:
			mode, ok := oldModes[p]
			if !ok {
				mode = 0o100644
			}
			fmt.Fprintf(&sb, "deleted file mode %06o\n", mode)
			to = "/dev/null"
		}
		if isBinary(o) || isBinary(n) {
			fmt.Fprintf(&sb, "Binary files %s and %s differ\n", from, to)
			continue
		}
		if len(o) == 0 && len(n) == 0 {
			continue // an empty file added or deleted: the header says it all, as in git
		}
		fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
		writeHunks(&sb, lineOps(string(o), string(n)))
	}
	return sb.String()
}

// isBinary applies git's rule: a NUL byte in the first 8000 bytes.
func isBinary(b []byte) bool {
	return bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0
}

// lineOp is one line of a diff: kind is ' ', '-' or '+'; text keeps its newline, if any.
type lineOp struct {
	kind byte
	text string
}

// lineOps diffs two texts line by line. Within each run of changes, removed lines come
// before added ones, as git prints them.
func lineOps(a, b string) []lineOp {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0 // the default 1s limit makes results depend on machine load
	ra, rb, lines := dmp.DiffLinesToRunes(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), lines)

	var ops, ins []lineOp
	flush := func() {
		ops = append(ops, ins...)
		ins = ins[:0]
	}
	for _, d := range diffs {
		var kind byte
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			flush()
			kind = ' '
		case diffmatchpatch.DiffDelete:
			kind = '-'
		case diffmatchpatch.DiffInsert:
			kind = '+'
		}
		for _, l := range splitLines(d.Text) {
			if kind == '+' {
				ins = append(ins, lineOp{kind, l})
			} else {
				ops = append(ops, lineOp{kind, l})
			}
		}
	}
	flush()
	return ops
}

// splitLines splits s after each newline; a final line without one is kept.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// writeHunks groups ops into hunks with contextLines of context, merging hunks whose
// changes are at most 2*contextLines apart (git's rule), and writes them.
func writeHunks(sb *strings.Builder, ops []lineOp) {
	// oldAt[i] and newAt[i] count the old and new lines before ops[i].
	oldAt := make([]int, len(ops)+1)
	newAt := make([]int, len(ops)+1)
	for i, op := range ops {
		oldAt[i+1], newAt[i+1] = oldAt[i], newAt[i]
		if op.kind != '+' {
			oldAt[i+1]++
		}
		if op.kind != '-' {
			newAt[i+1]++
		}
	}
	for i := 0; i < len(ops); {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(0, i-contextLines)
		end := i
		for {
			for end < len(ops) && ops[end].kind != ' ' {
				end++
			}
			j := end
			for j < len(ops) && ops[j].kind == ' ' {
				j++
			}
			if j < len(ops) && j-end <= 2*contextLines {
				end = j // the next change is close: same hunk
				continue
			}
			end = min(j, end+contextLines)
			break
		}
		fmt.Fprintf(sb, "@@ -%s +%s @@\n",
			hunkRange(oldAt[start], oldAt[end]-oldAt[start]),
			hunkRange(newAt[start], newAt[end]-newAt[start]))
		for _, op := range ops[start:end] {
			sb.WriteByte(op.kind)
			sb.WriteString(op.text)
			if !strings.HasSuffix(op.text, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
}

// hunkRange formats a hunk's line range: before is the number of lines preceding it. As in
// GNU diff, an empty range names the line before it and a count of 1 is omitted.
func hunkRange(before, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", before)
	case 1:
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// IsBinary reports whether git would treat b as binary: a NUL byte in its first 8000 bytes.
func IsBinary(b []byte) bool { return isBinary(b) }
