package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/decant-go/decant/extract"
)

// releasedAt sets the release time the GOPROXY directory proxy gives mod@v.
func releasedAt(t *testing.T, proxy, mod, v, when string) {
	t.Helper()
	info, _ := json.Marshal(map[string]string{"Version": v, "Time": when})
	write(t, filepath.Join(proxy, filepath.FromSlash(mod), "@v", v+".info"), string(info))
}

// unlist leaves mod@v out of the proxy's version list; the proxy still serves it when asked.
func unlist(t *testing.T, proxy, mod, v string) {
	t.Helper()
	p := filepath.Join(proxy, filepath.FromSlash(mod), "@v", "list")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	list := slices.DeleteFunc(strings.Fields(string(data)), func(x string) bool { return x == v })
	write(t, p, strings.Join(list, "\n")+"\n")
}

// inModuleCache downloads mod@v into the test's module cache and writes the notebook there,
// as a notebook published in a module release sits on a user's machine.
func inModuleCache(t *testing.T, mod, v, nbName string, cells ...string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", mod+"@"+v)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s@%s: %v\n%s", mod, v, err, out)
	}
	var dl struct{ Dir string }
	if err := json.Unmarshal(out, &dl); err != nil || dl.Dir == "" {
		t.Fatalf("go mod download %s@%s: %s", mod, v, out)
	}
	nb := filepath.Join(dl.Dir, "examples", nbName)
	notebook(t, nb, "gonb", cells...)
	return nb
}

func decisionAbout(res *Result, subject string) (extract.Decision, bool) {
	for _, d := range res.Decisions {
		if d.Subject == subject && d.Action == "converted" && d.Cell >= 0 {
			return d, true
		}
	}
	return extract.Decision{}, false
}

// plotNotebook lays out a proxy where example.com/plot/v2's New returned (p, err) up to
// v2.0.0, which the proxy's list omits, and a notebook published in 2021 that calls it so;
// extra cells are appended to the notebook.
func plotNotebook(t *testing.T, tmp string, extra ...string) string {
	t.Helper()
	proxy := filepath.Join(tmp, "proxy")
	plot := func(newFunc string) map[string]string {
		return map[string]string{
			"go.mod":  "module example.com/plot/v2\n\ngo 1.21\n",
			"plot.go": "package plot\n\n// Plot is a plot.\ntype Plot struct{ title string }\n\n// Title is the plot's title.\nfunc (p *Plot) Title() string { return p.title }\n\n" + newFunc,
		}
	}
	writeModule(t, proxy, "example.com/plot/v2", "v2.0.0", plot("// New returns a plot.\nfunc New() (*Plot, error) { return &Plot{title: \"old\"}, nil }\n"))
	writeModule(t, proxy, "example.com/plot/v2", "v2.1.0", plot("// New returns a plot.\nfunc New() *Plot { return &Plot{title: \"new\"} }\n"))
	writeModule(t, proxy, "example.com/plot/v2", "v2.2.0", plot("// New returns a plot.\nfunc New() *Plot { return &Plot{title: \"newer\"} }\n"))
	releasedAt(t, proxy, "example.com/plot/v2", "v2.0.0", "2020-11-03T08:20:05Z")
	releasedAt(t, proxy, "example.com/plot/v2", "v2.1.0", "2022-03-01T00:00:00Z")
	releasedAt(t, proxy, "example.com/plot/v2", "v2.2.0", "2023-03-01T00:00:00Z")
	unlist(t, proxy, "example.com/plot/v2", "v2.0.0")
	// The notebooks' module, released in 2021, requires the newest plot (its go.mod was updated
	// later than its notebook was run).
	writeModule(t, proxy, "example.com/notes", "v1.0.0", map[string]string{
		"go.mod":   "module example.com/notes\n\ngo 1.21\n\nrequire example.com/plot/v2 v2.2.0\n",
		"notes.go": "// Package notes holds notebooks.\npackage notes\n",
	})
	releasedAt(t, proxy, "example.com/notes", "v1.0.0", "2021-06-01T00:00:00Z")
	offlineModules(t, tmp, proxy)
	nb := inModuleCache(t, "example.com/notes", "v1.0.0", "plot.ipynb", append([]string{
		"#md ## 3. Calculation",
		"import (\n\t\"fmt\"\n\n\t\"example.com/plot/v2\"\n)\n\n// title makes a plot and returns it.\nfunc title() string {\n\tp, err := plot.New()\n\tif err != nil {\n\t\treturn fmt.Sprint(err)\n\t}\n\treturn p.Title()\n}",
		"%%\nfmt.Println(title())"}, extra...)...)
	return nb

}

// A notebook published in 2021 calls plot.New as (p, err); the library's later releases return
// p alone, and the proxy lists only those. The build fails on plot.New's result count; the
// search probes for the earlier release the list omits, finds that its New returns two values,
// pins it, and reports it at the cell and line of the error, with its date and the --pin.
func TestAPISearchFindsUnlistedRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the service")
	}
	tmp := t.TempDir()
	nb := plotNotebook(t, tmp)
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if gomod := string(res.Output.Files["go.mod"]); !strings.Contains(gomod, "example.com/plot/v2 v2.0.0") {
		t.Errorf("go.mod does not pin the release that fits:\n%s", gomod)
	}
	d, ok := decisionAbout(res, "module example.com/plot/v2")
	if !ok {
		t.Fatalf("no decision reports the version chosen: %+v", res.Decisions)
	}
	if d.Cell != 1 || d.Line != 9 {
		t.Errorf("the decision is at cell %d, line %d; want cell 1, line 9 (the call to plot.New)", d.Cell, d.Line)
	}
	if strings.Contains(d.Reason, "tried first") {
		t.Errorf("the release before the notebook's module was not tried first:\n%s", d.Reason)
	}
	for _, want := range []string{
		`"assignment mismatch: 2 variables but plot.New returns 1 value" against example.com/plot/v2@v2.2.0`,
		"example.com/plot/v2 v2.0.0 (2020-11-03) fits it",
		"the proxy's version list omits v2.0.0, found by asking for it",
		"--pin example.com/plot/v2@v2.0.0",
		"--pin example.com/plot/v2@v2.2.0",
	} {
		if !strings.Contains(d.Reason, want) {
			t.Errorf("the decision does not say %q:\n%s", want, d.Reason)
		}
	}

	// The user's --pin wins: no search, and the refusal says the pin is theirs.
	_, err = Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc2"), Author: author,
		Modules: extractModules("example.com/plot/v2@v2.2.0")})
	var verr *VerifyError
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), "(cell 1, line 9): assignment mismatch") ||
		!strings.Contains(err.Error(), "is the user's choice (--pin example.com/plot/v2@v2.2.0)") {
		t.Fatalf("extract with --pin example.com/plot/v2@v2.2.0 = %v; want the build refused at cell 1, line 9, naming the pin", err)
	}
}

// The notebook's code calls a method of one library (hlo) as it was before hlo's last release,
// and the module it sits in (rt, another library, whose go.mod requires the newer hlo) is
// imported too: the version of hlo that fits comes with the earlier rt release that requires
// it, and the two move together.
func TestAPISearchMovesModulesTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests the service")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	hlo := func(namedInput string) map[string]string {
		return map[string]string{
			"hlo.go": "package hlo\n\n// Function is a function being built.\ntype Function struct{ Name string }\n\n// Value is a value of a function.\ntype Value struct{ Name string }\n\n// New starts a function.\nfunc New(name string) *Function { return &Function{Name: name} }\n\n" + namedInput,
		}
	}
	writeModule(t, proxy, "example.com/hlo", "v0.1.0", hlo("// NamedInput adds an input.\nfunc (f *Function) NamedInput(name string) *Value { return &Value{Name: name} }\n"))
	writeModule(t, proxy, "example.com/hlo", "v0.2.0", hlo("// NamedInput adds an input.\nfunc (f *Function) NamedInput(name string) (*Value, error) { return &Value{Name: name}, nil }\n"))
	releasedAt(t, proxy, "example.com/hlo", "v0.1.0", "2025-11-06T00:00:00Z")
	releasedAt(t, proxy, "example.com/hlo", "v0.2.0", "2025-12-01T00:00:00Z")
	rt := func(req string) map[string]string {
		return map[string]string{
			"go.mod": "module example.com/rt\n\ngo 1.21\n\nrequire example.com/hlo " + req + "\n",
			"rt.go":  "package rt\n\nimport \"example.com/hlo\"\n\n// Compile compiles a function.\nfunc Compile(f *hlo.Function) string { return \"compiled \" + f.Name }\n",
		}
	}
	writeModule(t, proxy, "example.com/rt", "v0.9.0", rt("v0.1.0"))
	writeModule(t, proxy, "example.com/rt", "v0.10.0", rt("v0.2.0"))
	releasedAt(t, proxy, "example.com/rt", "v0.9.0", "2025-11-07T00:00:00Z")
	releasedAt(t, proxy, "example.com/rt", "v0.10.0", "2025-12-04T00:00:00Z")
	offlineModules(t, tmp, proxy)
	nb := inModuleCache(t, "example.com/rt", "v0.10.0", "compile.ipynb",
		"#md ## 3. Calculation",
		"import (\n\t\"example.com/hlo\"\n\t\"example.com/rt\"\n)\n\n// build builds and compiles a function.\nfunc build() string {\n\tfn := hlo.New(\"main\")\n\tx := fn.NamedInput(\"x\")\n\treturn rt.Compile(fn) + \" \" + x.Name\n}",
		"%%\nfmt.Println(build())")

	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	gomod := string(res.Output.Files["go.mod"])
	for _, want := range []string{"example.com/hlo v0.1.0", "example.com/rt v0.9.0"} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod does not require %s:\n%s", want, gomod)
		}
	}
	d, ok := decisionAbout(res, "module example.com/hlo")
	if !ok {
		t.Fatalf("no decision reports the versions chosen: %+v", res.Decisions)
	}
	for _, want := range []string{
		"fn.NamedInput returns 2 values", "example.com/hlo v0.1.0 (2025-11-06) fits it",
		"example.com/rt v0.9.0 instead of v0.10.0", "--pin example.com/hlo@v0.1.0",
	} {
		if !strings.Contains(d.Reason, want) {
			t.Errorf("the decision does not say %q:\n%s", want, d.Reason)
		}
	}
	if d.Cell != 1 || d.Line != 9 {
		t.Errorf("the decision is at cell %d, line %d; want cell 1, line 9", d.Cell, d.Line)
	}
}

// When no version declares what the notebook's code expects, the refusal is the build's, at
// the cell and line, with the versions tried.
func TestAPISearchNothingFits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the service")
	}
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	for _, v := range []string{"v1.0.0", "v1.1.0"} {
		writeModule(t, proxy, "example.com/mathx", v, map[string]string{
			"mathx.go": "package mathx\n\n// Sum adds.\nfunc Sum(a, b int) int { return a + b }\n",
		})
	}
	offlineModules(t, tmp, proxy)
	proj := filepath.Join(tmp, "proj")
	write(t, filepath.Join(proj, "go.mod"), "module example.com/proj\n\ngo 1.21\n\nrequire example.com/mathx v1.1.0\n")
	nb := filepath.Join(proj, "calc.ipynb")
	notebook(t, nb, "gonb",
		"#md ## 3. Calculation",
		"import \"example.com/mathx\"\n\n// total adds three numbers.\nfunc total() int {\n\treturn mathx.Sum3(1, 2, 3)\n}",
		"%%\nfmt.Println(total())")
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	if err == nil {
		t.Fatal("extract succeeded; want the build refused")
	}
	for _, want := range []string{"(cell 1, line 5): undefined: mathx.Sum3", "no version of example.com/mathx known here fits the notebook's code: tried v1.0.0: does not fit undefined: mathx.Sum3", "--pin example.com/mathx@VERSION"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
}

// When the version that fits is found but the build still fails on the notebook's own code,
// the refusal is that build's, with the version chosen as a note.
func TestAPISearchReportsChoiceWhenBuildStillFails(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the service")
	}
	tmp := t.TempDir()
	nb := plotNotebook(t, tmp, "%%\nvar n int = \"three\"\nfmt.Println(n)")
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	var verr *VerifyError
	if !errors.As(err, &verr) {
		t.Fatalf("extract = %v; want the build refused", err)
	}
	msg := err.Error()
	for _, want := range []string{"(cell 3, line 2): cannot use \"three\"", "note: cell 1, line 9: module example.com/plot/v2:", "example.com/plot/v2 v2.0.0 (2020-11-03) fits it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "plot.New returns 1 value") && !strings.Contains(msg, "against example.com/plot/v2@v2.2.0") {
		t.Errorf("the refusal reports the error the version chosen answered:\n%s", msg)
	}
}

// A notebook that ran against a local checkout this machine lacks, whose build the search
// answers with a version that fits, and whose code vet then refuses: the refusal's hint does
// not say the service was verified against the version the search replaced.
func TestAPISearchChoiceNotContradictedByHint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and vets the service")
	}
	tmp := t.TempDir()
	nb := plotNotebook(t, tmp, "!*go work use ${HOME}/Projects/plot", "%%\nfmt.Printf(\"done\\n\", 1)")
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author})
	var verr *VerifyError
	if !errors.As(err, &verr) {
		t.Fatalf("extract = %v; want vet's refusal", err)
	}
	msg := err.Error()
	for _, want := range []string{"fmt.Printf call has arguments but no formatting directives", "example.com/plot/v2 v2.0.0 (2020-11-03) fits it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "instead: its code may be written for another version") {
		t.Errorf("the refusal's hint names the versions the search replaced:\n%s", msg)
	}
}
