package notebooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Notebook is a decoded nbformat 4 notebook.
type Notebook struct {
	Name          string // as given to Parse (for errors)
	NBFormat      int
	NBFormatMinor int
	Cells         []*Cell

	// top holds every top-level field except cells, nbformat and
	// nbformat_minor, including "metadata", as decoded.
	top map[string]any
	// made counts cells created by NewCodeCell/NewMarkdownCell/NewRawCell so
	// that successive new cells get distinct ids even with equal sources.
	made int
}

// Cell is one notebook cell.
type Cell struct {
	Index          int      // position in Cells, 0-based
	ID             string   // "" when the notebook has no ids (< 4.5)
	Type           string   // "code", "markdown", "raw" (other values only in notebooks newer than 4.5)
	Source         string   // the joined source text; assign to change it
	Tags           []string // metadata.tags
	ExecutionCount *int     // code cells
	Outputs        []Output // code cells

	raw      map[string]any // every field as decoded; managed fields are overridden on Format
	meta     map[string]any // metadata, without regard to Tags
	origType string
	origSrc  string
	srcRaw   any // source as decoded (string or list); nil if absent
	origTags []string
}

// Output is one output of a code cell.
type Output struct {
	Type           string            // "stream", "display_data", "execute_result", "error"
	Name           string            // stream: "stdout" / "stderr"
	Text           string            // stream text (joined)
	Data           map[string]string // mime type -> joined text; JSON mime types (application/json, application/*+json) hold the raw JSON text
	Metadata       json.RawMessage   // output metadata (nil/empty => {})
	ExecutionCount *int              // execute_result
	EName, EValue  string            // error
	Traceback      []string          // error

	raw      map[string]any // every field as decoded
	origType string
	origText string
	textRaw  any               // text as decoded
	origData map[string]string // Data as decoded
	dataRaw  map[string]any    // data as decoded
	origMeta json.RawMessage   // Metadata as decoded
	metaRaw  any               // metadata as decoded; nil if absent
}

// New returns an empty nbformat 4.5 notebook with empty metadata.
func New(name string) *Notebook {
	return &Notebook{
		Name:          name,
		NBFormat:      4,
		NBFormatMinor: 5,
		top:           map[string]any{"metadata": map[string]any{}},
	}
}

func (nb *Notebook) metadata() map[string]any {
	m, _ := nb.top["metadata"].(map[string]any)
	return m
}

func (nb *Notebook) metaString(path ...string) string {
	var v any = nb.metadata()
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// KernelName returns metadata.kernelspec.name, or "" if absent.
func (nb *Notebook) KernelName() string { return nb.metaString("kernelspec", "name") }

// KernelDisplayName returns metadata.kernelspec.display_name, or "" if absent.
func (nb *Notebook) KernelDisplayName() string {
	return nb.metaString("kernelspec", "display_name")
}

// Language returns metadata.kernelspec.language, else
// metadata.language_info.name, else "".
func (nb *Notebook) Language() string {
	if l := nb.metaString("kernelspec", "language"); l != "" {
		return l
	}
	return nb.metaString("language_info", "name")
}

// Metadata returns the notebook-level metadata value for key as compact JSON.
func (nb *Notebook) Metadata(key string) (json.RawMessage, bool) {
	v, ok := nb.metadata()[key]
	if !ok {
		return nil, false
	}
	raw, err := compactJSON(v)
	return raw, err == nil
}

// SetMetadata sets notebook-level metadata key to v, encoded with
// encoding/json. A nil v deletes the key.
func (nb *Notebook) SetMetadata(key string, v any) error {
	if nb.top == nil {
		nb.top = map[string]any{}
	}
	m := nb.metadata()
	if m == nil {
		m = map[string]any{}
	}
	m = cloneMap(m)
	if v == nil {
		delete(m, key)
	} else {
		tv, err := toTree(v)
		if err != nil {
			return fmt.Errorf("setting notebook metadata %q: %w", key, err)
		}
		m[key] = tv
	}
	nb.top = cloneMap(nb.top)
	nb.top["metadata"] = m
	return nil
}

// NewCodeCell returns a new code cell (not inserted) with no outputs.
// When the notebook has cell ids (nbformat_minor >= 5) the cell gets an id
// derived from the notebook name, its cell count, the number of cells made
// so far and the source, so the same edits always produce the same ids.
func (nb *Notebook) NewCodeCell(source string) *Cell {
	c := nb.newCell("code", source)
	c.Outputs = []Output{}
	return c
}

// NewMarkdownCell returns a new markdown cell (not inserted); see NewCodeCell
// for its id.
func (nb *Notebook) NewMarkdownCell(source string) *Cell { return nb.newCell("markdown", source) }

// NewRawCell returns a new raw cell (not inserted); see NewCodeCell for its id.
func (nb *Notebook) NewRawCell(source string) *Cell { return nb.newCell("raw", source) }

func (nb *Notebook) newCell(typ, source string) *Cell {
	c := &Cell{Index: -1, Type: typ, Source: source}
	if nb.NBFormatMinor >= 5 {
		c.ID = nb.deriveID(source)
	}
	nb.made++
	return c
}

// deriveID returns an id not used by any cell of nb: the first 8 hex digits
// (the length nbformat itself generates) of a hash of stable inputs.
func (nb *Notebook) deriveID(source string) string {
	used := make(map[string]bool, len(nb.Cells))
	for _, c := range nb.Cells {
		used[c.ID] = true
	}
	for salt := 0; ; salt++ {
		h := sha256.New()
		for _, part := range []string{nb.Name, strconv.Itoa(len(nb.Cells)), strconv.Itoa(nb.made), strconv.Itoa(salt), source} {
			h.Write([]byte(part))
			h.Write([]byte{0})
		}
		id := hex.EncodeToString(h.Sum(nil))[:8]
		if !used[id] {
			return id
		}
	}
}

// InsertCell inserts c at position i (0 <= i <= len(nb.Cells); it panics
// otherwise, like slices.Insert) and renumbers the Index fields. In a
// notebook with cell ids, a cell with no id or with an id already in use
// gets a derived one, so the notebook stays valid.
func (nb *Notebook) InsertCell(i int, c *Cell) {
	if nb.NBFormatMinor >= 5 {
		clash := c.ID == ""
		for _, o := range nb.Cells {
			clash = clash || o.ID == c.ID
		}
		if clash {
			c.ID = nb.deriveID(c.Source)
			nb.made++
		}
	}
	nb.Cells = slices.Insert(nb.Cells, i, c)
	nb.renumber()
}

// RemoveCell removes the cell at position i and renumbers the Index fields.
func (nb *Notebook) RemoveCell(i int) {
	nb.Cells = slices.Delete(nb.Cells, i, i+1)
	nb.renumber()
}

func (nb *Notebook) renumber() {
	for i, c := range nb.Cells {
		c.Index = i
	}
}

// Metadata returns the cell metadata value for key as compact JSON.
// "tags" reflects the Tags field.
func (c *Cell) Metadata(key string) (json.RawMessage, bool) {
	if key == "tags" && !slices.Equal(c.Tags, c.origTags) {
		if len(c.Tags) == 0 {
			return nil, false
		}
		raw, err := compactJSON(stringList(c.Tags))
		return raw, err == nil
	}
	v, ok := c.meta[key]
	if !ok {
		return nil, false
	}
	raw, err := compactJSON(v)
	return raw, err == nil
}

// SetMetadata sets cell metadata key to v, encoded with encoding/json. A nil
// v deletes the key. Setting "tags" also sets the Tags field; the value must
// then be a list of strings.
func (c *Cell) SetMetadata(key string, v any) error {
	var tv any
	if v != nil {
		var err error
		if tv, err = toTree(v); err != nil {
			return fmt.Errorf("setting cell metadata %q: %w", key, err)
		}
	}
	if key == "tags" {
		var tags []string
		if tv != nil {
			var ok bool
			if tags, ok = stringsOf(tv); !ok {
				return fmt.Errorf("setting cell metadata %q: must be a list of strings", key)
			}
		}
		c.Tags, c.origTags = tags, slices.Clone(tags)
	}
	m := cloneMap(c.meta)
	if tv == nil {
		delete(m, key)
	} else {
		m[key] = tv
	}
	c.meta = m
	return nil
}

// HasErrorOutput reports whether any output has type "error".
func (c *Cell) HasErrorOutput() bool {
	for _, o := range c.Outputs {
		if o.Type == "error" {
			return true
		}
	}
	return false
}

// PlainText returns a plain-text rendering of o: the stream text, else
// data["text/plain"], else "ename: evalue".
func (o Output) PlainText() string {
	switch o.Type {
	case "stream":
		return o.Text
	case "error":
		return o.EName + ": " + o.EValue
	}
	return o.Data["text/plain"]
}

// toTree converts a Go value into the generic JSON tree via encoding/json,
// so that json.Marshaler implementations are honoured.
func toTree(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSONValue(b)
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func stringList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// stringsOf returns v as a []string if it is a list of strings.
func stringsOf(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(l))
	for i, e := range l {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// isJSONMime reports whether values of mime type are JSON values rather than
// multi-line strings, per the nbformat schema: application/json and
// application/*+json.
func isJSONMime(mime string) bool {
	return mime == "application/json" ||
		(strings.HasPrefix(mime, "application/") && strings.HasSuffix(mime, "+json"))
}
