package proxy

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/decant-go/decant/kernel"
)

// stderrHold watches a cell's stderr for the signs of a failed program.
// GoNB reports a panic or os.Exit(n) as success, with the panic text and
// "exit status N" on stderr. From the first such line on, the stderr text
// is held back; at the end of the cell it becomes one error output (when
// the program did fail) or is released as it was.
type stderrHold struct {
	held    strings.Builder
	holding bool
}

// exitLine is the line GoNB writes when the cell's program fails.
var exitLine = regexp.MustCompile(`^(exit status [0-9]+|signal: [a-z ]+)\r?$`)

func failureStart(line string) bool {
	return strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") || exitLine.MatchString(line)
}

// feed takes one stderr chunk and returns the part to publish now.
func (h *stderrHold) feed(text string) string {
	if h.holding {
		h.held.WriteString(text)
		return ""
	}
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		if failureStart(text[start:end]) {
			h.holding = true
			h.held.WriteString(text[start:])
			return text[:start]
		}
		start = end + 1
	}
	return text
}

// finish returns the error the held text describes (nil if none) and the
// text to release instead when there is no error.
func (h *stderrHold) finish() (*kernel.ErrorInfo, string) {
	text := h.held.String()
	h.held.Reset()
	h.holding = false
	if text == "" {
		return nil, ""
	}
	info := kernel.DetectRuntimeFailure([]kernel.Output{{Type: kernel.TypeStream, Name: "stderr", Text: text}})
	if info == nil {
		return nil, text
	}
	return info, ""
}

// gonbErrorReport returns the HTML of a display_data content when it is
// GoNB's error report (ok false otherwise).
func gonbErrorReport(content json.RawMessage) (string, bool) {
	var c struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(content, &c) != nil {
		return "", false
	}
	var html string
	if json.Unmarshal(c.Data["text/html"], &html) != nil {
		return "", false
	}
	if strings.Contains(html, "gonb-err-location") || strings.HasPrefix(strings.TrimSpace(html), "<pre>") {
		return html, true
	}
	return "", false
}

// setHTML replaces the text/html of a display_data content.
func setHTML(content json.RawMessage, html string) json.RawMessage {
	var c map[string]json.RawMessage
	if json.Unmarshal(content, &c) != nil {
		return content
	}
	var data map[string]json.RawMessage
	if json.Unmarshal(c["data"], &data) != nil || data == nil {
		return content
	}
	h, _ := json.Marshal(html)
	data["text/html"] = h
	d, _ := json.Marshal(data)
	return setFields(content, map[string]any{"data": json.RawMessage(d)})
}
