package extract

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/extract/httpapi"
)

// Route is a function the HTTP API exposes.
type Route struct {
	Func    string        `json:"func"`
	Method  string        `json:"method,omitempty"` // "" = derived from the parameters
	Path    string        `json:"path,omitempty"`   // "" = derived from the name
	Doc     string        `json:"doc,omitempty"`
	Params  []RouteParam  `json:"params"`
	Results []RouteResult `json:"results"`
	Cell    int           `json:"cell"`
	Line    int           `json:"line"`
}

// RouteParam is one parameter of a route's function.
type RouteParam struct {
	Name    string   `json:"name"`
	GoType  string   `json:"go_type"`
	Example string   `json:"example,omitempty"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
	Enum    []string `json:"enum,omitempty"`
}

// RouteResult is one result of a route's function.
type RouteResult struct {
	Name   string `json:"name,omitempty"`
	GoType string `json:"go_type"`
}

// routes picks the functions the API exposes: exported functions of the calculation section,
// and any function marked //decant:endpoint [METHOD] [/path].
func (b *builder) routes() {
	types := map[string]bool{}
	for _, d := range b.plan.Decls {
		if d.Kept && d.Kind == "type" {
			types[d.Names[0]] = true
		}
	}
	for _, d := range b.plan.Decls {
		if !d.Kept || d.Kind != "func" || d.fn == nil || d.isTest || d.Section == Test {
			continue
		}
		method, route, marked := endpointMarker(d.fn.Doc)
		if !marked && (d.Section != Calculation || !d.Exported) {
			continue
		}
		if !d.Exported {
			b.decide(d.Cell, d.Line, "func "+d.Key, "warning", "marked //decant:endpoint but not exported: the server cannot call it")
			continue
		}
		r := Route{Func: d.Key, Method: method, Path: route, Doc: docText(d.fn.Doc), Cell: d.Cell, Line: d.Line}
		ok := true
		bounds := paramBounds(d.fn.Doc)
		ft := d.fn.Type
		if ft.TypeParams != nil && len(ft.TypeParams.List) > 0 {
			b.decide(d.Cell, d.Line, "func "+d.Key, "left out", "generic functions cannot be served: not exposed by the API")
			continue
		}
		if ft.Params != nil {
			for i, f := range ft.Params.List {
				if why := b.unservable(f.Type, types); why != "" {
					b.decide(d.Cell, d.Line, "func "+d.Key, "left out", fmt.Sprintf("parameter %d is %s: it cannot travel as JSON, so the function stays in the library with no route", i+1, why))
					ok = false
					break
				}
				names := f.Names
				if len(names) == 0 {
					names = []*ast.Ident{ast.NewIdent(fmt.Sprintf("arg%d", i))}
				}
				for _, n := range names {
					p := RouteParam{Name: n.Name, GoType: qualify(f.Type, b.plan.Slug, types)}
					if bd, ok := bounds[n.Name]; ok {
						p.Min, p.Max, p.Enum = bd.Min, bd.Max, bd.Enum
					}
					r.Params = append(r.Params, p)
				}
			}
		}
		if !ok {
			continue
		}
		if ft.Results != nil {
			for _, f := range ft.Results.List {
				if why := b.unservable(f.Type, types); why != "" && !isErrorType(f.Type) {
					b.decide(d.Cell, d.Line, "func "+d.Key, "left out", "a result is "+why+": it cannot travel as JSON, so the function stays in the library with no route")
					ok = false
					break
				}
				if len(f.Names) == 0 {
					r.Results = append(r.Results, RouteResult{GoType: qualify(f.Type, b.plan.Slug, types)})
				}
				for _, n := range f.Names {
					r.Results = append(r.Results, RouteResult{Name: n.Name, GoType: qualify(f.Type, b.plan.Slug, types)})
				}
			}
		}
		if !ok {
			continue
		}
		if len(r.Results) == 0 || len(r.Results) == 1 && r.Results[0].GoType == "error" {
			b.decide(d.Cell, d.Line, "func "+d.Key, "left out", "returns no value: not exposed by the API")
			continue
		}
		if why := b.routeClash(r); why != "" {
			b.decide(d.Cell, d.Line, "func "+d.Key, "left out", why)
			continue
		}
		b.inferEnums(&r, d)
		b.examples(&r)
		b.plan.Routes = append(b.plan.Routes, r)
		why := "exported function of the calculation section"
		if marked {
			why = "marked //decant:endpoint"
		}
		b.decide(d.Cell, d.Line, "func "+d.Key, "exposed", why)
	}
}

func endpointMarker(doc *ast.CommentGroup) (method, route string, ok bool) {
	if doc == nil {
		return "", "", false
	}
	for _, c := range doc.List {
		rest, found := strings.CutPrefix(c.Text, "//decant:endpoint")
		if !found {
			continue
		}
		for _, f := range strings.Fields(rest) {
			if strings.HasPrefix(f, "/") {
				route = f
			} else {
				method = strings.ToUpper(f)
			}
		}
		return method, route, true
	}
	return "", "", false
}

type bound struct {
	Min, Max *float64
	Enum     []string
}

// paramBounds reads "//decant:param name min=0 max=120 enum=a|b" lines from a doc comment.
func paramBounds(doc *ast.CommentGroup) map[string]bound {
	out := map[string]bound{}
	if doc == nil {
		return out
	}
	for _, c := range doc.List {
		rest, found := strings.CutPrefix(c.Text, "//decant:param")
		if !found {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) == 0 {
			continue
		}
		var bd bound
		for _, kv := range fs[1:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "min", "max":
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					if k == "min" {
						bd.Min = &x
					} else {
						bd.Max = &x
					}
				}
			case "enum":
				bd.Enum = strings.Split(v, "|")
			}
		}
		out[fs[0]] = bd
	}
	return out
}

func docText(doc *ast.CommentGroup) string {
	if doc == nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(doc.Text(), "\n") {
		if strings.HasPrefix(l, "decant:") {
			continue
		}
		lines = append(lines, l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func isErrorType(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "error"
}

// unservable says why a type of a route's signature cannot travel as JSON or a query
// parameter, or "" if it can: the syntactic checks, then the notebook's own types looked into
// (their exported fields must travel too), then the API generator's own check, so that what
// passes here the generator accepts.
func (b *builder) unservable(e ast.Expr, local map[string]bool) string {
	if why := unservable(e, local); why != "" {
		return why
	}
	if why := b.localTypeWhy(e, local, map[string]bool{}); why != "" {
		return why
	}
	if err := httpapi.CheckType(qualify(e, b.plan.Slug, local), b.plan.Slug); err != nil {
		return "of type " + types.ExprString(e) + " (" + err.Error() + ")"
	}
	return ""
}

// localTypeWhy looks into the notebook's own named types used by e.
func (b *builder) localTypeWhy(e ast.Expr, local, seen map[string]bool) string {
	why := ""
	ast.Inspect(e, func(n ast.Node) bool {
		if why != "" {
			return false
		}
		if _, ok := n.(*ast.SelectorExpr); ok {
			return false
		}
		id, ok := n.(*ast.Ident)
		if !ok || !local[id.Name] || seen[id.Name] {
			return true
		}
		seen[id.Name] = true
		if !token.IsExported(id.Name) {
			why = "the unexported type " + id.Name + ", which the server cannot name"
			return false
		}
		spec := b.typeSpec(id.Name)
		if spec == nil {
			return true
		}
		if spec.TypeParams != nil && len(spec.TypeParams.List) > 0 {
			why = "the generic type " + id.Name
			return false
		}
		if st, ok := spec.Type.(*ast.StructType); ok {
			for _, f := range st.Fields.List {
				if f.Tag != nil && strings.Contains(f.Tag.Value, `json:"-"`) {
					continue
				}
				exported := len(f.Names) == 0
				for _, n := range f.Names {
					exported = exported || n.IsExported()
				}
				if !exported {
					continue
				}
				if w := unservable(f.Type, local); w != "" {
					why = fmt.Sprintf("the type %s, whose field %s is %s", id.Name, types.ExprString(f.Type), w)
					return false
				}
				if w := b.localTypeWhy(f.Type, local, seen); w != "" {
					why = w
					return false
				}
			}
			return true
		}
		if w := unservable(spec.Type, local); w != "" {
			why = fmt.Sprintf("the type %s, which is %s", id.Name, w)
			return false
		}
		if w := b.localTypeWhy(spec.Type, local, seen); w != "" {
			why = w
		}
		return true
	})
	return why
}

// typeSpec parses the kept declaration of the notebook's type name.
func (b *builder) typeSpec(name string) *ast.TypeSpec {
	for _, d := range b.plan.Decls {
		if !d.Kept || d.Kind != "type" || len(d.Names) == 0 || d.Names[0] != name {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+d.code, parser.SkipObjectResolution)
		if err != nil {
			return nil
		}
		for _, decl := range f.Decls {
			if g, ok := decl.(*ast.GenDecl); ok {
				for _, s := range g.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == name {
						return ts
					}
				}
			}
		}
	}
	return nil
}

// unservable says why a type cannot travel as JSON or a query parameter, or "" if it can, from
// its syntax alone. local holds the notebook's own type names.
func unservable(e ast.Expr, local map[string]bool) string {
	switch x := e.(type) {
	case *ast.FuncType:
		return "a function"
	case *ast.ChanType:
		return "a channel"
	case *ast.InterfaceType:
		return "an interface"
	case *ast.Ellipsis:
		return "variadic"
	case *ast.StarExpr:
		return unservable(x.X, local)
	case *ast.ArrayType:
		return unservable(x.Elt, local)
	case *ast.MapType:
		if w := unservable(x.Key, local); w != "" {
			return w
		}
		return unservable(x.Value, local)
	case *ast.ParenExpr:
		return unservable(x.X, local)
	case *ast.IndexExpr, *ast.IndexListExpr:
		return "an instance of a generic type (" + types.ExprString(x) + ")"
	case *ast.StructType:
		return "an anonymous struct"
	case *ast.Ident:
		switch x.Name {
		case "error", "any", "complex64", "complex128", "uintptr":
			return "of type " + x.Name
		case "bool", "byte", "rune", "string", "int", "int8", "int16", "int32", "int64",
			"uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
			return ""
		}
		if !local[x.Name] {
			return "of type " + x.Name + ", from a dot-imported package"
		}
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && id.Name == "context" {
			return "a context"
		}
		return "of a type from another package (" + types.ExprString(x) + ")"
	default:
		return "of type " + types.ExprString(e)
	}
	return ""
}

// qualify writes a type expression as seen from another package: the notebook's own types get
// the package name.
func qualify(e ast.Expr, pkg string, local map[string]bool) string {
	switch x := e.(type) {
	case *ast.Ident:
		if local[x.Name] {
			return pkg + "." + x.Name
		}
		return x.Name
	case *ast.StarExpr:
		return "*" + qualify(x.X, pkg, local)
	case *ast.ArrayType:
		if x.Len == nil {
			return "[]" + qualify(x.Elt, pkg, local)
		}
		return "[" + types.ExprString(x.Len) + "]" + qualify(x.Elt, pkg, local)
	case *ast.MapType:
		return "map[" + qualify(x.Key, pkg, local) + "]" + qualify(x.Value, pkg, local)
	}
	return types.ExprString(e)
}

// examples fills parameter examples from the notebook's own calls with literal arguments.
func (b *builder) examples(r *Route) {
	for _, st := range b.plan.Steps {
		if !strings.Contains(st.Body, r.Func+"(") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "", "package p;func _(){"+st.Body+"\n}", 0)
		if err != nil {
			continue
		}
		found := false
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || found {
				return !found
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != r.Func || len(call.Args) != len(r.Params) {
				return true
			}
			vals := make([]string, len(call.Args))
			for i, a := range call.Args {
				v, ok := literal(a)
				if !ok {
					return true
				}
				vals[i] = v
			}
			for i := range r.Params {
				r.Params[i].Example = vals[i]
			}
			found = true
			return false
		})
		if found {
			return
		}
	}
}

func literal(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			return s, err == nil
		}
		return x.Value, true
	case *ast.UnaryExpr:
		if x.Op == token.SUB {
			if v, ok := literal(x.X); ok {
				return "-" + v, true
			}
		}
	case *ast.Ident:
		if x.Name == "true" || x.Name == "false" {
			return x.Name, true
		}
	case *ast.CallExpr:
		// float64(3) and friends
		if len(x.Args) == 1 {
			if id, ok := x.Fun.(*ast.Ident); ok && types.Universe.Lookup(id.Name) != nil {
				return literal(x.Args[0])
			}
		}
	}
	return "", false
}

// assets finds relative file paths named by string literals in kept code and ships the files
// that exist next to the notebook.
func (b *builder) assets() {
	if b.opts.ReadFile == nil {
		return
	}
	have := map[string]bool{}
	for _, a := range b.plan.Assets {
		have[a.Path] = true
	}
	consider := func(cell int, text string) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "", "package p;"+text, 0)
		if err != nil {
			f2, err2 := parser.ParseFile(fset, "", "package p;func _(){"+text+"\n}", 0)
			if err2 != nil {
				return
			}
			f = f2
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || have[s] {
				return true
			}
			if looksLikeGlob(s) {
				have[s] = true
				b.decide(cell, 0, fmt.Sprintf("file pattern %q", s), "warning", "a glob: the files it matches are not shipped with the package; give the service their location in its config")
				return true
			}
			if !looksLikeRelPath(s) {
				return true
			}
			data, err := b.opts.ReadFile(s)
			if errors.Is(err, ErrAssetNotShipped) {
				have[s] = true
				b.decide(cell, 0, fmt.Sprintf("file %q", s), "warning", "the code reads it by relative path, but it is "+strings.TrimPrefix(err.Error(), ErrAssetNotShipped.Error()+": ")+", so it is not shipped; give the service its location in its config")
				return true
			}
			if err != nil {
				return true
			}
			have[s] = true
			b.plan.Assets = append(b.plan.Assets, Asset{Path: s, Cell: cell, Size: len(data), Data: data})
			b.decide(cell, 0, fmt.Sprintf("file %q", s), "converted", fmt.Sprintf("the code reads it by relative path: shipped next to the package (%d bytes)", len(data)))
			return true
		})
	}
	for _, d := range b.plan.Decls {
		if !d.Kept {
			continue
		}
		consider(d.Cell, d.text)
		b.embeds(d, have)
	}
	for _, st := range b.plan.Steps {
		if st.Kept {
			consider(st.Cell, st.Body)
		}
	}
}

// looksLikeGlob reports a relative path pattern such as data/*.csv.
func looksLikeGlob(s string) bool {
	return strings.ContainsAny(s, "*?[") && looksLikeRelPath(strings.NewReplacer("*", "x", "?", "x", "[", "x", "]", "x").Replace(s))
}

func looksLikeRelPath(s string) bool {
	if s == "" || len(s) > 200 || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") || strings.Contains(s, "..") ||
		strings.ContainsAny(s, " \t\n*?:%$") {
		return false
	}
	dot := strings.LastIndex(s, ".")
	return dot > 0 && dot < len(s)-1
}

// inferEnums gives a string parameter the allowed values of a package-level map with string
// keys that the function looks the parameter up in (planCodes[plan]): a value outside them is
// the caller's mistake, a 400, not an internal error. Bounds declared with //decant:param win.
func (b *builder) inferEnums(r *Route, d *Decl) {
	maps := map[string][]string{}
	for _, v := range b.plan.Decls {
		if !v.Kept || v.Kind != "var" || len(v.Names) != 1 {
			continue
		}
		if keys := stringMapKeys(v.code); keys != nil {
			maps[v.Names[0]] = keys
		}
	}
	if len(maps) == 0 || d.fn.Body == nil {
		return
	}
	for i := range r.Params {
		p := &r.Params[i]
		if p.GoType != "string" || p.Enum != nil {
			continue
		}
		ast.Inspect(d.fn.Body, func(n ast.Node) bool {
			ix, ok := n.(*ast.IndexExpr)
			if !ok {
				return true
			}
			m, ok1 := ix.X.(*ast.Ident)
			k, ok2 := ix.Index.(*ast.Ident)
			if ok1 && ok2 && k.Name == p.Name && maps[m.Name] != nil && p.Enum == nil {
				p.Enum = maps[m.Name]
				b.decide(d.Cell, d.Line, "func "+d.Key, "converted",
					fmt.Sprintf("parameter %s is looked up in %s: the API accepts only its keys (%s)", p.Name, m.Name, strings.Join(p.Enum, ", ")))
			}
			return true
		})
	}
}

// stringMapKeys returns the sorted keys of "var x = map[string]T{"a": ..., ...}", or nil.
func stringMapKeys(code string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+code, parser.SkipObjectResolution)
	if err != nil || len(f.Decls) != 1 {
		return nil
	}
	g, ok := f.Decls[0].(*ast.GenDecl)
	if !ok || len(g.Specs) != 1 {
		return nil
	}
	vs := g.Specs[0].(*ast.ValueSpec)
	if len(vs.Values) != 1 {
		return nil
	}
	cl, ok := vs.Values[0].(*ast.CompositeLit)
	if !ok {
		return nil
	}
	mt, ok := cl.Type.(*ast.MapType)
	if !ok {
		return nil
	}
	if id, ok := mt.Key.(*ast.Ident); !ok || id.Name != "string" {
		return nil
	}
	var keys []string
	for _, e := range cl.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			return nil
		}
		lit, ok := kv.Key.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return nil
		}
		keys = append(keys, s)
	}
	sort.Strings(keys)
	return keys
}

// embeds ships the files a //go:embed directive names, and makes sure the embed package is
// imported. GoNB dropped the directive, so the notebook's variable was empty; the
// package's is filled, which is what the author meant.
func (b *builder) embeds(d *Decl, have map[string]bool) {
	for _, line := range strings.Split(d.doc, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "//go:embed ")
		if !ok {
			continue
		}
		if b.plan.cellImports == nil {
			b.plan.cellImports = map[int][]Import{}
		}
		if !slices.Contains(b.plan.cellImports[d.Cell], Import{Name: "_", Path: "embed"}) {
			b.plan.cellImports[d.Cell] = append(b.plan.cellImports[d.Cell], Import{Name: "_", Path: "embed"})
		}
		b.decide(d.Cell, d.Line, d.Kind+" "+d.Key, "warning", "//go:embed had no effect in GoNB (it drops comments on variables), so the notebook saw an empty value; the package embeds the file")
		for _, pat := range strings.Fields(rest) {
			pat = strings.Trim(pat, "\"`")
			if strings.ContainsAny(pat, "*?[") || have[pat] || b.opts.ReadFile == nil {
				continue
			}
			data, err := b.opts.ReadFile(pat)
			if err != nil {
				b.decide(d.Cell, d.Line, "//go:embed "+pat, "warning", "the file is not next to the notebook: copy it into the package directory")
				continue
			}
			have[pat] = true
			b.plan.Assets = append(b.plan.Assets, Asset{Path: pat, Cell: d.Cell, Size: len(data), Data: data})
		}
	}
}

// routeClash says why r cannot be served next to the routes already planned: its path is
// empty once the letters outside ASCII are dropped, or another route (with any method: the
// server answers 405 for the others) or the server's own /healthz, /readyz or /metrics has
// it. The plan shows it, so extract never fails later on what plan accepted.
func (b *builder) routeClash(r Route) string {
	p := routePath(r)
	fix := "; name its path with //decant:endpoint METHOD /v1/noun"
	if p == "/v1/" || p == "/v1" {
		return "its name has no ASCII letters or digits to make a path from" + fix
	}
	if r.Path == "" {
		for _, c := range r.Func {
			if c >= 0x80 {
				b.decide(r.Cell, r.Line, "func "+r.Func, "warning", "paths are ASCII, so the letters outside ASCII in its name are dropped: "+p+fix)
				break
			}
		}
	}
	switch p {
	case "/healthz", "/readyz", "/metrics", "/":
		return "its path " + p + " is the server's own" + fix
	}
	for _, o := range b.plan.Routes {
		if routePath(o) == p {
			return fmt.Sprintf("its path %s is already served by %s (cell %d)%s", p, o.Func, o.Cell, fix)
		}
	}
	return ""
}
