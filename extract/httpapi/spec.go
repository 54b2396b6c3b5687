package httpapi

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MinGoVersion is the lowest go directive the generated repository's go.mod may declare: the
// server registers method patterns ("GET /v1/x"), which ServeMux honours from Go 1.22 on, and
// reads Request.Pattern (1.23) and uses sync.WaitGroup.Go (1.25).
const MinGoVersion = "1.25"

// Spec describes the API of one library package.
type Spec struct {
	Module  string // module path of the generated repository, e.g. "example.com/churn"
	PkgPath string // import path of the library package, e.g. "example.com/churn/churn"
	PkgName string // its package name, e.g. "churn"
	Title   string // API title (openapi info.title); "" means "<PkgName> API"
	Version string // API version, e.g. "0.1.0"; "" means "0.1.0"
	Routes  []Route
	// Types holds the library's named types by name, each as its underlying type expression
	// ("struct { ID int `json:\"id\"` }"), so that openapi.json can describe JSON bodies field
	// by field. Optional: unknown types are described by their Go type name only.
	Types map[string]string
	// Artifact, when set, makes the server load the library's trained values from a versioned
	// artifact before it listens (flags -model-url and -model-version), and refuse to start
	// without one. The library must export LoadTrained(map[string][]byte) error.
	Artifact *Artifact
}

// Artifact names what the server needs to load trained values.
type Artifact struct {
	Pkg   string // import path of the artifact package (OpenBucket, Load, DefaultURL, NotebookSHA256)
	Batch string // the batch command that trains, for the start-up error: "churn"
}

// Route is one exported library function served over HTTP.
type Route struct {
	Func    string // exported function name in PkgName, e.g. "CalcProbabilities"
	Method  string // "GET" or "POST"; "" means GET when every parameter is a scalar, else POST
	Path    string // "" means PathFor(Func)
	Doc     string // function doc comment; its first sentence is the OpenAPI summary
	Params  []Param
	Results []Result // the function's results in order; a last result of GoType "error" is allowed

	// NoLiveTest keeps the generated tests from calling the real function (for functions that
	// need a database, network or files, or have no input that succeeds). The route is then
	// tested through a stub only.
	NoLiveTest bool
}

// Param is one parameter of a route's function.
//
// A GET route reads its parameters from the query string under their snake_case names. A POST
// route reads one JSON object from the body whose keys are the snake_case names of all its
// parameters, scalars included.
type Param struct {
	Name   string // Go parameter name; the wire name is its snake_case form
	GoType string // type as written, package types qualified with PkgName: "float64", "[]float64", "churn.Customer"
	// Kind is how the value travels. The zero Kind (Auto) means KindOf(GoType). A named type
	// from the library with a scalar underlying type (type Plan string) may set the scalar kind
	// so it is read from the query string and converted.
	Kind     Kind
	Min, Max *float64 // declared inclusive bounds, numeric kinds only
	Enum     []string // allowed values, String kind only
	// Example is a value that the function accepts: query form for scalars ("42.5", "basic",
	// "true"; integers may use Go literal syntax), JSON for JSON kinds. "" means a derived
	// default (see deriveExample). It feeds the OpenAPI examples and the generated tests.
	Example string
}

// Result is one result of a route's function.
type Result struct {
	Name   string // result name; "" or "_" means one derived from the path
	GoType string // as in Param; "error" for a last error result
	Kind   Kind   // Auto means KindOf(GoType)
}

// Kind says how a value is read from a request.
type Kind int

// Kinds. Scalars come from the query string of a GET route; JSON values from the body.
const (
	Auto Kind = iota // derive from the type with KindOf
	String
	Bool
	Int
	Int8
	Int16
	Int32
	Int64
	Uint
	Uint8
	Uint16
	Uint32
	Uint64
	Float32
	Float64
	JSON // structs, slices, arrays, maps, pointers and named library types
)

var kindNames = [...]string{"auto", "string", "bool", "int", "int8", "int16", "int32", "int64",
	"uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "json"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// IsScalar reports whether values of kind k travel as a single query-string value.
func (k Kind) IsScalar() bool { return k >= String && k <= Float64 }

func (k Kind) isInt() bool   { return k >= Int && k <= Int64 }
func (k Kind) isUint() bool  { return k >= Uint && k <= Uint64 }
func (k Kind) isFloat() bool { return k == Float32 || k == Float64 }

// isNumeric reports whether k may carry Min and Max.
func (k Kind) isNumeric() bool { return k.isInt() || k.isUint() || k.isFloat() }

// bits is the size of an integer or float kind (int and uint are taken as 64 bits).
func (k Kind) bits() int {
	switch k {
	case Int8, Uint8:
		return 8
	case Int16, Uint16:
		return 16
	case Int32, Uint32, Float32:
		return 32
	}
	return 64
}

// KindOf returns the kind of a predeclared type name ("float64", "byte", "rune", ...) and JSON
// for everything else.
func KindOf(goType string) Kind {
	switch strings.TrimSpace(goType) {
	case "string":
		return String
	case "bool":
		return Bool
	case "int":
		return Int
	case "int8":
		return Int8
	case "int16":
		return Int16
	case "int32", "rune":
		return Int32
	case "int64":
		return Int64
	case "uint":
		return Uint
	case "uint8", "byte":
		return Uint8
	case "uint16":
		return Uint16
	case "uint32":
		return Uint32
	case "uint64":
		return Uint64
	case "float32":
		return Float32
	case "float64":
		return Float64
	}
	return JSON
}

// leadingVerbs are stripped from function names to leave the noun of the path.
var leadingVerbs = map[string]bool{
	"calc": true, "calculate": true, "compute": true, "get": true, "predict": true,
	"estimate": true, "run": true, "do": true, "make": true,
}

// abbreviations are spelled out in paths, so GetProbs and CalcProbabilities meet at one path.
var abbreviations = map[string]string{
	"probs": "probabilities", "prob": "probability",
	"preds": "predictions", "pred": "prediction",
	"params": "parameters", "param": "parameter",
}

// PathFor returns the versioned noun path of a function: the name split into words (camelCase,
// acronyms, underscores and dashes all separate words), leading verbs dropped (calc, calculate,
// compute, get, predict, estimate, run, do, make) while a word remains, common abbreviations
// spelled out (probs, prob, preds, pred, params, param), lower-cased and joined with dashes,
// under "/v1/". CalcProbabilities, GetProbs and probabilities all give "/v1/probabilities";
// PredictChurnRate gives "/v1/churn-rate"; a name that is only a verb keeps it ("Predict" gives
// "/v1/predict"). Paths are ASCII: other runes are dropped, and a name left without letters
// or digits gives "/v1/", which Render rejects (give the route a Path).
func PathFor(funcName string) string {
	words := splitWords(funcName)
	for len(words) > 1 && leadingVerbs[words[0]] {
		words = words[1:]
	}
	var out []string
	for _, w := range words {
		if long, ok := abbreviations[w]; ok {
			w = long
		}
		// Paths stay ASCII, so clients need no percent-encoding.
		w = strings.Map(func(r rune) rune {
			if r < utf8.RuneSelf {
				return r
			}
			return -1
		}, w)
		if w != "" {
			out = append(out, w)
		}
	}
	return "/v1/" + strings.Join(out, "-")
}

// snake returns the snake_case form of a Go identifier: numCalls -> num_calls,
// customerID -> customer_id, HTTPServer -> http_server.
func snake(name string) string { return strings.Join(splitWords(name), "_") }

// splitWords splits an identifier into lower-case words at case changes, acronym ends and any
// rune that is not a letter or digit. Digits stay with the word before them.
func splitWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := cur[len(cur)-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// fooBar, foo2Bar: a capital after a lower-case letter or digit starts a word;
			// HTTPServer: the last capital of an acronym starts the next word.
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// camel returns the exported CamelCase form of snake_case or camelCase text: churn_rate -> ChurnRate.
func camel(s string) string {
	var b strings.Builder
	for _, w := range splitWords(s) {
		r, n := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[n:])
	}
	if b.Len() == 0 {
		return "X"
	}
	out := b.String()
	if r, _ := utf8.DecodeRuneInString(out); !unicode.IsLetter(r) {
		out = "X" + out
	}
	return out
}

// lowerFirst lower-cases the first rune: CalcProbabilities -> calcProbabilities.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
