package proxy

import (
	"encoding/json"
	"strings"
)

// HistoryRequest is the content of a history_request.
type HistoryRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"` // tail, range or search
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           *int   `json:"stop"`
	N              *int   `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// entry is one stored cell.
type entry struct {
	line   int
	input  string
	output *string // text/plain of the cell's execute_result
}

// History keeps the cells run in this kernel session, for history_request.
// GoNB keeps none. Its zero value is an empty history of session 1.
type History struct {
	// Session numbers this kernel's session in replies (default 1).
	Session int
	entries []entry
}

func (h *History) session() int {
	if h.Session == 0 {
		return 1
	}
	return h.Session
}

// Add records that cell line (the execution count) ran input.
func (h *History) Add(line int, input string) {
	h.entries = append(h.entries, entry{line: line, input: input})
}

// SetOutput records the text/plain result of cell line.
func (h *History) SetOutput(line int, output string) {
	for i := len(h.entries) - 1; i >= 0; i-- {
		if h.entries[i].line == line {
			h.entries[i].output = &output
			return
		}
	}
}

// Query answers req with history entries, oldest first, each encoded as
// [session, line, input] or, when req.Output is set,
// [session, line, [input, output]] (output null when there was none), as
// IPython does. An unknown access type gives no entries.
func (h *History) Query(req HistoryRequest) []json.RawMessage {
	var picked []entry
	switch req.HistAccessType {
	case "tail":
		picked = lastN(h.entries, req.N)
	case "range":
		if req.Session > 0 && req.Session != h.session() {
			break // only this session is kept
		}
		for _, e := range h.entries {
			if e.line >= req.Start && (req.Stop == nil || e.line < *req.Stop) {
				picked = append(picked, e)
			}
		}
	case "search":
		pattern := req.Pattern
		if pattern == "" {
			pattern = "*"
		}
		seen := map[string]bool{}
		// Walk newest first so that unique keeps the latest run of each input.
		for i := len(h.entries) - 1; i >= 0; i-- {
			e := h.entries[i]
			if !globMatch(pattern, e.input) || req.Unique && seen[e.input] {
				continue
			}
			seen[e.input] = true
			picked = append(picked, e)
		}
		for i, j := 0, len(picked)-1; i < j; i, j = i+1, j-1 {
			picked[i], picked[j] = picked[j], picked[i]
		}
		picked = lastN(picked, req.N)
	}
	out := make([]json.RawMessage, 0, len(picked))
	for _, e := range picked {
		var v any = e.input
		if req.Output {
			v = []any{e.input, e.output}
		}
		data, _ := json.Marshal([]any{h.session(), e.line, v}) // strings and ints always encode
		out = append(out, data)
	}
	return out
}

func lastN(es []entry, n *int) []entry {
	if n == nil || *n < 0 || *n >= len(es) {
		return es
	}
	return es[len(es)-*n:]
}

// globMatch matches s against a glob pattern with * (any run of
// characters, newlines included) and ? (one character), as IPython's
// history search does through SQLite GLOB.
func globMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	// Iterative matching with one backtrack point per star.
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]) && p[pi] != '*':
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	return strings.Trim(string(p[pi:]), "*") == ""
}
