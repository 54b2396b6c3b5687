package notebooks

import "strings"

// splitLines splits s the way Python's str.splitlines(keepends=True) does,
// which is what nbformat uses to write multi-line strings as lists. Line
// boundaries are \n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e, U+0085, U+2028 and
// U+2029; each line keeps its terminator. An empty string gives no lines.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		end := -1 // index just past the boundary, if there is one at i
		switch {
		case c == '\r':
			end = i + 1
			if end < len(s) && s[end] == '\n' {
				end++
			}
		case c == '\n' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e:
			end = i + 1
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x85: // U+0085
			end = i + 2
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			end = i + 3
		}
		if end < 0 {
			i++
			continue
		}
		lines = append(lines, s[start:end])
		start, i = end, end
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// multiline is the on-disk form nbformat writes for a multi-line string: a
// list of lines.
func multiline(s string) []any {
	lines := splitLines(s)
	out := make([]any, len(lines))
	for i, l := range lines {
		out[i] = l
	}
	return out
}

// joinMultiline reads a multi-line string field, which may be a string or a
// list of strings. ok is false for any other shape.
func joinMultiline(v any) (s string, ok bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []any:
		var b strings.Builder
		for _, e := range v {
			l, isStr := e.(string)
			if !isStr {
				return "", false
			}
			b.WriteString(l)
		}
		return b.String(), true
	}
	return "", false
}
