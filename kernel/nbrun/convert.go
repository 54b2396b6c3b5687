package nbrun

import (
	"encoding/json"
	"strings"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/notebooks"
)

// ConvertOutput turns a kernel output into a notebook output with the
// fields nbformat requires for its type. Text mime values become their
// text; JSON mime types (application/json, application/*+json) keep their
// JSON; a value of the wrong JSON type for its mime type is dropped
// rather than written into an invalid notebook.
func ConvertOutput(o kernel.Output) notebooks.Output {
	switch o.Type {
	case kernel.TypeStream:
		name := o.Name
		if name != "stdout" && name != "stderr" {
			name = "stdout"
		}
		return notebooks.Output{Type: "stream", Name: name, Text: o.Text}
	case kernel.TypeError:
		tb := o.Traceback
		if tb == nil {
			tb = []string{}
		}
		return notebooks.Output{Type: "error", EName: o.EName, EValue: o.EValue, Traceback: tb}
	}
	out := notebooks.Output{Type: o.Type, Data: map[string]string{}, Metadata: metadataJSON(o.Metadata)}
	if out.Type != kernel.TypeExecuteResult {
		out.Type = kernel.TypeDisplayData
	} else {
		n := o.ExecutionCount
		out.ExecutionCount = &n
	}
	for mime, raw := range o.Data {
		if isJSONMime(mime) {
			if json.Valid(raw) {
				out.Data[mime] = string(raw)
			}
			continue
		}
		if s, ok := o.DataString(mime); ok {
			out.Data[mime] = s
		}
	}
	return out
}

// ConvertOutputs converts a cell's outputs.
func ConvertOutputs(outs []kernel.Output) []notebooks.Output {
	res := make([]notebooks.Output, 0, len(outs))
	for _, o := range outs {
		res = append(res, ConvertOutput(o))
	}
	return res
}

// isJSONMime matches nbformat's rule for mime types stored as JSON.
func isJSONMime(mime string) bool {
	return mime == "application/json" || (strings.HasPrefix(mime, "application/") && strings.HasSuffix(mime, "+json"))
}

// metadataJSON encodes output metadata with sorted keys; nil when empty.
func metadataJSON(m map[string]json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	obj := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		if json.Valid(v) {
			obj[k] = v
		}
	}
	b, err := json.Marshal(obj) // encoding/json sorts map keys
	if err != nil {
		return nil
	}
	return b
}

// errorOutput is the error output for a failure the kernel reported only
// in the reply (or not at all: timeouts, runtime failures found in
// stderr, a dead kernel).
func errorOutput(e *kernel.ErrorInfo) notebooks.Output {
	tb := e.Traceback
	if tb == nil {
		tb = []string{}
	}
	return notebooks.Output{Type: "error", EName: e.EName, EValue: e.EValue, Traceback: tb}
}
