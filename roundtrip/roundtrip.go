// Package roundtrip merges what engineers changed in an extracted service back into the notebook
// it came from: the inverse of extraction, one declaration at a time.
//
// Sync takes the notebook as it is now, the manifest extraction wrote, and the service's library
// files at two commits: base (the extraction the service last merged) and theirs (the service
// now). For each declaration the manifest maps to a cell it does a three-way merge: the base is
// the declaration as extracted, ours is the cell's declaration now, theirs is the service's now.
//
//   - Unchanged in the service: nothing to do, whatever the notebook did.
//   - Changed in the service only: the service's version replaces the declaration's bytes in
//     its cell; the rest of the cell keeps its bytes. When extraction had transformed the
//     declaration (a refactoring renamed or rewrote it), the service's change is applied to the
//     cell's text as a patch instead, and a change that does not apply is a conflict.
//   - Changed on both sides: identical changes are fine; different ones are a conflict, and the
//     cell is left as it is.
//
// A function the unify refactoring made from clones (prepareTrain and prepareTest became
// prepareRows) maps back to the clone the manifest names, and its change is carried to the
// other clones with their own identifiers, so that extracting again unifies them again.
//
// Declarations the service added to its library files go into new code cells, placed at the
// end of the section they belong to and labeled with it. Generated files (the server, tests,
// configuration, the pipeline) are never read. The package does no I/O.
package roundtrip

import (
	"fmt"
	"go/format"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/decant-go/decant/extract/declspan"
	"github.com/decant-go/decant/extract/manifest"
	"github.com/decant-go/decant/notebooks"
)

// Input is what Sync merges.
type Input struct {
	Notebook *notebooks.Notebook // edited in place
	Manifest *manifest.Manifest  // as extraction wrote it at Base
	// Base and Theirs hold the service's files (slash paths) at the extraction and now. Only the
	// library package's non-test Go files are read.
	Base, Theirs map[string][]byte
	// Latest is the newest extraction (the extraction branch's tip) when it is not Base: a
	// declaration that the notebook and the service both changed is in sync when that
	// extraction made the service's version from the notebook's.
	Latest *Snapshot
	// IsLabel reports whether a code cell's first line is a section label that extraction
	// blanks before reading the cell as Go. Nil: no cell has one.
	IsLabel func(src string) bool
}

// Snapshot is one extraction: its manifest and files.
type Snapshot struct {
	Manifest *manifest.Manifest
	Files    map[string][]byte
}

// Change is one declaration written back (Before is "" for declarations added to a cell), or
// one cell added.
type Change struct {
	Cell   int    // the cell's index in the notebook as written
	CellID string // its id ("" in notebooks without ids)
	Key    string // the declaration, as the service names it
	File   string // the service file it is in
	Before string // the cell's declaration before ("" for an added cell)
	After  string
}

// Conflict is a declaration both sides changed differently, or a service change that could not
// be placed in the notebook. The cell is left unchanged.
type Conflict struct {
	Cell     int
	CellID   string
	Key      string
	File     string
	Reason   string
	Notebook string // the cell's version
	Service  string // the service's version, without its provenance note
}

// Diff is a line diff from the notebook's version to the service's.
func (c Conflict) Diff() string { return LineDiff(c.Notebook, c.Service) }

// Result says what Sync did.
type Result struct {
	Updated   []Change
	Added     []Change
	Conflicts []Conflict
	Notes     []string // declarations left alone, and why
}

// Changed reports whether the notebook was modified.
func (r *Result) Changed() bool { return len(r.Updated) > 0 || len(r.Added) > 0 }

// sectionFiles are the library files new declarations may come from, with their section's
// label as extraction reads it.
var sectionFiles = map[string]string{
	"preparation.go":   "1. Preparation",
	"preprocessing.go": "2. Pre/Post processing",
	"prediction.go":    "3. Calculation",
}

var sectionNames = map[string]string{
	"preparation.go":   "preparation",
	"preprocessing.go": "processing",
	"prediction.go":    "calculation",
}

type serviceDecl struct {
	declspan.Decl
	file string
	text string // doc comment and declaration, provenance note removed
}

// library parses the library package's non-test Go files and the browser programs made from
// %wasm cells. A program's declarations are read as the notebook writes them: without the
// qualifier of the service package, whose declarations GoNB had in scope; its func main is
// read as the statements of its body under the key "main", without main's indentation.
func library(files map[string][]byte, man *manifest.Manifest) (map[string][]serviceDecl, error) {
	out := map[string][]serviceDecl{}
	for name, src := range files {
		web := IsWasmProgram(name)
		if !web && (path.Dir(name) != man.Package || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go")) {
			continue
		}
		decls, err := declspan.File(src)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		alias := ""
		if web {
			alias = packageAlias(src, man)
		}
		for _, d := range decls {
			out[d.Key] = append(out[d.Key], serviceDecl{Decl: d, file: name, text: unqualify(StripNote(string(src[d.Start:d.End])), alias)})
		}
		if body, ok := declspan.MainBody(src); ok && web {
			text := unqualify(dedent(string(src[body.Start:body.End]), body.Indent), alias)
			out["main"] = append(out["main"], serviceDecl{Decl: declspan.Decl{Key: "main", Start: body.Start, End: body.End}, file: name, text: text})
		}
	}
	return out, nil
}

// wasmProgram matches the source of a browser program made from a %wasm cell.
var wasmProgram = regexp.MustCompile(`^web/cell\d+/main\.go$`)

// IsWasmProgram reports whether a service file is the browser program of a %wasm cell.
func IsWasmProgram(name string) bool { return wasmProgram.MatchString(name) }

// packageAlias is the name a browser program imports the service package by, or "".
func packageAlias(src []byte, man *manifest.Manifest) string {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, parser.ImportsOnly)
	if err != nil {
		return ""
	}
	for _, imp := range f.Imports {
		if p, err := strconv.Unquote(imp.Path.Value); err == nil && p == man.Module+"/"+man.Package {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return path.Base(man.Package)
		}
	}
	return ""
}

// unqualify removes the package qualifier alias from text (svc.Score becomes Score): in the
// notebook the package's declarations are in scope.
func unqualify(text, alias string) string {
	if alias == "" || !strings.Contains(text, alias+".") {
		return text
	}
	toks := scan(text)
	if toks == nil {
		return text
	}
	var sb strings.Builder
	last := 0
	for i := 0; i+2 < len(toks); i++ {
		a, dot, sel := toks[i], toks[i+1], toks[i+2]
		if a.tok == token.IDENT && a.lit == alias && dot.tok == token.PERIOD && dot.pos == a.pos+len(alias) && sel.tok == token.IDENT && sel.pos == dot.pos+1 {
			if i > 0 && toks[i-1].tok == token.PERIOD && toks[i-1].pos+1 == a.pos {
				continue // x.svc.Y: a field, not the package
			}
			sb.WriteString(text[last:a.pos])
			last = sel.pos
		}
	}
	sb.WriteString(text[last:])
	return sb.String()
}

// dedent removes indent from the start of every line of text that has it.
func dedent(text, indent string) string {
	if indent == "" {
		return text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, indent)
	}
	return strings.Join(lines, "\n")
}

// reindent adds indent to the start of every non-blank line of text.
func reindent(text, indent string) string {
	if indent == "" {
		return text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = indent + l
		}
	}
	return strings.Join(lines, "\n")
}

// find returns the declaration key in file, else the only one with that key anywhere.
func find(decls map[string][]serviceDecl, key, file string) (serviceDecl, bool) {
	all := decls[key]
	for _, d := range all {
		if d.file == file {
			return d, true
		}
	}
	if len(all) == 1 && !IsWasmProgram(file) && !IsWasmProgram(all[0].file) {
		return all[0], true
	}
	return serviceDecl{}, false
}

// noteLine matches a provenance note; notes written before they dropped the cell line
// ("cell 14, line 30.") still match, for services extracted by earlier versions.
var noteLine = regexp.MustCompile(`^// From .+, cell \d+(?:, line \d+)?\.$`)

// StripNote removes the provenance note extraction adds to a declaration's doc comment (and
// the empty comment line separating it from the rest of the doc).
func StripNote(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !noteLine.MatchString(strings.TrimRight(l, "\r")) {
			continue
		}
		j := i
		if j > 0 && strings.TrimSpace(lines[j-1]) == "//" {
			j--
		}
		return strings.Join(append(lines[:j:j], lines[i+1:]...), "\n")
	}
	return text
}

type edit struct {
	start, end int
	text       string
	change     Change
}

// Sync merges the service's changes into in.Notebook.
func Sync(in Input) (*Result, error) {
	nb, man := in.Notebook, in.Manifest
	base, err := library(in.Base, man)
	if err != nil {
		return nil, fmt.Errorf("reading the service as extracted: %w", err)
	}
	theirs, err := library(in.Theirs, man)
	if err != nil {
		return nil, fmt.Errorf("reading the service now: %w", err)
	}
	isLabel := in.IsLabel
	if isLabel == nil {
		isLabel = func(string) bool { return false }
	}
	var latest *latestState
	if in.Latest != nil && in.Latest.Manifest != nil {
		decls, err := library(in.Latest.Files, in.Latest.Manifest)
		if err == nil {
			latest = &latestState{man: in.Latest.Manifest, decls: decls}
		}
	}
	res := &Result{}
	cellIDs := map[int]string{}
	for _, c := range man.Cells {
		cellIDs[c.Index] = c.ID
	}
	cellFor := func(index int, id string) *notebooks.Cell {
		if id == "" {
			id = cellIDs[index]
		}
		for _, c := range nb.Cells {
			if id != "" && c.ID == id || id == "" && c.Index == index {
				return c
			}
		}
		return nil
	}
	edits := map[*notebooks.Cell][]edit{}
	conflicted := map[*notebooks.Cell]bool{}
	conflict := func(c *notebooks.Cell, md manifest.Decl, reason, ours, svc string) {
		cf := Conflict{Cell: md.Cell, CellID: md.CellID, Key: md.Key, File: md.File, Reason: reason, Notebook: ours, Service: svc}
		if c != nil {
			cf.Cell, cf.CellID = c.Index, c.ID
			conflicted[c] = true
		}
		res.Conflicts = append(res.Conflicts, cf)
	}
	dmp := strictPatcher()
	for _, md := range man.Decls {
		b, ok := find(base, md.Key, md.File)
		if !ok {
			continue // not in the extraction: nothing to merge against
		}
		t, ok := find(theirs, md.Key, md.File)
		if !ok {
			res.Notes = append(res.Notes, fmt.Sprintf("%s was deleted from the service; cell %d keeps it (delete it there if it should go)", md.Key, md.Cell))
			continue
		}
		if t.text == b.text {
			continue
		}
		c := cellFor(md.Cell, md.CellID)
		if c == nil {
			conflict(nil, md, fmt.Sprintf("the service changed %s, but the notebook no longer has cell %d (id %q) it came from", md.Key, md.Cell, md.CellID), "", t.text)
			continue
		}
		decls, err := declspan.Cell(c.Source, isLabel(c.Source))
		if err != nil {
			conflict(c, md, fmt.Sprintf("the service changed %s, but cell %d does not parse as Go now: %v", md.Key, c.Index, err), c.Source, t.text)
			continue
		}
		var ours declspan.Decl
		indent := "" // the indentation of a main body in the cell, which the service's lacks
		if isMain(md) {
			body, ok := declspan.CellMain(c.Source, isLabel(c.Source))
			if !ok {
				conflict(c, md, fmt.Sprintf("the service changed the browser program %s, but cell %d no longer has a %%%% body or func main", md.File, c.Index), "", t.text)
				continue
			}
			ours, indent = declspan.Decl{Key: "main", Start: body.Start, End: body.End}, body.Indent
		} else if ours, ok = cellDecl(decls, md); !ok {
			conflict(c, md, fmt.Sprintf("the service changed %s, but cell %d no longer declares %s", md.Key, c.Index, md.SourceKey), "", t.text)
			continue
		}
		raw := c.Source[ours.Start:ours.End]
		o := dedent(raw, indent)
		nbChanged := o != b.text
		if md.SourceSHA256 != "" {
			nbChanged = declspan.Hash(raw) != md.SourceSHA256
		}
		if nbChanged {
			if sameGo(o, t.text) || latestAgrees(latest, md, o, t.text) || sameChange(dmp, b.text, t.text, o, md.SourceSHA256) {
				continue // both sides made the same change
			}
			conflict(c, md, fmt.Sprintf("%s changed in both the notebook (cell %d) and the service (%s)", md.Key, c.Index, md.File), o, t.text)
			continue
		}
		merged := t.text
		// A cell declaration that differs from the extracted one only in layout (gofmt) takes
		// the service's version whole; one that extraction rewrote gets the change as a patch.
		if o != b.text && !sameGo(o, b.text) {
			// Extraction transformed the declaration (a refactoring, a rename, gofmt): carry the
			// service's edit over as a patch.
			patched, applied := dmp.PatchApply(dmp.PatchMake(b.text, t.text), o)
			for _, ok := range applied {
				if !ok {
					why := fmt.Sprintf("the service changed %s, which extraction had rewritten (a refactoring, a rename, gofmt); the change does not apply to cell %d's version: merge it by hand", md.Key, c.Index)
					if ours.Grouped {
						why = fmt.Sprintf("the service changed %s, which is part of a declaration block in cell %d and laid out differently there; merge the change by hand", md.Key, c.Index)
					}
					conflict(c, md, why, o, t.text)
					merged = ""
					break
				}
			}
			if merged == "" {
				continue
			}
			merged = patched
		}
		key := md.Key
		if isMain(md) {
			key = "the %% body"
			merged = reindent(merged, indent)
		}
		edits[c] = append(edits[c], edit{start: ours.Start, end: ours.End, text: merged,
			change: Change{Cell: c.Index, CellID: c.ID, Key: key, File: t.file, Before: raw, After: merged}})
		if md.SourceKey != "" && md.SourceKey != md.Key && ours.Kind == "func" {
			// A refactoring unified clones under a new name: the clones it removed get the
			// same change, so that extracting again unifies them again.
			for _, cl := range unifiedClones(nb, isLabel, base, md, c.Source[ours.DeclStart:ours.End]) {
				code, ok := renameIdents(codePart(merged), cl.names)
				if !ok {
					continue
				}
				before := cl.cell.Source[cl.decl.Start:cl.decl.End]
				after := cl.cell.Source[cl.decl.Start:cl.decl.DeclStart] + code
				edits[cl.cell] = append(edits[cl.cell], edit{start: cl.decl.DeclStart, end: cl.decl.End, text: code,
					change: Change{Cell: cl.cell.Index, CellID: cl.cell.ID, Key: md.Key + " (as " + cl.decl.Key + ")", File: t.file, Before: before, After: after}})
			}
		}
	}

	addToWasmCells(man, base, theirs, cellFor, isLabel, edits)

	for c, es := range edits {
		if conflicted[c] {
			for _, e := range es {
				res.Notes = append(res.Notes, fmt.Sprintf("%s: not written back, because cell %d has a conflict and is left unchanged", e.change.Key, c.Index))
			}
			continue
		}
		sort.Slice(es, func(i, j int) bool { return es[i].start > es[j].start })
		src := c.Source
		overlap := false
		for i, e := range es {
			if i > 0 && e.end > es[i-1].start {
				overlap = true
			}
			src = src[:e.start] + e.text + src[e.end:]
		}
		if _, err := declspan.Cell(src, isLabel(src)); err != nil || overlap {
			for _, e := range es {
				conflict(c, manifest.Decl{Key: e.change.Key, File: e.change.File}, fmt.Sprintf("writing the service's %s back would break cell %d: %v", e.change.Key, c.Index, err), e.change.Before, e.change.After)
			}
			continue
		}
		c.Source = src
		for i := len(es) - 1; i >= 0; i-- {
			res.Updated = append(res.Updated, es[i].change)
		}
	}
	sort.Slice(res.Updated, func(i, j int) bool {
		a, b := res.Updated[i], res.Updated[j]
		return a.Cell < b.Cell || a.Cell == b.Cell && a.Key < b.Key
	})
	addNew(nb, man, base, theirs, cellFor, res)
	unmapped(man, in.Base, in.Theirs, res)
	return res, nil
}

// isMain reports whether a manifest entry is a browser program's func main, which maps to its
// %wasm cell's %% body.
func isMain(md manifest.Decl) bool { return md.Key == "main" && IsWasmProgram(md.File) }

// addToWasmCells puts the declarations the service added to a browser program into its
// %wasm cell, before the cell's %% line (or its func main): GoNB compiles a %wasm cell's
// declarations into its program only.
func addToWasmCells(man *manifest.Manifest, base, theirs map[string][]serviceDecl, cellFor func(int, string) *notebooks.Cell, isLabel func(string) bool, edits map[*notebooks.Cell][]edit) {
	type program struct {
		cell  int
		id    string
		added []serviceDecl
	}
	progs := map[string]*program{}
	for _, md := range man.Decls {
		if isMain(md) {
			progs[md.File] = &program{cell: md.Cell, id: md.CellID}
		}
	}
	for key, ds := range theirs {
		for _, d := range ds {
			if p := progs[d.file]; p != nil && key != "main" && !inFile(base[key], d.file) {
				p.added = append(p.added, d)
			}
		}
	}
	for file, p := range progs {
		c := cellFor(p.cell, p.id)
		if c == nil || len(p.added) == 0 {
			continue
		}
		body, ok := declspan.CellMain(c.Source, isLabel(c.Source))
		if !ok {
			continue
		}
		sort.Slice(p.added, func(i, j int) bool { return p.added[i].Start < p.added[j].Start })
		var sb strings.Builder
		var keys []string
		for _, d := range p.added {
			sb.WriteString(d.text + "\n\n")
			keys = append(keys, d.Key)
		}
		edits[c] = append(edits[c], edit{start: body.Head, end: body.Head, text: sb.String(),
			change: Change{Cell: c.Index, CellID: c.ID, Key: strings.Join(keys, ", "), File: file, After: sb.String()}})
	}
}

// unmapped notes the browser programs that changed but that the manifest maps to no cell (a
// service extracted by an earlier decant): their changes are not carried back.
func unmapped(man *manifest.Manifest, baseFiles, theirFiles map[string][]byte, res *Result) {
	mapped := map[string]bool{}
	for _, md := range man.Decls {
		mapped[md.File] = true
	}
	var files []string
	for f, src := range theirFiles {
		if IsWasmProgram(f) && !mapped[f] && string(src) != string(baseFiles[f]) {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		res.Notes = append(res.Notes, fmt.Sprintf("%s changed, but the extraction's manifest maps none of its declarations to a cell: its changes are not carried back (extract the notebook again with this decant, merge it, then sync)", f))
	}
	if man.Package != "" {
		if n, ok := pipelineNote(man, man.Package+"/pipeline.go", baseFiles, theirFiles); ok {
			res.Notes = append(res.Notes, n)
		}
	}
}

// pipelineNote says that edits of the pipeline's steps are not carried back, naming the cells
// whose statements the changed lines hold (a gophernotes or lgo step holds several cells').
func pipelineNote(man *manifest.Manifest, file string, baseFiles, theirFiles map[string][]byte) (string, bool) {
	base, theirs := baseFiles[file], theirFiles[file]
	if base == nil || theirs == nil || string(base) == string(theirs) {
		return "", false
	}
	a, b := strings.Split(string(base), "\n"), strings.Split(string(theirs), "\n")
	first := 0
	for first < len(a) && first < len(b) && a[first] == b[first] {
		first++
	}
	last := len(a) - 1 // the last changed line of base, 0-based
	for k := len(b) - 1; last >= first && k >= first && a[last] == b[k]; k-- {
		last--
	}
	last = max(last, first)
	// A place is where a run of one cell's lines starts; the changed lines belong to the run
	// before them and to every run starting among them.
	type place struct{ line, cell int }
	var places []place
	for _, c := range man.Cells {
		for _, p := range c.Places {
			f, l, ok := strings.Cut(p, ":")
			if n, err := strconv.Atoi(l); ok && err == nil && f == file {
				places = append(places, place{n, c.Index})
			}
		}
	}
	sort.Slice(places, func(i, j int) bool { return places[i].line < places[j].line })
	cells := map[int]bool{}
	for i, p := range places {
		next := 1 << 30
		if i+1 < len(places) {
			next = places[i+1].line
		}
		if p.line <= last+1 && next > first+1 {
			cells[p.cell] = true
		}
	}
	var ids []int
	for c := range cells {
		ids = append(ids, c)
	}
	sort.Ints(ids)
	var names []string
	for _, c := range ids {
		names = append(names, strconv.Itoa(c))
	}
	where := ""
	if len(names) > 0 {
		where = " (the statements of cell " + strings.Join(names, ", cell ") + ")"
	}
	return fmt.Sprintf("%s changed%s: the pipeline's steps are generated from the notebook's statements, and sync does not carry edits of them back; make the change in the cell, or move the code into a function of a section file, which sync does carry back", file, where), true
}

func inFile(ds []serviceDecl, file string) bool {
	for _, d := range ds {
		if d.file == file {
			return true
		}
	}
	return false
}

type clone struct {
	cell  *notebooks.Cell
	decl  declspan.Decl
	names map[string]string // identifiers of the source function -> the clone's
}

// unifiedClones finds the functions of the notebook that a refactoring merged into md's
// declaration: not in the service as extracted, and the same code as the function md came
// from but for the names of identifiers (a type-2 clone, as the unify refactoring merges).
func unifiedClones(nb *notebooks.Notebook, isLabel func(string) bool, base map[string][]serviceDecl, md manifest.Decl, code string) []clone {
	var out []clone
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		decls, err := declspan.Cell(c.Source, isLabel(c.Source))
		if err != nil {
			continue
		}
		for _, d := range decls {
			if d.Kind != "func" || d.Key == md.SourceKey || d.Key == md.Key || len(base[d.Key]) > 0 {
				continue
			}
			if names, ok := identMap(code, c.Source[d.DeclStart:d.End]); ok {
				out = append(out, clone{c, d, names})
			}
		}
	}
	return out
}

// codePart is a declaration's text without its doc comment.
func codePart(text string) string {
	if decls, err := declspan.File([]byte("package p\n" + text)); err == nil && len(decls) == 1 {
		return ("package p\n" + text)[decls[0].DeclStart:decls[0].End]
	}
	return text
}

type token1 struct {
	pos int
	tok token.Token
	lit string
}

func scan(src string) []token1 {
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	var errs int
	s.Init(f, []byte(src), func(token.Position, string) { errs++ }, 0)
	var out []token1
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		out = append(out, token1{f.Offset(pos), tok, lit})
	}
	if errs > 0 {
		return nil
	}
	return out
}

// identMap reports whether b is a with identifiers consistently renamed, and the renaming.
func identMap(a, b string) (map[string]string, bool) {
	ta, tb := scan(a), scan(b)
	if len(ta) == 0 || len(ta) != len(tb) {
		return nil, false
	}
	fwd, back := map[string]string{}, map[string]string{}
	for i := range ta {
		x, y := ta[i], tb[i]
		if x.tok != y.tok {
			return nil, false
		}
		if x.tok != token.IDENT {
			if x.lit != y.lit {
				return nil, false
			}
			continue
		}
		if m, ok := fwd[x.lit]; ok && m != y.lit {
			return nil, false
		}
		if m, ok := back[y.lit]; ok && m != x.lit {
			return nil, false
		}
		fwd[x.lit], back[y.lit] = y.lit, x.lit
	}
	return fwd, true
}

// renameIdents renames the identifiers of code by names, leaving every other byte alone.
func renameIdents(code string, names map[string]string) (string, bool) {
	toks := scan(code)
	if toks == nil {
		return "", false
	}
	var sb strings.Builder
	last := 0
	for _, t := range toks {
		if t.tok != token.IDENT {
			continue
		}
		if to, ok := names[t.lit]; ok && to != t.lit {
			sb.WriteString(code[last:t.pos])
			sb.WriteString(to)
			last = t.pos + len(t.lit)
		}
	}
	sb.WriteString(code[last:])
	return sb.String(), true
}

// cellDecl finds the cell's declaration the manifest entry came from: by its key in the cell,
// else by the line extraction noted (a declaration the extraction renamed).
func cellDecl(decls []declspan.Decl, md manifest.Decl) (declspan.Decl, bool) {
	key := md.SourceKey
	if key == "" {
		key = md.Key
	}
	var found declspan.Decl
	ok := false
	for _, d := range decls {
		if d.Key == key && key != "init" {
			found, ok = d, true // the last one wins, as in GoNB
		}
	}
	if ok {
		return found, true
	}
	for _, d := range decls {
		if d.Line == md.CellLine {
			return d, true
		}
	}
	return declspan.Decl{}, false
}

// addNew puts declarations the service added to its section files into new cells.
func addNew(nb *notebooks.Notebook, man *manifest.Manifest, base, theirs map[string][]serviceDecl, cellFor func(int, string) *notebooks.Cell, res *Result) {
	byFile := map[string][]serviceDecl{}
	for key, ds := range theirs {
		if _, ok := base[key]; ok {
			continue
		}
		for _, d := range ds {
			if _, ok := sectionFiles[path.Base(d.file)]; ok {
				byFile[d.file] = append(byFile[d.file], d)
			}
		}
	}
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		ds := byFile[f]
		sort.Slice(ds, func(i, j int) bool { return ds[i].Start < ds[j].Start })
		file := path.Base(f)
		var sb strings.Builder
		sb.WriteString("// " + sectionFiles[file] + " (added by decant sync from " + f + ")\n")
		for i, d := range ds {
			if i > 0 {
				sb.WriteString("\n")
			}
			sb.WriteString(d.text + "\n")
		}
		// After the last cell extraction put in that section; else at the end.
		at := len(nb.Cells)
		for _, mc := range man.Cells {
			if mc.Section != sectionNames[file] {
				continue
			}
			if c := cellFor(mc.Index, mc.ID); c != nil && (at == len(nb.Cells) || c.Index+1 > at) {
				at = c.Index + 1
			}
		}
		cell := nb.NewCodeCell(strings.TrimRight(sb.String(), "\n"))
		nb.InsertCell(at, cell)
		var keys []string
		for _, d := range ds {
			keys = append(keys, d.Key)
		}
		res.Added = append(res.Added, Change{Cell: cell.Index, CellID: cell.ID, Key: strings.Join(keys, ", "), File: f, After: cell.Source})
	}
	// Indexes of updated cells after an insertion moved.
	for i := range res.Updated {
		for _, c := range nb.Cells {
			if res.Updated[i].CellID != "" && c.ID == res.Updated[i].CellID {
				res.Updated[i].Cell = c.Index
			}
		}
	}
}

type latestState struct {
	man   *manifest.Manifest
	decls map[string][]serviceDecl
}

// latestAgrees reports whether the newest extraction made the service's version t from the
// cell's version o: the notebook's change was extracted and merged.
func latestAgrees(l *latestState, md manifest.Decl, o, t string) bool {
	if l == nil {
		return false
	}
	for _, ld := range l.man.Decls {
		if ld.Key != md.Key || ld.SourceSHA256 != declspan.Hash(o) {
			continue
		}
		if d, ok := find(l.decls, ld.Key, ld.File); ok && d.text == t {
			return true
		}
	}
	return false
}

// strictPatcher makes patches that apply only where their context and deleted text are found
// exactly (anywhere in the text): a fuzzy match could put a change in the wrong place.
func strictPatcher() *diffmatchpatch.DiffMatchPatch {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	dmp.MatchThreshold = 0.01 // one wrong byte in a 32-byte pattern scores 0.03
	dmp.MatchDistance = 1 << 20
	dmp.PatchDeleteThreshold = 0
	return dmp
}

// sameChange reports whether the cell's version o is its version as extracted with the
// service's change (base to theirs) applied: undoing that change gives back the extracted text,
// as its hash proves. It recognizes the same edit made on both sides of a declaration that
// extraction had transformed.
func sameChange(dmp *diffmatchpatch.DiffMatchPatch, base, theirs, o, sha string) bool {
	if sha == "" {
		return false
	}
	undone, applied := dmp.PatchApply(dmp.PatchMake(theirs, base), o)
	for _, ok := range applied {
		if !ok {
			return false
		}
	}
	return declspan.Hash(undone) == sha
}

// sameGo compares two declarations ignoring formatting differences gofmt would remove.
func sameGo(a, b string) bool {
	norm := func(s string) string {
		if out, err := format.Source([]byte("package p\n\n" + s)); err == nil {
			s = string(out)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	return norm(a) == norm(b)
}

// LineDiff is a line-by-line diff of a and b: unchanged lines start with a space, removed ones
// with -, added ones with +.
func LineDiff(a, b string) string {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	var sb strings.Builder
	for _, d := range diffs {
		prefix := " "
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			prefix = "-"
		case diffmatchpatch.DiffInsert:
			prefix = "+"
		}
		text := strings.TrimSuffix(d.Text, "\n")
		for _, l := range strings.Split(text, "\n") {
			sb.WriteString(prefix + l + "\n")
		}
	}
	return sb.String()
}
