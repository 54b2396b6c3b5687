// Package manifest defines .decant/manifest.json, the provenance record Decant writes into
// every extracted service repository: which notebook it came from (path and sha256), which
// cell each declaration came from and where it landed (file:line), the API routes, and the
// files Decant generated.
//
// It is the one definition of the schema: extraction encodes it, and the readers (the
// production-readiness score, sync back to the notebook, artifact tooling) decode it. The
// package is a leaf: it imports only the standard library.
//
// # Compatibility
//
// [Version] is written to the "decant_manifest" field. Readers accept any manifest whose
// version is at most [Version] and ignore fields they do not know, so a field may be added
// without a version bump; a change in the meaning of an existing field bumps [Version].
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Path is where the manifest lives in a service repository (slash-separated).
const Path = ".decant/manifest.json"

// Version is the schema version this package writes and the newest it reads.
const Version = 1

// Manifest is the content of .decant/manifest.json. Encode writes the fields in this order;
// slices are written as given, so callers sort them for deterministic output.
type Manifest struct {
	// Version is the schema version ("decant_manifest"); Encode writes [Version] when it is 0.
	Version int `json:"decant_manifest"`
	// Notebook is the source notebook's path as given to extraction.
	Notebook string `json:"notebook"`
	// SHA256 is the hex sha256 of the notebook file's bytes.
	SHA256 string `json:"notebook_sha256"`
	// Module is the service's module path; Package the library package's directory (slug).
	Module  string `json:"module"`
	Package string `json:"package"`
	// Cells lists the notebook's code cells in notebook order.
	Cells []Cell `json:"cells"`
	// Routes lists the HTTP routes the emitted server serves.
	Routes []Route `json:"routes"`
	// Files lists every generated file, sorted, the manifest itself included.
	Files []string `json:"files"`
	// Decls maps each declaration of the library package's files, and of the browser
	// programs made from %wasm cells (web/cell<N>/main.go), to the cell declaration it came
	// from, in file order; decant sync merges service edits back through it. A browser
	// program's func main (Key and SourceKey "main") maps to its cell's %% body: Line and
	// EndLine span the statements of main, CellLine is the body's first line in the cell, and
	// SourceSHA256 hashes the body's text in the cell.
	Decls []Decl `json:"decls,omitempty"`
	// RunUnverified lists the steps whose replay (the pipeline's full test) could not run on
	// the machine that extracted the service, for want of something they need at run time:
	// the service was verified with go test -short, and its run was not verified.
	RunUnverified []RunNeed `json:"run_unverified,omitempty"`
}

// RunNeed is a step that needs, at run time, what the extracting machine lacked.
type RunNeed struct {
	// Step is the pipeline step the test was replaying; "" when the output does not say.
	Step string `json:"step,omitempty"`
	// Cell and Line locate the failure in the notebook (-1 when it maps to no cell).
	Cell int `json:"cell"`
	Line int `json:"line"`
	// Need is what was missing: network, plugin, program or file; or library, a library that
	// behaved differently there than where the notebook ran.
	Need string `json:"need"`
	// Cause is the failure's own words, trimmed to the part that names what is missing.
	Cause string `json:"cause"`
	// Then is how the full replay failed afterwards, as a consequence of the need.
	Then string `json:"then,omitempty"`
}

// Decl is one declaration of the library package (or of a browser program) and the cell
// declaration it came from.
type Decl struct {
	// File is the service file, Key the declaration as the service names it (func name,
	// Recv~method, var/type name, const names joined by commas), Line and EndLine its span in
	// File (1-based, doc comment included).
	File    string `json:"file"`
	Key     string `json:"key"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line"`
	// Cell, CellID and CellLine say where the declaration was in the notebook at extraction.
	Cell     int    `json:"cell"`
	CellID   string `json:"cell_id,omitempty"`
	CellLine int    `json:"cell_line"`
	// SourceKey is the declaration's key in the cell; it differs from Key when a refactoring
	// renamed it (prepareTrain and prepareTest unified as prepareRows).
	SourceKey string `json:"source_key"`
	// SourceSHA256 is the hex sha256 of the declaration's text in the cell as extracted, doc
	// comment included: the notebook side's merge base.
	SourceSHA256 string `json:"source_sha256"`
}

// Cell is one code cell of the notebook and where its declarations went.
type Cell struct {
	// Index is the cell's 0-based position in the notebook; ID its nbformat id, if any.
	Index int    `json:"index"`
	ID    string `json:"id,omitempty"`
	// Section is the cell's section ("preparation", "processing", "calculation", ...).
	Section string `json:"section"`
	// Label is the label that started the section, as written in the notebook.
	Label string `json:"label,omitempty"`
	// Skipped says why the cell was left out of the package, if it was.
	Skipped string `json:"skipped,omitempty"`
	// Places are the file:line positions (1-based) of the declarations made from the cell.
	Places []string `json:"places,omitempty"`
}

// Route is one HTTP route of the emitted server.
type Route struct {
	// Func is the library function the route calls.
	Func string `json:"func"`
	// Method and Path are the HTTP method and the URL path, such as GET /v1/probabilities.
	Method string `json:"method"`
	Path   string `json:"path"`
}

// Encode returns m as indented JSON with a trailing newline; HTML characters are not escaped.
func Encode(m *Manifest) ([]byte, error) {
	c := *m
	if c.Version == 0 {
		c.Version = Version
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", Path, err)
	}
	return buf.Bytes(), nil
}

// Decode parses a manifest. Unknown fields are ignored; a version newer than [Version] is
// refused, since its fields may not mean what this package says.
func Decode(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", Path, err)
	}
	if m.Version > Version {
		return nil, fmt.Errorf("decoding %s: schema version %d is newer than this decant reads (%d)", Path, m.Version, Version)
	}
	return &m, nil
}
