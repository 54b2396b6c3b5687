// Package refactor improves the code of a Go module with verified edits: it unifies duplicated
// code, narrows database reads to the columns the code uses, lifts hard-coded paths, DSNs, URLs
// and ports into a Config filled from flags and the environment, and applies x/tools' modernize
// fixes.
//
// Every refactoring is a change: a set of edits computed by a pass, never a write. Run applies
// each change to a scratch copy of the module and keeps it only if the module still builds,
// vets and passes its tests; a change that breaks them is dropped and reported, never left half
// applied. Run never writes into the module directory: it returns the new file contents, a
// report and a unified diff, and the caller decides whether to write them. Running it again on
// its own output changes nothing.
//
// # Passes
//
//   - unify: clone groups (see package clone) become one function. A whole function pasted
//     with its locals renamed is removed and its callers call the original, under a name
//     taken from what the copies have in common. A run of statements repeated across
//     functions becomes a new function whose parameters are what differs between the copies
//     and whose results are what the copies use afterwards; every copy becomes a call.
//     Repeated feature expressions are reported as training/serving skew candidates.
//   - sql: `SELECT *` in a database/sql query becomes the list of columns the code reads,
//     taken from the SQLite database file when its path is a literal the code opens.
//   - hoist: the same sql.Open, http.Client literal or os.Open in two or more functions of a
//     package becomes one accessor: a shared *sql.DB opened once (callers no longer close
//     it), a shared client, or one function naming the file.
//   - config: hard-coded paths, DSNs, URLs and ports become fields of a Config struct filled
//     from flags and environment variables, with the literal as the default; secrets get no
//     default.
//   - modernize: the fixes of golang.org/x/tools/go/analysis/passes/modernize.
package refactor

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/decant-go/decant/refactor/clone"
	"github.com/decant-go/decant/refactor/edit"
)

// Pass names, in the order Run applies them.
const (
	PassUnify     = "unify"
	PassSQL       = "sql"
	PassHoist     = "hoist"
	PassConfig    = "config"
	PassModernize = "modernize"
)

// AllPasses lists every pass name in the order Run applies them.
var AllPasses = passNames()

// ParsePasses turns a --refactor value ("all", "none", or a comma-separated list; "dupes" is
// another name for unify) into pass names in Run's order.
func ParsePasses(s string) ([]string, error) {
	switch strings.TrimSpace(s) {
	case "", "all":
		return slices.Clone(AllPasses), nil
	case "none":
		return []string{}, nil
	}
	want := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "dupes" {
			p = PassUnify
		}
		if !slices.Contains(AllPasses, p) {
			return nil, fmt.Errorf("unknown refactoring %q (want all, none, or a list of %s)", p, strings.Join(AllPasses, ", "))
		}
		want[p] = true
	}
	var out []string
	for _, p := range AllPasses {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// Options configures Run. The zero value runs every pass and verifies every change.
type Options struct {
	// Passes to run; nil means all. Unknown names are an error.
	Passes []string
	// Clone sets the clone-detection thresholds for the unify pass.
	Clone clone.Options
	// NoVerify keeps changes without building, vetting and testing them. For tests of the passes
	// themselves; a change that does not even parse and format is still dropped.
	NoVerify bool
	// Short runs the module's tests with -short, the final check included. Without it, each
	// change is checked with go test -short (the slow tests, such as building the binaries of
	// an image, say nothing about one refactoring), and the module as refactored is checked
	// once more with the full tests; if that check fails, Run verifies every change again with
	// the full tests, so the result is always fully verified.
	Short bool
	// Verified says that the caller has just built, vetted and tested the module as it is in
	// dir (with Short's choice of tests), so the check before refactoring is not repeated.
	Verified bool
	// TestTimeout bounds each go test run; 0 means 10 minutes.
	TestTimeout time.Duration
	// Env is added to the environment of the go test runs that verify changes: what the module
	// was verified with before refactoring, such as the notebook's %env and CGO_ENABLED=1 for
	// a library with cgo code.
	Env []string
	// Log, if not nil, receives one line per step, for people waiting on a long run.
	Log io.Writer

	// fullChanges checks each change with the full tests: set when the module as refactored
	// failed them after short checks.
	fullChanges bool
}

// Change is one refactoring: what it does, why, and the edits.
type Change struct {
	Pass  string `json:"pass"`
	Title string `json:"title"`
	// Why explains the change for a reviewer.
	Why string `json:"why"`
	// Notes are what could not be done, and TODOs for people.
	Notes []string `json:"notes,omitempty"`
	// Files are the paths changed or created, sorted.
	Files []string `json:"files"`
	// LinesBefore and LinesAfter count the lines of Files before and after the change.
	LinesBefore int `json:"lines_before"`
	LinesAfter  int `json:"lines_after"`
	// Problem says why a dropped change was dropped.
	Problem string `json:"problem,omitempty"`

	edits   edit.Set
	create  map[string][]byte // new files
	imports map[string][]string
	// dropImports are imports, per file, to remove if the edited file no longer uses them.
	dropImports map[string][]string
}

// Result is what Run produced.
type Result struct {
	// Files holds the new contents of every file that changed or was created, keyed by slash
	// path relative to the module directory.
	Files map[string][]byte
	// Old holds the original contents of the files in Files that existed before.
	Old map[string][]byte
	// Applied and Dropped are the changes kept and the changes that failed verification.
	Applied []Change
	Dropped []Change
	// Notes are findings that are not changes, such as TODOs for queries that could not be
	// narrowed.
	Notes []string
	// Passes are the passes that ran.
	Passes []string
	// GoLinesBefore and GoLinesAfter count the lines of the module's Go files.
	GoLinesBefore, GoLinesAfter int
	// Verified reports whether changes were built, vetted and tested.
	Verified bool
}

// Diff returns the unified diff of the result against the module.
func (r *Result) Diff() string { return edit.Diff(r.Old, r.Files) }
