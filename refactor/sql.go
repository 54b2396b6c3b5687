package refactor

import (
	"database/sql"
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	_ "modernc.org/sqlite" // reads the schema of SQLite files the code opens

	"github.com/decant-go/decant/refactor/edit"
)

// queryMethods are the database/sql methods whose argument (after a context, for the
// *Context forms) is a query.
var queryMethods = map[string]int{
	"Query": 0, "QueryRow": 0, "Exec": 0, "Prepare": 0,
	"QueryContext": 1, "QueryRowContext": 1, "ExecContext": 1, "PrepareContext": 1,
}

var selectStar = regexp.MustCompile(`(?is)^(\s*SELECT\s+)\*(\s+FROM\s+)([A-Za-z_][A-Za-z0-9_]*)(\s.*)?$`)

// sqlPass narrows `SELECT * FROM t` to the columns the code reads. The columns come from the
// SQLite file the code opens, when its path is a constant and the file is in the module; the
// rows.Scan call gives which column lands in which variable or struct field; a column whose
// field is never read anywhere in the module is dropped from both the query and the Scan.
func (r *runner) sqlPass() ([]Change, []string, error) {
	v, err := r.load(loadMode, true)
	if err != nil {
		return nil, nil, err
	}
	var changes []Change
	var notes []string
	for _, p := range v.pkgs {
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				c, note := v.narrow(p, f, call)
				if c != nil {
					changes = append(changes, *c)
				}
				if note != "" {
					notes = append(notes, note)
				}
				return true
			})
		}
	}
	return changes, notes, nil
}

// sqlMethod reports whether call is a database/sql query method call, and which argument is
// the query.
func sqlMethod(info *types.Info, call *ast.CallExpr) (*ast.SelectorExpr, int, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, 0, false
	}
	idx, ok := queryMethods[sel.Sel.Name]
	if !ok || len(call.Args) <= idx {
		return nil, 0, false
	}
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "database/sql" {
		return nil, 0, false
	}
	return sel, idx, true
}

func (v *view) narrow(p *packages.Package, file *ast.File, call *ast.CallExpr) (*Change, string) {
	info := p.TypesInfo
	sel, idx, ok := sqlMethod(info, call)
	if !ok {
		return nil, ""
	}
	arg := call.Args[idx]
	tv := info.Types[arg]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return nil, ""
	}
	query := constant.StringVal(tv.Value)
	m := selectStar.FindStringSubmatch(query)
	if m == nil {
		return nil, ""
	}
	pos := v.fset.Position(call.Pos())
	where := fmt.Sprintf("%s:%d", v.rel(pos.Filename), pos.Line)
	table := m[3]
	lit, isLit := ast.Unparen(arg).(*ast.BasicLit)
	if !isLit {
		return nil, fmt.Sprintf("TODO %s: %q selects every column, but the query is not a literal here, so it was left alone", where, query)
	}
	scan := v.findScan(p, file, call)
	if scan == nil {
		return nil, fmt.Sprintf("TODO %s: %q selects every column, and the rows are not read with one Scan call (columns are used dynamically), so it was left alone", where, query)
	}
	targets := make([]string, len(scan.Args))
	for i, a := range scan.Args {
		targets[i] = v.text(a)
	}
	cols, dbPath, why := v.tableColumns(p, info, sel.X, table)
	if cols == nil {
		return nil, fmt.Sprintf("TODO %s: %q selects every column of %s; it is scanned into %s. %s, so the columns could not be named. Write them out in the order of the Scan.",
			where, query, table, strings.Join(targets, ", "), upperFirst(why))
	}
	if len(cols) != len(scan.Args) || slices.ContainsFunc(scan.Args, func(e ast.Expr) bool { _, ok := e.(*ast.Ellipsis); return ok }) || scan.Ellipsis.IsValid() {
		return nil, fmt.Sprintf("TODO %s: %q: table %s in %s has %d columns but the Scan has %d targets; left alone",
			where, query, table, dbPath, len(cols), len(scan.Args))
	}
	used := v.usedTargets(p, scan)
	var keepCols, keepArgs, dropped []string
	for i, c := range cols {
		if used[i] {
			keepCols = append(keepCols, quoteColumn(c))
			keepArgs = append(keepArgs, targets[i])
		} else {
			dropped = append(dropped, fmt.Sprintf("%s (%s)", c, targets[i]))
		}
	}
	if len(keepCols) == 0 {
		return nil, fmt.Sprintf("TODO %s: %q: nothing scanned is ever read; left alone", where, query)
	}
	newQuery := m[1] + strings.Join(keepCols, ", ") + m[2] + m[3] + m[4]
	es := edit.Set{}
	path, s := v.off(lit.Pos())
	_, e := v.off(lit.End())
	es.Add(path, edit.Edit{Start: s, End: e, New: quoteLike(lit.Value, newQuery)})
	if len(dropped) > 0 {
		path, s := v.off(scan.Args[0].Pos())
		_, e := v.off(scan.Args[len(scan.Args)-1].End())
		es.Add(path, edit.Edit{Start: s, End: e, New: strings.Join(keepArgs, ", ")})
	}
	c := &Change{Pass: PassSQL, edits: es,
		Title: fmt.Sprintf("narrow SELECT * FROM %s at %s to %d of %d columns", table, where, len(keepCols), len(cols))}
	c.Why = fmt.Sprintf("the query read every column of %s (schema from %s); naming them ties the Scan order to the schema explicitly",
		table, dbPath)
	if len(dropped) > 0 {
		verb := "are"
		if len(dropped) == 1 {
			verb = "is"
		}
		c.Why += fmt.Sprintf(", and %s %s never read after the Scan, so no longer fetched", strings.Join(dropped, ", "), verb)
	}
	c.Why += "."
	return c, ""
}

// findScan returns the Scan call that reads the rows of query call q: q(...).Scan(...) for
// QueryRow, or v.Scan(...) on the variable q's result is assigned to, in the same function.
func (v *view) findScan(p *packages.Package, file *ast.File, q *ast.CallExpr) *ast.CallExpr {
	info := p.TypesInfo
	var rowsVar types.Object
	var scans []*ast.CallExpr
	path, _ := pathEnclosing(file, q)
	for i, n := range path {
		if i == 0 {
			continue
		}
		if sel, ok := n.(*ast.SelectorExpr); ok && sel.X == path[i-1] && sel.Sel.Name == "Scan" {
			if c, ok := path[i+1].(*ast.CallExpr); ok {
				return c
			}
		}
		if as, ok := n.(*ast.AssignStmt); ok && len(as.Rhs) == 1 && as.Rhs[0] == path[i-1] && len(as.Lhs) >= 1 {
			if id, ok := as.Lhs[0].(*ast.Ident); ok {
				rowsVar = info.ObjectOf(id)
			}
		}
		if fd, ok := n.(*ast.FuncDecl); ok && rowsVar != nil {
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Scan" {
					if id, ok := sel.X.(*ast.Ident); ok && info.Uses[id] == rowsVar {
						scans = append(scans, c)
					}
				}
				return true
			})
			break
		}
	}
	if len(scans) == 1 {
		return scans[0]
	}
	return nil
}

// pathEnclosing returns the nodes from n up to the file, innermost first.
func pathEnclosing(file *ast.File, n ast.Node) ([]ast.Node, bool) {
	var stack []ast.Node
	var found []ast.Node
	ast.Inspect(file, func(x ast.Node) bool {
		if found != nil {
			return false
		}
		if x == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, x)
		if x == n {
			found = slices.Clone(stack)
			slices.Reverse(found)
			return false
		}
		return true
	})
	return found, found != nil
}

// tableColumns finds the SQLite file behind the *sql.DB expression db (a variable assigned
// from sql.Open with a constant data source) and reads the table's columns.
func (v *view) tableColumns(p *packages.Package, info *types.Info, db ast.Expr, table string) ([]string, string, string) {
	id, ok := ast.Unparen(db).(*ast.Ident)
	if !ok {
		return nil, "", "the database handle is not a variable"
	}
	obj := info.ObjectOf(id)
	var dsn string
	var openAt token.Pos
	for _, f := range p.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Rhs) != 1 || len(as.Lhs) == 0 {
				return true
			}
			lid, ok := as.Lhs[0].(*ast.Ident)
			if !ok || info.ObjectOf(lid) != obj {
				return true
			}
			call, ok := as.Rhs[0].(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			fn, ok := typeutilCallee(info, call).(*types.Func)
			if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "database/sql" || fn.Name() != "Open" {
				return true
			}
			if tv := info.Types[call.Args[1]]; tv.Value != nil && tv.Value.Kind() == constant.String {
				dsn = constant.StringVal(tv.Value)
				openAt = call.Pos()
			}
			return true
		})
	}
	if dsn == "" {
		return nil, "", "the database is not opened with sql.Open and a constant data source"
	}
	file := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(file, '?'); i >= 0 {
		file = file[:i]
	}
	dir := filepath.Dir(v.fset.Position(openAt).Filename)
	full := filepath.Join(dir, filepath.FromSlash(file))
	if filepath.IsAbs(file) {
		full = file
	}
	if fi, err := os.Stat(full); err != nil || !fi.Mode().IsRegular() {
		return nil, "", fmt.Sprintf("the database file %s is not in the module", dsn)
	}
	rel := v.rel(full)
	cols, err := sqliteColumns(full, table)
	if err != nil {
		return nil, "", fmt.Sprintf("reading the schema of %s: %v", rel, err)
	}
	if len(cols) == 0 {
		return nil, "", fmt.Sprintf("%s has no table %s", rel, table)
	}
	return cols, rel, ""
}

func typeutilCallee(info *types.Info, call *ast.CallExpr) types.Object {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		return info.Uses[fun]
	case *ast.SelectorExpr:
		return info.Uses[fun.Sel]
	}
	return nil
}

// sqliteColumns lists the columns of table in file, in declaration order, without writing.
func sqliteColumns(file, table string) ([]string, error) {
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query("SELECT name FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// usedTargets reports, per Scan argument, whether what it fills is read anywhere in the
// module. A target that is not &x or &s.f, or a struct whose values leave the module's view
// (passed to an interface parameter, such as fmt or encoding/json), counts as read.
func (v *view) usedTargets(p *packages.Package, scan *ast.CallExpr) []bool {
	info := p.TypesInfo
	used := make([]bool, len(scan.Args))
	fields := map[string]int{} // field position -> Scan index
	var structType types.Type
	for i, a := range scan.Args {
		u, ok := a.(*ast.UnaryExpr)
		if !ok || u.Op != token.AND {
			used[i] = true
			continue
		}
		switch x := ast.Unparen(u.X).(type) {
		case *ast.SelectorExpr:
			s, ok := info.Selections[x]
			if !ok || s.Kind() != types.FieldVal || len(s.Index()) != 1 {
				used[i] = true
				continue
			}
			fields[v.fset.Position(s.Obj().Pos()).String()] = i
			structType = deref(info.TypeOf(x.X))
		default:
			used[i] = true
		}
	}
	if len(fields) == 0 {
		return used
	}
	// Positions of the field names in the Scan's own &x.f arguments: those uses are the
	// writes, not reads.
	scanSel := map[string]bool{}
	for _, a := range scan.Args {
		if u, ok := a.(*ast.UnaryExpr); ok {
			if se, ok := ast.Unparen(u.X).(*ast.SelectorExpr); ok {
				scanSel[v.fset.Position(se.Sel.Pos()).String()] = true
			}
		}
	}
	named, _ := structType.(*types.Named)
	for _, pkg := range v.all {
		for id, obj := range pkg.TypesInfo.Uses {
			fv, ok := obj.(*types.Var)
			if !ok || !fv.IsField() {
				continue
			}
			k, ok := fields[v.fset.Position(fv.Pos()).String()]
			if !ok {
				continue
			}
			if scanSel[v.fset.Position(id.Pos()).String()] {
				continue
			}
			used[k] = true
		}
		if named != nil && v.escapes(pkg, named) {
			for i := range used {
				used[i] = true
			}
		}
	}
	return used
}

// escapes reports whether a value of type t (or a pointer, slice, array or map of it) is
// passed to a parameter of interface type, where reflection may read every field.
func (v *view) escapes(pkg *packages.Package, t *types.Named) bool {
	holds := func(x types.Type) bool {
		for range 4 {
			if types.Identical(x, t) || (x != nil && typeKey(x) == typeKey(t)) {
				return true
			}
			switch u := x.(type) {
			case *types.Pointer:
				x = u.Elem()
			case *types.Slice:
				x = u.Elem()
			case *types.Array:
				x = u.Elem()
			case *types.Map:
				x = u.Elem()
			default:
				return false
			}
		}
		return false
	}
	found := false
	for _, f := range pkg.Syntax {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || found {
				return !found
			}
			sig, ok := pkg.TypesInfo.TypeOf(call.Fun).(*types.Signature)
			if !ok {
				return true
			}
			for i, a := range call.Args {
				pt := paramType(sig, i)
				if pt == nil || !types.IsInterface(pt) {
					continue
				}
				if holds(pkg.TypesInfo.TypeOf(a)) {
					found = true
				}
			}
			return true
		})
	}
	return found
}

func typeKey(t types.Type) string { return types.TypeString(t, nil) }

func paramType(sig *types.Signature, i int) types.Type {
	n := sig.Params().Len()
	if n == 0 {
		return nil
	}
	if sig.Variadic() && i >= n-1 {
		// The variadic parameter is a slice, except in append(b, s...) with a string s, where
		// go/types records it as the string type itself.
		if sl, ok := sig.Params().At(n - 1).Type().Underlying().(*types.Slice); ok {
			return sl.Elem()
		}
		return nil
	}
	if i >= n {
		return nil
	}
	return sig.Params().At(i).Type()
}

func deref(t types.Type) types.Type {
	if p, ok := t.(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

var plainColumn = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func quoteColumn(c string) string {
	if plainColumn.MatchString(c) {
		return c
	}
	return `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
}

// quoteLike writes s as a Go string literal in the style of old (raw or interpreted).
func quoteLike(old, s string) string {
	if strings.HasPrefix(old, "`") && !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}
