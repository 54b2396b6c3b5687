package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

var (
	// ErrLocked is returned when git's lock file for the branch exists: another git process is
	// updating it (or crashed while doing so, and the lock must be removed by hand).
	ErrLocked = errors.New("branch is locked")
	// ErrConcurrentUpdate is returned when the branch moved (or was created) between reading it
	// and moving it: another writer committed meanwhile, and its commit is kept.
	ErrConcurrentUpdate = errors.New("branch was updated concurrently")
)

// setRef moves ref from old (nil: the ref must not exist) with git's own protocol on a
// repository on disk: create <ref>.lock exclusively (failing if git holds it), check the
// current value, write the lock, sync it and rename it over the ref. Other storages use
// go-git's compare-and-swap.
func setRef(repo *git.Repository, ref *plumbing.Reference, old *plumbing.Reference) error {
	st, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		if old == nil {
			if _, err := repo.Storer.Reference(ref.Name()); err == nil {
				return fmt.Errorf("%s exists: %w", ref.Name(), ErrConcurrentUpdate)
			}
		}
		return repo.Storer.CheckAndSetReference(ref, old)
	}
	root := st.Filesystem().Root()
	// A linked worktree's git dir keeps shared refs in the common dir.
	if b, err := os.ReadFile(filepath.Join(root, "commondir")); err == nil {
		dir := strings.TrimSpace(string(b))
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, dir)
		}
		root = dir
	}
	path := filepath.Join(root, filepath.FromSlash(ref.Name().String()))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: another git process is updating %s (if none is running, remove the lock file): %w",
			lock, ref.Name().Short(), ErrLocked)
	}
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(lock)
		}
	}()
	// Holding the lock, the value cannot change under us (git and Decant both take it).
	cur, err := repo.Storer.Reference(ref.Name())
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		if old != nil {
			return fmt.Errorf("%s was deleted: %w", ref.Name().Short(), ErrConcurrentUpdate)
		}
	case err != nil:
		return err
	case old == nil:
		return fmt.Errorf("%s was created at %s by another writer: %w", ref.Name().Short(), short(cur.Hash()), ErrConcurrentUpdate)
	case cur.Hash() != old.Hash():
		return fmt.Errorf("%s moved from %s to %s: %w", ref.Name().Short(), short(old.Hash()), short(cur.Hash()), ErrConcurrentUpdate)
	}
	if _, err := f.WriteString(ref.Hash().String() + "\n"); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(lock, path); err != nil {
		return err
	}
	done = true
	return nil
}

// remoteTracking returns the remote-tracking branch for branch: refs/remotes/origin/<branch>
// first, else the only remote that has it; nil when none does.
func remoteTracking(repo *git.Repository, branch string) (*plumbing.Reference, error) {
	remotes, err := repo.Remotes()
	if err != nil {
		return nil, fmt.Errorf("listing remotes: %w", err)
	}
	var names []string
	for _, r := range remotes {
		names = append(names, r.Config().Name)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] == "origin" || names[i] < names[j] && names[j] != "origin" })
	var found []*plumbing.Reference
	for _, n := range names {
		ref, err := repo.Storer.Reference(plumbing.NewRemoteReferenceName(n, branch))
		if err != nil || ref.Type() != plumbing.HashReference {
			continue
		}
		if n == "origin" {
			return ref, nil
		}
		found = append(found, ref)
	}
	if len(found) == 1 {
		return found[0], nil
	}
	if len(found) > 1 {
		return nil, fmt.Errorf("several remotes have a branch %s and none is origin; create the local branch from the one to build on", branch)
	}
	return nil, nil
}
