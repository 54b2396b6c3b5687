package loadtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Class is what a target expects of the service.
type Class int

const (
	Good Class = iota // a valid request: the answer must be 2xx
	Bad               // an invalid request: the answer must be 4xx
	Fuzz              // an arbitrary request: any answer but 5xx
)

func (c Class) String() string {
	switch c {
	case Good:
		return "good"
	case Bad:
		return "bad"
	case Fuzz:
		return "fuzz"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Target is one request, relative to the service's base URL.
type Target struct {
	Name   string // what the request checks, for reports
	Class  Class
	Method string
	Path   string // with the query string, if any
	Body   []byte // JSON, or nil
	// ContentType is the media type a 2xx answer must carry, from the document's 200
	// response: "" means application/json. Error answers are JSON whatever it says.
	ContentType string
}

// TargetOptions selects the targets [Targets] builds. The zero value builds the good and bad
// targets and no fuzzed ones.
type TargetOptions struct {
	Fuzz     int    // number of fuzzed targets to add
	Seed     uint64 // seed of the fuzzed targets; the same seed gives the same targets
	GoodOnly bool   // leave out the bad targets
	// Ops adds the operational routes (see [OpsPaths]) as good targets. They take no
	// parameters, so they get no bad or fuzzed targets.
	Ops bool
}

// OpsPaths are the operational routes of an extracted server: liveness and readiness (JSON
// status objects) and Prometheus metrics (text). They are not the service's API: probes and
// scrapers call them, not users, so a load test leaves them out unless asked.
var OpsPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// openAPI is the part of an OpenAPI 3 document the targets need.
type openAPI struct {
	Paths map[string]map[string]operation `json:"paths"`
}

type operation struct {
	OperationID string      `json:"operationId"`
	Parameters  []parameter `json:"parameters"`
	Responses   map[string]struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
	RequestBody *struct {
		Content map[string]struct {
			Schema  schema          `json:"schema"`
			Example json.RawMessage `json:"example"`
		} `json:"content"`
	} `json:"requestBody"`
}

type parameter struct {
	Name     string          `json:"name"`
	In       string          `json:"in"`
	Required bool            `json:"required"`
	Schema   schema          `json:"schema"`
	Example  json.RawMessage `json:"example"`
}

type schema struct {
	Type       string            `json:"type"`
	Minimum    *float64          `json:"minimum"`
	Maximum    *float64          `json:"maximum"`
	Enum       []json.RawMessage `json:"enum"`
	Properties map[string]schema `json:"properties"`
	Required   []string          `json:"required"`
}

// field is a query parameter or body property with its example.
type field struct {
	name    string
	schema  schema
	example json.RawMessage // JSON text
}

// route is one operation the targets exercise.
type route struct {
	method, path string
	query        []field // query parameters, in document order
	body         []field // body properties, sorted by name; nil for a route without a body
	hasBody      bool
	ops          bool   // one of OpsPaths
	contentType  string // of the 200 answer when it is not JSON
}

// Targets builds the targets of every operation in an OpenAPI 3 document except the
// operational routes (unless o.Ops), sorted by path and method so the same document gives the
// same targets.
func Targets(spec []byte, o TargetOptions) ([]Target, error) {
	var doc openAPI
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	all, err := readRoutes(doc)
	if err != nil {
		return nil, err
	}
	var routes, ops []route // API routes; operational ones
	for _, r := range all {
		if r.ops {
			ops = append(ops, r)
		} else {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		return nil, fmt.Errorf("reading the OpenAPI document: no operations besides /healthz, /readyz and /metrics")
	}
	var out []Target
	for _, r := range all {
		if r.ops && !o.Ops {
			continue
		}
		out = append(out, Target{Name: r.method + " " + r.path + ": examples", Class: Good, Method: r.method, Path: r.target(r.exampleQuery()), Body: r.exampleBody(), ContentType: r.contentType})
	}
	if !o.GoodOnly {
		for _, r := range routes {
			out = append(out, r.badTargets()...)
		}
	}
	if o.Fuzz > 0 {
		rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
		for i := range o.Fuzz {
			r := routes[rng.IntN(len(routes))]
			t := r.fuzzTarget(rng)
			t.Name = fmt.Sprintf("%s %s: fuzz %d", r.method, r.path, i)
			out = append(out, t)
		}
	}
	return out, nil
}

func readRoutes(doc openAPI) ([]route, error) {
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var routes []route
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "{}?#") {
			continue // path templates have no example values to fill in
		}
		methods := make([]string, 0, len(doc.Paths[p]))
		for m := range doc.Paths[p] {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			method := strings.ToUpper(m)
			switch method {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			default:
				continue // "parameters", "summary" and other path-level keys
			}
			op := doc.Paths[p][m]
			r := route{method: method, path: p, ops: OpsPaths[p], contentType: successType(op)}
			for _, prm := range op.Parameters {
				if prm.In != "query" {
					continue
				}
				if len(prm.Example) == 0 {
					return nil, fmt.Errorf("reading the OpenAPI document: %s %s: parameter %q has no example", method, p, prm.Name)
				}
				r.query = append(r.query, field{name: prm.Name, schema: prm.Schema, example: prm.Example})
			}
			if op.RequestBody != nil {
				mt, ok := op.RequestBody.Content["application/json"]
				if !ok {
					return nil, fmt.Errorf("reading the OpenAPI document: %s %s: the body is not application/json", method, p)
				}
				r.hasBody = true
				var ex map[string]json.RawMessage
				if len(mt.Example) > 0 {
					if err := json.Unmarshal(mt.Example, &ex); err != nil {
						return nil, fmt.Errorf("reading the OpenAPI document: %s %s: the body example is not an object: %w", method, p, err)
					}
				}
				names := make([]string, 0, len(mt.Schema.Properties))
				for n := range mt.Schema.Properties {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					e, ok := ex[n]
					if !ok {
						return nil, fmt.Errorf("reading the OpenAPI document: %s %s: body property %q has no example", method, p, n)
					}
					r.body = append(r.body, field{name: n, schema: mt.Schema.Properties[n], example: e})
				}
			}
			routes = append(routes, r)
		}
	}
	return routes, nil
}

// successType returns the media type of an operation's 200 answer when it is not JSON (the
// metrics' text/plain), else "".
func successType(op operation) string {
	ok, found := op.Responses["200"]
	if !found || len(ok.Content) == 0 {
		return ""
	}
	types := make([]string, 0, len(ok.Content))
	for t := range ok.Content {
		if t == "application/json" {
			return ""
		}
		types = append(types, t)
	}
	sort.Strings(types)
	return types[0]
}

// exampleQuery returns the query parameters and their example values, as wire text.
func (r route) exampleQuery() [][2]string {
	q := make([][2]string, len(r.query))
	for i, f := range r.query {
		q[i] = [2]string{f.name, queryText(f.example)}
	}
	return q
}

// queryText is the query-string text of a JSON example: a string's contents, else the JSON.
func queryText(ex json.RawMessage) string {
	var s string
	if json.Unmarshal(ex, &s) == nil {
		return s
	}
	return string(ex)
}

// target returns the path with q encoded as its query string; values are escaped.
func (r route) target(q [][2]string) string {
	if len(q) == 0 {
		return r.path
	}
	parts := make([]string, len(q))
	for i, kv := range q {
		parts[i] = url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1])
	}
	return r.path + "?" + strings.Join(parts, "&")
}

// exampleBody returns the example body, or nil for a route without one.
func (r route) exampleBody() []byte {
	if !r.hasBody {
		return nil
	}
	return bodyOf(r.body, nil)
}

// bodyOf encodes fields as a JSON object, replacing the values named in with.
func bodyOf(fields []field, with map[string]json.RawMessage) []byte {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			sb.WriteByte(',')
		}
		k, _ := json.Marshal(f.name)
		sb.Write(k)
		sb.WriteByte(':')
		if v, ok := with[f.name]; ok {
			sb.Write(v)
		} else {
			sb.Write(f.example)
		}
	}
	sb.WriteByte('}')
	return []byte(sb.String())
}

// badValues returns values of the wrong shape for a schema, each with what is wrong with it.
func badValues(s schema) [][2]string {
	var out [][2]string
	switch s.Type {
	case "number", "integer":
		out = append(out, [2]string{"unparsable", "abc"}, [2]string{"not finite", "NaN"})
		if s.Type == "integer" {
			out = append(out, [2]string{"fractional", "1.5"})
		}
		if s.Minimum != nil {
			out = append(out, [2]string{"below minimum", strconv.FormatFloat(*s.Minimum-1, 'g', -1, 64)})
		}
		if s.Maximum != nil {
			out = append(out, [2]string{"above maximum", strconv.FormatFloat(*s.Maximum+1, 'g', -1, 64)})
		}
	case "boolean":
		out = append(out, [2]string{"not a boolean", "maybe"})
	case "string":
		if len(s.Enum) > 0 {
			bad := "not-an-enum-value"
			for enumHas(s.Enum, bad) {
				bad += "x"
			}
			out = append(out, [2]string{"not in enum", bad})
		}
	}
	return out
}

func enumHas(enum []json.RawMessage, s string) bool {
	for _, e := range enum {
		if queryText(e) == s {
			return true
		}
	}
	return false
}

// badTargets returns the requests a route must reject with 4xx.
func (r route) badTargets() []Target {
	var out []Target
	add := func(what, path string, body []byte) {
		out = append(out, Target{Name: r.method + " " + r.path + ": " + what, Class: Bad, Method: r.method, Path: path, Body: body})
	}
	good := r.exampleQuery()
	body := r.exampleBody()
	for i, f := range r.query {
		without := append(append([][2]string{}, good[:i]...), good[i+1:]...)
		add("missing "+f.name, r.target(without), body)
		for _, bv := range badValues(f.schema) {
			q := append([][2]string{}, good...)
			q[i][1] = bv[1]
			add(f.name+" "+bv[0], r.target(q), body)
		}
	}
	if len(r.query) > 0 {
		add("repeated "+r.query[0].name, r.target(append(append([][2]string{}, good...), good[0])), body)
		add("bad escape", r.target(good)+"&%zz=1", body)
	}
	add("unknown parameter", r.target(append(append([][2]string{}, good...), [2]string{"decant_bogus", "1"})), body)
	if r.hasBody {
		path := r.target(good)
		add("body not JSON", path, []byte("{"))
		add("body not an object", path, []byte("[]"))
		add("body unknown property", path, bodyOf(append(append([]field{}, r.body...), field{name: "decant_bogus", example: json.RawMessage("1")}), nil))
		for i, f := range r.body {
			without := append(append([]field{}, r.body[:i]...), r.body[i+1:]...)
			add("body missing "+f.name, path, bodyOf(without, nil))
			for _, bv := range badValues(f.schema) {
				v := json.RawMessage(bv[1])
				if f.schema.Type == "string" || !json.Valid(v) {
					b, _ := json.Marshal(bv[1])
					v = b
				}
				add("body "+f.name+" "+bv[0], path, bodyOf(r.body, map[string]json.RawMessage{f.name: v}))
			}
			if f.schema.Type == "number" || f.schema.Type == "integer" || f.schema.Type == "boolean" {
				add("body "+f.name+" wrong type", path, bodyOf(r.body, map[string]json.RawMessage{f.name: json.RawMessage(`"x"`)}))
			}
		}
	}
	return out
}

// fuzzPieces are the values the fuzzer draws from: edge cases of number parsing, escaping and
// encoding, beside random bytes.
var fuzzPieces = []string{
	"", "0", "-0", "1e309", "-1e309", "NaN", "Inf", "+Inf", "0x1p-2", "1_000", "9223372036854775808",
	"%", "%zz", "%00", "+", "&", "=", "==", "\x00", "\xff", "é", "💥", " ", "true", "null", "[]", "{}",
	strings.Repeat("9", 400),
}

// fuzzTarget returns a mutation of the route's example request.
func (r route) fuzzTarget(rng *rand.Rand) Target {
	q := r.exampleQuery()
	var rawTail string
	for range 1 + rng.IntN(3) {
		switch op := rng.IntN(6); {
		case op == 0 && len(q) > 0: // replace a value
			q[rng.IntN(len(q))][1] = fuzzValue(rng)
		case op == 1 && len(q) > 0: // drop a parameter
			i := rng.IntN(len(q))
			q = append(q[:i], q[i+1:]...)
		case op == 2 && len(q) > 0: // repeat a parameter
			q = append(q, q[rng.IntN(len(q))])
		case op == 3: // an unescaped tail, possibly invalid escaping
			rawTail += "&" + fuzzPieces[rng.IntN(len(fuzzPieces))] + "=" + fuzzPieces[rng.IntN(len(fuzzPieces))]
		case op == 4 && len(q) > 0: // a random key
			q = append(q, [2]string{fuzzValue(rng), fuzzValue(rng)})
		default: // a value that is random bytes
			if len(q) > 0 {
				q[rng.IntN(len(q))][1] = randomBytes(rng)
			}
		}
	}
	path := r.target(q)
	if rawTail != "" {
		if !strings.Contains(path, "?") {
			rawTail = "?" + rawTail[1:]
		}
		path += escapeControl(rawTail)
	}
	var body []byte
	if r.hasBody {
		switch rng.IntN(4) {
		case 0:
			body = []byte(randomBytes(rng))
		case 1:
			if len(r.body) > 0 {
				f := r.body[rng.IntN(len(r.body))]
				v, _ := json.Marshal(fuzzValue(rng))
				if rng.IntN(2) == 0 && json.Valid([]byte(fuzzValue(rng))) {
					v = []byte(fuzzValue(rng))
				}
				body = bodyOf(r.body, map[string]json.RawMessage{f.name: v})
			}
		case 2:
			b := r.exampleBody()
			body = b[:rng.IntN(len(b)+1)]
		default:
			body = r.exampleBody()
		}
	}
	return Target{Class: Fuzz, Method: r.method, Path: path, Body: body}
}

func fuzzValue(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return randomBytes(rng)
	}
	return fuzzPieces[rng.IntN(len(fuzzPieces))]
}

func randomBytes(rng *rand.Rand) string {
	b := make([]byte, rng.IntN(24))
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return string(b)
}

// escapeControl percent-encodes the bytes an HTTP request line cannot carry (controls, space,
// non-ASCII, '#'), leaving '%', '&' and '=' as they are so malformed escapes reach the server.
func escapeControl(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&sb, "%%%02X", c)
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
