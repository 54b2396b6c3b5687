package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbcell"
	"github.com/decant-go/decant/notebooks/gonbmem"
)

// Options configures Build. The zero value works: the slug comes from the notebook's name.
type Options struct {
	// Slug names the package, its directory and the batch command. Default: from the notebook
	// file name ("Churn Model.ipynb" → "churnmodel").
	Slug string
	// Module is the module path of the service. Default: "example.com/<slug>".
	Module string
	// AutoLabel assigns sections to notebooks without labels, from headings and from what the
	// code does.
	AutoLabel bool
	// KeepFailed keeps cells whose saved outputs show a failed run, as the notebook's kernel
	// records one (see [notebooks.Notebook.Failed]). GoNB never memorized them, and lgo and
	// gophernotes never ran them to their end, so by default they are skipped.
	KeepFailed bool
	// ReadFile reads a file relative to the notebook's directory. Build uses it to find data
	// files the code names by relative path, so they can ship with the service. Nil: none are
	// looked up.
	ReadFile func(name string) ([]byte, error)
	// Skip lists cells (by index) to treat as //decant:skip.
	Skip []int
	// NoModuleSearch leaves names that neither the notebook's imports nor the standard library
	// resolve unresolved, instead of asking goimports to search the module cache (which GoNB
	// did, and which can take seconds on a large cache). The verify step then reports them.
	NoModuleSearch bool
}

// Plan is the outcome of Build: what goes where and why.
type Plan struct {
	Notebook     string     `json:"notebook"`
	NotebookHash string     `json:"notebook_sha256"`
	Slug         string     `json:"slug"`
	Module       string     `json:"module"`
	Cells        []CellPlan `json:"cells"`
	Decls        []*Decl    `json:"decls"`
	Steps        []*Step    `json:"steps"`
	Imports      []Import   `json:"imports"`
	Pins         []string   `json:"pins,omitempty"`      // module@version from !*go get lines
	ModEdits     []Shell    `json:"mod_edits,omitempty"` // other go / go mod commands, as Makefile steps
	Shell        []Shell    `json:"shell,omitempty"`     // shell lines and script cells
	// Cgo is set when verification found that a library the service uses builds only with
	// cgo: the README then says the binaries are not static.
	Cgo bool `json:"cgo,omitempty"`
	// RunUnverified is set when the service's full test (the replay of the notebook) failed
	// only for want of what this machine lacks at run time (see [ClassifyRunFailure]): the
	// service was verified with go test -short, and every report says what was not run.
	RunUnverified []RunNeed `json:"run_unverified,omitempty"`
	// ShellFiles are files the notebook's shell lines write and its kept code reads, and
	// RunFirst the init functions reading them that Run calls first (see shellfiles.go).
	ShellFiles []ShellFile `json:"shell_files,omitempty"`
	RunFirst   []string    `json:"run_first,omitempty"`
	// Wasm are the %wasm cells, each a browser program of its own (see wasm.go).
	Wasm      []*WasmProgram `json:"wasm,omitempty"`
	Env       [][2]string    `json:"env,omitempty"` // %env, in order
	GoFlags   []string       `json:"goflags,omitempty"`
	TestFlags []string       `json:"test_flags,omitempty"`
	Routes    []Route        `json:"routes"`
	Assets    []Asset        `json:"assets,omitempty"`
	Decisions []Decision     `json:"decisions"`
	// Trained are the values the batch command's train saves in the artifact, in notebook order.
	Trained     []TrainedValue `json:"trained,omitempty"`
	AutoLabeled bool           `json:"auto_labeled"`
	// Kernel is the Go kernel whose semantics were applied: gonb, gophernotes or lgo.
	Kernel string `json:"kernel"`

	cellImports    map[int][]Import  // explicit imports by cell
	importAt       map[string][2]int // import path → cell and line of its first import
	noModuleSearch bool
	modules        *ModuleContext // where names the notebook did not import are looked up first
}

// TrainedValue is a package variable whose initializer trains or loads: the artifact holds it.
type TrainedValue struct {
	Name string `json:"name"`
	Type string `json:"type"` // as written in the library package
	Cell int    `json:"cell"`
	Line int    `json:"line"`
}

// CellPlan records how one cell was read.
type CellPlan struct {
	Index   int      `json:"index"`
	ID      string   `json:"id,omitempty"`
	Type    string   `json:"type"`
	Section Section  `json:"section"`
	Label   string   `json:"label,omitempty"` // what labeled it
	Skipped string   `json:"skipped,omitempty"`
	Decls   []string `json:"decls,omitempty"`
	Step    string   `json:"step,omitempty"`
	Wasm    string   `json:"wasm,omitempty"` // the browser program a %wasm cell became

	src   string // the cell's source, for the manifest's declaration hashes
	label bool   // its first line is a section label, blanked before parsing
	// saved is what the cell's saved outputs say of its last run in the notebook, whatever
	// --keep-failed chose: the evidence that a step ran where the notebook ran (see runlib.go).
	saved savedRun
}

// savedRun is what a code cell's saved outputs say of its last run.
type savedRun struct {
	ran     bool   // it has an execution count and outputs
	failure string // what its outputs show failed, read the way its kernel records a failure; "" if none
}

// Decl is one top-level declaration as GoNB would memorize it.
type Decl struct {
	Key      string   `json:"key"`  // GoNB's memory key, except that methods strip type parameters
	Kind     string   `json:"kind"` // func, method, var, const, type
	Names    []string `json:"names"`
	Cell     int      `json:"cell"`
	CellID   string   `json:"cell_id,omitempty"`
	Line     int      `json:"line"`
	EndLine  int      `json:"end_line"`
	Section  Section  `json:"section"`
	Kept     bool     `json:"kept"`
	Reason   string   `json:"reason"`
	Uses     []string `json:"uses,omitempty"`
	Exported bool     `json:"exported"`

	text string // source text, doc comments and directives included
	doc  string // the doc comment, directives included ("" if none)
	code string // the declaration without its doc
	// lazyInit is the initializer of a variable made lazy, for its reproducibility test.
	lazyInit string
	// notReproducible says why the reproducibility test was dropped, when it was.
	notReproducible string
	fn              *ast.FuncDecl // for funcs: the syntax, for routes
	src             string        // the cell part the syntax points into
	base            int           // offset of src inside the parsed file
	order           int
	isTest          bool
}

// Text is the declaration's source as it will be emitted.
func (d *Decl) Text() string { return d.text }

// Step is a %% (or %main, %exec, func main) body: a statement list the notebook ran.
type Step struct {
	Name    string   `json:"name"`
	Cell    int      `json:"cell"`
	CellID  string   `json:"cell_id,omitempty"`
	Line    int      `json:"line"` // cell line of the first body line
	Section Section  `json:"section"`
	Kept    bool     `json:"kept"`
	Args    []string `json:"args,omitempty"`
	Uses    []string `json:"uses,omitempty"`
	Body    string   `json:"-"`
	// Lines maps the body's lines back to the notebook when they do not all come, in order,
	// from one run of Cell's lines: a gophernotes or lgo step gathers the statements of the
	// cells that share its variables, and skips the declarations between them. Empty when
	// body line k is line Line+k of Cell.
	Lines []StepLine `json:"lines,omitempty"`
	// Saved is what the cell printed to stdout when the notebook last ran, and HasSaved whether
	// it ran at all; the emitted golden test compares the step against it.
	Saved    string `json:"-"`
	HasSaved bool   `json:"-"`
	// NotebookOnly marks a step that uses GoNB's notebook UI (gonbui), which has nothing to
	// talk to outside the kernel: the emitted tests do not replay it.
	NotebookOnly bool `json:"notebook_only,omitempty"`
	// Golden says whether the emitted golden test compares this step's output, and NoGolden
	// why not when it has saved output.
	Golden   bool   `json:"golden"`
	NoGolden string `json:"no_golden,omitempty"`
	order    int
}

// StepLine starts a run of a step's body lines that come from one cell in order: body line
// Offset (0 for the first) is line Line of Cell, and each following line of the run the next
// cell line.
type StepLine struct {
	Offset int `json:"offset"`
	Cell   int `json:"cell"`
	Line   int `json:"line"`
}

// At returns the cell and cell line of the step's body line offset (0 for the first).
func (st *Step) At(offset int) (cell, line int) {
	cell, line = st.Cell, st.Line+offset
	for _, l := range st.Lines {
		if l.Offset > offset {
			break
		}
		cell, line = l.Cell, l.Line+offset-l.Offset
	}
	return cell, line
}

// Import is an explicit import of the notebook.
type Import struct {
	Name string `json:"name,omitempty"`
	Path string `json:"path"`
}

// Shell is a shell step the notebook ran, kept as a Makefile or script step.
type Shell struct {
	Cell    int    `json:"cell"`
	Line    int    `json:"line"`
	Command string `json:"command"`
	InTmp   bool   `json:"in_module_dir"`    // !* ran in GoNB's temp module: now the module root
	Script  string `json:"script,omitempty"` // for %%bash/%%sh/%%script cells: the file written
	Body    string `json:"-"`
}

// Asset is a data file the code names by a relative path, shipped next to the package.
type Asset struct {
	Path string `json:"path"`
	Cell int    `json:"cell"`
	Size int    `json:"size"`
	Data []byte `json:"-"`
}

// Decision is one line of the extraction report.
type Decision struct {
	Cell    int    `json:"cell"`
	Line    int    `json:"line,omitempty"`
	Subject string `json:"subject"`
	Action  string `json:"action"` // kept, moved, left out, skipped, replaced, converted, dropped, warning, labeled
	Reason  string `json:"reason"`
}

type builder struct {
	translated map[int]string     // gophernotes and lgo cells in GoNB's shape, by cell index
	lineFrom   map[int][]cellLine // where each line of a translated cell came from
	nb         *notebooks.Notebook
	opts       Options
	plan       *Plan
	file       string
	mem        gonbmem.Memory[*Decl] // what GoNB remembers: by key, last wins
	all        []*Decl               // every declaration seen, including replaced ones
	imports    map[string]Import     // by path
	order      int
}

// Build reads the notebook and decides what becomes the service. It does no I/O except through
// Options.ReadFile.
func Build(nb *notebooks.Notebook, raw []byte, opts Options) (*Plan, error) {
	b := &builder{
		nb:      nb,
		opts:    opts,
		file:    nb.Name,
		imports: map[string]Import{},
	}
	if err := b.checkKernel(); err != nil {
		return nil, err
	}
	slug := opts.Slug
	if slug == "" {
		slug = SlugFor(nb.Name)
	}
	if !token.IsIdentifier(slug) || token.IsKeyword(slug) {
		return nil, fmt.Errorf("slug %q is not a valid Go package name", slug)
	}
	for _, r := range slug {
		if r >= 0x80 || unicode.IsUpper(r) {
			return nil, fmt.Errorf("slug %q: a package name and directory must be lower-case ASCII (letters, digits)", slug)
		}
	}
	if reservedSlug(slug) || strings.HasPrefix(slug, "_") {
		return nil, fmt.Errorf("slug %q is a name the go command treats specially (main, init, vendor, testdata, cmd, or a leading _); choose another with --slug", slug)
	}
	for _, i := range opts.Skip {
		switch {
		case i < 0 || i >= len(nb.Cells):
			return nil, fmt.Errorf("%s: --skip %d: no such cell (the notebook has cells 0 to %d)", nb.Name, i, len(nb.Cells)-1)
		case nb.Cells[i].Type != "code":
			return nil, fmt.Errorf("%s: --skip %d: cell %d is a %s cell; only code cells are extracted, so only they can be skipped", nb.Name, i, i, nb.Cells[i].Type)
		}
	}
	mod := opts.Module
	if mod == "" {
		mod = "example.com/" + slug
	}
	sum := sha256.Sum256(raw)
	b.plan = &Plan{
		Notebook:     path.Base(strings.ReplaceAll(nb.Name, "\\", "/")),
		NotebookHash: hex.EncodeToString(sum[:]),
		Slug:         slug,
		Module:       mod,

		noModuleSearch: opts.NoModuleSearch,
	}
	b.plan.Kernel = kernelOf(nb.KernelName())
	if err := b.label(); err != nil {
		return nil, err
	}
	if b.plan.Kernel != KernelGoNB {
		// A cell that failed is left out before translation: its statements must not join
		// another cell's step.
		var srcs []cellSource
		for _, c := range b.nb.Cells {
			if _, failed := b.failed(c); c.Type == "code" && !failed {
				srcs = append(srcs, cellSource{c.Index, c.Source})
			}
		}
		var notes []Decision
		b.translated, b.lineFrom, notes = translateCells(b.plan.Kernel, srcs)
		b.plan.Decisions = append(b.plan.Decisions, notes...)
	}
	if err := b.readCells(); err != nil {
		return nil, err
	}
	if err := b.resolve(); err != nil {
		return nil, err
	}
	b.wasmPrograms()
	b.routes()
	b.noRoutes()
	b.assets()
	b.shellFiles()
	return b.plan, nil
}

func (b *builder) checkKernel() error {
	lang := strings.ToLower(b.nb.Language())
	kern := strings.ToLower(b.nb.KernelName())
	if lang == "go" || lang == "golang" || strings.Contains(kern, "gonb") || strings.Contains(kern, "decant") ||
		strings.Contains(kern, "gophernotes") || strings.Contains(kern, "lgo") {
		return nil
	}
	if lang == "" && kern == "" {
		return nil // no metadata: trust the user and let the Go parse decide
	}
	return &KernelError{File: b.file, Kernel: b.nb.KernelName(), Language: b.nb.Language()}
}

// SlugFor derives a package name from a notebook file name.
func SlugFor(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	base = strings.TrimSuffix(base, path.Ext(base))
	var sb strings.Builder
	for _, r := range strings.ToLower(base) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			sb.WriteRune(r)
		}
	}
	s := sb.String()
	if s == "" || !unicode.IsLetter(rune(s[0])) {
		s = "nb" + s
	}
	if reservedSlug(s) {
		s += "pkg"
	}
	return s
}

// reservedSlug reports names a service package cannot have: Go keywords, init and main (not
// importable), and directory names the go command treats specially (vendor and testdata are
// skipped by ./..., cmd holds the service's commands).
func reservedSlug(s string) bool {
	switch s {
	case "init", "main", "vendor", "testdata", "cmd":
		return true
	}
	return token.IsKeyword(s)
}

func (b *builder) decide(cell, line int, subject, action, reason string) {
	b.plan.Decisions = append(b.plan.Decisions, Decision{Cell: cell, Line: line, Subject: subject, Action: action, Reason: reason})
}

// label assigns a section to every cell.
func (b *builder) label() error {
	cur := Exploration
	curWhy := ""
	labeled := false
	var headings []string
	for _, c := range b.nb.Cells {
		cp := CellPlan{Index: c.Index, ID: c.ID, Type: c.Type, src: c.Source}
		if c.Type == "code" {
			_, ok, strip := commentLabel(c.Source)
			cp.label = ok && strip
		}
		switch c.Type {
		case "markdown":
			if sec, ok, h, hs := headingLabel(c.Source); ok {
				cur, curWhy, labeled = sec, fmt.Sprintf("heading %q in cell %d", h, c.Index), true
				cp.Section, cp.Label = sec, fmt.Sprintf("heading %q", h)
				b.decide(c.Index, 0, "section "+sec.String(), "labeled", fmt.Sprintf("markdown heading %q", h))
				headings = append(headings, hs...)
			} else {
				headings = append(headings, hs...)
			}
		case "code":
			sec, why := cur, curWhy
			if s, ok, t := tagLabel(c.Tags); ok {
				cur, curWhy, labeled = s, fmt.Sprintf("tag %q on cell %d", t, c.Index), true
				sec, why = s, fmt.Sprintf("tag %q", t)
				b.decide(c.Index, 0, "section "+s.String(), "labeled", why)
			} else if s, ok, _ := commentLabel(c.Source); ok {
				first, _, _ := strings.Cut(c.Source, "\n")
				cur, curWhy, labeled = s, fmt.Sprintf("comment %q in cell %d", strings.TrimSpace(first), c.Index), true
				sec, why = s, fmt.Sprintf("comment %q", strings.TrimSpace(first))
				b.decide(c.Index, 1, "section "+s.String(), "labeled", why)
			}
			if hasSkipMarker(c.Source) || slices.Contains(b.opts.Skip, c.Index) {
				sec, why = Exploration, "//decant:skip"
				b.decide(c.Index, 0, "cell", "skipped", "marked //decant:skip: kept out unless labeled code uses what it declares")
			}
			cp.Section, cp.Label = sec, why
		}
		b.plan.Cells = append(b.plan.Cells, cp)
	}
	if labeled {
		return nil
	}
	if !b.opts.AutoLabel {
		return &NoLabelsError{File: b.file, Headings: headings}
	}
	b.autoLabel()
	return nil
}

var ioPattern = regexp.MustCompile(`\b(os\.(Open|Create|ReadFile|WriteFile|ReadDir|Getenv|MkdirAll)|sql\.Open|http\.(Get|Post|NewRequest|Client)|bufio\.NewScanner|csv\.NewReader|io\.ReadAll|ioutil\.|\.Query\(|\.QueryRow\(|\.Exec\(|embed)\b`)
var calcPattern = regexp.MustCompile(`(?i)\b(train|predict|fit|model|score|regress|classif|probab|sigmoid|infer|evaluat|gradient|loss|weights?)\w*`)

// autoLabel assigns sections from what each cell does: I/O is preparation, training and
// prediction is calculation, other declarations are processing. Statement-only cells follow the
// section of the code they call.
func (b *builder) autoLabel() {
	b.plan.AutoLabeled = true
	for i, c := range b.nb.Cells {
		if c.Type != "code" || b.plan.Cells[i].Label == "//decant:skip" {
			continue
		}
		src := c.Source
		var sec Section
		var why string
		switch {
		case ioPattern.MatchString(src):
			sec, why = Preparation, "does I/O ("+ioPattern.FindString(src)+")"
		case calcPattern.MatchString(src):
			sec, why = Calculation, "computes ("+calcPattern.FindString(src)+")"
		default:
			sec, why = Processing, "declares or transforms data"
		}
		b.plan.Cells[i].Section = sec
		b.plan.Cells[i].Label = "auto: " + why
		b.decide(c.Index, 0, "section "+sec.String(), "labeled", "--auto-label: "+why)
	}
}

// readCells splits every code cell and collects declarations, steps and commands.
func (b *builder) readCells() error {
	lastCount := 0
	lastCell := -1
	for i, c := range b.nb.Cells {
		if c.Type != "code" {
			continue
		}
		cp := &b.plan.Cells[i]
		cp.saved.ran = c.ExecutionCount != nil && len(c.Outputs) > 0
		if f, failed := b.nb.Failed(c); failed {
			cp.saved.failure = f.String()
		}
		if c.ExecutionCount != nil {
			if *c.ExecutionCount < lastCount {
				b.decide(c.Index, 0, "execution order", "warning",
					fmt.Sprintf("execution count %d comes after %d in cell %d: the saved state came from another order than the notebook's; extraction follows notebook order", *c.ExecutionCount, lastCount, lastCell))
			}
			lastCount, lastCell = *c.ExecutionCount, c.Index
		}
		if f, failed := b.failed(c); failed {
			cp.Skipped = "saved outputs hold " + f.What
			b.decide(c.Index, 0, "cell", "skipped", fmt.Sprintf("its saved outputs show %s, so %s (use --keep-failed to keep it)", f, failedConsequence(b.plan.Kernel, f)))
			continue
		}
		src := c.Source
		if t, ok := b.translated[c.Index]; ok {
			src = t
		}
		if _, ok, strip := commentLabel(src); ok && strip {
			// "# 1. Preparation" is a label, not Go: blank it, keeping line numbers.
			_, rest, _ := strings.Cut(src, "\n")
			src = "\n" + rest
		}
		if strings.TrimSpace(src) == "" {
			continue
		}
		if pythonSetupCell(src) {
			cp.Skipped = "a setup cell for another kernel"
			b.decide(c.Index, 1, "cell", "skipped", "its lines are # comments and ! or % commands, as in a Colab cell that installs Go and GoNB with the Python kernel: it sets up the notebook, not the service")
			continue
		}
		cell, err := gonbcell.Split(src)
		if err != nil {
			var se *gonbcell.Error
			line := 0
			msg := err.Error()
			if asErr(err, &se) {
				line, msg = se.Line, se.Msg
			}
			return &CellError{File: b.file, Cell: c.Index, Line: line, Msg: msg}
		}
		for _, w := range cell.Warnings {
			b.decide(c.Index, w.Line, "cell", "warning", w.Msg)
		}
		if cell.Magic != nil {
			b.magic(c, cell.Magic)
			continue
		}
		if cell.Wasm {
			if err := b.wasmCell(c, cp, cell); err != nil {
				return err
			}
			continue
		}
		if cp.Label == "//decant:skip" {
			if len(cell.Commands) > 0 {
				b.decide(c.Index, 0, "commands", "dropped", "the cell is skipped, so its kernel and shell commands (including any go get pins) are too")
			}
		} else {
			b.commands(c, cell)
		}
		if err := b.goPart(c, cp, cell); err != nil {
			return err
		}
	}
	return nil
}

// failed reports whether a cell's saved outputs show a failed run, read the way its kernel
// records one, unless --keep-failed keeps such cells.
func (b *builder) failed(c *notebooks.Cell) (notebooks.Failure, bool) {
	if b.opts.KeepFailed || c.Type != "code" {
		return notebooks.Failure{}, false
	}
	return b.nb.Failed(c)
}

// failedConsequence says what the kernel made of a failed cell, for the report.
func failedConsequence(kernel string, f notebooks.Failure) string {
	switch {
	case kernel == KernelGoNB:
		return "GoNB never memorized its declarations"
	case f.What == "a compile error" || f.What == "a build error":
		return kernel + " never ran it"
	}
	return "it did not run to its end in " + kernel
}

func asErr(err error, target **gonbcell.Error) bool { return errors.As(err, target) }

func (b *builder) magic(c *notebooks.Cell, m *gonbcell.Magic) {
	switch m.Name {
	case "%%writefile":
		name := ""
		for _, a := range m.Args {
			if a != "-a" {
				name = a
			}
		}
		if strings.Contains(name, "GONB_TMP_DIR") {
			b.decide(c.Index, 1, m.Name+" "+name, "warning", "the path is inside GoNB's temporary module, which no longer exists")
		}
		if name == "" || path.IsAbs(name) || strings.HasPrefix(name, "~") || strings.Contains(name, "$") || strings.Contains(name, "..") {
			b.decide(c.Index, 1, m.Name+" "+name, "dropped", "only relative paths inside the notebook's folder become files of the service")
			return
		}
		b.plan.Assets = append(b.plan.Assets, Asset{Path: path.Clean(name), Cell: c.Index, Size: len(m.Body), Data: []byte(m.Body)})
		b.decide(c.Index, 1, m.Name+" "+name, "converted", "written as a file of the service")
	default:
		script := fmt.Sprintf("scripts/cell%d.sh", c.Index)
		interp := "bash"
		if m.Name == "%%sh" {
			interp = "sh"
		} else if m.Name == "%%script" && len(m.Args) > 0 {
			interp = strings.Join(m.Args, " ")
		}
		b.plan.Shell = append(b.plan.Shell, Shell{Cell: c.Index, Line: 1, Command: interp + " " + script, Script: script, Body: m.Body})
		b.decide(c.Index, 1, m.Name, "converted", fmt.Sprintf("shell cell becomes %s, run by `make setup`; it is not part of the Go service", script))
	}
}

var goGetPin = regexp.MustCompile(`^go\s+get\s+(.*)$`)

func (b *builder) commands(c *notebooks.Cell, cell *gonbcell.Cell) {
	for _, cmd := range cell.Commands {
		switch cmd.Name {
		case "!*":
			sh := strings.TrimSpace(cmd.Shell)
			if m := goGetPin.FindStringSubmatch(sh); m != nil {
				for _, f := range strings.Fields(m[1]) {
					if strings.HasPrefix(f, "-") {
						continue
					}
					if strings.Contains(f, "@") {
						b.plan.Pins = append(b.plan.Pins, f)
						b.decide(c.Index, cmd.Line, "!*"+sh, "converted", "pinned "+f+" in go.mod")
					} else {
						b.decide(c.Index, cmd.Line, "!*"+sh, "warning", f+" has no version: go mod tidy picks one")
					}
				}
				continue
			}
			if strings.HasPrefix(sh, "go ") {
				b.plan.ModEdits = append(b.plan.ModEdits, Shell{Cell: c.Index, Line: cmd.Line, Command: sh, InTmp: true})
				b.decide(c.Index, cmd.Line, "!*"+sh, "converted", "runs in the module root from `make setup`")
				if strings.Contains(sh, "-replace") || strings.Contains(sh, "go work") {
					b.decide(c.Index, cmd.Line, "!*"+sh, "warning", "replace and workspace paths are machine-specific")
				}
				continue
			}
			b.plan.Shell = append(b.plan.Shell, Shell{Cell: c.Index, Line: cmd.Line, Command: sh, InTmp: true})
			b.decide(c.Index, cmd.Line, "!*"+sh, "converted", "shell line becomes a `make setup` step run from the module root; the service itself does not run it")
		case "!":
			sh := strings.TrimSpace(cmd.Shell)
			b.plan.Shell = append(b.plan.Shell, Shell{Cell: c.Index, Line: cmd.Line, Command: sh})
			b.decide(c.Index, cmd.Line, "!"+sh, "converted", "shell line becomes a `make setup` step; the service itself does not run it")
		case "%env":
			kv := cmd.Args
			var k, v string
			if len(kv) == 1 {
				k, v, _ = strings.Cut(kv[0], "=")
			} else if len(kv) >= 2 {
				k, v = kv[0], strings.Join(kv[1:], " ")
			}
			if k != "" {
				b.plan.Env = append(b.plan.Env, [2]string{k, v})
				b.decide(c.Index, cmd.Line, cmd.Text, "converted", "exported by the Makefile")
			}
		case "%goflags":
			b.plan.GoFlags = append([]string(nil), cmd.Args...)
			b.decide(c.Index, cmd.Line, cmd.Text, "converted", "becomes GOFLAGS in the Makefile")
		case "%test":
			if len(cmd.Args) > 0 {
				b.plan.TestFlags = append([]string(nil), cmd.Args...)
			}
		case "%%", "%main", "%exec", "%args", "%autoget", "%noautoget", "%wasm":
			// handled with the Go part, or irrelevant outside the kernel
		case "%cd":
			b.decide(c.Index, cmd.Line, cmd.Text, "warning", "the notebook changed directory: relative paths in the code depended on it")
		default:
			b.decide(c.Index, cmd.Line, cmd.Text, "dropped", "kernel command with no meaning outside the notebook")
		}
	}
}

// filePrefix makes a cell part parse as a file. It takes a line of its own: on the part's
// first line it would capture a leading comment as its own, losing the doc of the first
// declaration. partLine maps a line of the parsed file back to the part.
const filePrefix = "package main\n"

func partLine(p gonbcell.Part, fileLine int) int { return p.FirstLine + fileLine - 2 }

// parsePart parses a part of a cell. Lines of the part keep their numbers: the package clause
// shares the first line.
func parsePart(fset *token.FileSet, name string, src string) (*ast.File, error) {
	return parser.ParseFile(fset, name, filePrefix+src, parser.ParseComments|parser.SkipObjectResolution)
}

func (b *builder) cellErr(c *notebooks.Cell, part gonbcell.Part, err error, what string) error {
	line := part.FirstLine
	msg := err.Error()
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		msg = list[0].Msg
		if list[0].Pos.Line > 0 {
			line = b.cellLine(c.Index, partLine(part, list[0].Pos.Line))
		}
	}
	if strings.Contains(msg, "expected declaration") {
		msg += " (a statement outside %%: GoNB runs statements only below a %% line)"
	}
	if strings.Contains(msg, "U+0023 '#'") {
		msg += " (a line starting with # is not Go: this cell looks written for another kernel)"
	}
	return &CellError{File: b.file, Cell: c.Index, Line: line, Msg: what + ": " + msg}
}

// unparsable handles a cell that is not valid Go: a cell the user skipped (//decant:skip or
// --skip) is left out whole, with the reason in the plan, since skipping is how a user sets
// aside a broken cell; any other such cell stops the extraction with err.
func (b *builder) unparsable(c *notebooks.Cell, cp *CellPlan, err error) error {
	if !hasSkipMarker(c.Source) && !slices.Contains(b.opts.Skip, c.Index) {
		return err
	}
	var ce *CellError
	line := 0
	if errors.As(err, &ce) {
		line = ce.Line
	}
	cp.Skipped = "not valid Go, and skipped"
	b.decide(c.Index, line, "cell", "left out", "skipped, and not valid Go ("+err.Error()+"): nothing of it is used")
	return nil
}

func (b *builder) goPart(c *notebooks.Cell, cp *CellPlan, cell *gonbcell.Cell) error {
	sec := cp.Section
	fset := token.NewFileSet()
	if !cell.Decls.Empty() {
		f, err := parsePart(fset, "decls", cell.Decls.Src)
		if err != nil {
			return b.unparsable(c, cp, b.cellErr(c, cell.Decls, err, "Go syntax error"))
		}
		if err := b.collect(c, cp, sec, cell, fset, f); err != nil {
			return err
		}
	}
	isTestCell := cell.Test
	if cell.Main != nil {
		body := cell.Main.Src
		// The body starts on the func line, line 2 of the file, as partLine expects.
		if _, err := parser.ParseFile(fset, "main", filePrefix+"func _(){"+body+"\n}", parser.ParseComments|parser.SkipObjectResolution); err != nil {
			return b.unparsable(c, cp, b.cellErr(c, *cell.Main, err, "Go syntax error in the %% body"))
		}
		b.addStep(c, cp, sec, body, cell.Main.FirstLine, cell.Args)
	} else if cell.Exec != nil {
		b.addStep(c, cp, sec, "\t"+cell.Exec.Func+"()\n", cell.MainLine, cell.Exec.Args)
	}
	if isTestCell {
		cp.Section = Test
		if sec == Exploration {
			cp.Section = Exploration
		}
	}
	return nil
}

func (b *builder) addStep(c *notebooks.Cell, cp *CellPlan, sec Section, body string, line int, args []string) {
	b.order++
	// Drop the blank lines GoNB's %% line and the cell's end leave, keeping line numbers true.
	for strings.HasPrefix(body, "\n") || strings.HasPrefix(body, "\r\n") {
		_, body, _ = strings.Cut(body, "\n")
		line++
	}
	body = strings.TrimRight(body, " \t\r\n")
	st := &Step{Cell: c.Index, CellID: c.ID, Line: line, Section: sec, Body: body, Args: args, order: b.order}
	if _, ok := b.lineFrom[c.Index]; ok {
		st.Line, st.Lines = b.stepLines(c.Index, line, strings.Count(body, "\n")+1)
	}
	st.Saved, st.HasSaved = savedStdout(c)
	b.plan.Steps = append(b.plan.Steps, st)
	cp.Step = "pending"
}

// stepLines maps n body lines starting at line of cell's translated source back to the cells
// they came from. A line translation added (a "// cell N" separator, the line that uses the
// variables a step leaves unused) continues the run before it: it holds nothing to report.
func (b *builder) stepLines(cell, line, n int) (int, []StepLine) {
	from := b.lineFrom[cell]
	var runs []StepLine
	for k := range n {
		o := cellLine{}
		if i := line + k - 1; i >= 0 && i < len(from) {
			o = from[i]
		}
		if o.Line == 0 {
			continue
		}
		if len(runs) == 0 || o.Cell != runs[len(runs)-1].Cell || o.Line != runs[len(runs)-1].Line+k-runs[len(runs)-1].Offset {
			runs = append(runs, StepLine{Offset: k, Cell: o.Cell, Line: o.Line})
		}
	}
	if len(runs) == 0 {
		return line, nil
	}
	if runs[0].Offset > 0 { // the body starts with an added line: it belongs to the first run
		runs[0].Line -= runs[0].Offset
		runs[0].Offset = 0
	}
	if len(runs) == 1 && runs[0].Cell == cell {
		return runs[0].Line, nil
	}
	return runs[0].Line, runs
}

// cellLine returns the line of the cell as the notebook wrote it for line of its source as
// translated from another kernel's semantics (the same line for a GoNB cell).
func (b *builder) cellLine(cell, line int) int {
	from, ok := b.lineFrom[cell]
	if !ok || line < 1 || line > len(from) || from[line-1].Line == 0 {
		return line
	}
	return from[line-1].Line
}

// collect turns a cell's declarations, enumerated and keyed by gonbmem as GoNB keys them,
// into the plan's declarations, and memorizes them as GoNB does.
func (b *builder) collect(c *notebooks.Cell, cp *CellPlan, sec Section, cell *gonbcell.Cell, fset *token.FileSet, f *ast.File) error {
	src := filePrefix + cell.Decls.Src
	tf := fset.File(f.Pos())
	off := func(p token.Pos) int { return tf.Offset(p) }
	lineOf := func(p token.Pos) int { return b.cellLine(c.Index, partLine(cell.Decls, tf.Line(p))) }
	text := func(start, end token.Pos) string { return src[off(start):off(end)] }
	docOf := func(cg *ast.CommentGroup) string {
		if cg == nil {
			return ""
		}
		return text(cg.Pos(), cg.End())
	}
	decls, imports := gonbmem.Decls(f, c.Index, lineOf)
	for _, imp := range imports {
		b.collectImport(c, Import{Path: imp.Path, Name: imp.Name}, lineOf(imp.Spec.Pos()))
	}
	for _, gd := range decls {
		var dd *Decl
		switch {
		case gd.Main():
			// A user main ran for that cell only (never memorized): it becomes a step.
			d := gd.Func
			body := src[off(d.Body.Lbrace)+1 : off(d.Body.Rbrace)]
			b.addStep(c, cp, sec, body, partLine(cell.Decls, tf.Line(d.Body.Lbrace)), cell.Args) // maps translated lines itself
			b.decide(c.Index, lineOf(d.Pos()), "func main", "converted", "GoNB ran it for this cell only; it becomes a pipeline step")
			continue
		case gd.Func != nil:
			dd = b.funcDecl(c, gd, src, text, lineOf)
		case gd.Kind == "const":
			// Whole blocks, so iota keeps its meaning.
			d := gd.Gen
			doc, code := docOf(d.Doc), text(d.Pos(), d.End())
			dd = &Decl{Kind: "const", Names: gd.Names, Key: gd.Key, Line: lineOf(d.Pos()), EndLine: lineOf(d.End()), doc: doc, code: code, text: joinDoc(doc, code)}
			dd.Exported = anyExported(gd.Names)
		default:
			dd = b.specDecl(c, gd, text, docOf, lineOf)
		}
		if err := b.add(c, cp, sec, cell, dd); err != nil {
			return err
		}
	}
	return nil
}

// collectImport records one import of a cell.
func (b *builder) collectImport(c *notebooks.Cell, imp Import, line int) {
	p := imp.Path
	if prev, ok := b.imports[p]; ok && prev.Name != imp.Name && prev.Name != "" && imp.Name != "" {
		b.decide(c.Index, line, "import "+p, "warning", fmt.Sprintf("imported as %s and as %s", prev.Name, imp.Name))
	}
	if _, ok := b.imports[p]; !ok || imp.Name != "" {
		b.imports[p] = imp
	}
	if b.plan.cellImports == nil {
		b.plan.cellImports = map[int][]Import{}
	}
	b.plan.cellImports[c.Index] = append(b.plan.cellImports[c.Index], imp)
	if _, ok := b.plan.importAt[p]; !ok {
		if b.plan.importAt == nil {
			b.plan.importAt = map[string][2]int{}
		}
		b.plan.importAt[p] = [2]int{c.Index, line}
	}
}

// funcDecl makes the plan's declaration of a func or method.
func (b *builder) funcDecl(c *notebooks.Cell, gd *gonbmem.Decl, src string, text func(token.Pos, token.Pos) string, lineOf func(token.Pos) int) *Decl {
	d := gd.Func
	doc := ""
	if d.Doc != nil {
		doc = text(d.Doc.Pos(), d.Doc.End())
	}
	start := d.Pos()
	name := d.Name.Name
	dd := &Decl{Kind: gd.Kind, Names: []string{name}, Key: gd.Key, Line: lineOf(d.Pos()), EndLine: lineOf(d.End()), fn: d, src: src, Exported: ast.IsExported(name) && gd.Kind == "func"}
	t := text(start, d.End())
	switch {
	case gd.Kind == "method":
	case strings.HasPrefix(name, "init_"):
		// GoNB renames init_* to init; so do we, keeping the original name in a comment.
		nameOff := len(text(start, d.Name.Pos()))
		t = t[:nameOff] + "init" + t[nameOff+len(name):]
		b.decide(c.Index, dd.Line, "func "+name, "converted", "emitted as func init (GoNB's rename); it runs once at program start, not on every cell")
	case name == "init":
		b.decide(c.Index, dd.Line, "func init", "warning", "in GoNB init ran on every cell; in the package it runs once, at import time")
	}
	dd.doc, dd.code = doc, t
	dd.text = joinDoc(doc, t)
	return dd
}

// specDecl makes the plan's declaration of one var or type spec.
func (b *builder) specDecl(c *notebooks.Cell, gd *gonbmem.Decl, text func(token.Pos, token.Pos) string, docOf func(*ast.CommentGroup) string, lineOf func(token.Pos) int) *Decl {
	d, s := gd.Gen, gd.Spec
	start := s.Pos()
	doc, end := gd.SpecExtent()
	if doc == nil && len(d.Specs) > 0 && d.Specs[0] == s && d.Doc != nil {
		doc = d.Doc
	}
	if !d.Lparen.IsValid() && d.Doc != nil {
		doc = d.Doc
	}
	docText := docOf(doc)
	code := d.Tok.String() + " " + text(start, end)
	dd := &Decl{Kind: gd.Kind, Names: gd.Names, Key: gd.Key, Line: lineOf(s.Pos()), EndLine: lineOf(end), doc: docText, code: code, text: joinDoc(docText, code)}
	dd.Exported = anyExported(gd.Names)
	if gd.Kind == "var" && len(gd.Names) > 1 {
		b.decide(c.Index, dd.Line, "var "+gd.Key, "kept", "declared together: redefining any of these names later replaces all of them, as in GoNB")
	}
	return dd
}

// add memorizes a declaration as GoNB does: the last definition wins, and a tuple var dies
// whole when any of its names is redefined. What it replaces is reported.
func (b *builder) add(c *notebooks.Cell, cp *CellPlan, sec Section, cell *gonbcell.Cell, d *Decl) error {
	d.Cell, d.CellID = c.Index, c.ID
	d.Section = sec
	b.order++
	d.order = b.order
	if d.Kind == "func" && isTestName(d.Names[0]) {
		d.isTest = true
	}
	if cell.Test && d.Kind == "func" {
		d.isTest = d.isTest || strings.HasPrefix(d.Names[0], "Test")
	}
	names := d.Names
	if d.Kind == "method" {
		names = nil
	}
	// The same identifier under another kind: GoNB keeps both and fails to build.
	for _, n := range names {
		if n == "_" {
			continue
		}
		if k, old, ok := b.mem.Owner(n); ok && k != d.Key && old.Kind != d.Kind {
			return &CellError{File: b.file, Cell: c.Index, Line: d.Line,
				Msg: fmt.Sprintf("%s %s redeclares the %s %s of cell %d; GoNB fails to build this too (\"%s redeclared\"): remove one of them", d.Kind, n, old.Kind, n, old.Cell, n)}
		}
	}
	for _, old := range b.mem.Add(d.Key, names, d) {
		old.Reason = fmt.Sprintf("replaced by cell %d, line %d (last definition wins)", c.Index, d.Line)
		subject := old.Kind + " " + old.Key
		if old.Key != d.Key {
			subject = old.Kind + " " + strings.Join(old.Names, ", ")
		}
		b.decide(old.Cell, old.Line, subject, "replaced", old.Reason)
	}
	b.all = append(b.all, d)
	cp.Decls = append(cp.Decls, d.Key)
	return nil
}

func anyExported(names []string) bool {
	for _, n := range names {
		if ast.IsExported(n) {
			return true
		}
	}
	return false
}

func isTestName(n string) bool {
	for _, p := range []string{"Test", "Benchmark", "Fuzz", "Example"} {
		if n == p || strings.HasPrefix(n, p) && len(n) > len(p) && !unicode.IsLower(rune(n[len(p)])) {
			return true
		}
	}
	return false
}

// sortedImports lists the notebook's explicit imports by path.
func (b *builder) sortedImports() []Import {
	out := make([]Import, 0, len(b.imports))
	for _, imp := range b.imports {
		out = append(out, imp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func joinDoc(doc, code string) string {
	if doc == "" {
		return code
	}
	return doc + "\n" + code
}

// savedStdout is the stdout a cell's saved outputs hold. A cell that never ran, that ran shell
// commands (their output mixes in), or whose outputs are not all streams has none to compare.
func savedStdout(c *notebooks.Cell) (string, bool) {
	if c.ExecutionCount == nil {
		return "", false
	}
	var sb strings.Builder
	for _, o := range c.Outputs {
		switch {
		case o.Type == "stream" && o.Name == "stdout":
			sb.WriteString(o.Text)
		case o.Type == "stream":
		default:
			return "", false
		}
	}
	for _, line := range strings.Split(c.Source, "\n") {
		l := strings.TrimPrefix(line, "//gonb:")
		if strings.HasPrefix(l, "!") {
			return "", false
		}
	}
	return sb.String(), true
}

// pythonSetupCell reports whether a cell holds only # comment lines and ! or % commands, with
// at least one of each: a cell written for Python's kernel (Colab's installation cells).
func pythonSetupCell(src string) bool {
	hash, cmd := false, false
	for _, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
		case strings.HasPrefix(t, "#"):
			hash = true
		case strings.HasPrefix(t, "!") || strings.HasPrefix(t, "%"):
			cmd = true
		default:
			return false
		}
	}
	return hash && cmd
}
