package publish

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

func filesN(n int) Files {
	f := sampleFiles()
	f["churn/prediction.go"] = []byte(fmt.Sprintf("package churn\n\nfunc Predict() float64 { return %d }\n", n))
	return f
}

// checkComplete asserts the invariant of a repository Publish created: HEAD on main, main and
// the branch present, main's files in the working tree.
func checkComplete(t *testing.T, dir string) *git.Repository {
	t.Helper()
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	head, err := repo.Storer.Reference(plumbing.HEAD)
	if err != nil || head.Target() != plumbing.NewBranchReferenceName("main") {
		t.Fatalf("HEAD = %v, %v; want main", head, err)
	}
	mainRef, err := repo.Reference(plumbing.NewBranchReferenceName("main"), true)
	if err != nil {
		t.Fatalf("no main: %v", err)
	}
	if _, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true); err != nil {
		t.Fatalf("no %s: %v", branch, err)
	}
	c, _ := repo.CommitObject(mainRef.Hash())
	tree, _ := c.Tree()
	tree.Files().ForEach(func(f *object.File) error {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Name))); err != nil {
			t.Errorf("working tree lacks %s", f.Name)
		}
		return nil
	})
	return repo
}

// Parallel first extractions into a repository that does not exist yet: each one that reports
// a commit has it on the branch; the repository is whole.
func TestPublishParallelCreate(t *testing.T) {
	for round := range 5 {
		dir := filepath.Join(t.TempDir(), "svc")
		const n = 6
		results := make([]*Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = Publish(dir, filesN(i), testOpts())
			}()
		}
		wg.Wait()
		repo := checkComplete(t, dir)
		onBranch := map[string]bool{}
		tip, _ := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
		iter, _ := repo.Log(&git.LogOptions{From: tip.Hash()})
		iter.ForEach(func(c *object.Commit) error { onBranch[c.Hash.String()] = true; return nil })
		created := 0
		for i := range n {
			if errs[i] != nil {
				if !errors.Is(errs[i], ErrConcurrentUpdate) && !errors.Is(errs[i], ErrLocked) {
					t.Errorf("round %d, run %d: %v", round, i, errs[i])
				}
				continue
			}
			if !onBranch[results[i].Commit] {
				t.Errorf("round %d, run %d reported %s, which is not on %s", round, i, short(plumbing.NewHash(results[i].Commit)), branch)
			}
			if results[i].Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("round %d: %d runs say they created the repository", round, created)
		}
		gitChecks(t, dir, branch)
	}
}

// A first extraction whose commit fails leaves no repository, so the next run creates it
// whole (with main), instead of finding an empty repository.
func TestPublishFailedFirstCommitLeavesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	bad := testOpts()
	bad.Author.Email = "a<b"
	if _, err := Publish(dir, sampleFiles(), bad); err == nil {
		t.Fatal("bad author accepted")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("failed first commit left %s: %v", dir, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dir)); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
	res, err := Publish(dir, sampleFiles(), testOpts())
	if err != nil || !res.Created {
		t.Fatalf("second run: %+v, %v", res, err)
	}
	checkComplete(t, dir)
}

// SIGKILL at any moment of the creation leaves either no repository or a whole one.
func TestPublishKilledDuringCreate(t *testing.T) {
	if dir := os.Getenv("DECANT_PUBLISH_HELPER"); dir != "" {
		Publish(dir, sampleFiles(), testOpts())
		os.Exit(0)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	whole, none := 0, 0
	for i := range 12 {
		dir := filepath.Join(t.TempDir(), "svc")
		cmd := exec.Command(exe, "-test.run=^TestPublishKilledDuringCreate$")
		cmd.Env = append(os.Environ(), "DECANT_PUBLISH_HELPER="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(r.IntN(700)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			none++
			// The next run must create it whole.
			if _, err := Publish(dir, sampleFiles(), testOpts()); err != nil {
				t.Fatalf("kill %d: rerun: %v", i, err)
			}
		} else {
			whole++
		}
		checkComplete(t, dir)
	}
	t.Logf("%d killed before the repository appeared, %d after", none, whole)
}

// Re-extracting in a clone builds on the remote-tracking branch, so the push is a
// fast-forward, not a new root commit.
func TestPublishInCloneBuildsOnRemoteBranch(t *testing.T) {
	origin := filepath.Join(t.TempDir(), "origin")
	first, err := Publish(origin, filesN(1), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	clone := filepath.Join(t.TempDir(), "clone")
	if _, err := git.PlainClone(clone, false, &git.CloneOptions{URL: origin}); err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(clone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Reference(plumbing.NewBranchReferenceName(branch), false); err == nil {
		t.Fatal("the clone already has the local branch; the test needs it absent")
	}
	// Unchanged: up to date, the local branch appears at the remote tip.
	res, err := Publish(clone, filesN(1), testOpts())
	if err != nil || !res.UpToDate || res.Commit != first.Commit {
		t.Fatalf("unchanged in clone: %+v, %v", res, err)
	}
	// Changed: one commit on top of the remote tip.
	repo.Storer.RemoveReference(plumbing.NewBranchReferenceName(branch))
	res, err = Publish(clone, filesN(2), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Parent != first.Commit {
		t.Fatalf("parent = %q, want the remote tip %s", res.Parent, first.Commit)
	}
	c, _ := repo.CommitObject(plumbing.NewHash(res.Commit))
	if len(c.ParentHashes) != 1 || c.ParentHashes[0].String() != first.Commit {
		t.Fatalf("commit parents %v", c.ParentHashes)
	}
	if gitBin() != "" {
		runGit(t, clone, "merge-base", "--is-ancestor", first.Commit, res.Commit)
	}
}

// git's lock file on the branch is respected: the branch is not moved while it exists.
func TestPublishRespectsGitLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	first, err := Publish(dir, filesN(1), testOpts())
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, ".git", "refs", "heads", filepath.FromSlash(branch)+".lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(dir, filesN(2), testOpts()); !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	repo, _ := git.PlainOpen(dir)
	ref, _ := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if ref.Hash().String() != first.Commit {
		t.Fatal("branch moved while git held its lock")
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatal("git's lock file was removed")
	}
	os.Remove(lock)
	if _, err := Publish(dir, filesN(2), testOpts()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Fatal("own lock file left behind")
	}
}

// Property: a commit time is accepted exactly when git can store it, and then it survives the
// round trip through the commit object.
func TestCommitDatesGitCanStore(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 300 {
		sec := r.Int64N(1<<36) - 1<<35 // about 1000 years either side of 1970... and beyond
		off := (r.IntN(2*18*60) - 18*60) * 60
		if i%7 == 0 {
			off += r.IntN(59) + 1 // not whole minutes
		}
		when := time.Unix(sec, 0).In(time.FixedZone("", off))
		opts := testOpts()
		opts.Author.When = when
		ok := sec >= 0 && when.Year() <= 9999 && off%60 == 0
		if err := CheckDate(when); (err == nil) != ok {
			t.Fatalf("CheckDate(%v) = %v, want ok=%v", when, err, ok)
		}
		if i%30 != 0 {
			continue
		}
		dir := filepath.Join(t.TempDir(), "svc")
		res, err := Publish(dir, sampleFiles(), opts)
		if (err == nil) != ok {
			t.Fatalf("Publish at %v: %v, want ok=%v", when, err, ok)
		}
		if err != nil {
			continue
		}
		repo, _ := git.PlainOpen(dir)
		c, _ := repo.CommitObject(plumbing.NewHash(res.Commit))
		if !c.Author.When.Equal(when) {
			t.Fatalf("stored %v, want %v", c.Author.When, when)
		}
		gitChecks(t, dir, branch)
	}
}
