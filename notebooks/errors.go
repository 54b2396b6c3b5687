package notebooks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNBFormat3 is wrapped by the *Error returned for nbformat 3 notebooks,
// which use a different structure (worksheets) that this package does not read.
var ErrNBFormat3 = errors.New("nbformat 3 notebooks are not supported; " +
	"convert it to nbformat 4 first with: jupyter nbconvert --to notebook --nbformat 4")

// Error is a decoding, validation or encoding failure with its location.
type Error struct {
	File string // notebook name as given to Parse
	Cell int    // cell index, -1 if not about a cell
	Key  string // JSON key path, e.g. "cells[3].source" or "metadata.kernelspec.name"; may be ""
	Line int    // for JSON syntax errors, 1-based; 0 otherwise
	Col  int    // for JSON syntax errors, 1-based byte column; 0 otherwise
	Msg  string // what is wrong; may be "" when Err says it all
	Err  error  // wrapped cause, may be nil
}

// Error formats e as "file[:line:col]: [cell N: ][key "k": ]msg[: cause]".
// Inside a cell the key is shown relative to the cell.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	key := e.Key
	if e.Cell >= 0 {
		fmt.Fprintf(&b, "cell %d: ", e.Cell)
		key = strings.TrimPrefix(key, "cells["+strconv.Itoa(e.Cell)+"]")
		key = strings.TrimPrefix(key, ".")
	}
	if key != "" {
		fmt.Fprintf(&b, "key %q: ", key)
	}
	switch {
	case e.Msg != "" && e.Err != nil:
		b.WriteString(e.Msg + ": " + e.Err.Error())
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return strings.TrimSuffix(b.String(), ": ")
}

// Unwrap returns the wrapped cause.
func (e *Error) Unwrap() error { return e.Err }
