package notebooks

import (
	"reflect"
	"testing"
)

// The expected text below was produced by Python 3.11:
// json.dumps(v, sort_keys=True, indent=1, ensure_ascii=False).
func TestAppendPrettyMatchesPython(t *testing.T) {
	in := `{"b": [], "a": {}, "é": [1, {"x": null, "y": true, "z": false}], "Z": "<>&\u2028\u2029",
	"\ud83d\ude00": 1, "\uffff": 2, "c": "\u0000\u0001\u001f\u007f\b\f\n\r\t\"\\\/é🍎",
	"n": [0.5, -0.0, 1e-07, 12345678901234567890]}`
	want := "{\n \"Z\": \"<>&\u2028\u2029\",\n \"a\": {},\n \"b\": [],\n" +
		" \"c\": \"\\u0000\\u0001\\u001f\x7f\\b\\f\\n\\r\\t\\\"\\\\/é🍎\",\n" +
		" \"n\": [\n  0.5,\n  -0.0,\n  1e-07,\n  12345678901234567890\n ],\n" +
		" \"é\": [\n  1,\n  {\n   \"x\": null,\n   \"y\": true,\n   \"z\": false\n  }\n ],\n" +
		" \"\uffff\": 2,\n \"😀\": 1\n}"
	v, err := decodeJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendPretty(nil, v, 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"<script>&</script>", `"<script>&</script>"`},
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{"\x00\x1b[0m", `"\u0000\u001b[0m"`},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
		{`q"b\`, `"q\"b\\"`},
	}
	for _, tt := range tests {
		if got := string(appendString(nil, tt.in)); got != tt.want {
			t.Errorf("appendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendCompact(t *testing.T) {
	v, err := decodeJSON([]byte(`{"b": [1, 2.50, {}], "a": "<&>"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := compactJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":"<&>","b":[1,2.50,{}]}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestIsJSONNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "1.5", "1e5", "-1.25E+10", "12345678901234567890"} {
		if !isJSONNumber(s) {
			t.Errorf("isJSONNumber(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "+1", "NaN", "Infinity", "1 ", "0x1"} {
		if isJSONNumber(s) {
			t.Errorf("isJSONNumber(%q) = true", s)
		}
	}
}

// Expected values from Python's str.splitlines(True).
func TestSplitLinesMatchesPython(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a\n"}},
		{"a\nb", []string{"a\n", "b"}},
		{"a\r\nb\rc\n\nd", []string{"a\r\n", "b\r", "c\n", "\n", "d"}},
		{"x\vy\fz\x1c\x1d\x1e\u0085\u2028\u2029end", []string{"x\v", "y\f", "z\x1c", "\x1d", "\x1e", "\u0085", "\u2028", "\u2029", "end"}},
		{"\n\n", []string{"\n", "\n"}},
		{"a\r", []string{"a\r"}},
		{"é\u00c2\u0080", []string{"é\u00c2\u0080"}}, // bytes c2 80 / c3 82 are not boundaries
	}
	for _, tt := range tests {
		if got := splitLines(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
