package kernel

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Output types, as in nbformat's output_type.
const (
	TypeStream        = "stream"
	TypeDisplayData   = "display_data"
	TypeExecuteResult = "execute_result"
	TypeError         = "error"
)

// Output is one cell output, shaped like an nbformat v4 output.
type Output struct {
	Type string // TypeStream, TypeDisplayData, TypeExecuteResult or TypeError

	// Streams.
	Name string // "stdout" or "stderr"
	Text string

	// Display data and execute results. Values are kept as raw JSON so that
	// nothing is lost on the way to a notebook file: text types are JSON
	// strings, images base64 strings, application/json any value.
	Data           map[string]json.RawMessage
	Metadata       map[string]json.RawMessage
	ExecutionCount int // execute_result only

	// Errors.
	EName     string
	EValue    string
	Traceback []string

	// DisplayID is the transient display_id, used to apply
	// update_display_data. It is not part of a saved notebook.
	DisplayID string
}

// DataString returns the value for MIME type mime when it is a JSON string
// or a list of strings (nbformat allows both), joined.
func (o Output) DataString(mime string) (string, bool) {
	raw, ok := o.Data[mime]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var lines []string
	if json.Unmarshal(raw, &lines) == nil {
		return strings.Join(lines, ""), true
	}
	return "", false
}

// ErrorInfo describes why a cell failed.
type ErrorInfo struct {
	EName     string
	EValue    string
	Traceback []string
}

func (e *ErrorInfo) Error() string {
	if e.EValue == "" {
		return e.EName
	}
	return e.EName + ": " + e.EValue
}

// collector turns the iopub messages of one execution into outputs,
// following nbclient: streams of the same name that follow each other are
// merged, clear_output with wait=true clears on the next output, and
// display_data/update_display_data with a display_id update every earlier
// output carrying that id.
type collector struct {
	outputs      []Output
	clearPending bool
	// updates holds update_display_data messages for display ids this
	// execution has not shown; they target earlier cells.
	updates []Output
	// stream accumulates the text of the last output while it is a stream, in linear time
	// and bounded memory; seal puts it into the output.
	stream    *streamBuf
	maxStream int // ExecOptions.MaxStreamBytes
}

// seal writes the open stream's text into its output.
func (c *collector) seal() {
	if c.stream != nil && len(c.outputs) > 0 {
		c.outputs[len(c.outputs)-1].Text = c.stream.String()
	}
	c.stream = nil
}

// finish seals the open stream and returns the outputs.
func (c *collector) finish() []Output {
	c.seal()
	return c.outputs
}

type displayContent struct {
	Data      map[string]json.RawMessage `json:"data"`
	Metadata  map[string]json.RawMessage `json:"metadata"`
	Transient struct {
		DisplayID string `json:"display_id"`
	} `json:"transient"`
	ExecutionCount int `json:"execution_count"`
}

type streamContent struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

type errorContent struct {
	EName     string   `json:"ename"`
	EValue    string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

// apply folds one iopub message into the outputs. Message types that carry
// no output (status, execute_input, comm_*) are ignored.
func (c *collector) apply(msgType string, content json.RawMessage) error {
	switch msgType {
	case "stream":
		var s streamContent
		if err := json.Unmarshal(content, &s); err != nil {
			return fmt.Errorf("decoding stream: %w", err)
		}
		c.flushClear()
		if n := len(c.outputs); n > 0 && c.stream != nil && c.outputs[n-1].Name == s.Name {
			c.stream.write(s.Text)
			return nil
		}
		c.seal()
		if n := len(c.outputs); n > 0 && c.outputs[n-1].Type == TypeStream && c.outputs[n-1].Name == s.Name {
			// A stream output sealed earlier (the collector was read in between): reopen it.
			c.stream = newStreamBuf(s.Name, c.maxStream)
			c.stream.write(c.outputs[n-1].Text)
			c.stream.write(s.Text)
			return nil
		}
		c.outputs = append(c.outputs, Output{Type: TypeStream, Name: s.Name})
		c.stream = newStreamBuf(s.Name, c.maxStream)
		c.stream.write(s.Text)
	case "display_data", "execute_result", "update_display_data":
		var d displayContent
		if err := json.Unmarshal(content, &d); err != nil {
			return fmt.Errorf("decoding %s: %w", msgType, err)
		}
		id := d.Transient.DisplayID
		out := Output{Type: msgType, Data: d.Data, Metadata: d.Metadata, DisplayID: id}
		if msgType == "execute_result" {
			out.ExecutionCount = d.ExecutionCount
		}
		updated := false
		if id != "" {
			for i := range c.outputs {
				if c.outputs[i].DisplayID == id {
					c.outputs[i].Data, c.outputs[i].Metadata = d.Data, d.Metadata
					updated = true
				}
			}
		}
		if msgType == "update_display_data" {
			// An update never adds an output here; when it targets nothing
			// in this cell the caller applies it to earlier cells.
			if !updated && id != "" {
				out.Type = TypeDisplayData
				c.updates = append(c.updates, out)
			}
			return nil
		}
		c.flushClear()
		c.seal()
		c.outputs = append(c.outputs, out)
	case "error":
		var e errorContent
		if err := json.Unmarshal(content, &e); err != nil {
			return fmt.Errorf("decoding error: %w", err)
		}
		c.flushClear()
		c.seal()
		c.outputs = append(c.outputs, Output{Type: TypeError, EName: e.EName, EValue: e.EValue, Traceback: e.Traceback})
	case "clear_output":
		var w struct {
			Wait bool `json:"wait"`
		}
		if err := json.Unmarshal(content, &w); err != nil {
			return fmt.Errorf("decoding clear_output: %w", err)
		}
		if w.Wait {
			c.clearPending = true
		} else {
			c.outputs, c.clearPending, c.stream = nil, false, nil
		}
	}
	return nil
}

func (c *collector) flushClear() {
	if c.clearPending {
		c.outputs, c.clearPending, c.stream = nil, false, nil
	}
}

// exitLine matches the line GoNB (os/exec) writes when the cell program
// fails: "exit status N" or "signal: killed".
var exitLine = regexp.MustCompile(`^(exit status [0-9]+|signal: [a-z ]+)$`)

// DetectRuntimeFailure reports a Go program failure that a kernel passed
// off as success. GoNB answers status "ok" when the cell's program panics,
// calls os.Exit(n) or is killed, and only writes "exit status N" (or
// "signal: …") to stderr. The result is nil when no stderr line says so.
//
// EName is "RuntimeError". EValue is the panic or fatal error line when
// there is one, else the exit line. Traceback holds the stderr lines from
// the first panic (or the exit line) on.
func DetectRuntimeFailure(outputs []Output) *ErrorInfo {
	var stderr strings.Builder
	for _, o := range outputs {
		if o.Type == TypeStream && o.Name == "stderr" {
			stderr.WriteString(o.Text)
		}
	}
	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	exit, cause := -1, -1
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if cause < 0 && (strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ")) {
			cause = i
		}
		if exit < 0 && exitLine.MatchString(l) {
			exit = i
		}
	}
	if exit < 0 {
		return nil
	}
	first := exit
	if cause >= 0 && cause < exit {
		first = cause
	}
	return &ErrorInfo{
		EName:     "RuntimeError",
		EValue:    strings.TrimRight(lines[first], "\r"),
		Traceback: append([]string(nil), lines[first:]...),
	}
}
