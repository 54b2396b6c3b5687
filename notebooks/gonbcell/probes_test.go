package gonbcell

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The testdata/*.ipynb files are notebooks executed with GoNB v0.11.1 and
// Go 1.26.8; their saved outputs are the evidence these tests hold Split to.

// nbText is a notebook string field: nbformat allows a string or a list of
// strings to be joined.
type nbText string

func (t *nbText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = nbText(s)
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*t = nbText(strings.Join(l, ""))
	return nil
}

type nbCell struct {
	CellType string `json:"cell_type"`
	Source   nbText `json:"source"`
	Metadata struct {
		Tags []string `json:"tags"`
	} `json:"metadata"`
	Outputs []nbOutput `json:"outputs"`
}

type nbOutput struct {
	OutputType string `json:"output_type"`
	Text       nbText `json:"text"`
	Evalue     string `json:"evalue"`
}

// text returns the cell's stream output and error values, concatenated.
func (c nbCell) text() string {
	var b strings.Builder
	for _, o := range c.Outputs {
		b.WriteString(string(o.Text))
		b.WriteString(o.Evalue)
	}
	return b.String()
}

func (c nbCell) hasError() bool {
	return slices.ContainsFunc(c.Outputs, func(o nbOutput) bool { return o.OutputType == "error" })
}

func readNotebook(t testing.TB, path string) []nbCell {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading notebook: %v", err)
	}
	var nb struct {
		Cells []nbCell `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatalf("decoding notebook %s: %v", path, err)
	}
	return nb.Cells
}

// semanticsCell returns the cell of the semantics probe whose tag starts
// with id followed by a space.
func semanticsCell(t *testing.T, cells []nbCell, id string) nbCell {
	t.Helper()
	for _, c := range cells {
		for _, tag := range c.Metadata.Tags {
			if strings.HasPrefix(tag, id+" ") {
				return c
			}
		}
	}
	t.Fatalf("no probe cell tagged %s", id)
	return nbCell{}
}

func TestSemanticsProbe(t *testing.T) {
	cells := readNotebook(t, filepath.Join("testdata", "semantics_probe.executed.ipynb"))
	tests := []struct {
		id   string
		want want
		// extra checks on the split cell
		check func(t *testing.T, c *Cell)
	}{
		// S20: GoNB ran the raw string's "!echo" line and cut both lines out:
		// the output shows THIS-RAN-AS-SHELL and msg == "first line\nlast".
		{"S20", want{names: []string{"!", "%this_is_not_go", "%%"}, mainLine: 5,
			decls: "var msg = `first line\n\n\nlast`\n",
			warns: []string{"inside a Go raw string", "unknown", "inside a Go raw string"}}, nil},
		// S53: "%%writefile" not on line 1 is rejected.
		{"S53", want{err: `"%%writefile" can only appear at the start of the cell`, errLine: 2}, nil},
		// S21: the //go:embed directive must survive byte for byte.
		{"S21", want{names: []string{"!*", "%%"}, mainLine: 6,
			decls: "\nimport _ \"embed\"\n\n//go:embed probe.txt\nvar embedded string\n"},
			func(t *testing.T, c *Cell) {
				if c.Commands[0].Shell != "echo hello-embed > probe.txt" {
					t.Errorf("Shell = %q", c.Commands[0].Shell)
				}
			}},
		// S23: %args with a user-written main and no %%.
		{"S23", want{names: []string{"%args"}, args: []string{"-name=Bob"}, main: "<nil>"}, nil},
		// S38: %test after the test function.
		{"S38", want{names: []string{"%test"}, test: true}, nil},
		// S42: the package line is dropped, the rest kept.
		{"S42", want{names: []string{"%%"}, mainLine: 3, decls: "\nfunc g() int { return 3 }\n"}, nil},
		{"S43", want{names: []string{"%env", "!", "%%"}, mainLine: 3}, func(t *testing.T, c *Cell) {
			if !slices.Equal(c.Commands[0].Args, []string{"PROBE_VAR=hello"}) {
				t.Errorf("%%env args = %q", c.Commands[0].Args)
			}
		}},
		// S44: a shell line after the main body is still a command.
		{"S44", want{names: []string{"%%", "!"}, mainLine: 1, main: "\nfmt.Println(\"go part\")\n\n"}, nil},
		{"S45", want{names: []string{"%goflags", "%%"}, mainLine: 3}, func(t *testing.T, c *Cell) {
			if !slices.Equal(c.Commands[0].Args, []string{"-ldflags=-X=main.buildTag=probe"}) {
				t.Errorf("%%goflags args = %q", c.Commands[0].Args)
			}
		}},
		// S47: `%goflags ""` is one empty argument, which GoNB then drops.
		{"S47", want{names: []string{"%goflags"}, noGo: true}, func(t *testing.T, c *Cell) {
			if !slices.Equal(c.Commands[0].Args, []string{""}) {
				t.Errorf("%%goflags args = %q", c.Commands[0].Args)
			}
		}},
		{"S48", want{names: []string{"%main"}, mainLine: 1}, nil},
		// S49: "entry called, args [a b]".
		{"S49", want{names: []string{"%exec"}, exec: &Exec{"entry", []string{"a", "b"}}, args: []string{"a", "b"}}, nil},
		{"S50", want{}, func(t *testing.T, c *Cell) {
			if c.Magic == nil || c.Magic.Name != "%%writefile" || !slices.Equal(c.Magic.Args, []string{"./wf.txt"}) ||
				c.Magic.Body != "line1\nline2" {
				t.Errorf("Magic = %+v", c.Magic)
			}
		}},
		{"S51", want{}, func(t *testing.T, c *Cell) {
			if c.Magic == nil || c.Magic.Name != "%%bash" || c.Magic.Body != "echo bash-cell $((1+2))" {
				t.Errorf("Magic = %+v", c.Magic)
			}
		}},
		{"S52", want{}, func(t *testing.T, c *Cell) {
			if c.Magic == nil || c.Magic.Name != "%%script" || !slices.Equal(c.Magic.Args, []string{"/usr/bin/python3"}) {
				t.Errorf("Magic = %+v", c.Magic)
			}
		}},
		// S54: GoNB printed `"%nosuchcmd" unknown or not implemented yet.`
		{"S54", want{names: []string{"%nosuchcmd"}, noGo: true, warns: []string{`"%nosuchcmd" unknown`}}, nil},
		// S57: three lines joined; bash printed "one two three".
		{"S57", want{names: []string{"!"}, noGo: true}, func(t *testing.T, c *Cell) {
			cmd := c.Commands[0]
			if cmd.Line != 1 || cmd.EndLine != 3 || cmd.Text != "!echo one    two    three" ||
				cmd.Shell != "echo one    two    three" {
				t.Errorf("command = %+v", cmd)
			}
		}},
		{"S58", want{names: []string{"!*"}, noGo: true}, nil},
		{"S59", want{names: []string{"%cd", "%%"}, mainLine: 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			src := string(semanticsCell(t, cells, tt.id).Source)
			c, err := Split(src)
			checkInvariants(t, src, c, err)
			if tt.check == nil || tt.want.err != "" || tt.want.names != nil {
				checkWant(t, c, err, tt.want)
			}
			if tt.check != nil && c != nil {
				tt.check(t, c)
			}
		})
	}
}

// TestProbeOutcomes holds Split to what GoNB did with every probe cell:
// a cell GoNB rejected while running its commands must be an *Error, and a
// cell GoNB ran without any error output must split cleanly.
func TestProbeOutcomes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.executed.ipynb"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no executed probe notebooks: %v", err)
	}
	checked := 0
	for _, f := range files {
		for i, cell := range readNotebook(t, f) {
			if cell.CellType != "code" {
				continue
			}
			src := string(cell.Source)
			c, err := Split(src)
			checkInvariants(t, src, c, err)
			out := cell.text()
			switch {
			case strings.Contains(out, "executing special commands in cell"):
				if err == nil {
					t.Errorf("%s cell %d: GoNB rejected it (%q) but Split accepted it", f, i, out)
				}
			case !cell.hasError():
				if err != nil {
					t.Errorf("%s cell %d: GoNB ran it but Split says %v", f, i, err)
				}
			}
			checked++
		}
	}
	if checked < 60 {
		t.Fatalf("checked only %d cells", checked)
	}
}

func TestArgsProbe(t *testing.T) {
	cells := readNotebook(t, filepath.Join("testdata", "args_probe.executed.ipynb"))
	tests := []struct {
		cell int
		args []string
		// evidence in the saved output
		output string
	}{
		{0, nil, "A args: []"}, // %args above %% is wiped by %%
		{1, []string{"-v=2"}, "flag provided but not defined: -v"}, // %args below %% wins
		{2, []string{"-v=3"}, "flag provided but not defined: -v"}, // %% -v=3
		{3, nil, "D args (next cell): []"},                         // args do not carry over
	}
	for _, tt := range tests {
		cell := cells[tt.cell]
		if !strings.Contains(cell.text(), tt.output) {
			t.Fatalf("cell %d: saved output %q lacks %q", tt.cell, cell.text(), tt.output)
		}
		c, err := Split(string(cell.Source))
		if err != nil {
			t.Fatalf("cell %d: %v", tt.cell, err)
		}
		if !slices.Equal(c.Args, tt.args) {
			t.Errorf("cell %d: Args = %q, want %q", tt.cell, c.Args, tt.args)
		}
	}
	// Cells 4 and 5: an indented %% is Go text, left for the Go parser to
	// reject (GoNB failed with "expected statement/declaration, found '%'").
	for _, i := range []int{4, 5} {
		src := string(cells[i].Source)
		c, err := Split(src)
		checkInvariants(t, src, c, err)
		if err != nil || c.MainLine != 0 || len(c.Commands) != 0 || !strings.Contains(c.Decls.Src, "  %%\n") {
			t.Errorf("cell %d: got %+v, %v; want the indented %%%% kept as Go text", i, c, err)
		}
		if !strings.Contains(cells[i].text(), "found '%'") {
			t.Errorf("cell %d: saved output lacks the parse error", i)
		}
	}
}

func TestCrashProbe(t *testing.T) {
	cells := readNotebook(t, filepath.Join("testdata", "crash_probe.ipynb"))
	if c, err := Split(string(cells[0].Source)); err != nil || c.MainLine != 1 {
		t.Errorf("cell 0: %+v, %v", c, err)
	}
	// nbclient reported DeadKernelError on this cell.
	_, err := Split(string(cells[1].Source))
	var e *Error
	if !errors.As(err, &e) || e.Line != 3 || !strings.Contains(e.Msg, "two %% lines") {
		t.Errorf("cell 1: err = %v, want *Error at line 3 about two %%%% lines", err)
	}
}
