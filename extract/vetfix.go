package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// VetFix is a go vet diagnostic of the service whose one suggested fix was applied.
type VetFix struct {
	Analyzer string // printf, …
	File     string // generated file, slash path
	Line     int
	Cell     int // -1 when the line maps to no cell
	CellLine int
	Message  string // the diagnostic
	Fix      string // the fix's description, as go vet gives it
	// Rewrite, when vet offers no fix, is Decant's exact rewrite of the call it reported (a
	// Println-style call with a redundant newline, rewritten to print the same): its
	// description.
	Rewrite string
}

// Decision says what was fixed, at the cell and line it came from.
func (f VetFix) Decision() Decision {
	d := Decision{Cell: f.Cell, Line: f.CellLine, Subject: "go vet " + f.Analyzer, Action: "converted",
		Reason: fmt.Sprintf("%s: applied go vet's suggested fix (%s)", f.Message, f.Fix)}
	if f.Rewrite != "" {
		d.Reason = fmt.Sprintf("%s: %s", f.Message, f.Rewrite)
	}
	return d
}

// vetDiagnostic is one diagnostic of `go vet -json`, in the format of x/tools' unitchecker.
type vetDiagnostic struct {
	Posn           string `json:"posn"`
	Message        string `json:"message"`
	SuggestedFixes []struct {
		Message string `json:"message"`
		Edits   []struct {
			Filename   string `json:"filename"`
			Start, End int
			New        string `json:"new"`
		} `json:"edits"`
	} `json:"suggested_fixes"`
}

// fixVet runs `go vet -json` on the service in dir and applies, to out.Files and to dir, the
// fix of each diagnostic that has exactly one: the analyzers' own edits (printf's "%s" for a
// non-constant format string, for one). A diagnostic with several fixes is a choice left to
// the user, and one with none stays a problem, but for one: a Println-style call whose last
// operand ends in a newline is rewritten to the call that prints exactly the same (see
// rewriteRedundantNewline). A fix must keep the file's lines where they are, so that every line
// still maps to its cell, and must apply cleanly to the file as generated; others are left
// alone.
func fixVet(ctx context.Context, dir string, out *Output, opts VerifyOptions) []VetFix {
	text, _ := opts.run(ctx, dir, "vet", "-json", "./...")
	var all []pendingFix
	var byAnalyzer []map[string]json.RawMessage
	for _, byPackage := range decodeVetJSON(text) {
		for _, pkg := range slices.Sorted(maps.Keys(byPackage)) {
			byAnalyzer = append(byAnalyzer, byPackage[pkg])
		}
	}
	for _, diagsOf := range byAnalyzer {
		for _, analyzer := range slices.Sorted(maps.Keys(diagsOf)) {
			raw := diagsOf[analyzer]
			var diags []vetDiagnostic
			if json.Unmarshal(raw, &diags) != nil {
				continue // {"error": …}: a package vet could not check
			}
			for _, d := range diags {
				if p, ok := rewriteVetFinding(dir, out, analyzer, d); ok {
					all = append(all, p)
					continue
				}
				if len(d.SuggestedFixes) != 1 || len(d.SuggestedFixes[0].Edits) == 0 {
					continue
				}
				p := pendingFix{fix: VetFix{Analyzer: analyzer, Message: d.Message, Fix: d.SuggestedFixes[0].Message, Cell: -1}}
				ok := true
				for _, e := range d.SuggestedFixes[0].Edits {
					name := e.Filename
					if rel, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(rel, "..") {
						name = filepath.ToSlash(rel)
					}
					if p.file == "" {
						p.file = name
					}
					ok = ok && name == p.file
					p.edits = append(p.edits, edit{e.Start, e.End, e.New})
				}
				if !ok {
					continue // one fix across files: not worth the risk
				}
				_, line, _ := parsePosn(d.Posn)
				p.fix.File, p.fix.Line = p.file, line
				all = append(all, p)
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].file != all[j].file {
			return all[i].file < all[j].file
		}
		return all[i].edits[0].start < all[j].edits[0].start
	})
	// Every offset is one in the file as generated: a file's accepted edits are applied
	// together, from the end. A fix that overlaps one accepted before it, falls outside the
	// file or adds or removes lines is left alone.
	var fixes []VetFix
	changed := map[string][]byte{}
	for i := 0; i < len(all); {
		name := all[i].file
		j := i
		for j < len(all) && all[j].file == name {
			j++
		}
		src, ok := out.Files[name]
		if !ok {
			i = j
			continue
		}
		var accepted []edit
		var fileFixes []VetFix
		for _, p := range all[i:j] {
			good := true
			for _, e := range p.edits {
				good = good && e.start >= 0 && e.start <= e.end && e.end <= len(src) &&
					bytes.Count(src[e.start:e.end], []byte("\n")) == strings.Count(e.text, "\n")
				for _, a := range accepted {
					good = good && (e.end < a.start || a.end < e.start || (e.start == e.end && a.start == a.end && e.start != a.start))
				}
			}
			if !good {
				continue
			}
			accepted = append(accepted, p.edits...)
			f := p.fix
			if c, cl, _, ok := out.Locate(f.File, f.Line); ok {
				f.Cell, f.CellLine = c, cl
			}
			fileFixes = append(fileFixes, f)
		}
		i = j
		if len(accepted) == 0 {
			continue
		}
		sort.Slice(accepted, func(a, b int) bool { return accepted[a].start > accepted[b].start })
		next := slices.Clone(src)
		for _, e := range accepted {
			next = append(next[:e.start:e.start], append([]byte(e.text), next[e.end:]...)...)
		}
		if formatted, err := formatGo(next); err == nil {
			next = formatted
		}
		if bytes.Count(next, []byte("\n")) != bytes.Count(src, []byte("\n")) {
			continue
		}
		changed[name] = next
		fixes = append(fixes, fileFixes...)
	}
	if len(changed) == 0 {
		return nil
	}
	for name, data := range changed {
		out.Files[name] = data
	}
	if err := WriteDir(dir, changed, nil); err != nil {
		return nil
	}
	return fixes
}

// pendingFix is a fix to apply to one file: edits at offsets in the file as generated.
type pendingFix struct {
	fix   VetFix
	file  string
	edits []edit
}

// rewriteVetFinding returns Decant's exact rewrite for vet's diagnostic d, when d is one it
// has a rewrite for and vet offered no fix.
func rewriteVetFinding(dir string, out *Output, analyzer string, d vetDiagnostic) (pendingFix, bool) {
	m := redundantNewlineRE.FindStringSubmatch(d.Message)
	if analyzer != "printf" || len(d.SuggestedFixes) != 0 || m == nil {
		return pendingFix{}, false
	}
	name, line, col := parsePosn(d.Posn)
	if rel, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(rel, "..") {
		name = filepath.ToSlash(rel)
	}
	src, ok := out.Files[name]
	if !ok {
		return pendingFix{}, false
	}
	rw, ok := rewriteRedundantNewline(src, line, col, m[1])
	if !ok {
		return pendingFix{}, false
	}
	return pendingFix{
		fix:   VetFix{Analyzer: analyzer, File: name, Line: line, Cell: -1, Message: d.Message, Rewrite: describeLnRewrite(m[1], rw.call)},
		file:  name,
		edits: rw.edits,
	}, true
}

// decodeVetJSON reads the JSON objects `go vet -json` prints (one per package, by package
// path then analyzer name), skipping any other line.
func decodeVetJSON(text []byte) []map[string]map[string]json.RawMessage {
	var out []map[string]map[string]json.RawMessage
	for len(text) > 0 {
		i := bytes.IndexByte(text, '{')
		if i < 0 {
			break
		}
		dec := json.NewDecoder(bytes.NewReader(text[i:]))
		var v map[string]map[string]json.RawMessage
		if err := dec.Decode(&v); err != nil {
			text = text[i+1:]
			continue
		}
		out = append(out, v)
		text = text[i+int(dec.InputOffset()):]
	}
	return out
}

// parsePosn splits "file:line:col".
func parsePosn(posn string) (file string, line, col int) {
	rest := posn
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		fmt.Sscan(rest[i+1:], &col)
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		fmt.Sscan(rest[i+1:], &line)
		rest = rest[:i]
	}
	return rest, line, col
}
