// Package notebooks reads and writes Jupyter notebooks (.ipynb files) in
// nbformat 4.0 to 4.5 without losing anything they contain.
//
// # Model
//
// Parse decodes a notebook into a [Notebook]: the format version, and the
// cells as [Cell] values whose exported fields are the parts programs edit —
// type, id, source text, tags, execution count and outputs ([Output]).
// Multi-line fields, which a file may store either as one string or as a
// list of lines, are exposed joined into one string.
//
// Everything else — notebook and cell metadata, attachments, output
// metadata, and fields this package does not know, at any level — is kept
// as decoded, with numbers held as their original text ([encoding/json.Number]),
// so floats and large integers are never rounded. Cell and notebook metadata
// are reached through the Metadata and SetMetadata methods.
//
// # Round trip
//
// [Format] writes a notebook exactly as Jupyter (nbformat) does, which is
// Python's json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)
// followed by a newline: one space of indent per level, keys sorted by code
// point, non-ASCII text unescaped, and only '"', '\\' and control characters
// escaped (unlike encoding/json, it leaves <, >, & and U+2028/U+2029 alone).
//
// A field that was not changed since Parse is written in its original form:
// a source stored as one string stays one string, a list of lines stays that
// exact list. A changed or new field is written as nbformat writes it:
// sources, stream text, and text/*, JavaScript and SVG data as lists of lines
// split like Python's str.splitlines(keepends=True), other data as one
// string, JSON mime types (application/json, application/*+json) as JSON.
//
// The guarantee that follows: for a notebook file written by Jupyter,
// Format(Parse(b)) == b byte for byte, and editing one cell changes only the
// bytes of that cell. For files written by other tools (hand-edited, saved by
// Google Colab with two-space indent and unsorted keys, missing the final
// newline) the JSON value is preserved but the layout becomes Jupyter's.
// In every case the output of Format is a fixed point: parsing and
// formatting it again gives the same bytes.
//
// # Validation
//
// Parse rejects input that is not a valid nbformat 4 notebook with an
// [*Error] naming the file, the cell and the JSON key at fault (and the line
// and column for JSON syntax errors). It checks the required keys and their
// types, cell and output types, cell ids (required from nbformat 4.5 on,
// unique, 1 to 64 characters of [a-zA-Z0-9-_]), tags (unique, non-empty,
// without commas), and the kernelspec and language_info metadata it reads.
// Other metadata is kept unchecked, as Jupyter itself tolerates it.
// nbformat 3 notebooks fail with an error wrapping [ErrNBFormat3], which says
// how to convert them. Notebooks of a newer minor version (4.6 and later) are
// read as nbformat specifies: unknown cell and output types are kept
// as they are.
//
// Format checks the same rules, so a notebook built or edited in memory is
// written only if it is valid; new cells get ids from NewCodeCell,
// NewMarkdownCell, NewRawCell or InsertCell.
package notebooks
