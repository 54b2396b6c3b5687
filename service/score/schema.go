package score

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"sort"
	"strconv"
	"strings"
)

// apiField is a parameter or body property of the OpenAPI document.
type apiField struct {
	Name   string `json:"name"`
	In     string `json:"in"`
	Schema struct {
		Type    string            `json:"type"`
		Minimum *float64          `json:"minimum"`
		Maximum *float64          `json:"maximum"`
		Enum    []json.RawMessage `json:"enum"`
	} `json:"schema"`
}

// ranged reports whether a field's schema bounds its values: a boolean, an enum, or a number
// with both a minimum and a maximum.
func (f apiField) ranged() bool {
	s := f.Schema
	return s.Type == "boolean" || len(s.Enum) > 0 || s.Minimum != nil && s.Maximum != nil
}

// apiFields returns the query parameters and body properties of every operation but /healthz,
// by "METHOD /path", with the line of the path in the document.
func apiFields(spec []byte) (map[string][]apiField, map[string]int, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters  []apiField `json:"parameters"`
			RequestBody *struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]json.RawMessage `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, nil, fmt.Errorf("reading openapi.json: %w", err)
	}
	out, lines := map[string][]apiField{}, map[string]int{}
	for p, ops := range doc.Paths {
		if p == "/healthz" {
			continue
		}
		for m, op := range ops {
			key := strings.ToUpper(m) + " " + p
			fields := append([]apiField(nil), op.Parameters...)
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Content {
					names := make([]string, 0, len(mt.Schema.Properties))
					for n := range mt.Schema.Properties {
						names = append(names, n)
					}
					sort.Strings(names)
					for _, n := range names {
						f := apiField{Name: n, In: "body"}
						json.Unmarshal(mt.Schema.Properties[n], &f.Schema)
						fields = append(fields, f)
					}
				}
			}
			out[key] = fields
			lines[key] = lineOf(spec, strconv.Quote(p)+":")
		}
	}
	return out, lines, nil
}

func checkSchema(r *repo) Item {
	var it Item
	if r.api == nil {
		it.Missing = []string{"no openapi.json describes the inputs"}
		return it
	}
	ops, lines, err := apiFields(r.api)
	if err != nil {
		it.Missing = []string{err.Error()}
		return it
	}
	if len(ops) == 0 {
		it.Missing = []string{"openapi.json has no operation with inputs"}
		return it
	}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var untyped, unranged []string
	for _, k := range keys {
		typed, ranged := 0, 0
		for _, f := range ops[k] {
			if f.Schema.Type != "" {
				typed++
			} else {
				untyped = append(untyped, f.Name)
			}
			if f.ranged() {
				ranged++
			} else {
				unranged = append(unranged, f.Name)
			}
		}
		it.Evidence = append(it.Evidence, Evidence{Where: "openapi.json:" + strconv.Itoa(lines[k]),
			What: fmt.Sprintf("%s: %d of %d inputs typed, %d with ranges or allowed values", k, typed, len(ops[k]), ranged)})
	}
	if len(untyped) > 0 {
		it.Missing = append(it.Missing, "inputs without a type: "+strings.Join(untyped, ", "))
		return it
	}
	it.Points = 0.5
	enforced := r.schemaTests()
	for _, t := range enforced {
		it.Evidence = append(it.Evidence, r.ev(t, short(t)+" sends inputs outside the schema and expects 400"))
	}
	if len(enforced) == 0 {
		it.Missing = append(it.Missing, "no test checks that the server rejects inputs outside the schema")
	}
	if len(unranged) > 0 {
		it.Missing = append(it.Missing, "no range or allowed values for "+strings.Join(unranged, ", ")+
			" (a //decant:param NAME min=.. max=.. or enum=a|b line on the function records them)")
	}
	if len(enforced) > 0 && len(unranged) == 0 {
		it.Points = 1
	}
	return it
}

// schemaTests returns the tests that expect http.StatusBadRequest from code of their own package.
func (r *repo) schemaTests() []string {
	var out []string
	for _, t := range r.graph.tests() {
		n := r.graph.nodes[t]
		mentions := false
		ast.Inspect(n.body, func(x ast.Node) bool {
			if sel, ok := x.(*ast.SelectorExpr); ok && sel.Sel.Name == "StatusBadRequest" {
				mentions = true
			}
			return !mentions
		})
		if !mentions {
			continue
		}
		for k := range r.graph.reach(t, false) {
			if m := r.graph.nodes[k]; m.dir == n.dir && !m.test {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
