package score

import (
	"go/ast"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// graph is a syntactic reference graph of the repository's package-level functions, methods and
// variables. An edge means the body or initializer names the target, called or not, so a
// function handed around as a value still counts as reached. Methods are resolved by name
// within their package, which over-approximates when two types share a method name.
type graph struct {
	nodes map[string]*node
	keys  []string // sorted
}

type nodeKind int

const (
	funcNode nodeKind = iota
	varNode
)

type node struct {
	key     string
	name    string // function, method or variable name
	dir     string
	file    *goFile
	kind    nodeKind
	test    bool // declared in a _test.go file
	pos     token.Pos
	body    ast.Node // function body or variable initializer
	out     map[string]bool
	asserts bool // fails the test itself or through a test helper

	selfAsserts bool // calls t.Error, t.Errorf, t.Fatal, t.Fatalf or t.Fail in its own body
}

func buildGraph(r *repo) *graph {
	g := &graph{nodes: map[string]*node{}}
	methods := map[string][]string{} // dir + "." + method name -> keys
	for _, p := range r.paths {
		f := r.files[p]
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body == nil {
					continue
				}
				key := f.dir + "." + d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					key = f.dir + "." + recvName(d.Recv.List[0].Type) + "." + d.Name.Name
					methods[f.dir+"."+d.Name.Name] = append(methods[f.dir+"."+d.Name.Name], key)
				}
				if f.ast.Name.Name == "main" && !f.test && d.Recv == nil && d.Name.Name == "main" {
					key = f.dir + ".main"
				}
				g.nodes[key] = &node{key: key, name: d.Name.Name, dir: f.dir, file: f, kind: funcNode, test: f.test, pos: d.Name.Pos(), body: d.Body}
			case *ast.GenDecl:
				if d.Tok != token.VAR {
					continue
				}
				for _, s := range d.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						var init ast.Node
						if i < len(vs.Values) {
							init = vs.Values[i]
						} else if len(vs.Values) == 1 {
							init = vs.Values[0]
						}
						key := f.dir + "." + n.Name
						g.nodes[key] = &node{key: key, name: n.Name, dir: f.dir, file: f, kind: varNode, test: f.test, pos: n.Pos(), body: init}
					}
				}
			}
		}
	}
	for k, n := range g.nodes {
		g.keys = append(g.keys, k)
		n.out = map[string]bool{}
		if n.body == nil {
			continue
		}
		imports := importDirs(r, n.file)
		var visit func(ast.Node) bool
		visit = func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok {
					if dir, ok := imports[id.Name]; ok {
						if _, ok := g.nodes[dir+"."+x.Sel.Name]; ok {
							n.out[dir+"."+x.Sel.Name] = true
						}
						return false
					}
					if n.test && (id.Name == "t" || id.Name == "f") {
						switch x.Sel.Name {
						case "Error", "Errorf", "Fatal", "Fatalf", "Fail", "FailNow":
							n.asserts, n.selfAsserts = true, true
						}
					}
				}
				for _, m := range methods[n.dir+"."+x.Sel.Name] {
					n.out[m] = true
				}
				ast.Inspect(x.X, visit) // the selected name is a field or method, not a package-level name
				return false
			case *ast.Ident:
				if k2 := n.dir + "." + x.Name; k2 != k {
					if t, ok := g.nodes[k2]; ok && (n.test || !t.test) {
						n.out[k2] = true
					}
				}
			}
			return true
		}
		ast.Inspect(n.body, visit)
	}
	sort.Strings(g.keys)
	// A test asserts when it, or a helper of its test files it calls, fails the test.
	for _, k := range g.keys {
		n := g.nodes[k]
		if !n.test || n.kind != funcNode || n.asserts {
			continue
		}
		for k2 := range g.reach(k, true) {
			if m := g.nodes[k2]; m.test && m.selfAsserts {
				n.asserts = true
				break
			}
		}
	}
	return g
}

// recvName is the type name of a method receiver.
func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.IndexListExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	}
	return "?"
}

// importDirs maps the names a file imports module-local packages by to their directories.
func importDirs(r *repo, f *goFile) map[string]string {
	out := map[string]string{}
	if r.module == "" {
		return out
	}
	for _, im := range f.ast.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			continue
		}
		rel, ok := strings.CutPrefix(p, r.module+"/")
		if !ok {
			continue
		}
		name := rel[strings.LastIndex(rel, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		out[name] = rel
	}
	return out
}

// reach returns the keys reachable from key, itself included. With skipVars, variables are not
// entered: a lazily computed value is then not part of the caller's own code.
func (g *graph) reach(key string, skipVars bool) map[string]bool {
	return g.reachBut(key, skipVars, nil)
}

// reachBut is reach that does not enter the nodes in stop (other than key).
func (g *graph) reachBut(key string, skipVars bool, stop map[string]bool) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(k string) {
		if seen[k] {
			return
		}
		n, ok := g.nodes[k]
		if !ok {
			return
		}
		seen[k] = true
		if skipVars && n.kind == varNode || stop[k] && k != key {
			return
		}
		for t := range n.out {
			walk(t)
		}
	}
	walk(key)
	return seen
}

// tests returns the keys of the test functions go test runs: Test, Fuzz (its seeds) and
// Example functions in _test.go files.
func (g *graph) tests() []string {
	var out []string
	for _, k := range g.keys {
		n := g.nodes[k]
		if n.test && n.kind == funcNode && strings.Count(strings.TrimPrefix(k, n.dir+"."), ".") == 0 && isTestName(n.name) {
			out = append(out, k)
		}
	}
	return out
}

func isTestName(name string) bool {
	for _, p := range []string{"Test", "Fuzz", "Example"} {
		if rest, ok := strings.CutPrefix(name, p); ok && name != "TestMain" {
			return rest == "" || !('a' <= rest[0] && rest[0] <= 'z')
		}
	}
	return false
}
