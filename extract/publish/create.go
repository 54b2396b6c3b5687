package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// Publish commits files to opts.Branch of the repository at dir, creating the repository when
// dir does not exist or is empty.
//
// A new repository is built completely in a temporary directory next to dir: objects, the
// branch, a main branch at the same commit, HEAD on main and the checked-out files. Only then
// is it renamed to dir, in one step. So a process killed while creating leaves no repository
// (only a .decant-new-* directory next to it), a first commit that fails leaves nothing, and
// of several extractions creating the same repository at once exactly one creates it; the
// others find it made and commit into it as into any existing repository, with the branch
// moved under git's lock (see [Commit]).
func Publish(dir string, files Files, opts Options) (*Result, error) {
	repo, err := openExisting(dir)
	if err != nil {
		return nil, err
	}
	if repo != nil {
		return Commit(repo, files, false, opts)
	}
	res, err := create(dir, files, opts)
	if errors.Is(err, errCreatedMeanwhile) {
		if repo, err = openExisting(dir); err != nil {
			return nil, err
		}
		if repo == nil {
			return nil, fmt.Errorf("creating repository %s: it appeared and vanished meanwhile", dir)
		}
		return Commit(repo, files, false, opts)
	}
	return res, err
}

var errCreatedMeanwhile = errors.New("created meanwhile")

func create(dir string, files Files, opts Options) (*Result, error) {
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("creating repository %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".decant-new-")
	if err != nil {
		return nil, fmt.Errorf("creating repository %s: %w", dir, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("creating repository %s: %w", dir, err)
	}
	repo, err := git.PlainInit(tmp, false)
	if err != nil {
		return nil, fmt.Errorf("initializing repository %s: %w", dir, err)
	}
	res, err := Commit(repo, files, true, opts)
	if err != nil {
		return nil, err
	}
	// Later extractions move only the decant branch; the user merges it into main when ready.
	h := plumbing.NewHash(res.Commit)
	main := plumbing.NewBranchReferenceName("main")
	if err := repo.Storer.SetReference(plumbing.NewHashReference(main, h)); err != nil {
		return nil, fmt.Errorf("creating main in the new repository: %w", err)
	}
	if err := repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, main)); err != nil {
		return nil, fmt.Errorf("checking out main in the new repository: %w", err)
	}
	syncTree(tmp)
	// rename(2) onto a missing path or an empty directory is atomic; onto a non-empty one it
	// fails, which is how a concurrent creator is detected.
	if err := os.Rename(tmp, dir); err != nil {
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) || errors.Is(err, os.ErrExist) {
			return nil, errCreatedMeanwhile
		}
		return nil, fmt.Errorf("creating repository %s: %w", dir, err)
	}
	renamed = true
	if d, err := os.Open(parent); err == nil {
		d.Sync()
		d.Close()
	}
	return res, nil
}

// syncTree flushes the new repository's files to disk before it is renamed into place, so a
// crash after the rename cannot leave it with empty files.
func syncTree(root string) {
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if f, err := os.Open(p); err == nil {
			f.Sync()
			f.Close()
		}
		return nil
	})
}
