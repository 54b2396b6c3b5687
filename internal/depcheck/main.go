// Command depcheck enforces the module's layering: data flows one way (notebook → model →
// plan → refactor → files → commit), the kernel is a leaf only the commands wire up, and the
// small leaf packages import nothing of the product. It runs `go list -deps -json` once over
// the module and checks every package's transitive dependencies against the rules below,
// printing each forbidden arrow with the import chain that makes it.
//
// Usage (from the module root; `make depcheck` runs it):
//
//	go run ./internal/depcheck [packages]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
)

const module = "github.com/decant-go/decant"

// A rule forbids the packages matching From to depend, directly or not, on those matching To.
// Patterns are module-relative paths; "x/..." matches x and everything under it; a pattern
// starting with "!" is a path outside the module, matched the same way.
type rule struct {
	From []string
	To   []string
	Why  string
}

// leaves import nothing of the product but other leaves.
var leaves = []string{"notebooks", "notebooks/gonbcell", "notebooks/gonbmem", "internal/udiff",
	"internal/recognize", "internal/safefile", "extract/manifest", "extract/httpapi", "kernel/wire"}

var rules = []rule{
	{From: []string{"kernel/..."}, To: []string{"extract/...", "notes/...", "refactor/...", "service/...", "cmd/..."},
		Why: "the kernel imports nothing of the product: magics are registered from cmd"},
	{From: []string{"refactor/..."}, To: []string{"!github.com/go-git/...", "extract/...", "notes/...", "kernel/...", "notebooks/...", "service/..."},
		Why: "refactor works on any Go module and links no go-git"},
	{From: []string{"extract/..."}, To: []string{"notes/...", "kernel/...", "service/...", "cmd/..."},
		Why: "extraction is a library the commands, the notes and the kernel's magics use, not a user of them"},
	{From: []string{"notes/..."}, To: []string{"kernel/...", "service/...", "cmd/...", "extract/pipeline", "extract/publish"},
		Why: "the notes read a notebook and its plan; they run no pipeline, kernel or git"},
	{From: []string{"service/..."}, To: []string{"kernel/...", "notes/...", "refactor/...", "extract/build", "extract/pipeline", "extract/publish"},
		Why: "load tests and the score read services, whatever made them"},
	{From: []string{"extract/...", "notes/...", "kernel/...", "refactor/...", "service/...", "notebooks/...", "internal/..."}, To: []string{"cmd/..."},
		Why: "nothing imports the commands"},
}

func init() {
	var product []string
	for _, top := range []string{"extract", "notes", "kernel", "refactor", "service", "cmd", "notebooks", "internal"} {
		product = append(product, top+"/...")
	}
	for _, leaf := range leaves {
		rules = append(rules, rule{From: []string{leaf}, To: product, Why: "a leaf imports nothing of the product but other leaves"})
	}
}

// allowed lists arrows the rules forbid but the code still has, each with why; depcheck
// prints them as pending rather than failing.
var allowed = map[[2]string]string{}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
	Module     *struct{ Path string }
}

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{"./..."}
	}
	pkgs, err := load(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "depcheck:", err)
		os.Exit(2)
	}
	bad, pending := check(pkgs)
	for _, l := range pending {
		fmt.Println("pending:", l)
	}
	for _, l := range bad {
		fmt.Println(l)
	}
	if len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "depcheck: %d forbidden dependencies\n", len(bad))
		os.Exit(1)
	}
}

func load(args []string) (map[string]*pkg, error) {
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w\n%s", err, stderr.String())
	}
	pkgs := map[string]*pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decoding go list output: %w", err)
		}
		pkgs[p.ImportPath] = &p
	}
	return pkgs, nil
}

// check returns the forbidden arrows, and the ones allowed for now.
func check(pkgs map[string]*pkg) (bad, pending []string) {
	var paths []string
	for path := range pkgs {
		if rel, ok := relPath(path); ok && rel != "" {
			paths = append(paths, path)
		}
	}
	slices.Sort(paths)
	for _, path := range paths {
		rel, _ := relPath(path)
		p := pkgs[path]
		for _, r := range rules {
			if !matchAny(r.From, rel, true) {
				continue
			}
			for _, dep := range p.Deps {
				if dep == path || !matchAny(r.To, dep, false) {
					continue
				}
				drel, _ := relPath(dep)
				if slices.Contains(leaves, rel) && slices.Contains(leaves, drel) {
					continue // leaves may use each other
				}
				line := fmt.Sprintf("%s → %s (%s): %s", rel, short(dep), strings.Join(chain(pkgs, path, dep), " → "), r.Why)
				if why, ok := allowed[[2]string{rel, short(dep)}]; ok {
					pending = append(pending, line+" [allowed for now: "+why+"]")
					continue
				}
				bad = append(bad, line)
			}
		}
	}
	return slices.Compact(bad), slices.Compact(pending)
}

func relPath(path string) (string, bool) {
	if path == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

func short(path string) string {
	if rel, ok := relPath(path); ok {
		return rel
	}
	return path
}

// matchAny reports whether path matches a pattern. from patterns are module-relative paths;
// to patterns are module-relative unless they start with "!".
func matchAny(patterns []string, path string, from bool) bool {
	for _, pat := range patterns {
		target := path
		if external, ok := strings.CutPrefix(pat, "!"); ok {
			pat = external
		} else if !from {
			rel, ok := relPath(path)
			if !ok {
				continue
			}
			target = rel
		}
		if match(pat, target) {
			return true
		}
	}
	return false
}

func match(pat, path string) bool {
	if pat == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pat, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pat
}

// chain returns a shortest import chain from one package to another.
func chain(pkgs map[string]*pkg, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			break
		}
		p := pkgs[cur]
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	var out []string
	for cur := to; cur != ""; cur = prev[cur] {
		out = append(out, short(cur))
		if _, ok := prev[cur]; !ok {
			break
		}
	}
	slices.Reverse(out)
	return out
}
