package refactor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/internal/gocmd"
	"github.com/decant-go/decant/internal/safefile"
	"github.com/decant-go/decant/refactor/edit"
)

// maxFileSize bounds the files copied into the scratch module.
const maxFileSize = 256 << 20

// Run refactors the Go module in dir. It reads dir and works in a scratch copy; dir itself is
// never written.
func Run(ctx context.Context, dir string, opts Options) (*Result, error) {
	passes := opts.Passes
	if passes == nil {
		passes = AllPasses
	}
	for _, p := range passes {
		if !slices.Contains(AllPasses, p) {
			return nil, fmt.Errorf("unknown refactoring %q", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, fmt.Errorf("refactoring %s: not a Go module directory: %w", dir, err)
	}
	orig, err := readTree(dir)
	if err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp("", "decant-refactor-")
	if err != nil {
		return nil, fmt.Errorf("making a scratch directory: %w", err)
	}
	defer os.RemoveAll(scratch)
	if err := writeFiles(scratch, orig, nil); err != nil {
		return nil, err
	}
	r := &runner{ctx: ctx, opts: opts, scratch: scratch, cur: maps.Clone(orig), fullChanges: opts.fullChanges}
	res := &Result{Passes: slices.Clone(passes), Verified: !opts.NoVerify, GoLinesBefore: goLines(orig)}
	if !opts.NoVerify && len(passes) > 0 && !opts.Verified {
		r.logf("checking the module before refactoring (go build, go vet, go test)")
		if prob := r.verify(r.opts.Short || r.fullChanges); prob != "" {
			return nil, fmt.Errorf("the module in %s does not pass its checks before refactoring, so no change could be verified:\n%s", dir, prob)
		}
	}
	for _, name := range passes {
		r.logf("pass %s", name)
		changes, notes, err := r.runPass(name)
		if err != nil {
			return nil, fmt.Errorf("pass %s: %w", name, err)
		}
		res.Notes = append(res.Notes, notes...)
		// The changes of one pass were all computed on the same state: each is applied on
		// top of that base together with the ones already kept, never on shifted offsets.
		r.base, r.acc, r.accCreate = r.cur, edit.Set{}, map[string][]byte{}
		r.accImports, r.accDrops = map[string][]string{}, map[string][]string{}
		for _, c := range changes {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if r.try(&c) {
				res.Applied = append(res.Applied, c)
			} else {
				res.Dropped = append(res.Dropped, c)
			}
			if r.broken != nil {
				return nil, r.broken
			}
		}
	}
	if r.checkFinal(res) {
		// A change passed the short tests but the module as refactored fails the full ones:
		// start again from dir, checking each change with the full tests.
		r.logf("the refactored module fails its full tests; checking each change again with them")
		opts.fullChanges = true
		return Run(ctx, dir, opts)
	}
	res.Files, res.Old = map[string][]byte{}, map[string][]byte{}
	for _, p := range slices.Sorted(maps.Keys(r.cur)) {
		old, existed := orig[p]
		if existed && bytes.Equal(old, r.cur[p]) {
			continue
		}
		res.Files[p] = r.cur[p]
		if existed {
			res.Old[p] = old
		}
	}
	res.GoLinesAfter = goLines(r.cur)
	return res, nil
}

type runner struct {
	ctx     context.Context
	opts    Options
	scratch string
	cur     map[string][]byte // the module as changed so far; the scratch copy matches it

	// base is the state the current pass computed its changes on; acc and accCreate are the
	// edits and new files of its changes kept so far.
	base      map[string][]byte
	acc       edit.Set
	accCreate map[string][]byte
	// accImports and accDrops are the imports those changes add and may leave unused.
	accImports, accDrops map[string][]string
	// views caches loads of the module as it is (cur); a kept change clears it.
	views map[loadKey]*view
	// broken is set when the scratch copy could not be restored; the run stops with it.
	broken error
	// fullChanges checks each change with the full tests rather than -short.
	fullChanges bool
}

// checkFinal runs the full tests on the module as refactored, when the changes were checked
// with -short only and some were kept; it reports whether they failed. An interrupted check
// is not a failure: the interruption surfaces from the caller's context.
func (r *runner) checkFinal(res *Result) bool {
	if r.opts.NoVerify || r.opts.Short || r.fullChanges || len(res.Applied) == 0 || r.ctx.Err() != nil {
		return false
	}
	r.logf("checking the refactored module with the full tests")
	prob := r.verify(false)
	return prob != "" && r.ctx.Err() == nil
}

func (r *runner) logf(format string, args ...any) {
	if r.opts.Log != nil {
		fmt.Fprintf(r.opts.Log, format+"\n", args...)
	}
}

// try applies c on top of the current state, verifies the module and keeps the change only if
// it passes. It fills in c's files, line counts and problem.
func (r *runner) try(c *Change) bool {
	merged := edit.Set{}
	for p, es := range r.acc {
		merged[p] = slices.Clone(es)
	}
	err := merged.Merge(c.edits)
	if err != nil {
		err = fmt.Errorf("conflicts with an earlier change of this pass (run refactor again to retry it): %w", err)
	}
	var next map[string][]byte
	if err == nil {
		next, err = edit.ApplyFiles(r.base, merged)
	}
	if err == nil {
		maps.Copy(next, r.accCreate)
		for p, b := range c.create {
			if _, ok := next[p]; ok {
				err = fmt.Errorf("%s already exists", p)
				break
			}
			next[p] = b
		}
	}
	touched := map[string]bool{}
	for p := range c.edits {
		touched[p] = true
	}
	for p := range c.create {
		touched[p] = true
	}
	for p := range c.imports {
		touched[p] = true
	}
	imports, drops := mergeLists(r.accImports, c.imports), mergeLists(r.accDrops, c.dropImports)
	c.Files = slices.Sorted(maps.Keys(touched))
	for _, p := range c.Files {
		c.LinesBefore += lines(r.cur[p])
	}
	// Every file the pass has touched so far is re-derived from the base, so all of them are
	// formatted again (and rewritten into the scratch copy).
	all := map[string]bool{}
	for p := range merged {
		all[p] = true
	}
	for p := range touched {
		all[p] = true
	}
	for p := range r.accCreate {
		all[p] = true
	}
	allPaths := slices.Sorted(maps.Keys(all))
	if err == nil {
		err = tidyGo(next, allPaths, imports, drops)
	}
	if err == nil {
		for _, p := range c.Files {
			c.LinesAfter += lines(next[p])
		}
	}
	if err != nil {
		c.Problem = err.Error()
		return false
	}
	if err := writeFiles(r.scratch, next, allPaths); err != nil {
		c.Problem = err.Error()
		return false
	}
	if !r.opts.NoVerify {
		r.logf("verifying: %s", c.Title)
		if prob := r.verify(r.opts.Short || !r.fullChanges); prob != "" {
			c.Problem = prob
			if err := r.restore(allPaths); err != nil {
				r.broken = err
			}
			return false
		}
	}
	r.cur = next
	r.views = nil
	r.acc = merged
	maps.Copy(r.accCreate, c.create)
	r.accImports, r.accDrops = imports, drops
	return true
}

// restore puts the scratch copy back to the current state after a dropped change. When it
// fails, the scratch copy no longer matches r.cur and no later check can be trusted.
func (r *runner) restore(paths []string) error {
	var errs []error
	for _, p := range paths {
		if _, ok := r.cur[p]; !ok {
			if err := os.Remove(filepath.Join(r.scratch, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, writeFiles(r.scratch, r.cur, paths))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("restoring the scratch copy after a dropped change: %w", err)
	}
	return nil
}

// mergeLists returns a copy of a with the entries of b added, without duplicates.
func mergeLists(a, b map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range []map[string][]string{a, b} {
		for k, vs := range m {
			for _, v := range vs {
				if !slices.Contains(out[k], v) {
					out[k] = append(out[k], v)
				}
			}
		}
	}
	return out
}

// tidyGo adds imports, removes the listed imports the file no longer uses, and gofmts the
// given Go files of files, in place.
func tidyGo(files map[string][]byte, paths []string, imports, drops map[string][]string) error {
	for _, p := range paths {
		src, ok := files[p]
		if !ok || !strings.HasSuffix(p, ".go") {
			continue
		}
		if imps, dps := imports[p], drops[p]; len(imps) > 0 || len(dps) > 0 {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, src, parser.ParseComments)
			if err != nil {
				return fmt.Errorf("the edited %s does not parse: %w", p, err)
			}
			for _, imp := range imps {
				astutil.AddImport(fset, f, imp)
			}
			for _, imp := range dps {
				if !usesImport(f, imp) {
					astutil.DeleteImport(fset, f, imp)
				}
			}
			// One import left needs no parentheses.
			for _, d := range f.Decls {
				if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT && len(gd.Specs) == 1 && len(dps) > 0 {
					gd.Lparen, gd.Rparen = token.NoPos, token.NoPos
				}
			}
			var buf bytes.Buffer
			if err := format.Node(&buf, fset, f); err != nil {
				return fmt.Errorf("printing %s: %w", p, err)
			}
			src = buf.Bytes()
		}
		out, err := format.Source(src)
		if err != nil {
			return fmt.Errorf("the edited %s does not parse: %w", p, err)
		}
		if len(imports[p]) > 0 {
			out = groupImports(out)
		}
		files[p] = out
	}
	return nil
}

// verify builds, vets and tests the scratch module; it returns "" when all pass, else what
// failed with the end of its output. One go test -vet=all does all three: it compiles every
// package, test or not, runs go vet's full set of analyzers on each, and loads the module once
// rather than three times.
func (r *runner) verify(short bool) string {
	timeout := r.opts.TestTimeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	test := []string{"test", "-vet=all", "-count=1", "-timeout", timeout.String()}
	if short {
		test = append(test, "-short")
	}
	args := append(test, "./...")
	ctx, cancel := context.WithTimeout(r.ctx, timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = r.scratch
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod"), r.opts.Env...)
	cleanup, err := gocmd.Prepare(cmd)
	defer cleanup()
	var out []byte
	if err == nil {
		out, err = cmd.CombinedOutput()
	}
	if r.ctx.Err() != nil {
		return fmt.Sprintf("interrupted: %v", r.ctx.Err())
	}
	if err != nil {
		return fmt.Sprintf("go %s failed: %v\n%s", args[0], err, tail(string(out), 20))
	}
	return ""
}

func tail(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = append([]string{"..."}, ls[len(ls)-n:]...)
	}
	return strings.Join(ls, "\n")
}

// readTree reads every regular file under dir except version-control metadata, keyed by slash
// path.
func readTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (d.Name() == ".git" || d.Name() == ".hg" || d.Name() == ".svn") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxFileSize {
			return fmt.Errorf("%s is larger than %d bytes", p, maxFileSize)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the module: %w", err)
	}
	return files, nil
}

// writeFiles writes files (only those in paths, unless paths is nil) under dir.
func writeFiles(dir string, files map[string][]byte, paths []string) error {
	if paths == nil {
		paths = slices.Sorted(maps.Keys(files))
	}
	for _, p := range paths {
		b, ok := files[p]
		if !ok {
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("writing the scratch module: %w", err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			return fmt.Errorf("writing the scratch module: %w", err)
		}
	}
	return nil
}

func lines(b []byte) int {
	n := bytes.Count(b, []byte("\n"))
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	return n
}

func goLines(files map[string][]byte) int {
	n := 0
	for p, b := range files {
		if path.Ext(p) == ".go" && !strings.Contains("/"+p, "/testdata/") {
			n += lines(b)
		}
	}
	return n
}

// WriteFiles writes a result's files into dir, each atomically (a temporary file renamed into
// place), creating directories as needed.
func WriteFiles(dir string, files map[string][]byte) error {
	for _, p := range slices.Sorted(maps.Keys(files)) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		if err := safefile.WriteFile(full, files[p], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return nil
}

// usesImport reports whether f refers to the package it imports from path. The file was
// parsed with object resolution, so a qualified identifier's package name is unresolved.
func usesImport(f *ast.File, path string) bool {
	name := ""
	for _, imp := range f.Imports {
		if ip, _ := strconv.Unquote(imp.Path.Value); ip == path {
			if imp.Name != nil {
				if imp.Name.Name == "_" || imp.Name.Name == "." {
					return true
				}
				name = imp.Name.Name
			} else {
				name = path[strings.LastIndex(path, "/")+1:]
			}
		}
	}
	if name == "" {
		return false
	}
	used := false
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && id.Obj == nil {
				used = true
			}
		}
		return !used
	})
	return used
}

// groupImports puts the standard library's imports before the others, separated by a blank
// line, when an import block mixes them in one group (as adding an import can); blocks
// with comments or several groups already are left as they are.
func groupImports(src []byte) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return src
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT || !gd.Lparen.IsValid() {
			continue
		}
		start, end := fset.Position(gd.Lparen).Offset+1, fset.Position(gd.Rparen).Offset
		block := string(src[start:end])
		if strings.Contains(block, "//") || strings.Contains(block, "/*") || strings.Contains(strings.TrimSpace(block), "\n\n") {
			continue
		}
		var std, other []string
		for _, sp := range gd.Specs {
			is := sp.(*ast.ImportSpec)
			line := "\t" + string(src[fset.Position(is.Pos()).Offset:fset.Position(is.End()).Offset])
			path, _ := strconv.Unquote(is.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				other = append(other, line)
			} else {
				std = append(std, line)
			}
		}
		if len(std) == 0 || len(other) == 0 {
			continue
		}
		text := "\n" + strings.Join(std, "\n") + "\n\n" + strings.Join(other, "\n") + "\n"
		out := append([]byte{}, src[:start]...)
		out = append(out, text...)
		out = append(out, src[end:]...)
		if formatted, err := format.Source(out); err == nil {
			return formatted
		}
		return src
	}
	return src
}

// perPackage runs a pass that makes at most one change per package, collecting the changes
// and notes of every package of the module.
func (r *runner) perPackage(pass func(*view, *packages.Package) (*Change, []string)) ([]Change, []string, error) {
	v, err := r.load(loadMode, true)
	if err != nil {
		return nil, nil, err
	}
	var changes []Change
	var notes []string
	for _, p := range v.pkgs {
		c, pnotes := pass(v, p)
		notes = append(notes, pnotes...)
		if c != nil {
			changes = append(changes, *c)
		}
	}
	return changes, notes, nil
}
