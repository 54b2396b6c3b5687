package score

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ReadGit reads the git state of the repository at dir, or returns nil, nil when dir is not
// one.
func ReadGit(dir string) (*Git, error) {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening the git repository: %w", err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, nil // no commit yet: nothing is version-controlled
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return nil, fmt.Errorf("reading the HEAD commit: %w", err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the HEAD tree: %w", err)
	}
	g := &Git{Head: head.Hash().String(), Branch: "detached", Tracked: map[string]bool{}, Modified: map[string]bool{}}
	if head.Name().IsBranch() {
		g.Branch = head.Name().Short()
	}
	err = tree.Files().ForEach(func(f *object.File) error {
		g.Tracked[f.Name] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the HEAD tree: %w", err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("reading the working tree: %w", err)
	}
	st, err := wt.Status()
	if err != nil {
		return nil, fmt.Errorf("reading the working tree status: %w", err)
	}
	for p, s := range st {
		if g.Tracked[p] && (s.Worktree != git.Unmodified || s.Staging != git.Unmodified) {
			g.Modified[p] = true
		}
	}
	return g, nil
}
