package nbrun

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// goBin reads go env -json, so an unset GOBIN (an empty line in go env's
// plain output) falls back to GOPATH's bin instead of being mistaken for
// GOPATH itself.
func TestGoBinWithGOBINUnset(t *testing.T) {
	home := t.TempDir()
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"GOBIN=", "GOPATH="}, filepath.Join(home, "go", "bin")},
		{[]string{"GOBIN=", "GOPATH=" + filepath.Join(home, "gp") + string(filepath.ListSeparator) + "/other"}, filepath.Join(home, "gp", "bin")},
		{[]string{"GOBIN=" + filepath.Join(home, "b"), "GOPATH="}, filepath.Join(home, "b")},
	} {
		r := &setupRunner{ctx: context.Background(), env: append(os.Environ(), append([]string{"HOME=" + home, "GOENV=off"}, tt.env...)...)}
		got, err := r.goBin("go")
		if err != nil || got != tt.want {
			t.Errorf("%q: %q %v, want %q", tt.env, got, err, tt.want)
		}
	}
}
