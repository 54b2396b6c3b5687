package nbrun

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/decant-go/decant/notebooks"
	"github.com/decant-go/decant/notebooks/gonbcell"
)

// Cell tags, as papermill names them.
const (
	TagParameters         = "parameters"
	TagInjectedParameters = "injected-parameters"
)

// Param is one parameter given on the command line as name=value. Value
// is raw text; it becomes a Go literal of the declared type.
type Param struct {
	Name  string
	Value string
}

// ParseParam splits "name=value". The name must be a Go identifier.
func ParseParam(s string) (Param, error) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return Param{}, fmt.Errorf("parameter %q: want name=value", s)
	}
	if !token.IsIdentifier(name) || name == "_" {
		return Param{}, fmt.Errorf("parameter %q: %q is not a Go identifier", s, name)
	}
	return Param{Name: name, Value: value}, nil
}

// Declared is a package-level var or const of a parameters cell.
type Declared struct {
	Name  string
	Const bool
	// Type is the Go type: the declared one, or the default type of the
	// literal it is initialized with (int, float64, rune, string, bool,
	// complex128). "" when it cannot be told from the source.
	Type string
	// Explicit reports whether Type was written in the declaration.
	Explicit bool
	// Line is the line in the cell (1-based).
	Line int
	// why, when not "", says why the parameter cannot be set.
	why string
	// group is the index of the declaration's GenDecl in the cell; a
	// const group with more than one name is re-emitted whole (GoNB
	// chains the members of a const group, so redefining one member alone
	// leaves the old one in the chain: "redeclared").
	group int
	// value is the byte range of the initializer in the cell's Go text.
	valStart, valEnd int
}

// cellDecls are the declarations of one cell plus what is needed to
// re-emit a const group.
type cellDecls struct {
	decls  []Declared
	src    string         // the cell's Go text, with "package p\n" prepended
	groups []*ast.GenDecl // by Declared.group
	fset   *token.FileSet
}

const pkgLine = "package p\n"

// Declarations lists the package-level vars and consts of a GoNB cell, in
// source order. Only the cell's declarations part counts: GoNB commands
// and the %% body are not package-level.
func Declarations(src string) ([]Declared, error) {
	cd, err := parseDecls(src)
	if err != nil {
		return nil, err
	}
	return cd.decls, nil
}

func parseDecls(src string) (*cellDecls, error) {
	cell, err := gonbcell.Split(src)
	if err != nil {
		return nil, err
	}
	cd := &cellDecls{src: pkgLine + cell.Decls.Src, fset: token.NewFileSet()}
	f, err := parser.ParseFile(cd.fset, "cell.go", cd.src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || (g.Tok != token.VAR && g.Tok != token.CONST) {
			continue
		}
		group := len(cd.groups)
		cd.groups = append(cd.groups, g)
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if name.Name == "_" {
					continue
				}
				d := Declared{Name: name.Name, Const: g.Tok == token.CONST, group: group,
					Line: cd.fset.Position(name.Pos()).Line - 1}
				if vs.Type != nil {
					d.Type, d.Explicit = types.ExprString(vs.Type), true
				}
				switch {
				case len(vs.Values) == 0 && d.Const:
					d.why = "its value is implied by the line above it (iota)"
				case len(vs.Values) == 0:
					d.why = "it has no initial value to replace"
				case len(vs.Values) != len(vs.Names):
					d.why = "it is set by a multi-value expression"
				default:
					v := vs.Values[i]
					d.valStart = cd.fset.Position(v.Pos()).Offset
					d.valEnd = cd.fset.Position(v.End()).Offset
					if d.Type == "" {
						d.Type = literalType(v)
					}
				}
				cd.decls = append(cd.decls, d)
			}
		}
	}
	return cd, nil
}

// literalType is the default type of a constant literal expression, or "".
func literalType(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return literalType(e.X)
	case *ast.UnaryExpr:
		if e.Op == token.SUB || e.Op == token.ADD {
			if t := literalType(e.X); t != "string" && t != "bool" {
				return t
			}
		}
	case *ast.BasicLit:
		switch e.Kind {
		case token.INT:
			return "int"
		case token.FLOAT:
			return "float64"
		case token.IMAG:
			return "complex128"
		case token.CHAR:
			return "rune"
		case token.STRING:
			return "string"
		}
	case *ast.Ident:
		if e.Name == "true" || e.Name == "false" {
			return "bool"
		}
	case *ast.CallExpr:
		// A conversion of a literal: float32(0.5), time.Duration(3).
		if len(e.Args) == 1 && literalType(e.Args[0]) != "" {
			if id, ok := e.Fun.(*ast.Ident); ok && basicKind(id.Name) != "" {
				return id.Name
			}
		}
	}
	return ""
}

// basicKind groups the predeclared types by how values are written.
func basicKind(t string) string {
	switch t {
	case "int", "int8", "int16", "int32", "int64":
		return "int"
	case "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte":
		return "uint"
	case "float32", "float64":
		return "float"
	case "complex64", "complex128":
		return "complex"
	case "string":
		return "string"
	case "bool":
		return "bool"
	case "rune":
		return "rune"
	}
	return ""
}

func bitSize(t string) int {
	switch t {
	case "int8", "uint8", "byte":
		return 8
	case "int16", "uint16":
		return 16
	case "int32", "uint32", "float32", "complex64":
		return 32
	}
	return 64
}

// GoLiteral writes value as a Go expression of type typ: strings are
// quoted, numbers are checked against the type's range, and a float
// always gets a decimal point so that an untyped declaration keeps its
// type. For types it does not know (named or composite types, "") value
// must already be a Go expression and is used as it is.
func GoLiteral(typ, value string) (string, error) {
	v := strings.TrimSpace(value)
	switch basicKind(typ) {
	case "string":
		return strconv.Quote(value), nil
	case "bool":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", fmt.Errorf("%q is not a bool (want true or false)", value)
		}
		return strconv.FormatBool(b), nil
	case "int":
		n, err := strconv.ParseInt(v, 0, bitSize(typ))
		if err != nil {
			return "", fmt.Errorf("%q is not an %s: %w", value, typ, numErr(err))
		}
		return strconv.FormatInt(n, 10), nil
	case "uint":
		n, err := strconv.ParseUint(v, 0, bitSize(typ))
		if err != nil {
			return "", fmt.Errorf("%q is not a %s: %w", value, typ, numErr(err))
		}
		return strconv.FormatUint(n, 10), nil
	case "float":
		f, err := strconv.ParseFloat(v, bitSize(typ))
		if err != nil {
			return "", fmt.Errorf("%q is not a %s: %w", value, typ, numErr(err))
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "", fmt.Errorf("%q is not a finite %s", value, typ)
		}
		s := strconv.FormatFloat(f, 'g', -1, bitSize(typ))
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s, nil
	case "rune":
		r, size := utf8.DecodeRuneInString(value)
		if size == 0 || size != len(value) || r == utf8.RuneError {
			return "", fmt.Errorf("%q is not a single character", value)
		}
		return strconv.QuoteRune(r), nil
	}
	if _, err := parser.ParseExpr(v); err != nil || v == "" {
		if typ == "" {
			return "", fmt.Errorf("%q is not a Go expression, and the parameter's type cannot be told from its declaration", value)
		}
		return "", fmt.Errorf("%q is not a Go expression of type %s", value, typ)
	}
	return v, nil
}

func numErr(err error) error {
	if errors.Is(err, strconv.ErrRange) {
		return errors.New("out of range")
	}
	return errors.New("invalid syntax")
}

// guessLiteral writes a value whose type is unknown: a number, a bool, or
// else a string.
func guessLiteral(value string) string {
	v := strings.TrimSpace(value)
	if _, err := strconv.ParseInt(v, 0, 64); err == nil {
		s, _ := GoLiteral("int", v)
		return s
	}
	if s, err := GoLiteral("float64", v); err == nil {
		return s
	}
	if v == "true" || v == "false" {
		return v
	}
	return strconv.Quote(value)
}

// Injection describes the cell InjectParameters inserted.
type Injection struct {
	// Cell is the inserted cell, tagged injected-parameters; nil when no
	// parameters were given.
	Cell *notebooks.Cell
	// ParametersCell is the index of the cell tagged parameters, -1 if none.
	ParametersCell int
	// Warnings say what the user should know: no parameters cell, a
	// later declaration that will override the injected value.
	Warnings []string
}

// InjectParameters inserts a code cell tagged injected-parameters that
// redeclares each parameter with its new value, right after the cell
// tagged parameters: GoNB keeps the last definition of a name, so the
// cells after it see the new values. Each value is written as a Go
// literal of the type declared in the parameters cell. A name the
// parameters cell does not declare is an error listing the known ones.
//
// A cell tagged injected-parameters left by an earlier run is removed
// first. Without a parameters cell the new cell goes first (after any
// leading markdown), its types are taken from the first code cell that
// declares each name, and a warning says so.
func InjectParameters(nb *notebooks.Notebook, params []Param) (*Injection, error) {
	inj := &Injection{ParametersCell: -1}
	if len(params) == 0 {
		inj.ParametersCell = taggedCell(nb, TagParameters)
		return inj, nil
	}
	if dup := duplicateParam(params); dup != "" {
		return nil, fmt.Errorf("parameter %s given twice", dup)
	}
	for i := len(nb.Cells) - 1; i >= 0; i-- {
		if slices.Contains(nb.Cells[i].Tags, TagInjectedParameters) {
			nb.RemoveCell(i)
		}
	}
	pc := taggedCell(nb, TagParameters)
	inj.ParametersCell = pc
	var src string
	var at int
	var later []redeclared
	if pc >= 0 {
		if nb.Cells[pc].Type != "code" {
			return nil, fmt.Errorf("cell %d is tagged %s but is not a code cell", pc, TagParameters)
		}
		cd, err := parseDecls(nb.Cells[pc].Source)
		if err != nil {
			return nil, fmt.Errorf("reading the parameters cell (cell %d): %w", pc, err)
		}
		if src, err = redeclare(cd, params, pc); err != nil {
			return nil, err
		}
		at = pc + 1
	} else {
		var err error
		src, later, err = declareAtTop(nb, params)
		if err != nil {
			return nil, err
		}
		for at < len(nb.Cells) && nb.Cells[at].Type == "markdown" {
			at++
		}
		inj.Warnings = append([]string{fmt.Sprintf("no cell is tagged %q; the parameters go into a new cell %d, before the first code cell", TagParameters, at)}, inj.Warnings...)
	}
	c := nb.NewCodeCell(src)
	if err := c.SetMetadata("tags", []string{TagInjectedParameters}); err != nil {
		return nil, err
	}
	nb.InsertCell(at, c)
	inj.Cell = c
	for _, r := range later {
		inj.Warnings = append(inj.Warnings, fmt.Sprintf("parameter %s: cell %d declares it again, so its own value wins there and after; tag the cell that declares the parameters %q", r.name, r.cell.Index, TagParameters))
	}
	if pc >= 0 && pc >= at {
		inj.ParametersCell++
	}
	return inj, nil
}

func duplicateParam(params []Param) string {
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.Name] {
			return p.Name
		}
		seen[p.Name] = true
	}
	return ""
}

func taggedCell(nb *notebooks.Notebook, tag string) int {
	for i, c := range nb.Cells {
		if slices.Contains(c.Tags, tag) {
			return i
		}
	}
	return -1
}

const injectedHeader = "// Parameters injected by decant run.\n"

// redeclare writes the declarations for params, using the parameters
// cell's declarations for their types.
func redeclare(cd *cellDecls, params []Param, cell int) (string, error) {
	byName := map[string]int{}
	for i, d := range cd.decls {
		byName[d.Name] = i
	}
	vals := map[string]string{}
	for _, p := range params {
		i, ok := byName[p.Name]
		if !ok {
			return "", fmt.Errorf("unknown parameter %s: the parameters cell (cell %d) declares %s", p.Name, cell, knownNames(cd.decls))
		}
		d := cd.decls[i]
		if d.why != "" {
			return "", fmt.Errorf("cannot set parameter %s: %s", p.Name, d.why)
		}
		lit, err := GoLiteral(d.Type, p.Value)
		if err != nil {
			return "", fmt.Errorf("parameter %s: %w", p.Name, err)
		}
		vals[p.Name] = lit
	}
	var b strings.Builder
	b.WriteString(injectedHeader)
	done := map[int]bool{}
	for _, d := range cd.decls {
		lit, ok := vals[d.Name]
		if !ok {
			continue
		}
		g := cd.groups[d.group]
		if d.Const && groupNames(g) > 1 {
			if !done[d.group] {
				done[d.group] = true
				b.WriteString(rewriteGroup(cd, d.group, vals))
				b.WriteString("\n")
			}
			continue
		}
		kw := "var"
		if d.Const {
			kw = "const"
		}
		typ := ""
		if d.Explicit {
			typ = " " + d.Type
		}
		fmt.Fprintf(&b, "%s %s%s = %s\n", kw, d.Name, typ, lit)
	}
	return b.String(), nil
}

func groupNames(g *ast.GenDecl) int {
	n := 0
	for _, s := range g.Specs {
		n += len(s.(*ast.ValueSpec).Names)
	}
	return n
}

// rewriteGroup returns the text of a declaration group with the values of
// the names in vals replaced.
func rewriteGroup(cd *cellDecls, group int, vals map[string]string) string {
	g := cd.groups[group]
	start := cd.fset.Position(g.Pos()).Offset
	end := cd.fset.Position(g.End()).Offset
	type edit struct {
		s, e int
		text string
	}
	var edits []edit
	for _, d := range cd.decls {
		if lit, ok := vals[d.Name]; ok && d.group == group {
			edits = append(edits, edit{d.valStart, d.valEnd, lit})
		}
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].s > edits[j].s })
	text := cd.src[start:end]
	for _, e := range edits {
		text = text[:e.s-start] + e.text + text[e.e-start:]
	}
	return text
}

func knownNames(decls []Declared) string {
	var names []string
	for _, d := range decls {
		names = append(names, d.Name)
	}
	if len(names) == 0 {
		return "no vars or consts"
	}
	return strings.Join(names, ", ")
}

// declareAtTop writes declarations for a notebook without a parameters
// cell. Types come from the first code cell declaring each name; a value
// whose name no cell declares is written as a number, bool or string.
func declareAtTop(nb *notebooks.Notebook, params []Param) (string, []redeclared, error) {
	found := map[string]Declared{}
	where := map[string]*notebooks.Cell{}
	var later []redeclared
	for _, c := range nb.Cells {
		if c.Type != "code" {
			continue
		}
		decls, err := Declarations(c.Source)
		if err != nil {
			continue // cells GoNB cannot parse are reported when they run
		}
		for _, d := range decls {
			if _, ok := found[d.Name]; !ok {
				found[d.Name], where[d.Name] = d, c
			}
		}
	}
	var b strings.Builder
	b.WriteString(injectedHeader)
	for _, p := range params {
		d, ok := found[p.Name]
		var lit string
		var err error
		kw, typ := "var", ""
		switch {
		case !ok:
			lit = guessLiteral(p.Value)
		case d.why != "":
			return "", nil, fmt.Errorf("cannot set parameter %s: %s", p.Name, d.why)
		default:
			if lit, err = GoLiteral(d.Type, p.Value); err != nil {
				return "", nil, fmt.Errorf("parameter %s: %w", p.Name, err)
			}
			if d.Const {
				kw = "const"
			}
			if d.Explicit {
				typ = " " + d.Type
			}
			later = append(later, redeclared{p.Name, where[p.Name]})
		}
		fmt.Fprintf(&b, "%s %s%s = %s\n", kw, p.Name, typ, lit)
	}
	return b.String(), later, nil
}

// redeclared is a parameter that a later cell declares again.
type redeclared struct {
	name string
	cell *notebooks.Cell
}
