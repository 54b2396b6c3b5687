package publish

import (
	"fmt"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/storage/memory"
)

// benchFiles is a service-sized file set: n files of 100 lines in 10 directories.
func benchFiles(n int) Files {
	files := Files{DefaultMarker: []byte("{}\n"), "scripts/run.sh": []byte("#!/bin/sh\n")}
	for i := range n {
		files[fmt.Sprintf("pkg%d/file%d.go", i%10, i)] = []byte(numbered(i, i+99))
	}
	return files
}

func BenchmarkCommit(b *testing.B) {
	files := benchFiles(200)
	for b.Loop() {
		repo, _ := git.Init(memory.NewStorage(), nil)
		if _, err := Commit(repo, files, false, testOpts()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommitUpToDate(b *testing.B) {
	files := benchFiles(200)
	repo, _ := git.Init(memory.NewStorage(), nil)
	if _, err := Commit(repo, files, false, testOpts()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if res, err := Commit(repo, files, false, testOpts()); err != nil || !res.UpToDate {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkUnifiedDiff(b *testing.B) {
	old := numbered(1, 5000)
	new := strings.ReplaceAll(old, "0\n", "0 changed\n") // 500 scattered changes
	for b.Loop() {
		UnifiedDiff(Files{"f": []byte(old)}, Files{"f": []byte(new)})
	}
}
