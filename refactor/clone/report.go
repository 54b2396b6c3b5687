package clone

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Report is the JSON form of a Result.
type Report struct {
	Groups   []ReportGroup     `json:"groups"`
	Excluded []ReportExclusion `json:"excluded"`
}

// ReportGroup is a Group for people and tools.
type ReportGroup struct {
	Kind    Kind           `json:"kind"`
	Type    int            `json:"type"`
	Tokens  int            `json:"tokens"`
	Stmts   int            `json:"stmts"`
	Members []ReportMember `json:"members"`
	Diffs   []ReportDiff   `json:"diffs,omitempty"`
}

// ReportMember locates a member.
type ReportMember struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line"`
}

// ReportDiff is a Diff without syntax.
type ReportDiff struct {
	Kind  DiffKind `json:"kind"`
	Texts []string `json:"texts"`
	Type  string   `json:"type,omitempty"`
}

// ReportExclusion is an Exclusion without syntax.
type ReportExclusion struct {
	Kind    Kind           `json:"kind"`
	Members []ReportMember `json:"members"`
	Reason  string         `json:"reason"`
}

// MakeReport converts r; rel maps file names (for example to paths relative to a directory)
// and may be nil.
func MakeReport(r Result, rel func(string) string) Report {
	if rel == nil {
		rel = func(s string) string { return s }
	}
	members := func(ms []Member) []ReportMember {
		out := make([]ReportMember, len(ms))
		for i, m := range ms {
			out[i] = ReportMember{rel(m.File), m.Line, m.EndLine}
		}
		return out
	}
	rep := Report{Groups: []ReportGroup{}, Excluded: []ReportExclusion{}}
	for _, g := range r.Groups {
		rg := ReportGroup{Kind: g.Kind, Type: g.CloneType(), Tokens: g.Tokens, Stmts: g.Stmts, Members: members(g.Members)}
		seen := map[string]bool{}
		for _, d := range g.Diffs {
			rd := ReportDiff{d.Kind, d.Texts, typeString(d.Type)}
			k := fmt.Sprintf("%q", rd)
			if !seen[k] {
				seen[k] = true
				rg.Diffs = append(rg.Diffs, rd)
			}
		}
		rep.Groups = append(rep.Groups, rg)
	}
	for _, e := range r.Excluded {
		rep.Excluded = append(rep.Excluded, ReportExclusion{e.Kind, members(e.Members), e.Reason})
	}
	return rep
}

// JSON encodes the report, indented, with a final newline.
func (rep Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding clone report: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteText writes the report for people: one paragraph per group, then the exclusions.
func (rep Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d clone groups\n", len(rep.Groups))
	for i, g := range rep.Groups {
		fmt.Fprintf(&sb, "\ngroup %d: %d× type-%d %s clone, %d tokens, %d statements\n", i+1, len(g.Members), g.Type, g.Kind, g.Tokens, g.Stmts)
		for _, m := range g.Members {
			fmt.Fprintf(&sb, "  %s:%d-%d\n", m.File, m.Line, m.EndLine)
		}
		for _, d := range g.Diffs {
			t := ""
			if d.Type != "" {
				t = " (" + d.Type + ")"
			}
			fmt.Fprintf(&sb, "  differs: %s %s%s\n", d.Kind, strings.Join(d.Texts, " | "), t)
		}
	}
	if len(rep.Excluded) > 0 {
		fmt.Fprintf(&sb, "\n%d candidates excluded\n", len(rep.Excluded))
		for _, e := range rep.Excluded {
			var locs []string
			for _, m := range e.Members {
				locs = append(locs, fmt.Sprintf("%s:%d-%d", m.File, m.Line, m.EndLine))
			}
			fmt.Fprintf(&sb, "  %s vs %s: %s\n", locs[0], strings.Join(locs[1:], ", "), e.Reason)
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
