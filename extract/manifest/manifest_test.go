package manifest

import (
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	m := &Manifest{Notebook: "churn.ipynb", SHA256: "ab", Module: "example.com/churn", Package: "churn",
		Cells:  []Cell{{Index: 1, ID: "c1", Section: "preparation", Label: "1. Preparation", Places: []string{"churn/preparation.go:5"}}},
		Routes: []Route{{Func: "CalcProbabilities", Method: "GET", Path: "/v1/probabilities"}},
		Files:  []string{".decant/manifest.json", "go.mod"}}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "{\n  \"decant_manifest\": 1,\n") || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("Encode = %s", b)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *m
	want.Version = Version
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("Decode(Encode(m)) = %+v, want %+v", got, &want)
	}
}

func TestDecode(t *testing.T) {
	if _, err := Decode([]byte(`{"decant_manifest": 99}`)); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer version: err = %v", err)
	}
	if _, err := Decode([]byte(`{"cells": [`)); err == nil || !strings.Contains(err.Error(), Path) {
		t.Errorf("bad JSON: err = %v", err)
	}
	m, err := Decode([]byte(`{"package": "p", "future_field": true}`))
	if err != nil || m.Package != "p" {
		t.Errorf("unknown fields: %+v, %v", m, err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"decant_manifest":1,"cells":[{"index":0,"section":"preparation"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode of a decoded manifest: %v", err)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("Decode(Encode(m)): %v", err)
		}
	})
}
