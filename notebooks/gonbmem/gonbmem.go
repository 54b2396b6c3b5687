// Package gonbmem holds the small pieces of Go-source knowledge that extraction and the reading
// notes share: how GoNB keys a method's receiver, the conventional name of an import path,
// and an importer that lets go/types resolve a notebook's own names without loading its
// dependencies.
package gonbmem

import (
	"go/ast"
	"go/token"
	"go/types"
	"path"
	"strings"
)

// RecvName is a method receiver's type name with pointers and type parameters stripped, so
// that Box[T] and Box[E] are the same type, or "unknown".
func RecvName(fl *ast.FieldList) string {
	if fl == nil || len(fl.List) == 0 {
		return "unknown"
	}
	t := fl.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.ParenExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return "unknown"
		}
	}
}

// PackageName is the conventional package name of an import path: its last element without a
// major-version suffix (/v2), a "go-" prefix, a "-go" suffix or a ".vN" suffix.
func PackageName(p string) string {
	name := path.Base(p)
	if strings.HasPrefix(name, "v") && len(name) > 1 && strings.Trim(name[1:], "0123456789") == "" {
		name = path.Base(path.Dir(p))
	}
	if i := strings.Index(name, ".v"); i > 0 && strings.Trim(name[i+2:], "0123456789") == "" {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "go-")
	name = strings.TrimSuffix(name, "-go")
	return strings.NewReplacer("-", "", ".", "").Replace(name)
}

// StubImporter gives every import an empty, complete package. Scope resolution of a
// notebook's own names does not depend on what imported packages contain, and loading them
// would make every extraction and every save pay for type-checking dependencies. Errors about
// the imported names are expected and ignored by callers; the real check is go build.
type StubImporter struct{}

// Import returns an empty package for path.
func (StubImporter) Import(p string) (*types.Package, error) {
	pkg := types.NewPackage(p, PackageName(p))
	pkg.MarkComplete()
	return pkg, nil
}

// Check type-checks notebook code as package path (cells combined as GoNB combines them, or one cell with
// what GoNB remembers) the one way extraction, the reading notes and clone detection all do:
// imports are stubbed ([StubImporter]), so only the notebook's own names resolve, and every
// error is passed to onError (nil ignores them) instead of stopping the check. The info has
// Types, Defs, Uses and Implicits filled.
func Check(fset *token.FileSet, path string, files []*ast.File, onError func(types.Error)) (*types.Package, *types.Info) {
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Implicits: map[ast.Node]types.Object{}}
	conf := types.Config{Importer: StubImporter{}, Error: func(err error) {
		if te, ok := err.(types.Error); ok && onError != nil {
			onError(te)
		}
	}}
	// The error is the first of those passed to onError; the check goes on past errors.
	pkg, _ := conf.Check(path, fset, files, info)
	return pkg, info
}
