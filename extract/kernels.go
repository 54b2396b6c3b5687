package extract

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Kernel names the Go kernel whose semantics a plan applied.
const (
	KernelGoNB        = "gonb"
	KernelGophernotes = "gophernotes"
	KernelLgo         = "lgo"
)

// kernelOf reads a notebook's kernelspec and language_info: gophernotes (yaegi) and lgo run
// top-level statements in order and keep their variables across cells; GoNB runs statements
// only below a %% line.
func kernelOf(kernelName string) string {
	k := strings.ToLower(kernelName)
	switch {
	case strings.Contains(k, "gophernotes"):
		return KernelGophernotes
	case strings.Contains(k, "lgo"):
		return KernelLgo
	}
	return KernelGoNB
}

// stmtCell is one code cell of a gophernotes or lgo notebook cut into its top-level
// declarations and its top-level statements, each a list of whole lines.
type stmtCell struct {
	index        int
	decls, stmts []string
	// declLines and stmtLines are the 1-based cell line each line of decls and stmts came
	// from, 0 for a line translation added: declarations may sit between statements.
	declLines, stmtLines []int
	firstStmt            int              // 1-based cell line of the first statement line
	defines              map[string]bool  // variables the statements declare at top level
	uses                 map[string]bool  // identifiers the statements use before defining them
	commands             []string         // magic and shell lines, reported and dropped
	displayed            bool             // the last expression's value, which the kernel displayed, is printed
	hoistable            map[string]hoist // variables whose definition can become a package-level var
	defs                 []define         // the statements' top-level := definitions, in order
	identCount           map[string]int   // uses of each identifier in the statements (not being assigned)
	goLine               int              // 1-based cell line of the statements' first go statement, 0: none
	bodiless             []bodilessFunc   // functions declared without a body, left out
}

// bodilessFunc is a function a cell declares without a body, at a 1-based cell line.
type bodilessFunc struct {
	name string
	line int
}

// addDecls adds declaration lines that translation made, all from cell line from (0: none).
func (sc *stmtCell) addDecls(from int, lines ...string) {
	sc.decls = append(sc.decls, lines...)
	for range lines {
		sc.declLines = append(sc.declLines, from)
	}
}

// define is a top-level "a, b := …" statement of a cell.
type define struct {
	line, col int      // 0-based index in stmts, and byte offset of ":=" in that line
	names     []string // the names on its left, blank ones left out
}

// hoist is a top-level "name := value" statement whose value uses no variable of the
// notebook's statements and calls nothing, so it can initialize a package-level variable.
type hoist struct {
	line, col int    // 0-based index in stmts, and byte offset of ":=" in that line
	value     string // the value's source
}

// displayable reports whether a statement-position expression is a value the kernel would
// display and Go would reject as unused: anything but a call or a receive.
func displayable(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.CallExpr:
		return false
	case *ast.UnaryExpr:
		return x.Op != token.ARROW
	case *ast.ParenExpr:
		return displayable(x.X)
	}
	return true
}

// translateCells turns the code cells of a notebook written for gophernotes or lgo into
// GoNB's shape: declarations above a %% line, statements below it. Cells whose statements use
// variables an earlier cell's statements declared run as one step, as the interpreter kept them
// in one scope. It returns the new sources by cell index; for each, the cell and line every
// line of the new source came from (index 0 for line 1), since a step may gather several
// cells and declarations may sit between statements; and the decisions made.
func translateCells(kernel string, cells []cellSource) (map[int]string, map[int][]cellLine, []Decision) {
	var parsed []*stmtCell
	cells, notes := renameRedeclared(kernel, cells)
	for _, c := range cells {
		sc := splitTopLevel(c.source)
		sc.index = c.index
		if sc.displayed {
			notes = append(notes, Decision{Cell: c.index, Line: sc.firstStmt, Subject: "last expression", Action: "converted",
				Reason: kernel + " displayed the value of the cell's last expression: the step prints it"})
		}
		if kernel == KernelLgo && sc.goLine > 0 {
			notes = append(notes, Decision{Cell: c.index, Line: sc.goLine, Subject: "go statement", Action: "warning",
				Reason: "lgo ended a cell only once the goroutines it started ended (older versions canceled them when the cell's code returned); in the service they run on after the step returns, until the program exits: give one that never ends a context or a done channel"})
		}
		for _, b := range sc.bodiless {
			notes = append(notes, Decision{Cell: c.index, Line: b.line, Subject: "func " + b.name, Action: "dropped",
				Reason: kernel + " accepted a function declared without a body, as a notebook lists an API; Go needs a body, and it does nothing, so it is left out"})
		}
		for _, cmd := range sc.commands {
			notes = append(notes, Decision{Cell: c.index, Line: 1, Subject: cmd, Action: "dropped",
				Reason: kernel + "'s magic or shell line: not part of the service"})
		}
		parsed = append(parsed, sc)
	}
	// lgo's code talks to the notebook through _ctx; outside the kernel a stand-in keeps it
	// compiling, with display calls that do nothing.
	if kernel == KernelLgo {
		for _, sc := range parsed {
			// _ctx is used as a value too, for example passed to req.WithContext.
			if lgoContextRE.MatchString(strings.Join(sc.decls, "\n") + "\n" + strings.Join(sc.stmts, "\n")) {
				sc.addDecls(0, strings.Split(lgoContextShim, "\n")...)
				notes = append(notes, Decision{Cell: sc.index, Line: 1, Subject: "_ctx", Action: "converted",
					Reason: "lgo's notebook context: a stand-in whose Display calls do nothing outside the kernel (like GoNB's gonbui)"})
				break
			}
		}
	}
	// gophernotes imports its display package into every notebook, and declares Display;
	// outside the kernel a stand-in keeps calls to them compiling, showing nothing.
	if kernel == KernelGophernotes {
		notes = append(notes, gophernotesDisplay(parsed)...)
	}
	notes = append(notes, hoistGlobals(kernel, parsed)...)
	// Group statement cells that share variables: a cell joins the group of the latest earlier
	// cell whose variables it uses.
	group := map[int]int{} // cell index → index of the cell holding the group's step
	defined := map[string]int{}
	for _, sc := range parsed {
		if len(sc.stmts) == 0 {
			continue
		}
		g := sc.index
		for name := range sc.uses {
			if owner, ok := defined[name]; ok && group[owner] < g {
				g = group[owner]
			}
		}
		// Uses of variables from several earlier groups merge those groups into the earliest.
		for name := range sc.uses {
			if owner, ok := defined[name]; ok && group[owner] != g {
				old := group[owner]
				for k, v := range group {
					if v == old {
						group[k] = g
					}
				}
			}
		}
		group[sc.index] = g
		for name := range sc.defines {
			defined[name] = sc.index
		}
	}
	notes = append(notes, redefinitions(kernel, parsed, group)...)
	bodies := map[int][]string{}
	bodyFrom := map[int][]cellLine{} // where each line of bodies came from
	members := map[int][]int{}
	for _, sc := range parsed {
		if len(sc.stmts) == 0 {
			continue
		}
		g := group[sc.index]
		if len(bodies[g]) > 0 {
			bodies[g] = append(bodies[g], fmt.Sprintf("// cell %d", sc.index))
			bodyFrom[g] = append(bodyFrom[g], cellLine{})
		}
		bodies[g] = append(bodies[g], sc.stmts...)
		for _, l := range sc.stmtLines {
			bodyFrom[g] = append(bodyFrom[g], cellLine{Cell: sc.index, Line: l})
		}
		members[g] = append(members[g], sc.index)
	}
	// Variables the kernel kept as globals may go unused; in a step Go rejects that.
	for g, names := range unusedTopLevel(parsed, group) {
		bodies[g] = append(bodies[g], fmt.Sprintf("%s = %s // %s keeps top-level variables, so an unused one is no error",
			strings.TrimSuffix(strings.Repeat("_, ", len(names)), ", "), strings.Join(names, ", "), kernel))
		bodyFrom[g] = append(bodyFrom[g], cellLine{})
	}
	out := map[int]string{}
	from := map[int][]cellLine{}
	for _, sc := range parsed {
		var sb strings.Builder
		lines := make([]cellLine, 0, len(sc.decls)+1+len(bodies[sc.index]))
		for i, l := range sc.decls {
			sb.WriteString(l + "\n")
			lines = append(lines, cellLine{Cell: sc.index, Line: sc.declLines[i]})
		}
		if body, ok := bodies[sc.index]; ok {
			sb.WriteString("%%\n")
			lines = append(lines, cellLine{})
			for _, l := range body {
				sb.WriteString(l + "\n")
			}
			lines = append(lines, bodyFrom[sc.index]...)
			if m := members[sc.index]; len(m) > 1 {
				notes = append(notes, Decision{Cell: sc.index, Line: sc.firstStmt, Subject: "top-level statements", Action: "converted",
					Reason: fmt.Sprintf("%s keeps top-level variables across cells: the statements of cells %s share them and run as one step", kernel, joinInts(m))})
			} else {
				notes = append(notes, Decision{Cell: sc.index, Line: sc.firstStmt, Subject: "top-level statements", Action: "converted",
					Reason: kernel + " runs top-level statements in order: they become a step"})
			}
		} else if len(sc.stmts) > 0 {
			notes = append(notes, Decision{Cell: sc.index, Line: sc.firstStmt, Subject: "top-level statements", Action: "moved",
				Reason: fmt.Sprintf("they use variables of cell %d's statements, so they run in that cell's step", group[sc.index])})
		}
		out[sc.index] = sb.String()
		from[sc.index] = lines
	}
	return out, from, notes
}

// cellLine is a line of a notebook cell; the zero value is a line translation added.
type cellLine struct{ Cell, Line int }

type cellSource struct {
	index  int
	source string
}

func joinInts(xs []int) string {
	sort.Ints(xs)
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// splitTopLevel cuts a cell into whole-line chunks at depth 0: import, func (not a literal),
// type and const chunks are declarations; everything else is a statement. Lines starting with
// % or ! (magics, shell) are set aside. A var with an initializer stays a statement, since it
// may use the cell's other variables; a var without one is a declaration.
func splitTopLevel(src string) *stmtCell {
	sc := &stmtCell{defines: map[string]bool{}, uses: map[string]bool{}, hoistable: map[string]hoist{}, identCount: map[string]int{}}
	lines := strings.Split(strings.TrimRight(src, "\n"), "\n")
	// Set commands aside, keeping line numbers with blank lines.
	code := make([]string, len(lines))
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if len(t) > 1 && (strings.HasPrefix(l, "%") || strings.HasPrefix(l, "!") || strings.HasPrefix(l, "$")) {
			sc.commands = append(sc.commands, t)
			continue
		}
		code[i] = l
	}
	text := strings.Join(code, "\n")
	fset := token.NewFileSet()
	file := fset.AddFile("cell", -1, len(text))
	var s scanner.Scanner
	s.Init(file, []byte(text), nil, scanner.ScanComments)
	type chunk struct {
		start, end int // 0-based lines, inclusive
		decl       bool
		fn         bool // a func declaration
	}
	var chunks []chunk
	depth := 0
	atStart := true
	var cur *chunk
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		line := file.Line(pos) - 1
		if tok == token.COMMENT {
			continue
		}
		if atStart && depth == 0 && tok != token.SEMICOLON {
			decl := false
			switch tok {
			case token.IMPORT, token.TYPE, token.CONST:
				decl = true
			case token.FUNC:
				// A declaration names its function (or has a receiver then a name); a
				// literal is followed by its parameter list and, after it, a body or a result.
				decl = isFuncDecl(text[file.Offset(pos):])
			case token.VAR:
				decl = !varHasInit(text[file.Offset(pos):])
			}
			chunks = append(chunks, chunk{start: line, end: line, decl: decl, fn: decl && tok == token.FUNC})
			cur = &chunks[len(chunks)-1]
			atStart = false
		}
		if cur != nil && line > cur.end {
			cur.end = line
		}
		switch tok {
		case token.LBRACE, token.LPAREN, token.LBRACK:
			depth++
		case token.RBRACE, token.RPAREN, token.RBRACK:
			depth--
		case token.SEMICOLON:
			if depth == 0 {
				atStart = true
				if lit == "\n" && cur != nil && line > cur.end {
					cur.end = line
				}
			}
		}
	}
	// Comment lines between chunks go with the chunk below them.
	owner := make([]int, len(code))
	for i := range owner {
		owner[i] = -1
	}
	for ci, c := range chunks {
		for l := c.start; l <= c.end && l < len(code); l++ {
			owner[l] = ci
		}
	}
	next := -1
	for i := len(code) - 1; i >= 0; i-- {
		if owner[i] >= 0 {
			next = owner[i]
		} else if next >= 0 {
			owner[i] = next
		}
	}
	// gophernotes accepts a function declared without a body, and notebooks use that to list
	// an API (its own Display notebook lists the display package so); Go needs a body, and
	// such a function does nothing, so it is left out.
	bodiless := map[int]bool{}
	for ci, c := range chunks {
		if !c.fn {
			continue
		}
		src := "package p\n" + strings.Join(code[c.start:min(c.end+1, len(code))], "\n")
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
		if err != nil || len(f.Decls) != 1 {
			continue
		}
		if fd, ok := f.Decls[0].(*ast.FuncDecl); ok && fd.Body == nil {
			bodiless[ci] = true
			sc.bodiless = append(sc.bodiless, bodilessFunc{name: fd.Name.Name, line: c.start + 1})
		}
	}
	for i, l := range code {
		o := owner[i]
		if o < 0 || bodiless[o] {
			continue
		}
		if chunks[o].decl {
			sc.decls = append(sc.decls, l)
			sc.declLines = append(sc.declLines, i+1)
		} else {
			if sc.firstStmt == 0 {
				sc.firstStmt = i + 1
			}
			sc.stmts = append(sc.stmts, l)
			sc.stmtLines = append(sc.stmtLines, i+1)
		}
	}
	// What the statements declare and use, for sharing across cells.
	if len(sc.stmts) > 0 {
		const head = "package p\nfunc _() {\n"
		body := head + strings.Join(sc.stmts, "\n") + "\n}\n"
		fset := token.NewFileSet()
		if f, err := parser.ParseFile(fset, "", body, parser.SkipObjectResolution); err == nil {
			fn := f.Decls[0].(*ast.FuncDecl)
			// The kernel displayed the value of a cell's last expression; Go rejects an unused
			// value, so the step prints it.
			if n := len(fn.Body.List); n > 0 {
				if es, ok := fn.Body.List[n-1].(*ast.ExprStmt); ok && displayable(es.X) {
					start, end := int(es.Pos())-1, int(es.End())-1
					joined := body[:start] + "fmt.Println(" + body[start:end] + ")" + body[end:]
					sc.stmts = strings.Split(strings.TrimSuffix(strings.TrimPrefix(joined, head), "\n}\n"), "\n")
					sc.displayed = true
				}
			}
			// From the end of the statement that first defines a name at top level, the cell's
			// statements use their own variable, not an earlier cell's.
			ownFrom := map[string]token.Pos{}
			defining := map[*ast.Ident]bool{}
			own := func(id *ast.Ident, end token.Pos) {
				defining[id] = true
				if _, ok := ownFrom[id.Name]; !ok {
					ownFrom[id.Name] = end
				}
			}
			for _, st := range fn.Body.List {
				switch st := st.(type) {
				case *ast.AssignStmt:
					if st.Tok == token.DEFINE {
						at := fset.Position(st.TokPos)
						d := define{line: at.Line - 3, col: at.Column - 1}
						for _, l := range st.Lhs {
							if id, ok := l.(*ast.Ident); ok {
								own(id, st.End())
								sc.defines[id.Name] = true
								if id.Name != "_" {
									d.names = append(d.names, id.Name)
								}
							}
						}
						sc.defs = append(sc.defs, d)
						if id, ok := st.Lhs[0].(*ast.Ident); ok && len(st.Lhs) == 1 && len(st.Rhs) == 1 && id.Name != "_" {
							start, end := int(st.Rhs[0].Pos())-1, int(st.Rhs[0].End())-1
							sc.hoistable[id.Name] = hoist{line: at.Line - 3, col: at.Column - 1, value: body[start:end]}
						}
					}
				case *ast.DeclStmt:
					if g, ok := st.Decl.(*ast.GenDecl); ok {
						for _, s := range g.Specs {
							if vs, ok := s.(*ast.ValueSpec); ok {
								for _, n := range vs.Names {
									own(n, st.End())
									sc.defines[n.Name] = true
								}
							}
						}
					}
				}
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if g, ok := n.(*ast.GoStmt); ok && sc.goLine == 0 {
					if i := fset.Position(g.Pos()).Line - 3; i >= 0 && i < len(sc.stmtLines) {
						sc.goLine = sc.stmtLines[i]
					}
				}
				return sc.goLine == 0
			})
			// Being assigned is no use to Go: identifiers on the left of an assignment or an
			// increment are not counted.
			assigned := map[*ast.Ident]bool{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, l := range n.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							assigned[id] = true
						}
					}
				case *ast.IncDecStmt:
					if id, ok := n.X.(*ast.Ident); ok {
						assigned[id] = true
					}
				}
				return true
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if from, ok := ownFrom[id.Name]; !defining[id] && (!ok || id.Pos() < from) {
						sc.uses[id.Name] = true
					}
					if !assigned[id] {
						sc.identCount[id.Name]++
					}
				}
				return true
			})
			// Only a value that needs nothing from the steps can initialize a package-level
			// variable; a name defined twice is left alone.
			seen := map[string]int{}
			for _, st := range fn.Body.List {
				if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
					for _, l := range as.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							seen[id.Name]++
						}
					}
					if id, ok := as.Lhs[0].(*ast.Ident); ok && len(as.Lhs) == 1 && len(as.Rhs) == 1 && !constantValue(as.Rhs[0]) {
						delete(sc.hoistable, id.Name)
					}
				}
			}
			for name, n := range seen {
				if n > 1 {
					delete(sc.hoistable, name)
				}
			}
		}
	}
	return sc
}

func isFuncDecl(s string) bool {
	rest := strings.TrimSpace(strings.TrimPrefix(s, "func"))
	if rest == "" {
		return false
	}
	if rest[0] != '(' {
		return true // func Name(...)
	}
	// func (recv T) Name(...) vs func(...) ...: after the first parenthesized list, a
	// method declaration has an identifier followed by "(" or "[".
	depth := 0
	for i, r := range rest {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				after := strings.TrimLeft(rest[i+1:], " \t")
				j := 0
				for j < len(after) && (after[j] == '_' || after[j] >= 'a' && after[j] <= 'z' || after[j] >= 'A' && after[j] <= 'Z' || after[j] >= '0' && after[j] <= '9' && j > 0) {
					j++
				}
				if j == 0 {
					return false
				}
				tail := strings.TrimLeft(after[j:], " \t")
				return strings.HasPrefix(tail, "(") || strings.HasPrefix(tail, "[")
			}
		}
	}
	return false
}

// varHasInit reports whether a var declaration starting s assigns a value (in its first line,
// or anywhere in a parenthesized block before it closes).
func varHasInit(s string) bool {
	rest := strings.TrimSpace(strings.TrimPrefix(s, "var"))
	if strings.HasPrefix(rest, "(") {
		end := strings.Index(rest, "\n)")
		if end < 0 {
			end = len(rest)
		}
		return strings.Contains(rest[:end], "=")
	}
	line, _, _ := strings.Cut(rest, "\n")
	return strings.Contains(line, "=")
}

// redefinitions turns a top-level "a, b := …" that defines only names an earlier cell of the
// same step defined into "a, b = …": the kernel let a cell define a top-level variable again,
// while one step may define it once.
func redefinitions(kernel string, parsed []*stmtCell, group map[int]int) []Decision {
	defined := map[int]map[string]bool{} // by group
	var notes []Decision
	for _, sc := range parsed {
		if len(sc.stmts) == 0 {
			continue
		}
		g := group[sc.index]
		if defined[g] == nil {
			defined[g] = map[string]bool{}
		}
		for _, d := range sc.defs {
			again := len(d.names) > 0
			for _, n := range d.names {
				again = again && defined[g][n]
			}
			if again && g != sc.index {
				l := sc.stmts[d.line]
				if d.col+2 <= len(l) && l[d.col:d.col+2] == ":=" {
					sc.stmts[d.line] = l[:d.col] + "=" + l[d.col+2:]
					notes = append(notes, Decision{Cell: sc.index, Line: sc.stmtLines[d.line], Subject: strings.Join(d.names, ", "), Action: "converted",
						Reason: kernel + " let a cell define a top-level variable again: in the shared step it is assigned"})
				}
			}
			for _, n := range d.names {
				defined[g][n] = true
			}
		}
	}
	return notes
}

// unusedTopLevel returns, by step, the names the statements define at top level and never use
// (they are only assigned), sorted. Names the notebook's functions use are hoisted
// globals, not counted here.
func unusedTopLevel(parsed []*stmtCell, group map[int]int) map[int][]string {
	count := map[int]map[string]int{}
	defs := map[int]map[string]int{}
	for _, sc := range parsed {
		if len(sc.stmts) == 0 {
			continue
		}
		g := group[sc.index]
		if count[g] == nil {
			count[g], defs[g] = map[string]int{}, map[string]int{}
		}
		for n, c := range sc.identCount {
			count[g][n] += c
		}
		for _, d := range sc.defs {
			for _, n := range d.names {
				defs[g][n]++
			}
		}
	}
	out := map[int][]string{}
	for g, ds := range defs {
		var names []string
		for n := range ds {
			if count[g][n] == 0 {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			out[g] = names
		}
	}
	return out
}

// hoistGlobals makes package-level variables of the top-level variables that the notebook's
// functions use: gophernotes and lgo keep top-level variables global, so a function declared
// in a cell sees them, while a GoNB step would hide them inside its body. A variable is hoisted
// when its "name := value" has a value that needs nothing from the steps (a literal, a
// composite of literals, make or new); the statement then assigns instead of declaring, so a
// step still resets it as the cell did.
func hoistGlobals(kernel string, parsed []*stmtCell) []Decision {
	free := map[string]bool{} // names the declarations use without declaring them
	for _, sc := range parsed {
		if len(sc.decls) == 0 {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+strings.Join(sc.decls, "\n"), 0)
		if err != nil {
			continue
		}
		for _, id := range f.Unresolved {
			free[id.Name] = true
		}
	}
	var notes []Decision
	done := map[string]bool{}
	for _, sc := range parsed {
		names := make([]string, 0, len(sc.hoistable))
		for name := range sc.hoistable {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			h := sc.hoistable[name]
			if !free[name] || done[name] {
				continue
			}
			done[name] = true
			l := sc.stmts[h.line]
			sc.stmts[h.line] = l[:h.col] + "=" + l[h.col+2:]
			sc.addDecls(sc.stmtLines[h.line], "var "+name+" = "+h.value)
			notes = append(notes, Decision{Cell: sc.index, Line: sc.stmtLines[h.line], Subject: name, Action: "converted",
				Reason: kernel + " keeps top-level variables global and a function declared in the notebook uses this one: it is a package-level variable, which the step resets"})
		}
	}
	return notes
}

// constantValue reports whether e needs nothing at run time but allocation: a literal, true,
// false or nil, a composite literal of such values, or make or new of a type with such sizes.
// Types (of composites, make and new) may name anything declared at package level.
func constantValue(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return e.Name == "true" || e.Name == "false" || e.Name == "nil"
	case *ast.ParenExpr:
		return constantValue(e.X)
	case *ast.UnaryExpr:
		return (e.Op == token.SUB || e.Op == token.ADD) && constantValue(e.X)
	case *ast.KeyValueExpr:
		return constantValue(e.Value) && (isIdent(e.Key) || constantValue(e.Key))
	case *ast.CompositeLit:
		for _, el := range e.Elts {
			if !constantValue(el) {
				return false
			}
		}
		return true
	case *ast.CallExpr:
		id, ok := e.Fun.(*ast.Ident)
		if !ok || id.Name != "make" && id.Name != "new" || len(e.Args) == 0 {
			return false
		}
		for _, a := range e.Args[1:] {
			if !constantValue(a) {
				return false
			}
		}
		return true
	}
	return false
}

// isIdent reports whether e is a bare identifier (a struct field's key in a composite literal).
func isIdent(e ast.Expr) bool {
	_, ok := e.(*ast.Ident)
	return ok
}

// gophernotesDisplay adds the stand-ins for gophernotes' display package and Display function
// to the first cell that uses them, unless the notebook declares those names itself.
func gophernotesDisplay(parsed []*stmtCell) []Decision {
	declared := func(re *regexp.Regexp) bool {
		for _, sc := range parsed {
			if re.MatchString(strings.Join(sc.decls, "\n")) {
				return true
			}
		}
		return false
	}
	shims := []struct {
		use, decl *regexp.Regexp
		code      string
		what      string
	}{
		{gophernotesPackageRE, regexp.MustCompile(`(?m)^\s*((var|const|type|func)\s+display\b|(import\s+)?display\s+")`), gophernotesPackageShim,
			"gophernotes' display package, imported into every notebook: a stand-in whose functions build nothing to show outside the kernel (MIMEMap and Data, its types, have none)"},
		{gophernotesFuncRE, regexp.MustCompile(`(?m)^\s*func\s+Display\b`), gophernotesFuncShim,
			"gophernotes' Display function: a stand-in that shows nothing outside the kernel"},
	}
	var notes []Decision
	for _, sh := range shims {
		if declared(sh.decl) {
			continue
		}
		for _, sc := range parsed {
			if sh.use.MatchString(strings.Join(sc.decls, "\n") + "\n" + strings.Join(sc.stmts, "\n")) {
				sc.addDecls(0, strings.Split(sh.code, "\n")...)
				notes = append(notes, Decision{Cell: sc.index, Line: 1, Subject: strings.Fields(sh.what)[1], Action: "converted", Reason: sh.what})
				if sh.use == gophernotesPackageRE {
					// A variable cannot hold types: the package's two types are named directly.
					for _, sc := range parsed {
						for i, l := range sc.decls {
							sc.decls[i] = gophernotesTypeRE.ReplaceAllString(l, "${1}gophernotes$2")
						}
						for i, l := range sc.stmts {
							sc.stmts[i] = gophernotesTypeRE.ReplaceAllString(l, "${1}gophernotes$2")
						}
					}
				}
				break
			}
		}
	}
	return notes
}

var (
	// gophernotesPackageRE matches a use of the package name display (not a field or method).
	gophernotesPackageRE = regexp.MustCompile(`(^|[^A-Za-z0-9_.])display\.[A-Z]`)
	// gophernotesTypeRE matches the display package's types.
	gophernotesTypeRE = regexp.MustCompile(`(^|[^A-Za-z0-9_.])display\.(MIMEMap|Data)\b`)
	// gophernotesFuncRE matches a call of Display (not a method).
	gophernotesFuncRE = regexp.MustCompile(`(^|[^A-Za-z0-9_.])Display\(`)
)

// gophernotesPackageShim stands in for gophernotes' display package: the functions gophernotes
// documents, taking what it takes and returning its Data, with nothing in it.
const gophernotesPackageShim = `
// display stands in for gophernotes' display package outside the kernel: its functions build
// nothing to show; its MIME type constants are fields.
var display = gophernotesDisplay{
	MIMETypeHTML: "text/html", MIMETypeJavaScript: "application/javascript", MIMETypeJPEG: "image/jpeg",
	MIMETypeJSON: "application/json", MIMETypeLatex: "text/latex", MIMETypeMarkdown: "text/markdown",
	MIMETypePNG: "image/png", MIMETypePDF: "application/pdf", MIMETypeSVG: "image/svg+xml", MIMETypeText: "text/plain",
}

type gophernotesDisplay struct {
	MIMETypeHTML, MIMETypeJavaScript, MIMETypeJPEG, MIMETypeJSON, MIMETypeLatex string
	MIMETypeMarkdown, MIMETypePNG, MIMETypePDF, MIMETypeSVG, MIMETypeText      string
}

// gophernotesMIMEMap and gophernotesData are gophernotes' display.MIMEMap and display.Data.
type gophernotesMIMEMap = map[string]any
type gophernotesData = struct{ Data, Metadata, Transient gophernotesMIMEMap }

func (gophernotesDisplay) Any(string, any) gophernotesData           { return gophernotesData{} }
func (gophernotesDisplay) Auto(any) gophernotesData                  { return gophernotesData{} }
func (gophernotesDisplay) File(string, string) gophernotesData       { return gophernotesData{} }
func (gophernotesDisplay) HTML(string) gophernotesData               { return gophernotesData{} }
func (gophernotesDisplay) Image(any) gophernotesData                 { return gophernotesData{} }
func (gophernotesDisplay) JavaScript(string) gophernotesData         { return gophernotesData{} }
func (gophernotesDisplay) JPEG([]byte) gophernotesData               { return gophernotesData{} }
func (gophernotesDisplay) JSON(map[string]any) gophernotesData       { return gophernotesData{} }
func (gophernotesDisplay) Latex(string) gophernotesData              { return gophernotesData{} }
func (gophernotesDisplay) MakeData(string, any) gophernotesData      { return gophernotesData{} }
func (gophernotesDisplay) Markdown(string) gophernotesData           { return gophernotesData{} }
func (gophernotesDisplay) Math(string) gophernotesData               { return gophernotesData{} }
func (gophernotesDisplay) MIME(_, _ map[string]any) gophernotesData  { return gophernotesData{} }
func (gophernotesDisplay) PDF([]byte) gophernotesData                { return gophernotesData{} }
func (gophernotesDisplay) PNG([]byte) gophernotesData                { return gophernotesData{} }
func (gophernotesDisplay) SVG(string) gophernotesData      { return gophernotesData{} }`

// gophernotesFuncShim stands in for gophernotes' Display function.
const gophernotesFuncShim = `
// Display stands in for gophernotes' Display outside the kernel: it shows nothing.
func Display(any) error { return nil }`

// lgoContextRE matches the identifier _ctx, not a longer name containing it.
var lgoContextRE = regexp.MustCompile(`(^|[^A-Za-z0-9_])_ctx($|[^A-Za-z0-9_])`)

// lgoContextShim stands in for lgo's _ctx (a context.Context with a Display) in the package.
const lgoContextShim = `
// _ctx stands in for lgo's notebook context outside the kernel: it is never cancelled, and
// its Display calls do nothing.
var _ctx = lgoContext{Context: context.Background()}

type lgoContext struct {
	context.Context
	Display lgoDisplay
}

type lgoDisplay struct{}

func (lgoDisplay) Text(...any)       {}
func (lgoDisplay) HTML(...any)       {}
func (lgoDisplay) Markdown(...any)   {}
func (lgoDisplay) PNG(...any)        {}
func (lgoDisplay) JPEG(...any)       {}
func (lgoDisplay) SVG(...any)        {}
func (lgoDisplay) PDF(...any)        {}
func (lgoDisplay) JavaScript(...any) {}
func (lgoDisplay) JSON(...any)       {}
func (lgoDisplay) Image(...any)      {}
func (lgoDisplay) Raw(...any)        {}`

// renameRedeclared gives a new name to a declaration that a later cell declares again
// differently, in the cells from its own up to that later one: gophernotes and lgo compiled each
// cell against the declarations made so far, so those cells used the earlier one, while in one
// package the last would win for all of them. A name declared again the same way is left alone.
func renameRedeclared(kernel string, cells []cellSource) ([]cellSource, []Decision) {
	type declared struct {
		at   int // index in cells
		text string
	}
	byName := map[string][]declared{}
	var names []string
	for i, c := range cells {
		sc := splitTopLevel(c.source)
		if len(sc.decls) == 0 {
			continue
		}
		src := "package p\n" + strings.Join(sc.decls, "\n")
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		add := func(name string, n ast.Node) {
			if name == "_" || name == "main" || name == "init" {
				return
			}
			text := src[n.Pos()-1 : n.End()-1]
			ds := byName[name]
			if len(ds) > 0 && ds[len(ds)-1].text == text {
				return
			}
			if len(ds) == 0 {
				names = append(names, name)
			}
			byName[name] = append(ds, declared{i, text})
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name.Name, d)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						add(spec.Name.Name, spec)
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							add(n.Name, spec)
						}
					}
				}
			}
		}
	}
	var notes []Decision
	out := slices.Clone(cells)
	for _, name := range names {
		ds := byName[name]
		for k := 0; k+1 < len(ds); k++ {
			from, to := ds[k].at, ds[k+1].at
			if from == to {
				continue // declared twice in one cell: Go reports it as the kernel did
			}
			renamed := fmt.Sprintf("%sCell%d", name, cells[from].index)
			for i := from; i < to; i++ {
				out[i].source = renameIdent(out[i].source, name, renamed)
			}
			notes = append(notes, Decision{Cell: cells[from].index, Line: 1, Subject: name, Action: "converted",
				Reason: fmt.Sprintf("%s let cell %d declare %s again, differently; cells %d to %d used this declaration, so it is renamed %s", kernel, cells[to].index, name, cells[from].index, cells[to-1].index, renamed)})
		}
	}
	return out, notes
}

// renameIdent replaces the identifier old by new in src, except after a period (a field,
// method or package member of the same name).
func renameIdent(src, old, new string) string {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), nil, 0)
	var sb strings.Builder
	last, prev := 0, token.ILLEGAL
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.IDENT && lit == old && prev != token.PERIOD {
			off := file.Offset(pos)
			sb.WriteString(src[last:off])
			sb.WriteString(new)
			last = off + len(old)
		}
		prev = tok
	}
	sb.WriteString(src[last:])
	return sb.String()
}
