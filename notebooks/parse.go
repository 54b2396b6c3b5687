package notebooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/decant-go/decant/internal/safefile"
)

// Parse decodes an nbformat 4 notebook; name is used only in error messages.
// Failures are *Error values naming the cell and key at fault.
func Parse(name string, data []byte) (*Notebook, error) {
	if bytes.HasPrefix(data, []byte("\uFEFF")) {
		// Python's json module rejects a byte order mark too, so no Jupyter
		// tool reads such a file.
		return nil, &Error{File: name, Cell: -1, Line: 1, Col: 1, Msg: "invalid JSON: file starts with a UTF-8 byte order mark"}
	}
	v, err := decodeJSON(data)
	if err != nil {
		se := err.(*syntaxError)
		line, col := lineCol(data, se.offset)
		return nil, &Error{File: name, Cell: -1, Line: line, Col: col, Msg: "invalid JSON", Err: se.err}
	}
	p := &checker{name: name}
	return p.notebook(v)
}

// ParseFile reads and parses the notebook at path, using path as its name.
func ParseFile(path string) (*Notebook, error) {
	return ParseFileContext(context.Background(), path)
}

// ParseFileContext is ParseFile honouring ctx. Only regular files are read, up to
// safefile.DefaultLimit: a FIFO or a device given as a notebook is refused at once.
func ParseFileContext(ctx context.Context, path string) (*Notebook, error) {
	data, _, err := safefile.ReadFile(ctx, path, 0)
	if err != nil {
		return nil, fmt.Errorf("reading notebook: %w", err)
	}
	return Parse(path, data)
}

// checker holds what validation needs to know about the notebook as a whole.
// It is shared by Parse and Format so both enforce the same rules.
type checker struct {
	name   string
	minor  int
	future bool // nbformat_minor > 5: unknown cell and output types are allowed
}

func (p *checker) fail(cell int, key, format string, args ...any) *Error {
	return &Error{File: p.name, Cell: cell, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (p *checker) notebook(v any) (*Notebook, error) {
	top, ok := v.(map[string]any)
	if !ok {
		return nil, p.fail(-1, "", "a notebook must be a JSON object, not %s", kindOf(v))
	}
	major, err := p.intKey(top, -1, "", "nbformat")
	if err != nil {
		return nil, err
	}
	switch {
	case major == 3:
		return nil, &Error{File: p.name, Cell: -1, Err: ErrNBFormat3}
	case major < 3:
		return nil, p.fail(-1, "nbformat", "nbformat %d notebooks are not supported; "+
			"convert it to nbformat 4 first with: jupyter nbconvert --to notebook --nbformat 4", major)
	case major > 4:
		return nil, p.fail(-1, "nbformat", "nbformat %d is not supported (only nbformat 4)", major)
	}
	minor, err := p.intKey(top, -1, "", "nbformat_minor")
	if err != nil {
		return nil, err
	}
	if minor < 0 {
		return nil, p.fail(-1, "nbformat_minor", "must not be negative, got %d", minor)
	}
	p.minor, p.future = minor, minor > 5

	meta, ok := top["metadata"]
	if !ok {
		return nil, p.fail(-1, "metadata", "missing required key")
	}
	if err := p.notebookMetadata(meta); err != nil {
		return nil, err
	}

	rawCells, ok := top["cells"]
	if !ok {
		return nil, p.fail(-1, "cells", "missing required key")
	}
	list, ok := rawCells.([]any)
	if !ok {
		return nil, p.fail(-1, "cells", "must be an array, not %s", kindOf(rawCells))
	}
	nb := &Notebook{Name: p.name, NBFormat: major, NBFormatMinor: minor, Cells: make([]*Cell, len(list))}
	ids := map[string]int{}
	for i, cv := range list {
		c, err := p.cell(i, cv)
		if err != nil {
			return nil, err
		}
		if err := p.uniqueID(ids, i, c.ID); err != nil {
			return nil, err
		}
		nb.Cells[i] = c
	}
	nb.top = make(map[string]any, len(top))
	for k, v := range top {
		switch k {
		case "cells", "nbformat", "nbformat_minor":
		default:
			nb.top[k] = v
		}
	}
	return nb, nil
}

// notebookMetadata checks the notebook metadata fields this package reads.
// Other metadata is kept as is without validation.
func (p *checker) notebookMetadata(v any) error {
	meta, ok := v.(map[string]any)
	if !ok {
		return p.fail(-1, "metadata", "must be an object, not %s", kindOf(v))
	}
	if ks, ok := meta["kernelspec"]; ok {
		m, ok := ks.(map[string]any)
		if !ok {
			return p.fail(-1, "metadata.kernelspec", "must be an object, not %s", kindOf(ks))
		}
		for _, k := range []string{"name", "display_name"} {
			if _, err := p.stringKey(m, -1, "metadata.kernelspec", k); err != nil {
				return err
			}
		}
		if l, ok := m["language"]; ok {
			if _, ok := l.(string); !ok {
				return p.fail(-1, "metadata.kernelspec.language", "must be a string, not %s", kindOf(l))
			}
		}
	}
	if li, ok := meta["language_info"]; ok {
		m, ok := li.(map[string]any)
		if !ok {
			return p.fail(-1, "metadata.language_info", "must be an object, not %s", kindOf(li))
		}
		if _, err := p.stringKey(m, -1, "metadata.language_info", "name"); err != nil {
			return err
		}
	}
	return nil
}

func knownCellType(t string) bool { return t == "code" || t == "markdown" || t == "raw" }

func knownOutputType(t string) bool {
	return t == "stream" || t == "display_data" || t == "execute_result" || t == "error"
}

func (p *checker) cellType(i int, key, t string) error {
	if knownCellType(t) || p.future {
		return nil
	}
	hint := ""
	if t == "heading" {
		hint = " (nbformat 4 has no heading cells; use a markdown cell with # headings)"
	}
	return p.fail(i, key+".cell_type", "unknown cell type %q, want code, markdown or raw%s", t, hint)
}

func (p *checker) cell(i int, v any) (*Cell, error) {
	key := "cells[" + strconv.Itoa(i) + "]"
	m, ok := v.(map[string]any)
	if !ok {
		return nil, p.fail(i, key, "a cell must be an object, not %s", kindOf(v))
	}
	typ, err := p.stringKey(m, i, key, "cell_type")
	if err != nil {
		return nil, err
	}
	if err := p.cellType(i, key, typ); err != nil {
		return nil, err
	}
	known := knownCellType(typ)
	c := &Cell{Index: i, Type: typ, raw: m, origType: typ}

	if id, ok := m["id"]; ok {
		s, ok := id.(string)
		if !ok {
			return nil, p.fail(i, key+".id", "must be a string, not %s", kindOf(id))
		}
		if err := p.checkID(i, key, s); err != nil {
			return nil, err
		}
		c.ID = s
	} else if p.minor >= 5 && known {
		return nil, p.fail(i, key+".id", "missing required key (nbformat 4.5 and later require cell ids)")
	}

	mv, ok := m["metadata"]
	if !ok {
		return nil, p.fail(i, key+".metadata", "missing required key")
	}
	if c.meta, ok = mv.(map[string]any); !ok {
		return nil, p.fail(i, key+".metadata", "must be an object, not %s", kindOf(mv))
	}
	if tv, ok := c.meta["tags"]; ok {
		tags, ok := stringsOf(tv)
		if !ok {
			return nil, p.fail(i, key+".metadata.tags", "must be a list of strings")
		}
		if err := p.checkTags(i, key, tags); err != nil {
			return nil, err
		}
		c.Tags, c.origTags = tags, slices.Clone(tags)
	}

	if sv, ok := m["source"]; ok {
		if c.Source, ok = joinMultiline(sv); !ok {
			return nil, p.fail(i, key+".source", "must be a string or list of strings")
		}
		c.origSrc, c.srcRaw = c.Source, sv
	} else if known {
		return nil, p.fail(i, key+".source", "missing required key")
	}

	if typ != "code" {
		return c, nil
	}
	ecv, ok := m["execution_count"]
	if !ok {
		return nil, p.fail(i, key+".execution_count", "missing required key")
	}
	if c.ExecutionCount, err = p.count(i, key+".execution_count", ecv); err != nil {
		return nil, err
	}
	ov, ok := m["outputs"]
	if !ok {
		return nil, p.fail(i, key+".outputs", "missing required key")
	}
	outs, ok := ov.([]any)
	if !ok {
		return nil, p.fail(i, key+".outputs", "must be an array, not %s", kindOf(ov))
	}
	c.Outputs = make([]Output, len(outs))
	for j, o := range outs {
		if c.Outputs[j], err = p.output(i, key+".outputs["+strconv.Itoa(j)+"]", o); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (p *checker) output(i int, key string, v any) (Output, error) {
	var o Output
	m, ok := v.(map[string]any)
	if !ok {
		return o, p.fail(i, key, "an output must be an object, not %s", kindOf(v))
	}
	typ, err := p.stringKey(m, i, key, "output_type")
	if err != nil {
		return o, err
	}
	if !knownOutputType(typ) && !p.future {
		return o, p.fail(i, key+".output_type", "unknown output type %q, want stream, display_data, execute_result or error", typ)
	}
	o.Type, o.origType, o.raw = typ, typ, m
	if mv, ok := m["metadata"]; ok {
		if _, isObj := mv.(map[string]any); !isObj {
			return o, p.fail(i, key+".metadata", "must be an object, not %s", kindOf(mv))
		}
		if o.Metadata, err = compactJSON(mv); err != nil {
			return o, p.fail(i, key+".metadata", "%v", err)
		}
		o.origMeta, o.metaRaw = o.Metadata, mv
	}
	switch typ {
	case "stream":
		if o.Name, err = p.stringKey(m, i, key, "name"); err != nil {
			return o, err
		}
		tv, ok := m["text"]
		if !ok {
			return o, p.fail(i, key+".text", "missing required key")
		}
		if o.Text, ok = joinMultiline(tv); !ok {
			return o, p.fail(i, key+".text", "must be a string or list of strings")
		}
		o.origText, o.textRaw = o.Text, tv
	case "display_data", "execute_result":
		dv, ok := m["data"]
		if !ok {
			return o, p.fail(i, key+".data", "missing required key")
		}
		if o.dataRaw, ok = dv.(map[string]any); !ok {
			return o, p.fail(i, key+".data", "must be an object, not %s", kindOf(dv))
		}
		o.Data = make(map[string]string, len(o.dataRaw))
		for mime, val := range o.dataRaw {
			if o.Data[mime], err = p.mimeValue(i, key+".data."+mime, mime, val); err != nil {
				return o, err
			}
		}
		o.origData = make(map[string]string, len(o.Data))
		for k, v := range o.Data {
			o.origData[k] = v
		}
		if o.metaRaw == nil {
			return o, p.fail(i, key+".metadata", "missing required key")
		}
		if typ == "execute_result" {
			ecv, ok := m["execution_count"]
			if !ok {
				return o, p.fail(i, key+".execution_count", "missing required key")
			}
			if o.ExecutionCount, err = p.count(i, key+".execution_count", ecv); err != nil {
				return o, err
			}
		}
	case "error":
		if o.EName, err = p.stringKey(m, i, key, "ename"); err != nil {
			return o, err
		}
		if o.EValue, err = p.stringKey(m, i, key, "evalue"); err != nil {
			return o, err
		}
		tv, ok := m["traceback"]
		if !ok {
			return o, p.fail(i, key+".traceback", "missing required key")
		}
		if o.Traceback, ok = stringsOf(tv); !ok {
			return o, p.fail(i, key+".traceback", "must be a list of strings")
		}
	}
	return o, nil
}

// mimeValue returns the text form of one mime bundle entry.
func (p *checker) mimeValue(i int, key, mime string, v any) (string, error) {
	if isJSONMime(mime) {
		raw, err := compactJSON(v)
		if err != nil {
			return "", p.fail(i, key, "%v", err)
		}
		return string(raw), nil
	}
	s, ok := joinMultiline(v)
	if !ok {
		return "", p.fail(i, key, "must be a string or list of strings (only application/json and application/*+json may hold other JSON values)")
	}
	return s, nil
}

// checkID enforces the nbformat 4.5 cell id rules.
func (p *checker) checkID(i int, key, id string) error {
	if len(id) < 1 || len(id) > 64 {
		return p.fail(i, key+".id", "cell id %q must be 1 to 64 characters long", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return p.fail(i, key+".id", "cell id %q must match ^[a-zA-Z0-9-_]+$", id)
		}
	}
	return nil
}

func (p *checker) uniqueID(seen map[string]int, i int, id string) error {
	if id == "" {
		return nil
	}
	if j, dup := seen[id]; dup {
		return p.fail(i, "cells["+strconv.Itoa(i)+"].id", "duplicate cell id %q (also used by cell %d)", id, j)
	}
	seen[id] = i
	return nil
}

// checkTags enforces the schema for metadata.tags: unique, non-empty
// strings without commas.
func (p *checker) checkTags(i int, key string, tags []string) error {
	for j, t := range tags {
		switch {
		case t == "":
			return p.fail(i, key+".metadata.tags", "tag %d is empty", j)
		case strings.Contains(t, ","):
			return p.fail(i, key+".metadata.tags", "tag %q contains a comma", t)
		case slices.Contains(tags[:j], t):
			return p.fail(i, key+".metadata.tags", "duplicate tag %q", t)
		}
	}
	return nil
}

func (p *checker) stringKey(m map[string]any, i int, prefix, k string) (string, error) {
	key := join(prefix, k)
	v, ok := m[k]
	if !ok {
		return "", p.fail(i, key, "missing required key")
	}
	s, ok := v.(string)
	if !ok {
		return "", p.fail(i, key, "must be a string, not %s", kindOf(v))
	}
	return s, nil
}

func (p *checker) intKey(m map[string]any, i int, prefix, k string) (int, error) {
	key := join(prefix, k)
	v, ok := m[k]
	if !ok {
		return 0, p.fail(i, key, "missing required key")
	}
	n, ok := asInt(v)
	if !ok {
		return 0, p.fail(i, key, "must be an integer, not %s", describe(v))
	}
	return n, nil
}

// count reads an execution count: an integer or null.
func (p *checker) count(i int, key string, v any) (*int, error) {
	if v == nil {
		return nil, nil
	}
	n, ok := asInt(v)
	if !ok {
		return nil, p.fail(i, key, "must be an integer or null, not %s", describe(v))
	}
	return &n, nil
}

func asInt(v any) (int, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(string(num))
	return n, err == nil
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// kindOf names the JSON type of a decoded value for error messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// describe is kindOf, but shows numbers, which matters for integer fields.
func describe(v any) string {
	if n, ok := v.(json.Number); ok {
		return string(n)
	}
	return kindOf(v)
}
