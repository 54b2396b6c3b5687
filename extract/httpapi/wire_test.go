package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// numberOracle says whether s is a JSON number by asking encoding/json: a valid JSON text with
// nothing around it that is a number, and for integers one without fraction or exponent.
func numberOracle(s string, integer bool) bool {
	if s == "" || s != strings.TrimSpace(s) || !json.Valid([]byte(s)) {
		return false
	}
	var v any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return false
	}
	if _, ok := v.(json.Number); !ok {
		return false
	}
	return !integer || !strings.ContainsAny(s, ".eE")
}

func TestJSONNumberExamples(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-12", "1.5", "1e5", "1E+5", "2.5e-3"} {
		if !jsonNumber(s, false) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range []string{"", "+1", ".5", "5.", "0x10", "1_000", "Inf", "NaN", "007", "-", "1e", "1.e5", " 1", "1 ", "０"} {
		if jsonNumber(s, false) {
			t.Errorf("%q accepted", s)
		}
	}
	for _, s := range []string{"1.0", "1e3", "+5"} {
		if jsonNumber(s, true) {
			t.Errorf("integer %q accepted", s)
		}
	}
}

// TestJSONNumberProperty compares jsonNumber with the oracle on random strings over the
// alphabet numbers are made of.
func TestJSONNumberProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const alphabet = "0123456789-+.eExX_ "
	for range 200000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		for _, integer := range []bool{false, true} {
			if got, want := jsonNumber(s, integer), numberOracle(s, integer); got != want {
				t.Fatalf("jsonNumber(%q, %v) = %v, oracle %v", s, integer, got, want)
			}
		}
	}
}

func FuzzJSONNumber(f *testing.F) {
	for _, s := range []string{"0", "-1.5e3", "+1", "007", "0x1p-2", "1_0", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, integer := range []bool{false, true} {
			if got, want := jsonNumber(s, integer), numberOracle(s, integer); got != want {
				t.Fatalf("jsonNumber(%q, %v) = %v, oracle %v", s, integer, got, want)
			}
		}
	})
}

type wireInner struct {
	X int `json:"x"`
}

type wireBody struct {
	Age   int               `json:"age"`
	Name  string            `json:"name"`
	Inner wireInner         `json:"inner"`
	List  []wireInner       `json:"list"`
	Tags  map[string]string `json:"tags"`
	Skip  int               `json:"-"`
}

// keysOracle decides the key rules independently of checkKeys: it parses the document with
// its own small recursive reader (duplicates kept), then walks it against the Go type.
func keysOracle(body []byte, t reflect.Type) (bad bool) {
	if !json.Valid(body) {
		return false // syntax errors are the decoder's
	}
	v, ok := parseKeepingDuplicates(body)
	if !ok {
		return false // syntax errors are the decoder's
	}
	return badKeys(v, t)
}

type object struct {
	keys []string
	vals []any
}

func parseKeepingDuplicates(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var read func() (any, bool)
	read = func() (any, bool) {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		switch tok {
		case json.Delim('{'):
			o := &object{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, false
				}
				v, ok := read()
				if !ok {
					return nil, false
				}
				o.keys, o.vals = append(o.keys, k.(string)), append(o.vals, v)
			}
			_, err := dec.Token()
			return o, err == nil
		case json.Delim('['):
			var a []any
			for dec.More() {
				v, ok := read()
				if !ok {
					return nil, false
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err == nil
		}
		return tok, true
	}
	v, ok := read()
	if _, err := dec.Token(); ok && err == nil {
		return nil, false // trailing data: the decoder's error
	}
	return v, ok
}

func badKeys(v any, t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := v.(type) {
	case *object:
		seen := map[string]bool{}
		for i, k := range v.keys {
			if seen[k] {
				return true
			}
			seen[k] = true
			var vt reflect.Type
			if t != nil && t.Kind() == reflect.Struct {
				f, ok := exactField(t, k)
				if !ok {
					if caseField(t, k) {
						return true
					}
					// Unknown: the decoder's error; duplicates inside still count.
				}
				vt = f
			} else if t != nil && t.Kind() == reflect.Map {
				vt = t.Elem()
			}
			if badKeys(v.vals[i], vt) {
				return true
			}
		}
	case []any:
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for _, x := range v {
			if badKeys(x, et) {
				return true
			}
		}
	}
	return false
}

func exactField(t reflect.Type, k string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == k {
			return f.Type, true
		}
	}
	return nil, false
}

func caseField(t reflect.Type, k string) bool {
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "-" && name != k && strings.EqualFold(name, k) {
			return true
		}
	}
	return false
}

func TestCheckKeysExamples(t *testing.T) {
	typ := reflect.TypeOf(&wireBody{})
	for body, want := range map[string]string{
		`{"age": 1, "name": "x"}`:                "",
		`{"Age": 1}`:                             `parameter "Age" is unknown; names are case-sensitive: did you mean "age"?`,
		`{"age": 1, "age": 2}`:                   `parameter "age" is given more than once`,
		`{"inner": {"X": 1}}`:                    `parameter "inner.X" is unknown; names are case-sensitive: did you mean "x"?`,
		`{"list": [{"x": 1}, {"x": 1, "x": 2}]}`: `parameter "list[1].x" is given more than once`,
		`{"tags": {"a": "1", "A": "2"}}`:         "",
		`{"tags": {"a": "1", "a": "2"}}`:         `parameter "tags.a" is given more than once`,
		`{"unknown": 1}`:                         "",
		`{"age": {"any": 1, "any": 2}}`:          `parameter "age.any" is given more than once`,
	} {
		if got := checkKeys([]byte(body), typ); got != want {
			t.Errorf("checkKeys(%s) = %q, want %q", body, got, want)
		}
	}
}

func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{`{"age":1}`, `{"Age":1}`, `{"age":1,"age":2}`, `{"inner":{"X":1}}`, `{"list":[{"x":1,"x":1}]}`, `{"tags":{"k":"v"}}`, `[1]`, `{`} {
		f.Add([]byte(s))
	}
	typ := reflect.TypeOf(&wireBody{})
	f.Fuzz(func(t *testing.T, body []byte) {
		got := checkKeys(body, typ) != ""
		if want := keysOracle(body, typ); got != want {
			t.Fatalf("checkKeys(%s) bad=%v, oracle %v (%q)", body, got, want, checkKeys(body, typ))
		}
	})
}

// The emitted API carries exactly the marked part of wire.go.
func TestEmittedWireIsTheTestedCode(t *testing.T) {
	files, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(files["cmd/server/api.go"]), emittedWire(wireSource)) {
		t.Fatal("api.go does not contain wire.go's emitted part verbatim")
	}
}

// jsonFloatOracle is encoding/json's encoding of f at the given bit size.
func jsonFloatOracle(t testing.TB, f float64, bits int) string {
	var v any = f
	if bits == 32 {
		v = float32(f)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%v): %v", f, err)
	}
	return string(b)
}

func TestAppendJSONFloatExamples(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 0.9812389453960341, 1e-6, 1e-7, 9.99999e-7, 1e20, 1e21, 1e21 - 1e5,
		-1e21, 123456789, 1e-300, 5e-324, math.MaxFloat64, -math.MaxFloat64, float64(float32(1e-6)), float64(math.Nextafter32(float32(1e-6), 0)),
		float64(float32(1e21)), float64(math.Nextafter32(float32(1e21), 0)), math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-9, 3.14159} {
		for _, bits := range []int{32, 64} {
			x := f
			if bits == 32 {
				if math.Abs(f) > math.MaxFloat32 {
					continue
				}
				x = float64(float32(f))
			}
			if got, want := string(appendJSONFloat(nil, x, bits)), jsonFloatOracle(t, x, bits); got != want {
				t.Errorf("appendJSONFloat(%v, %d) = %s, encoding/json %s", x, bits, got, want)
			}
		}
	}
}

func TestAppendJSONFloatProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		f := math.Float64frombits(r.Uint64())
		f32 := math.Float32frombits(r.Uint32())
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			if got, want := string(appendJSONFloat(nil, f, 64)), jsonFloatOracle(t, f, 64); got != want {
				t.Fatalf("appendJSONFloat(%v, 64) = %s, encoding/json %s", f, got, want)
			}
		}
		if x := float64(f32); !math.IsNaN(x) && !math.IsInf(x, 0) {
			if got, want := string(appendJSONFloat(nil, x, 32)), jsonFloatOracle(t, x, 32); got != want {
				t.Fatalf("appendJSONFloat(%v, 32) = %s, encoding/json %s", x, got, want)
			}
		}
	}
}

func FuzzAppendJSONFloat(f *testing.F) {
	f.Add(uint64(0), uint32(0))
	f.Add(math.Float64bits(1e-7), math.Float32bits(1e-6))
	f.Fuzz(func(t *testing.T, b64 uint64, b32 uint32) {
		if x := math.Float64frombits(b64); !math.IsNaN(x) && !math.IsInf(x, 0) {
			if got, want := string(appendJSONFloat(nil, x, 64)), jsonFloatOracle(t, x, 64); got != want {
				t.Fatalf("appendJSONFloat(%v, 64) = %s, encoding/json %s", x, got, want)
			}
		}
		if x := float64(math.Float32frombits(b32)); !math.IsNaN(x) && !math.IsInf(x, 0) {
			if got, want := string(appendJSONFloat(nil, x, 32)), jsonFloatOracle(t, x, 32); got != want {
				t.Fatalf("appendJSONFloat(%v, 32) = %s, encoding/json %s", x, got, want)
			}
		}
	})
}
