package extract

import (
	"context"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// This file reads two kinds of failed replay whose message alone names no missing resource,
// yet whose cause lies outside the service's code (see runneeds.go's header for the
// classifier's narrowness):
//
//   - a library that panics on this machine in a step the notebook's saved outputs show
//     completing where it last ran (libraryNeed): the library behaves differently here
//     (another device, backend or operating system) than on the author's machine;
//   - a nil dereference of what a network call returned, when the code discarded (or never
//     read) the call's error and this machine cannot reach the call's host
//     (uncheckedNetworkNeed): the network's absence, not the code, left the value nil.

// RunEvidence is what the classifier of failed replays may consult beyond a failure's
// message. The zero value works: it then reads messages alone.
type RunEvidence struct {
	// Own lists the directories whose files the service itself provides or writes (the
	// service's directory, the temporary directory); see [ClassifyRunFailure].
	Own []string
	// Out is the service as rendered: the code at a panic's line is read from it.
	Out *Output
	// Probe reports whether this machine can reach host (and port, when known): nil if it
	// can. Nil: [ProbeHost].
	Probe func(ctx context.Context, host, port string) error
	// ReadFile reads a library's source file that a panic's frame names, to tell a helper
	// that panics with what its caller passed (must.M(err)) from the library's own panic.
	// Nil: os.ReadFile.
	ReadFile func(name string) ([]byte, error)

	probed map[string]error
}

// probeTimeout bounds a probe of a host the notebook's code names.
const probeTimeout = 3 * time.Second

// ProbeHost resolves host and, when it resolves, dials host:port over TCP (port "" is not
// dialled), each within a few seconds. It returns why this machine cannot reach it, or nil.
func ProbeHost(ctx context.Context, host, port string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if net.ParseIP(host) == nil {
		if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
			return err
		}
	}
	if port == "" {
		return nil
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	return c.Close()
}

func (ev *RunEvidence) probe(ctx context.Context, host, port string) error {
	key := net.JoinHostPort(host, port)
	if err, ok := ev.probed[key]; ok {
		return err
	}
	probe := ev.Probe
	if probe == nil {
		probe = ProbeHost
	}
	err := probe(ctx, host, port)
	if ev.probed == nil {
		ev.probed = map[string]error{}
	}
	ev.probed[key] = err
	return err
}

var (
	// goroutineRE matches the header of a goroutine's trace: "goroutine 21 [running]:", or
	// with GOTRACEBACK=system, "goroutine 21 gp=0xc000102380 m=4 mp=0xc000100008 [running]:".
	goroutineRE = regexp.MustCompile(`(?m)^goroutine \d+(?: [^\n\[]*)? ?\[[^\]]*\]:\n`)
	// frameFileRE matches a frame's file line: a tab, the file, the line, the pc offset.
	frameFileRE = regexp.MustCompile(`^\t(\S+\.go):(\d+)`)
)

// panicFrames returns the frames of the goroutine that panicked in a failed go test's output,
// innermost first: the first goroutine trace after the panic's line, up to "created by".
func panicFrames(out string) []Frame {
	i := strings.Index(out, "panic: ")
	if i < 0 {
		return nil
	}
	rest := out[i:]
	loc := goroutineRE.FindStringIndex(rest)
	if loc == nil {
		return nil
	}
	lines := strings.Split(rest[loc[1]:], "\n")
	var frames []Frame
	for k := 0; k < len(lines); k++ {
		fn := strings.TrimRight(lines[k], "\r")
		if fn == "" || strings.HasPrefix(fn, "created by ") || strings.HasPrefix(fn, "goroutine ") {
			break
		}
		if k+1 >= len(lines) {
			break
		}
		m := frameFileRE.FindStringSubmatch(lines[k+1])
		if m == nil {
			continue // "...additional frames elided..."
		}
		k++
		if strings.HasSuffix(fn, ")") {
			if p := strings.LastIndex(fn, "("); p > 0 {
				fn = fn[:p]
			}
		}
		line, _ := strconv.Atoi(m[2])
		frames = append(frames, Frame{Func: fn, File: m[1], Line: line})
	}
	return frames
}

// funcPackage is the import path of the package a trace's function name belongs to:
// "github.com/gomlx/gomlx/ml/model" for "github.com/gomlx/gomlx/ml/model.MustCallOnceN[...]".
func funcPackage(fn string) string {
	slash := strings.LastIndex(fn, "/")
	dot := strings.Index(fn[slash+1:], ".")
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// stdPackage reports whether an import path is the standard library's (or the runtime's
// "panic"): its first element has no dot.
func stdPackage(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return !strings.Contains(first, ".")
}

// cachedModule reads a module-cache file path: the module@version and the file in it
// ("github.com/gomlx/gomlx@v0.28.1", "ml/model/execaliases.go").
func cachedModule(file string) (mod, rel string, ok bool) {
	if m, v, root, ok := inModCache(DefaultModCache(), filepath.Dir(filepath.FromSlash(file))); ok {
		// GOMODCACHE, wherever it points.
		if r, err := filepath.Rel(root, filepath.FromSlash(file)); err == nil {
			return m + "@" + v, filepath.ToSlash(r), true
		}
	}
	file = filepath.ToSlash(file)
	i := strings.Index(file, "/pkg/mod/")
	if i < 0 {
		return "", "", false
	}
	rest := file[i+len("/pkg/mod/"):]
	at := strings.Index(rest, "@")
	if at < 0 {
		return "", "", false
	}
	slash := strings.Index(rest[at:], "/")
	if slash < 0 {
		return "", "", false
	}
	// The cache escapes capitals as "!" and the lower-case letter.
	var sb strings.Builder
	esc := false
	for _, r := range rest[:at+slash] {
		switch {
		case r == '!':
			esc = true
			continue
		case esc:
			r = unicode.ToUpper(r)
		}
		esc = false
		sb.WriteRune(r)
	}
	return sb.String(), rest[at+slash+1:], true
}

// ownFrame reports whether a frame is the service's code: its package is in the service's
// module, or its file is in the service's directory (own's first). The other directories of
// own (the temporary directory) are the service's for the files it writes, not for code: a
// library replaced by a directory there is a library.
func (p *Plan) ownFrame(f Frame, own []string) bool {
	if pkg := funcPackage(f.Func); p.Module != "" && (pkg == p.Module || strings.HasPrefix(pkg, p.Module+"/")) {
		return true
	}
	if len(own) == 0 || own[0] == "" {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(own[0]), filepath.Clean(f.File))
	return err == nil && !strings.HasPrefix(rel, "..")
}

// nilDereference is the runtime's panic for a nil pointer.
const nilDereference = "invalid memory address or nil pointer dereference"

// panicText is a panic's value as its line gives it, without go test's note of the re-panic.
func panicText(msg string) string {
	s := firstLine(msg)
	if i := strings.Index(s, "panic: "); i >= 0 {
		s = s[i+len("panic: "):]
	}
	s = strings.TrimSuffix(s, " [recovered, repanicked]")
	s = strings.TrimSuffix(s, " [recovered]")
	return s
}

// replayedCell is the cell of the step the replay was running when it failed (the failure's
// own line may be in a function another cell declares), else the failure's cell.
func (p *Plan) replayedCell(pr Problem) int {
	cell := pr.Cell
	for _, st := range p.Steps {
		if pr.Replaying != "" && st.Name == pr.Replaying {
			cell = st.Cell
		}
	}
	return cell
}

// cellPlan returns the plan of the cell at index, or nil.
func (p *Plan) cellPlan(index int) *CellPlan {
	for i := range p.Cells {
		if p.Cells[i].Index == index {
			return &p.Cells[i]
		}
	}
	return nil
}

// libraryNeed reads a failed replay as a library that behaves differently on this machine
// than where the notebook ran. All of these must hold:
//   - the replay panicked, and the goroutine's innermost frames before the first of the
//     service's own code include a dependency module's (frames of the standard library and
//     the runtime are passed over: a library's panic may pass through them), so the panic
//     was raised inside the library, not by the service's code nor by the standard library
//     the service called; a library's helper that panics with what its caller passed it
//     (must.M(err), a Panicf) relays the caller's failure, so its frame is passed over too,
//     and when its source cannot be read, the panic is not taken for the library's;
//   - the panic is not the runtime's nil dereference: a nil the service passed in cannot be
//     told apart from the library's own, and a value the extraction lost would look the
//     same;
//   - the notebook's saved outputs of the step's cell show it ran (an execution count and
//     outputs) without failure, read the way its kernel records one, and those of the cell
//     of the service's line (when another) show no failure either: the author's run is the
//     evidence that the same code completes where the library behaves as the author had it.
//
// Otherwise it is not one, and the failure stays a refusal.
func (p *Plan) libraryNeed(pr Problem, ev *RunEvidence) (RunNeed, bool) {
	own := ev.Own
	if pr.Step != "test" || !strings.Contains(firstLine(pr.Msg), "panic: ") || strings.Contains(firstLine(pr.Msg), nilDereference) {
		return RunNeed{}, false
	}
	var lib *Frame
	for i, f := range pr.Frames {
		if p.ownFrame(f, own) {
			break
		}
		if stdPackage(funcPackage(f.Func)) {
			continue
		}
		relay, known := ev.relaysPanic(f)
		if !known {
			return RunNeed{}, false
		}
		if relay {
			continue
		}
		lib = &pr.Frames[i]
		break
	}
	if lib == nil {
		return RunNeed{}, false
	}
	cell := p.replayedCell(pr)
	cp := p.cellPlan(cell)
	if cp == nil || !cp.saved.ran || cp.saved.failure != "" {
		return RunNeed{}, false
	}
	if pr.Cell >= 0 && pr.Cell != cell {
		if other := p.cellPlan(pr.Cell); other != nil && other.saved.failure != "" {
			return RunNeed{}, false
		}
	}
	pkg := funcPackage(lib.Func)
	where := fmt.Sprintf("package %s (%s:%d)", pkg, filepath.Base(lib.File), lib.Line)
	if mod, rel, ok := cachedModule(lib.File); ok {
		where = fmt.Sprintf("%s, package %s (%s:%d)", mod, pkg, rel, lib.Line)
	}
	cause := fmt.Sprintf("%s panicked: %s; the notebook's saved outputs show cell %d ran without failure where the notebook ran",
		where, panicText(pr.Msg), cell)
	if mod, _, ok := cachedModule(lib.File); ok && p.modules != nil {
		// The author's run is evidence for the version the author had: say where this one
		// came from, since a version Decant chose (the nearest release to one that could not
		// be fetched, one whose API fits) may itself be the difference.
		path, version, _ := strings.Cut(mod, "@")
		if from := p.modules.From[path]; from != "" {
			cause += fmt.Sprintf(" (%s is at %s here: %s)", path, version, from)
		}
	}
	return RunNeed{Step: pr.Replaying, Cell: pr.Cell, Line: pr.CellLine, Need: NeedLibrary, Cause: cause}, true
}

// uncheckedNetworkNeed reads a nil dereference at a line of the service as the network's
// absence when the dereferenced variable was assigned by a call into net/http or net whose
// error the code discards (assigns to _) or never reads before the panic, and this machine
// cannot reach the host the call names as a constant (resolving it, then dialling it). When
// the host is reachable, or the code names no constant host, it stays a refusal, and note says
// what the code does with the error, for the refusal.
func (p *Plan) uncheckedNetworkNeed(ctx context.Context, pr Problem, ev *RunEvidence) (need RunNeed, note string, ok bool) {
	if pr.Step != "test" || !strings.Contains(firstLine(pr.Msg), nilDereference) || pr.File == "" || pr.Line <= 0 || ev.Out == nil {
		return RunNeed{}, "", false
	}
	// The innermost frame that is not the runtime's must be the service's, at the line named.
	for _, f := range pr.Frames {
		if stdPackage(funcPackage(f.Func)) {
			continue
		}
		if !p.ownFrame(f, ev.Own) || f.Line != pr.Line || !strings.HasSuffix(filepath.ToSlash(f.File), "/"+pr.File) {
			return RunNeed{}, "", false
		}
		break
	}
	u := findUncheckedCall(ev.Out.Files, pr.File, pr.Line)
	if u == nil {
		return RunNeed{}, "", false
	}
	callCell, callLine, _, located := ev.Out.Locate(pr.File, u.line)
	if !located {
		return RunNeed{}, "", false
	}
	discard := fmt.Sprintf("cell %d, line %d discards %s's error", callCell, callLine, u.callee)
	if !u.discarded {
		discard = fmt.Sprintf("cell %d, line %d never checks %s's error (%s) before %s is used", callCell, callLine, u.callee, u.errName, u.varName)
	}
	if u.host == "" {
		return RunNeed{}, fmt.Sprintf("%s, so %s is nil when the call fails; the address is not a constant, so whether this machine can reach it was not checked: check the error to see why it failed", discard, u.varName), false
	}
	err := ev.probe(ctx, u.host, u.port)
	if err == nil {
		return RunNeed{}, fmt.Sprintf("%s, so %s is nil when the call fails; this machine reaches %s, so the call failed for another reason: check the error to see it", discard, u.varName, u.host), false
	}
	cause := fmt.Sprintf("%s, and this machine cannot reach %s (%v), so %s was nil where the replay panicked, at cell %d, line %d (%s)",
		discard, u.host, err, u.varName, pr.Cell, pr.CellLine, nilDereference)
	return RunNeed{Step: pr.Replaying, Cell: callCell, Line: callLine, Need: NeedNetwork, Cause: cause}, "", true
}

// uncheckedCall is a network call whose error the code does not check before it uses a result.
type uncheckedCall struct {
	callee     string // "http.Get"
	line       int    // the call's line in the service's file
	varName    string // the dereferenced result
	errName    string // the error's variable, "" when discarded
	discarded  bool
	host, port string // from a constant URL or address argument; "" if none
}

// findUncheckedCall type-checks the package of file (the service's files, by slash path)
// with the standard library's types and looks, on line, for a dereference of a variable that
// the latest assignment before it took from a net/http or net call whose error result is
// discarded or never read in between.
func findUncheckedCall(files map[string][]byte, file string, line int) *uncheckedCall {
	c := checkFile(files, file)
	if c == nil {
		return nil
	}
	tf := c.fset.File(c.file.Pos())
	if line > tf.LineCount() {
		return nil
	}
	body := funcBodyAround(c.file, tf.LineStart(line))
	if body == nil {
		return nil
	}
	for _, id := range c.derefsOn(body, line) {
		lhs, call := c.latestAssignment(body, id)
		if u := c.uncheckedNetCall(body, id, lhs, call); u != nil {
			return u
		}
	}
	return nil
}

// checkedFile is a file of the service, type-checked with its package.
type checkedFile struct {
	fset *token.FileSet
	file *ast.File
	info *types.Info
}

// checkFile parses the non-test files of file's package and type-checks them with the
// standard library's types only: the other imports' types are missing, and the errors that
// follow are expected. It returns nil when file does not parse.
func checkFile(files map[string][]byte, file string) *checkedFile {
	c := &checkedFile{fset: token.NewFileSet(), info: &types.Info{Types: map[ast.Expr]types.TypeAndValue{},
		Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}}
	var syntax []*ast.File
	for name, src := range files {
		if path.Dir(name) != path.Dir(file) || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(c.fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		syntax = append(syntax, f)
		if name == file {
			c.file = f
		}
	}
	if c.file == nil {
		return nil
	}
	conf := types.Config{Importer: stdImporter{importer.Default()}, Error: func(error) {}, FakeImportC: true}
	conf.Check(c.file.Name.Name, c.fset, syntax, c.info)
	return c
}

// funcBodyAround returns the body of the innermost function (declared or literal) around pos.
func funcBodyAround(f *ast.File, pos token.Pos) *ast.BlockStmt {
	var body *ast.BlockStmt
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil || n.Pos() > pos || n.End() <= pos {
			return false // not around pos
		}
		switch fn := n.(type) {
		case *ast.FuncDecl:
			body = fn.Body
		case *ast.FuncLit:
			body = fn.Body
		}
		return true
	})
	return body
}

func (c *checkedFile) objOf(id *ast.Ident) types.Object {
	if o := c.info.Defs[id]; o != nil {
		return o
	}
	return c.info.Uses[id]
}

// derefsOn returns the variables of pointer or interface type that body selects from or
// dereferences on line: what may have been nil there.
func (c *checkedFile) derefsOn(body *ast.BlockStmt, line int) []*ast.Ident {
	var ids []*ast.Ident
	ast.Inspect(body, func(n ast.Node) bool {
		var x ast.Expr
		switch e := n.(type) {
		case *ast.SelectorExpr:
			x = e.X
		case *ast.StarExpr:
			x = e.X
		}
		id, ok := ast.Unparen(x).(*ast.Ident)
		if !ok || c.fset.Position(id.Pos()).Line != line {
			return true
		}
		if v, ok := c.info.Uses[id].(*types.Var); ok {
			switch v.Type().Underlying().(type) {
			case *types.Pointer, *types.Interface:
				ids = append(ids, id)
			}
		}
		return true
	})
	return ids
}

// latestAssignment returns the left-hand side of the last assignment (or var declaration) in
// body before id that assigns id's variable, and its right-hand side when that is one call.
func (c *checkedFile) latestAssignment(body *ast.BlockStmt, id *ast.Ident) (lhs []ast.Expr, call *ast.CallExpr) {
	v := c.info.Uses[id]
	var rhs []ast.Expr
	var at token.Pos
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil || n.Pos() >= id.Pos() {
			return false
		}
		var l, r []ast.Expr
		switch s := n.(type) {
		case *ast.AssignStmt:
			l, r = s.Lhs, s.Rhs
		case *ast.ValueSpec:
			for _, name := range s.Names {
				l = append(l, name)
			}
			r = s.Values
		default:
			return true
		}
		for _, e := range l {
			if lid, ok := e.(*ast.Ident); ok && c.objOf(lid) == v && n.Pos() > at {
				lhs, rhs, at = l, r, n.Pos()
			}
		}
		return true
	})
	if len(rhs) != 1 {
		return lhs, nil
	}
	call, _ = ast.Unparen(rhs[0]).(*ast.CallExpr)
	return lhs, call
}

// uncheckedNetCall reports the call (lhs = call) when it calls into net/http or net, returns
// an error last, and that error is assigned to _ or to a variable that body does not read
// between the call and id.
func (c *checkedFile) uncheckedNetCall(body *ast.BlockStmt, id *ast.Ident, lhs []ast.Expr, call *ast.CallExpr) *uncheckedCall {
	if call == nil || len(lhs) < 2 {
		return nil
	}
	fn := calledFunc(c.info, call)
	if fn == nil || fn.Pkg() == nil || (fn.Pkg().Path() != "net/http" && fn.Pkg().Path() != "net") {
		return nil
	}
	res := fn.Type().(*types.Signature).Results()
	if res.Len() != len(lhs) || !types.Identical(res.At(res.Len()-1).Type(), types.Universe.Lookup("error").Type()) {
		return nil
	}
	errID, ok := lhs[len(lhs)-1].(*ast.Ident)
	if !ok {
		return nil
	}
	u := &uncheckedCall{callee: calleeName(fn), line: c.fset.Position(call.Pos()).Line, varName: id.Name}
	if errID.Name == "_" {
		u.discarded = true
	} else {
		errObj := c.objOf(errID)
		if errObj == nil || c.readBetween(body, errObj, call.End(), id.Pos()) {
			return nil
		}
		u.errName = errID.Name
	}
	for _, a := range call.Args {
		if tv := c.info.Types[a]; tv.Value != nil && tv.Value.Kind() == constant.String {
			if u.host, u.port = hostOf(constant.StringVal(tv.Value)); u.host != "" {
				break
			}
		}
	}
	return u
}

// readBetween reports whether body reads obj between from and to: a use that is not the
// left-hand side of an assignment.
func (c *checkedFile) readBetween(body *ast.BlockStmt, obj types.Object, from, to token.Pos) bool {
	written := map[*ast.Ident]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok {
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					written[id] = true
				}
			}
		}
		return true
	})
	for use, o := range c.info.Uses {
		if o == obj && use.Pos() > from && use.Pos() < to && !written[use] {
			return true
		}
	}
	return false
}

// hostOf reads a URL ("https://github.com/x.png") or an address ("example.com:80") for its
// host and port.
func hostOf(s string) (host, port string) {
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		port = u.Port()
		if port == "" {
			switch u.Scheme {
			case "https":
				port = "443"
			case "http":
				port = "80"
			}
		}
		return u.Hostname(), port
	}
	if h, p, err := net.SplitHostPort(s); err == nil && h != "" {
		return h, p
	}
	return "", ""
}

// calledFunc is the function or method a call calls, or nil.
func calledFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		fn, _ := info.Uses[f].(*types.Func)
		return fn
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[f]; ok {
			fn, _ := sel.Obj().(*types.Func)
			return fn
		}
		fn, _ := info.Uses[f.Sel].(*types.Func)
		return fn
	}
	return nil
}

// calleeName names a function as code calls it: "http.Get", "(*http.Client).Do".
func calleeName(fn *types.Func) string {
	q := func(p *types.Package) string { return p.Name() }
	if recv := fn.Type().(*types.Signature).Recv(); recv != nil {
		return "(" + types.TypeString(recv.Type(), q) + ")." + fn.Name()
	}
	return fn.Pkg().Name() + "." + fn.Name()
}

// stdImporter imports the standard library only: the service's libraries are not needed to
// read what a network call returns, and loading them would take as long as building them.
type stdImporter struct{ types.Importer }

func (s stdImporter) Import(p string) (*types.Package, error) {
	if !stdPackage(p) {
		return nil, fmt.Errorf("%s: not loaded", p)
	}
	return s.Importer.Import(p)
}

// relaysPanic reports whether the frame's line panics with what its function was passed (a
// parameter of the innermost function or function literal around it, as must.M(err) and
// Panicf helpers do), which relays the caller's failure. A line without a panic call (the
// runtime's panic, an index out of range, or a standard library function's) is the
// library's own. known is false when the frame's source cannot be read or parsed.
func (ev *RunEvidence) relaysPanic(f Frame) (relay, known bool) {
	read := ev.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	src, err := read(f.File)
	if err != nil {
		return false, false
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, f.File, src, parser.SkipObjectResolution)
	if err != nil {
		return false, false
	}
	var visit func(n ast.Node, params map[string]bool)
	visit = func(n ast.Node, params map[string]bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			if m == nil || relay {
				return false
			}
			if m != n {
				var ft *ast.FuncType
				var body *ast.BlockStmt
				switch fn := m.(type) {
				case *ast.FuncDecl:
					ft, body = fn.Type, fn.Body
				case *ast.FuncLit:
					ft, body = fn.Type, fn.Body
				}
				if body != nil {
					if fset.Position(body.Pos()).Line <= f.Line && f.Line <= fset.Position(body.End()).Line {
						inner := map[string]bool{}
						for _, field := range ft.Params.List {
							for _, name := range field.Names {
								inner[name.Name] = true
							}
						}
						visit(body, inner)
					}
					return false
				}
			}
			call, ok := m.(*ast.CallExpr)
			if !ok || fset.Position(call.Pos()).Line != f.Line {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "panic" && len(call.Args) == 1 {
				ast.Inspect(call.Args[0], func(a ast.Node) bool {
					if id, ok := a.(*ast.Ident); ok && params[id.Name] {
						relay = true
					}
					return !relay
				})
			}
			return true
		})
	}
	visit(file, nil)
	return relay, true
}
