package proxy

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"time"
	"unicode"
)

func inspectFound(content json.RawMessage) bool {
	var c struct {
		Found bool `json:"found"`
	}
	return json.Unmarshal(content, &c) == nil && c.Found
}

// wordAt returns the dotted Go name around cursor (counted in Unicode
// code points, as the protocol does): "fmt.Println" for a cursor anywhere
// in it.
func wordAt(code string, cursor int) string {
	rs := []rune(code)
	if cursor < 0 || cursor > len(rs) {
		return ""
	}
	in := func(r rune) bool { return r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	start, end := cursor, cursor
	for start > 0 && in(rs[start-1]) {
		start--
	}
	for end < len(rs) && in(rs[end]) {
		end++
	}
	return strings.Trim(string(rs[start:end]), ".")
}

// goDocInspect answers an inspect_request with `go doc` for a package
// qualified name at the cursor, such as fmt.Println. It reports false when
// there is no such name or go doc knows nothing about it.
func goDocInspect(ctx context.Context, dir string, request json.RawMessage) (json.RawMessage, bool) {
	var req struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	if json.Unmarshal(request, &req) != nil {
		return nil, false
	}
	name := wordAt(req.Code, req.CursorPos)
	if !strings.Contains(name, ".") || strings.HasPrefix(name, "-") {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "doc", "--", name)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		return nil, false
	}
	text := string(out)
	content, err := json.Marshal(map[string]any{
		"status": "ok", "found": true, "metadata": map[string]any{},
		"data": map[string]string{"text/plain": text, "text/markdown": "```go\n" + strings.TrimRight(text, "\n") + "\n```\n"},
	})
	if err != nil {
		return nil, false
	}
	return content, true
}
