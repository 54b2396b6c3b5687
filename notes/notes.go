package notes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/decant-go/decant/extract"
	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/refactor/clone"
)

// Severity grades a smell. Severe smells fail Check.
type Severity int

const (
	Info Severity = iota
	Warning
	Severe
)

var severityNames = [...]string{"info", "warning", "severe"}

func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "unknown"
}

// MarshalText makes severities readable in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Kind names a kind of smell.
type Kind string

// The kinds of smell Analyze reports.
const (
	HardCodedPath  Kind = "hard-coded path"
	HardCodedURL   Kind = "hard-coded URL"
	DSN            Kind = "DSN"
	Credential     Kind = "credential"
	SelectStar     Kind = "SELECT *"
	PackageState   Kind = "package state"
	InitEffect     Kind = "init side effect"
	ShellCommand   Kind = "shell command"
	Redefinition   Kind = "redefinition"
	ErrorOutput    Kind = "error output"
	ExecutionOrder Kind = "execution order"
	Duplicate      Kind = "duplicate"
	SyntaxError    Kind = "syntax error"
)

// Smell is something a reviewer should look at, tied to a cell and line.
type Smell struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	Cell     int      `json:"cell"`
	Line     int      `json:"line,omitempty"` // 1-based cell line; 0 means the whole cell
	Message  string   `json:"message"`
	// Todo is the note Annotate writes above Line as "// TODO: <Todo>". Empty when the smell
	// cannot be annotated (command-only and magic cells, execution order, syntax errors).
	Todo string `json:"todo,omitempty"`
	// Noted reports that a TODO or FIXME note at that place already covers the smell.
	Noted bool `json:"noted,omitempty"`

	keywords []string // words a TODO must contain to cover the smell
}

// IO is one place where a cell reaches outside the program.
type IO struct {
	Kind   string `json:"kind"`             // database, file, stream, network, environment, process, shell
	Call   string `json:"call"`             // sql.Open, db.Query, os.Getenv, !pwd, %%writefile
	Target string `json:"target,omitempty"` // the literal argument: path, query, URL, variable
	Line   int    `json:"line"`
}

// Todo is a TODO, FIXME, XXX or HACK note found in a cell.
type Todo struct {
	Line int    `json:"line"`
	Tag  string `json:"tag"`
	Text string `json:"text"`
}

// Symbol is a declaration of a cell.
type Symbol struct {
	Kind string `json:"kind"` // func, method, var, const, type
	Name string `json:"name"` // GoNB's key: the name, or Recv~Method
	Line int    `json:"line"`
}

// Use is a notebook declaration, made in another cell, that a cell uses.
type Use struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Cell int    `json:"cell"`
}

// CellNotes are the notes on one cell.
type CellNotes struct {
	Index          int             `json:"index"`
	ID             string          `json:"id,omitempty"`
	Type           string          `json:"type"`
	Section        extract.Section `json:"section"`
	Role           string          `json:"role,omitempty"`
	Suggested      bool            `json:"suggested,omitempty"` // Section is a suggestion: the notebook has no labels
	Lines          int             `json:"lines"`               // non-blank lines
	ExecutionCount *int            `json:"execution_count,omitempty"`
	Declares       []Symbol        `json:"declares,omitempty"`
	Uses           []Use           `json:"uses,omitempty"`
	Packages       []string        `json:"packages,omitempty"`
	IO             []IO            `json:"io,omitempty"`
	Commands       []string        `json:"commands,omitempty"` // kernel commands and what they mean for the service
	Todos          []Todo          `json:"todos,omitempty"`
	Smells         []Smell         `json:"smells,omitempty"`
	Becomes        []string        `json:"becomes,omitempty"` // where its code goes in the service

	src     string // the source the notes were made from, so Annotate can refuse stale notes
	heading string // markdown cells: first heading
}

// SectionNotes sum up one section.
type SectionNotes struct {
	Section extract.Section `json:"section"`
	Cells   []int           `json:"cells"` // code cells
	Lines   int             `json:"lines"`
	Todos   int             `json:"todos"`
	Smells  int             `json:"smells"`
}

// Place is one copy of a duplicated block.
type Place struct {
	Cell      int    `json:"cell"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Func      string `json:"func,omitempty"` // enclosing function, "" for a %% body
}

// DuplicateBlock is a run of statements that appears in more than one place, equal up to the
// names of variables and the values of literals.
type DuplicateBlock struct {
	Statements int     `json:"statements"`
	Tokens     int     `json:"tokens"`
	Lines      int     `json:"lines"` // lines of the first copy
	Places     []Place `json:"places"`
}

// Notes are the reading notes of one notebook.
type Notes struct {
	Notebook string `json:"notebook"`
	// Labeled reports whether the notebook has section labels of its own. When it has none the
	// sections are suggestions (Suggested), from what each cell does.
	Labeled    bool             `json:"labeled"`
	Suggested  bool             `json:"suggested"`
	Cells      []CellNotes      `json:"cells"`
	Sections   []SectionNotes   `json:"sections"`
	Duplicates []DuplicateBlock `json:"duplicates"`
	// Plan is the extraction plan the notes were read against; nil when the notebook cannot be
	// planned (PlanError says why).
	Plan      *extract.Plan `json:"-"`
	PlanError string        `json:"plan_error,omitempty"`
}

// Analyze reads a notebook and returns its notes. raw is the notebook's file content (for the
// plan's hash). It fails only for notebooks that are not Go notebooks.
func Analyze(nb *notebooks.Notebook, raw []byte) (*Notes, error) {
	n := &Notes{Notebook: path.Base(strings.ReplaceAll(nb.Name, "\\", "/"))}
	n.Cells = make([]CellNotes, len(nb.Cells))
	for i, c := range nb.Cells {
		cn := &n.Cells[i]
		cn.Index, cn.ID, cn.Type, cn.src = c.Index, c.ID, c.Type, c.Source
		cn.Lines = nonBlankLines(c.Source)
		if c.Type == "code" {
			cn.ExecutionCount = c.ExecutionCount
		}
		if c.Type == "markdown" {
			cn.heading = firstHeading(c.Source)
		}
		cn.Todos = findTodos(c.Type, c.Source)
	}
	// The plan, the cell checks and the clone detector each read nb only and type-check on
	// their own, so they run side by side. The analyzer writes the cells' smells, I/O, uses,
	// packages, declarations and commands; the plan's side writes their sections and roles.
	clones := make(chan *Clones, 1)
	go func() { clones <- FindClones(nb, clone.Options{}) }()
	analyzed := make(chan struct{})
	go func() {
		defer close(analyzed)
		a := newAnalyzer(nb, n)
		a.clones = clones
		a.run()
	}()
	plan, err := extract.Build(nb, raw, extract.Options{})
	var nl *extract.NoLabelsError
	if errors.As(err, &nl) {
		n.Suggested = true
		plan, err = extract.Build(nb, raw, extract.Options{AutoLabel: true})
	} else if err == nil {
		n.Labeled = true
	}
	var ke *extract.KernelError
	if errors.As(err, &ke) {
		<-analyzed
		return nil, err
	}
	if err != nil {
		n.PlanError = err.Error()
		plan = nil
	}
	n.Plan = plan
	if plan != nil {
		n.roles(plan)
	} else {
		n.fallbackRoles(nb)
	}
	<-analyzed
	n.finish()
	return n, nil
}

// roles takes each cell's section and role from the plan.
func (n *Notes) roles(plan *extract.Plan) {
	for _, cp := range plan.Cells {
		if cp.Index < 0 || cp.Index >= len(n.Cells) {
			continue
		}
		cn := &n.Cells[cp.Index]
		cn.Section = cp.Section
		switch {
		case cn.Type != "code":
			if cp.Label != "" {
				cn.Role = "starts " + cp.Section.String() + " (" + cp.Label + ")"
			}
			continue
		case cp.Label == "//decant:skip":
			cn.Role = "exploration (marked //decant:skip)"
		case strings.HasPrefix(cp.Label, "auto: "):
			cn.Suggested = true
			cn.Role = "suggested " + cp.Section.String() + ": " + strings.TrimPrefix(cp.Label, "auto: ")
		case cp.Section == extract.Exploration:
			cn.Role = "exploration (before the first label)"
		case cp.Label != "":
			cn.Role = cp.Section.String() + " (" + cp.Label + ")"
		default:
			cn.Role = cp.Section.String()
		}
		if cp.Skipped != "" {
			cn.Role += "; skipped: " + cp.Skipped
		}
	}
	files := map[string]string{}
	for _, d := range plan.Decls {
		switch {
		case !d.Kept:
			files[fmt.Sprint(d.Cell, d.Key)] = "left out"
		case d.Section == extract.Test:
			files[fmt.Sprint(d.Cell, d.Key)] = plan.Slug + "_test.go"
		default:
			files[fmt.Sprint(d.Cell, d.Key)] = d.Section.File()
		}
	}
	for _, cp := range plan.Cells {
		if cp.Index < 0 || cp.Index >= len(n.Cells) {
			continue
		}
		byFile := map[string][]string{}
		for _, k := range cp.Decls {
			f, ok := files[fmt.Sprint(cp.Index, k)]
			if !ok {
				f = "replaced"
			}
			byFile[f] = append(byFile[f], strings.ReplaceAll(k, "~", "."))
		}
		var out []string
		for _, f := range sortedKeys(byFile) {
			out = append(out, f+": "+strings.Join(byFile[f], ", "))
		}
		if cp.Step != "" {
			out = append(out, "pipeline.go: step "+cp.Step+"()")
		}
		n.Cells[cp.Index].Becomes = out
	}
}

// fallbackRoles labels cells with extract's label rules when the notebook cannot be planned.
func (n *Notes) fallbackRoles(nb *notebooks.Notebook) {
	cur, why := extract.Exploration, ""
	for i, c := range nb.Cells {
		cn := &n.Cells[i]
		switch c.Type {
		case "markdown":
			if cn.heading != "" {
				if s, ok := extract.ParseLabel(cn.heading, false); ok {
					cur, why = s, fmt.Sprintf("heading %q in cell %d", cn.heading, i)
					n.Labeled = true
					cn.Section, cn.Role = s, "starts "+s.String()
				}
			}
		case "code":
			first, _, _ := strings.Cut(c.Source, "\n")
			first = strings.TrimSpace(first)
			if label, ok := labelComment(first); ok {
				cur, why = label, fmt.Sprintf("comment %q", first)
				n.Labeled = true
			}
			cn.Section = cur
			if cur == extract.Exploration {
				cn.Role = "exploration (before the first label)"
			} else {
				cn.Role = cur.String() + " (" + why + ")"
			}
		}
	}
}

// labelComment reads a first-line label comment, as extract does.
func labelComment(first string) (extract.Section, bool) {
	switch {
	case strings.HasPrefix(first, "//") && !strings.HasPrefix(first, "//gonb:") && !strings.HasPrefix(first, "//decant:"):
		return extract.ParseLabel(strings.TrimPrefix(first, "//"), true)
	case strings.HasPrefix(first, "#") && !strings.HasPrefix(first, "#!"):
		return extract.ParseLabel(strings.TrimLeft(first, "# "), true)
	}
	return extract.Exploration, false
}

// finish sorts smells and sums up sections.
func (n *Notes) finish() {
	by := map[extract.Section]*SectionNotes{}
	for i := range n.Cells {
		c := &n.Cells[i]
		sort.SliceStable(c.Smells, func(a, b int) bool {
			if c.Smells[a].Line != c.Smells[b].Line {
				return c.Smells[a].Line < c.Smells[b].Line
			}
			return c.Smells[a].Kind < c.Smells[b].Kind
		})
		if c.Type != "code" {
			continue
		}
		s := by[c.Section]
		if s == nil {
			s = &SectionNotes{Section: c.Section}
			by[c.Section] = s
		}
		s.Cells = append(s.Cells, c.Index)
		s.Lines += c.Lines
		s.Todos += len(c.Todos)
		s.Smells += len(c.Smells)
	}
	for sec := extract.Exploration; sec <= extract.Test; sec++ {
		if s := by[sec]; s != nil {
			n.Sections = append(n.Sections, *s)
		}
	}
}

// Smells returns every smell, in cell and line order.
func (n *Notes) Smells() []Smell {
	var out []Smell
	for _, c := range n.Cells {
		out = append(out, c.Smells...)
	}
	return out
}

// Problem is a reason for Check to fail.
type Problem struct {
	Cell int    `json:"cell"` // -1: the whole notebook
	Line int    `json:"line,omitempty"`
	Msg  string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.Cell < 0:
		return p.Msg
	case p.Line > 0:
		return fmt.Sprintf("cell %d, line %d: %s", p.Cell, p.Line, p.Msg)
	}
	return fmt.Sprintf("cell %d: %s", p.Cell, p.Msg)
}

// Check lists what should stop a commit: a notebook without labels, code cells outside every
// section (before the first label and not marked //decant:skip), and severe smells.
func (n *Notes) Check() []Problem {
	var out []Problem
	if !n.Labeled {
		out = append(out, Problem{Cell: -1, Msg: "the notebook has no section labels (decant doc --write adds the suggested ones)"})
	}
	for _, c := range n.Cells {
		if c.Type != "code" || c.Lines == 0 {
			continue
		}
		if n.Labeled && c.Section == extract.Exploration && !strings.Contains(c.Role, "//decant:skip") {
			out = append(out, Problem{Cell: c.Index, Msg: "code before the first label: label it, or mark it //decant:skip"})
		}
		for _, s := range c.Smells {
			if s.Severity == Severe {
				out = append(out, Problem{Cell: c.Index, Line: s.Line, Msg: string(s.Kind) + ": " + s.Message})
			}
		}
	}
	return out
}

// JSON encodes the notes with stable key order.
func (n *Notes) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encoding notes: %w", err)
	}
	return buf.Bytes(), nil
}

func nonBlankLines(s string) int {
	k := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			k++
		}
	}
	return k
}

func firstHeading(src string) string {
	for _, l := range strings.Split(src, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			h := strings.TrimLeft(l, "#")
			if h == "" || h[0] == ' ' || h[0] == '\t' {
				return strings.TrimSpace(h)
			}
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
