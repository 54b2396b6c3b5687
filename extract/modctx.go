package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/decant-go/decant/internal/gocmd"
	"github.com/decant-go/decant/internal/modcache"
)

// ModuleContext is how the notebook's author resolved modules: the module enclosing the
// notebook, the notebook's own go get / replace / go work lines, and the user's --pin and
// --replace flags. Extraction resolves every import through it before it asks the proxy.
type ModuleContext struct {
	// Enclosing is the module whose directory holds the notebook ("" when none).
	Enclosing string `json:"enclosing,omitempty"`
	// EnclosingVersion is set when the notebook sits in the module cache (…/module@version/…).
	EnclosingVersion string `json:"enclosing_version,omitempty"`
	// Requires maps module paths to the versions the service requires.
	Requires map[string]string `json:"requires,omitempty"`
	// Local maps module paths to directories on this machine used to verify the service.
	// They are never committed: the committed go.mod requires Requires[module] instead.
	Local map[string]string `json:"local,omitempty"`
	// From says where each required or local module came from, for the report.
	From map[string]string `json:"from,omitempty"`
	// Notes are decisions to add to the plan's report.
	Notes []Decision `json:"-"`

	modCache string
	pkgIndex map[string][]pkgDir        // package name → directories, built on first use
	exports  map[string]map[string]bool // import path → declared names, read on first use
	missing  []string                   // local checkouts the notebook used that this machine lacks
	imported []string                   // the notebook's import paths
	fetched  bool                       // fetchDirect has run
	// download fetches a module version into the module cache and returns its directory; nil
	// means `go mod download`, the module cache first.
	download func(mod, version string) (string, error)
	// writtenImports are the import paths the notebook's cells wrote (not those goimports
	// added); nil when unknown.
	writtenImports map[string]bool
	// versionReplace maps modules to the published version that replaces every other of
	// theirs: a release chosen for one that could not be fetched and that a module the
	// service needs requires at a higher version (see SearchRefused).
	versionReplace map[string]string
}

// replaceVersion makes the service use m at v whatever version other modules require.
func (mc *ModuleContext) replaceVersion(m, v string) {
	if mc.versionReplace == nil {
		mc.versionReplace = map[string]string{}
	}
	mc.versionReplace[m] = v
}

// ModuleOptions are the user's choices about module resolution.
type ModuleOptions struct {
	Pins     []string // module@version
	Replaces []string // old=new, new a directory or module@version
	ModCache string   // default $GOMODCACHE, else $GOPATH/pkg/mod, else ~/go/pkg/mod
}

// DefaultModCache returns the module cache directory without running the go command.
func DefaultModCache() string { return modcache.Dir() }

// DiscoverModules finds the module context of the notebook at nbPath for plan, in the order
// the author's kernel saw it: the notebook's own cells, then the go.work and go.mod around the
// notebook, then the user's flags, which win over both.
func DiscoverModules(nbPath string, plan *Plan, opts ModuleOptions) (*ModuleContext, error) {
	mc := &ModuleContext{Requires: map[string]string{}, Local: map[string]string{}, From: map[string]string{}, modCache: opts.ModCache}
	if mc.modCache == "" {
		mc.modCache = DefaultModCache()
	}
	abs, err := filepath.Abs(nbPath)
	if err != nil {
		return nil, fmt.Errorf("locating %s: %w", nbPath, err)
	}
	dir := filepath.Dir(abs)

	// The enclosing module: the module cache directory the notebook sits in, or the nearest go.mod.
	if m, v, root, ok := inModCache(mc.modCache, dir); ok {
		mc.Enclosing, mc.EnclosingVersion = m, v
		mc.require(m, v, fmt.Sprintf("the notebook sits in the module cache at %s@%s", m, v))
		mc.readRequires(filepath.Join(root, "go.mod"), m+"@"+v)
	} else if gomod := findUp(dir, "go.mod"); gomod != "" {
		f, err := readModFile(gomod)
		if err != nil {
			return nil, err
		}
		if f.Module != nil {
			mc.Enclosing = f.Module.Mod.Path
			mc.local(f.Module.Mod.Path, filepath.Dir(gomod), "the notebook sits in the module's directory "+filepath.Dir(gomod))
		}
		mc.readRequires(gomod, "the enclosing go.mod ("+gomod+")")
		if work := findUp(dir, "go.work"); work != "" {
			mc.readWork(work)
		}
	}

	// The notebook's own cells: !*go get, !*go mod edit -replace, !*go work use.
	seen := map[[2]int]bool{}
	for _, d := range plan.Decisions {
		if !strings.HasPrefix(d.Subject, "!*") || seen[[2]int{d.Cell, d.Line}] {
			continue
		}
		seen[[2]int{d.Cell, d.Line}] = true
		mc.readCommand(d.Cell, d.Line, strings.TrimPrefix(d.Subject, "!*"), dir)
	}

	// The user's flags.
	for _, p := range opts.Pins {
		m, v, ok := strings.Cut(p, "@")
		if !ok || m == "" || v == "" {
			return nil, fmt.Errorf("--pin %s: want module@version", p)
		}
		if m == mc.Enclosing && mc.EnclosingVersion != "" && v != mc.EnclosingVersion {
			mc.moveEnclosingPin(m, v)
		}
		mc.require(m, v, "--pin "+p)
		delete(mc.Local, m)
	}
	for _, r := range opts.Replaces {
		old, new, ok := strings.Cut(r, "=")
		if !ok || old == "" || new == "" {
			return nil, fmt.Errorf("--replace %s: want old=new, new a directory or module@version", r)
		}
		if m, v, ok := strings.Cut(new, "@"); ok && !strings.ContainsAny(new, `/\`) || ok && m == old {
			mc.require(old, v, "--replace "+r)
			delete(mc.Local, old)
			continue
		}
		d, err := filepath.Abs(new)
		if err != nil {
			return nil, fmt.Errorf("--replace %s: %w", r, err)
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err != nil {
			return nil, fmt.Errorf("--replace %s: %s holds no go.mod", r, d)
		}
		mc.local(old, d, "--replace "+r)
	}
	return mc, nil
}

// moveEnclosingPin applies --pin m@v to the module the notebook sits in: the notebook is
// resolved as if it sat in m@v, with the requirements of that version's go.mod (when the
// module cache has it) instead of those of the version it sits in.
func (mc *ModuleContext) moveEnclosingPin(m, v string) {
	esc, err1 := module.EscapePath(m)
	ev, err2 := module.EscapeVersion(v)
	if err1 != nil || err2 != nil || mc.modCache == "" {
		return
	}
	data, err := os.ReadFile(filepath.Join(mc.modCache, "cache", "download", filepath.FromSlash(esc), "@v", ev+".mod"))
	if err != nil {
		return
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return
	}
	old := m + "@" + mc.EnclosingVersion
	for x, from := range mc.From {
		if from == old && x != m {
			delete(mc.Requires, x)
			delete(mc.From, x)
		}
	}
	for _, r := range f.Require {
		mc.require(r.Mod.Path, r.Mod.Version, "--pin "+m+"@"+v+": its go.mod")
	}
}

func (mc *ModuleContext) require(m, v, from string) {
	if m == "" || v == "" || v == "latest" || v == "upgrade" || v == "patch" || v == "none" {
		return
	}
	mc.Requires[m] = v
	mc.From[m] = from
}

func (mc *ModuleContext) local(m, dir, from string) {
	mc.Local[m] = dir
	if _, ok := mc.From[m]; !ok {
		mc.From[m] = from
	}
}

func (mc *ModuleContext) readRequires(gomod, from string) {
	f, err := readModFile(gomod)
	if err != nil {
		return
	}
	for _, r := range f.Require {
		mc.require(r.Mod.Path, r.Mod.Version, from)
	}
	for _, r := range f.Replace {
		if r.New.Version != "" {
			mc.require(r.Old.Path, r.New.Version, from+", replace")
			continue
		}
		d := r.New.Path
		if !filepath.IsAbs(d) {
			d = filepath.Join(filepath.Dir(gomod), d)
		}
		if isModuleDir(d) {
			mc.local(r.Old.Path, d, from+", replace => "+r.New.Path)
		}
	}
}

func (mc *ModuleContext) readWork(work string) {
	data, err := os.ReadFile(work)
	if err != nil {
		return
	}
	f, err := modfile.ParseWork(work, data, nil)
	if err != nil {
		return
	}
	for _, u := range f.Use {
		d := u.Path
		if !filepath.IsAbs(d) {
			d = filepath.Join(filepath.Dir(work), d)
		}
		if m := modulePathIn(d); m != "" {
			mc.local(m, d, "go.work ("+work+")")
		}
	}
}

// readCommand interprets one !* shell line of the notebook: go get pins, go mod edit
// replacements and go work use directories, each a command of a && or ; chain. Words are
// split and expanded as the shell would; a word whose value depends on running the notebook
// (a command substitution, a variable this environment does not set) is reported once as
// unresolvable, with what would resolve it.
func (mc *ModuleContext) readCommand(cell, line int, sh, nbDir string) {
	lookup := func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		switch name {
		case "GONB_TMP_DIR":
			return ".", true // !* lines run in the kernel's temporary module
		case "GONB_DIR":
			return nbDir, true
		case "HOME":
			if h, err := os.UserHomeDir(); err == nil {
				return h, true
			}
		}
		return "", false
	}
	note := func(action, reason string) {
		mc.Notes = append(mc.Notes, Decision{Cell: cell, Line: line, Subject: "!*" + sh, Action: action, Reason: reason})
	}
	// unresolved reports a word whose value is known only when the notebook runs.
	unresolved := func(w shellWord, what, fix string) {
		var why []string
		for _, s := range w.subst {
			why = append(why, "the command substitution "+s)
		}
		for _, v := range w.unset {
			why = append(why, "the variable "+v+", which this environment does not set")
		}
		note("warning", fmt.Sprintf("%s %s depends on %s, known only when the notebook runs, so it cannot be resolved without running it: %s",
			what, w.raw, strings.Join(why, " and "), fix))
		mc.missing = append(mc.missing, fmt.Sprintf("%s (cell %d, line %d, not resolvable statically)", w.raw, cell, line))
	}
	useDir := func(w shellWord) {
		if !w.static() {
			fix := "if the service needs a module from that directory, pass --replace MODULE=DIR"
			if len(w.subst) == 0 {
				fix = fmt.Sprintf("set %s when extracting, or pass --replace MODULE=DIR", strings.Join(w.unset, " and "))
			}
			unresolved(w, "the go work use directory", fix)
			return
		}
		raw, d := w.raw, w.text
		if d == "." || d == "./" {
			return // the kernel's own temporary module
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(nbDir, d)
		}
		if m := modulePathIn(d); m != "" {
			mc.local(m, d, fmt.Sprintf("cell %d, line %d", cell, line))
			note("converted", fmt.Sprintf("module %s from %s is used to verify the service; the committed go.mod requires a published version instead", m, d))
			return
		}
		note("warning", fmt.Sprintf("%s is not a module directory on this machine: its module resolves from the enclosing module, the module cache or --replace", raw))
		mc.missing = append(mc.missing, fmt.Sprintf("%s (cell %d, line %d)", raw, cell, line))
	}
	for _, cmd := range shellCommands(splitShell(sh, lookup)) {
		f := make([]string, len(cmd))
		for i, w := range cmd {
			f[i] = w.text
		}
		switch {
		case len(f) >= 3 && f[0] == "go" && f[1] == "get":
			for _, w := range cmd[2:] {
				a := w.text
				if m, v, ok := strings.Cut(a, "@"); ok && w.static() && !strings.HasPrefix(a, "-") {
					if pv := mc.pseudoFor(m, v); pv != "" {
						v = pv
					}
					mc.require(m, v, fmt.Sprintf("!*go get in cell %d, line %d", cell, line))
				}
			}
		case len(f) >= 4 && f[0] == "go" && f[1] == "work" && f[2] == "use":
			for _, w := range cmd[3:] {
				if !strings.HasPrefix(w.text, "-") {
					useDir(w)
				}
			}
		case len(f) >= 3 && f[0] == "go" && f[1] == "mod" && f[2] == "edit":
			for i := 3; i < len(cmd); i++ {
				w := cmd[i]
				a := w.text
				if a == "-replace" && i+1 < len(cmd) {
					i++
					w = cmd[i]
					a = "-replace=" + w.text
				}
				spec, ok := strings.CutPrefix(a, "-replace=")
				if !ok {
					continue
				}
				old, new, _ := strings.Cut(spec, "=")
				old, _, _ = strings.Cut(old, "@")
				if !w.static() {
					fix := fmt.Sprintf("pass --replace %s=DIR (a checkout) or --pin %s@VERSION", old, old)
					if len(w.subst) == 0 {
						fix = fmt.Sprintf("set %s when extracting, or ", strings.Join(w.unset, " and ")) + fix
					}
					unresolved(w, "the replacement for "+old+" in", fix)
					continue
				}
				if m, v, ok := strings.Cut(new, "@"); ok && !strings.HasPrefix(new, ".") && !strings.HasPrefix(new, "/") && m != "" {
					mc.require(old, v, fmt.Sprintf("!*go mod edit -replace in cell %d, line %d", cell, line))
					continue
				}
				d := new
				if !filepath.IsAbs(d) {
					d = filepath.Join(nbDir, d)
				}
				if isModuleDir(d) {
					mc.local(old, d, fmt.Sprintf("cell %d, line %d", cell, line))
					note("converted", fmt.Sprintf("%s => %s is used to verify the service; the committed go.mod requires a published version of %s instead", old, d, old))
				} else {
					note("warning", fmt.Sprintf("the replacement %s => %s is not a module directory on this machine: %s resolves from the enclosing module, the module cache or --replace", old, new, old))
					mc.missing = append(mc.missing, fmt.Sprintf("%s for %s (cell %d, line %d)", new, old, cell, line))
				}
			}
		}
	}
}

// inModCache reports the module and version of a directory inside the module cache.
func inModCache(cache, dir string) (mod, version, root string, ok bool) {
	if cache == "" {
		return "", "", "", false
	}
	rel, err := filepath.Rel(cache, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", "", "", false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, p := range parts {
		base, ver, found := strings.Cut(p, "@")
		if !found {
			continue
		}
		esc := strings.Join(append(append([]string(nil), parts[:i]...), base), "/")
		m, err1 := module.UnescapePath(esc)
		v, err2 := module.UnescapeVersion(ver)
		if err1 != nil || err2 != nil {
			return "", "", "", false
		}
		return m, v, filepath.Join(cache, filepath.FromSlash(strings.Join(parts[:i+1], "/"))), true
	}
	return "", "", "", false
}

// inModuleCache reports whether file (an absolute path) is in a module cache: cache (""
// means this machine's: $GOMODCACHE, wherever it points) or a GOPATH's pkg/mod.
func inModuleCache(cache, file string) bool {
	if strings.Contains(filepath.ToSlash(file), "/pkg/mod/") {
		return true
	}
	if cache == "" {
		cache = DefaultModCache()
	}
	_, _, _, ok := inModCache(cache, filepath.Dir(file))
	return ok
}

func findUp(dir, name string) string {
	for {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func readModFile(path string) (*modfile.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the enclosing module: %w", err)
	}
	// The author's main module: its replace directives applied (ParseLax would drop them).
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		if f, err = modfile.ParseLax(path, data, nil); err != nil {
			return nil, fmt.Errorf("reading the enclosing module: %w", err)
		}
	}
	return f, nil
}

func isModuleDir(d string) bool { return modulePathIn(d) != "" }

func modulePathIn(d string) string {
	data, err := os.ReadFile(filepath.Join(d, "go.mod"))
	if err != nil {
		return ""
	}
	return modfile.ModulePath(data)
}

// cachedVersions lists the versions of module m in the module cache's download directory,
// newest first.
func (mc *ModuleContext) cachedVersions(m string) []string {
	esc, err := module.EscapePath(m)
	if err != nil || mc.modCache == "" {
		return nil
	}
	entries, err := os.ReadDir(filepath.Join(mc.modCache, "cache", "download", filepath.FromSlash(esc), "@v"))
	if err != nil {
		return nil
	}
	var vs []string
	for _, e := range entries {
		if v, ok := strings.CutSuffix(e.Name(), ".mod"); ok && semver.IsValid(v) {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return semver.Compare(vs[i], vs[j]) > 0 })
	return vs
}

// moduleFor finds the module providing import path p: the longest required or local module
// path that prefixes it.
func (mc *ModuleContext) moduleFor(p string) string {
	best := ""
	for _, set := range []map[string]string{mc.Requires, mc.Local} {
		for m := range set {
			if (p == m || strings.HasPrefix(p, m+"/")) && len(m) > len(best) {
				best = m
			}
		}
	}
	return best
}

// pinFor is the version the committed go.mod requires for m: the required one, else the
// newest in the module cache.
func (mc *ModuleContext) pinFor(m string) (string, string) {
	if v := mc.Requires[m]; v != "" {
		return v, mc.From[m]
	}
	if vs := mc.cachedVersions(m); len(vs) > 0 {
		return vs[0], "the newest version in the module cache"
	}
	return "", ""
}

// GoMods returns the go.mod used to verify the service (local directories as replacements)
// and the one to commit (published versions only), given the rendered go.mod and the
// service's non-standard imports. Only modules that provide an import are required: go mod
// tidy adds the rest at the versions those modules ask for.
func (mc *ModuleContext) GoMods(gomod []byte, imports []string) (verify, commit []byte, notes []Decision, err error) {
	// Versions as the notebook wrote them (a commit hash from !*go get m@hash) are kept as
	// written, for go mod tidy to turn into pseudo-versions; modfile accepts only semver.
	gomod, rawReqs := splitNonSemver(gomod)
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading the rendered go.mod: %w", err)
	}
	var raw []byte
	for _, r := range rawReqs {
		if v := mc.Requires[r[0]]; semver.IsValid(v) {
			if err := f.AddRequire(r[0], v); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		if vs := mc.cachedVersions(r[0]); len(vs) > 0 && !strings.HasPrefix(mc.From[r[0]], "--pin") {
			// A commit the module cache does not hold: the proxy may not serve it either (it
			// refuses some modules' commits). Use the cached release and say so.
			if err := f.AddRequire(r[0], vs[0]); err != nil {
				return nil, nil, nil, err
			}
			mc.Requires[r[0]] = vs[0]
			notes = append(notes, Decision{Cell: -1, Subject: "module " + r[0], Action: "warning",
				Reason: fmt.Sprintf("the notebook asks for %s@%s, which is not in the module cache; required %s, the cached release, instead: pass --pin %s@%s to fetch that commit", r[0], r[1], vs[0], r[0], r[1])})
			continue
		}
		raw = append(raw, fmt.Sprintf("require %s %s\n", r[0], r[1])...)
	}
	defer func() {
		verify, commit = append(verify, raw...), append(commit, raw...)
	}()
	have := map[string]bool{}
	for _, r := range f.Require {
		have[r.Mod.Path] = true
	}
	needed := map[string]bool{}
	for _, p := range imports {
		if m := mc.moduleFor(p); m != "" {
			needed[m] = true
		}
	}
	mods := make([]string, 0, len(needed))
	for m := range needed {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	var replaced []string
	for _, m := range mods {
		v, from := mc.pinFor(m)
		if v != "" && !have[m] {
			if err := f.AddRequire(m, v); err != nil {
				return nil, nil, nil, err
			}
		}
		if d, ok := mc.Local[m]; ok {
			replaced = append(replaced, m)
			where := "requires " + m + " " + v + " (" + from + ")"
			if v == "" {
				where = "has no published version of " + m + " to require: pass --pin " + m + "@VERSION"
			}
			notes = append(notes, Decision{Cell: -1, Subject: "module " + m, Action: "warning",
				Reason: fmt.Sprintf("verified against the local directory %s (%s); the committed go.mod %s, since a service cannot depend on a path outside its repository", d, mc.From[m], where)})
		} else if v != "" {
			notes = append(notes, Decision{Cell: -1, Subject: "module " + m, Action: "converted", Reason: "requires " + m + " " + v + ": " + from})
		}
	}
	for _, m := range slices.Sorted(maps.Keys(mc.versionReplace)) {
		if err := f.AddReplace(m, "", m, mc.versionReplace[m]); err != nil {
			return nil, nil, nil, err
		}
	}
	f.Cleanup()
	commit, err = f.Format()
	if err != nil {
		return nil, nil, nil, err
	}
	for _, m := range replaced {
		if err := f.AddReplace(m, "", mc.Local[m], ""); err != nil {
			return nil, nil, nil, err
		}
	}
	verify, err = f.Format()
	return verify, commit, notes, err
}

// BuildHint explains a service that does not build when the notebook ran against local
// checkouts this machine lacks: the code may be written for a version of a library other than
// the one verified. It returns "" otherwise.
func (mc *ModuleContext) BuildHint() string {
	if mc == nil || len(mc.missing) == 0 {
		return ""
	}
	against := "the versions its module context requires"
	if mc.Enclosing != "" && mc.EnclosingVersion != "" {
		against = mc.Enclosing + "@" + mc.EnclosingVersion
	}
	return fmt.Sprintf("the notebook ran against local checkouts this machine does not have (%s), and was verified against %s instead: its code may be written for another version; --replace MODULE=DIR (a checkout) or --pin MODULE@VERSION selects the one it was written for",
		strings.Join(mc.missing, "; "), against)
}

// UnresolvedError is an import no module could provide.
type UnresolvedError struct {
	Notebook   string
	Cell, Line int
	Import     string
	Module     string
	Tried      []string
	Output     string
	Implicit   bool // the notebook used the package without importing it
}

func (e *UnresolvedError) Error() string {
	loc := e.Notebook
	if e.Cell >= 0 {
		loc += fmt.Sprintf(": cell %d, line %d", e.Cell, e.Line)
	}
	fix := "--pin MODULE@VERSION or --replace MODULE=DIR"
	if e.Module != "" {
		fix = fmt.Sprintf("--pin %s@VERSION (a version that has the package) or --replace %s=DIR (a checkout of it)", e.Module, e.Module)
	}
	tried := "the proxy's latest version"
	if len(e.Tried) > 0 {
		tried = strings.Join(e.Tried, ", ")
	}
	what := fmt.Sprintf("import %q", e.Import)
	if e.Implicit {
		what = fmt.Sprintf("the notebook uses %s without importing it, and goimports found %q in another module version", path.Base(e.Import), e.Import)
	}
	also := "or import the package meant"
	if e.Cell >= 0 {
		also += fmt.Sprintf(", or leave the cell out with --skip %d", e.Cell)
	}
	msg := fmt.Sprintf("%s: %s: cannot be resolved: tried %s; fix it with %s (%s)", loc, what, tried, fix, also)
	if m := proxyRefusedRE.FindStringSubmatch(e.Output); m != nil {
		prefix := e.Module
		if prefix == "" {
			prefix = repoRoot(e.Import)
		}
		msg += "; " + proxyRefusedText(m[1], m[3], prefix)
	}
	return msg + "\n" + e.Output
}

// proxyRefusedText says that the module proxy at host refused a module (answer is its HTTP
// status) and how to fetch it anyway. A module proxy answers 403, 404 or 410 both for a module
// it does not serve and for a private one, which the go command must fetch from its host
// instead; privatePattern is the GOPRIVATE pattern that covers the module.
func proxyRefusedText(host, answer, privatePattern string) string {
	return fmt.Sprintf("the module proxy %s refused it (%s): if it is private, set GOPRIVATE=%s (and credentials for its host) so the go command fetches it from there, or set GOPROXY to a proxy that serves it", host, answer, privatePattern)
}

// proxyRefusedFor returns the module proxy's refusal, in the go command's output, of the
// module that provides importPath (a module path or a package in it) or of one of its
// versions, as proxyRefusedText words it; "" when the output shows none.
func proxyRefusedFor(output, importPath string) string {
	for _, m := range proxyRefusedRE.FindAllStringSubmatch(output, -1) {
		escaped, _, ok := strings.Cut(m[2], "/@")
		if !ok {
			continue
		}
		mod, err := module.UnescapePath(escaped)
		if err != nil || (importPath != mod && !strings.HasPrefix(importPath, mod+"/")) {
			continue
		}
		return proxyRefusedText(m[1], m[3], repoRoot(mod))
	}
	return ""
}

// repoRoot is the repository part of an import path on a hosting site whose repositories are
// host/owner/name, and the path itself elsewhere: the GOPRIVATE pattern that covers it.
func repoRoot(importPath string) string {
	parts := strings.Split(importPath, "/")
	switch parts[0] {
	case "github.com", "gitlab.com", "bitbucket.org":
		if len(parts) > 3 {
			return strings.Join(parts[:3], "/")
		}
	}
	return importPath
}

// proxyRefusedRE matches the go command's report of a module proxy that refused a module:
// the proxy's host, the path asked for (the escaped module path, then /@v/... or /@latest)
// and its answer.
var proxyRefusedRE = regexp.MustCompile(`reading (https?://[^/\s]+)/(\S*): (403 Forbidden|404 Not Found|410 Gone)`)

var importsLineRE = regexp.MustCompile(`(?m)^\s+([^\s:]+): (.*)$`)

// ExplainResolve turns a failure to resolve the service's modules into an error at the cell
// and line of the first import that could not be resolved, naming the module and versions
// tried and the flag that fixes it. Other errors are returned as they are.
//
// searched are the version search's findings for the modules concerned, added to the refusal.
func (p *Plan) ExplainResolve(err error, mc *ModuleContext, searched ...Decision) error {
	var te *TidyError
	if !errors.As(err, &te) || mc == nil {
		return p.ExplainTidy(err)
	}
	type hit struct {
		imp        string
		cell, line int
		mod, msg   string
		implicit   bool
	}
	var hits []hit
	for _, m := range importsLineRE.FindAllStringSubmatch(te.Output, -1) {
		at, ok := p.importAt[m[1]]
		implicit := !ok
		if !ok {
			if at, ok = p.firstUse(m[1]); !ok {
				continue
			}
		}
		mod := ""
		if sub := regexp.MustCompile(`module ([^\s@]+)@`).FindStringSubmatch(m[2]); sub != nil {
			mod = sub[1]
		}
		if mod == "" {
			mod = mc.moduleFor(m[1])
		}
		hits = append(hits, hit{m[1], at[0], at[1], mod, m[2], implicit})
	}
	if len(hits) == 0 {
		return p.ExplainTidy(err)
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].cell != hits[j].cell {
			return hits[i].cell < hits[j].cell
		}
		return hits[i].line < hits[j].line
	})
	h := hits[0]
	var tried []string
	if v := mc.Requires[h.mod]; v != "" {
		tried = append(tried, h.mod+"@"+v+" ("+mc.From[h.mod]+")")
	}
	if d := mc.Local[h.mod]; d != "" {
		tried = append(tried, d+" ("+mc.From[h.mod]+")")
	}
	if vs := mc.cachedVersions(h.mod); len(vs) > 0 {
		if len(vs) > 4 {
			vs = vs[:4]
		}
		tried = append(tried, "the module cache ("+strings.Join(vs, ", ")+")")
	}
	if sub := regexp.MustCompile(`@latest found \(([^)]+)\)`).FindStringSubmatch(h.msg); sub != nil {
		tried = append(tried, "the proxy's latest ("+sub[1]+")")
	} else if len(tried) == 0 {
		tried = append(tried, "the module cache and the proxy")
	}
	var others []string
	for _, o := range hits[1:] {
		others = append(others, fmt.Sprintf("cell %d, line %d: %s", o.cell, o.line, o.imp))
	}
	out := h.msg
	if len(others) > 0 {
		out += "\nalso unresolved: " + strings.Join(dedupe(others), "; ")
	}
	ctxMod := mc.moduleFor(h.imp)
	for _, d := range searched {
		if d.Subject == "module "+h.mod || ctxMod != h.mod && d.Subject == "module "+ctxMod {
			out = d.Reason + "\n" + out
		}
	}
	return &UnresolvedError{Notebook: p.Notebook, Cell: h.cell, Line: h.line, Import: h.imp, Module: h.mod, Tried: tried, Output: out, Implicit: h.implicit}
}

// WithoutLocal drops the replacements by local directories from a tidied go.mod, leaving the
// published versions it requires: what the service commits.
func WithoutLocal(gomod []byte, mc *ModuleContext) []byte {
	if mc == nil || len(mc.Local) == 0 {
		return gomod
	}
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return gomod
	}
	changed := false
	for _, r := range append([]*modfile.Replace(nil), f.Replace...) {
		if _, ok := mc.Local[r.Old.Path]; ok && r.New.Version == "" {
			if err := f.DropReplace(r.Old.Path, r.Old.Version); err == nil {
				changed = true
			}
		}
	}
	if !changed {
		return gomod
	}
	f.Cleanup()
	out, err := f.Format()
	if err != nil {
		return gomod
	}
	return out
}

// Imports lists the import paths of the rendered Go files, sorted and without duplicates.
func (o *Output) Imports() []string {
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for name, data := range o.Files {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, data, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, is := range f.Imports {
			if p, err := strconv.Unquote(is.Path.Value); err == nil {
				seen[p] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// UseModules makes the rendering resolve names the notebook used without importing them
// from the modules of the context (the enclosing module first) before goimports searches the
// whole module cache, which may hold other versions with other layouts.
func (p *Plan) UseModules(mc *ModuleContext) {
	p.modules = mc
	if mc != nil {
		mc.writtenImports = map[string]bool{}
		for ip := range p.importAt {
			mc.writtenImports[ip] = true
		}
		for _, imp := range p.Imports {
			mc.imported = append(mc.imported, imp.Path)
		}
	}
}

// moduleRoots lists the directories of the context's modules, the enclosing module first.
func (mc *ModuleContext) moduleRoots() []moduleRoot {
	mc.fetchDirect()
	var roots []moduleRoot
	add := func(m string) {
		if d, ok := mc.Local[m]; ok {
			roots = append(roots, moduleRoot{m, d})
			return
		}
		v := mc.Requires[m]
		esc, err1 := module.EscapePath(m)
		ev, err2 := module.EscapeVersion(v)
		if v == "" || err1 != nil || err2 != nil || mc.modCache == "" {
			return
		}
		d := filepath.Join(mc.modCache, filepath.FromSlash(esc)+"@"+ev)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			roots = append(roots, moduleRoot{m, d})
		}
	}
	if mc.Enclosing != "" {
		add(mc.Enclosing)
	}
	var rest []string
	for m := range mc.Local {
		rest = append(rest, m)
	}
	for m := range mc.Requires {
		rest = append(rest, m)
	}
	sort.Strings(rest)
	for _, m := range dedupe(rest) {
		if m != mc.Enclosing {
			add(m)
		}
	}
	return roots
}

type moduleRoot struct{ path, dir string }

// forgetRoots drops what was read from the module roots, after the versions changed.
func (mc *ModuleContext) forgetRoots() {
	mc.pkgIndex, mc.exports, mc.fetched = nil, nil, false
}

// fetchDirect brings the enclosing module and the modules the notebook imports from into the
// module cache when they are not there yet, so that names the notebook used without importing
// them resolve in the versions the author's module asked for, as goimports resolved them in
// GoNB after go get had fetched them. Those modules are the ones verification fetches anyway;
// the rest of the module graph is not fetched, which could cost minutes.
func (mc *ModuleContext) fetchDirect() {
	if mc.fetched || mc.modCache == "" {
		return
	}
	mc.fetched = true
	have := map[string]bool{}
	for _, r := range mc.moduleRoots() {
		have[r.path] = true
	}
	var mods []string
	for _, ip := range mc.imported {
		if m := mc.moduleFor(ip); m != "" {
			mods = append(mods, m)
		}
	}
	if mc.Enclosing != "" {
		mods = append(mods, mc.Enclosing)
	}
	sort.Strings(mods)
	for _, m := range dedupe(mods) {
		v := mc.Requires[m]
		if have[m] || v == "" || !semver.IsValid(v) {
			continue
		}
		download := mc.download
		if download == nil {
			download = goModDownload
		}
		if _, err := download(m, v); err != nil {
			mc.Notes = append(mc.Notes, Decision{Cell: -1, Subject: "module " + m, Action: "warning",
				Reason: fmt.Sprintf("could not fetch %s@%s to resolve the names the notebook uses without importing them: %v", m, v, err)})
		}
	}
}

// goModDownload fetches mod@version with `go mod download`, from the module cache first.
func goModDownload(mod, version string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod+"@"+version)
	cmd.Dir = os.TempDir() // outside any module or workspace
	cmd.Env = append(os.Environ(), "GOPROXY="+modcache.InFront(os.Getenv("GOPROXY")), "GOWORK=off", "GOFLAGS=-mod=mod")
	cleanup, err := gocmd.Prepare(cmd)
	defer cleanup()
	if err != nil {
		return "", err
	}
	out, err := cmd.Output()
	var res struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &res); jerr != nil || res.Dir == "" {
		if res.Error != "" {
			return "", errors.New(res.Error)
		}
		if err == nil {
			err = jerr
		}
		return "", fmt.Errorf("go mod download %s@%s: %w", mod, version, err)
	}
	return res.Dir, nil
}

// hasRoot reports whether module m's source, at the version the context requires or in a
// local directory, is on this machine.
func (mc *ModuleContext) hasRoot(m string) bool {
	return slices.ContainsFunc(mc.moduleRoots(), func(r moduleRoot) bool { return r.path == m })
}

// describe names the version of module m the context uses.
func (mc *ModuleContext) describe(m string) string {
	if d, ok := mc.Local[m]; ok {
		return m + " in " + d
	}
	return m + "@" + mc.Requires[m]
}

// findPackage finds a package named name that declares every one of syms in the context's
// modules, and returns its import path.
func (mc *ModuleContext) findPackage(name string, syms []string) (string, bool) {
	if mc.pkgIndex == nil {
		mc.pkgIndex = map[string][]pkgDir{}
		for _, r := range mc.moduleRoots() {
			mc.indexModule(r)
		}
	}
	// Several modules of the context may have a package of that name declaring the names
	// used (GoMLX's shapes and go-xla's): the notebook meant the one of the module it
	// imports most from, as goimports, which prefers packages near the file's imports, found.
	best, score := "", -1
	for _, cand := range mc.pkgIndex[name] {
		if !declaresAll(cand.dir, syms) {
			continue
		}
		if n := mc.importsFrom(cand.mod); n > score {
			best, score = cand.path, n
		}
	}
	return best, score >= 0
}

// importsFrom counts the notebook's written imports that module m provides.
func (mc *ModuleContext) importsFrom(m string) int {
	n := 0
	for ip := range mc.writtenImports {
		if mc.moduleFor(ip) == m {
			n++
		}
	}
	return n
}

type pkgDir struct{ path, dir, mod string }

// declaring lists module m's packages in the context (at the version it selects) that declare
// every one of syms, sorted: where a package the notebook used moved its names to.
func (mc *ModuleContext) declaring(m string, syms []string) []string {
	if len(syms) == 0 {
		return nil
	}
	mc.findPackage("", nil) // builds the index
	seen := map[string]bool{}
	var found []string
	for _, name := range slices.Sorted(maps.Keys(mc.pkgIndex)) {
		for _, cand := range mc.pkgIndex[name] {
			if seen[cand.path] || mc.moduleFor(cand.path) != m {
				continue
			}
			seen[cand.path] = true
			if declaresAll(cand.dir, syms) {
				found = append(found, cand.path)
			}
		}
	}
	sort.Strings(found)
	return found
}

// samePackage finds, for package ip of module m that goimports found only in a version other
// than the one the context selects, that version's package named name: the one at the same
// path under a new prefix (ml/x moved to pkg/ml/x) first, then the one that declares the most
// of syms (the names the notebook uses from it), then the shortest path. It returns the
// package's import path and which of syms it lacks.
func (mc *ModuleContext) samePackage(m, ip, name string, syms []string) (string, []string, bool) {
	mc.findPackage(name, nil) // builds the index
	rel := strings.TrimPrefix(ip, m+"/")
	var best string
	var bestLacks []string
	bestMoved, found := false, false
	for _, cand := range mc.pkgIndex[name] {
		if mc.moduleFor(cand.path) != m {
			continue
		}
		declared := declaredNames(cand.dir)
		if declared == nil {
			continue // no Go package there
		}
		var lacks []string
		for _, s := range syms {
			if !declared[s] {
				lacks = append(lacks, s)
			}
		}
		moved := strings.HasSuffix(cand.path, "/"+rel)
		better := !found || moved != bestMoved && moved
		if found && moved == bestMoved {
			switch {
			case len(lacks) != len(bestLacks):
				better = len(lacks) < len(bestLacks)
			case len(cand.path) != len(best):
				better = len(cand.path) < len(best)
			default:
				better = cand.path < best
			}
		}
		if better {
			best, bestLacks, bestMoved, found = cand.path, lacks, moved, true
		}
	}
	return best, bestLacks, found
}

// lacking says, for module m's packages named name in the context, which of syms each does not
// declare: what a notebook written for another version of the library uses that this one
// dropped or moved. It returns "" when the module has no package of that name.
func (mc *ModuleContext) lacking(m, name string, syms []string) string {
	mc.findPackage(name, nil) // builds the index
	var parts []string
	for _, cand := range mc.pkgIndex[name] {
		if !strings.HasPrefix(cand.path, m+"/") || mc.moduleFor(cand.path) != m {
			continue
		}
		declared := declaredNames(cand.dir)
		var miss []string
		for _, s := range syms {
			if !declared[s] {
				miss = append(miss, s)
			}
		}
		if len(miss) > 0 {
			parts = append(parts, fmt.Sprintf("%s lacks %s", cand.path, strings.Join(miss, ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

func (mc *ModuleContext) indexModule(r moduleRoot) {
	filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		base := d.Name()
		if p != r.dir && (base == "testdata" || base == "vendor" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
			return filepath.SkipDir
		}
		if p != r.dir {
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
		}
		rel, _ := filepath.Rel(r.dir, p)
		ip := r.path
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		if strings.Contains("/"+ip+"/", "/internal/") {
			return nil
		}
		name := path.Base(ip)
		if isMajor(name) {
			name = path.Base(path.Dir(ip))
		}
		name = strings.TrimPrefix(strings.TrimPrefix(name, "go-"), "go")
		mc.pkgIndex[name] = append(mc.pkgIndex[name], pkgDir{ip, p, r.path})
		if orig := path.Base(ip); orig != name {
			mc.pkgIndex[orig] = append(mc.pkgIndex[orig], pkgDir{ip, p, r.path})
		}
		return nil
	})
}

func isMajor(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

// declaresAll reports whether the non-test Go files in dir declare a package-level name for
// each of syms.
func declaresAll(dir string, syms []string) bool {
	declared := declaredNames(dir)
	if declared == nil {
		return false
	}
	for _, s := range syms {
		if !declared[s] {
			return false
		}
	}
	return true
}

// packageDir finds the directory of package ip among the context's modules: a local
// directory, else the required version in the module cache.
func (mc *ModuleContext) packageDir(ip string) (string, bool) {
	m := mc.moduleFor(ip)
	if m == "" {
		return "", false
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(ip, m), "/")
	for _, r := range mc.moduleRoots() {
		if r.path == m {
			d := filepath.Join(r.dir, filepath.FromSlash(rel))
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return d, true
			}
			return "", false
		}
	}
	return "", false
}

// Exports returns the package-level names package ip declares, from its source in the
// context's modules, or nil when the package cannot be found there.
func (mc *ModuleContext) Exports(ip string) map[string]bool {
	if mc == nil {
		return nil
	}
	if names, ok := mc.exports[ip]; ok {
		return names
	}
	var names map[string]bool
	if d, ok := mc.packageDir(ip); ok {
		names = declaredNames(d)
	}
	if mc.exports == nil {
		mc.exports = map[string]map[string]bool{}
	}
	mc.exports[ip] = names
	return names
}

// declaredNames returns the package-level names the non-test Go files in dir declare for
// this platform, or nil when dir holds none.
func declaredNames(dir string) map[string]bool {
	files := parseGoFiles(token.NewFileSet(), dir, func(name string, _ []byte) bool {
		ok, err := build.Default.MatchFile(dir, name) // not another platform's file, nor one a build tag excludes
		return err == nil && ok
	})
	if len(files) == 0 {
		return nil
	}
	declared := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					declared[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						declared[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							declared[n.Name] = true
						}
					}
				}
			}
		}
	}
	return declared
}

// parseGoFiles parses the non-test Go files in dir that keep accepts, given each file's name
// and source; files that do not parse are left out.
func parseGoFiles(fset *token.FileSet, dir string, keep func(name string, src []byte) bool) []*ast.File {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || keep != nil && !keep(n, src) {
			continue
		}
		if f, err := parser.ParseFile(fset, filepath.Join(dir, n), src, parser.SkipObjectResolution); err == nil {
			files = append(files, f)
		}
	}
	return files
}

// firstUse finds the cell and line of the first kept code that uses the package of import
// path ip by its name (for imports the notebook never wrote, which goimports added).
func (p *Plan) firstUse(ip string) ([2]int, bool) {
	name := path.Base(ip)
	if isMajor(name) {
		name = path.Base(path.Dir(ip))
	}
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\.`)
	best, found := [2]int{}, false
	consider := func(text string, lineAt func(offset int) (cell, line int)) {
		loc := re.FindStringIndex(text)
		if loc == nil {
			return
		}
		var at [2]int
		at[0], at[1] = lineAt(strings.Count(text[:loc[0]], "\n"))
		if !found || at[0] < best[0] || at[0] == best[0] && at[1] < best[1] {
			best, found = at, true
		}
	}
	for _, d := range p.Decls {
		if d.Kept {
			// Line is the declaration's own line: count from its code, after any doc comment.
			code := d.code
			if code == "" {
				code = d.text
			}
			consider(code, func(offset int) (int, int) { return d.Cell, d.Line + offset })
		}
	}
	for _, st := range p.Steps {
		if st.Kept {
			consider(st.Body, st.At) // a step's lines may come from several cells
		}
	}
	return best, found
}

var requireLineRE = regexp.MustCompile(`^\s*(?:require\s+)?(\S+)\s+(\S+)\s*$`)

// splitNonSemver takes the require lines whose version is not semantic (a branch or commit)
// out of gomod and returns them as standalone require lines.
func splitNonSemver(gomod []byte) (rest []byte, raw [][2]string) {
	var keep []string
	inBlock := false
	for _, l := range strings.Split(string(gomod), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "require ("):
			inBlock = true
		case inBlock && t == ")":
			inBlock = false
		case inBlock || strings.HasPrefix(t, "require "):
			if m := requireLineRE.FindStringSubmatch(t); m != nil && !semver.IsValid(m[2]) {
				raw = append(raw, [2]string{m[1], m[2]})
				continue
			}
		}
		keep = append(keep, l)
	}
	return []byte(strings.Join(keep, "\n")), raw
}

// pseudoFor finds the pseudo-version of module m at commit rev among the versions the
// enclosing module requires and the module cache holds, or "".
func (mc *ModuleContext) pseudoFor(m, rev string) string {
	if semver.IsValid(rev) || len(rev) < 7 {
		return ""
	}
	for _, v := range append([]string{mc.Requires[m]}, mc.cachedVersions(m)...) {
		if !module.IsPseudoVersion(v) {
			continue
		}
		if r, err := module.PseudoVersionRev(v); err == nil && (strings.HasPrefix(rev, r) || strings.HasPrefix(r, rev)) {
			return v
		}
	}
	return ""
}

var couldNotImportRE = regexp.MustCompile(`(?:could not import|no required module provides package|cannot find package) "?([^\s"]+)"?`)

// LocateDependencyProblems points problems met in a dependency's source (a library in the
// module cache that does not build here, for example for want of a C library) at the cell and
// line that imports the library.
func (p *Plan) LocateDependencyProblems(probs []Problem, mc *ModuleContext) {
	if mc == nil {
		return
	}
	for i, pr := range probs {
		if pr.Replayed {
			probs[i].Msg = p.replayFailure(pr, mc)
			continue
		}
		if pr.Cell >= 0 {
			if pr.Step == "test" && strings.HasPrefix(pr.Msg, "panic: ") && !strings.Contains(pr.Msg, "--short") {
				probs[i].Msg += " (the service's test replays the notebook: if the step needs " + runtimeNeeds + ", provide it, or pass --short to verify without replaying the notebook)"
			}
			continue
		}
		if m := couldNotImportRE.FindStringSubmatch(pr.Msg); m != nil {
			// A package that cannot be loaded: point at the cell importing (or using) it.
			at, ok := p.importAt[m[1]]
			if !ok {
				at, ok = p.firstUse(m[1])
			}
			if ok {
				probs[i].Cell, probs[i].CellLine = at[0], at[1]
			}
			continue
		}
		if lib := missingLibRE.FindStringSubmatch(pr.Msg); lib != nil {
			// The linker wants a C library a dependency's cgo code names.
			if at, ok := p.importNaming(lib[1], mc); ok {
				probs[i].Cell, probs[i].CellLine = at[0], at[1]
				probs[i].Msg = fmt.Sprintf("a library imported here uses cgo and needs the C library %s, which is not installed on this machine (install it: a system package, or the library's own release with CGO_LDFLAGS=-L<its directory>; or leave the cell out with --skip): the linker says %s", lib[1], lib[0])
			}
			continue
		}
		if !filepath.IsAbs(pr.File) {
			continue
		}
		m, v, _, ok := inModCache(mc.modCache, filepath.Dir(pr.File))
		if !ok {
			continue
		}
		best, found := [2]int{}, false
		for ip, at := range p.importAt {
			if ip != m && !strings.HasPrefix(ip, m+"/") {
				continue
			}
			if !found || at[0] < best[0] || at[0] == best[0] && at[1] < best[1] {
				best, found = at, true
			}
		}
		fails := "does not build on this machine"
		if pr.Step == "test" {
			fails = "fails on this machine"
		}
		what := fmt.Sprintf("the library %s@%s %s", m, v, fails)
		if !found {
			// Not imported by the notebook: a dependency of what it imports.
			best, found = p.importNaming("", mc)
			what = fmt.Sprintf("%s@%s, which a library imported here depends on, %s", m, v, fails)
		}
		if !found {
			continue
		}
		probs[i].Cell, probs[i].CellLine = best[0], best[1]
		hint := fmt.Sprintf("install what it needs, or --pin another version of %s", m)
		if missingHeaderRE.MatchString(pr.Msg) {
			hint = fmt.Sprintf("its cgo code includes C headers this machine lacks: install them (a system package, or the library's own C release, with CGO_CFLAGS=-I<include directory> and CGO_LDFLAGS=-L<lib directory>), or --pin a version of %s that does not need them", m)
		}
		if pr.Step == "test" {
			hint = "it may need " + runtimeNeeds + envHint(pr.File) + "; provide it, or pass --short to verify without replaying the notebook"
		}
		probs[i].Msg = fmt.Sprintf("%s: %s (%s)", what, pr.Msg, hint)
	}
}

// replayFailure words a failure of the step the emitted test was replaying that names no line
// of the service: what the library or the step said, and how the user can get past it.
func (p *Plan) replayFailure(pr Problem, mc *ModuleContext) string {
	what := "the step failed when the service's test replayed it"
	if filepath.IsAbs(pr.File) {
		if m, v, _, ok := inModCache(mc.modCache, filepath.Dir(pr.File)); ok {
			what = fmt.Sprintf("the library %s@%s fails on this machine when the service's test replays the step", m, v)
		}
	}
	return fmt.Sprintf("%s: %s (it may need %s%s; provide it, or pass --short to verify without replaying the notebook)", what, pr.Msg, runtimeNeeds, envHint(pr.File))
}

// envHint names the environment variables the library package holding file reads, which are
// often how a user chooses a device, a backend or a data directory: ", and it reads $A, $B".
func envHint(file string) string {
	if !filepath.IsAbs(file) {
		return ""
	}
	vars := envVarsRead(filepath.Dir(file))
	if len(vars) == 0 {
		return ""
	}
	return "; the library reads $" + strings.Join(vars, ", $") + " from the environment"
}

// envVarsRead lists the environment variables the Go package in dir reads with os.Getenv or
// os.LookupEnv, given as string literals or the package's string constants.
func envVarsRead(dir string) []string {
	files := parseGoFiles(token.NewFileSet(), dir, nil)
	consts := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if v, err := strconv.Unquote(lit.Value); err == nil {
								consts[n.Name] = v
							}
						}
					}
				}
			}
		}
	}
	seen := map[string]bool{}
	var vars []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "os" {
				return true
			}
			name := ""
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				if a.Kind == token.STRING {
					name, _ = strconv.Unquote(a.Value)
				}
			case *ast.Ident:
				name = consts[a.Name]
			}
			if name != "" && !seen[name] {
				seen[name] = true
				vars = append(vars, name)
			}
			return true
		})
	}
	sort.Strings(vars)
	return vars
}

// runtimeNeeds is what a library that builds may still want when it runs.
const runtimeNeeds = "what this machine lacks (a device, a plugin, data, the network) or the environment variable the library reads to choose them"

// linksLibrary reports whether the package at import path ip, as the module cache holds it,
// has a cgo directive linking the C library lib (#cgo LDFLAGS: -llib).
func (mc *ModuleContext) linksLibrary(ip, lib string) bool {
	m := mc.moduleOf(ip)
	if m == "" || mc.modCache == "" {
		return false
	}
	esc, err := module.EscapePath(m)
	if err != nil {
		return false
	}
	flag := regexp.MustCompile(`#cgo\b[^\n]*\bLDFLAGS:[^\n]*-l` + regexp.QuoteMeta(lib) + `\b`)
	rel := filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(ip, m), "/"))
	for _, v := range mc.cachedVersions(m) {
		ev, err := module.EscapeVersion(v)
		if err != nil {
			continue
		}
		dir := filepath.Join(mc.modCache, filepath.FromSlash(esc)+"@"+ev, rel)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && flag.Match(data) {
				return true
			}
		}
		return false // the newest version the cache holds decides
	}
	return false
}

var missingHeaderRE = regexp.MustCompile(`fatal error: \S+\.h: No such file or directory`)

var missingLibRE = regexp.MustCompile(`cannot find -l([A-Za-z0-9_.+-]+)`)

// importNaming returns the cell and line of the first import whose path contains name, else
// of the first import from the enclosing module, else of the first non-standard import.
func (p *Plan) importNaming(name string, mc *ModuleContext) ([2]int, bool) {
	paths := make([]string, 0, len(p.importAt))
	for ip := range p.importAt {
		paths = append(paths, ip)
	}
	sort.Slice(paths, func(i, j int) bool {
		a, b := p.importAt[paths[i]], p.importAt[paths[j]]
		return a[0] < b[0] || a[0] == b[0] && (a[1] < b[1] || a[1] == b[1] && paths[i] < paths[j])
	})
	for _, test := range []func(string) bool{
		func(ip string) bool { return name != "" && mc.linksLibrary(ip, name) },
		func(ip string) bool { return name != "" && strings.Contains(ip, name) },
		func(ip string) bool { return mc.Enclosing != "" && strings.HasPrefix(ip+"/", mc.Enclosing+"/") },
		func(ip string) bool { first, _, _ := strings.Cut(ip, "/"); return strings.Contains(first, ".") },
	} {
		for _, ip := range paths {
			if test(ip) {
				return p.importAt[ip], true
			}
		}
	}
	return [2]int{}, false
}
