package publish

import (
	"errors"
	"fmt"
	"io"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/decant-go/decant/internal/udiff"
)

// Diff returns a unified diff of files against the tip of branch; a branch that does not
// exist yet counts as empty, so everything is added. It is a pure read: nothing is written to
// the repository.
//
// Deleted files show their mode from the tip; added files are shown as mode 100644 because
// the file set carries no modes. Mode changes of kept files are not shown.
func Diff(repo *git.Repository, branch string, files Files) (string, error) {
	branch = strings.TrimPrefix(branch, "refs/heads/")
	refName := plumbing.NewBranchReferenceName(branch)
	ref, err := repo.Storer.Reference(refName)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return udiff.Files(nil, files), nil
	}
	if err != nil {
		return "", fmt.Errorf("diffing against %s: reading branch: %w", branch, err)
	}
	old, modes, err := readTip(repo, ref.Hash())
	if err != nil {
		return "", fmt.Errorf("diffing against %s: %w", branch, err)
	}
	return udiff.FilesWithModes(old, files, modes), nil
}

// readTip reads every blob of commit h's tree.
func readTip(repo *git.Repository, h plumbing.Hash) (Files, map[string]uint32, error) {
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, nil, fmt.Errorf("reading tip %s: %w", h, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, nil, fmt.Errorf("reading tree of tip %s: %w", short(h), err)
	}
	files := Files{}
	modes := map[string]uint32{}
	err = t.Files().ForEach(func(f *object.File) error {
		r, err := f.Reader()
		if err != nil {
			return fmt.Errorf("reading %s: %w", f.Name, err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("reading %s: %w", f.Name, err)
		}
		files[f.Name] = b
		modes[f.Name] = uint32(f.Mode)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading tip %s: %w", short(h), err)
	}
	return files, modes, nil
}

// UnifiedDiff returns the unified diff that turns the file set old into new; see [udiff.Files].
func UnifiedDiff(old, new Files) string {
	return udiff.Files(old, new)
}
