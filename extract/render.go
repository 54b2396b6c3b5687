package extract

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/extract/declspan"
	"github.com/decant-go/decant/extract/manifest"

	"github.com/decant-go/decant/extract/httpapi"
)

// Output is the rendered service repository.
type Output struct {
	Files map[string][]byte // slash paths
	Exec  map[string]bool   // paths to mark executable
	// Spans map generated Go lines back to notebook cells, for reporting build and test
	// failures against the cell they came from.
	Spans map[string][]Span
}

// Span maps lines [Start, End] of a generated file to a cell: line Start is CellLine of Cell.
type Span struct {
	Start, End int
	Cell       int
	CellLine   int
	What       string
	// declLine is the file line of the declaration itself (its func, var or type line), which
	// the plan's origins are keyed by.
	declLine int
	// step is set for a pipeline step's body, whose lines may come from several cells.
	step *Step
}

// at maps line of the span's file to the notebook.
func (s Span) at(line int) (cell, cellLine int) {
	if s.step != nil {
		return s.step.At(line - s.Start)
	}
	return s.Cell, s.CellLine + line - s.Start
}

// runs lists the span's runs of lines from one cell in order: the file line each starts at,
// and its cell and cell line. A declaration is one run; a step gathering several cells has
// one a cell segment.
func (s Span) runs() []Span {
	if s.step == nil || len(s.step.Lines) == 0 {
		return []Span{s}
	}
	out := make([]Span, 0, len(s.step.Lines))
	for _, l := range s.step.Lines {
		if s.Start+l.Offset > s.End {
			break
		}
		out = append(out, Span{Start: s.Start + l.Offset, End: s.End, Cell: l.Cell, CellLine: l.Line, What: s.What})
	}
	return out
}

// Locate maps a generated file and line back to the notebook: cell index and cell line.
func (o *Output) Locate(file string, line int) (cell, cellLine int, what string, ok bool) {
	for _, s := range o.Spans[file] {
		if line >= s.Start && line <= s.End {
			cell, cellLine = s.at(line)
			return cell, cellLine, s.What, true
		}
	}
	// A line in a doc comment (a //go:embed directive, say) belongs to the declaration that
	// follows it: report the declaration's first line.
	for _, s := range o.Spans[file] {
		if s.Start > line && s.Start-line <= 12 {
			return s.Cell, s.CellLine, s.What, true
		}
	}
	return 0, 0, "", false
}

// GoVersion is the go directive of emitted modules.
const GoVersion = "1.26"

// Render produces the service repository's files. Nothing is written; the one note it adds to
// the plan's decisions is which names goimports had to resolve from the module cache.
func (p *Plan) Render() (*Output, error) {
	out := &Output{Files: map[string][]byte{}, Exec: map[string]bool{}, Spans: map[string][]Span{}}
	pkg := p.Slug
	for _, sec := range []Section{Preparation, Processing, Calculation} {
		name := pkg + "/" + sec.File()
		var decls []*Decl
		for _, d := range p.Decls {
			if d.Kept && d.Section == sec {
				decls = append(decls, d)
			}
		}
		src, err := p.renderDecls(name, sec, decls, false)
		if err != nil {
			return nil, err
		}
		out.addFormatted(name, src)
	}
	var tests []*Decl
	for _, d := range p.Decls {
		if d.Kept && d.Section == Test {
			tests = append(tests, d)
		}
	}
	if len(tests) > 0 {
		name := pkg + "/" + pkg + "_test.go"
		src, err := p.renderDecls(name, Test, tests, true)
		if err != nil {
			return nil, err
		}
		out.addFormatted(name, src)
	}
	pipe, err := p.renderPipeline()
	if err != nil {
		return nil, err
	}
	out.addFormatted(pkg+"/pipeline.go", pipe)
	if err := out.addGo(pkg+"/pipeline_test.go", p.renderPipelineTest()); err != nil {
		return nil, err
	}
	if len(p.Trained) == 0 {
		if err := out.addGo("cmd/"+pkg+"/main.go", p.renderBatch()); err != nil {
			return nil, err
		}
	} else {
		for name, src := range map[string][]byte{
			"cmd/" + pkg + "/main.go":            p.renderBatchTrain(),
			"cmd/" + pkg + "/main_test.go":       p.renderBatchTrainTest(),
			pkg + "/trained.go":                  p.renderTrained(),
			pkg + "/trained_test.go":             p.renderTrainedTest(),
			"internal/artifact/artifact.go":      p.renderArtifactPkg(),
			"internal/artifact/artifact_test.go": []byte(artifactTestSrc),
		} {
			if err := out.addGo(name, src); err != nil {
				return nil, err
			}
		}
		for name, src := range driverFiles() {
			if err := out.addGo(name, src); err != nil {
				return nil, err
			}
		}
	}
	if len(p.Routes) > 0 {
		api, err := httpapi.Render(p.apiSpec())
		if err != nil {
			return nil, fmt.Errorf("rendering the HTTP API: %w", err)
		}
		for name, data := range api {
			out.Files[name] = data
		}
	}
	if len(p.Routes) > 0 {
		for name, data := range p.deployFiles() {
			if strings.HasSuffix(name, ".go") {
				if err := out.addGo(name, data); err != nil {
					return nil, err
				}
				continue
			}
			out.Files[name] = data
		}
	}
	for _, a := range p.Assets {
		out.Files[pkg+"/"+a.Path] = a.Data
	}
	if len(p.Assets) > 0 && len(p.Routes) > 0 {
		if err := out.addGo("cmd/server/data_test.go", p.renderServerDataTest()); err != nil {
			return nil, err
		}
	}
	for _, sh := range p.Shell {
		if sh.Script != "" {
			out.Files[sh.Script] = []byte(sh.Body)
			out.Exec[sh.Script] = true
		}
	}
	if err := p.renderWasm(out); err != nil {
		return nil, err
	}
	out.Files["go.mod"] = p.renderGoMod()
	out.Files["Makefile"] = p.renderMakefile()
	out.Files[".gitignore"] = []byte("/bin/\n/model/\n*.test\n*.out\n")
	if len(p.wasmPrograms()) > 0 {
		out.Files[".gitignore"] = append(out.Files[".gitignore"], "/"+wasmDir+"/*.wasm\n/"+wasmDir+"/wasm_exec.js\n"...)
	}
	p.locateSpans(out, p.origins(out.Files))
	out.Files[manifest.Path] = p.renderManifest(out)
	out.Files["README.md"] = p.renderReadme(out)
	return out, nil
}

// noteRE matches a provenance note and captures its cell. Notes written before they dropped
// the cell line ("cell 14, line 30.") still match.
var noteRE = regexp.MustCompile(`(?m)^(?:\s*//)? ?From .+, cell (\d+)(?:, line \d+)?\.\s*$`)

// note is the one-line provenance note each declaration carries. It names the notebook and the
// cell, not the declaration's line in the cell: an edit that changes the length of one
// declaration must not change the notes of those after it, or extracting a notebook that sync
// updated would not give back the service's files. The exact spans live in the manifest and
// the README's cell map.
func (p *Plan) note(cell int) string {
	return fmt.Sprintf("From %s, cell %d.", p.Notebook, cell)
}

// docWithNote adds the provenance note to a doc comment, before any trailing directives.
func docWithNote(doc, note string) string {
	if doc == "" {
		return "// " + note
	}
	if strings.HasPrefix(doc, "/*") {
		return doc + "\n//\n// " + note
	}
	lines := strings.Split(doc, "\n")
	i := len(lines)
	for i > 0 && isDirective(strings.TrimSpace(lines[i-1])) {
		i--
	}
	head := append([]string{}, lines[:i]...)
	if len(head) > 0 {
		head = append(head, "//")
	}
	head = append(head, "// "+note)
	return strings.Join(append(head, lines[i:]...), "\n")
}

func isDirective(l string) bool {
	return strings.HasPrefix(l, "//go:") || strings.HasPrefix(l, "//line ") || strings.HasPrefix(l, "//decant:") ||
		strings.HasPrefix(l, "//export ") || strings.HasPrefix(l, "//nolint")
}

var sectionDoc = map[Section]string{
	Preparation: "This file holds the notebook's preparation code: I/O such as databases, files, network and configuration.",
	Processing:  "This file holds the notebook's pre- and post-processing code.",
	Calculation: "This file holds the notebook's calculation code: training, scoring and prediction.",
	Test:        "This file holds the notebook's tests.",
}

func (p *Plan) renderDecls(name string, sec Section, decls []*Decl, test bool) ([]byte, error) {
	header := fmt.Sprintf("// %s\n\npackage %s\n\n", sectionDoc[sec], p.Slug)
	cells := map[int]bool{}
	var body strings.Builder
	for _, d := range decls {
		cells[d.Cell] = true
		body.WriteString(docWithNote(d.doc, p.note(d.Cell)))
		body.WriteString("\n")
		body.WriteString(d.code)
		body.WriteString("\n\n")
	}
	cands, forced := p.fileImports(cells, false)
	return p.assemble(name, header, body.String(), cands, forced, p.localNames(), !p.noModuleSearch)
}

func (p *Plan) renderPipeline() ([]byte, error) {
	var head strings.Builder
	fmt.Fprintf(&head, "// Package %s is the service extracted from the notebook %s.\n//\n", p.Slug, p.Notebook)
	head.WriteString("// Run replays the notebook's %% cells in notebook order; preparation.go, preprocessing.go and\n")
	head.WriteString("// prediction.go hold the declarations of the notebook's three sections.\n")
	fmt.Fprintf(&head, "package %s\n\n", p.Slug)
	var kept []*Step
	cells := map[int]bool{}
	for _, st := range p.Steps {
		if st.Kept {
			kept = append(kept, st)
			cells[st.Cell] = true
		}
	}
	var sb strings.Builder
	for _, st := range kept {
		fmt.Fprintf(&sb, "// %s runs the %%%% body of the notebook's %s section.\n//\n// %s\n", st.Name, st.Section, p.note(st.Cell))
		fmt.Fprintf(&sb, "func %s() {\n%s\n}\n\n", st.Name, st.Body)
	}
	withArgs := false
	for _, st := range kept {
		withArgs = withArgs || len(st.Args) > 0
	}
	if withArgs {
		// %% lines with arguments (%% --max_len=200, %% -set="batch_size=17"): GoNB ran
		// those cells as programs with those arguments. The batch command applies them.
		sb.WriteString("// StepArgs are the program arguments the notebook's %% lines gave each step. The batch\n")
		sb.WriteString("// command sets its flags from them before the step runs, as GoNB did for the cell.\n")
		sb.WriteString("var StepArgs = map[string][]string{\n")
		for _, st := range kept {
			if len(st.Args) > 0 {
				fmt.Fprintf(&sb, "\t%q: {", st.Name)
				for i, a := range st.Args {
					if i > 0 {
						sb.WriteString(", ")
					}
					fmt.Fprintf(&sb, "%q", a)
				}
				sb.WriteString("},\n")
			}
		}
		sb.WriteString("}\n\n")
		sb.WriteString("// BeforeStep, if set, runs before each step with the step's name.\nvar BeforeStep func(step string)\n\n")
		sb.WriteString("func before(step string) {\n\tif BeforeStep != nil {\n\t\tBeforeStep(step)\n\t}\n}\n\n")
	}
	sb.WriteString("// Run runs the notebook's %% cells in notebook order.\nfunc Run() {\n")
	for _, f := range p.RunFirst {
		fmt.Fprintf(&sb, "\t%s()\n", f)
	}
	for _, st := range kept {
		if withArgs {
			fmt.Fprintf(&sb, "\tbefore(%q)\n", st.Name)
		}
		fmt.Fprintf(&sb, "\t%s()\n", st.Name)
	}
	sb.WriteString("}\n")
	cands, forced := p.fileImports(cells, true)
	return p.assemble(p.Slug+"/pipeline.go", head.String(), sb.String(), cands, forced, p.localNames(), !p.noModuleSearch)
}

func (p *Plan) renderPipelineTest() []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "package %s\n\nimport (\n\t\"io\"\n\t\"os\"\n\t\"strings\"\n\t\"testing\"\n)\n\n", p.Slug)
	sb.WriteString("// TestRun replays the notebook's pipeline end to end: every %% cell must run without panicking.\n")
	sb.WriteString("func TestRun(t *testing.T) {\n\tif testing.Short() {\n\t\tt.Skip(\"replays the whole notebook\")\n\t}\n")
	if len(p.ShellFiles) > 0 {
		sb.WriteString("\trequireShellFiles(t)\n")
	}
	withArgs := false
	for _, st := range p.Steps {
		withArgs = withArgs || st.Kept && len(st.Args) > 0
	}
	p.renderReplay(&sb)

	fmt.Fprintf(&sb, "// TestNotebookOutputs is a golden test: each %%%% cell, run as its pipeline step, must print what\n// the cell printed when %s was last run.\n", p.Notebook)
	sb.WriteString("func TestNotebookOutputs(t *testing.T) {\n\tif testing.Short() {\n\t\tt.Skip(\"replays the whole notebook\")\n\t}\n")
	if reason := p.goldenBlocker(); reason == "" && len(p.ShellFiles) > 0 {
		sb.WriteString("\trequireShellFiles(t)\n")
	}
	if reason := p.goldenBlocker(); reason != "" {
		fmt.Fprintf(&sb, "\tt.Skip(%q)\n}\n\n", reason)
	} else {
		sb.WriteString("\tcheckNotebookOutputs(t)\n}\n\n")
		sb.WriteString("// checkNotebookOutputs runs each %% cell that has saved output as its pipeline step and compares.\n")
		sb.WriteString("func checkNotebookOutputs(t *testing.T) {\n\tt.Helper()\n")
		sb.WriteString("\tfor _, c := range []struct {\n\t\tname       string\n\t\tcell, line int\n\t\trun        func()\n\t\twant       string\n\t}{\n")
		n := 0
		for _, st := range p.Steps {
			if st.Kept && st.Golden {
				fmt.Fprintf(&sb, "\t\t{%q, %d, %d, %s, %s},\n", st.Name, st.Cell, st.Line, st.Name, strconv.Quote(st.Saved))
				n++
			}
		}
		sb.WriteString("\t} {\n\t\tt.Run(c.name, func(t *testing.T) {\n\t\t\treplayStep(t, c.name, c.cell, c.line)\n\t\t\tgot := captureStdout(t, c.run)\n")
		sb.WriteString("\t\t\tif got != c.want {\n\t\t\t\tt.Errorf(\"cell %d: the step printed something else than the notebook's saved output%s\", c.cell, firstDifference(got, c.want))\n\t\t\t}\n\t\t})\n\t}\n")
		if n == 0 {
			sb.WriteString("\tt.Log(\"no cell has saved output to compare\")\n")
		}
		sb.WriteString("}\n\n")
	}
	lazies := 0
	for _, d := range p.Decls {
		if !d.Kept || d.lazyInit == "" || d.notReproducible != "" {
			continue
		}
		lazies++
		name := d.Names[0]
		fmt.Fprintf(&sb, "// Test%sReproducible computes %s twice: a model or table the service serves must not\n// depend on randomness or state it does not control.\n", exportName(name), name)
		fmt.Fprintf(&sb, "func Test%sReproducible(t *testing.T) {\n\tif testing.Short() {\n\t\tt.Skip(\"computes %s twice\")\n\t}\n", exportName(name), name)
		fmt.Fprintf(&sb, "\ta := %s\n\tb := %s\n\tif !reflect.DeepEqual(a, b) {\n\t\tt.Fatalf(\"%s is not reproducible: two computations differ:\\n%%v\\n%%v\", a, b)\n\t}\n}\n\n", d.lazyInit, d.lazyInit, name)
	}
	if len(p.ShellFiles) > 0 {
		p.renderShellFileGuard(&sb)
	}
	sb.WriteString("// replayStep says on stderr which step runs, so that a step that ends the process (log.Fatal,\n")
	sb.WriteString("// os.Exit) is found by its cell")
	if withArgs {
		sb.WriteString(", and sets the flags from the arguments on the step's %% line:\n")
		sb.WriteString("// every other flag back to its default, as GoNB ran the cell.\n")
	} else {
		sb.WriteString(".\n")
	}
	sb.WriteString("func replayStep(t *testing.T, name string, cell, line int) {\n\tt.Helper()\n")
	sb.WriteString("\tfmt.Fprintf(os.Stderr, \"" + ReplayMarker + " %s (cell %d, line %d)\\n\", name, cell, line)\n")
	if withArgs {
		sb.WriteString(`	args := flag.NewFlagSet(name, flag.ContinueOnError)
	args.SetOutput(io.Discard)
	flag.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Name, "test.") {
			_ = f.Value.Set(f.DefValue)
			args.Var(f.Value, f.Name, f.Usage)
		}
	})
	if err := args.Parse(StepArgs[name]); err != nil {
		t.Fatalf("cell %d, line %d: the arguments on its %%%% line: %v", cell, line, err)
	}
`)
	} else {
		sb.WriteString("\t_ = name\n")
	}
	sb.WriteString("}\n\n")
	sb.WriteString(`// captureStdout runs f and returns what it printed to os.Stdout.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() {
		os.Stdout = old
	}()
	f()
	w.Close()
	os.Stdout = old
	return <-done
}

// firstDifference describes the first line where got and want differ.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "; first at line " + strconv.Itoa(i+1) + ":\n\tgot:  " + strconv.Quote(gl) + "\n\twant: " + strconv.Quote(wl)
		}
	}
	return ""
}
`)
	extra := "\t\"strconv\"\n"
	if lazies > 0 {
		extra = "\t\"reflect\"\n" + extra
	}
	if p.needsGonbTmpDir() {
		extra = "\t\"path/filepath\"\n" + extra
	}
	head := "\t\"fmt\"\n\t\"io\"\n"
	if withArgs {
		head = "\t\"flag\"\n" + head
	}
	return []byte(strings.Replace(sb.String(), "\t\"io\"\n", head+extra, 1))
}

// goldenBlocker says why the notebook's saved outputs cannot be compared with the steps', or "".
func (p *Plan) goldenBlocker() string {
	for _, d := range p.Decls {
		if d.Kept && d.Kind == "func" && (d.Key == "init" || strings.HasPrefix(d.Key, "init_")) {
			return "the notebook has init functions: GoNB ran them before every cell, so their output is in every cell's saved output"
		}
	}
	return ""
}

func (p *Plan) renderBatch() []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "// Command %s runs what the notebook %s ran, as a program.\n", p.Slug, p.Notebook)
	sb.WriteString("//\n// GoNB called flag.Parse before every cell, so flags the notebook declares work here too.\n")
	sb.WriteString("package main\n\nimport (\n\t\"flag\"\n\n")
	fmt.Fprintf(&sb, "\t%q\n)\n\n", p.Module+"/"+p.Slug)
	withArgs := false
	for _, st := range p.Steps {
		withArgs = withArgs || st.Kept && len(st.Args) > 0
	}
	if !withArgs {
		fmt.Fprintf(&sb, "func main() {\n\tflag.Parse()\n\t%s.Run()\n}\n", p.Slug)
		return []byte(sb.String())
	}
	sb.Reset()
	fmt.Fprintf(&sb, "// Command %s runs what the notebook %s ran, as a program.\n", p.Slug, p.Notebook)
	sb.WriteString("//\n// GoNB called flag.Parse before every cell, so flags the notebook declares work here too.\n")
	sb.WriteString("// Some cells ran with arguments on their %% line: before such a step, the flags are reset\n")
	sb.WriteString("// to their defaults and set from those arguments, as GoNB did; flags given on the command\n// line win.\n")
	sb.WriteString("package main\n\nimport (\n\t\"flag\"\n\t\"os\"\n\n")
	fmt.Fprintf(&sb, "\t%q\n)\n\n", p.Module+"/"+p.Slug)
	sb.WriteString("func main() {\n\tflag.Parse()\n")
	fmt.Fprintf(&sb, "\t%s.BeforeStep = func(step string) {\n", p.Slug)
	sb.WriteString("\t\tflag.VisitAll(func(f *flag.Flag) { _ = f.Value.Set(f.DefValue) })\n")
	fmt.Fprintf(&sb, "\t\t_ = flag.CommandLine.Parse(%s.StepArgs[step])\n", p.Slug)
	sb.WriteString("\t\t_ = flag.CommandLine.Parse(os.Args[1:])\n\t}\n")
	fmt.Fprintf(&sb, "\t%s.Run()\n}\n", p.Slug)
	return []byte(sb.String())
}

func (p *Plan) apiSpec() httpapi.Spec {
	spec := httpapi.Spec{
		Module:  p.Module,
		PkgPath: p.Module + "/" + p.Slug,
		PkgName: p.Slug,
		Title:   p.Slug + " API",
		Version: "0.1.0",
	}
	spec.Types = p.typeDefs()
	if len(p.Trained) > 0 {
		spec.Artifact = &httpapi.Artifact{Pkg: p.Module + "/internal/artifact", Batch: p.Slug}
	}
	for _, r := range p.Routes {
		hr := httpapi.Route{Func: r.Func, Method: r.Method, Path: r.Path, Doc: r.Doc}
		for _, prm := range r.Params {
			hr.Params = append(hr.Params, httpapi.Param{
				Name: prm.Name, GoType: prm.GoType, Kind: httpapi.KindOf(prm.GoType),
				Min: prm.Min, Max: prm.Max, Enum: prm.Enum, Example: prm.Example,
			})
		}
		for _, res := range r.Results {
			hr.Results = append(hr.Results, httpapi.Result{Name: res.Name, GoType: res.GoType, Kind: httpapi.KindOf(res.GoType)})
		}
		spec.Routes = append(spec.Routes, hr)
	}
	return spec
}

func (p *Plan) renderGoMod() []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "module %s\n\ngo %s\n", p.Module, GoVersion)
	pins := map[string]string{}
	for _, pin := range p.Pins {
		m, v, _ := strings.Cut(pin, "@")
		if v == "latest" || v == "" || strings.HasPrefix(v, "master") || strings.HasPrefix(v, "main") {
			continue
		}
		pins[m] = v
	}
	if len(pins) > 0 {
		mods := make([]string, 0, len(pins))
		for m := range pins {
			mods = append(mods, m)
		}
		sort.Strings(mods)
		sb.WriteString("\nrequire (\n")
		for _, m := range mods {
			fmt.Fprintf(&sb, "\t%s %s\n", m, pins[m])
		}
		sb.WriteString(")\n")
	}
	return []byte(sb.String())
}

func makeQuote(s string) string {
	return strings.ReplaceAll(s, "$", "$$")
}

func (p *Plan) renderMakefile() []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Makefile for the service extracted from %s.\n\n", p.Notebook)
	for _, kv := range p.Env {
		// ?=: the environment wins, as it does when Decant verifies the service.
		fmt.Fprintf(&sb, "export %s ?= %s\n", kv[0], makeQuote(kv[1]))
	}
	if len(p.GoFlags) > 0 {
		fmt.Fprintf(&sb, "export GOFLAGS := %s\n", makeQuote(strings.Join(p.GoFlags, " ")))
	}
	if p.needsGonbTmpDir() {
		sb.WriteString("# The code reads files that the notebook's !* lines wrote in GoNB's temporary module\n")
		sb.WriteString("# ($GONB_TMP_DIR); make setup runs those lines here, in the module root.\n")
		sb.WriteString("export GONB_TMP_DIR := $(CURDIR)\n")
	}
	if len(p.Env) > 0 || len(p.GoFlags) > 0 || p.needsGonbTmpDir() {
		sb.WriteString("\n")
	}
	fmt.Fprintf(&sb, "PKG := %s\nADDR ?= 127.0.0.1:8080\n", p.Slug)
	if len(p.Trained) > 0 {
		sb.WriteString("# Where train saves the artifact and the server loads it (file:///dir, s3://, gs://, azblob://).\n")
		sb.WriteString("MODEL_URL ?= $(CURDIR)/model\n")
		sb.WriteString("# Build tags of the cloud storage drivers to link (file:// is always linked):\n")
		sb.WriteString("# make build TAGS=s3, make image TAGS=\"s3 gcs\"; s3, gcs and azblob.\n")
		sb.WriteString("TAGS ?=\n")
	}
	sb.WriteString("\n# Static binaries: they run in the scratch image and on any Linux.\nexport CGO_ENABLED := 0\n\n")
	sb.WriteString(".PHONY: all build test vet run serve load setup")
	if len(p.Trained) > 0 {
		sb.WriteString(" train")
	}
	if len(p.Routes) > 0 {
		sb.WriteString(" image")
	}
	wasm := p.wasmMakefile()
	if wasm != "" {
		sb.WriteString(" wasm\n\nall: vet test build wasm\n\n")
	} else {
		sb.WriteString("\n\nall: vet test build\n\n")
	}
	tags := ""
	if len(p.Trained) > 0 {
		tags = " -tags '$(TAGS)'"
	}
	fmt.Fprintf(&sb, "build:\n\tgo build%s -trimpath -o bin/ ./...\n\n", tags)
	testArgs := ""
	if len(p.TestFlags) > 0 {
		testArgs = " -args " + makeQuote(strings.Join(p.TestFlags, " "))
	}
	fmt.Fprintf(&sb, "test:\n\tgo test%s ./...%s\n\n", tags, testArgs)
	fmt.Fprintf(&sb, "vet:\n\tgo vet%s ./...\n", tags)
	if wasm != "" {
		fmt.Fprintf(&sb, "\tGOOS=js GOARCH=wasm go vet ./%s/...\n", wasmDir)
	}
	sb.WriteString("\tgofmt -l . | (! grep .)\n\n")
	sb.WriteString(wasm)
	sb.WriteString("# The notebook read its data files relative to its own folder; they ship in $(PKG)/.\n")
	fmt.Fprintf(&sb, "run:\n\tcd $(PKG) && go run%s ../cmd/$(PKG)\n\n", tags)
	if len(p.Trained) > 0 {
		sb.WriteString("# Train the model from the data and save a new artifact version at $(MODEL_URL).\n")
		sb.WriteString("train:\n\tcd $(PKG) && go run -tags '$(TAGS)' ../cmd/$(PKG) train -model-url $(MODEL_URL)\n\n")
		sb.WriteString("# Serve the API from the artifact at $(MODEL_URL) (run make train first).\n")
		sb.WriteString("serve:\n\tgo run -tags '$(TAGS)' ./cmd/server -addr $(ADDR) -model-url $(MODEL_URL)\n\n")
	} else {
		sb.WriteString("serve:\n\tcd $(PKG) && go run ../cmd/server -addr $(ADDR)\n\n")
	}
	if len(p.Routes) > 0 {
		sb.WriteString("# The OCI image, without Docker: bin/image (OCI layout) and bin/image.tar (oci-archive).\n")
		sb.WriteString("# Inspect it with skopeo inspect oci-archive:bin/image.tar; push it with skopeo copy or crane.\n")
		fmt.Fprintf(&sb, "image:\n\tGOOS=linux go build%s -trimpath -ldflags='-s -w' -o bin/linux/ ./cmd/server ./cmd/$(PKG)\n\tgo run ./cmd/image -bin bin/linux -out bin/image\n\n", tags)
	}
	if len(p.Routes) > 0 {
		sb.WriteString("# Load-test the API with decant (github.com/decant-go/decant): the first run records a\n")
		sb.WriteString("# latency baseline, later runs fail on a regression. Commit the baseline.\n")
		sb.WriteString("load:\n\tdecant load --repo . --baseline .decant/load-baseline.json\n\n")
	}
	sb.WriteString("# Shell steps the notebook ran. Review them: the service does not need them to run.\n")
	sb.WriteString("setup:\n")
	if len(p.ModEdits) == 0 && len(p.Shell) == 0 {
		sb.WriteString("\t@true\n")
	}
	for _, sh := range p.setupSteps() {
		fmt.Fprintf(&sb, "\t# cell %d, line %d\n\t%s\n", sh.Cell, sh.Line, makeQuote(sh.Command))
	}
	return []byte(sb.String())
}

// setupSteps are the go commands and other shell lines the notebook ran, in the notebook's
// order (cell, then line): a go mod edit may depend on a file an earlier line wrote, or a
// later line on the go.mod it edited.
func (p *Plan) setupSteps() []Shell {
	steps := append(slices.Clone(p.ModEdits), p.Shell...)
	slices.SortStableFunc(steps, func(a, b Shell) int {
		return cmp.Or(cmp.Compare(a.Cell, b.Cell), cmp.Compare(a.Line, b.Line))
	})
	return steps
}

// addGo formats a Go file and records where each declaration came from.
func (o *Output) addGo(name string, src []byte) error {
	formatted, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("formatting %s: %w\n%s", name, err, numbered(src))
	}
	o.addFormatted(name, formatted)
	return nil
}

func (o *Output) addFormatted(name string, src []byte) {
	o.Files[name] = src
	o.Spans[name] = spans(src)
}

func numbered(src []byte) string {
	var sb strings.Builder
	for i, l := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&sb, "%4d  %s\n", i+1, l)
	}
	return sb.String()
}

// spans finds each top-level declaration's provenance note and maps its lines to the cell. It
// reads the gofmt-formatted text line by line rather than parsing it again: a declaration
// starts at the first line after its doc comment and ends before the next one's doc comment.
func spans(src []byte) []Span {
	lines := strings.Split(string(src), "\n")
	isComment := func(l string) bool { return strings.HasPrefix(l, "//") }
	type decl struct {
		docStart, start int // 0-based line indexes
		cell            int
		what            string
		step            bool
	}
	var decls []decl
	for i := 0; i < len(lines); i++ {
		if !isComment(lines[i]) {
			continue
		}
		docStart := i
		for i < len(lines) && isComment(lines[i]) {
			i++
		}
		if i >= len(lines) || lines[i] == "" || strings.HasPrefix(lines[i], "package ") {
			continue // a floating comment or the package doc
		}
		doc := strings.Join(lines[docStart:i], "\n")
		m := noteRE.FindStringSubmatch(doc)
		if m == nil {
			continue
		}
		d := decl{docStart: docStart, start: i}
		d.cell, _ = strconv.Atoi(m[1])
		if rest, ok := strings.CutPrefix(lines[i], "func "); ok {
			if strings.HasPrefix(rest, "(") { // a method: skip the receiver
				if j := strings.Index(rest, ") "); j >= 0 {
					rest = rest[j+2:]
				}
			}
			name, _, _ := strings.Cut(rest, "(")
			name, _, _ = strings.Cut(name, "[")
			d.what = "func " + name
			d.step = strings.Contains(doc, "%% body")
		}
		decls = append(decls, d)
	}
	// A declaration ends before the next line at column 0 that starts a comment block or a
	// declaration; its own closing brace or parenthesis is at column 0 but starts neither.
	var bounds []int
	for i, l := range lines {
		startsDecl := strings.HasPrefix(l, "func ") || strings.HasPrefix(l, "var ") || strings.HasPrefix(l, "type ") ||
			strings.HasPrefix(l, "const ") || strings.HasPrefix(l, "import ")
		if startsDecl || isComment(l) && (i == 0 || !isComment(lines[i-1])) {
			bounds = append(bounds, i)
		}
	}
	out := make([]Span, 0, len(decls))
	for _, d := range decls {
		end := len(lines) - 1
		if k := sort.SearchInts(bounds, d.start+1); k < len(bounds) {
			end = bounds[k] - 1
		}
		for end > d.start && strings.TrimSpace(lines[end]) == "" {
			end--
		}
		start := d.start + 1 // 1-based
		if d.step {
			start++ // a step's body starts on the line after the func line
		}
		out = append(out, Span{Start: start, End: end + 1, Cell: d.cell, What: d.what, declLine: d.start + 1})
	}
	return out
}

func (p *Plan) places(o *Output) map[int][]string {
	places := map[int][]string{}
	o.eachRun(func(file string, s Span) {
		if p := fmt.Sprintf("%s:%d", file, s.Start); !slices.Contains(places[s.Cell], p) {
			places[s.Cell] = append(places[s.Cell], p)
		}
	})
	return places
}

// readmePlaces is places for the README: each place also names the cell line it starts at,
// which provenance notes leave out.
func (p *Plan) readmePlaces(o *Output) map[int][]string {
	places := map[int][]string{}
	o.eachRun(func(file string, s Span) {
		place := fmt.Sprintf("%s:%d", file, s.Start)
		if s.CellLine > 0 {
			place = fmt.Sprintf("%d → %s", s.CellLine, place)
		}
		places[s.Cell] = append(places[s.Cell], place)
	})
	return places
}

// eachRun calls f with every run of every span, files in name order.
func (o *Output) eachRun(f func(file string, s Span)) {
	for _, file := range slices.Sorted(maps.Keys(o.Spans)) {
		for _, span := range o.Spans[file] {
			for _, s := range span.runs() {
				f(file, s)
			}
		}
	}
}

func (p *Plan) renderManifest(o *Output) []byte {
	m := manifest.Manifest{Notebook: p.Notebook, SHA256: p.NotebookHash, Module: p.Module, Package: p.Slug}
	places := p.places(o)
	for _, c := range p.Cells {
		if c.Type != "code" {
			continue
		}
		m.Cells = append(m.Cells, manifest.Cell{Index: c.Index, ID: c.ID, Section: c.Section.String(), Label: c.Label, Skipped: c.Skipped, Places: places[c.Index]})
	}
	for _, r := range p.Routes {
		m.Routes = append(m.Routes, manifest.Route{Func: r.Func, Method: routeMethod(r), Path: routePath(r)})
	}
	for f := range o.Files {
		m.Files = append(m.Files, f)
	}
	m.Files = append(m.Files, manifest.Path, "README.md")
	sort.Strings(m.Files)
	m.Decls = p.manifestDecls(o)
	for _, n := range p.RunUnverified {
		m.RunUnverified = append(m.RunUnverified, manifest.RunNeed(n))
	}
	b, err := manifest.Encode(&m)
	if err != nil {
		panic(err) // the manifest holds only strings, ints and slices of them: encoding cannot fail
	}
	return b
}

// manifestDecls lists the declarations of the library files that carry a provenance note, as
// the files are now (after any refactoring), each with the cell declaration it came from.
func (p *Plan) manifestDecls(o *Output) []manifest.Decl {
	var out []manifest.Decl
	files := make([]string, 0, len(o.Files))
	for f := range o.Files {
		if strings.HasPrefix(f, p.Slug+"/") && strings.HasSuffix(f, ".go") && !strings.Contains(f[len(p.Slug)+1:], "/") || p.wasmProgramFile(f) != nil {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	cellDecls := map[int][]declspan.Decl{}
	cellOf := map[int]*CellPlan{}
	for i := range p.Cells {
		c := &p.Cells[i]
		cellOf[c.Index] = c
		if c.Type == "code" {
			cellDecls[c.Index], _ = declspan.Cell(c.src, c.label)
		}
	}
	origins := p.origins(o.Files)
	for _, f := range files {
		src := o.Files[f]
		decls, err := declspan.File(src)
		if err != nil {
			continue
		}
		for _, d := range decls {
			from := origins[fileLine{f, d.Line}].decl
			if from == nil {
				continue // no note, or a pipeline step
			}
			c := cellOf[from.Cell]
			if c == nil {
				continue
			}
			md := manifest.Decl{File: f, Key: d.Key, Line: d.DocLine, EndLine: strings.Count(string(src[:d.End]), "\n") + 1,
				Cell: from.Cell, CellID: c.ID, CellLine: from.Line, SourceKey: from.Key}
			for _, cd := range cellDecls[from.Cell] {
				if cd.Line == from.Line {
					md.SourceSHA256 = declspan.Hash(c.src[cd.Start:cd.End])
				}
			}
			out = append(out, md)
		}
		if w := p.wasmProgramFile(f); w != nil {
			// The program's func main is the %wasm cell's %% body (or its func main).
			c := cellOf[w.Cell]
			if c == nil {
				continue
			}
			body, ok := declspan.MainBody(src)
			cb, cok := declspan.CellMain(c.src, c.label)
			if ok && cok {
				out = append(out, manifest.Decl{File: f, Key: "main", Line: body.Line, EndLine: strings.Count(string(src[:body.End]), "\n") + 1,
					Cell: w.Cell, CellID: c.ID, CellLine: cb.Line, SourceKey: "main", SourceSHA256: declspan.Hash(c.src[cb.Start:cb.End])})
			}
		}
	}
	return out
}

// wasmProgramFile returns the %wasm cell whose browser program's source is file, or nil.
func (p *Plan) wasmProgramFile(file string) *WasmProgram {
	for _, w := range p.wasmPrograms() {
		if file == w.Dir+"/main.go" {
			return w
		}
	}
	return nil
}

func routeMethod(r Route) string {
	if r.Method != "" {
		return r.Method
	}
	for _, prm := range r.Params {
		if httpapi.KindOf(prm.GoType) == httpapi.JSON {
			return "POST"
		}
	}
	return "GET"
}

func routePath(r Route) string {
	if r.Path != "" {
		return r.Path
	}
	return httpapi.PathFor(r.Func)
}

func (p *Plan) renderReadme(o *Output) []byte {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# %s\n\n", p.Slug)
	fmt.Fprintf(&sb, "This service was extracted by Decant from the notebook `%s` (sha256 `%s`).\n", p.Notebook, short(p.NotebookHash))
	sb.WriteString("Edit it freely: it is ordinary Go code, and `decant extract` commits a new version to its own branch.\n\n")
	sb.WriteString("## Layout\n\n| path | what |\n|---|---|\n")
	fmt.Fprintf(&sb, "| `%s/preparation.go` | I/O: the notebook's preparation section |\n", p.Slug)
	fmt.Fprintf(&sb, "| `%s/preprocessing.go` | pre- and post-processing |\n", p.Slug)
	fmt.Fprintf(&sb, "| `%s/prediction.go` | calculation: training, scoring |\n", p.Slug)
	fmt.Fprintf(&sb, "| `%s/pipeline.go` | the notebook's %%%% cells as functions; `Run` composes them in notebook order |\n", p.Slug)
	fmt.Fprintf(&sb, "| `cmd/%s` | batch command: what the notebook did, as a program |\n", p.Slug)
	sb.WriteString("| `cmd/server` | the HTTP API |\n| `openapi.json` | routes, parameters and every response code |\n")
	if len(p.wasmPrograms()) > 0 {
		fmt.Fprintf(&sb, "| `%s/` | the %%wasm cells: browser programs (js/wasm) and the page that runs them |\n", wasmDir)
	}
	sb.WriteString("| `.decant/manifest.json` | provenance: cell → file:line |\n\n")
	sb.WriteString("## Run\n\n```sh\nmake test     # vet, tests\nmake run      # the batch command\nmake serve    # the API on 127.0.0.1:8080\n```\n\n")
	sb.WriteString(p.readmeRunUnverified())
	var withArgs []*Step
	for _, st := range p.Steps {
		if st.Kept && len(st.Args) > 0 {
			withArgs = append(withArgs, st)
		}
	}
	if len(withArgs) > 0 {
		sb.WriteString("### Step arguments\n\nThese cells ran with arguments on their `%%` line. The batch command sets its flags from them\n")
		sb.WriteString("before the step runs (after resetting them to their defaults, as each GoNB cell started afresh);\n")
		sb.WriteString("flags given on the command line win.\n\n| step | cell | arguments |\n|---|---|---|\n")
		for _, st := range withArgs {
			fmt.Fprintf(&sb, "| `%s` | %d | `%s` |\n", st.Name, st.Cell, strings.ReplaceAll(strings.Join(st.Args, " "), "|", "\\|"))
		}
		sb.WriteString("\n")
	}
	if len(p.Assets) > 0 {
		fmt.Fprintf(&sb, "The notebook read data files by relative path; they ship in `%s/`, and the Makefile runs the commands from there.\n\n", p.Slug)
	}
	if len(p.Routes) > 0 {
		sb.WriteString("## Call\n\n")
		for _, r := range p.Routes {
			method, rp := routeMethod(r), routePath(r)
			if method == "GET" {
				var q []string
				for _, prm := range r.Params {
					ex := prm.Example
					if ex == "" {
						ex = "..."
					}
					q = append(q, queryName(prm.Name)+"="+ex)
				}
				fmt.Fprintf(&sb, "```sh\ncurl '127.0.0.1:8080%s?%s'\n```\n\n", rp, strings.Join(q, "&"))
			} else {
				fmt.Fprintf(&sb, "```sh\ncurl -X POST 127.0.0.1:8080%s -d '{...}'\n```\n\n", rp)
			}
			fmt.Fprintf(&sb, "`%s` calls `%s.%s` (cell %d). Errors are JSON: `{\"error_message\": \"...\", \"result\": <code>}`.\n\n", rp, p.Slug, r.Func, r.Cell)
		}
	}
	if len(p.Routes) > 0 {
		sb.WriteString(p.readmeOperations(o))
	}
	sb.WriteString(p.wasmReadme())
	sb.WriteString("## Where each cell went\n\nEach declaration's doc comment names the cell it came from; this map gives the lines.\n\n")
	sb.WriteString("| cell | section | label | went to (cell line → file:line) |\n|---|---|---|---|\n")
	places := p.readmePlaces(o)
	for _, c := range p.Cells {
		if c.Type != "code" {
			continue
		}
		where := strings.Join(places[c.Index], ", ")
		if c.Skipped != "" {
			where = "skipped: " + c.Skipped
		} else if where == "" {
			where = "left out"
		}
		fmt.Fprintf(&sb, "| %d | %s | %s | %s |\n", c.Index, c.Section, strings.ReplaceAll(c.Label, "|", "\\|"), where)
	}
	sb.WriteString("\n## Notes from extraction\n\n")
	n := 0
	for _, d := range p.Decisions {
		if d.Action == "warning" || d.Action == "converted" || d.Action == "dropped" || d.Action == "left out" {
			fmt.Fprintf(&sb, "- cell %d: %s — %s: %s\n", d.Cell, d.Subject, d.Action, d.Reason)
			n++
		}
	}
	if n == 0 {
		sb.WriteString("None.\n")
	}
	return []byte(sb.String())
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

var _ = path.Base

// queryName is the query-string name of a parameter: snake_case of its Go name.
func queryName(name string) string {
	var sb strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				sb.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// renderServerDataTest runs the server's tests from the package directory, where the data files
// the notebook read by relative path ship; the notebook ran from its own folder the same way.
func (p *Plan) renderServerDataTest() []byte {
	return []byte(fmt.Sprintf(`package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the tests from ../../%[1]s, where the notebook's data files ship, as the notebook
// ran from its own folder.
func TestMain(m *testing.M) {
	if err := os.Chdir("../../%[1]s"); err != nil {
		fmt.Fprintln(os.Stderr, "changing to the data directory:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
`, p.Slug))
}

// Update folds changed files (from a refactoring) into out, and renders again the files that
// describe the others: the README's cell map and the manifest.
func (p *Plan) Update(out *Output, changed map[string][]byte) {
	for name, data := range changed {
		if strings.HasSuffix(name, ".go") {
			out.addFormatted(name, data)
		} else {
			out.Files[name] = data
		}
	}
	p.locateSpans(out, p.origins(out.Files))
	out.Files[manifest.Path] = p.renderManifest(out)
	out.Files["README.md"] = p.renderReadme(out)
}

func exportName(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// RenderTests renders the package's pipeline test again (after DropGolden) together with the
// README and manifest, updates out, and returns the changed files.
func (p *Plan) RenderTests(out *Output) (map[string][]byte, error) {
	name := p.Slug + "/pipeline_test.go"
	if err := out.addGo(name, p.renderPipelineTest()); err != nil {
		return nil, err
	}
	p.Update(out, nil)
	return map[string][]byte{name: out.Files[name], "README.md": out.Files["README.md"], ".decant/manifest.json": out.Files[manifest.Path]}, nil
}

// ReplayMarker starts the line the emitted tests print on stderr before each step they
// replay, followed by the step's name and "(cell N, line L)": a step that ends the process
// leaves no stack, and the last marker names its cell.
const ReplayMarker = "decant: replaying the step"

// renderReplay writes a TestRun body that runs every step except those using the notebook UI.
func (p *Plan) renderReplay(sb *strings.Builder) {
	sb.WriteString("\tcaptureStdout(t, func() {\n")
	for _, f := range p.RunFirst {
		fmt.Fprintf(sb, "\t\t%s()\n", f)
	}
	for _, st := range p.Steps {
		switch {
		case !st.Kept:
		case st.NotebookOnly:
			fmt.Fprintf(sb, "\t\t// %s uses the notebook UI (gonbui) and is not replayed.\n", st.Name)
		default:
			fmt.Fprintf(sb, "\t\treplayStep(t, %q, %d, %d)\n\t\t%s()\n", st.Name, st.Cell, st.Line, st.Name)
		}
	}
	sb.WriteString("\t})\n}\n\n")
}

// typeDefs returns the underlying type expression of each kept, non-generic named type, for
// the API document to describe JSON bodies field by field.
func (p *Plan) typeDefs() map[string]string {
	defs := map[string]string{}
	for _, d := range p.Decls {
		if !d.Kept || d.Kind != "type" {
			continue
		}
		src := "package p\n" + d.code
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
		if err != nil || len(f.Decls) != 1 {
			continue
		}
		g, ok := f.Decls[0].(*ast.GenDecl)
		if !ok || len(g.Specs) != 1 {
			continue
		}
		ts := g.Specs[0].(*ast.TypeSpec)
		if ts.TypeParams != nil || ts.Assign.IsValid() {
			continue
		}
		defs[ts.Name.Name] = src[ts.Type.Pos()-f.FileStart : ts.Type.End()-f.FileStart]
	}
	return defs
}
