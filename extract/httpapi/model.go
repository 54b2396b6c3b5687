package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// model is a validated Spec with every derived name and value filled in; the renderers read
// only the model.
type model struct {
	spec    Spec
	title   string
	version string
	alias   string // import name of the library in the generated files
	routes  []*route
	anyPOST bool
}

type route struct {
	fn       string // library function name
	id       string // lowerFirst(fn): prefix of the generated names of this route
	method   string // GET or POST
	path     string
	allow    string // Allow header of a 405 on this path
	doc      string
	params   []*param
	results  []*result // without the error result
	hasErr   bool      // the function returns an error last
	live     bool      // the generated tests call the real function
	noun     string    // last path segment in snake_case
	handler  string    // handler method name
	reqType  string    // request body type (POST)
	respType string    // response type
}

type param struct {
	name     string // Go name
	wire     string // query or JSON key
	kind     Kind
	typ      string // type expression as used in the generated files
	expr     ast.Expr
	basic    bool // typ is the predeclared type of kind, so parsed values need no conversion
	min, max *float64
	enum     []string
	local    string // variable holding the value in the handler
	field    string // field of the request body type
	exQuery  string // example in query form (scalars)
	exJSON   string // example as JSON text
	exGo     string // example as a Go constant expression (scalars)
}

type result struct {
	typ   string
	expr  ast.Expr
	kind  Kind
	key   string // JSON key in the response object
	field string // field of the response type
	local string
}

// reserved holds every name the generated files declare or import at file or package scope, and
// the fixed local names of generated functions, so the library's import name and the handler
// variables never shadow or collide with them.
var reservedNames = strings.Fields(`
	context json errors flag fmt io slog math net http httptest url os signal reflect debug
	strconv strings syscall testing time sort slices sync
	main run config parseConfig serve newServer routes libraryRoutes stubRoutes handlerConfig
	newHandler server defaultMaxBodyBytes errorBody writeError badParam methodNotAllowed notFound
	healthz healthzBody internalErrorMessage parseQuery unescape parseFloat parseInt parseUint
	parseBool contentTypeJSON quoteValue serveTest checkJSON checkError decodeJSON quietConfig
	errorLogger defaultAddr discardWriter serverListener serverConn lazyDeadline jsonAppender
	writeAppended resultBuffers appendJSONFloat setGCHeadroom gcHeadroom metrics
	w r s err ok req vals set names t tc tests fns got want rec h body b f called e ln ctx cancel
	done resp cfg logger srv i n target method path query code msg keys v m env args
	any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32
	int64 rune string uint uint8 uint16 uint32 uint64 uintptr true false iota nil append cap
	clear close complex copy delete imag len make max min new panic print println real recover
`)

var (
	pathRE  = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)
	identRE = regexp.MustCompile(`^[\p{L}_][\p{L}\p{Nd}_]*$`)
	// importPathRE accepts what the go command accepts in module import paths.
	importPathRE = regexp.MustCompile(`^[A-Za-z0-9._~+-]+(/[A-Za-z0-9._~+-]+)*$`)
)

// newModel validates spec and derives the model. All problems are reported together.
func newModel(spec Spec) (*model, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	m := &model{spec: spec, title: spec.Title, version: spec.Version}
	if spec.PkgPath == "" {
		fail("spec: PkgPath is empty")
	} else if !importPathRE.MatchString(spec.PkgPath) {
		fail("spec: PkgPath %q is not an import path", spec.PkgPath)
	}
	if !isIdent(spec.PkgName) || spec.PkgName == "_" || spec.PkgName == "main" {
		fail("spec: package name %q is not a Go package name", spec.PkgName)
	}
	if token.IsKeyword(spec.PkgName) {
		fail("spec: package name %q is a Go keyword", spec.PkgName)
	}
	if len(spec.Routes) == 0 {
		fail("spec: no routes")
	}
	if m.title == "" {
		m.title = spec.PkgName + " API"
	}
	if m.version == "" {
		m.version = "0.1.0"
	}

	taken := map[string]bool{}
	for _, n := range reservedNames {
		taken[n] = true
	}
	for _, r := range spec.Routes {
		if isIdent(r.Func) {
			id := lowerFirst(r.Func)
			taken[id+"Request"], taken[id+"Response"] = true, true
		}
	}
	m.alias = spec.PkgName
	for taken[m.alias] {
		m.alias += "lib"
	}
	taken[m.alias] = true

	funcs := map[string]bool{}
	paths := map[string]string{"/healthz": "the health check"}
	for i, r := range spec.Routes {
		rt, rerrs := newRoute(m, r, taken)
		where := fmt.Sprintf("route %d", i)
		if isIdent(r.Func) {
			where = "route " + r.Func
		}
		for _, e := range rerrs {
			errs = append(errs, fmt.Errorf("%s: %w", where, e))
		}
		if rt == nil {
			continue
		}
		if funcs[rt.fn] {
			fail("%s: function %s has more than one route", where, rt.fn)
		}
		funcs[rt.fn] = true
		if other, dup := paths[rt.path]; dup {
			fail("%s: path %s is already used by %s", where, rt.path, other)
		}
		paths[rt.path] = "route " + rt.fn
		if rt.method == "POST" {
			m.anyPOST = true
		}
		m.routes = append(m.routes, rt)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

func isIdent(s string) bool { return identRE.MatchString(s) && !token.IsKeyword(s) }

// newRoute validates one route. It returns a nil route only when the function name is unusable.
func newRoute(m *model, r Route, taken map[string]bool) (*route, []error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !isIdent(r.Func) || !token.IsExported(r.Func) {
		return nil, []error{fmt.Errorf("function name %q is not an exported Go identifier", r.Func)}
	}
	rt := &route{fn: r.Func, id: lowerFirst(r.Func), doc: strings.TrimSpace(r.Doc), live: !r.NoLiveTest}
	rt.handler = "handle" + r.Func
	rt.reqType = rt.id + "Request"
	rt.respType = rt.id + "Response"

	rt.path = r.Path
	if rt.path == "" {
		rt.path = PathFor(r.Func)
	}
	if !pathRE.MatchString(rt.path) {
		fail("path %q: want slash-separated segments of letters, digits and ._~- (no wildcards, no trailing slash)", rt.path)
	}
	for _, seg := range strings.Split(rt.path, "/") {
		if seg == "." || seg == ".." {
			fail("path %q: segments . and .. are not allowed", rt.path)
			break
		}
	}
	segs := strings.Split(rt.path, "/")
	rt.noun = snake(segs[len(segs)-1])
	if rt.noun == "" {
		rt.noun = snake(r.Func)
	}

	// Names used inside the handler: reserved ones plus this route's temporaries.
	local := map[string]bool{}
	for n := range taken {
		local[n] = true
	}
	for i := range r.Params {
		local["v"+strconv.Itoa(i)] = true
	}
	for i := range r.Results {
		local["res"+strconv.Itoa(i)] = true
	}

	allScalar := true
	wires := map[string]string{}
	goNames := map[string]bool{}
	fields := map[string]bool{}
	for i, p := range r.Params {
		pp, perrs := newParam(m, p, local, fields)
		where := fmt.Sprintf("parameter %d", i)
		if isIdent(p.Name) {
			where = "parameter " + p.Name
		}
		for _, e := range perrs {
			errs = append(errs, fmt.Errorf("%s: %w", where, e))
		}
		if pp == nil {
			continue
		}
		if goNames[pp.name] {
			fail("%s: duplicate parameter name", where)
		}
		goNames[pp.name] = true
		if other, dup := wires[pp.wire]; dup {
			fail("%s: wire name %q is also the wire name of parameter %s", where, pp.wire, other)
		}
		wires[pp.wire] = pp.name
		if !pp.kind.IsScalar() {
			allScalar = false
		}
		rt.params = append(rt.params, pp)
	}

	switch strings.ToUpper(r.Method) {
	case "":
		rt.method = "POST"
		if allScalar {
			rt.method = "GET"
		}
	case "GET":
		rt.method = "GET"
		for _, p := range rt.params {
			if !p.kind.IsScalar() {
				fail("method GET: parameter %s of type %s must come from a JSON body; use POST", p.name, p.typ)
			}
		}
	case "POST":
		rt.method = "POST"
	default:
		fail("method %q: only GET and POST are supported", r.Method)
	}
	rt.allow = rt.method
	if rt.method == "GET" {
		rt.allow = "GET, HEAD"
	}

	keys := map[string]bool{}
	respFields := map[string]bool{}
	nonErr := 0
	for _, res := range r.Results {
		if strings.TrimSpace(res.GoType) != "error" {
			nonErr++
		}
	}
	idx := 0
	for i, res := range r.Results {
		if strings.TrimSpace(res.GoType) == "error" {
			if i != len(r.Results)-1 {
				fail("result %d: an error result must come last", i)
			}
			rt.hasErr = true
			continue
		}
		idx++
		rr := &result{local: "res" + strconv.Itoa(i)}
		typ, expr, err := checkType(res.GoType, m.spec.PkgName, m.alias)
		if err != nil {
			fail("result %d: %v", i, err)
			continue
		}
		rr.typ, rr.expr = typ, expr
		rr.kind = res.Kind
		if rr.kind == Auto {
			rr.kind = KindOf(typ)
		}
		if err := checkKind(rr.kind, typ, expr); err != nil {
			fail("result %d: %v", i, err)
		}
		switch {
		case res.Name != "" && res.Name != "_":
			if !isIdent(res.Name) {
				fail("result %d: name %q is not a Go identifier", i, res.Name)
			}
			rr.key = snake(res.Name)
		case nonErr == 1:
			rr.key = rt.noun
		default:
			rr.key = rt.noun + "_" + strconv.Itoa(idx)
		}
		if keys[rr.key] {
			fail("result %d: response key %q is used twice", i, rr.key)
		}
		keys[rr.key] = true
		rr.field = unique(camel(rr.key), respFields)
		rt.results = append(rt.results, rr)
	}
	return rt, errs
}

// newParam validates one parameter and derives its names and example.
func newParam(m *model, p Param, local, fields map[string]bool) (*param, []error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !isIdent(p.Name) || p.Name == "_" {
		return nil, []error{fmt.Errorf("name %q is not a Go identifier", p.Name)}
	}
	pp := &param{name: p.Name, wire: snake(p.Name), min: p.Min, max: p.Max, enum: p.Enum}
	if pp.wire == "" {
		pp.wire = strings.ToLower(p.Name)
	}
	typ, expr, err := checkType(p.GoType, m.spec.PkgName, m.alias)
	if err != nil {
		return nil, []error{err}
	}
	pp.typ, pp.expr = typ, expr
	pp.kind = p.Kind
	if pp.kind == Auto {
		pp.kind = KindOf(typ)
	}
	if err := checkKind(pp.kind, typ, expr); err != nil {
		return nil, []error{err}
	}
	pp.basic = KindOf(typ) == pp.kind && pp.kind.IsScalar()
	pp.local = unique(p.Name, local)
	pp.field = unique(camel(p.Name), fields)

	if (p.Min != nil || p.Max != nil) && !pp.kind.isNumeric() {
		fail("bounds need a numeric kind, not %s", pp.kind)
	}
	for _, b := range []*float64{p.Min, p.Max} {
		if b == nil || !pp.kind.isNumeric() {
			continue
		}
		if err := checkBound(pp.kind, *b); err != nil {
			fail("%v", err)
		}
	}
	if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
		fail("min %v is above max %v", *p.Min, *p.Max)
	}
	if len(p.Enum) > 0 && pp.kind != String {
		fail("enum needs the string kind, not %s", pp.kind)
	}
	seen := map[string]bool{}
	for _, e := range p.Enum {
		if seen[e] {
			fail("enum value %q is listed twice", e)
		}
		seen[e] = true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := setExample(pp, p.Example); err != nil {
		return nil, []error{err}
	}
	return pp, nil
}

// unique returns name, or name with a number appended, whichever is not in taken, and takes it.
func unique(name string, taken map[string]bool) string {
	out := name
	for i := 2; taken[out]; i++ {
		out = name + strconv.Itoa(i)
	}
	taken[out] = true
	return out
}

// checkType parses a type expression, checks that it can travel as JSON or a query value, and
// renames the library qualifier to alias. It returns the canonical text of the type.
func checkType(goType, pkg, alias string) (string, ast.Expr, error) {
	if strings.TrimSpace(goType) == "" {
		return "", nil, errors.New("empty type")
	}
	expr, err := parser.ParseExpr(goType)
	if err != nil {
		return "", nil, fmt.Errorf("type %q does not parse: %w", goType, err)
	}
	var bad error
	ast.Inspect(expr, func(n ast.Node) bool {
		if bad != nil {
			return false
		}
		switch x := n.(type) {
		case *ast.SelectorExpr:
			id, ok := x.X.(*ast.Ident)
			if !ok || id.Name != pkg {
				bad = fmt.Errorf("type %q: only types of package %s and predeclared types are supported", goType, pkg)
				return false
			}
			id.Name = alias
			return false
		case *ast.Ident:
			switch x.Name {
			case "complex64", "complex128", "uintptr", "error":
				bad = fmt.Errorf("type %q: %s cannot travel as JSON", goType, x.Name)
			case "any", "bool", "byte", "rune", "string", "int", "int8", "int16", "int32", "int64",
				"uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
			default:
				bad = fmt.Errorf("type %q: %s is not predeclared; qualify library types as %s.%s", goType, x.Name, pkg, x.Name)
			}
		case *ast.ChanType, *ast.FuncType:
			bad = fmt.Errorf("type %q: channels and functions cannot travel as JSON", goType)
		case *ast.InterfaceType:
			if x.Methods != nil && len(x.Methods.List) > 0 {
				bad = fmt.Errorf("type %q: interfaces with methods cannot be decoded from JSON", goType)
			}
			return false
		case *ast.Ellipsis:
			bad = fmt.Errorf("type %q: variadic parameters are not supported", goType)
		case *ast.MapType:
			if k, ok := x.Key.(*ast.Ident); ok && (KindOf(k.Name) == JSON || k.Name == "bool" || KindOf(k.Name).isFloat()) {
				bad = fmt.Errorf("type %q: JSON objects need string or integer map keys", goType)
			}
		case *ast.StructType:
			bad = fmt.Errorf("type %q: anonymous struct types are not supported; declare a named type in package %s", goType, pkg)
		case *ast.ArrayType, *ast.StarExpr, *ast.ParenExpr, *ast.IndexExpr, *ast.IndexListExpr, *ast.BasicLit:
		case nil:
		default:
			bad = fmt.Errorf("type %q: unsupported type expression", goType)
		}
		return true
	})
	if bad != nil {
		return "", nil, bad
	}
	return exprString(expr), expr, nil
}

// exprString prints an expression the way gofmt would.
func exprString(e ast.Expr) string {
	var buf bytes.Buffer
	if err := format.Node(&buf, token.NewFileSet(), e); err != nil {
		return fmt.Sprintf("%T", e) // only for nodes printers reject, which checkType refuses
	}
	return buf.String()
}

// checkKind checks that a kind fits a type: a predeclared scalar type has its own kind, and a
// scalar kind needs a predeclared or named type.
func checkKind(k Kind, typ string, expr ast.Expr) error {
	if k < Auto || k > JSON {
		return fmt.Errorf("unknown kind %d", int(k))
	}
	natural := KindOf(typ)
	if natural != JSON && natural != k {
		return fmt.Errorf("type %s has kind %s, not %s", typ, natural, k)
	}
	if k.IsScalar() && natural == JSON {
		if _, ok := expr.(*ast.SelectorExpr); !ok {
			return fmt.Errorf("kind %s needs a named type, not %s", k, typ)
		}
	}
	return nil
}

// checkBound checks that a bound is finite and, for integer kinds, whole and in range.
func checkBound(k Kind, b float64) error {
	if math.IsNaN(b) || math.IsInf(b, 0) {
		return fmt.Errorf("bound %v is not finite", b)
	}
	if k.isFloat() {
		if k == Float32 && math.Abs(b) > math.MaxFloat32 {
			return fmt.Errorf("bound %v is out of range for float32", b)
		}
		return nil
	}
	if b != math.Trunc(b) {
		return fmt.Errorf("bound %v of an integer parameter is not a whole number", b)
	}
	lo, hi := intRange(k)
	if b < lo || b > hi {
		return fmt.Errorf("bound %v is out of range for %s", b, k)
	}
	return nil
}

// intRange returns the values of an integer kind as float64 (rounded for 64-bit kinds).
func intRange(k Kind) (lo, hi float64) {
	bits := k.bits()
	if k.isUint() {
		return 0, math.Ldexp(1, bits) - 1
	}
	return -math.Ldexp(1, bits-1), math.Ldexp(1, bits-1) - 1
}

// setExample parses or derives the example of a parameter and fills its three forms.
func setExample(p *param, text string) error {
	if p.kind == JSON {
		if text == "" {
			text = jsonDefault(p.expr)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(text)); err != nil {
			return fmt.Errorf("example %q is not JSON: %w", text, err)
		}
		if buf.String() == "null" {
			return errors.New("example is null, which the server treats as a missing parameter")
		}
		p.exJSON = buf.String()
		return nil
	}
	derived := text == ""
	switch {
	case p.kind == String:
		if derived {
			text = "example"
			if len(p.enum) > 0 {
				text = p.enum[0]
			}
		}
		if len(p.enum) > 0 && !contains(p.enum, text) {
			return fmt.Errorf("example %q is not one of the enum values", text)
		}
		q, _ := json.Marshal(text)
		p.exQuery, p.exJSON, p.exGo = text, string(q), strconv.Quote(text)
	case p.kind == Bool:
		if derived {
			text = "true"
		}
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("example %q is not a bool", text)
		}
		p.exQuery = strconv.FormatBool(b)
		p.exJSON, p.exGo = p.exQuery, p.exQuery
	case p.kind.isFloat():
		v := defaultNumber(p)
		if !derived {
			var err error
			v, err = strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), p.kind.bits())
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("example %q is not a finite %s", text, p.kind)
			}
		}
		if err := inBounds(p, v); err != nil {
			return err
		}
		p.exQuery = strconv.FormatFloat(v, 'g', -1, p.kind.bits())
		p.exJSON, p.exGo = p.exQuery, p.exQuery
	case p.kind.isInt():
		v := int64(defaultNumber(p))
		if !derived {
			var err error
			v, err = strconv.ParseInt(text, 0, p.kind.bits())
			if err != nil {
				return fmt.Errorf("example %q is not an %s", text, p.kind)
			}
		}
		if err := inBounds(p, float64(v)); err != nil {
			return err
		}
		p.exQuery = strconv.FormatInt(v, 10)
		p.exJSON, p.exGo = p.exQuery, p.exQuery
	case p.kind.isUint():
		v := uint64(defaultNumber(p))
		if !derived {
			var err error
			v, err = strconv.ParseUint(text, 0, p.kind.bits())
			if err != nil {
				return fmt.Errorf("example %q is not a %s", text, p.kind)
			}
		}
		if err := inBounds(p, float64(v)); err != nil {
			return err
		}
		p.exQuery = strconv.FormatUint(v, 10)
		p.exJSON, p.exGo = p.exQuery, p.exQuery
	}
	return nil
}

func inBounds(p *param, v float64) error {
	if p.min != nil && v < *p.min || p.max != nil && v > *p.max {
		return fmt.Errorf("example %v is outside the bounds %s", v, boundsText(p))
	}
	return nil
}

// defaultNumber picks an example inside the bounds, preferring 1 over 0 so a division by the
// parameter does not fail.
func defaultNumber(p *param) float64 {
	v := 1.0
	switch {
	case p.min != nil && p.max != nil:
		v = *p.min/2 + *p.max/2
	case p.min != nil:
		v = math.Max(*p.min, 1)
	case p.max != nil:
		v = math.Min(*p.max, 1)
	}
	if !p.kind.isFloat() {
		v = math.Ceil(v)
	}
	return v
}

// jsonDefault derives a JSON example from the shape of a type: a one-element array of a
// scalar, an empty array or object otherwise. A named library type is assumed to be a struct
// ("{}"); give an Example for named slices and maps.
func jsonDefault(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return jsonDefault(x.X)
	case *ast.StarExpr:
		return jsonDefault(x.X)
	case *ast.ArrayType:
		if lit, ok := x.Len.(*ast.BasicLit); ok {
			// A fixed-length array: the schema says minItems = maxItems = n, so the example
			// has n elements.
			if n, err := strconv.Atoi(lit.Value); err == nil && n >= 0 && n <= 16 {
				elems := make([]string, n)
				for i := range elems {
					elems[i] = jsonDefault(x.Elt)
				}
				return "[" + strings.Join(elems, ", ") + "]"
			}
		}
		if id, ok := x.Elt.(*ast.Ident); ok {
			switch k := KindOf(id.Name); {
			case k == Uint8:
				return `""` // []byte travels as base64
			case k == String:
				return `["example"]`
			case k == Bool:
				return `[true]`
			case k.IsScalar():
				return `[1]`
			}
		}
		return "[]"
	case *ast.Ident:
		switch k := KindOf(x.Name); {
		case k == String:
			return `"example"`
		case k == Bool:
			return "true"
		case k.IsScalar():
			return "1"
		}
	}
	return "{}"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// boundsText says the bounds in words: "between 0 and 120", "at least 0", "at most 1".
func boundsText(p *param) string {
	switch {
	case p.min != nil && p.max != nil:
		return "between " + numText(*p.min) + " and " + numText(*p.max)
	case p.min != nil:
		return "at least " + numText(*p.min)
	case p.max != nil:
		return "at most " + numText(*p.max)
	}
	return ""
}

func numText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e18 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// sortedKeys returns the keys of a map in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CheckType reports whether a type, written as seen from outside package pkg (the library's
// types qualified as pkg.Name), can travel through the API as JSON or a query value. The
// extractor asks before it makes a route, so a function the API cannot serve stays in the
// library instead of failing the generator.
func CheckType(goType, pkg string) error {
	_, _, err := checkType(goType, pkg, pkg)
	return err
}
