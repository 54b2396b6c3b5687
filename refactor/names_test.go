package refactor

import (
	"slices"
	"testing"
)

func TestCommonName(t *testing.T) {
	for _, tt := range []struct {
		names []string
		want  string
	}{
		{[]string{"prepareTrain", "prepareTest"}, "prepare"},
		{[]string{"trainLoader", "testLoader"}, "loader"},
		{[]string{"f", "g"}, ""},
		{[]string{"loadA", "loadB", "loadC"}, "load"},
		{[]string{"ab", "abX"}, ""},
	} {
		if got := commonName(tt.names); got != tt.want {
			t.Errorf("commonName(%v) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"dbPath": "DBPath", "api_key": "APIKey", "baseURL": "BaseURL", "x": "X"} {
		if got := exportName(in); got != want {
			t.Errorf("exportName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"DBPath": "db-path", "APIKey": "api-key", "URL": "url", "DataFile": "data-file"} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParsePasses(t *testing.T) {
	for in, want := range map[string][]string{
		"all":            AllPasses,
		"":               AllPasses,
		"none":           {},
		"modernize,sql":  {PassSQL, PassModernize},
		"dupes, config ": {PassUnify, PassConfig},
	} {
		got, err := ParsePasses(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParsePasses(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParsePasses("unify,bogus"); err == nil {
		t.Error("ParsePasses accepted an unknown pass")
	}
}
