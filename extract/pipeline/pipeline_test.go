package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/extract/publish"
)

const demo = "../../testdata/demo/churn.ipynb"

var author = publish.Signature{Name: "T", Email: "t@example.com", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

// A destination that cannot be written is refused before anything slow (rendering, go mod
// tidy, verification) starts.
func TestBadDestinationFailsBeforeWork(t *testing.T) {
	dir := t.TempDir()
	notRepo := filepath.Join(dir, "notrepo")
	if err := os.MkdirAll(notRepo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notRepo, "keep.txt"), []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), demo, Options{Repo: notRepo, Author: author})
	if !errors.Is(err, publish.ErrNotRepository) || !strings.Contains(err.Error(), "choose another --repo") {
		t.Fatalf("Run into a non-repository = %v; want ErrNotRepository", err)
	}
	if res.Output != nil || res.Durations[StageTidy] != 0 || res.Durations[StageRender] != 0 {
		t.Errorf("the run went past the destination stage: %+v", res.Durations)
	}
	if b, err := os.ReadFile(filepath.Join(notRepo, "keep.txt")); err != nil || string(b) != "keep\n" {
		t.Errorf("keep.txt = %q, %v", b, err)
	}
}

func TestAuthorRequiredToCommit(t *testing.T) {
	_, err := Run(context.Background(), demo, Options{Repo: filepath.Join(t.TempDir(), "svc")})
	if err == nil || !strings.Contains(err.Error(), "author") {
		t.Fatalf("Run without an author = %v", err)
	}
}

// A dry run into a repository that does not exist diffs everything and creates nothing.
func TestDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	repo := filepath.Join(t.TempDir(), "svc")
	var progress strings.Builder
	res, err := Run(context.Background(), demo, Options{Repo: repo, DryRun: true, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Diff, "+++ b/churn/prediction.go") {
		t.Errorf("dry-run diff lacks churn/prediction.go:\n%.400s", res.Diff)
	}
	if _, err := os.Stat(repo); !os.IsNotExist(err) {
		t.Errorf("a dry run created %s: %v", repo, err)
	}
	if !strings.Contains(progress.String(), "go mod tidy") {
		t.Errorf("progress = %q", progress.String())
	}
	if res.Branch != "decant/churn" || res.Commit != nil {
		t.Errorf("branch %q, commit %+v", res.Branch, res.Commit)
	}
}

// Past its budget, an optional stage is skipped and reported; the run goes on and succeeds.
func TestBudgetSkipsRefactoring(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	res, err := Run(context.Background(), demo, Options{Repo: filepath.Join(t.TempDir(), "svc"), DryRun: true,
		Refactor: []string{"unify"}, Budgets: map[Stage]time.Duration{StageRefactor: time.Nanosecond}})
	if err != nil {
		t.Fatal(err)
	}
	var skipped bool
	for _, s := range res.Skipped {
		if s.Stage == StageRefactor && strings.Contains(s.Reason, "over its budget") {
			skipped = true
		}
	}
	if !skipped || res.Refactor != nil || res.Diff == "" {
		t.Errorf("skipped %+v, refactor %v, diff %d bytes", res.Skipped, res.Refactor != nil, len(res.Diff))
	}
}
