package score

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/decant-go/decant/extract/manifest"

	"golang.org/x/mod/modfile"
)

// repo is what the checks read from a repository: its Go syntax, its manifest, its API
// document and its module files.
type repo struct {
	fsys   fs.FS
	fset   *token.FileSet
	module string             // module path from go.mod
	files  map[string]*goFile // by slash path
	paths  []string           // sorted keys of files
	other  []string           // sorted paths of the non-Go files
	mod    *modfile.File
	sum    map[string]bool // "path version" and "path version/go.mod" lines of go.sum
	man    manifest.Manifest
	hasMan bool
	api    []byte // openapi.json, or nil
	git    *Git
	graph  *graph

	unreadable []string // files skipped, with why
}

// goFile is one parsed Go file.
type goFile struct {
	path string // slash path in the repository
	dir  string // slash directory
	test bool   // _test.go
	ast  *ast.File
	src  []byte
}

// maxFileSize bounds what is read of one file; larger files are data, not code.
const maxFileSize = 4 << 20

// loadRepo reads and parses a repository.
func loadRepo(fsys fs.FS, g *Git) (*repo, error) {
	r := &repo{fsys: fsys, fset: token.NewFileSet(), files: map[string]*goFile{}, sum: map[string]bool{}, git: g}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") && name != ".decant" && name != ".github" || name == "vendor" || name == "testdata" || name == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			r.other = append(r.other, p)
			return nil
		}
		src, err := readLimited(fsys, p)
		if err != nil {
			// One file that cannot be read is no evidence either way; say so, go on.
			r.unreadable = append(r.unreadable, err.Error())
			return nil
		}
		f, err := parser.ParseFile(r.fset, p, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil // a file that does not parse is no evidence of anything
		}
		r.files[p] = &goFile{path: p, dir: path.Dir(p), test: strings.HasSuffix(name, "_test.go"), ast: f, src: src}
		r.paths = append(r.paths, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the repository: %w", err)
	}
	sort.Strings(r.paths)
	sort.Strings(r.other)
	if raw, err := readLimited(fsys, "go.mod"); err == nil {
		mf, err := modfile.Parse("go.mod", raw, nil)
		if err != nil {
			return nil, fmt.Errorf("reading go.mod: %w", err)
		}
		r.mod = mf
		if mf.Module != nil {
			r.module = mf.Module.Mod.Path
		}
	}
	if raw, err := readLimited(fsys, "go.sum"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				r.sum[f[0]+" "+f[1]] = true
			}
		}
	}
	if raw, err := readLimited(fsys, manifest.Path); err == nil {
		m, err := manifest.Decode(raw)
		if err != nil {
			return nil, err
		}
		r.man, r.hasMan = *m, true
	}
	if raw, err := readLimited(fsys, "openapi.json"); err == nil {
		r.api = raw
	}
	r.graph = buildGraph(r)
	return r, nil
}

// readLimited reads a regular file of at most maxFileSize bytes. Anything else (a FIFO, a
// device, a directory named like a file) is refused without being opened for reading, which
// could block forever.
func readLimited(fsys fs.FS, p string) ([]byte, error) {
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", p, fi.Mode().Type())
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is over %d bytes", p, maxFileSize)
	}
	return fs.ReadFile(fsys, p)
}

// pos formats a position as file:line.
func (r *repo) pos(p token.Pos) string {
	pp := r.fset.Position(p)
	return pp.Filename + ":" + strconv.Itoa(pp.Line)
}

// libDir is the directory of the library package: the manifest's package, else the
// directory with the most non-test, non-main Go files.
func (r *repo) libDir() string {
	if r.hasMan && r.man.Package != "" {
		return r.man.Package
	}
	count := map[string]int{}
	for _, p := range r.paths {
		f := r.files[p]
		if !f.test && f.ast.Name.Name != "main" {
			count[f.dir]++
		}
	}
	best := ""
	for d, n := range count {
		if n > count[best] || n == count[best] && d < best {
			best = d
		}
	}
	return best
}

// sections maps the library's declarations to notebook sections: "file:line" of a declaration
// to the section of the cell it came from, as the manifest records.
func (r *repo) sections() map[string]string {
	out := map[string]string{}
	for _, c := range r.man.Cells {
		for _, p := range c.Places {
			out[p] = c.Section
		}
	}
	return out
}

// declsIn returns the library's functions (by graph key) whose declarations came from cells of
// the given section, sorted.
func (r *repo) declsIn(section string) []string {
	secs := r.sections()
	var out []string
	for _, k := range r.graph.keys {
		n := r.graph.nodes[k]
		if n.dir == r.libDir() && !n.test && n.kind == funcNode && secs[r.pos(n.pos)] == section {
			out = append(out, k)
		}
	}
	return out
}

// routeFuncs returns the library functions the API serves, from the manifest, else from the
// OpenAPI operation ids that name a library function.
func (r *repo) routeFuncs() []string {
	var names []string
	for _, rt := range r.man.Routes {
		names = append(names, rt.Func)
	}
	if len(names) == 0 && r.api != nil {
		var doc struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
			} `json:"paths"`
		}
		if json.Unmarshal(r.api, &doc) == nil {
			for _, ops := range doc.Paths {
				for _, op := range ops {
					names = append(names, op.OperationID)
				}
			}
		}
	}
	var out []string
	for _, n := range names {
		k := r.libDir() + "." + n
		if _, ok := r.graph.nodes[k]; ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return slicesCompact(out)
}

func slicesCompact(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// lineOf returns the 1-based line of the first occurrence of needle in a file, or 0.
func lineOf(src []byte, needle string) int {
	i := strings.Index(string(src), needle)
	if i < 0 {
		return 0
	}
	return 1 + strings.Count(string(src[:i]), "\n")
}
