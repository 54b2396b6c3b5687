package score

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture returns the repository in testdata/name.txtar and its git state: every file
// committed, none modified.
func fixture(t *testing.T, name string) (fs.FS, *Git) {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := txtar.FS(ar)
	if err != nil {
		t.Fatal(err)
	}
	g := &Git{Head: "0123456789abcdef", Branch: "main", Tracked: map[string]bool{}, Modified: map[string]bool{}}
	for _, f := range ar.Files {
		g.Tracked[f.Name] = true
	}
	return fsys, g
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"tested", "bare"} {
		t.Run(name, func(t *testing.T) {
			fsys, g := fixture(t, name)
			res, err := Check(fsys, g)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := res.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("score text differs from %s (run with -update to accept):\n%s", golden, got)
			}
		})
	}
}

// points of each item by id.
func itemPoints(res *Result) map[string]float64 {
	out := map[string]float64{}
	for _, it := range res.Items {
		out[it.ID] = it.Points
	}
	return out
}

func TestTestedEarnsEveryCheckableItem(t *testing.T) {
	fsys, g := fixture(t, "tested")
	res, err := Check(fsys, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range res.Items {
		want := 1.0
		if it.ID == "Mon4" {
			want = 0.5 // the alert on the model's age lives in production monitoring
		}
		if it.Checked && it.Points != want {
			t.Errorf("%s: %v points, want %v; missing %q", it.ID, it.Points, want, it.Missing)
		}
		if !it.Checked && it.Points != 0 {
			t.Errorf("%s is not checkable but scored %v", it.ID, it.Points)
		}
	}
	// Only the checkable items count, so the Model section (M1 alone) sets the score.
	if res.Score != 1 || res.Lowest != Model {
		t.Errorf("score %v (lowest %s), want 1 (Model)", res.Score, res.Lowest)
	}
}

// TestEvidenceIsReal breaks the fixture one piece at a time and expects the item that rests
// on that piece to lose its point.
func TestEvidenceIsReal(t *testing.T) {
	tests := []struct {
		name, file, old, new, item string
		want                       float64
	}{
		{"no range on income", "openapi.json", `"minimum": 0, "maximum": 1000000`, `"minimum": 0`, "D1", 0.5},
		{"feature test asserts nothing", "loans/loans_test.go", "t.Errorf(\"features = %v\", got)", "_ = got", "D7", 0.5},
		{"serving stops sharing features", "loans/model.go", "features(income, grade))", "[]float64{income, 0})", "Mon3", 0},
		{"training reads the clock", "loans/model.go", "w := make([]float64, 2)", "w := make([]float64, 2+0*time.Now().Second())", "I1", 0},
		{"repro test renamed", "loans/loans_test.go", "TestTrainReproducible", "TestTrainTwice", "I1", 0.5},
		{"no dependabot", ".github/dependabot.yml", "", "", "Mon1", 0.5},
		{"baseline not compared", "Makefile", "--baseline .decant/load-baseline.json", "", "Mon6", 0.5},
		{"baseline of another format", ".decant/load-baseline.json", `"decant_load_baseline": 1`, `"version": 1`, "Mon6", 0},
		{"no NaN test", "loans/loans_test.go", "math.NaN()", "1", "Mon5", 0.5},
		{"no pipeline test", "loans/loans_test.go", "func TestRun(t *testing.T) { Run() }", "", "I3", 0.5},
		{"no owners", "CODEOWNERS", "", "", "M1", 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ar, err := txtar.ParseFile(filepath.Join("testdata", "tested.txtar"))
			if err != nil {
				t.Fatal(err)
			}
			found := false
			var files []txtar.File
			for _, f := range ar.Files {
				if f.Name == tc.file {
					found = true
					if tc.old == "" {
						continue // delete the file
					}
					if !bytes.Contains(f.Data, []byte(tc.old)) {
						t.Fatalf("%s does not contain %q", tc.file, tc.old)
					}
					f.Data = bytes.Replace(f.Data, []byte(tc.old), []byte(tc.new), 1)
					if tc.item == "I1" && strings.Contains(tc.new, "time.Now") {
						f.Data = bytes.Replace(f.Data, []byte(`import "math"`), []byte("import (\n\t\"math\"\n\t\"time\"\n)"), 1)
					}
				}
				files = append(files, f)
			}
			if !found {
				t.Fatalf("no file %s in the fixture", tc.file)
			}
			ar.Files = files
			fsys, err := txtar.FS(ar)
			if err != nil {
				t.Fatal(err)
			}
			g := &Git{Head: "0123456789", Branch: "main", Tracked: map[string]bool{}, Modified: map[string]bool{}}
			for _, f := range files {
				g.Tracked[f.Name] = true
			}
			res, err := Check(fsys, g)
			if err != nil {
				t.Fatal(err)
			}
			if got := itemPoints(res)[tc.item]; got != tc.want {
				t.Errorf("%s: %v points, want %v", tc.item, got, tc.want)
			}
		})
	}
}

func TestVersionControl(t *testing.T) {
	fsys, g := fixture(t, "tested")
	g.Modified["loans/model.go"] = true
	res, err := Check(fsys, g)
	if err != nil {
		t.Fatal(err)
	}
	if p := itemPoints(res)["M1"]; p != 0 {
		t.Errorf("M1 with a modified model file: %v points, want 0", p)
	}
	res, err = Check(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := itemPoints(res)["M1"]; p != 0 {
		t.Errorf("M1 without git: %v points, want 0", p)
	}
}

func TestBand(t *testing.T) {
	for score, want := range map[float64]string{0: "research project", 0.5: "not totally untested", 1: "not totally untested",
		1.5: "first pass", 3: "reasonably tested", 4.5: "mission-critical", 6: "exceptional"} {
		if got := Band(score); !strings.Contains(got, want) {
			t.Errorf("Band(%v) = %q, want it to say %q", score, got, want)
		}
	}
}

// TestDemoService extracts the bundled demo notebook and scores the service: every piece of
// evidence must point at a line that exists, and the items the skeleton always earns must be
// earned.
func TestDemoService(t *testing.T) {
	if testing.Short() {
		t.Skip("extracts the demo notebook with the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(t.TempDir(), "churn-service")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./cmd/decant", "extract", "--no-verify", "--quiet",
		"--date", "2026-01-02T03:04:05Z", "--repo", repo, "testdata/demo/churn.ipynb")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("extracting the demo: %v\n%s", err, out)
	}
	res, err := Dir(repo)
	if err != nil {
		t.Fatal(err)
	}
	js, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(js, &back); err != nil || len(back.Items) != 28 {
		t.Fatalf("JSON round trip: %v, %d items", err, len(back.Items))
	}
	for _, it := range res.Items {
		for _, e := range it.Evidence {
			checkWhere(t, repo, it.ID, e.Where)
		}
		if it.Checked && it.Points < 1 && len(it.Missing) == 0 {
			t.Errorf("%s scored %v without saying what is missing", it.ID, it.Points)
		}
	}
	pts := itemPoints(res)
	for id, min := range map[string]float64{"D1": 0.5, "D7": 0.5, "M1": 0.5, "I1": 0.5, "I2": 0.5, "I3": 1, "Mon1": 0.5, "Mon5": 1} {
		if pts[id] < min {
			t.Errorf("%s: %v points, want at least %v", id, pts[id], min)
		}
	}
	if res.Score <= 0 {
		var buf bytes.Buffer
		res.WriteText(&buf)
		t.Errorf("the demo service scores %v:\n%s", res.Score, buf.String())
	}
}

// checkWhere checks that evidence points at a file of the repository and, given a line, a line
// the file has.
func checkWhere(t *testing.T, repo, id, where string) {
	t.Helper()
	file, line, hasLine := strings.Cut(where, ":")
	fi, err := os.Stat(filepath.Join(repo, file))
	if err != nil {
		t.Errorf("%s: evidence at %s: %v", id, where, err)
		return
	}
	if !hasLine || fi.IsDir() {
		return
	}
	n, err := strconv.Atoi(line)
	data, _ := os.ReadFile(filepath.Join(repo, file))
	if err != nil || n < 1 || n > bytes.Count(data, []byte("\n"))+1 {
		t.Errorf("%s: evidence at %s: no such line", id, where)
	}
}

// FuzzCheck feeds arbitrary manifests, API documents and baselines to the checks: they may
// report errors but must not panic, and every item must score 0, ½ or 1.
func FuzzCheck(f *testing.F) {
	ar, err := txtar.ParseFile(filepath.Join("testdata", "tested.txtar"))
	if err != nil {
		f.Fatal(err)
	}
	seed := map[string][]byte{}
	for _, file := range ar.Files {
		seed[file.Name] = file.Data
	}
	f.Add(seed[".decant/manifest.json"], seed["openapi.json"], seed[".decant/load-baseline.json"])
	f.Add([]byte(`{"package":"../x","cells":[{"section":"processing","places":["loans/features.go:x"]}]}`), []byte(`{"paths":{"/a":{"get":{"parameters":[{}]}}}}`), []byte(`{"decant_load_baseline":1}`))
	f.Fuzz(func(t *testing.T, manifest, api, baseline []byte) {
		files := []txtar.File{}
		for _, file := range ar.Files {
			switch file.Name {
			case ".decant/manifest.json":
				file.Data = manifest
			case "openapi.json":
				file.Data = api
			case ".decant/load-baseline.json":
				file.Data = baseline
			}
			files = append(files, file)
		}
		fsys, err := txtar.FS(&txtar.Archive{Files: files})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Check(fsys, nil)
		if err != nil {
			return
		}
		for _, it := range res.Items {
			if it.Points != 0 && it.Points != 0.5 && it.Points != 1 {
				t.Fatalf("%s scored %v", it.ID, it.Points)
			}
		}
	})
}

// A service whose run could not be verified where it was extracted keeps its pipeline test's
// credit (the test exists and runs with go test) but the item says the run was not verified.
func TestRunUnverified(t *testing.T) {
	ar, err := txtar.ParseFile(filepath.Join("testdata", "tested.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ar.Files {
		if f.Name == ".decant/manifest.json" {
			ar.Files[i].Data = bytes.Replace(f.Data, []byte(`"routes":`),
				[]byte(`"run_unverified": [{"step": "train", "cell": 2, "line": 15, "need": "network", "cause": "dial tcp: lookup example.com: no such host"}],
 "routes":`), 1)
		}
	}
	fsys, err := txtar.FS(ar)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range res.Items {
		if it.ID != "I3" {
			continue
		}
		missing := strings.Join(it.Missing, "\n")
		for _, want := range []string{"not verified when the service was extracted", "step train, at cell 2, line 15, needs the network: dial tcp: lookup example.com: no such host", "make test"} {
			if !strings.Contains(missing, want) {
				t.Errorf("I3 does not say %q: %q", want, it.Missing)
			}
		}
		if it.Points != 1 {
			t.Errorf("I3 = %v points, want 1: the tests still exist and run", it.Points)
		}
		return
	}
	t.Fatal("no item I3")
}
