// Package edit holds the one representation every refactoring produces: byte-offset edits of
// files. Refactorings compute edits and never write; this package validates, merges and applies
// them, and renders the result as a unified diff for review.
//
// An edit replaces src[Start:End] with New. A set of edits for one file must be sorted and must
// not overlap: Apply rejects anything else instead of guessing, because a half-applied or
// mis-ordered rewrite of source code is worse than none.
package edit

import (
	"bytes"
	"fmt"
	"go/token"
	"sort"

	"github.com/decant-go/decant/internal/udiff"
)

// Edit replaces the bytes [Start, End) of a file with New. Start == End is an insertion.
type Edit struct {
	Start, End int
	New        string
}

func (e Edit) String() string { return fmt.Sprintf("[%d,%d)->%q", e.Start, e.End, e.New) }

// Sort orders edits by Start, then End, stably so that insertions at one offset keep their order.
func Sort(edits []Edit) {
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].Start != edits[j].Start {
			return edits[i].Start < edits[j].Start
		}
		return edits[i].End < edits[j].End
	})
}

// ConflictError reports two edits of one file that cannot both be applied.
type ConflictError struct {
	A, B Edit
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflicting edits %v and %v", e.A, e.B)
}

// Validate reports an error unless edits are sorted, inside [0, size] and non-overlapping.
// Two insertions at the same offset are allowed; they apply in order.
func Validate(size int, edits []Edit) error {
	last := 0
	for i, e := range edits {
		if e.Start < 0 || e.End < e.Start || e.End > size {
			return fmt.Errorf("edit %v is outside the file (size %d)", e, size)
		}
		if e.Start < last {
			return &ConflictError{edits[i-1], e}
		}
		last = e.End
	}
	return nil
}

// Apply returns src with edits applied. The edits must pass Validate; src is not modified.
func Apply(src []byte, edits []Edit) ([]byte, error) {
	if err := Validate(len(src), edits); err != nil {
		return nil, fmt.Errorf("applying edits: %w", err)
	}
	var out bytes.Buffer
	out.Grow(len(src))
	at := 0
	for _, e := range edits {
		out.Write(src[at:e.Start])
		out.WriteString(e.New)
		at = e.End
	}
	out.Write(src[at:])
	return out.Bytes(), nil
}

// Merge combines two edit sets of one file into one sorted set. Edits present in both are kept
// once; any other overlap is a *ConflictError, and then neither set should be applied on top of
// the other without recomputing.
func Merge(x, y []Edit) ([]Edit, error) {
	all := make([]Edit, 0, len(x)+len(y))
	all = append(all, x...)
	all = append(all, y...)
	Sort(all)
	out := all[:0]
	for _, e := range all {
		if n := len(out); n > 0 {
			prev := out[n-1]
			if prev == e {
				continue
			}
			if e.Start < prev.End || (e.Start == prev.Start && e.Start == e.End && prev.Start == prev.End) {
				// Overlap, or two different insertions at one point whose order is ambiguous.
				return nil, &ConflictError{prev, e}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// Set is edits per file, keyed by slash path.
type Set map[string][]Edit

// Add appends edits for path.
func (s Set) Add(path string, edits ...Edit) { s[path] = append(s[path], edits...) }

// Merge adds other to s, file by file, failing on the first conflict.
func (s Set) Merge(other Set) error {
	for _, p := range sortedKeys(other) {
		m, err := Merge(s[p], other[p])
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		s[p] = m
	}
	return nil
}

// Empty reports whether the set changes nothing.
func (s Set) Empty() bool {
	for _, es := range s {
		if len(es) > 0 {
			return false
		}
	}
	return true
}

// ApplyFiles returns a copy of files with the set applied (sorted per file first). Files the
// set does not touch are shared, not copied. An edit of a missing file is an error.
func ApplyFiles(files map[string][]byte, s Set) (map[string][]byte, error) {
	out := make(map[string][]byte, len(files))
	for p, b := range files {
		out[p] = b
	}
	for _, p := range sortedKeys(s) {
		src, ok := files[p]
		if !ok {
			return nil, fmt.Errorf("editing %s: no such file", p)
		}
		es := append([]Edit(nil), s[p]...)
		Sort(es)
		b, err := Apply(src, es)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out[p] = b
	}
	return out, nil
}

// Diff returns the unified diff (git format, 3 lines of context) that turns old into new.
func Diff(old, new map[string][]byte) string {
	return udiff.Files(old, new)
}

// Offset converts pos to a byte offset in its file; the file must be in fset.
func Offset(fset *token.FileSet, pos token.Pos) int {
	return fset.File(pos).Offset(pos)
}

// Node returns the edit replacing [pos, end) with text.
func Node(fset *token.FileSet, pos, end token.Pos, text string) Edit {
	return Edit{Start: Offset(fset, pos), End: Offset(fset, end), New: text}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
