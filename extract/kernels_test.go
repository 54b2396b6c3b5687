package extract

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// Notebooks written for gophernotes and lgo, minimized from their projects' examples: top-level
// statements become steps (cells that share variables run as one), declarations are kept,
// imports may appear in any cell, the last expression's value is printed, magics and shell
// lines are reported, and the plan says which kernel's semantics it applied.
func TestOtherKernels(t *testing.T) {
	for _, tc := range []struct {
		file, kernel string
		want         []string // in the rendered pipeline
		decisions    []string // in the report
	}{
		{"testdata/kernels/gophernotes.ipynb", KernelGophernotes,
			[]string{"jobs := []int{1, 2, 3}", "total += Square(j)", "fmt.Println(total)"},
			[]string{"cells 3, 4, 5 share them and run as one step", "!echo done", "gophernotes displayed the value"}},
		{"testdata/kernels/lgo.ipynb", KernelLgo,
			[]string{`fmt.Println("fib", n, "=", Fib(n))`, "fmt.Println(x * 2)", "_ctx.Display.HTML("},
			[]string{"lgo's notebook context", "lgo displayed the value"}},
		// _ctx passed as a value (lgo's interrupt example) still gets its stand-in.
		{"testdata/kernels/lgo_ctx_value.ipynb", KernelLgo,
			[]string{"req.WithContext(_ctx)", "var _ctx = lgoContext{"},
			[]string{"lgo's notebook context"}},
		// A function declared in a cell uses a top-level variable of the cell, which lgo keeps
		// global (lgo's interrupt example): it becomes a package-level variable.
		{"testdata/kernels/lgo_global.ipynb", KernelLgo,
			[]string{"var leaf = 0", "\tleaf = 0\n", "leaf++"},
			[]string{"lgo keeps top-level variables global"}},
		// gophernotes' display package and Display function (its Display example) get stand-ins.
		{"testdata/kernels/gophernotes_display.ipynb", KernelGophernotes,
			[]string{"var display = gophernotesDisplay{", "func Display(any) error", "Display(display.PNG(buf.Bytes()))",
				"SimpleRender() gophernotesMIMEMap", "display.MIMETypeHTML:"},
			[]string{"gophernotes' display package", "gophernotes' Display function"}},
		// A later cell declares a type again, differently (lgo's basics example): the cells
		// before it keep the first under a new name, and the later cell's p is a variable of
		// its own step.
		{"testdata/kernels/lgo_redeclared.ipynb", KernelLgo,
			[]string{"type personCell1 struct", "func (p *personCell1) Hello() string", `p := personCell1{"Alice", 12}`,
				"type person struct", `p := &person{Name: "Bob"}`},
			[]string{"lgo let cell 3 declare person again, differently; cells 1 to 2 used this declaration, so it is renamed personCell1"}},
		// A cell defines a top-level variable again and never uses err (its Display example).
		{"testdata/kernels/gophernotes_redefine.ipynb", KernelGophernotes,
			[]string{"x, err := strconv.Atoi(\"1\")", "x, err = strconv.Atoi(\"2\")", "_ = err // gophernotes keeps top-level variables"},
			[]string{"define a top-level variable again"}},
	} {
		t.Run(tc.kernel, func(t *testing.T) {
			_, plan, err := BuildFile(tc.file, Options{AutoLabel: true, NoModuleSearch: true})
			if err != nil {
				t.Fatal(err)
			}
			if plan.Kernel != tc.kernel {
				t.Errorf("plan.Kernel = %q, want %q", plan.Kernel, tc.kernel)
			}
			out, err := plan.Render()
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for name, data := range out.Files {
				if strings.HasSuffix(name, ".go") {
					all.Write(data)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(all.String(), w) {
					t.Errorf("generated code lacks %q:\n%s", w, all.String())
				}
			}
			var rep strings.Builder
			if err := plan.WriteReport(&rep); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rep.String(), "kernel "+tc.kernel+": its semantics applied") {
				t.Errorf("the report does not say which kernel's semantics applied:\n%s", rep.String())
			}
			for _, w := range tc.decisions {
				if !strings.Contains(rep.String(), w) {
					t.Errorf("the report lacks %q:\n%s", w, rep.String())
				}
			}
		})
	}
}

// Python and other kernels stay refused.
func TestKernelOfKeepsOthersRefused(t *testing.T) {
	if got := kernelOf("python3"); got != KernelGoNB {
		t.Errorf("kernelOf(python3) = %q", got)
	}
	for in, want := range map[string]string{"gophernotes": KernelGophernotes, "lgo": KernelLgo, "gonb": KernelGoNB} {
		if got := kernelOf(in); got != want {
			t.Errorf("kernelOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// splitTopLevel tells declarations from statements, including method declarations, function
// literals called at top level and var declarations with and without values.
func TestSplitTopLevel(t *testing.T) {
	src := "import \"fmt\"\n\ntype T struct{}\n\nfunc (T) M() {}\n\nfunc() { fmt.Println(1) }()\nvar z int\nvar y = 2\nconst c = 3\n%help\nfmt.Println(y, z)"
	sc := splitTopLevel(src)
	decls := strings.Join(sc.decls, "\n")
	stmts := strings.Join(sc.stmts, "\n")
	for _, d := range []string{"import \"fmt\"", "type T struct{}", "func (T) M() {}", "var z int", "const c = 3"} {
		if !strings.Contains(decls, d) {
			t.Errorf("%q not among the declarations:\n%s", d, decls)
		}
	}
	for _, s := range []string{"func() { fmt.Println(1) }()", "var y = 2", "fmt.Println(y, z)"} {
		if !strings.Contains(stmts, s) {
			t.Errorf("%q not among the statements:\n%s", s, stmts)
		}
	}
	if len(sc.commands) != 1 || sc.commands[0] != "%help" {
		t.Errorf("commands = %q", sc.commands)
	}
}

// A function declared without a body, as gophernotes' Display notebook lists the display
// package's API, is left out with a decision at its line; its doc comment goes with it, and
// functions with bodies, including one whose result is a struct type, stay.
func TestBodilessFunctionsLeftOut(t *testing.T) {
	src := "import \"image\"\n// in package \"display\"\nfunc JPEG([]byte) error\nfunc PNG(png []byte) (\n\tData,\n\terror)\nfunc Keep() struct{ x int } { return struct{ x int }{} }\nfmt.Println(Keep())"
	sc := splitTopLevel(src)
	decls := strings.Join(sc.decls, "\n")
	for _, gone := range []string{"JPEG", "PNG", "Data,", "in package"} {
		if strings.Contains(decls, gone) {
			t.Errorf("%q kept among the declarations:\n%s", gone, decls)
		}
	}
	if !strings.Contains(decls, "func Keep() struct{ x int } {") || !strings.Contains(decls, "import \"image\"") {
		t.Errorf("declarations lost:\n%s", decls)
	}
	if want := []bodilessFunc{{"JPEG", 3}, {"PNG", 4}}; !slices.Equal(sc.bodiless, want) {
		t.Errorf("bodiless = %v, want %v", sc.bodiless, want)
	}
	_, _, notes := translateCells(KernelGophernotes, []cellSource{{index: 5, source: src}})
	var dropped []string
	for _, d := range notes {
		if d.Action == "dropped" {
			dropped = append(dropped, fmt.Sprintf("cell %d, line %d: %s", d.Cell, d.Line, d.Subject))
		}
	}
	if want := []string{"cell 5, line 3: func JPEG", "cell 5, line 4: func PNG"}; !slices.Equal(dropped, want) {
		t.Errorf("dropped = %q, want %q", dropped, want)
	}
}

// A gophernotes step gathers the statements of the cells that share its variables and skips
// the declarations between them: a compile error in a later cell of the step, below a
// declaration, is reported against that cell and its own line, not the step's first cell.
func TestSharedStepLocatesCell(t *testing.T) {
	_, plan, err := BuildFile("testdata/kernels/gophernotes_steplines.ipynb", Options{AutoLabel: true, NoModuleSearch: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Render()
	if err != nil {
		t.Fatal(err)
	}
	// Lines of cell 2 (1-based): "total += 1" is 1, func Double 3-5, "total += Double(3)" 6,
	// the ill-typed var 7.
	want := map[string][2]int{
		"total := 0":               {1, 2},
		"total += 1":               {2, 1},
		"total += Double(3)":       {2, 6},
		"var label string = total": {2, 7},
		"fmt.Println(label)":       {2, 8},
		"func Double(n int) int {": {2, 3},
		"return 2 * n":             {2, 4},
	}
	var file string
	for name, data := range out.Files {
		if strings.HasSuffix(name, ".go") && strings.Contains(string(data), "var label string = total") {
			file = name
		}
	}
	if file == "" {
		t.Fatal("no generated file holds cell 2's statements")
	}
	for name, data := range out.Files {
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		for i, l := range strings.Split(string(data), "\n") {
			at, ok := want[strings.TrimSpace(l)]
			if !ok {
				continue
			}
			cell, line, _, ok := out.Locate(name, i+1)
			if !ok || cell != at[0] || line != at[1] {
				t.Errorf("%s:%d %q located at cell %d, line %d (%v), want cell %d, line %d", name, i+1, strings.TrimSpace(l), cell, line, ok, at[0], at[1])
			}
			delete(want, strings.TrimSpace(l))
		}
	}
	for l := range want {
		t.Errorf("no generated line %q", l)
	}
	if testing.Short() {
		return
	}
	// The compiler's own message, through Verify, names cell 2, line 7.
	found := false
	for _, p := range verifyFixture(t, out, VerifyOptions{NoTests: true}) {
		if p.Step == "build" && p.File == file && strings.Contains(p.Msg, "cannot use total") {
			found = true
			if p.Cell != 2 || p.CellLine != 7 {
				t.Errorf("build error located at cell %d, line %d, want cell 2, line 7: %s", p.Cell, p.CellLine, p)
			}
		}
	}
	if !found {
		t.Error("the build did not report the ill-typed var of cell 2")
	}
}

// A GoNB step is one run of its cell's lines below the %% line: it needs no line map, and a
// compile error in it is reported at its cell line.
func TestGoNBStepLocatesCell(t *testing.T) {
	ar := txtar.Parse([]byte("-- 0.md --\n# 1. Preparation\n-- 1.go --\nimport \"fmt\"\n\n// Half halves n.\nfunc Half(n int) int { return n / 2 }\n\n%%\nx := Half(4)\nvar s string = x\nfmt.Println(s)\n"))
	nb, raw := notebookFromArchive(t, "gonb-step", ar)
	plan, err := Build(nb, raw, Options{Slug: "svc", AutoLabel: true, NoModuleSearch: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range plan.Steps {
		if st.Lines != nil {
			t.Errorf("step %s has a line map %v; a GoNB step is one run of its cell", st.Name, st.Lines)
		}
	}
	if testing.Short() {
		return
	}
	found := false
	for _, p := range verifyFixture(t, out, VerifyOptions{NoTests: true}) {
		if p.Step == "build" && strings.Contains(p.Msg, "cannot use x") {
			found = true
			if p.Cell != 1 || p.CellLine != 8 {
				t.Errorf("build error located at cell %d, line %d, want cell 1, line 8: %s", p.Cell, p.CellLine, p)
			}
		}
	}
	if !found {
		t.Error("the build did not report the ill-typed var of cell 1")
	}
}

// lgo writes compile errors, panics and interrupts to stderr: such cells are skipped, saying
// what the saved output shows, before translation (a failed cell using an earlier cell's
// variable does not join its step); a cell that merely writes to stderr is kept; and
// --keep-failed keeps them all.
func TestLgoFailedCells(t *testing.T) {
	_, plan, err := BuildFile("testdata/kernels/lgo_failed.ipynb", Options{AutoLabel: true, NoModuleSearch: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Render()
	if err != nil {
		t.Fatal(err)
	}
	pipeline := string(out.Files["lgofailed/pipeline.go"])
	for _, w := range []string{`fmt.Fprintln(os.Stderr, "1 warning: slow")`, "fmt.Println(n)"} {
		if !strings.Contains(pipeline, w) {
			t.Errorf("the pipeline lacks %q:\n%s", w, pipeline)
		}
	}
	for _, w := range []string{"n++", `panic("die!")`, "<-c", "undefined"} {
		if strings.Contains(pipeline, w) {
			t.Errorf("the pipeline holds %q, from a cell that failed:\n%s", w, pipeline)
		}
	}
	var rep strings.Builder
	if err := plan.WriteReport(&rep); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`cell 2      cell: its saved outputs show a compile error ("3:1: expected operand, found '}'"), so lgo never ran it (use --keep-failed to keep it)`,
		`cell 3      cell: its saved outputs show a compile error ("2:10: undeclared name: undefined")`,
		`cell 4      cell: its saved outputs show a panic ("panic: die!"), so it did not run to its end in lgo`,
		`cell 5      cell: its saved outputs show an interrupt ("interrupted")`,
		`cell 6      cell: its saved outputs show an interrupt ("main routine canceled")`,
		"[4] code      skipped: saved outputs hold a panic",
	} {
		if !strings.Contains(rep.String(), w) {
			t.Errorf("the report lacks %q:\n%s", w, rep.String())
		}
	}
	if strings.Contains(rep.String(), "cell 7      cell:") {
		t.Errorf("a cell that writes to stderr was skipped:\n%s", rep.String())
	}
	// Kept, the compile error is the notebook's again.
	_, _, err = BuildFile("testdata/kernels/lgo_failed.ipynb", Options{AutoLabel: true, NoModuleSearch: true, KeepFailed: true})
	if err == nil || !strings.Contains(err.Error(), "cell 2, line 3") {
		t.Errorf("with KeepFailed: err = %v, want the syntax error of cell 2, line 3", err)
	}
}
