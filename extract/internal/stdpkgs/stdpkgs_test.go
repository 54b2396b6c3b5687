package stdpkgs

import "testing"

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		symbols []string
		want    string
	}{
		{"fmt", []string{"Println"}, "fmt"},
		{"rand", []string{"Intn"}, "math/rand"},
		{"rand", []string{"IntN"}, "math/rand/v2"},
		{"rand", []string{"Reader"}, "crypto/rand"},
		{"rand", nil, "math/rand"},
		{"template", []string{"HTML"}, "html/template"},
		{"sql", []string{"Open"}, "database/sql"},
		{"http", []string{"Get"}, "net/http"},
		{"filepath", nil, "path/filepath"},
	} {
		got, ok := Lookup(tc.name, tc.symbols)
		if !ok || got != tc.want {
			t.Errorf("Lookup(%q, %v) = %q, %v; want %q", tc.name, tc.symbols, got, ok, tc.want)
		}
	}
	if got, ok := Lookup("gonbui", nil); ok {
		t.Errorf("Lookup(gonbui) = %q, want no match", got)
	}
	if got, ok := Lookup("rand", []string{"NoSuchThing"}); ok {
		t.Errorf("Lookup(rand, NoSuchThing) = %q, want no match", got)
	}
}

func TestName(t *testing.T) {
	if n, ok := Name("math/rand/v2"); !ok || n != "rand" {
		t.Errorf("Name(math/rand/v2) = %q, %v", n, ok)
	}
	if _, ok := Name("example.com/x"); ok {
		t.Error("Name(example.com/x) claims a standard package")
	}
}

// A package name the standard library shares with a library (metrics, graph, data) resolves to
// the standard package only when it declares the names used.
func TestLookupChecksSymbolsOfUniqueNames(t *testing.T) {
	if got, ok := Lookup("metrics", []string{"NewMeanBinaryLogitsAccuracy"}); ok {
		t.Errorf("Lookup(metrics, NewMeanBinaryLogitsAccuracy) = %q, want no match", got)
	}
	if got, ok := Lookup("metrics", []string{"Read", "Sample"}); !ok || got != "runtime/metrics" {
		t.Errorf("Lookup(metrics, Read Sample) = %q, %v; want runtime/metrics", got, ok)
	}
}
