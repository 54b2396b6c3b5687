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
	} {
		if got := (result{outcome: tc.outcome, reason: tc.reason}).class(); got != tc.want {
			t.Errorf("class(%q, %q) = %q, want %q", tc.outcome, tc.reason, got, tc.want)
		}
	}
}
