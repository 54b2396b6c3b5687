package publish

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Files is a generated file set: slash-separated relative paths -> contents.
type Files map[string][]byte

// DefaultMarker is the path whose presence in a branch tip proves that Decant made the branch.
const DefaultMarker = ".decant/manifest.json"

// Options configures [Commit].
type Options struct {
	// Branch is the branch to move, without "refs/heads/" (a leading "refs/heads/" is accepted
	// and ignored), e.g. "decant/churn". Required.
	Branch string
	// Message is the commit message. Required. A final newline is added when missing, as git does.
	Message string
	// Author is used as both author and committer. Name, Email and When are required; there is
	// no default time so that equal inputs give equal commit hashes.
	Author Signature
	// Exec lists paths stored with mode 0755; all other files get 0644. Every path must be in the
	// file set.
	Exec map[string]bool
	// Marker is a path that proves a branch was made by Decant; "" means [DefaultMarker].
	// The file set must contain it, so that the next run recognises its own branch.
	Marker string
	// Force allows moving a branch whose tip lacks Marker.
	Force bool
}

// Signature is a commit author or committer.
type Signature struct {
	Name, Email string
	When        time.Time
}

// Result reports what [Commit] did.
type Result struct {
	Commit   string   // hex hash of the branch tip after the call
	Parent   string   // previous tip ("" for a new branch)
	UpToDate bool     // the tree equals the tip's tree: no commit was made
	Created  bool     // the repository was created by this call (the created argument of Commit)
	Changed  []Change // per-path change list vs the previous tip, sorted by path
}

// Change is one path that differs between the previous tip and the committed tree.
// A change of file mode alone counts as "modified".
type Change struct {
	Path string
	Kind string // "added", "modified" or "deleted"
}

// Change kinds.
const (
	Added    = "added"
	Modified = "modified"
	Deleted  = "deleted"
)

var (
	// ErrNotRepository is returned by [Open] for a path that exists but is neither an empty
	// directory nor the root of a git repository. Such a path is never initialized or written.
	ErrNotRepository = errors.New("not a git repository")
	// ErrForeignBranch is returned by [Commit] when the branch exists and its tip lacks the
	// marker file, i.e. someone other than Decant made it. Options.Force overrides.
	ErrForeignBranch = errors.New("branch was not made by decant")
	// ErrBranchCheckedOut is returned by [Commit] when the branch would move but is checked out
	// in a working tree of an existing repository.
	ErrBranchCheckedOut = errors.New("branch is checked out")
	// ErrInvalidFiles is returned by [Commit] when the file set or Exec holds a path that cannot
	// be stored in a git tree, or lacks the marker.
	ErrInvalidFiles = errors.New("invalid file set")
	// ErrInvalidOptions is returned by [Commit] when a required option is missing or malformed.
	ErrInvalidOptions = errors.New("invalid options")
)

// Open opens the repository at dir, or initializes a new non-bare one if dir does not exist
// (or is an empty directory).
//
// dir must be the repository root itself (the directory holding .git) or a bare repository:
// parent directories are not searched. A subdirectory of a repository is refused with
// [ErrNotRepository] (the error names the enclosing root), because the generated tree would
// replace the whole branch, not that subdirectory. An empty subdirectory is a new, nested
// repository, as with `git init`. Linked worktrees (a .git file) are accepted.
//
// A directory that exists, is not empty and is not a git repository is refused with
// ErrNotRepository (never overwritten).
func Open(dir string) (repo *git.Repository, created bool, err error) {
	repo, err = openExisting(dir)
	if err != nil || repo != nil {
		return repo, false, err
	}
	return initRepo(dir)
}

// openExisting opens the repository at dir as [Open] does; a nil repository and nil error
// mean dir does not exist or is empty, so Open would initialize a new one there.
func openExisting(dir string) (*git.Repository, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("opening repository %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("opening repository %s: is a file: %w", dir, ErrNotRepository)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil, nil
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{
		DetectDotGit:          false,
		EnableDotGitCommonDir: true,
	})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		hint := ""
		if root := enclosingRoot(dir); root != "" {
			hint = fmt.Sprintf(" (it is inside the repository at %s; pass that root)", root)
		}
		return nil, fmt.Errorf("opening repository %s: directory is not empty and is not a repository root%s: %w",
			dir, hint, ErrNotRepository)
	}
	if err != nil {
		return nil, fmt.Errorf("opening repository %s: %w", dir, err)
	}
	return repo, nil
}

// Check reports, writing nothing, whether [Open] and [Commit] would accept dir and
// opts.Branch: dir is absent, empty or a repository root, and the branch is absent or (unless
// opts.Force) its tip holds opts.Marker, and no working tree has it checked out. Callers run
// it before expensive work so a bad destination is refused at once. Message and Author are
// not checked. Commit checks all of this again, since the repository may change meanwhile.
func Check(dir string, opts Options) error {
	repo, err := openExisting(dir)
	if err != nil || repo == nil {
		return err
	}
	opts.Message, opts.Author = "check", Signature{Name: "check", Email: "check", When: time.Unix(1, 0)}
	branch, err := checkOptions(&opts)
	if err != nil {
		return err
	}
	refName := plumbing.NewBranchReferenceName(branch)
	ref, err := repo.Storer.Reference(refName)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("checking %s: reading branch: %w", branch, err)
	case ref.Type() != plumbing.HashReference:
		return fmt.Errorf("checking %s: branch is a symbolic reference to %s: %w", branch, ref.Target(), ErrForeignBranch)
	}
	if !opts.Force {
		tip, err := repo.CommitObject(ref.Hash())
		if err != nil {
			return fmt.Errorf("checking %s: reading tip %s: %w", branch, ref.Hash(), err)
		}
		tree, err := tip.Tree()
		if err != nil {
			return fmt.Errorf("checking %s: reading tree of tip %s: %w", branch, short(tip.Hash), err)
		}
		if _, err := tree.File(opts.Marker); err != nil {
			return fmt.Errorf("checking %s: tip %s has no %s (use force to replace the branch): %w",
				branch, short(tip.Hash), opts.Marker, ErrForeignBranch)
		}
	}
	if where, err := checkedOut(repo, refName); err != nil {
		return fmt.Errorf("checking %s: %w", branch, err)
	} else if where != "" {
		return fmt.Errorf("checking %s: the branch is checked out in %s and moving it would leave "+
			"that working tree and index stale (switch that checkout to another branch, or commit to another branch): %w",
			branch, where, ErrBranchCheckedOut)
	}
	return nil
}

func initRepo(dir string) (*git.Repository, bool, error) {
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		return nil, false, fmt.Errorf("initializing repository %s: %w", dir, err)
	}
	return repo, true, nil
}

// enclosingRoot returns the worktree root of a repository containing dir, or "".
// It is only used to make an error message helpful.
func enclosingRoot(dir string) string {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return ""
	}
	w, err := r.Worktree()
	if err != nil {
		return ""
	}
	return w.Filesystem.Root()
}

// Commit builds blobs, trees and a commit from files and moves only refs/heads/<Branch>.
//
// When created is true (the repository was just made by [Open]) it also points HEAD at the
// branch and checks the files out into the working tree, since the tree is ours. Otherwise the
// working tree, index and HEAD are untouched; only new objects and the branch ref are written.
//
// Unchanged trees produce no commit (Result.UpToDate) and write nothing. A branch whose tip
// lacks opts.Marker is refused with [ErrForeignBranch] unless opts.Force. In an existing
// repository, a branch that any working tree has checked out (HEAD, the main working tree
// seen from a linked one, or a `git worktree add` checkout) is refused with
// [ErrBranchCheckedOut], since moving it would leave that checkout's index and files stale.
// The ref is moved with a compare-and-swap, so a concurrent move of the branch makes Commit
// fail rather than lose the other commit.
func Commit(repo *git.Repository, files Files, created bool, opts Options) (*Result, error) {
	branch, err := checkOptions(&opts)
	if err != nil {
		return nil, fmt.Errorf("committing: %w", err)
	}
	refName := plumbing.NewBranchReferenceName(branch)
	if err := checkFiles(files, opts.Exec, opts.Marker); err != nil {
		return nil, fmt.Errorf("committing to %s: %w", branch, err)
	}
	tree, err := buildTree(files, opts.Exec)
	if err != nil {
		return nil, fmt.Errorf("committing to %s: %w", branch, err)
	}

	res := &Result{Created: created}
	oldRef, err := repo.Storer.Reference(refName)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
		oldRef = nil
	case err != nil:
		return nil, fmt.Errorf("committing to %s: reading branch: %w", branch, err)
	case oldRef.Type() != plumbing.HashReference:
		return nil, fmt.Errorf("committing to %s: branch is a symbolic reference to %s: %w",
			branch, oldRef.Target(), ErrForeignBranch)
	}
	// In a clone the branch may exist only as a remote-tracking branch: build on its tip, as
	// git switch would, so that the result pushes as a fast-forward instead of a new root.
	base := oldRef
	if base == nil && !created {
		if base, err = remoteTracking(repo, branch); err != nil {
			return nil, fmt.Errorf("committing to %s: %w", branch, err)
		}
	}

	old := map[string]treeFile{}
	if base != nil {
		tip, err := repo.CommitObject(base.Hash())
		if err != nil {
			return nil, fmt.Errorf("committing to %s: reading tip %s: %w", branch, oldRef.Hash(), err)
		}
		tipTree, err := tip.Tree()
		if err != nil {
			return nil, fmt.Errorf("committing to %s: reading tree of tip %s: %w", branch, tip.Hash, err)
		}
		if !opts.Force {
			if _, err := tipTree.File(opts.Marker); err != nil {
				return nil, fmt.Errorf("committing to %s: tip %s has no %s (use force to replace the branch): %w",
					branch, short(tip.Hash), opts.Marker, ErrForeignBranch)
			}
		}
		res.Parent = tip.Hash.String()
		if tipTree.Hash == tree.root {
			res.Commit = res.Parent
			res.UpToDate = true
			if oldRef == nil {
				// Up to date with the remote-tracking branch: create the local branch there.
				if err := setRef(repo, plumbing.NewHashReference(refName, tip.Hash), nil); err != nil {
					return nil, fmt.Errorf("committing to %s: %w", branch, err)
				}
			}
			return res, nil
		}
		if old, err = treeFiles(tipTree); err != nil {
			return nil, fmt.Errorf("committing to %s: listing tip %s: %w", branch, short(tip.Hash), err)
		}
	}

	if !created {
		if where, err := checkedOut(repo, refName); err != nil {
			return nil, fmt.Errorf("committing to %s: %w", branch, err)
		} else if where != "" {
			return nil, fmt.Errorf("committing to %s: the branch is checked out in %s and moving it would leave "+
				"that working tree and index stale (switch that checkout to another branch, or commit to another branch): %w",
				branch, where, ErrBranchCheckedOut)
		}
	}

	if err := tree.store(repo.Storer); err != nil {
		return nil, fmt.Errorf("committing to %s: %w", branch, err)
	}
	sig := object.Signature{Name: opts.Author.Name, Email: opts.Author.Email, When: opts.Author.When}
	c := &object.Commit{
		Author:    sig,
		Committer: sig,
		Message:   opts.Message,
		TreeHash:  tree.root,
	}
	if base != nil {
		c.ParentHashes = []plumbing.Hash{base.Hash()}
	}
	obj := repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return nil, fmt.Errorf("committing to %s: encoding commit: %w", branch, err)
	}
	hash, err := repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return nil, fmt.Errorf("committing to %s: storing commit: %w", branch, err)
	}
	if err := setRef(repo, plumbing.NewHashReference(refName, hash), oldRef); err != nil {
		return nil, fmt.Errorf("committing to %s: moving branch to %s: %w", branch, short(hash), err)
	}
	res.Commit = hash.String()
	res.Changed = changes(old, tree.files)

	if created {
		if err := checkout(repo, refName); err != nil {
			return nil, fmt.Errorf("committing to %s: checking out new repository: %w", branch, err)
		}
	}
	return res, nil
}

// checkOptions validates opts, fills defaults and normalizes the message; it returns the
// short branch name.
func checkOptions(opts *Options) (string, error) {
	branch := strings.TrimPrefix(opts.Branch, "refs/heads/")
	if branch == "" {
		return "", fmt.Errorf("branch is required: %w", ErrInvalidOptions)
	}
	if err := plumbing.NewBranchReferenceName(branch).Validate(); err != nil {
		return "", fmt.Errorf("branch %q: %w: %w", branch, err, ErrInvalidOptions)
	}
	if strings.TrimSpace(opts.Message) == "" {
		return "", fmt.Errorf("commit message is required: %w", ErrInvalidOptions)
	}
	if !strings.HasSuffix(opts.Message, "\n") {
		opts.Message += "\n"
	}
	a := opts.Author
	if a.Name == "" || a.Email == "" || a.When.IsZero() {
		return "", fmt.Errorf("author name, email and time are required: %w", ErrInvalidOptions)
	}
	if err := CheckDate(a.When); err != nil {
		return "", fmt.Errorf("author time: %w: %w", err, ErrInvalidOptions)
	}
	// The commit format has no way to escape these; go-git would write a broken header.
	if strings.ContainsAny(a.Name, "<>\n") || strings.ContainsAny(a.Email, "<>\n") {
		return "", fmt.Errorf("author %q <%s> contains '<', '>' or a newline: %w", a.Name, a.Email, ErrInvalidOptions)
	}
	if opts.Marker == "" {
		opts.Marker = DefaultMarker
	}
	return branch, nil
}

// checkedOut reports where refName is checked out: "HEAD" for the opened repository's own HEAD,
// or the directory of another working tree (the main one, or a linked one made by
// `git worktree add`). "" means nowhere.
func checkedOut(repo *git.Repository, refName plumbing.ReferenceName) (string, error) {
	head, err := repo.Storer.Reference(plumbing.HEAD)
	if err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
		return "", fmt.Errorf("reading HEAD: %w", err)
	}
	if head != nil && head.Type() == plumbing.SymbolicReference && head.Target() == refName {
		return "HEAD", nil
	}
	// go-git has no API for other working trees, so read git's files when the storage is on
	// a filesystem. Linked worktrees keep their HEAD in <common dir>/worktrees/<name>/HEAD
	// (go-git maps "worktrees" to the common dir), and a linked worktree's gitdir has a
	// "commondir" file leading to the main repository's HEAD.
	fsStore, ok := repo.Storer.(*filesystem.Storage)
	if !ok {
		return "", nil
	}
	fs := fsStore.Filesystem()
	if common, err := readSmall(fs, "commondir"); err == nil {
		dir := strings.TrimSpace(common)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(fs.Root(), dir)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "HEAD")); err == nil && headTarget(string(b)) == refName {
			return filepath.Dir(dir) + " (the main working tree)", nil
		}
	}
	dirs, err := fs.ReadDir("worktrees")
	if err != nil {
		return "", nil // no linked worktrees
	}
	names := make([]string, 0, len(dirs))
	for _, d := range dirs {
		names = append(names, d.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := readSmall(fs, path.Join("worktrees", name, "HEAD"))
		if err != nil || headTarget(b) != refName {
			continue
		}
		// worktrees/<name>/gitdir holds the path of the worktree's .git file.
		if gitdir, err := readSmall(fs, path.Join("worktrees", name, "gitdir")); err == nil {
			return filepath.Dir(strings.TrimSpace(gitdir)), nil
		}
		return fs.Join(fs.Root(), "worktrees", name), nil
	}
	return "", nil
}

// headTarget returns the branch a HEAD file's content points at, or "".
func headTarget(content string) plumbing.ReferenceName {
	target, ok := strings.CutPrefix(strings.TrimSpace(content), "ref: ")
	if !ok {
		return ""
	}
	return plumbing.ReferenceName(target)
}

// readSmall reads a small file of a billy filesystem (HEAD, gitdir, commondir).
func readSmall(fs billy.Filesystem, name string) (string, error) {
	f, err := fs.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	return string(b), err
}

// checkout points HEAD at refName and writes its tree into the (new, empty) working tree
// and index.
func checkout(repo *git.Repository, refName plumbing.ReferenceName) error {
	w, err := repo.Worktree()
	if err != nil {
		return err
	}
	return w.Checkout(&git.CheckoutOptions{Branch: refName, Force: true})
}

// treeFile is one blob of a tree as Commit compares them.
type treeFile struct {
	hash plumbing.Hash
	mode filemode.FileMode
}

// treeFiles lists every blob of t by full path.
func treeFiles(t *object.Tree) (map[string]treeFile, error) {
	out := map[string]treeFile{}
	err := t.Files().ForEach(func(f *object.File) error {
		out[f.Name] = treeFile{hash: f.Hash, mode: f.Mode}
		return nil
	})
	return out, err
}

// changes compares two path->blob maps; the result is sorted by path.
func changes(old, new map[string]treeFile) []Change {
	var out []Change
	for p, n := range new {
		o, ok := old[p]
		switch {
		case !ok:
			out = append(out, Change{Path: p, Kind: Added})
		case o != n:
			out = append(out, Change{Path: p, Kind: Modified})
		}
	}
	for p := range old {
		if _, ok := new[p]; !ok {
			out = append(out, Change{Path: p, Kind: Deleted})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func short(h plumbing.Hash) string { return h.String()[:7] }

// CheckDate reports whether git can store t as a commit time: git writes seconds since 1970 as
// an unsigned number and the zone as +hhmm, so times before 1970, after 9999 (which tools
// parse as four-digit years) and zone offsets that are not whole minutes are refused.
func CheckDate(t time.Time) error {
	switch _, off := t.Zone(); {
	case t.Unix() < 0:
		return fmt.Errorf("%s is before 1970, which git cannot store", t.Format(time.RFC3339))
	case t.Year() > 9999:
		return fmt.Errorf("%s is after the year 9999", t.Format(time.RFC3339))
	case off%60 != 0 || off <= -100*3600 || off >= 100*3600:
		return fmt.Errorf("time zone offset %ds is not a whole number of minutes under 100 hours", off)
	}
	return nil
}
