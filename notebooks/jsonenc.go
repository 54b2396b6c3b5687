package notebooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds a JSON encoder that reproduces Python's
//
//	json.dumps(v, sort_keys=True, indent=1, ensure_ascii=False)
//
// byte for byte, which is how nbformat writes notebooks. encoding/json cannot
// be used for this: it escapes <, >, &, U+2028 and U+2029, writes empty
// containers across lines when indenting, and does not sort keys the way
// Python does for every input.
//
// Values are the generic tree produced by decodeJSON: map[string]any, []any,
// string, json.Number, bool and nil, plus int for counts we build ourselves.

const hexDigits = "0123456789abcdef"

// appendPretty appends v in the indent=1 layout; depth is the nesting level
// of v, which sets the indentation of its closing bracket.
func appendPretty(b []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return append(b, "{}"...), nil
		}
		b = append(b, '{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNewline(b, depth+1)
			b = appendString(b, k)
			b = append(b, ": "...)
			var err error
			if b, err = appendPretty(b, v[k], depth+1); err != nil {
				return b, err
			}
		}
		b = appendNewline(b, depth)
		return append(b, '}'), nil
	case []any:
		if len(v) == 0 {
			return append(b, "[]"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendNewline(b, depth+1)
			var err error
			if b, err = appendPretty(b, e, depth+1); err != nil {
				return b, err
			}
		}
		b = appendNewline(b, depth)
		return append(b, ']'), nil
	default:
		return appendScalar(b, v)
	}
}

// appendCompact appends v without any whitespace, the form used for the
// json.RawMessage values handed out by the API.
func appendCompact(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendCompact(b, v[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCompact(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	default:
		return appendScalar(b, v)
	}
}

func appendScalar(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendString(b, v), nil
	case json.Number:
		// Numbers keep the text they were read with, so floats such as
		// 0.30000000000000004 or 1e-07 survive unchanged.
		if !isJSONNumber(string(v)) {
			return b, fmt.Errorf("invalid JSON number %q", string(v))
		}
		return append(b, v...), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float64:
		// Only reachable for values built in Go; the decoder yields json.Number.
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return b, fmt.Errorf("unsupported number %v", v)
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64), nil
	default:
		return b, fmt.Errorf("unsupported JSON value of type %T", v)
	}
}

func appendNewline(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, ' ')
	}
	return b
}

// appendString quotes s as Python's json module does with ensure_ascii=False:
// only '"', '\\' and control characters below U+0020 are escaped, the latter
// as \n, \r, \t, \b, \f or a lowercase \u00XX. Invalid UTF-8 becomes U+FFFD so
// the output is always valid UTF-8.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// sortedKeys returns the keys of m in Python's order for str: by code point.
// For valid UTF-8, byte order equals code point order; keys are made valid
// first so the order matches the text that appendString writes.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	valid := true
	for _, k := range keys {
		valid = valid && utf8.ValidString(k)
	}
	if valid {
		slices.Sort(keys)
		return keys
	}
	slices.SortFunc(keys, func(a, b string) int {
		return strings.Compare(strings.ToValidUTF8(a, "\uFFFD"), strings.ToValidUTF8(b, "\uFFFD"))
	})
	return keys
}

// isJSONNumber reports whether s is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// syntaxError is a JSON decoding failure at a byte offset.
type syntaxError struct {
	offset int // 0-based byte offset of the offending input
	err    error
}

// decodeJSON decodes data into the generic tree, keeping numbers as
// json.Number. Like json.Unmarshal it rejects trailing non-space data.
// Failures are *syntaxError.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			// Offset counts the bytes read, including the offending one.
			return nil, &syntaxError{offset: max(int(se.Offset)-1, 0), err: err}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, &syntaxError{offset: len(data), err: errors.New("unexpected end of JSON input")}
		default:
			return nil, &syntaxError{offset: 0, err: err}
		}
	}
	off := int(dec.InputOffset())
	if i := bytes.IndexFunc(data[off:], func(r rune) bool { return !isJSONSpace(r) }); i >= 0 {
		return nil, &syntaxError{offset: off + i, err: fmt.Errorf("invalid character %q after top-level value", data[off+i])}
	}
	return v, nil
}

func isJSONSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// decodeJSONValue decodes a json.RawMessage supplied through the API.
func decodeJSONValue(raw []byte) (any, error) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, err.(*syntaxError).err
	}
	return v, nil
}

// compactJSON renders v compactly for a json.RawMessage.
func compactJSON(v any) (json.RawMessage, error) {
	return appendCompact(nil, v)
}

// lineCol converts a byte offset into a 1-based line and byte column.
func lineCol(data []byte, offset int) (line, col int) {
	offset = min(offset, len(data))
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = offset - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

func (e *syntaxError) Error() string { return e.err.Error() }
