package httpapi

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"reflect"
	"strconv"
	"strings"
)

// obj is a JSON object under construction; encoding/json writes its keys sorted.
type obj = map[string]any

// renderOpenAPI returns openapi.json: an OpenAPI 3.0 document of the routes, their parameters
// and every response code, indented, keys sorted, with a trailing newline.
func renderOpenAPI(m *model) ([]byte, error) {
	paths := obj{}
	for _, rt := range m.routes {
		paths[rt.path] = obj{strings.ToLower(rt.method): operation(m, rt)}
	}
	paths["/healthz"] = obj{"get": obj{
		"operationId": "healthz",
		"summary":     "Reports that the server is up.",
		"responses": obj{
			"200": obj{
				"description": "The server is serving requests.",
				"content": obj{"application/json": obj{"schema": obj{
					"type":                 "object",
					"required":             []string{"status"},
					"properties":           obj{"status": obj{"type": "string", "enum": []string{"ok"}}},
					"additionalProperties": false,
				}}},
			},
			"405": ref("MethodNotAllowed"),
		},
	}}
	paths["/readyz"] = obj{"get": obj{
		"operationId": "readyz",
		"summary":     "Reports whether the server can answer: its trained values are loaded and it is not shutting down.",
		"security":    []obj{},
		"responses": obj{
			"200": obj{
				"description": "The server is ready for traffic.",
				"content": obj{"application/json": obj{"schema": obj{
					"type":                 "object",
					"required":             []string{"status"},
					"properties":           obj{"status": obj{"type": "string", "enum": []string{"ready"}}},
					"additionalProperties": false,
				}}},
			},
			"503": obj{"description": "Not ready: starting or shutting down.", "content": obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}},
			"405": ref("MethodNotAllowed"),
		},
	}}
	paths["/metrics"] = obj{"get": obj{
		"operationId": "metrics",
		"summary":     "Prometheus metrics: requests by route and status, latency by route, requests in flight, build information.",
		"security":    []obj{},
		"responses": obj{
			"200": obj{
				"description": "The metrics in the Prometheus text exposition format.",
				"content":     obj{"text/plain": obj{"schema": obj{"type": "string"}}},
			},
			"405": ref("MethodNotAllowed"),
		},
	}}
	paths["/healthz"].(obj)["get"].(obj)["security"] = []obj{}
	errorContent := obj{"application/json": obj{"schema": obj{"$ref": "#/components/schemas/Error"}}}
	resp := func(desc string) obj { return obj{"description": desc, "content": errorContent} }
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":   m.title,
			"version": m.version,
			"license": obj{"name": "Proprietary"},
			"description": "Generated from package " + m.spec.PkgPath + ". Every response is JSON; errors are " +
				`{"error_message": "...", "result": <status code>}.`,
		},
		"servers": []obj{{"url": "http://127.0.0.1:8080"}},
		// The service checks no credentials itself: it is meant to run behind a gateway or
		// mesh that authenticates. The scheme says so, and makes the token optional.
		"security": []obj{{}, {"bearerAuth": []string{}}},
		"paths":    paths,
		"components": obj{
			"securitySchemes": obj{"bearerAuth": obj{
				"type":   "http",
				"scheme": "bearer",
				"description": "A bearer token for the gateway in front of the service, when it requires one. " +
					"The service itself does not check credentials.",
			}},
			"schemas": obj{"Error": obj{
				"type":     "object",
				"required": []string{"error_message", "result"},
				"properties": obj{
					"error_message": obj{"type": "string", "description": "What went wrong, naming the parameter at fault."},
					"result":        obj{"type": "integer", "description": "The HTTP status code."},
				},
				"additionalProperties": false,
			}},
			"responses": obj{
				"BadRequest": resp("A parameter is missing, unparsable, out of bounds or not an allowed value, " +
					"or the body is not the one JSON object the route reads."),
				"NotFound": resp("No route has this path."),
				"MethodNotAllowed": obj{
					"description": "The path is served with other methods, listed in Allow.",
					"headers":     obj{"Allow": obj{"description": "The methods the path accepts.", "schema": obj{"type": "string"}}},
					"content":     errorContent,
				},
				"PayloadTooLarge": resp("The request body is over the server's limit (1 MiB unless configured)."),
				"InternalError": resp("The function failed, panicked, or returned a value JSON cannot carry (NaN, infinity). " +
					"The detail is only in the server log."),
			},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func ref(name string) obj { return obj{"$ref": "#/components/responses/" + name} }

// operation describes one route.
func operation(m *model, rt *route) obj {
	tt := m.typeTable()
	summary := firstSentence(rt.doc)
	if summary == "" {
		summary = "Calls " + m.alias + "." + rt.fn + "."
	}
	op := obj{"operationId": rt.fn, "summary": summary}
	if rt.doc != "" {
		op["description"] = rt.doc
	}
	if rt.method == "GET" {
		params := []obj{}
		for _, p := range rt.params {
			params = append(params, obj{
				"name":        p.wire,
				"in":          "query",
				"required":    true,
				"description": "Go parameter " + p.name + " (" + p.typ + ").",
				"schema":      paramSchema(tt, p),
				"example":     jsonValue(p.exJSON),
			})
		}
		op["parameters"] = params
	} else {
		props, example := obj{}, obj{}
		required := []string{}
		for _, p := range rt.params {
			s := paramSchema(tt, p)
			s["description"] = "Go parameter " + p.name + " (" + p.typ + ")."
			props[p.wire] = s
			example[p.wire] = jsonValue(p.exJSON)
			required = append(required, p.wire)
		}
		schema := obj{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			schema["required"] = required
		}
		op["requestBody"] = obj{
			"required": true,
			"content":  obj{"application/json": obj{"schema": schema, "example": example}},
		}
	}
	props := obj{}
	required := []string{}
	for _, r := range rt.results {
		props[r.key] = typeSchema(tt, r.expr, r.typ)
		required = append(required, r.key)
	}
	okSchema := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		okSchema["required"] = required
	}
	responses := obj{
		"200": obj{
			"description": "The results of " + m.alias + "." + rt.fn + ".",
			"content":     obj{"application/json": obj{"schema": okSchema}},
		},
		"400": ref("BadRequest"),
		"404": ref("NotFound"),
		"405": ref("MethodNotAllowed"),
		"500": ref("InternalError"),
	}
	if rt.method == "POST" {
		responses["413"] = ref("PayloadTooLarge")
	}
	op["responses"] = responses
	return op
}

// paramSchema is the schema of a parameter with its bounds and allowed values.
func paramSchema(tt typeTable, p *param) obj {
	var s obj
	if p.kind.IsScalar() {
		s = kindSchema(p.kind)
		if KindOf(p.typ) != p.kind {
			s["x-decant-go-type"] = p.typ
		}
	} else {
		s = typeSchema(tt, p.expr, p.typ)
	}
	if p.min != nil {
		s["minimum"] = *p.min
	}
	if p.max != nil {
		s["maximum"] = *p.max
	}
	if len(p.enum) > 0 {
		s["enum"] = p.enum
	}
	return s
}

// kindSchema is the schema of a scalar kind.
func kindSchema(k Kind) obj {
	switch {
	case k == String:
		return obj{"type": "string"}
	case k == Bool:
		return obj{"type": "boolean"}
	case k == Float32:
		return obj{"type": "number", "format": "float"}
	case k == Float64:
		return obj{"type": "number", "format": "double"}
	case k == Int32:
		return obj{"type": "integer", "format": "int32"}
	case k == Int || k == Int64:
		return obj{"type": "integer", "format": "int64"}
	case k == Uint || k == Uint64:
		return obj{"type": "integer", "minimum": 0}
	case k.isInt() || k.isUint():
		lo, hi := intRange(k)
		return obj{"type": "integer", "minimum": lo, "maximum": hi}
	}
	return obj{}
}

// typeSchema is the schema of a type expression. Library types are opaque: the document names
// the Go type and leaves the shape to its JSON encoding.
func typeSchema(tt typeTable, e ast.Expr, typ string) obj {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return typeSchema(tt, x.X, typ)
	case *ast.StarExpr:
		s := typeSchema(tt, x.X, typ)
		if _, typed := s["type"]; typed {
			s["nullable"] = true // OpenAPI 3.0 allows nullable only next to a type; {} admits null anyway
		}
		return s
	case *ast.Ident:
		if x.Name == "any" {
			return obj{}
		}
		if k := KindOf(x.Name); k != JSON {
			return kindSchema(k)
		}
		// A library type named inside another library type's definition.
	case *ast.ArrayType:
		if id, ok := x.Elt.(*ast.Ident); ok && x.Len == nil && KindOf(id.Name) == Uint8 {
			return obj{"type": "string", "format": "byte"} // encoding/json writes []byte as base64
		}
		s := obj{"type": "array", "items": typeSchema(tt, x.Elt, typ)}
		if lit, ok := x.Len.(*ast.BasicLit); ok {
			if n, err := strconv.Atoi(lit.Value); err == nil {
				s["minItems"], s["maxItems"] = n, n
			}
		}
		return s
	case *ast.MapType:
		return obj{"type": "object", "additionalProperties": typeSchema(tt, x.Value, typ)}
	case *ast.InterfaceType:
		return obj{}
	}
	if s := tt.named(e); s != nil {
		return s
	}
	return obj{"description": "JSON encoding of Go type " + exprString(e) + ".", "x-decant-go-type": exprString(e)}
}

// typeTable holds the library's named types (Spec.Types), parsed, so that a JSON body of a
// struct type is described field by field. seen guards against recursive types.
type typeTable struct {
	types map[string]ast.Expr
	seen  map[string]bool
}

func (m *model) typeTable() typeTable {
	tt := typeTable{types: map[string]ast.Expr{}, seen: map[string]bool{}}
	for name, src := range m.spec.Types {
		if e, err := parser.ParseExpr(src); err == nil {
			tt.types[name] = e
		}
	}
	return tt
}

// named describes a library type by its definition, or returns nil when it is unknown,
// recursive or not a struct.
func (tt typeTable) named(e ast.Expr) obj {
	var name string
	switch x := e.(type) {
	case *ast.SelectorExpr:
		name = x.Sel.Name
	case *ast.Ident:
		name = x.Name
	default:
		return nil
	}
	def, ok := tt.types[name]
	if !ok || tt.seen[name] {
		return nil
	}
	st, ok := def.(*ast.StructType)
	if !ok {
		tt.seen[name] = true
		defer delete(tt.seen, name)
		s := typeSchema(tt, def, name)
		s["x-decant-go-type"] = exprString(e)
		return s
	}
	tt.seen[name] = true
	defer delete(tt.seen, name)
	props := obj{}
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			continue // embedded: its fields are promoted, which this description leaves out
		}
		tag := ""
		if f.Tag != nil {
			if t, err := strconv.Unquote(f.Tag.Value); err == nil {
				tag = reflect.StructTag(t).Get("json")
			}
		}
		key, _, _ := strings.Cut(tag, ",")
		if key == "-" && !strings.HasPrefix(tag, "-,") {
			continue
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			k := key
			if k == "" {
				k = n.Name
			}
			fs := typeSchema(tt, f.Type, exprString(f.Type))
			if kind := KindOf(exprString(f.Type)); kind != JSON {
				fs = kindSchema(kind)
			}
			props[k] = fs
		}
	}
	return obj{"type": "object", "properties": props, "x-decant-go-type": exprString(e)}
}

// firstSentence returns the first sentence of a doc comment, on one line.
func firstSentence(doc string) string {
	doc = strings.TrimSpace(doc)
	if para, _, ok := strings.Cut(doc, "\n\n"); ok {
		doc = para
	}
	doc = strings.Join(strings.Fields(doc), " ")
	for i := 0; i+1 < len(doc); i++ {
		if doc[i] == '.' && doc[i+1] == ' ' {
			return doc[:i+1]
		}
	}
	return doc
}

// jsonValue decodes validated JSON text so the document encodes it with sorted keys; numbers
// keep their text.
func jsonValue(text string) any {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage(text) // setExample checked the text; keep it as written
	}
	return v
}
