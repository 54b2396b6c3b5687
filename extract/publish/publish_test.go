package publish

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

const branch = "decant/churn"

func testSig() Signature {
	return Signature{Name: "Decant Test", Email: "decant@example.com",
		When: time.Date(2024, 3, 5, 10, 20, 30, 0, time.FixedZone("", 3600))}
}

func testOpts() Options {
	return Options{
		Branch:  branch,
		Message: "Extract churn.ipynb",
		Author:  testSig(),
		Exec:    map[string]bool{"scripts/run.sh": true},
	}
}

// sampleFiles is a file set whose names exercise git's tree order: "a-b" and "a.txt" sort
// before the directory "a" (compared as "a/"), "a0" after it.
func sampleFiles() Files {
	return Files{
		".decant/manifest.json":  []byte("{\"cells\": {}}\n"),
		"go.mod":                 []byte("module example.com/churn\n\ngo 1.26\n"),
		"churn/prediction.go":    []byte("package churn\n\nfunc Predict() float64 { return 0.5 }\n"),
		"cmd/churn/main.go":      []byte("package main\n\nfunc main() {}\n"),
		"scripts/run.sh":         []byte("#!/bin/sh\necho run\n"),
		"README.md":              []byte("# churn\n"),
		"a-b":                    []byte("dash\n"),
		"a.txt":                  []byte("dot\n"),
		"a/b/c/deep.txt":         []byte("deep\n"),
		"a0":                     []byte("zero\n"),
		"empty.txt":              {},
		"no-final-newline.txt":   []byte("last line"),
		"churn/testdata/x.input": []byte("same\n"),
		"churn/testdata/y.input": []byte("same\n"), // identical blob stored once
	}
}

// gitBin returns the path of the git binary, or "" when it is not installed.
func gitBin() string {
	p, err := exec.LookPath("git")
	if err != nil {
		return ""
	}
	return p
}

// runGit runs git in dir with the user's and system's configuration ignored.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gitBin(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// gitChecks validates the repository with the real git, when it is installed.
func gitChecks(t *testing.T, dir, branch string) {
	t.Helper()
	if gitBin() == "" {
		t.Log("git not on PATH: skipping git fsck/log/show checks")
		return
	}
	runGit(t, dir, "fsck", "--strict", "--no-dangling")
	runGit(t, dir, "log", "--format=%H %an <%ae> %ad", branch)
	runGit(t, dir, "show", "--stat", branch)
}

func commitOK(t *testing.T, repo *git.Repository, files Files, created bool, opts Options) *Result {
	t.Helper()
	res, err := Commit(repo, files, created, opts)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return res
}

// tipFiles reads the tree of branch's tip.
func tipFiles(t *testing.T, repo *git.Repository, branch string) Files {
	t.Helper()
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatalf("reading branch %s: %v", branch, err)
	}
	files, _, err := readTip(repo, ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func equalFiles(a, b Files) bool {
	return maps.EqualFunc(a, b, func(x, y []byte) bool { return string(x) == string(y) })
}

func TestCommitNewRepo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	repo, created, err := Open(dir)
	if err != nil || !created {
		t.Fatalf("Open(%s) = created %v, %v; want a new repository", dir, created, err)
	}
	files := sampleFiles()
	res := commitOK(t, repo, files, created, testOpts())
	if !res.Created || res.Parent != "" || res.UpToDate || len(res.Commit) != 40 {
		t.Errorf("result = %+v; want created, no parent, a new commit", res)
	}
	var want []Change
	for _, p := range sortedKeys(files) {
		want = append(want, Change{p, Added})
	}
	if !slices.Equal(res.Changed, want) {
		t.Errorf("Changed = %v\nwant %v", res.Changed, want)
	}

	head, err := repo.Storer.Reference(plumbing.HEAD)
	if err != nil || head.Type() != plumbing.SymbolicReference || head.Target() != plumbing.NewBranchReferenceName(branch) {
		t.Errorf("HEAD = %v, %v; want symbolic to refs/heads/%s", head, err, branch)
	}
	for p, content := range files {
		fp := filepath.Join(dir, filepath.FromSlash(p))
		got, err := os.ReadFile(fp)
		if err != nil || string(got) != string(content) {
			t.Errorf("checked-out %s = %q, %v; want %q", p, got, err, content)
			continue
		}
		fi, _ := os.Stat(fp)
		if exe := fi.Mode().Perm()&0o100 != 0; exe != (p == "scripts/run.sh") {
			t.Errorf("%s has mode %v", p, fi.Mode())
		}
	}
	w, _ := repo.Worktree()
	if st, err := w.Status(); err != nil || !st.IsClean() {
		t.Errorf("status after checkout: %v, %v; want clean", st, err)
	}
	if !equalFiles(tipFiles(t, repo, branch), files) {
		t.Error("branch tree differs from the file set")
	}
	gitChecks(t, dir, branch)
	if gitBin() != "" {
		if st := runGit(t, dir, "status", "--porcelain"); st != "" {
			t.Errorf("git status after checkout:\n%s", st)
		}
		if got := strings.TrimSpace(runGit(t, dir, "rev-parse", "HEAD")); got != res.Commit {
			t.Errorf("git rev-parse HEAD = %s, want %s", got, res.Commit)
		}
	}
}

func TestOpenEmptyDir(t *testing.T) {
	dir := t.TempDir()
	_, created, err := Open(dir)
	if err != nil || !created {
		t.Fatalf("Open(empty dir) = created %v, %v", created, err)
	}
	repo, created, err := Open(dir)
	if err != nil || created || repo == nil {
		t.Fatalf("reopening = created %v, %v; want the existing repository", created, err)
	}
}

// userRepo makes a repository with commits on main, then leaves an unstaged change, a staged
// new file and an untracked file, like a user in the middle of work.
func userRepo(t *testing.T) (string, *git.Repository) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := repo.Worktree()
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	user := &object.Signature{Name: "User", Email: "user@example.com", When: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i, content := range []string{"package main // v1\n", "package main // v2\n"} {
		write("main.go", content)
		write("notebooks/churn.ipynb", "{}\n")
		if _, err := w.Add("."); err != nil {
			t.Fatal(err)
		}
		user.When = user.When.Add(time.Duration(i) * time.Hour)
		if _, err := w.Commit("user commit", &git.CommitOptions{Author: user, Committer: user}); err != nil {
			t.Fatal(err)
		}
	}
	write("staged.txt", "staged\n")
	if _, err := w.Add("staged.txt"); err != nil {
		t.Fatal(err)
	}
	write("main.go", "package main // uncommitted\n")
	write("untracked.txt", "untracked\n")
	return dir, repo
}

// snapshot records what Commit must never change in an existing repository: every file of
// the working tree (content and mode), the index, HEAD, the config and main's ref.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(p)
		fi, _ := d.Info()
		snap[rel] = fi.Mode().String() + " " + string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".git/index", ".git/HEAD", ".git/config", ".git/refs/heads/main"} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		snap[p] = string(b)
	}
	return snap
}

func TestCommitExistingRepoLeavesUserStateAlone(t *testing.T) {
	dir, _ := userRepo(t)
	var statusBefore string
	if gitBin() != "" {
		// git status refreshes the index when a file is as new as the index ("racily clean"),
		// which would look like a change to the index below. Age the files, let git settle
		// the index once, and only then take the snapshot.
		old := time.Now().Add(-time.Hour)
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.Contains(p, string(filepath.Separator)+".git"+string(filepath.Separator)) {
				os.Chtimes(p, old, old)
			}
			return nil
		})
		statusBefore = runGit(t, dir, "status", "--porcelain")
	}
	before := snapshot(t, dir)

	repo, created, err := Open(dir)
	if err != nil || created {
		t.Fatalf("Open = created %v, %v; want the existing repository", created, err)
	}
	files := sampleFiles()
	first := commitOK(t, repo, files, created, testOpts())
	if first.Created || first.Parent != "" || first.UpToDate || len(first.Changed) != len(files) {
		t.Errorf("first commit result = %+v", first)
	}
	if !equalFiles(tipFiles(t, repo, branch), files) {
		t.Error("branch tree differs from the file set")
	}
	checkUntouched := func(when string) {
		t.Helper()
		after := snapshot(t, dir)
		for _, k := range sortedKeys(before) {
			if before[k] != after[k] {
				t.Errorf("%s: %s changed:\n%q\n->\n%q", when, k, before[k], after[k])
			}
		}
		for k := range after {
			if _, ok := before[k]; !ok {
				t.Errorf("%s: %s appeared in the working tree", when, k)
			}
		}
		if gitBin() != "" {
			if st := runGit(t, dir, "status", "--porcelain"); st != statusBefore {
				t.Errorf("%s: git status changed:\n%s\n->\n%s", when, statusBefore, st)
			}
		}
	}
	checkUntouched("after first commit")
	gitChecks(t, dir, branch)

	// Same files, a later time: nothing to commit.
	opts := testOpts()
	opts.Author.When = opts.Author.When.Add(time.Hour)
	second := commitOK(t, repo, files, false, opts)
	if !second.UpToDate || second.Commit != first.Commit || second.Parent != first.Commit || second.Changed != nil {
		t.Errorf("second commit result = %+v; want up to date at %s", second, first.Commit)
	}

	// Changed files: one modified, one deleted, one added, one made executable.
	files2 := maps.Clone(files)
	files2["go.mod"] = []byte("module example.com/churn\n\ngo 1.26.1\n")
	delete(files2, "a0")
	files2["churn/pipeline.go"] = []byte("package churn\n")
	opts.Exec = map[string]bool{"scripts/run.sh": true, "README.md": true}
	third := commitOK(t, repo, files2, false, opts)
	if third.UpToDate || third.Parent != first.Commit || third.Commit == first.Commit {
		t.Errorf("third commit result = %+v; want a new commit on %s", third, first.Commit)
	}
	wantChanges := []Change{{"README.md", Modified}, {"a0", Deleted}, {"churn/pipeline.go", Added}, {"go.mod", Modified}}
	if !slices.Equal(third.Changed, wantChanges) {
		t.Errorf("Changed = %v\nwant %v", third.Changed, wantChanges)
	}
	c, err := repo.CommitObject(plumbing.NewHash(third.Commit))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ParentHashes) != 1 || c.ParentHashes[0].String() != first.Commit {
		t.Errorf("parents = %v, want [%s]", c.ParentHashes, first.Commit)
	}
	if c.Author != c.Committer || !c.Author.When.Equal(opts.Author.When) || c.Author.Name != "Decant Test" {
		t.Errorf("author %v committer %v; want both %v", c.Author, c.Committer, opts.Author)
	}
	if c.Message != "Extract churn.ipynb\n" {
		t.Errorf("message = %q", c.Message)
	}
	checkUntouched("after third commit")
	gitChecks(t, dir, branch)
	if gitBin() != "" {
		if n := strings.Count(runGit(t, dir, "log", "--format=%H", branch), "\n"); n != 2 {
			t.Errorf("git log %s shows %d commits, want 2", branch, n)
		}
		if mode := runGit(t, dir, "ls-tree", branch, "README.md"); !strings.HasPrefix(mode, "100755 ") {
			t.Errorf("README.md mode in tree: %s", mode)
		}
	}
}

func TestCommitRefusesCheckedOutBranch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "svc")
	repo, created, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := sampleFiles()
	first := commitOK(t, repo, files, created, testOpts())

	// A later run reopens the repository it made; the branch is now checked out.
	repo, created, err = Open(dir)
	if err != nil || created {
		t.Fatalf("reopen: created %v, %v", created, err)
	}
	if res := commitOK(t, repo, files, created, testOpts()); !res.UpToDate {
		t.Errorf("unchanged files on a checked-out branch: %+v; want up to date", res)
	}
	files2 := maps.Clone(files)
	files2["README.md"] = []byte("# churn v2\n")
	_, err = Commit(repo, files2, created, testOpts())
	if !errors.Is(err, ErrBranchCheckedOut) || !strings.Contains(err.Error(), "stale") {
		t.Fatalf("Commit on checked-out branch: %v; want ErrBranchCheckedOut with an explanation", err)
	}
	if got := tipFiles(t, repo, branch); !equalFiles(got, files) {
		t.Error("refused commit moved the branch")
	}
	ref, _ := repo.Reference(plumbing.NewBranchReferenceName(branch), false)
	if ref.Hash().String() != first.Commit {
		t.Errorf("branch at %s, want %s", ref.Hash(), first.Commit)
	}
}

func TestCommitRefusesBranchInLinkedWorktree(t *testing.T) {
	if gitBin() == "" {
		t.Skip("git not on PATH: cannot make a linked worktree")
	}
	dir, repo := userRepo(t)
	files := sampleFiles()
	commitOK(t, repo, files, false, testOpts())
	wt := filepath.Join(t.TempDir(), "wt")
	runGit(t, dir, "worktree", "add", wt, branch)

	files2 := maps.Clone(files)
	files2["README.md"] = []byte("# churn v2\n")
	repo, _, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Commit(repo, files2, false, testOpts()); !errors.Is(err, ErrBranchCheckedOut) {
		t.Fatalf("Commit on a branch checked out in a linked worktree: %v; want ErrBranchCheckedOut", err)
	}
	// Another branch is fine, and the linked worktree itself opens as a repository.
	opts := testOpts()
	opts.Branch = "decant/other"
	wtRepo, created, err := Open(wt)
	if err != nil || created {
		t.Fatalf("Open(linked worktree) = created %v, %v", created, err)
	}
	commitOK(t, wtRepo, files2, false, opts)
	gitChecks(t, dir, "decant/other")

	// From the linked worktree, the main working tree's branch is refused too.
	opts.Branch, opts.Force = "main", true
	_, err = Commit(wtRepo, files2, false, opts)
	if !errors.Is(err, ErrBranchCheckedOut) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Commit to main from a linked worktree: %v; want ErrBranchCheckedOut naming %s", err, dir)
	}
	// And the main repository names the linked worktree's directory.
	opts.Branch = branch
	_, err = Commit(repo, files2, false, opts)
	if err == nil || !strings.Contains(err.Error(), wt) {
		t.Errorf("error %v does not name the worktree %s", err, wt)
	}
}

func TestCommitForeignBranch(t *testing.T) {
	dir, repo := userRepo(t)
	// The user owns a branch of the same name, without the marker.
	head, _ := repo.Head()
	userTip := head.Hash()
	if err := repo.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), userTip)); err != nil {
		t.Fatal(err)
	}
	_, err := Commit(repo, sampleFiles(), false, testOpts())
	if !errors.Is(err, ErrForeignBranch) {
		t.Fatalf("Commit to a user's branch: %v; want ErrForeignBranch", err)
	}
	ref, _ := repo.Reference(plumbing.NewBranchReferenceName(branch), false)
	if ref.Hash() != userTip {
		t.Errorf("refused commit moved the branch to %s", ref.Hash())
	}

	opts := testOpts()
	opts.Force = true
	res := commitOK(t, repo, sampleFiles(), false, opts)
	if res.Parent != userTip.String() {
		t.Errorf("forced commit parent = %s, want the user's tip %s", res.Parent, userTip)
	}
	// main.go and notebooks/churn.ipynb were on the user's tip and are not in the file set.
	if !slices.Contains(res.Changed, Change{"main.go", Deleted}) {
		t.Errorf("Changed = %v; want main.go deleted", res.Changed)
	}
	gitChecks(t, dir, branch)
}

func TestOpenRefusesNonRepository(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir); !errors.Is(err, ErrNotRepository) {
		t.Fatalf("Open(non-empty non-repository) = %v; want ErrNotRepository", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Open wrote into a directory it refused: %v", entries)
	}
	if _, _, err := Open(keep); !errors.Is(err, ErrNotRepository) {
		t.Errorf("Open(file) = %v; want ErrNotRepository", err)
	}

	// A subdirectory of a repository is refused, and the error names the root.
	root, _ := userRepo(t)
	_, _, err := Open(filepath.Join(root, "notebooks"))
	if !errors.Is(err, ErrNotRepository) || !strings.Contains(err.Error(), root) {
		t.Errorf("Open(subdirectory) = %v; want ErrNotRepository naming %s", err, root)
	}
}

func TestCommitDeterministic(t *testing.T) {
	commitIn := func(repo *git.Repository) string {
		return commitOK(t, repo, sampleFiles(), false, testOpts()).Commit
	}
	mem1, _ := git.Init(memory.NewStorage(), nil)
	mem2, _ := git.Init(memory.NewStorage(), nil)
	dir := filepath.Join(t.TempDir(), "svc")
	disk, created, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h1, h2 := commitIn(mem1), commitIn(mem2)
	h3 := commitOK(t, disk, sampleFiles(), created, testOpts()).Commit
	if h1 != h2 || h1 != h3 {
		t.Errorf("same input gave commits %s, %s, %s", h1, h2, h3)
	}
	opts := testOpts()
	opts.Author.When = opts.Author.When.Add(time.Second)
	mem3, _ := git.Init(memory.NewStorage(), nil)
	if h4 := commitOK(t, mem3, sampleFiles(), false, opts).Commit; h4 == h1 {
		t.Errorf("a different time gave the same commit %s", h4)
	}
}

// TestTreeMatchesGit checks tree building (order, modes, nesting) against git itself.
func TestTreeMatchesGit(t *testing.T) {
	if gitBin() == "" {
		t.Skip("git not on PATH")
	}
	files := sampleFiles()
	opts := testOpts()
	dir := t.TempDir()
	runGit(t, dir, "init", "-q")
	for p, content := range files {
		fp := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if opts.Exec[p] {
			mode = 0o755
		}
		if err := os.WriteFile(fp, content, mode); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, dir, "add", "-A")
	want := strings.TrimSpace(runGit(t, dir, "write-tree"))
	tree, err := buildTree(files, opts.Exec)
	if err != nil {
		t.Fatal(err)
	}
	if tree.root.String() != want {
		t.Errorf("tree hash %s, git write-tree says %s", tree.root, want)
	}
}

func TestCommitInvalid(t *testing.T) {
	good := sampleFiles()
	with := func(extra map[string]string) Files {
		f := maps.Clone(good)
		for k, v := range extra {
			f[k] = []byte(v)
		}
		return f
	}
	tests := []struct {
		name  string
		files Files
		edit  func(*Options)
		want  error
	}{
		{"no branch", good, func(o *Options) { o.Branch = "" }, ErrInvalidOptions},
		{"bad branch", good, func(o *Options) { o.Branch = "a..b" }, ErrInvalidOptions},
		{"no message", good, func(o *Options) { o.Message = " \n" }, ErrInvalidOptions},
		{"no author", good, func(o *Options) { o.Author.Email = "" }, ErrInvalidOptions},
		{"no time", good, func(o *Options) { o.Author.When = time.Time{} }, ErrInvalidOptions},
		{"angle bracket", good, func(o *Options) { o.Author.Name = "a <b>" }, ErrInvalidOptions},
		{"dotdot", with(map[string]string{"../x": ""}), nil, ErrInvalidFiles},
		{"absolute", with(map[string]string{"/x": ""}), nil, ErrInvalidFiles},
		{"empty element", with(map[string]string{"a//x": ""}), nil, ErrInvalidFiles},
		{"trailing slash", with(map[string]string{"x/": ""}), nil, ErrInvalidFiles},
		{"dot git", with(map[string]string{"sub/.GIT/config": ""}), nil, ErrInvalidFiles},
		{"backslash", with(map[string]string{`a\b`: ""}), nil, ErrInvalidFiles},
		{"file and dir", with(map[string]string{"churn": ""}), nil, ErrInvalidFiles},
		{"exec not in set", good, func(o *Options) { o.Exec["nope.sh"] = true }, ErrInvalidFiles},
		{"no marker", good, func(o *Options) { o.Marker = "MANIFEST" }, ErrInvalidFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, _ := git.Init(memory.NewStorage(), nil)
			opts := testOpts()
			if tt.edit != nil {
				tt.edit(&opts)
			}
			_, err := Commit(repo, tt.files, false, opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Commit = %v; want %v", err, tt.want)
			}
			if refs, _ := repo.References(); refs != nil {
				refs.ForEach(func(r *plumbing.Reference) error {
					if r.Name() != plumbing.HEAD {
						t.Errorf("refused commit created %s", r.Name())
					}
					return nil
				})
			}
		})
	}
}

func TestCommitBranchPrefixAccepted(t *testing.T) {
	repo, _ := git.Init(memory.NewStorage(), nil)
	opts := testOpts()
	opts.Branch = "refs/heads/" + branch
	res := commitOK(t, repo, sampleFiles(), false, opts)
	if got := tipFiles(t, repo, branch); !equalFiles(got, sampleFiles()) || res.Commit == "" {
		t.Error("commit with a refs/heads/ prefix did not land on the branch")
	}
}

func TestCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	if err := Check(dir, Options{Branch: branch}); err != nil {
		t.Fatalf("Check of a missing directory = %v", err)
	}
	repo, created, err := Open(dir)
	if err != nil || !created {
		t.Fatal(err)
	}
	commitOK(t, repo, Files{"x.txt": []byte("x\n")}, true, Options{Branch: "other", Message: "m", Author: testOpts().Author, Marker: "x.txt"})
	if err := Check(dir, Options{Branch: branch}); err != nil {
		t.Errorf("Check of a missing branch = %v", err)
	}
	if err := Check(dir, Options{Branch: "other"}); !errors.Is(err, ErrForeignBranch) {
		t.Errorf("Check of a branch without the marker = %v; want ErrForeignBranch", err)
	}
	if err := Check(dir, Options{Branch: "other", Force: true}); !errors.Is(err, ErrBranchCheckedOut) {
		t.Errorf("Check with Force of the checked-out branch = %v; want ErrBranchCheckedOut", err)
	}
	if err := Check(dir, Options{Branch: "other", Marker: "x.txt"}); !errors.Is(err, ErrBranchCheckedOut) {
		t.Errorf("Check of the checked-out branch = %v; want ErrBranchCheckedOut", err)
	}
	sub := filepath.Join(t.TempDir(), "plain")
	os.MkdirAll(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "f"), nil, 0o644)
	if err := Check(sub, Options{Branch: branch}); !errors.Is(err, ErrNotRepository) {
		t.Errorf("Check of a plain directory = %v; want ErrNotRepository", err)
	}
}
