package notebooks

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// doc builds a notebook document with the given nbformat_minor and cells
// (each a JSON object text).
func doc(minor int, cells ...string) string {
	return fmt.Sprintf(`{"cells": [%s], "metadata": {}, "nbformat": 4, "nbformat_minor": %d}`,
		strings.Join(cells, ", "), minor)
}

// code is a valid code cell with extra fields (JSON members) appended.
func code(outputs string) string {
	return `{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [` + outputs + `], "source": "x"}`
}

const okMD = `{"cell_type": "markdown", "metadata": {}, "source": ["# hi"]}`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		cell      int
		key       string
		line, col int
		msg       string // substring of the message
		is        error
	}{
		{name: "syntax", in: "{\n \"cells\": [\n  }\n", cell: -1, line: 3, col: 3, msg: "demo.ipynb:3:3: invalid JSON: invalid character '}'"},
		{name: "truncated", in: "{\n \"cells\": [", cell: -1, line: 2, col: 12, msg: "unexpected end of JSON input"},
		{name: "trailing data", in: `{} x`, cell: -1, line: 1, col: 4, msg: "after top-level value"},
		{name: "byte order mark", in: "\uFEFF{}", cell: -1, line: 1, col: 1, msg: "byte order mark"},
		{name: "empty", in: ``, cell: -1, line: 1, col: 1, msg: "invalid JSON"},
		{name: "not object", in: `[1]`, cell: -1, msg: "must be a JSON object, not an array"},
		{name: "nbformat 3", in: `{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}`, cell: -1, is: ErrNBFormat3, msg: "jupyter nbconvert --to notebook --nbformat 4"},
		{name: "nbformat 1", in: `{"nbformat": 1}`, cell: -1, key: "nbformat", msg: "nbformat 1 notebooks are not supported"},
		{name: "nbformat 5", in: `{"nbformat": 5, "nbformat_minor": 0}`, cell: -1, key: "nbformat", msg: "nbformat 5 is not supported"},
		{name: "nbformat string", in: `{"nbformat": "4"}`, cell: -1, key: "nbformat", msg: "must be an integer, not a string"},
		{name: "nbformat float", in: `{"nbformat": 4.5}`, cell: -1, key: "nbformat", msg: "must be an integer, not 4.5"},
		{name: "missing nbformat", in: `{"cells": []}`, cell: -1, key: "nbformat", msg: "missing required key"},
		{name: "missing minor", in: `{"cells": [], "metadata": {}, "nbformat": 4}`, cell: -1, key: "nbformat_minor", msg: "missing required key"},
		{name: "negative minor", in: `{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": -1}`, cell: -1, key: "nbformat_minor", msg: "negative"},
		{name: "missing metadata", in: `{"cells": [], "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "metadata", msg: "missing required key"},
		{name: "metadata array", in: `{"cells": [], "metadata": [], "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "metadata", msg: "must be an object"},
		{name: "missing cells", in: `{"metadata": {}, "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "cells", msg: "missing required key"},
		{name: "cells object", in: `{"cells": {}, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "cells", msg: "must be an array"},
		{name: "kernelspec string", in: `{"cells": [], "metadata": {"kernelspec": "go"}, "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "metadata.kernelspec", msg: "must be an object"},
		{name: "kernelspec no name", in: `{"cells": [], "metadata": {"kernelspec": {"display_name": "Go"}}, "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "metadata.kernelspec.name", msg: "missing required key"},
		{name: "kernelspec name number", in: `{"cells": [], "metadata": {"kernelspec": {"display_name": "Go", "name": 1}}, "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "metadata.kernelspec.name", msg: "must be a string"},
		{name: "language_info no name", in: `{"cells": [], "metadata": {"language_info": {}}, "nbformat": 4, "nbformat_minor": 4}`, cell: -1, key: "metadata.language_info.name", msg: "missing required key"},

		{name: "cell not object", in: doc(4, okMD, `"x"`), cell: 1, key: "cells[1]", msg: "a cell must be an object, not a string"},
		{name: "missing cell_type", in: doc(4, `{"metadata": {}, "source": ""}`), cell: 0, key: "cells[0].cell_type", msg: "missing required key"},
		{name: "cell_type number", in: doc(4, `{"cell_type": 1, "metadata": {}, "source": ""}`), cell: 0, key: "cells[0].cell_type", msg: "must be a string"},
		{name: "heading cell", in: doc(4, okMD, `{"cell_type": "heading", "level": 1, "metadata": {}, "source": "T"}`), cell: 1, key: "cells[1].cell_type", msg: "nbformat 4 has no heading cells"},
		{name: "future cell in 4.5", in: doc(5, `{"cell_type": "future", "id": "a", "metadata": {}}`), cell: 0, key: "cells[0].cell_type", msg: `unknown cell type "future"`},
		{name: "missing cell metadata", in: doc(4, `{"cell_type": "markdown", "source": ""}`), cell: 0, key: "cells[0].metadata", msg: "missing required key"},
		{name: "cell metadata array", in: doc(4, `{"cell_type": "markdown", "metadata": [], "source": ""}`), cell: 0, key: "cells[0].metadata", msg: "must be an object"},
		{name: "missing source", in: doc(4, okMD, okMD, `{"cell_type": "raw", "metadata": {}}`), cell: 2, key: "cells[2].source", msg: "missing required key"},
		{name: "source number", in: doc(4, `{"cell_type": "markdown", "metadata": {}, "source": 3}`), cell: 0, key: "cells[0].source", msg: "must be a string or list of strings"},
		{name: "source list with number", in: doc(4, `{"cell_type": "markdown", "metadata": {}, "source": ["a", 3]}`), cell: 0, key: "cells[0].source", msg: "must be a string or list of strings"},
		{name: "missing outputs", in: doc(4, `{"cell_type": "code", "execution_count": null, "metadata": {}, "source": ""}`), cell: 0, key: "cells[0].outputs", msg: "missing required key"},
		{name: "outputs object", in: doc(4, `{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": {}, "source": ""}`), cell: 0, key: "cells[0].outputs", msg: "must be an array"},
		{name: "missing execution_count", in: doc(4, `{"cell_type": "code", "metadata": {}, "outputs": [], "source": ""}`), cell: 0, key: "cells[0].execution_count", msg: "missing required key"},
		{name: "execution_count string", in: doc(4, `{"cell_type": "code", "execution_count": "1", "metadata": {}, "outputs": [], "source": ""}`), cell: 0, key: "cells[0].execution_count", msg: "must be an integer or null"},

		{name: "missing id", in: doc(5, `{"cell_type": "markdown", "metadata": {}, "source": ""}`), cell: 0, key: "cells[0].id", msg: "missing required key"},
		{name: "duplicate id", in: doc(5, `{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ""}`, `{"cell_type": "markdown", "id": "b", "metadata": {}, "source": ""}`, `{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ""}`), cell: 2, key: "cells[2].id", msg: `duplicate cell id "a" (also used by cell 0)`},
		{name: "id bad chars", in: doc(5, `{"cell_type": "markdown", "id": "a b", "metadata": {}, "source": ""}`), cell: 0, key: "cells[0].id", msg: "must match ^[a-zA-Z0-9-_]+$"},
		{name: "id too long", in: doc(5, `{"cell_type": "markdown", "id": "`+strings.Repeat("a", 65)+`", "metadata": {}, "source": ""}`), cell: 0, key: "cells[0].id", msg: "1 to 64 characters"},
		{name: "id empty", in: doc(5, `{"cell_type": "markdown", "id": "", "metadata": {}, "source": ""}`), cell: 0, key: "cells[0].id", msg: "1 to 64 characters"},
		{name: "id number", in: doc(5, `{"cell_type": "markdown", "id": 7, "metadata": {}, "source": ""}`), cell: 0, key: "cells[0].id", msg: "must be a string"},
		{name: "tag comma", in: doc(4, okMD, `{"cell_type": "markdown", "metadata": {"tags": ["ok", "a,b"]}, "source": ""}`), cell: 1, key: "cells[1].metadata.tags", msg: `tag "a,b" contains a comma`},
		{name: "tags string", in: doc(4, `{"cell_type": "markdown", "metadata": {"tags": "a"}, "source": ""}`), cell: 0, key: "cells[0].metadata.tags", msg: "must be a list of strings"},
		{name: "tag duplicate", in: doc(4, `{"cell_type": "markdown", "metadata": {"tags": ["a", "a"]}, "source": ""}`), cell: 0, key: "cells[0].metadata.tags", msg: `duplicate tag "a"`},
		{name: "tag empty", in: doc(4, `{"cell_type": "markdown", "metadata": {"tags": [""]}, "source": ""}`), cell: 0, key: "cells[0].metadata.tags", msg: "tag 0 is empty"},

		{name: "output not object", in: doc(4, code(`1`)), cell: 0, key: "cells[0].outputs[0]", msg: "an output must be an object"},
		{name: "missing output_type", in: doc(4, code(`{"name": "stdout", "text": ""}`)), cell: 0, key: "cells[0].outputs[0].output_type", msg: "missing required key"},
		{name: "unknown output_type", in: doc(4, code(`{"output_type": "pyout"}`)), cell: 0, key: "cells[0].outputs[0].output_type", msg: `unknown output type "pyout"`},
		{name: "stream no name", in: doc(4, code(`{"output_type": "stream", "text": ""}`)), cell: 0, key: "cells[0].outputs[0].name", msg: "missing required key"},
		{name: "stream text number", in: doc(4, code(`{"name": "stdout", "output_type": "stream", "text": 1}`)), cell: 0, key: "cells[0].outputs[0].text", msg: "must be a string or list of strings"},
		{name: "display no data", in: doc(4, code(`{"metadata": {}, "output_type": "display_data"}`)), cell: 0, key: "cells[0].outputs[0].data", msg: "missing required key"},
		{name: "display no metadata", in: doc(4, code(`{"data": {}, "output_type": "display_data"}`)), cell: 0, key: "cells[0].outputs[0].metadata", msg: "missing required key"},
		{name: "display metadata list", in: doc(4, code(`{"data": {}, "metadata": [], "output_type": "display_data"}`)), cell: 0, key: "cells[0].outputs[0].metadata", msg: "must be an object"},
		{name: "mime value object", in: doc(4, code(`{"data": {"text/plain": {}}, "metadata": {}, "output_type": "display_data"}`)), cell: 0, key: "cells[0].outputs[0].data.text/plain", msg: "must be a string or list of strings"},
		{name: "execute_result no count", in: doc(4, code(`{"data": {}, "metadata": {}, "output_type": "execute_result"}`)), cell: 0, key: "cells[0].outputs[0].execution_count", msg: "missing required key"},
		{name: "error no traceback", in: doc(4, code(`{"ename": "E", "evalue": "v", "output_type": "error"}`)), cell: 0, key: "cells[0].outputs[0].traceback", msg: "missing required key"},
		{name: "error traceback numbers", in: doc(4, code(`{"ename": "E", "evalue": "v", "output_type": "error", "traceback": [1]}`)), cell: 0, key: "cells[0].outputs[0].traceback", msg: "must be a list of strings"},
		{name: "error ename null", in: doc(4, code(`{"ename": null, "evalue": "v", "output_type": "error", "traceback": []}`)), cell: 0, key: "cells[0].outputs[0].ename", msg: "must be a string, not null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("demo.ipynb", []byte(tt.in))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error = %v (%T), want *Error", err, err)
			}
			if e.File != "demo.ipynb" || e.Cell != tt.cell || e.Key != tt.key || e.Line != tt.line || e.Col != tt.col {
				t.Errorf("got File %q Cell %d Key %q Line %d Col %d, want demo.ipynb %d %q %d %d",
					e.File, e.Cell, e.Key, e.Line, e.Col, tt.cell, tt.key, tt.line, tt.col)
			}
			parts := []string{"demo.ipynb", tt.msg}
			if tt.cell >= 0 {
				rel := strings.TrimPrefix(strings.TrimPrefix(tt.key, fmt.Sprintf("cells[%d]", tt.cell)), ".")
				parts = append(parts, fmt.Sprintf("cell %d: ", tt.cell))
				if rel != "" {
					parts = append(parts, fmt.Sprintf("key %q", rel))
				}
			} else if tt.key != "" {
				parts = append(parts, fmt.Sprintf("key %q", tt.key))
			}
			checkError(t, err, tt.is, parts...)
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "demo.ipynb", Cell: -1, Line: 12, Col: 5, Msg: "invalid JSON", Err: errors.New("boom")}, "demo.ipynb:12:5: invalid JSON: boom"},
		{Error{File: "demo.ipynb", Cell: 3, Key: "cells[3].source", Msg: "must be a string or list of strings"}, `demo.ipynb: cell 3: key "source": must be a string or list of strings`},
		{Error{File: "demo.ipynb", Cell: -1, Key: "metadata.kernelspec.name", Msg: "missing required key"}, `demo.ipynb: key "metadata.kernelspec.name": missing required key`},
		{Error{File: "demo.ipynb", Cell: 2, Key: "cells[2]", Msg: "nil cell"}, `demo.ipynb: cell 2: nil cell`},
		{Error{File: "demo.ipynb", Cell: -1, Err: ErrNBFormat3}, "demo.ipynb: " + ErrNBFormat3.Error()},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	e := &Error{Err: ErrNBFormat3}
	if !errors.Is(e, ErrNBFormat3) {
		t.Error("Unwrap does not expose the cause")
	}
}

// Future minor versions may hold cell and output types this package does
// not know; nbformat reads them, and so must we, without losing them.
func TestFutureMinorVersion(t *testing.T) {
	in := doc(6,
		`{"cell_type": "future", "id": "f", "key": [1, 2.50], "metadata": {}}`,
		`{"cell_type": "code", "execution_count": null, "id": "c", "metadata": {}, "outputs": [{"output_type": "hologram", "z": true}], "source": []}`)
	nb, err := Parse("future.ipynb", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Cells[0].Type != "future" || nb.Cells[1].Outputs[0].Type != "hologram" {
		t.Fatalf("types not kept: %q %q", nb.Cells[0].Type, nb.Cells[1].Outputs[0].Type)
	}
	out, err := Format(nb)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, []byte(in), out)
}
