package httpapi

// This file is compiled and tested here, and the part between the markers is copied verbatim
// into every emitted cmd/server/api.go: the emitted API's input rules have one source, which
// the property and fuzz tests of this package check against oracles.
//
// The rules:
//   - A number in a query string follows JSON's number grammar (RFC 8259 §6): an optional minus,
//     no leading zeros, digits; a floating-point parameter may have a fraction and an exponent,
//     an integer parameter neither. So no "+1", ".5", "5.", "0x10", "1_000", "Inf", "NaN" or
//     "007": what a JSON body would not accept, a query does not either.
//   - In a JSON body, every object key must be a field's JSON name exactly (encoding/json
//     would match "Age" to "age"), and no object may repeat a key (encoding/json would keep the
//     last): a client that sends either has a bug the server must not hide.

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// BEGIN emitted

// jsonNumber reports whether s is a JSON number; with integer, one without fraction or exponent.
func jsonNumber(s string, integer bool) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if integer {
		return i == len(s)
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// jsonFields caches the JSON names of struct types' fields.
var jsonFields sync.Map // reflect.Type -> map[string]reflect.Type

// fieldsOf returns the JSON names of t's fields (as encoding/json sees them, embedded structs
// flattened) and each field's type.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := jsonFields.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for k, v := range fieldsOf(ft) {
				if _, ok := m[k]; !ok {
					m[k] = v
				}
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	jsonFields.Store(t, m)
	return m
}

// checkKeys reports the first object key in the JSON document body that is not the exact JSON
// name of a field of the Go type it decodes into (t; nil means any type), or that an object
// repeats, as a message for the client; "" means the keys are fine. Syntax errors are left to
// the decoder, which reports them better.
func checkKeys(body []byte, t reflect.Type) string {
	if !json.Valid(body) {
		return "" // the decoder names the syntax error
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	msg, _ := checkValue(dec, t, "")
	return msg
}

func checkValue(dec *json.Decoder, t reflect.Type, at string) (string, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return "", true
	}
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if msg, ok := checkValue(dec, elem, strings.TrimSuffix(at, ".")+"["+strconv.Itoa(i)+"]."); msg != "" || !ok {
				return msg, ok
			}
		}
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = fieldsOf(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return "", false
			}
			key, _ := kt.(string)
			where := "parameter " + strconv.Quote(strings.TrimSuffix(at, ".")+"."+key)
			if at == "" {
				where = "parameter " + strconv.Quote(key)
			}
			if seen[key] {
				return where + " is given more than once", true
			}
			seen[key] = true
			vt := elem
			if fields != nil {
				ft, ok := fields[key]
				if !ok {
					// A key that differs from a field's name only in case is a client bug.
					for name := range fields {
						if strings.EqualFold(name, key) {
							return where + " is unknown; names are case-sensitive: did you mean " + strconv.Quote(name) + "?", true
						}
					}
					// Unknown: the decoder's DisallowUnknownFields names it; check the rest.
					ft = nil
				}
				vt = ft
			}
			if msg, ok := checkValue(dec, vt, at+key+"."); msg != "" || !ok {
				return msg, ok
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return "", err == nil
}

// appendJSONFloat appends f, a finite float of the given bit size (32 or 64), as encoding/json
// writes it: the shortest decimal that reads back as f, in exponent form only below 1e-6 or
// from 1e21 on, with the exponent's leading zero dropped (1e-7, not 1e-07).
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	format := byte('f')
	if a := math.Abs(f); bits == 32 {
		if a32 := float32(a); a32 != 0 && (a32 < 1e-6 || a32 >= 1e21) {
			format = 'e'
		}
	} else if a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// END emitted

// emittedWire is the text between the markers above, as it goes into api.go.
func emittedWire(src string) string {
	_, rest, _ := strings.Cut(src, "// BEGIN emitted\n")
	body, _, _ := strings.Cut(rest, "// END emitted")
	return strings.TrimSpace(body) + "\n"
}
