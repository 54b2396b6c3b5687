package main

import "testing"

func TestClass(t *testing.T) {
	for _, tc := range []struct {
		outcome, reason, want string
	}{
		{"built", "", "built"},
		{"failed", "timeout after 5m0s", "failed"},
		{"refused", "cell 4, line 2: a library imported here uses cgo and needs the C library xla, which is not installed on this machine", "refused: environment"},
		{"refused", "cell 3, line 1: the library github.com/x/y@v1.0.0 does not build on this machine: …", "refused: environment"},
		{"refused", "cell 2, line 7: undefined: foo", "refused: other"},
		{"refused", `test: p/pipeline.go:26 (cell 4, line 32): panic: failed downloading "https://example.com/data.zip": Get "https://example.com/data.zip": dial tcp: lookup example.com: no such host`, "refused: environment"},
		{"refused", `test: p/prediction.go:32 (cell 3, line 22): panic: file "data.tar.gz" sha256 hash is "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", but expected "c4a3"`, "refused: environment"},
	} {
		if got := (result{outcome: tc.outcome, reason: tc.reason}).class(); got != tc.want {
			t.Errorf("class(%q, %q) = %q, want %q", tc.outcome, tc.reason, got, tc.want)
		}
	}
}
