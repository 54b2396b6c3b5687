package notebooks

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/decant-go/decant/internal/safefile"
)

// Format encodes nb exactly as Jupyter does:
//
//	json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
//
// Fields that were not changed since Parse are written in their original
// form (a string stays a string, a list of lines stays that list), so an
// unchanged notebook written by Jupyter formats to its original bytes.
// Changed and new fields are written the way nbformat writes them.
// Format does not modify nb. It fails, with an *Error, if nb is not a valid
// nbformat 4 notebook.
func Format(nb *Notebook) ([]byte, error) {
	if nb == nil {
		return nil, errors.New("formatting notebook: nil *Notebook")
	}
	tree, err := nb.tree()
	if err != nil {
		return nil, err
	}
	b, err := appendPretty(make([]byte, 0, 4096), tree, 0)
	if err != nil {
		return nil, &Error{File: nb.Name, Cell: -1, Msg: "encoding notebook", Err: err}
	}
	return append(b, '\n'), nil
}

// tree builds the generic JSON value for nb without modifying it: maps taken
// from Parse are copied before any field is overridden.
func (nb *Notebook) tree() (map[string]any, error) {
	p := &checker{name: nb.Name, minor: nb.NBFormatMinor, future: nb.NBFormatMinor > 5}
	if nb.NBFormat != 4 {
		return nil, p.fail(-1, "nbformat", "must be 4, got %d", nb.NBFormat)
	}
	if nb.NBFormatMinor < 0 {
		return nil, p.fail(-1, "nbformat_minor", "must not be negative, got %d", nb.NBFormatMinor)
	}
	top := cloneMap(nb.top)
	if _, ok := top["metadata"]; !ok {
		top["metadata"] = map[string]any{}
	}
	if err := p.notebookMetadata(top["metadata"]); err != nil {
		return nil, err
	}
	top["nbformat"] = nb.NBFormat
	top["nbformat_minor"] = nb.NBFormatMinor
	cells := make([]any, len(nb.Cells))
	ids := map[string]int{}
	for i, c := range nb.Cells {
		if c == nil {
			return nil, p.fail(i, "cells["+strconv.Itoa(i)+"]", "nil cell")
		}
		ct, err := c.tree(p, i)
		if err != nil {
			return nil, err
		}
		if err := p.uniqueID(ids, i, c.ID); err != nil {
			return nil, err
		}
		cells[i] = ct
	}
	top["cells"] = cells
	return top, nil
}

func (c *Cell) tree(p *checker, i int) (map[string]any, error) {
	key := "cells[" + strconv.Itoa(i) + "]"
	if err := p.cellType(i, key, c.Type); err != nil {
		return nil, err
	}
	known := knownCellType(c.Type)
	m := cloneMap(c.raw)
	m["cell_type"] = c.Type
	if c.raw != nil && c.Type != c.origType {
		// Fields of the old type would make the cell invalid.
		delete(m, "outputs")
		delete(m, "execution_count")
	}

	switch {
	case c.ID != "":
		if err := p.checkID(i, key, c.ID); err != nil {
			return nil, err
		}
		m["id"] = c.ID
	case p.minor >= 5 && known:
		return nil, p.fail(i, key+".id", "missing cell id (nbformat 4.5 and later require one; "+
			"cells made by NewCodeCell or added with InsertCell get one)")
	default:
		delete(m, "id")
	}

	if err := p.checkTags(i, key, c.Tags); err != nil {
		return nil, err
	}
	meta := c.meta
	if meta == nil {
		meta = map[string]any{}
	}
	if !slices.Equal(c.Tags, c.origTags) {
		meta = cloneMap(meta)
		if len(c.Tags) == 0 {
			delete(meta, "tags")
		} else {
			meta["tags"] = stringList(c.Tags)
		}
	}
	m["metadata"] = meta

	switch {
	case c.srcRaw != nil && c.Source == c.origSrc:
		m["source"] = c.srcRaw
	case known || c.Source != "":
		m["source"] = multiline(c.Source)
	}

	if c.Type != "code" {
		return m, nil
	}
	m["execution_count"] = countValue(c.ExecutionCount)
	outs := make([]any, len(c.Outputs))
	for j, o := range c.Outputs {
		ot, err := o.tree(p, i, key+".outputs["+strconv.Itoa(j)+"]")
		if err != nil {
			return nil, err
		}
		outs[j] = ot
	}
	m["outputs"] = outs
	return m, nil
}

func (o *Output) tree(p *checker, i int, key string) (map[string]any, error) {
	if !knownOutputType(o.Type) && !p.future {
		return nil, p.fail(i, key+".output_type", "unknown output type %q, want stream, display_data, execute_result or error", o.Type)
	}
	m := cloneMap(o.raw)
	if o.raw != nil && o.Type != o.origType {
		// Drop the fields Output manages so none of the old type's remain.
		for _, k := range []string{"name", "text", "data", "metadata", "execution_count", "ename", "evalue", "traceback"} {
			delete(m, k)
		}
	}
	m["output_type"] = o.Type

	needMeta := o.Type == "display_data" || o.Type == "execute_result"
	switch {
	case o.metaRaw != nil && bytes.Equal(o.Metadata, o.origMeta):
		m["metadata"] = o.metaRaw
	case len(bytes.TrimSpace(o.Metadata)) > 0:
		v, err := decodeJSONValue(o.Metadata)
		if err != nil {
			return nil, &Error{File: p.name, Cell: i, Key: key + ".metadata", Msg: "invalid JSON", Err: err}
		}
		if _, ok := v.(map[string]any); !ok {
			return nil, p.fail(i, key+".metadata", "must be an object, not %s", kindOf(v))
		}
		m["metadata"] = v
	case needMeta:
		m["metadata"] = map[string]any{}
	default:
		delete(m, "metadata")
	}

	switch o.Type {
	case "stream":
		if o.Name == "" {
			return nil, p.fail(i, key+".name", "stream outputs need a name (stdout or stderr)")
		}
		m["name"] = o.Name
		if o.textRaw != nil && o.Text == o.origText {
			m["text"] = o.textRaw
		} else {
			m["text"] = multiline(o.Text)
		}
	case "display_data", "execute_result":
		data := make(map[string]any, len(o.Data))
		for mime, val := range o.Data {
			if raw, ok := o.dataRaw[mime]; ok && o.origData[mime] == val {
				data[mime] = raw
				continue
			}
			v, err := newMimeValue(mime, val)
			if err != nil {
				return nil, &Error{File: p.name, Cell: i, Key: key + ".data." + mime, Msg: "invalid JSON for a JSON mime type", Err: err}
			}
			data[mime] = v
		}
		m["data"] = data
		if o.Type == "execute_result" {
			m["execution_count"] = countValue(o.ExecutionCount)
		}
	case "error":
		m["ename"] = o.EName
		m["evalue"] = o.EValue
		m["traceback"] = stringList(o.Traceback)
	}
	return m, nil
}

// newMimeValue is the on-disk form nbformat writes for a mime bundle entry:
// JSON types as JSON, text/*, JavaScript and SVG as lists of lines, anything
// else (base64 images...) as a single string.
func newMimeValue(mime, val string) (any, error) {
	switch {
	case isJSONMime(mime):
		return decodeJSONValue([]byte(val))
	case strings.HasPrefix(mime, "text/") || mime == "application/javascript" || mime == "image/svg+xml":
		return multiline(val), nil
	default:
		return val, nil
	}
}

func countValue(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}

// WriteFile formats nb and writes it to path atomically, by safefile's rules: a temporary file
// in the same directory is synced and renamed over path; an existing file keeps its permission
// bits (a new one gets 0644); a symbolic link is kept and its target written; a device or FIFO
// is written through; a read-only file is refused.
func WriteFile(path string, nb *Notebook) error {
	return WriteFileExpect(path, nb, nil)
}

// WriteFileExpect is WriteFile that refuses, with safefile.ErrModified, to replace a file that
// changed since it was read with the given stamp (another writer's edit, such as an autosave).
func WriteFileExpect(path string, nb *Notebook, expect *safefile.Stamp) error {
	data, err := Format(nb)
	if err != nil {
		return err
	}
	if err := safefile.Write(path, data, safefile.Options{Expect: expect}); err != nil {
		return fmt.Errorf("writing notebook: %w", err)
	}
	return nil
}
