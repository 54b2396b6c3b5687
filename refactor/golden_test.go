package refactor

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the out/ trees and reports of testdata/*.txtar")

// TestGolden runs the passes named in each fixture's options on its in/ tree and compares the
// resulting tree with out/ and the report with the report section. It then runs the same
// passes on the result and requires that nothing changes: refactoring is idempotent.
//
// Fixtures are verified with go build, vet and test unless -short is given. A fixture whose
// result depends on verification (option verify) keeps a second expectation for -short, the
// tree and report without verification, in short-out/ and short-report; so -short still
// runs every pass.
func TestGolden(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.txtar")
	if len(paths) == 0 {
		t.Fatal("no fixtures")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			in := map[string][]byte{}
			var opts Options
			prefix := "" // of the expected tree and report: "short-" for a verify fixture in -short
			for _, f := range ar.Files {
				switch {
				case strings.HasPrefix(f.Name, "in/"):
					in[strings.TrimPrefix(f.Name, "in/")] = f.Data
				case f.Name == "options":
					for _, kv := range strings.Fields(string(f.Data)) {
						k, v, _ := strings.Cut(kv, "=")
						switch k {
						case "passes":
							opts.Passes, err = ParsePasses(v)
							if err != nil {
								t.Fatal(err)
							}
						case "verify":
							if testing.Short() {
								prefix = "short-"
							}
						case "min-tokens":
							opts.Clone.MinTokens, err = strconv.Atoi(v)
							if err != nil {
								t.Fatal(err)
							}
						default:
							t.Fatalf("unknown option %s", k)
						}
					}
				}
			}
			opts.NoVerify = testing.Short()
			dir := t.TempDir()
			if err := writeFiles(dir, in, nil); err != nil {
				t.Fatal(err)
			}
			makeDatabases(t, dir, in)
			res, err := Run(context.Background(), dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			// Run never writes into the module directory.
			after, err := readTree(dir)
			if err != nil {
				t.Fatal(err)
			}
			for p, b := range in {
				if !bytes.Equal(after[p], b) {
					t.Errorf("Run changed %s in the module directory", p)
				}
			}
			out := maps.Clone(in)
			maps.Copy(out, res.Files)
			rep := res.Report()
			rep.Verified = true // the same report with and without -short
			var buf bytes.Buffer
			if err := rep.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			// Test timings vary from run to run.
			gotReport := regexp.MustCompile(`\t[0-9.]+s\n`).ReplaceAllString(buf.String(), "\t(time)\n")

			// Idempotence: the second run changes nothing.
			dir2 := t.TempDir()
			if err := writeFiles(dir2, out, nil); err != nil {
				t.Fatal(err)
			}
			makeDatabases(t, dir2, out)
			res2, err := Run(context.Background(), dir2, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(res2.Files) > 0 {
				t.Errorf("a second run changed the result again:\n%s", res2.Diff())
			}

			if *update {
				// Replace this mode's expectation; the other mode's short-* sections stay last.
				var files, short []txtar.File
				for _, f := range ar.Files {
					switch {
					case strings.HasPrefix(f.Name, prefix+"out/") || f.Name == prefix+"report":
					case strings.HasPrefix(f.Name, "short-"):
						short = append(short, f)
					default:
						files = append(files, f)
					}
				}
				for _, p := range slices.Sorted(maps.Keys(out)) {
					short = appendIf(prefix != "", short, txtar.File{Name: prefix + "out/" + p, Data: out[p]})
					files = appendIf(prefix == "", files, txtar.File{Name: prefix + "out/" + p, Data: out[p]})
				}
				rep := txtar.File{Name: prefix + "report", Data: []byte(gotReport)}
				short = appendIf(prefix != "", short, rep)
				files = appendIf(prefix == "", files, rep)
				files = append(files, short...)
				ar.Files = files
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := map[string][]byte{}
			wantReport := ""
			for _, f := range ar.Files {
				if strings.HasPrefix(f.Name, prefix+"out/") {
					want[strings.TrimPrefix(f.Name, prefix+"out/")] = f.Data
				}
				if f.Name == prefix+"report" {
					wantReport = string(f.Data)
				}
			}
			for _, p := range slices.Sorted(maps.Keys(want)) {
				if !bytes.Equal(out[p], want[p]) {
					t.Errorf("%s differs.\ngot:\n%s\nwant:\n%s", p, out[p], want[p])
				}
			}
			for p := range out {
				if _, ok := want[p]; !ok {
					t.Errorf("unexpected file %s", p)
				}
			}
			if gotReport != wantReport {
				t.Errorf("report differs.\ngot:\n%s\nwant:\n%s", gotReport, wantReport)
			}
		})
	}
}

// makeDatabases creates, for every file x.db.sql, the SQLite database x.db by running it.
func makeDatabases(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		if !strings.HasSuffix(p, ".db.sql") {
			continue
		}
		db, err := sql.Open("sqlite", filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(p, ".sql"))))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		db.Close()
	}
}

func appendIf[T any](cond bool, s []T, v T) []T {
	if cond {
		return append(s, v)
	}
	return s
}
