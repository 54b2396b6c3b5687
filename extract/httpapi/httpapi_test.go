package httpapi

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestPathFor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CalcProbabilities", "/v1/probabilities"},
		{"GetProbs", "/v1/probabilities"},
		{"probabilities", "/v1/probabilities"},
		{"CalculateProb", "/v1/probability"},
		{"PredictChurnRate", "/v1/churn-rate"},
		{"ComputePreds", "/v1/predictions"},
		{"EstimateParams", "/v1/parameters"},
		{"GetHTTPStatus", "/v1/http-status"},
		{"RunDoScore", "/v1/score"},
		{"Score", "/v1/score"},
		{"Predict", "/v1/predict"},
		{"MakeTop10Items", "/v1/top10-items"},
		{"calc_probs", "/v1/probabilities"},
		{"get-user-id", "/v1/user-id"},
		{"CustomerID", "/v1/customer-id"},
		{"Getaway", "/v1/getaway"}, // a verb must be a whole word
		{"", "/v1/"},
		{"BerechneÜberlebensrate", "/v1/berechne-berlebensrate"},
	}
	for _, tc := range tests {
		if got := PathFor(tc.in); got != tc.want {
			t.Errorf("PathFor(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSnake(t *testing.T) {
	tests := []struct{ in, want string }{
		{"age", "age"},
		{"numCalls", "num_calls"},
		{"customerID", "customer_id"},
		{"HTTPServer", "http_server"},
		{"x2", "x2"},
		{"arg0", "arg0"},
		{"already_snake", "already_snake"},
	}
	for _, tc := range tests {
		if got := snake(tc.in); got != tc.want {
			t.Errorf("snake(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]Kind{
		"string": String, "bool": Bool, "int": Int, "int8": Int8, "int16": Int16, "int32": Int32,
		"rune": Int32, "int64": Int64, "uint": Uint, "uint8": Uint8, "byte": Uint8, "uint16": Uint16,
		"uint32": Uint32, "uint64": Uint64, "float32": Float32, "float64": Float64,
		"[]float64": JSON, "demo.Customer": JSON, "*float64": JSON, "map[string]int": JSON, "any": JSON,
	}
	for in, want := range tests {
		if got := KindOf(in); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", in, got, want)
		}
	}
	if Auto.IsScalar() || JSON.IsScalar() || !Float64.IsScalar() || !String.IsScalar() {
		t.Error("IsScalar is wrong at the ends of the scalar range")
	}
}

func minimalSpec() Spec {
	return Spec{
		PkgPath: "example.com/m/lib",
		PkgName: "lib",
		Routes: []Route{{
			Func:    "CalcProbabilities",
			Params:  []Param{{Name: "age", GoType: "float64"}},
			Results: []Result{{GoType: "float64"}},
		}},
	}
}

func TestRenderValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Spec)
		want string // part of the error
	}{
		{"no routes", func(s *Spec) { s.Routes = nil }, "no routes"},
		{"bad package name", func(s *Spec) { s.PkgName = "my-lib" }, `package name "my-lib"`},
		{"main package", func(s *Spec) { s.PkgName = "main" }, `package name "main"`},
		{"no package path", func(s *Spec) { s.PkgPath = "" }, "PkgPath is empty"},
		{"bad package path", func(s *Spec) { s.PkgPath = "example.com/a b" }, "not an import path"},
		{"unexported function", func(s *Spec) { s.Routes[0].Func = "calc" }, `"calc" is not an exported`},
		{"duplicate path", func(s *Spec) {
			s.Routes = append(s.Routes, Route{Func: "GetProbs", Results: []Result{{GoType: "float64"}}})
		}, "path /v1/probabilities is already used by route CalcProbabilities"},
		{"duplicate function", func(s *Spec) {
			s.Routes = append(s.Routes, Route{Func: "CalcProbabilities", Path: "/v1/other"})
		}, "more than one route"},
		{"healthz path", func(s *Spec) { s.Routes[0].Path = "/healthz" }, "already used by the health check"},
		{"wildcard path", func(s *Spec) { s.Routes[0].Path = "/v1/{id}" }, `path "/v1/{id}"`},
		{"trailing slash", func(s *Spec) { s.Routes[0].Path = "/v1/x/" }, `path "/v1/x/"`},
		{"dot segment", func(s *Spec) { s.Routes[0].Path = "/v1/../x" }, "segments . and .."},
		{"bad method", func(s *Spec) { s.Routes[0].Method = "PUT" }, `method "PUT"`},
		{"GET with a JSON parameter", func(s *Spec) {
			s.Routes[0].Method = "GET"
			s.Routes[0].Params[0].GoType = "[]float64"
		}, "use POST"},
		{"unnamed parameter", func(s *Spec) { s.Routes[0].Params[0].Name = "" }, `name "" is not a Go identifier`},
		{"duplicate parameter", func(s *Spec) {
			s.Routes[0].Params = append(s.Routes[0].Params, Param{Name: "age", GoType: "int"})
		}, "duplicate parameter name"},
		{"colliding wire names", func(s *Spec) {
			s.Routes[0].Params = []Param{{Name: "numCalls", GoType: "int"}, {Name: "num_calls", GoType: "int"}}
		}, `wire name "num_calls"`},
		{"type of another package", func(s *Spec) { s.Routes[0].Params[0].GoType = "time.Duration" }, "only types of package lib"},
		{"unqualified library type", func(s *Spec) { s.Routes[0].Params[0].GoType = "Customer" }, "qualify library types as lib.Customer"},
		{"channel", func(s *Spec) { s.Routes[0].Params[0].GoType = "chan int" }, "channels and functions"},
		{"complex", func(s *Spec) { s.Routes[0].Params[0].GoType = "complex128" }, "complex128 cannot travel"},
		{"variadic", func(s *Spec) { s.Routes[0].Params[0].GoType = "...float64" }, "does not parse"},
		{"interface", func(s *Spec) { s.Routes[0].Params[0].GoType = "interface{ M() }" }, "interfaces with methods"},
		{"anonymous struct", func(s *Spec) { s.Routes[0].Params[0].GoType = "struct{ X int }" }, "anonymous struct"},
		{"float map key", func(s *Spec) { s.Routes[0].Params[0].GoType = "map[float64]int" }, "map keys"},
		{"kind mismatch", func(s *Spec) { s.Routes[0].Params[0].Kind = Int }, "has kind float64, not int"},
		{"scalar kind on a slice", func(s *Spec) {
			s.Routes[0].Params[0].GoType = "[]int"
			s.Routes[0].Params[0].Kind = Int
		}, "needs a named type"},
		{"bounds on a string", func(s *Spec) {
			s.Routes[0].Params[0].GoType = "string"
			s.Routes[0].Params[0].Min = ptr(1)
		}, "bounds need a numeric kind"},
		{"fractional bound of an int", func(s *Spec) {
			s.Routes[0].Params[0].GoType = "int"
			s.Routes[0].Params[0].Min = ptr(0.5)
		}, "not a whole number"},
		{"bound out of range", func(s *Spec) {
			s.Routes[0].Params[0].GoType = "uint8"
			s.Routes[0].Params[0].Max = ptr(300)
		}, "out of range for uint8"},
		{"min above max", func(s *Spec) {
			s.Routes[0].Params[0].Min, s.Routes[0].Params[0].Max = ptr(2), ptr(1)
		}, "min 2 is above max 1"},
		{"enum on a number", func(s *Spec) { s.Routes[0].Params[0].Enum = []string{"a"} }, "enum needs the string kind"},
		{"example not a number", func(s *Spec) { s.Routes[0].Params[0].Example = "old" }, `example "old" is not a finite float64`},
		{"example out of bounds", func(s *Spec) {
			s.Routes[0].Params[0].Max = ptr(120)
			s.Routes[0].Params[0].Example = "150"
		}, "outside the bounds at most 120"},
		{"example not in enum", func(s *Spec) {
			s.Routes[0].Params[0] = Param{Name: "plan", GoType: "string", Enum: []string{"a", "b"}, Example: "c"}
		}, `example "c" is not one of the enum values`},
		{"example not JSON", func(s *Spec) {
			s.Routes[0].Params[0] = Param{Name: "xs", GoType: "[]float64", Example: "[1,"}
		}, "is not JSON"},
		{"error not last", func(s *Spec) {
			s.Routes[0].Results = []Result{{GoType: "error"}, {GoType: "float64"}}
		}, "an error result must come last"},
		{"duplicate result keys", func(s *Spec) {
			s.Routes[0].Results = []Result{{Name: "p", GoType: "float64"}, {Name: "p", GoType: "float64"}}
		}, `response key "p" is used twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := minimalSpec()
			tc.edit(&s)
			_, err := Render(s)
			if err == nil {
				t.Fatalf("Render succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestRenderReportsAllProblems checks that problems in several routes come back together.
func TestRenderReportsAllProblems(t *testing.T) {
	s := minimalSpec()
	s.Routes = append(s.Routes, Route{Func: "Other", Method: "PATCH"})
	s.Routes[0].Params[0].GoType = "chan int"
	_, err := Render(s)
	if err == nil {
		t.Fatal("Render succeeded")
	}
	for _, want := range []string{"route CalcProbabilities: parameter age:", "route Other: method"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestRenderDefaults(t *testing.T) {
	files, err := Render(minimalSpec())
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"cmd/server/main.go", "cmd/server/api.go", "cmd/server/api_test.go", "cmd/server/observe.go",
		"cmd/server/observe_test.go", "cmd/server/openapi_test.go", "openapi.json"}
	for _, name := range names {
		if len(files[name]) == 0 {
			t.Errorf("%s is missing", name)
		}
	}
	if len(files) != len(names) {
		t.Errorf("got %d files, want %d", len(files), len(names))
	}
	var doc struct {
		Info struct{ Title, Version string }
	}
	if err := json.Unmarshal(files["openapi.json"], &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Title != "lib API" || doc.Info.Version != "0.1.0" {
		t.Errorf("info %+v, want the default title and version", doc.Info)
	}
	api := string(files["cmd/server/api.go"])
	// A GET-only API needs no body decoding; its derived example of 1 reaches the tests.
	if strings.Contains(api, "decodeBody") {
		t.Error("api.go of a GET-only API has decodeBody")
	}
	if !strings.Contains(string(files["cmd/server/api_test.go"]), `"/v1/probabilities?age=1"`) {
		t.Error("api_test.go does not use the derived example age=1")
	}
}

// TestRenderNameCollisions uses a package and parameters named like identifiers of the
// generated code; the files must still declare each name once.
func TestRenderNameCollisions(t *testing.T) {
	s := Spec{
		PkgPath: "example.com/m/json",
		PkgName: "json",
		Routes: []Route{{
			Func: "Handle",
			Params: []Param{
				{Name: "w", GoType: "float64"},
				{Name: "r", GoType: "string"},
				{Name: "json", GoType: "int"},
				{Name: "writeError", GoType: "bool"},
				{Name: "v0", GoType: "json.Kind", Kind: Int},
			},
			Results: []Result{{Name: "err2", GoType: "json.Result"}, {GoType: "error"}},
		}},
	}
	files, err := Render(s)
	if err != nil {
		t.Fatal(err)
	}
	api := string(files["cmd/server/api.go"])
	for _, want := range []string{
		`jsonlib "example.com/m/json"`,
		"w2, ok := parseFloat(vals[0], 64)",
		"r2 := vals[1]",
		"json2 := int(v2)",
		"v02 := jsonlib.Kind(v4)",
		"s.fns.Handle(w2, r2, json2, writeError2, v02)",
	} {
		if !strings.Contains(api, want) {
			t.Errorf("api.go does not contain %q", want)
		}
	}
	for name, src := range files {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		if _, err := parser.ParseFile(token.NewFileSet(), name, src, 0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRenderDeterministic renders the same spec twice.
func TestRenderDeterministic(t *testing.T) {
	a, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if string(a[name]) != string(b[name]) {
			t.Errorf("%s differs between two renders", name)
		}
	}
}

func TestFirstSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Score returns the mean. It panics on empty input.", "Score returns the mean."},
		{"Score returns\nthe mean of v1.2 values", "Score returns the mean of v1.2 values"},
		{"One.\n\nTwo.", "One."},
		{"", ""},
	}
	for _, tc := range tests {
		if got := firstSentence(tc.in); got != tc.want {
			t.Errorf("firstSentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzPathFor checks that any name gives a versioned path of lower-case words of letters and
// digits joined by single dashes.
func FuzzPathFor(f *testing.F) {
	for _, s := range []string{"CalcProbabilities", "GetProbs", "probabilities", "HTTPServer", "a_b-c d", "", "Ünïcode", "ǅx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		p := PathFor(name)
		rest, ok := strings.CutPrefix(p, "/v1/")
		if !ok || strings.Contains(rest, "--") || strings.HasPrefix(rest, "-") || strings.HasSuffix(rest, "-") {
			t.Fatalf("PathFor(%q) = %q", name, p)
		}
		for _, r := range rest {
			if r != '-' && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
				t.Fatalf("PathFor(%q) = %q has %q", name, p, r)
			}
		}
	})
}

// FuzzRender feeds arbitrary names, types and examples to Render: it must not panic, and what
// it returns must parse as Go.
func FuzzRender(f *testing.F) {
	f.Add("Score", "features", "[]float64", "[1]", "GET")
	f.Add("CalcProbabilities", "age", "float64", "42.5", "")
	f.Add("Lookup", "plan", "lib.Plan", "", "POST")
	f.Add("X", "json", "map[string]lib.T", "{}", "")
	f.Fuzz(func(t *testing.T, fn, param, typ, example, method string) {
		s := minimalSpec()
		s.Routes[0].Func = fn
		s.Routes[0].Method = method
		s.Routes[0].Params = []Param{{Name: param, GoType: typ, Example: example}}
		files, err := Render(s)
		if err != nil {
			return
		}
		for name, src := range files {
			if !strings.HasSuffix(name, ".go") {
				if !json.Valid(src) {
					t.Fatalf("%s is not JSON", name)
				}
				continue
			}
			if _, err := parser.ParseFile(token.NewFileSet(), name, src, 0); err != nil {
				t.Fatalf("%s does not parse: %v", name, err)
			}
		}
	})
}
