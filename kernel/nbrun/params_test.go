package nbrun

import (
	"go/parser"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/decant-go/decant/notebooks"
)

func TestParseParam(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Param
		wantErr string
	}{
		{in: "x=0.5", want: Param{"x", "0.5"}},
		{in: "path=a=b.db", want: Param{"path", "a=b.db"}},
		{in: " n =10", want: Param{"n", "10"}},
		{in: "s=", want: Param{"s", ""}},
		{in: "novalue", wantErr: "want name=value"},
		{in: "1x=2", wantErr: "not a Go identifier"},
		{in: "_=2", wantErr: "not a Go identifier"},
		{in: "=2", wantErr: "not a Go identifier"},
	} {
		got, err := ParseParam(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseParam(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseParam(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestGoLiteral(t *testing.T) {
	for _, tc := range []struct {
		typ, value, want, wantErr string
	}{
		{typ: "string", value: "a.db", want: `"a.db"`},
		{typ: "string", value: `say "hi"` + "\n", want: `"say \"hi\"\n"`},
		{typ: "string", value: "", want: `""`},
		{typ: "int", value: "10", want: "10"},
		{typ: "int", value: " -3 ", want: "-3"},
		{typ: "int", value: "0x10", want: "16"},
		{typ: "int", value: "1_000", want: "1000"},
		{typ: "int", value: "1.5", wantErr: "is not an int: invalid syntax"},
		{typ: "int8", value: "200", wantErr: "out of range"},
		{typ: "uint", value: "-1", wantErr: "is not a uint"},
		{typ: "byte", value: "255", want: "255"},
		{typ: "float64", value: "0.7", want: "0.7"},
		{typ: "float64", value: "1", want: "1.0"},
		{typ: "float64", value: "1e21", want: "1e+21"},
		{typ: "float64", value: "NaN", wantErr: "not a finite"},
		{typ: "float64", value: "abc", wantErr: "is not a float64"},
		{typ: "float32", value: "0.1", want: "0.1"},
		{typ: "float32", value: "1e39", wantErr: "out of range"},
		{typ: "bool", value: "true", want: "true"},
		{typ: "bool", value: "0", want: "false"},
		{typ: "bool", value: "yes", wantErr: "not a bool"},
		{typ: "rune", value: "é", want: "'é'"},
		{typ: "rune", value: "ab", wantErr: "not a single character"},
		{typ: "time.Duration", value: "5 * time.Second", want: "5 * time.Second"},
		{typ: "time.Duration", value: "5s", wantErr: "not a Go expression of type time.Duration"},
		{typ: "", value: "f()", want: "f()"},
		{typ: "", value: "", wantErr: "not a Go expression"},
	} {
		got, err := GoLiteral(tc.typ, tc.value)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("GoLiteral(%q, %q) = %q, %v; want error %q", tc.typ, tc.value, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("GoLiteral(%q, %q) = %q, %v; want %q", tc.typ, tc.value, got, err, tc.want)
		}
	}
}

const paramsCell = `// parameters of the study
!*go get modernc.org/sqlite@v1.62.0
var threshold = 0.5
const epochs = 10
var path = "a.db"
var limit int64 = 3
var (
	verbose = false
	sep     = ','
	scale   = float32(2)
)
const (
	lo = 1
	hi = 9
)
const (
	A = iota
	B
)
var d = 2 * time.Second
var p, q = pair()

%%
fmt.Println(threshold)
`

func TestDeclarations(t *testing.T) {
	decls, err := Declarations(paramsCell)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, typ string
		konst     bool
		explicit  bool
		line      int
		settable  bool
	}
	var got []row
	for _, d := range decls {
		got = append(got, row{d.Name, d.Type, d.Const, d.Explicit, d.Line, d.why == ""})
	}
	want := []row{
		{"threshold", "float64", false, false, 3, true},
		{"epochs", "int", true, false, 4, true},
		{"path", "string", false, false, 5, true},
		{"limit", "int64", false, true, 6, true},
		{"verbose", "bool", false, false, 8, true},
		{"sep", "rune", false, false, 9, true},
		{"scale", "float32", false, false, 10, true},
		{"lo", "int", true, false, 13, true},
		{"hi", "int", true, false, 14, true},
		{"A", "", true, false, 17, true},
		{"B", "", true, false, 18, false},
		{"d", "", false, false, 20, true},
		{"p", "", false, false, 21, false},
		{"q", "", false, false, 21, false},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Declarations:\n got %v\nwant %v", got, want)
	}
}

// newNotebook builds a 4.5 notebook from cells given as "md:text" or code.
func newNotebook(t testing.TB, cells ...string) *notebooks.Notebook {
	t.Helper()
	nb := notebooks.New("test.ipynb")
	for _, src := range cells {
		var c *notebooks.Cell
		if md, ok := strings.CutPrefix(src, "md:"); ok {
			c = nb.NewMarkdownCell(md)
		} else {
			c = nb.NewCodeCell(src)
		}
		nb.InsertCell(len(nb.Cells), c)
	}
	return nb
}

func tag(t testing.TB, c *notebooks.Cell, tags ...string) {
	t.Helper()
	if err := c.SetMetadata("tags", tags); err != nil {
		t.Fatal(err)
	}
}

func TestInjectParameters(t *testing.T) {
	nb := newNotebook(t, "md:# Study", "import \"fmt\"", paramsCell, "%%\nfmt.Println(path)")
	tag(t, nb.Cells[2], TagParameters)
	inj, err := InjectParameters(nb, []Param{{"path", "b.db"}, {"hi", "20"}, {"threshold", "1"}, {"limit", "0x20"}, {"d", "time.Minute"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Cells) != 5 || nb.Cells[3] != inj.Cell || inj.ParametersCell != 2 {
		t.Fatalf("injected cell at %d of %d cells, want 3 of 5", inj.Cell.Index, len(nb.Cells))
	}
	// Declaration order of the parameters cell, not command-line order; the
	// const group is repeated whole.
	want := injectedHeader + `var threshold = 1.0
var path = "b.db"
var limit int64 = 32
const (
	lo = 1
	hi = 20
)
var d = time.Minute
`
	if inj.Cell.Source != want {
		t.Errorf("injected cell:\n%s\nwant:\n%s", inj.Cell.Source, want)
	}
	if !slices.Equal(inj.Cell.Tags, []string{TagInjectedParameters}) {
		t.Errorf("tags = %q", inj.Cell.Tags)
	}
	if len(inj.Warnings) != 0 {
		t.Errorf("warnings: %q", inj.Warnings)
	}
	if _, err := parseDecls(inj.Cell.Source); err != nil {
		t.Fatal(err)
	}
	if _, err := notebooks.Format(nb); err != nil {
		t.Fatal(err)
	}

	// A second injection replaces the first.
	inj2, err := InjectParameters(nb, []Param{{"epochs", "3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(nb.Cells) != 5 || inj2.Cell.Source != injectedHeader+"const epochs = 3\n" {
		t.Errorf("re-injection: %d cells, source %q", len(nb.Cells), inj2.Cell.Source)
	}
}

func TestInjectParametersErrors(t *testing.T) {
	for _, tc := range []struct {
		params  []Param
		wantErr string
	}{
		{[]Param{{"nope", "1"}}, "unknown parameter nope: the parameters cell (cell 1) declares threshold, epochs, path, limit, verbose, sep, scale, lo, hi, A, B, d, p, q"},
		{[]Param{{"epochs", "ten"}}, `parameter epochs: "ten" is not an int`},
		{[]Param{{"B", "1"}}, "cannot set parameter B: its value is implied by the line above it (iota)"},
		{[]Param{{"q", "1"}}, "cannot set parameter q: it is set by a multi-value expression"},
		{[]Param{{"path", "a"}, {"path", "b"}}, "parameter path given twice"},
	} {
		nb := newNotebook(t, "md:# Study", paramsCell)
		tag(t, nb.Cells[1], TagParameters)
		_, err := InjectParameters(nb, tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("InjectParameters(%v) error = %v, want %q", tc.params, err, tc.wantErr)
		}
		if len(nb.Cells) != 2 {
			t.Errorf("InjectParameters(%v) changed the notebook on error", tc.params)
		}
	}
}

func TestInjectParametersNoTag(t *testing.T) {
	nb := newNotebook(t, "md:# Title", "md:intro", "var rate = 0.5\n", "%%\nfmt.Println(rate, name)")
	inj, err := InjectParameters(nb, []Param{{"rate", "2"}, {"name", "x y"}, {"n", "7"}})
	if err != nil {
		t.Fatal(err)
	}
	if inj.Cell.Index != 2 || inj.ParametersCell != -1 {
		t.Errorf("injected at %d, want 2 (after the leading markdown)", inj.Cell.Index)
	}
	want := injectedHeader + "var rate = 2.0\nvar name = \"x y\"\nvar n = 7\n"
	if inj.Cell.Source != want {
		t.Errorf("source:\n%s\nwant:\n%s", inj.Cell.Source, want)
	}
	if len(inj.Warnings) != 2 || !strings.Contains(inj.Warnings[0], `no cell is tagged "parameters"`) ||
		!strings.Contains(inj.Warnings[1], "parameter rate: cell 3 declares it again") {
		t.Errorf("warnings = %q", inj.Warnings)
	}
}

func TestInjectNoParams(t *testing.T) {
	nb := newNotebook(t, "var x = 1")
	tag(t, nb.Cells[0], TagParameters)
	inj, err := InjectParameters(nb, nil)
	if err != nil || inj.Cell != nil || len(nb.Cells) != 1 || inj.ParametersCell != 0 {
		t.Errorf("InjectParameters(nil) = %+v, %v; cells %d", inj, err, len(nb.Cells))
	}
}

// FuzzGoLiteral checks that every literal written for a basic type is a
// Go expression, and that strings survive the round trip.
func FuzzGoLiteral(f *testing.F) {
	for _, s := range []string{"0.5", "10", "a.db", "-1e9", "0x1F", "true", "é", "\"q\"\n", "1_0"} {
		f.Add(s)
	}
	types := []string{"string", "int", "int8", "uint16", "float64", "float32", "bool", "rune", "time.Duration", ""}
	f.Fuzz(func(t *testing.T, v string) {
		for _, typ := range types {
			lit, err := GoLiteral(typ, v)
			if err != nil {
				continue
			}
			if _, err := parser.ParseExpr(lit); err != nil {
				t.Fatalf("GoLiteral(%q, %q) = %q, not an expression: %v", typ, v, lit, err)
			}
			if typ == "string" {
				if s, err := strconv.Unquote(lit); err != nil || s != v {
					t.Fatalf("string %q round-trips to %q", v, s)
				}
			}
		}
	})
}

// FuzzInject checks that injection never panics and that an injected cell
// is always Go declarations.
func FuzzInject(f *testing.F) {
	f.Add(paramsCell, "threshold", "0.9")
	f.Add("const (\n\ta = 1\n\tb = \"x\"\n)\n", "b", "y")
	f.Add("%%\nfmt.Println()", "x", "1")
	f.Fuzz(func(t *testing.T, cell, name, value string) {
		nb := newNotebook(t, cell)
		tag(t, nb.Cells[0], TagParameters)
		inj, err := InjectParameters(nb, []Param{{name, value}})
		if err != nil {
			return
		}
		if _, err := parseDecls(inj.Cell.Source); err != nil {
			t.Fatalf("injected cell does not parse: %v\n%s", err, inj.Cell.Source)
		}
	})
}
