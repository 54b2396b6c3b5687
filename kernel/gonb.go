package kernel

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// GoNBSpec builds a kernelspec for the GoNB binary pinned by the tool
// directives of the Go module in moduleDir, without installing anything:
// it asks `go tool -n gonb` and `go tool -n goimports` for the binaries
// (building them if needed) and puts goimports' directory first on the
// kernel's PATH, because GoNB runs goimports on every cell.
//
// It is the fallback when FindSpec("gonb") finds no installed kernelspec.
func GoNBSpec(ctx context.Context, moduleDir string) (*Spec, error) {
	gonb, err := goToolPath(ctx, moduleDir, "gonb")
	if err != nil {
		return nil, err
	}
	goimports, err := goToolPath(ctx, moduleDir, "goimports")
	if err != nil {
		return nil, err
	}
	return &Spec{
		Name:          "gonb",
		Dir:           filepath.Dir(gonb),
		Argv:          []string{gonb, "--kernel", "{connection_file}"},
		DisplayName:   "Go (gonb)",
		Language:      "go",
		InterruptMode: "message",
		Env:           map[string]string{"PATH": filepath.Dir(goimports) + string(filepath.ListSeparator) + "${PATH}"},
	}, nil
}

// goToolPath returns the path of the module tool name, as printed by
// `go tool -n name`.
func goToolPath(ctx context.Context, moduleDir, name string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", name)
	cmd.Dir = moduleDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating %s with go tool -n: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	// The output is the command line; the tool takes no arguments here,
	// so it is just the path.
	path := strings.TrimSpace(string(out))
	if path == "" || strings.ContainsAny(path, "\n") {
		return "", fmt.Errorf("locating %s with go tool -n: unexpected output %q", name, out)
	}
	return path, nil
}
