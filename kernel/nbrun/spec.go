package nbrun

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/notebooks"
)

// GoNBModule is GoNB's module path, as a go.mod tool directive names it.
const GoNBModule = "github.com/janpfeifer/gonb"

// SpecFinder picks the kernel that runs a notebook. The zero value looks
// for the notebook's kernelspec on Jupyter's search path and, for GoNB,
// falls back to the version pinned by a go.mod tool directive in the
// current directory or above.
type SpecFinder struct {
	// Name is the kernelspec to use; "" means the notebook's
	// metadata.kernelspec.name, or "gonb" when it has none.
	Name string
	// ModuleDir is a Go module whose go.mod pins GoNB with a tool
	// directive; "" means the first such module found from SearchFrom
	// upwards.
	ModuleDir string
	// SearchFrom lists directories where the search for ModuleDir
	// starts; "" stands for the current directory.
	SearchFrom []string
	// Find looks a kernelspec up by name; nil means kernel.FindSpec.
	Find func(name string) (*kernel.Spec, error)
	// GoNB builds a spec from a module's tool directive; nil means
	// kernel.GoNBSpec.
	GoNB func(ctx context.Context, moduleDir string) (*kernel.Spec, error)
}

// Spec returns the kernelspec for nb. An installed kernelspec whose
// program is missing (GoNB's own install points into the build cache,
// which go clean removes) is skipped.
func (f SpecFinder) Spec(ctx context.Context, nb *notebooks.Notebook) (*kernel.Spec, error) {
	find := f.Find
	if find == nil {
		find = kernel.FindSpec
	}
	name := f.Name
	if name == "" && nb != nil {
		name = nb.KernelName()
	}
	if name == "" {
		name = "gonb"
	}
	spec, err := find(name)
	if err == nil {
		if err = programExists(spec); err == nil {
			return spec, nil
		}
	}
	if !strings.EqualFold(name, "gonb") {
		return nil, fmt.Errorf("finding kernel %s: %w (pass --kernel to choose another kernelspec)", name, err)
	}
	dir := f.ModuleDir
	if dir == "" {
		from := f.SearchFrom
		if len(from) == 0 {
			from = []string{""}
		}
		for _, d := range from {
			if dir = FindGoNBModule(d); dir != "" {
				break
			}
		}
	}
	if dir == "" {
		return nil, fmt.Errorf("finding kernel gonb: %w; no go.mod with a tool directive for %s was found either: run decant kernel-setup to install GoNB", err, GoNBModule)
	}
	gonb := f.GoNB
	if gonb == nil {
		gonb = kernel.GoNBSpec
	}
	spec, gerr := gonb(ctx, dir)
	if gerr != nil {
		return nil, fmt.Errorf("finding kernel gonb: %w; building it from %s failed too: %w", err, dir, gerr)
	}
	return spec, nil
}

// programExists checks that the spec's program can be started.
func programExists(s *kernel.Spec) error {
	prog := s.Argv[0]
	if filepath.IsAbs(prog) {
		if _, err := os.Stat(prog); err != nil {
			return fmt.Errorf("kernelspec %s in %s names a program that is gone: %w", s.Name, s.Dir, err)
		}
		return nil
	}
	if _, err := exec.LookPath(prog); err != nil {
		return fmt.Errorf("kernelspec %s in %s: %w", s.Name, s.Dir, err)
	}
	return nil
}

// FindGoNBModule returns the directory of the first go.mod at or above
// dir ("" = the current directory) that has a tool directive for GoNB,
// or "".
func FindGoNBModule(dir string) string {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return ""
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && PinsTool(data, GoNBModule) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// PinsTool reports whether the go.mod content gomod has a tool directive
// for path, either as "tool path" or inside a "tool ( ... )" block.
func PinsTool(gomod []byte, path string) bool {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	inBlock := false
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case inBlock && fields[0] == ")":
			inBlock = false
		case inBlock:
			if fields[0] == path {
				return true
			}
		case fields[0] == "tool" && len(fields) >= 2 && fields[1] == "(":
			inBlock = true
		case fields[0] == "tool" && len(fields) == 2 && fields[1] == path:
			return true
		}
	}
	return false
}
