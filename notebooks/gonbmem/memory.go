package gonbmem

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// Decl is one top-level declaration of a cell, keyed as GoNB keys its memory.
type Decl struct {
	// Kind is "func", "method", "const", "var" or "type".
	Kind string
	// Key is GoNB's memory key: the name; "Recv~Method" for a method; the names joined by ","
	// for a const block or a var declaring several names; "_~cellN.L" for a blank var or type;
	// "main~cellN" for a cell's func main, which runs for that cell only and is never memorized.
	Key string
	// Names are the names the declaration binds in the package scope (none for methods).
	Names []string
	// Func is the declaration of a func or method; Gen the declaration holding a const block
	// or a var or type spec; Spec the var or type spec (nil for a const block, whole).
	Func *ast.FuncDecl
	Gen  *ast.GenDecl
	Spec ast.Spec
}

// Main reports whether d is a cell's func main: GoNB runs it for that cell and forgets it.
func (d *Decl) Main() bool { return strings.HasPrefix(d.Key, "main~") }

// Node is the syntax of the declaration: the func, the const block, or the var or type spec.
func (d *Decl) Node() ast.Node {
	switch {
	case d.Func != nil:
		return d.Func
	case d.Spec != nil:
		return d.Spec
	}
	return d.Gen
}

// Import is one import spec of a cell.
type Import struct {
	Name, Path string
	Spec       *ast.ImportSpec
}

// Decls lists the declarations and imports of a parsed cell in source order. cell is the
// cell's index (for the keys GoNB makes unique per cell); lineOf gives a position's cell line.
// Const blocks are one declaration, so iota keeps its meaning; var and type declarations are
// one per spec, as GoNB memorizes them.
func Decls(f *ast.File, cell int, lineOf func(token.Pos) int) ([]*Decl, []Import) {
	var decls []*Decl
	var imports []Import
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			dd := &Decl{Kind: "func", Key: name, Names: []string{name}, Func: d}
			switch {
			case d.Recv != nil:
				dd.Kind, dd.Key, dd.Names = "method", RecvName(d.Recv)+"~"+name, nil
			case name == "main":
				dd.Key = "main~cell" + strconv.Itoa(cell)
			}
			decls = append(decls, dd)
		case *ast.GenDecl:
			switch d.Tok {
			case token.IMPORT:
				for _, s := range d.Specs {
					is := s.(*ast.ImportSpec)
					p, _ := strconv.Unquote(is.Path.Value)
					imp := Import{Path: p, Spec: is}
					if is.Name != nil {
						imp.Name = is.Name.Name
					}
					imports = append(imports, imp)
				}
			case token.CONST:
				var names []string
				for _, s := range d.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						names = append(names, n.Name)
					}
				}
				decls = append(decls, &Decl{Kind: "const", Key: strings.Join(names, ","), Names: names, Gen: d})
			case token.VAR, token.TYPE:
				for _, s := range d.Specs {
					dd := &Decl{Kind: "var", Gen: d, Spec: s}
					switch sp := s.(type) {
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							dd.Names = append(dd.Names, n.Name)
						}
					case *ast.TypeSpec:
						dd.Kind, dd.Names = "type", []string{sp.Name.Name}
					}
					dd.Key = strings.Join(dd.Names, ",")
					if dd.Key == "_" {
						dd.Key = fmt.Sprintf("_~cell%d.%d", cell, lineOf(s.Pos()))
					}
					decls = append(decls, dd)
				}
			}
		}
	}
	return decls, imports
}

// Memory is GoNB's declaration memory: what a cell declares replaces what earlier cells
// declared under the same key, and a declaration that binds several names (a tuple var, a
// const block) is forgotten whole when any one of its names is declared again. V is the
// caller's record of a declaration.
type Memory[V any] struct {
	order   []string // keys, in the order they were (last) memorized
	byKey   map[string]memEntry[V]
	nameKey map[string]string
}

type memEntry[V any] struct {
	names []string
	v     V
}

// Owner returns the key and value of the declaration that binds name.
func (m *Memory[V]) Owner(name string) (key string, v V, ok bool) {
	key, ok = m.nameKey[name]
	if ok {
		v = m.byKey[key].v
	}
	return key, v, ok
}

// Get returns the value memorized under key.
func (m *Memory[V]) Get(key string) (V, bool) {
	e, ok := m.byKey[key]
	return e.v, ok
}

// Replaced returns, without changing the memory, what memorizing key with names would
// forget: the declarations binding one of names under another key, then the one under key.
func (m *Memory[V]) Replaced(key string, names []string) []V {
	var out []V
	seen := map[string]bool{}
	for _, n := range names {
		if n == "_" {
			continue
		}
		if k, ok := m.nameKey[n]; ok && k != key && !seen[k] {
			seen[k] = true
			out = append(out, m.byKey[k].v)
		}
	}
	if e, ok := m.byKey[key]; ok {
		out = append(out, e.v)
	}
	return out
}

// Add memorizes v under key, binding names ("_" binds nothing), and returns the values it
// replaced, as [Memory.Replaced] lists them.
func (m *Memory[V]) Add(key string, names []string, v V) []V {
	if m.byKey == nil {
		m.byKey, m.nameKey = map[string]memEntry[V]{}, map[string]string{}
	}
	replaced := m.Replaced(key, names)
	for _, n := range names {
		if k, ok := m.nameKey[n]; ok && n != "_" && k != key {
			m.forget(k)
		}
	}
	m.forget(key)
	m.byKey[key] = memEntry[V]{names: names, v: v}
	m.order = append(m.order, key)
	for _, n := range names {
		if n != "_" {
			m.nameKey[n] = key
		}
	}
	return replaced
}

func (m *Memory[V]) forget(key string) {
	e, ok := m.byKey[key]
	if !ok {
		return
	}
	delete(m.byKey, key)
	for _, n := range e.names {
		if m.nameKey[n] == key {
			delete(m.nameKey, n)
		}
	}
	for i, k := range m.order {
		if k == key {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
}

// Values returns what is memorized, in the order it was last memorized.
func (m *Memory[V]) Values() []V {
	out := make([]V, 0, len(m.order))
	for _, k := range m.order {
		out = append(out, m.byKey[k].v)
	}
	return out
}

// Clone returns an independent copy of the memory (the values themselves are shared).
func (m *Memory[V]) Clone() *Memory[V] {
	c := &Memory[V]{order: append([]string(nil), m.order...), byKey: map[string]memEntry[V]{}, nameKey: map[string]string{}}
	for k, e := range m.byKey {
		c.byKey[k] = e
	}
	for n, k := range m.nameKey {
		c.nameKey[n] = k
	}
	return c
}

// Forget drops the declarations memorized under any of keysOrNames, or binding one of them,
// as GoNB's %rm does.
func (m *Memory[V]) Forget(keysOrNames ...string) {
	for _, s := range keysOrNames {
		if k, ok := m.nameKey[s]; ok {
			m.forget(k)
		}
		m.forget(s)
	}
}

// SpecExtent returns a var or type declaration's own doc comment and the end of its spec,
// line comment included. For other declarations it returns nil and the end of the node.
func (d *Decl) SpecExtent() (doc *ast.CommentGroup, end token.Pos) {
	switch sp := d.Spec.(type) {
	case *ast.ValueSpec:
		doc, end = sp.Doc, sp.End()
		if sp.Comment != nil {
			end = sp.Comment.End()
		}
		return doc, end
	case *ast.TypeSpec:
		doc, end = sp.Doc, sp.End()
		if sp.Comment != nil {
			end = sp.Comment.End()
		}
		return doc, end
	}
	return nil, d.Node().End()
}
