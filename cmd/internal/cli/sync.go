package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/extract/manifest"
	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/roundtrip"
)

type syncOptions struct {
	repo   string
	branch string
	from   string
	slug   string
	dryRun bool
}

func syncCommands() []command {
	return []command{{"sync", "merge edits made in the extracted service back into the notebook's cells", runSync}}
}

func runSync(ctx context.Context, args []string, env Env) error {
	var o syncOptions
	fs := newFlags("sync", "decant sync [flags] notebook.ipynb", env)
	fs.StringVar(&o.repo, "repo", "", "the service's git repository (default ./<slug>-service)")
	fs.StringVar(&o.branch, "branch", "", "the branch extraction commits to (default decant/<slug>)")
	fs.StringVar(&o.from, "from", "", "the service revision to merge from (default main, where the branch was merged)")
	fs.StringVar(&o.slug, "slug", "", "package name, if extraction was given one (default from the notebook's file name)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print what would change in the notebook; write nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one notebook, got %d arguments", fs.NArg())
	}
	nbPath := resolve(env, fs.Arg(0))
	raw, stamp, err := safefile.ReadFile(ctx, nbPath, 0)
	if err != nil {
		return fmt.Errorf("reading notebook: %w", err)
	}
	nb, err := notebooks.Parse(fs.Arg(0), raw)
	if err != nil {
		return err
	}
	if o.slug == "" {
		o.slug = extract.SlugFor(nbPath)
	}
	if o.repo == "" {
		o.repo = o.slug + "-service"
	}
	if o.branch == "" {
		o.branch = "decant/" + o.slug
	}
	repo, err := git.PlainOpenWithOptions(resolve(env, o.repo), &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return fmt.Errorf("opening the service repository %s: %w", o.repo, err)
	}
	base, theirs, tip, fromName, err := syncCommits(repo, o.branch, o.from)
	if err != nil {
		return err
	}
	baseFiles, err := commitFiles(base)
	if err != nil {
		return err
	}
	theirFiles, err := commitFiles(theirs)
	if err != nil {
		return err
	}
	manRaw, ok := baseFiles[manifest.Path]
	if !ok {
		return fmt.Errorf("commit %s, where %s was merged into %s, has no .decant/manifest.json: it was not made by decant extract", shortHash(base.Hash.String()), o.branch, fromName)
	}
	man, err := manifest.Decode(manRaw)
	if err != nil {
		return err
	}
	if len(man.Decls) == 0 {
		return fmt.Errorf("the manifest of %s (commit %s) maps no declarations to cells: extract the notebook again with this decant, merge it, then sync", o.branch, shortHash(base.Hash.String()))
	}
	in := roundtrip.Input{Notebook: nb, Manifest: man, Base: baseFiles, Theirs: theirFiles, IsLabel: extract.LabelLine}
	if tip.Hash != base.Hash {
		if files, err := commitFiles(tip); err == nil {
			if m, err := manifest.Decode(files[manifest.Path]); err == nil {
				in.Latest = &roundtrip.Snapshot{Manifest: m, Files: files}
			}
		}
	}
	res, err := roundtrip.Sync(in)
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "sync %s from %s (%s) against the extraction %s\n", fs.Arg(0), fromName, shortHash(theirs.Hash.String()), shortHash(base.Hash.String()))
	for _, u := range res.Updated {
		verb := "updated"
		if u.Before == "" {
			verb = "added"
		}
		fmt.Fprintf(w, "  cell %d: %s %s from %s\n", u.Cell, u.Key, verb, u.File)
		if o.dryRun {
			writeIndented(w, roundtrip.LineDiff(u.Before, u.After))
		}
	}
	for _, a := range res.Added {
		fmt.Fprintf(w, "  cell %d: new cell with %s from %s\n", a.Cell, a.Key, a.File)
		if o.dryRun {
			writeIndented(w, roundtrip.LineDiff("", a.After))
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	for _, c := range res.Conflicts {
		fmt.Fprintf(env.Stderr, "conflict: %s\n  cell %d is left unchanged; notebook (-) vs service (+):\n", c.Reason, c.Cell)
		writeIndented(env.Stderr, c.Diff())
	}
	switch {
	case !res.Changed():
		fmt.Fprintf(w, "the notebook is up to date with %s\n", fromName)
	case o.dryRun:
		fmt.Fprintf(w, "dry run: %s not written\n", fs.Arg(0))
	default:
		if err := notebooks.WriteFileExpect(nbPath, nb, &stamp); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s (%d declarations updated, %d cells added)\n", fs.Arg(0), len(res.Updated), len(res.Added))
	}
	if len(res.Conflicts) > 0 {
		fmt.Fprintf(env.Stderr, "%d conflicts: resolve them in the notebook or the service, then sync again\n", len(res.Conflicts))
		return silentError(ExitProblem)
	}
	return nil
}

func writeIndented(w interface{ Write([]byte) (int, error) }, text string) {
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fmt.Fprintf(w, "      %s\n", l)
	}
}

// syncCommits finds the service now (from, default main) and the extraction it last merged:
// the merge base of from and the extraction branch.
func syncCommits(repo *git.Repository, branch, from string) (base, theirs, tip *object.Commit, fromName string, err error) {
	fromName = from
	if fromName == "" {
		fromName = "main"
	}
	h, err := repo.ResolveRevision(plumbing.Revision(fromName))
	if err != nil && from == "" {
		if h2, err2 := repo.ResolveRevision("master"); err2 == nil {
			h, err, fromName = h2, nil, "master"
		}
	}
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("finding %s in the service repository: %w", fromName, err)
	}
	theirs, err = repo.CommitObject(*h)
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("reading %s: %w", fromName, err)
	}
	bh, err := repo.ResolveRevision(plumbing.Revision(branch))
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("finding the extraction branch %s: %w", branch, err)
	}
	tip, err = repo.CommitObject(*bh)
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("reading %s: %w", branch, err)
	}
	bases, err := theirs.MergeBase(tip)
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("finding where %s was merged into %s: %w", branch, fromName, err)
	}
	if len(bases) == 0 {
		return nil, nil, nil, "", fmt.Errorf("%s was never merged into %s: there is nothing to sync back yet", branch, fromName)
	}
	return bases[0], theirs, tip, fromName, nil
}

// commitFiles reads the files sync needs from a commit: the manifest and the Go files.
func commitFiles(c *object.Commit) (map[string][]byte, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", shortHash(c.Hash.String()), err)
	}
	files := map[string][]byte{}
	err = tree.Files().ForEach(func(f *object.File) error {
		if f.Name != manifest.Path && path.Ext(f.Name) != ".go" {
			return nil
		}
		s, err := f.Contents()
		if err != nil {
			return err
		}
		files[f.Name] = []byte(s)
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading commit %s: %w", shortHash(c.Hash.String()), err)
	}
	return files, nil
}
