package publish

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

func TestDiffAgainstBranch(t *testing.T) {
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		t.Fatal(err)
	}
	files := sampleFiles()
	// No branch yet: everything is added.
	d, err := Diff(repo, branch, files)
	if err != nil || d != UnifiedDiff(nil, files) || d == "" {
		t.Fatalf("Diff against a missing branch = %v; want UnifiedDiff(nil, files)\n%s", err, d)
	}
	commitOK(t, repo, files, false, testOpts())
	if d, err := Diff(repo, branch, files); err != nil || d != "" {
		t.Errorf("Diff against an equal tip = %q, %v; want empty", d, err)
	}

	files2 := maps.Clone(files)
	files2["README.md"] = []byte("# churn\n\nMore.\n")
	delete(files2, "scripts/run.sh")
	objectsBefore := countObjects(t, repo)
	d, err = Diff(repo, "refs/heads/"+branch, files2)
	if err != nil {
		t.Fatal(err)
	}
	want := "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1,3 @@\n # churn\n+\n+More.\n" +
		"diff --git a/scripts/run.sh b/scripts/run.sh\ndeleted file mode 100755\n--- a/scripts/run.sh\n+++ /dev/null\n" +
		"@@ -1,2 +0,0 @@\n-#!/bin/sh\n-echo run\n"
	if d != want {
		t.Errorf("Diff =\n%s\nwant\n%s", d, want)
	}
	if n := countObjects(t, repo); n != objectsBefore {
		t.Errorf("Diff wrote objects: %d -> %d", objectsBefore, n)
	}
	if got := tipFiles(t, repo, branch); !equalFiles(got, files) {
		t.Error("Diff moved the branch")
	}
}

func countObjects(t *testing.T, repo *git.Repository) int {
	t.Helper()
	iter, err := repo.Storer.IterEncodedObjects(plumbing.AnyObject)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	iter.ForEach(func(plumbing.EncodedObject) error { n++; return nil })
	return n
}

func numbered(from, to int) string {
	var sb strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&sb, "line %d\n", i)
	}
	return sb.String()
}
