package httpapi

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strconv"
)

// Render validates spec and returns the files of the API keyed by slash path:
// "cmd/server/main.go", "cmd/server/api.go", "cmd/server/api_test.go" and "openapi.json".
// The Go files are gofmt-formatted; the repository's go.mod must declare go MinGoVersion or
// later. All validation problems are reported together, each naming its route and parameter.
func Render(spec Spec) (map[string][]byte, error) {
	m, err := newModel(spec)
	if err != nil {
		return nil, fmt.Errorf("rendering the HTTP API: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range []struct {
		name   string
		render func(*model) []byte
	}{
		{"cmd/server/main.go", renderMain},
		{"cmd/server/api.go", renderAPI},
		{"cmd/server/api_test.go", renderTests},
		{"cmd/server/observe.go", renderObserve},
		{"cmd/server/observe_test.go", renderObserveTest},
		{"cmd/server/openapi_test.go", renderOpenAPITest},
	} {
		src, err := finishGo(f.name, f.render(m))
		if err != nil {
			return nil, fmt.Errorf("rendering the HTTP API: %w", err)
		}
		files[f.name] = src
	}
	doc, err := renderOpenAPI(m)
	if err != nil {
		return nil, fmt.Errorf("rendering the HTTP API: openapi.json: %w", err)
	}
	files["openapi.json"] = doc
	return files, nil
}

// finishGo drops the imports a generated file does not use, then formats it. The generators
// list every import a file may need; which ones it does need depends on the routes.
func finishGo(name string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s: generated code does not parse (this is a bug): %w\n%s", name, err, numbered(src))
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	// Cut the unused import specs out of the text, then format once: printing an edited tree
	// and formatting again would parse and print the whole file twice.
	tf := fset.File(f.Pos())
	var cuts [][2]int
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			p, _ := strconv.Unquote(is.Path.Value)
			name := importName(p)
			if is.Name != nil {
				name = is.Name.Name
			}
			if !used[name] && name != "_" {
				cuts = append(cuts, [2]int{tf.Offset(is.Pos()), tf.Offset(is.End())})
			}
		}
	}
	if len(cuts) > 0 {
		var b bytes.Buffer
		last := 0
		for _, c := range cuts {
			b.Write(src[last:c[0]])
			last = c[1]
		}
		b.Write(src[last:])
		src = b.Bytes()
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("%s: formatting generated code: %w", name, err)
	}
	return out, nil
}

// importName is the default name of an import path: its last element, without a major
// version suffix such as /v2.
func importName(path string) string {
	elems := bytes.Split([]byte(path), []byte("/"))
	last := string(elems[len(elems)-1])
	if len(elems) > 1 && len(last) > 1 && last[0] == 'v' {
		if _, err := strconv.Atoi(last[1:]); err == nil {
			return string(elems[len(elems)-2])
		}
	}
	return last
}

// numbered returns src with line numbers, for error messages about generated code.
func numbered(src []byte) string {
	var b bytes.Buffer
	for i, line := range bytes.Split(src, []byte("\n")) {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}
