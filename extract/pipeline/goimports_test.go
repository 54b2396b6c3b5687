package pipeline

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A notebook in a module's release that leans on goimports for a package its library has
// since moved (GoMLX's ml/train/optimizers, now pkg/ml/train/optimizers), and uses a name the
// release no longer has: goimports, searching the whole module cache, finds the old path in
// another cached version. The service imports the package of the version the module selects,
// the report says what that package lacks, and the refusal names the missing name at its cell
// and line: the real cause, not an unresolvable import.
func TestGoimportsPrefersSelectedVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod download and go build")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	nbPath := filepath.Join(tmp, "opt.ipynb")
	notebook(t, nbPath, "gonb",
		"#md ## 3. Calculation",
		"// Compute uses the library's optimizer.\nfunc Compute() int {\n\tn := opt.Steps()\n\treturn n + opt.CosineSchedule()\n}",
		"%%\nfmt.Println(Compute())")
	nb, err := os.ReadFile(nbPath)
	if err != nil {
		t.Fatal(err)
	}
	writeModule(t, proxy, "example.com/lib", "v1.0.0", map[string]string{
		"train/opt/opt.go": "package opt\n\n// Steps is how many steps the optimizer takes.\nfunc Steps() int { return 3 }\n\n// CosineSchedule is the schedule's length.\nfunc CosineSchedule() int { return 4 }\n",
	})
	writeModule(t, proxy, "example.com/lib", "v1.1.0", map[string]string{
		"pkg/train/opt/opt.go": "package opt\n\n// Steps is how many steps the optimizer takes.\nfunc Steps() int { return 3 }\n",
		"examples/opt.ipynb":   string(nb),
	})
	offlineModules(t, tmp, proxy)
	dl := exec.Command("go", "mod", "download", "example.com/lib@v1.0.0", "example.com/lib@v1.1.0")
	dl.Dir = tmp
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	path := filepath.Join(tmp, "modcache", "example.com", "lib@v1.1.0", "examples", "opt.ipynb")
	res, err := Run(context.Background(), path, Options{Repo: filepath.Join(tmp, "svc"), Author: author, Short: true})
	var verr *VerifyError
	if !errors.As(err, &verr) {
		t.Fatalf("extract = %v; want the build refused", err)
	}
	if pred := string(res.Output.Files["opt/prediction.go"]); !strings.Contains(pred, `"example.com/lib/pkg/train/opt"`) {
		t.Errorf("prediction.go does not import the selected version's package:\n%s", pred)
	}
	for _, want := range []string{"(cell 1, line 4): undefined: opt.CosineSchedule"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "train/opt\" in another module version") {
		t.Errorf("the refusal blames the import:\n%v", err)
	}
	found := false
	for _, d := range res.Plan.Decisions {
		found = found || d.Cell == 1 && d.Line == 3 && strings.Contains(d.Reason, "resolved it as example.com/lib/pkg/train/opt") &&
			strings.Contains(d.Reason, "it lacks opt.CosineSchedule")
	}
	if !found {
		t.Errorf("no decision says which package was chosen and what it lacks: %+v", res.Plan.Decisions)
	}
	for _, d := range res.Plan.Decisions {
		if strings.Contains(d.Reason, "goimports resolved it from the module cache") {
			t.Errorf("the replaced name is reported as goimports' choice too: %+v", d)
		}
	}
}
