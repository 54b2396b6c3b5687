package refactor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Report is the JSON form of a Result, without file contents.
type Report struct {
	Passes        []string `json:"passes"`
	Verified      bool     `json:"verified"`
	Applied       []Change `json:"applied"`
	Dropped       []Change `json:"dropped"`
	Notes         []string `json:"notes"`
	Files         []string `json:"files"`
	GoLinesBefore int      `json:"go_lines_before"`
	GoLinesAfter  int      `json:"go_lines_after"`
}

// Report summarizes the result.
func (r *Result) Report() Report {
	rep := Report{Passes: r.Passes, Verified: r.Verified, Applied: r.Applied, Dropped: r.Dropped,
		Notes: r.Notes, Files: sortedKeys(r.Files), GoLinesBefore: r.GoLinesBefore, GoLinesAfter: r.GoLinesAfter}
	if rep.Applied == nil {
		rep.Applied = []Change{}
	}
	if rep.Dropped == nil {
		rep.Dropped = []Change{}
	}
	if rep.Notes == nil {
		rep.Notes = []string{}
	}
	if rep.Passes == nil {
		rep.Passes = []string{}
	}
	return rep
}

// JSON encodes the report, indented, with a final newline.
func (rep Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the refactoring report: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteText writes the report for people.
func (rep Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	verified := "verified with go build, go vet and go test"
	if !rep.Verified {
		verified = "not verified"
	}
	fmt.Fprintf(&sb, "refactor (%s; passes: %s): %d applied, %d dropped; Go lines %d -> %d\n",
		verified, strings.Join(rep.Passes, ", "), len(rep.Applied), len(rep.Dropped), rep.GoLinesBefore, rep.GoLinesAfter)
	change := func(c Change) {
		fmt.Fprintf(&sb, "  [%s] %s (%s: %d -> %d lines)\n", c.Pass, c.Title, strings.Join(c.Files, ", "), c.LinesBefore, c.LinesAfter)
		fmt.Fprintf(&sb, "      why: %s\n", c.Why)
		for _, n := range c.Notes {
			fmt.Fprintf(&sb, "      note: %s\n", n)
		}
		if c.Problem != "" {
			fmt.Fprintf(&sb, "      dropped because: %s\n", strings.ReplaceAll(strings.TrimSpace(c.Problem), "\n", "\n        "))
		}
	}
	if len(rep.Applied) > 0 {
		sb.WriteString("applied:\n")
		for _, c := range rep.Applied {
			change(c)
		}
	}
	if len(rep.Dropped) > 0 {
		sb.WriteString("dropped (they broke the build, vet or tests; nothing of them is kept):\n")
		for _, c := range rep.Dropped {
			change(c)
		}
	}
	if len(rep.Notes) > 0 {
		sb.WriteString("notes:\n")
		for _, n := range rep.Notes {
			fmt.Fprintf(&sb, "  - %s\n", n)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
