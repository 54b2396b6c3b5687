package nbrun

import (
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/decant-go/decant/kernel"
	"github.com/decant-go/decant/notebooks"
)

// Executor runs code in a kernel; *kernel.Client is one.
type Executor interface {
	Execute(ctx context.Context, code string, opts kernel.ExecOptions) (*kernel.Result, error)
}

// Options configures Run. The zero value runs every cell without a time
// limit and stops at the first failing cell.
type Options struct {
	// Timeout limits each cell's run time; 0 means no limit. A cell that
	// runs longer is interrupted and counts as failed.
	Timeout time.Duration
	// AllowErrors keeps going after a failing cell. The run still
	// reports the failures.
	AllowErrors bool
	// Progress, when set, is called before and after each cell.
	Progress func(Progress)
	// Now is the clock for timing metadata; nil means time.Now.
	Now func() time.Time
	// InputIndex maps a cell to its index in the notebook as the user wrote it (-1 for a cell
	// the runner added, such as injected parameters); nil means the index when Run starts.
	InputIndex func(*notebooks.Cell) int
	// MaxStreamBytes bounds the text kept of each stream output (see
	// kernel.ExecOptions.MaxStreamBytes): 0 is kernel.DefaultMaxStreamBytes,
	// negative keeps everything.
	MaxStreamBytes int
}

// Progress describes where a run is.
type Progress struct {
	Step, Steps int    // 1-based number of the current code cell, and how many will run
	Cell        int    // its index in the notebook
	FirstLine   string // its first non-blank line
	Started     time.Time
	Done        bool   // the cell finished
	Status      string // its status once Done (kernel.StatusOK, ...)
}

// Failure is a cell that did not succeed.
type Failure struct {
	// Cell is the cell's index in the input notebook, as the user numbers
	// it; -1 for the injected parameters cell.
	Cell int
	// OutputCell is its index in the executed notebook (after the error
	// banner and any injected parameters cell).
	OutputCell     int
	ID             string
	ExecutionCount int    // 0 when the kernel gave none
	Status         string // kernel.StatusError, StatusTimeout, StatusDead, StatusAborted
	EName, EValue  string
	// Detail is the compiler's messages, when the kernel put them only
	// in a rich output (GoNB's error value just says `go build` failed).
	Detail    string
	FirstLine string

	cell *notebooks.Cell
}

func (f Failure) String() string {
	where := fmt.Sprintf("cell %d", f.Cell)
	if f.Cell < 0 {
		where = "the injected parameters cell"
	}
	if f.ExecutionCount > 0 {
		where += fmt.Sprintf(" (In [%d])", f.ExecutionCount)
	}
	msg := f.EName
	switch {
	case f.Detail != "":
		msg += ": " + f.Detail
	case f.EValue != "":
		msg += ": " + f.EValue
	}
	return where + ": " + msg
}

// Report summarizes a run.
type Report struct {
	Steps    int // code cells to run
	Executed int // code cells run
	Failures []Failure
	// Stopped reports that the run stopped at a failure (or a dead
	// kernel) and left later cells without outputs.
	Stopped    bool
	Start, End time.Time
}

// Failed reports whether any cell failed.
func (r *Report) Failed() bool { return len(r.Failures) > 0 }

// Tags of the cells Run adds to describe a failure.
const (
	TagErrorBanner = "decant-error-banner"
	TagErrorCell   = "decant-error-cell"
	errorAnchor    = "decant-error-cell"
)

// timeLayout is how nbclient writes times in metadata.execution.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Run executes nb's code cells in order through ex and records, in nb,
// each cell's outputs, execution count and timing (metadata.execution,
// as nbclient writes it, measured here because GoNB's message times have
// one-second resolution). Outputs of an earlier run and its error banner
// are removed first; cells that do not run are left without outputs.
//
// A cell fails when the kernel reports an error, when it times out, when
// GoNB passes off a panic or os.Exit as success (see
// kernel.DetectRuntimeFailure), or when the kernel dies. The failing cell
// gets an error output if the kernel sent none, and the notebook gets an
// error banner, as papermill writes it: a markdown cell at the top linking
// to a marker cell just before the first failing cell. Without
// AllowErrors the run stops there; a dead kernel always stops it.
//
// The error is non-nil only when the run could not go on for reasons
// outside the notebook: ctx ended or the client was closed. The report
// and nb describe what ran until then.
func Run(ctx context.Context, nb *notebooks.Notebook, ex Executor, opts Options) (*Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	inputIndex := opts.InputIndex
	if inputIndex == nil {
		start := make(map[*notebooks.Cell]int, len(nb.Cells))
		for i, c := range nb.Cells {
			start[c] = i
		}
		inputIndex = func(c *notebooks.Cell) int {
			if i, ok := start[c]; ok {
				return i
			}
			return -1
		}
	}
	Reset(nb)
	var todo []*notebooks.Cell
	for _, c := range nb.Cells {
		if c.Type == "code" && strings.TrimSpace(c.Source) != "" {
			todo = append(todo, c)
		}
	}
	rep := &Report{Steps: len(todo), Start: now()}
	shown := map[string][]outputRef{} // display id -> outputs showing it
	var runErr error
	for i, c := range todo {
		p := Progress{Step: i + 1, Steps: len(todo), Cell: c.Index, FirstLine: FirstLine(c.Source), Started: now()}
		if opts.Progress != nil {
			opts.Progress(p)
		}
		res, err := ex.Execute(ctx, c.Source, kernel.ExecOptions{Timeout: opts.Timeout, MaxStreamBytes: opts.MaxStreamBytes})
		end := now()
		rep.Executed++
		if res == nil {
			res = &kernel.Result{Status: kernel.StatusAborted, Error: &kernel.ErrorInfo{EName: "ExecutionAborted", EValue: fmt.Sprint(err)}}
		}
		record(c, res, p.Started, end, shown)
		if opts.Progress != nil {
			p.Done, p.Status = true, res.Status
			opts.Progress(p)
		}
		if res.Status != kernel.StatusOK {
			f := Failure{ID: c.ID, ExecutionCount: res.ExecutionCount, Status: res.Status, FirstLine: p.FirstLine, cell: c}
			if res.Error != nil {
				f.EName, f.EValue = res.Error.EName, res.Error.EValue
			}
			f.Detail = CompileErrors(res.Outputs, res.ExecutionCount)
			rep.Failures = append(rep.Failures, f)
		}
		if err != nil && !errors.Is(err, kernel.ErrKernelDead) {
			runErr = err
			rep.Stopped = i+1 < len(todo)
			break
		}
		if res.Status == kernel.StatusDead || (res.Status != kernel.StatusOK && !opts.AllowErrors) {
			rep.Stopped = i+1 < len(todo)
			break
		}
	}
	rep.End = now()
	if rep.Failed() {
		addBanner(nb, rep, !opts.AllowErrors)
	}
	for i := range rep.Failures {
		rep.Failures[i].OutputCell = rep.Failures[i].cell.Index
		rep.Failures[i].Cell = inputIndex(rep.Failures[i].cell)
	}
	return rep, runErr
}

// outputRef locates an output showing a display id.
type outputRef struct {
	cell *notebooks.Cell
	i    int
}

// record stores one execution's result in its cell.
func record(c *notebooks.Cell, res *kernel.Result, start, end time.Time, shown map[string][]outputRef) {
	c.Outputs = ConvertOutputs(res.Outputs)
	for i, o := range res.Outputs {
		if o.DisplayID != "" {
			shown[o.DisplayID] = append(shown[o.DisplayID], outputRef{c, i})
		}
	}
	// update_display_data for outputs of earlier cells.
	for _, u := range res.DisplayUpdates {
		for _, ref := range shown[u.DisplayID] {
			if ref.cell != c && ref.i < len(ref.cell.Outputs) {
				old := ref.cell.Outputs[ref.i]
				nu := ConvertOutput(u)
				old.Data, old.Metadata = nu.Data, nu.Metadata
				ref.cell.Outputs[ref.i] = old
			}
		}
	}
	if res.Status != kernel.StatusOK && res.Error != nil && !slices.ContainsFunc(c.Outputs, func(o notebooks.Output) bool { return o.Type == "error" }) {
		c.Outputs = append(c.Outputs, errorOutput(res.Error))
	}
	if res.ExecutionCount > 0 {
		n := res.ExecutionCount
		c.ExecutionCount = &n
	}
	s, e := start.UTC().Format(timeLayout), end.UTC().Format(timeLayout)
	// Setting a JSON-able map cannot fail.
	_ = c.SetMetadata("execution", map[string]string{
		"iopub.status.busy":   s,
		"iopub.execute_input": s,
		"shell.execute_reply": e,
		"iopub.status.idle":   e,
	})
}

// Reset removes what a run leaves in a notebook: the error banner cells,
// code cells' outputs, execution counts and timing metadata.
func Reset(nb *notebooks.Notebook) {
	for i := len(nb.Cells) - 1; i >= 0; i-- {
		c := nb.Cells[i]
		if slices.Contains(c.Tags, TagErrorBanner) || slices.Contains(c.Tags, TagErrorCell) {
			nb.RemoveCell(i)
			continue
		}
		if c.Type == "code" {
			c.Outputs = []notebooks.Output{}
			c.ExecutionCount = nil
			if _, ok := c.Metadata("execution"); ok {
				_ = c.SetMetadata("execution", nil)
			}
		}
	}
}

// addBanner inserts papermill's two markdown cells for the first failure.
func addBanner(nb *notebooks.Notebook, rep *Report, stopped bool) {
	f := rep.Failures[0]
	label := fmt.Sprintf("cell %d", f.cell.Index+2) // the index it will have below the banner and the marker
	if f.ExecutionCount > 0 {
		label = fmt.Sprintf("In [%d]", f.ExecutionCount)
	}
	top := fmt.Sprintf(`<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">An exception was encountered at '<a href="#%s">%s</a>'.</span>`,
		errorAnchor, html.EscapeString(label))
	if n := len(rep.Failures); n > 1 {
		top += fmt.Sprintf("\n\n%d cells failed.", n)
	}
	what := f.EName
	if f.EValue != "" {
		what += ": " + f.EValue
	}
	marker := fmt.Sprintf(`<span id="%s" style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">Execution using decant run encountered an exception here and stopped:</span>`, errorAnchor)
	if !stopped && f.Status != kernel.StatusDead {
		marker = strings.Replace(marker, " and stopped:", ":", 1)
	}
	if what != "" {
		marker += "\n\n`" + strings.ReplaceAll(firstLineOf(what), "`", "'") + "`"
	}
	mc := nb.NewMarkdownCell(marker)
	_ = mc.SetMetadata("tags", []string{TagErrorCell})
	nb.InsertCell(f.cell.Index, mc)
	bc := nb.NewMarkdownCell(top)
	_ = bc.SetMetadata("tags", []string{TagErrorBanner})
	nb.InsertCell(0, bc)
}

// gonbErr matches one compiler message in GoNB's HTML error report: the
// cell and line, the location in the generated main.go, the message.
var gonbErr = regexp.MustCompile(`<span class="gonb-cell-line-info">([^<]*)</span>\s*<span class="gonb-err-location">[^<]*</span>\s*([^<\n]*)`)

// CompileErrors extracts the compiler messages from GoNB's HTML error
// report among outputs, as "line N: message" (or "Cell[K]: Line N:
// message" for lines of another cell), joined with "; ". It returns ""
// when there is no such report.
func CompileErrors(outputs []kernel.Output, executionCount int) string {
	self := fmt.Sprintf("Cell[%d]: ", executionCount)
	var msgs []string
	for _, o := range outputs {
		h, ok := o.DataString("text/html")
		if !ok || !strings.Contains(h, "gonb-err-location") {
			continue
		}
		for _, m := range gonbErr.FindAllStringSubmatch(h, 20) {
			where := strings.TrimSpace(html.UnescapeString(m[1]))
			if rest, ok := strings.CutPrefix(where, self); ok {
				where = strings.ToLower(rest[:1]) + rest[1:]
			}
			msg := strings.TrimSpace(html.UnescapeString(m[2]))
			msgs = append(msgs, where+": "+msg)
		}
	}
	return strings.Join(msgs, "; ")
}

// FirstLine returns the first line of src that says something about the
// cell: trimmed, not blank and not a bare "%%" (which starts most GoNB
// cells).
func FirstLine(src string) string {
	for line := range strings.SplitSeq(src, "\n") {
		if t := strings.TrimSpace(line); t != "" && t != "%%" {
			return t
		}
	}
	return ""
}

func firstLineOf(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(first)
}
