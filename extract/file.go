package extract

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/notebooks"
)

// BuildFile reads the notebook at path and builds its plan. Data files the code names by
// relative path are read from the notebook's folder, never outside it, and only regular files
// up to 64 MiB. opts.ReadFile, if set, is replaced.
func BuildFile(path string, opts Options) (*notebooks.Notebook, *Plan, error) {
	raw, _, err := safefile.ReadFile(context.Background(), path, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("reading notebook: %w", err)
	}
	nb, err := notebooks.Parse(path, raw)
	if err != nil {
		return nil, nil, err
	}
	opts.ReadFile = nil
	if root, err := os.OpenRoot(filepath.Dir(path)); err == nil {
		defer root.Close()
		opts.ReadFile = func(name string) ([]byte, error) {
			fi, err := root.Stat(name)
			switch {
			case err != nil:
				return nil, fs.ErrNotExist
			case !fi.Mode().IsRegular():
				return nil, fmt.Errorf("%w: it is not a regular file", ErrAssetNotShipped)
			case fi.Size() > MaxAssetSize:
				return nil, fmt.Errorf("%w: %d bytes, over the %d MiB shipped with a package", ErrAssetNotShipped, fi.Size(), MaxAssetSize>>20)
			}
			return root.ReadFile(name)
		}
	}
	plan, err := Build(nb, raw, opts)
	if err != nil {
		return nb, nil, err
	}
	return nb, plan, nil
}

// MaxAssetSize bounds a data file shipped next to the package.
const MaxAssetSize = 64 << 20

// ErrAssetNotShipped is what Options.ReadFile returns for a file that exists but is not
// shipped (too large, not a regular file); the plan says so instead of dropping it silently.
var ErrAssetNotShipped = errors.New("not shipped")
