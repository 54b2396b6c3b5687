// Package clean strips what running a notebook adds — outputs, execution counts and volatile
// metadata — so that notebooks in git change only when their code or prose does.
//
// The defaults are nbstripout's: outputs are removed from code cells, execution counts set to
// null, and the metadata keys in [DefaultKeys] deleted. A cell keeps its outputs when its
// metadata says "keep_output": true, when it is tagged keep_output, or when it is an
// init_cell (unless Options.StripInitCells). Cell ids are kept (nbstripout renumbers them
// unless given --keep-id): Decant's manifest names cells by id, so renumbering would cut the
// link between a service and its notebook.
//
// Cleaning is idempotent and everything it does not remove keeps its bytes: the result is
// written the way Jupyter writes notebooks (see package notebooks).
package clean

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/decant-go/decant/notebooks"
)

// DefaultKeys are the metadata keys removed by default, in nbstripout's notation: "metadata.K"
// is a key of the notebook's metadata, "cell.metadata.K" of every cell's; K may be a dotted path
// into nested objects.
func DefaultKeys() []string {
	return []string{
		"metadata.signature",
		"metadata.widgets",
		"cell.metadata.collapsed",
		"cell.metadata.ExecuteTime",
		"cell.metadata.execution",
		"cell.metadata.heading_collapsed",
		"cell.metadata.hidden",
		"cell.metadata.scrolled",
	}
}

// Options says what to keep and what else to drop. The zero value is nbstripout's default.
type Options struct {
	KeepOutput bool // keep every cell's outputs (execution counts still go unless KeepCount)
	KeepCount  bool // keep execution counts, of cells and of kept outputs
	// ExtraKeys are metadata keys to remove besides DefaultKeys, in the same notation.
	ExtraKeys []string
	// KeepMetadataKeys are keys of DefaultKeys (or ExtraKeys) not to remove.
	KeepMetadataKeys []string
	DropEmptyCells   bool     // remove cells whose source is only white space
	DropTaggedCells  []string // remove cells carrying any of these tags
	StripInitCells   bool     // strip the outputs of init_cell cells too
	// MaxSize, when positive, strips kept outputs whose text is larger than this many bytes.
	MaxSize int
}

// Keys returns the metadata keys o removes.
func (o Options) Keys() []string {
	var keys []string
	for _, k := range append(DefaultKeys(), o.ExtraKeys...) {
		if !slices.Contains(o.KeepMetadataKeys, k) && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// Notebook cleans nb in place. It fails, naming the cell, when a cell's metadata and tags
// disagree about keeping its outputs, or when a key is not in either notation.
func Notebook(nb *notebooks.Notebook, o Options) error {
	var nbKeys, cellKeys []string
	for _, k := range o.Keys() {
		switch {
		case strings.HasPrefix(k, "cell.metadata."):
			cellKeys = append(cellKeys, strings.TrimPrefix(k, "cell.metadata."))
		case strings.HasPrefix(k, "metadata."):
			nbKeys = append(nbKeys, strings.TrimPrefix(k, "metadata."))
		default:
			return fmt.Errorf("cleaning %s: metadata key %q must start with metadata. or cell.metadata.", nb.Name, k)
		}
	}
	keepAll := o.KeepOutput
	if raw, ok := nb.Metadata("keep_output"); ok {
		keepAll = keepAll || truthy(raw)
	}
	for i := len(nb.Cells) - 1; i >= 0; i-- {
		c := nb.Cells[i]
		if o.DropEmptyCells && strings.TrimSpace(c.Source) == "" {
			nb.RemoveCell(i)
			continue
		}
		if slices.ContainsFunc(o.DropTaggedCells, func(t string) bool { return slices.Contains(c.Tags, t) }) {
			nb.RemoveCell(i)
			continue
		}
	}
	for _, c := range nb.Cells {
		if c.Type == "code" {
			keep, err := keepOutput(c, keepAll, o.StripInitCells)
			if err != nil {
				return fmt.Errorf("cleaning %s: cell %d: %w", nb.Name, c.Index, err)
			}
			switch {
			case !keep:
				if len(c.Outputs) > 0 {
					c.Outputs = []notebooks.Output{}
				}
			case o.MaxSize > 0:
				c.Outputs = slices.DeleteFunc(c.Outputs, func(out notebooks.Output) bool { return outputSize(out) > o.MaxSize })
			}
			if !o.KeepCount {
				if c.ExecutionCount != nil {
					c.ExecutionCount = nil
				}
				for j := range c.Outputs {
					if c.Outputs[j].ExecutionCount != nil {
						c.Outputs[j].ExecutionCount = nil
					}
				}
			}
		}
		for _, k := range cellKeys {
			if err := popMetadata(c.Metadata, c.SetMetadata, k); err != nil {
				return fmt.Errorf("cleaning %s: cell %d: %w", nb.Name, c.Index, err)
			}
		}
	}
	for _, k := range nbKeys {
		if err := popMetadata(nb.Metadata, nb.SetMetadata, k); err != nil {
			return fmt.Errorf("cleaning %s: %w", nb.Name, err)
		}
	}
	return nil
}

// Bytes parses a notebook, cleans it and formats it. changed reports whether the result differs
// from data; a notebook that was not written in Jupyter's layout changes even when nothing is
// stripped.
func Bytes(name string, data []byte, o Options) (out []byte, changed bool, err error) {
	nb, err := notebooks.Parse(name, data)
	if err != nil {
		return nil, false, err
	}
	if err := Notebook(nb, o); err != nil {
		return nil, false, err
	}
	out, err = notebooks.Format(nb)
	if err != nil {
		return nil, false, err
	}
	return out, !bytes.Equal(out, data), nil
}

// keepOutput decides, as nbstripout does, whether a cell keeps its outputs.
func keepOutput(c *notebooks.Cell, keepAll, stripInit bool) (bool, error) {
	if raw, ok := c.Metadata("init_cell"); ok {
		return truthy(raw) && !stripInit, nil
	}
	raw, hasMeta := c.Metadata("keep_output")
	metaKeep := hasMeta && truthy(raw)
	hasTag := slices.Contains(c.Tags, "keep_output")
	if hasMeta && !metaKeep && hasTag {
		return false, fmt.Errorf(`its metadata says "keep_output": false but it is tagged keep_output; remove one of them`)
	}
	if hasMeta || hasTag {
		return metaKeep || hasTag, nil
	}
	return keepAll, nil
}

// truthy is Python's bool() of a JSON value.
func truthy(raw json.RawMessage) bool {
	s := string(bytes.TrimSpace(raw))
	switch s {
	case "false", "null", `""`, "[]", "{}":
		return false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f != 0
	}
	return true
}

func outputSize(o notebooks.Output) int {
	n := len(o.Text) + len(o.EValue)
	for _, v := range o.Data {
		n += len(v)
	}
	for _, t := range o.Traceback {
		n += len(t)
	}
	return n
}

// popMetadata removes a dotted key from a metadata object reached through get and set. Like
// nbstripout, at each level a key that exists whole (it may contain dots itself) is removed;
// otherwise the path descends at the first dot.
func popMetadata(get func(string) (json.RawMessage, bool), set func(string, any) error, key string) error {
	if _, ok := get(key); ok {
		return set(key, nil)
	}
	head, tail, ok := strings.Cut(key, ".")
	if !ok {
		return nil
	}
	raw, ok := get(head)
	if !ok {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("reading metadata %q: %w", head, err)
	}
	if !popPath(v, tail) {
		return nil
	}
	return set(head, v)
}

func popPath(v any, key string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if _, ok := m[key]; ok {
		delete(m, key)
		return true
	}
	head, tail, ok := strings.Cut(key, ".")
	if !ok {
		return false
	}
	return popPath(m[head], tail)
}
