package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"os"
	"os/exec"
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
)

// Notebooks are often older than the module they sit in: a notebook committed at a module's
// release was last run, through go work or replace lines, against whatever checkouts its
// author had then, and the release's own go.mod may require a newer layout of a library than
// the notebook imports. When the version the context requires lacks a package the notebook
// imports, SearchVersions looks for the newest version that has every package the notebook
// imports from that module, and, where a module the notebook also imports requires a newer
// version than that, for the newest earlier release of that module that accepts it.

// SearchBudget bounds a version search: the go command is asked at most MaxDownloads times
// for a module version the cache lacks, and the whole search stops after Time.
type SearchBudget struct {
	Time         time.Duration // default 90s
	MaxDownloads int           // default 6
}

// versionSearch is one search's state: what it has read and what it may still fetch.
type versionSearch struct {
	mc        *ModuleContext
	env       []string
	downloads int
	budget    SearchBudget
	listed    map[string][]string
	mods      map[string]*modfile.File
	// times are the versions' release times read so far (an absent version: unknown).
	times map[string]time.Time
	// probed are the modules whose unlisted earlier releases were asked for.
	probed map[string][]string
}

// UnresolvedModules reads a failed go mod tidy: the modules whose resolved version lacks
// packages the service imports, each with those packages. Other errors give nil.
func (mc *ModuleContext) UnresolvedModules(err error) map[string][]string {
	var te *TidyError
	if mc == nil || !errors.As(err, &te) {
		return nil
	}
	missing := map[string][]string{}
	for _, m := range importsLineRE.FindAllStringSubmatch(te.Output, -1) {
		if !strings.Contains(m[2], "does not contain package") && !strings.Contains(m[2], "no required module provides") {
			continue
		}
		mod := ""
		if sub := modAtRE.FindStringSubmatch(m[2]); sub != nil {
			mod = sub[1]
		}
		if mod == "" {
			mod = mc.moduleFor(m[1])
		}
		if mod == "" || !(m[1] == mod || strings.HasPrefix(m[1], mod+"/")) {
			continue
		}
		missing[mod] = append(missing[mod], m[1])
		// The go command looked for the package in the module of the longest path that
		// exists today (GoMLX's examples module, split off in v0.27); the context's module of
		// a shorter path (GoMLX itself, which the notebook sits in) had it in earlier releases.
		if cm := mc.moduleFor(m[1]); cm != "" && cm != mod && strings.HasPrefix(mod, cm+"/") {
			missing[cm] = append(missing[cm], m[1])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	for m, ps := range missing {
		missing[m] = dedupe(ps)
	}
	return missing
}

var modAtRE = regexp.MustCompile(`module ([^\s@]+)@`)

// SearchVersions looks for module versions that provide the packages missing (module → import
// paths) and every other package of those modules in imports, the service's imports. It
// changes the context's requirements when it finds them and returns the decisions to report,
// and whether anything changed. Modules the user chose with --pin or --replace, and local
// directories, are left alone: the user's choice wins.
func (mc *ModuleContext) SearchVersions(ctx context.Context, missing map[string][]string, imports []string, env []string, budget SearchBudget) ([]Decision, bool) {
	if budget.Time <= 0 {
		budget.Time = 90 * time.Second
	}
	if budget.MaxDownloads <= 0 {
		budget.MaxDownloads = 6
	}
	// Search on what the notebook wrote: the packages goimports added for names it used
	// without importing are found again, in the versions chosen, when the service is rendered
	// again.
	imports = mc.written(imports)
	for m, ps := range missing {
		if w := mc.written(ps); len(w) > 0 {
			missing[m] = w
		}
	}
	ctx, cancel := context.WithTimeout(ctx, budget.Time)
	defer cancel()
	s := &versionSearch{mc: mc, env: env, budget: budget, listed: map[string][]string{}, mods: map[string]*modfile.File{}}
	byModule := map[string][]string{}
	for _, p := range imports {
		if m := mc.moduleOf(p); m != "" {
			byModule[m] = append(byModule[m], p)
		}
	}
	mods := make([]string, 0, len(missing))
	for m := range missing {
		mods = append(mods, m)
	}
	sort.Strings(mods)
	var notes []Decision
	changed := false
	for _, m := range mods {
		if _, ok := mc.Local[m]; ok || strings.HasPrefix(mc.From[m], "--") {
			continue
		}
		want := dedupe(append(append([]string(nil), missing[m]...), byModule[m]...))
		note, ok := s.search(ctx, m, missing[m], want, byModule)
		notes = append(notes, note)
		changed = changed || ok
	}
	if changed {
		mc.forgetRoots()
	}
	return notes, changed
}

// moduleOf finds the module providing import path p: the context's, else the longest prefix
// of p that the module cache holds versions of.
func (mc *ModuleContext) moduleOf(p string) string {
	if m := mc.moduleFor(p); m != "" {
		return m
	}
	for m := p; strings.Contains(m, "/"); m = m[:strings.LastIndex(m, "/")] {
		if len(mc.cachedVersions(m)) > 0 {
			return m
		}
	}
	return ""
}

// written keeps the import paths the notebook wrote (see WrittenImports), or all of them when
// the context does not know which.
func (mc *ModuleContext) written(imports []string) []string {
	if mc.writtenImports == nil {
		return imports
	}
	var out []string
	for _, p := range imports {
		if mc.writtenImports[p] {
			out = append(out, p)
		}
	}
	return out
}

// search finds the newest version of m that has every package in want and that the other
// imported modules accept, downgrading those to their newest release that does.
func (s *versionSearch) search(ctx context.Context, m string, lacking, want []string, byModule map[string][]string) (Decision, bool) {
	mc := s.mc
	cur, _ := mc.pinFor(m)
	d := Decision{Cell: -1, Subject: "module " + m, Action: "warning"}
	var tried []string
	cands, requiredBy := s.candidates(ctx, m, byModule)
	for v := range s.thenUnlisted(ctx, m, cands) {
		if v == cur || ctx.Err() != nil {
			continue
		}
		if semver.Prerelease(v) != "" && semver.Prerelease(cur) == "" {
			continue
		}
		if !s.provides(ctx, m, v, want) {
			continue
		}
		downgrades, conflict := s.accepting(ctx, m, v, byModule)
		if conflict != "" {
			tried = append(tried, fmt.Sprintf("%s@%s has the packages, but %s", m, v, conflict))
			continue
		}
		why := "the newest version known here that has every package of " + m + " the notebook imports"
		if by := requiredBy[v]; by != "" {
			why = "the version " + by + ", which the notebook also imports, requires; it has every package of " + m + " the notebook imports"
		}
		var also []string
		for _, dm := range slices.Sorted(maps.Keys(downgrades)) {
			also = append(also, fmt.Sprintf("%s %s instead of %s (%s), the newest release known here that accepts it", dm, downgrades[dm][1], downgrades[dm][0], mc.From[dm]))
		}
		s.apply(m, v, cur, downgrades, fmt.Sprintf("a version that has every package the notebook imports (%s lacks some)", cur), false)
		d.Action = "converted"
		d.Reason = fmt.Sprintf("%s@%s does not have %s, which the notebook imports: the notebook was written for another release. Resolved with %s %s, %s", m, cur, strings.Join(lacking, ", "), m, v, why)
		if len(also) > 0 {
			d.Reason += ", and " + strings.Join(also, ", ")
		}
		d.Reason += fmt.Sprintf("; pass --pin %s@VERSION to choose another", m)
		return d, true
	}
	d.Reason = fmt.Sprintf("no version of %s known here (the module cache, the proxy's list and the earlier releases it serves unlisted) has every package the notebook imports from it (%s)", m, strings.Join(want, ", "))
	if len(tried) > 0 {
		d.Reason += ": " + strings.Join(tried, "; ")
	}
	if ctx.Err() != nil {
		d.Reason += "; the search stopped at its time budget"
	}
	return d, false
}

// candidates orders m's versions known here: first those that the other modules the notebook
// imports require (what they were built against, as go's minimal version selection would pick
// without the context's choice), newest first, then every other, newest first.
func (s *versionSearch) candidates(ctx context.Context, m string, byModule map[string][]string) ([]string, map[string]string) {
	var required []string
	requiredBy := map[string]string{}
	for _, dm := range slices.Sorted(maps.Keys(byModule)) {
		if dm == m {
			continue
		}
		dv, _ := s.mc.pinFor(dm)
		if f := s.goMod(ctx, dm, dv); dv != "" && f != nil {
			for _, r := range f.Require {
				if r.Mod.Path == m && semver.IsValid(r.Mod.Version) {
					required = append(required, r.Mod.Version)
					if _, ok := requiredBy[r.Mod.Version]; !ok {
						requiredBy[r.Mod.Version] = dm + "@" + dv
					}
				}
			}
		}
	}
	sort.Slice(required, func(i, j int) bool { return semver.Compare(required[i], required[j]) > 0 })
	return dedupe(append(required, s.versions(ctx, m)...)), requiredBy
}

// accepting returns, for m at v, the imported modules that require a newer m and the earlier
// release of each that does not (module → [old, new]), or why none could be found.
func (s *versionSearch) accepting(ctx context.Context, m, v string, byModule map[string][]string) (map[string][2]string, string) {
	downgrades := map[string][2]string{}
	for _, dm := range slices.Sorted(maps.Keys(byModule)) {
		if dm == m {
			continue
		}
		dv, _ := s.mc.pinFor(dm)
		if dv == "" || !s.requiresAbove(ctx, dm, dv, m, v) {
			continue
		}
		if _, ok := s.mc.Local[dm]; ok || strings.HasPrefix(s.mc.From[dm], "--") {
			return nil, fmt.Sprintf("%s (%s) requires a newer %s", dm, s.mc.From[dm], m)
		}
		found := ""
		for ov := range s.thenUnlisted(ctx, dm, s.versions(ctx, dm)) {
			if ctx.Err() != nil {
				break
			}
			if semver.Compare(ov, dv) >= 0 || semver.Prerelease(ov) != "" && semver.Prerelease(dv) == "" {
				continue
			}
			if s.requiresAbove(ctx, dm, ov, m, v) || !s.provides(ctx, dm, ov, byModule[dm]) {
				continue
			}
			found = ov
			break
		}
		if found == "" {
			return nil, fmt.Sprintf("%s@%s requires a newer %s, and no earlier release of %s known here accepts %s@%s (pass --pin %s@VERSION with an earlier release)", dm, dv, m, dm, m, v, dm)
		}
		downgrades[dm] = [2]string{dv, found}
	}
	return downgrades, ""
}

// apply records the search's choice in the context: m at v, for why, and the downgrades of
// the modules that required a newer m. A release of the enclosing module other than the one
// the notebook sits in brings its own go.mod's requirements: for the downgraded modules, and,
// with withOwn, for m itself (before the downgrades, which win).
func (s *versionSearch) apply(m, v, cur string, downgrades map[string][2]string, why string, withOwn bool) {
	mc := s.mc
	if withOwn {
		s.moveEnclosing(m, cur, v)
	}
	for _, dm := range slices.Sorted(maps.Keys(downgrades)) {
		old, nv := downgrades[dm][0], downgrades[dm][1]
		s.moveEnclosing(dm, old, nv)
		mc.require(dm, nv, fmt.Sprintf("an earlier release that accepts %s %s", m, v))
	}
	mc.require(m, v, why)
}

// moveEnclosing replaces, when m is the enclosing module, the requirements its go.mod at old
// brought by those of its go.mod at nv.
func (s *versionSearch) moveEnclosing(m, old, nv string) {
	mc := s.mc
	if m != mc.Enclosing {
		return
	}
	oldFrom := m + "@" + old
	for x, from := range mc.From {
		if from == oldFrom && x != m {
			delete(mc.Requires, x)
			delete(mc.From, x)
		}
	}
	if f := s.goMod(context.Background(), m, nv); f != nil {
		for _, r := range f.Require {
			mc.require(r.Mod.Path, r.Mod.Version, m+"@"+nv)
		}
	}
}

// together returns the modules the notebook imports that m's go.mod at v requires at an
// earlier version than the one resolved, and that nothing else chose (module → [resolved,
// required]): the author, running m at v, had those.
func (s *versionSearch) together(ctx context.Context, m, v string, byModule map[string][]string, resolved map[string]string) map[string][2]string {
	out := map[string][2]string{}
	f := s.goMod(ctx, m, v)
	if f == nil {
		return out
	}
	for _, r := range f.Require {
		dm := r.Mod.Path
		if _, imported := byModule[dm]; !imported || dm == m || s.mc.Requires[dm] != "" {
			continue
		}
		if _, ok := s.mc.Local[dm]; ok {
			continue
		}
		cur := resolved[dm]
		if cur == "" {
			cur, _ = s.mc.pinFor(dm)
		}
		if semver.IsValid(cur) && semver.Compare(r.Mod.Version, cur) < 0 {
			out[dm] = [2]string{cur, r.Mod.Version}
		}
	}
	return out
}

// versions lists m's versions known here, newest first: the module cache's, and the proxy's
// list where the proxy gives one.
func (s *versionSearch) versions(ctx context.Context, m string) []string {
	if vs, ok := s.listed[m]; ok {
		return vs
	}
	seen := map[string]bool{}
	var vs []string
	add := func(v string) {
		if semver.IsValid(v) && !seen[v] {
			seen[v] = true
			vs = append(vs, v)
		}
	}
	for _, v := range s.mc.cachedVersions(m) {
		add(v)
	}
	var listing struct{ Versions []string }
	if out, err := s.goJSON(ctx, "list", "-m", "-versions", "-json", m); err == nil && json.Unmarshal(out, &listing) == nil {
		for _, v := range listing.Versions {
			add(v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return semver.Compare(vs[i], vs[j]) > 0 })
	s.listed[m] = vs
	return vs
}

// thenUnlisted yields the versions of m in known, then, only when the caller asks for more,
// the earlier releases that a probe below the oldest of them finds (the proxy serves them but
// its list omits them), newest first. With an empty module cache, those are the only earlier
// releases of a module whose proxy lists only its newest.
func (s *versionSearch) thenUnlisted(ctx context.Context, m string, known []string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, v := range known {
			if !yield(v) {
				return
			}
		}
		var more []string
		for _, v := range s.probe(ctx, m, known) {
			if !slices.Contains(known, v) {
				more = append(more, v)
			}
		}
		sort.Slice(more, func(i, j int) bool { return semver.Compare(more[i], more[j]) > 0 })
		for _, v := range more {
			if !yield(v) {
				return
			}
		}
	}
}

// provides reports whether m at v has a Go package for each import path in pkgs.
func (s *versionSearch) provides(ctx context.Context, m, v string, pkgs []string) bool {
	dir := s.dir(ctx, m, v)
	if dir == "" {
		return false
	}
	for _, p := range pkgs {
		if !hasGoFiles(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, m), "/")))) {
			return false
		}
	}
	return true
}

func hasGoFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			return true
		}
	}
	return false
}

// requiresAbove reports whether module dm at dv requires m at a version above v.
func (s *versionSearch) requiresAbove(ctx context.Context, dm, dv, m, v string) bool {
	f := s.goMod(ctx, dm, dv)
	if f == nil {
		return false
	}
	for _, r := range f.Require {
		if r.Mod.Path == m {
			return semver.Compare(r.Mod.Version, v) > 0
		}
	}
	return false
}

// dir returns the extracted module directory of m@v, from the module cache, downloading it
// within the budget when the cache lacks it; "" when it cannot be had.
func (s *versionSearch) dir(ctx context.Context, m, v string) string {
	esc, err1 := module.EscapePath(m)
	ev, err2 := module.EscapeVersion(v)
	if err1 != nil || err2 != nil || s.mc.modCache == "" {
		return ""
	}
	d := filepath.Join(s.mc.modCache, filepath.FromSlash(esc)+"@"+ev)
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	dl := s.download(ctx, m, v)
	return dl.Dir
}

// goMod parses m@v's go.mod, from the module cache's download directory, else downloaded.
func (s *versionSearch) goMod(ctx context.Context, m, v string) *modfile.File {
	key := m + "@" + v
	if f, ok := s.mods[key]; ok {
		return f
	}
	var data []byte
	esc, err1 := module.EscapePath(m)
	ev, err2 := module.EscapeVersion(v)
	if err1 == nil && err2 == nil && s.mc.modCache != "" {
		data, _ = os.ReadFile(filepath.Join(s.mc.modCache, "cache", "download", filepath.FromSlash(esc), "@v", ev+".mod"))
	}
	if data == nil {
		if dl := s.download(ctx, m, v); dl.GoMod != "" {
			data, _ = os.ReadFile(dl.GoMod)
		}
	}
	var f *modfile.File
	if data != nil {
		f, _ = modfile.ParseLax("go.mod", data, nil)
	}
	s.mods[key] = f
	return f
}

type downloaded struct{ Dir, GoMod, Error string }

func (s *versionSearch) download(ctx context.Context, m, v string) downloaded {
	var dl downloaded
	if s.downloads >= s.budget.MaxDownloads || ctx.Err() != nil {
		return dl
	}
	s.downloads++
	out, err := s.goJSON(ctx, "mod", "download", "-json", m+"@"+v)
	if err == nil || len(out) > 0 {
		_ = json.Unmarshal(out, &dl)
	}
	if dl.Error != "" {
		return downloaded{}
	}
	return dl
}

// goJSON runs the go command outside any module, with the user's proxy: the module cache in
// front of it would answer version lists with only the versions it holds.
func (s *versionSearch) goJSON(ctx context.Context, args ...string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "decant-versions-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = tmp
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local"), s.env...)
	if s.mc.modCache != "" {
		cmd.Env = append(cmd.Env, "GOMODCACHE="+s.mc.modCache)
	}
	cleanup, err := gocmd.Prepare(cmd)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	return cmd.Output()
}

// orderedVersions lists m's versions known here, and the earlier releases a probe finds that
// the proxy's list omits (reported in probed), in the order the notebook's author most likely
// ran them: when the time the notebook was published is known (at), the versions released
// before it, newest first, then those after it, oldest first; otherwise by distance from cur,
// the earlier one first.
func (s *versionSearch) orderedVersions(ctx context.Context, m, cur string, at time.Time, atKnown bool) ([]string, map[string]bool) {
	known := s.versions(ctx, m)
	if semver.IsValid(cur) && !slices.Contains(known, cur) {
		known = append(known, cur)
	}
	probed := map[string]bool{}
	for _, v := range s.probe(ctx, m, known) {
		if !slices.Contains(known, v) {
			known = append(known, v)
			probed[v] = true
		}
	}
	sort.Slice(known, func(i, j int) bool { return semver.Compare(known[i], known[j]) > 0 })
	if !atKnown {
		return byDistance(known, cur), probed
	}
	var unknown []string
	for _, v := range known {
		if _, ok := s.versionTime(ctx, m, v); !ok {
			unknown = append(unknown, v)
		}
	}
	s.infos(ctx, m, unknown)
	var before, after, none []string
	for _, v := range known {
		t, ok := s.versionTime(ctx, m, v)
		switch {
		case !ok:
			none = append(none, v)
		case !t.After(at):
			before = append(before, v)
		default:
			after = append(after, v)
		}
	}
	tm := func(v string) time.Time { t, _ := s.versionTime(ctx, m, v); return t }
	sort.SliceStable(before, func(i, j int) bool { return tm(before[i]).After(tm(before[j])) })
	sort.SliceStable(after, func(i, j int) bool { return tm(after[i]).Before(tm(after[j])) })
	return append(append(before, after...), byDistance(none, cur)...), probed
}

// byDistance orders vs (sorted newest first) by distance from cur: the nearest earlier one,
// the nearest later one, and so on.
func byDistance(vs []string, cur string) []string {
	var older, newer []string
	for _, v := range vs {
		if semver.Compare(v, cur) < 0 {
			older = append(older, v)
		} else if v != cur {
			newer = append([]string{v}, newer...)
		}
	}
	var out []string
	for i := 0; i < len(older) || i < len(newer); i++ {
		if i < len(older) {
			out = append(out, older[i])
		}
		if i < len(newer) {
			out = append(out, newer[i])
		}
	}
	return out
}

// Probe bounds: how many earlier minor releases, and how many patches of each, are asked for.
const (
	probeMinors  = 4
	probePatches = 4
)

// probe asks the proxy for releases older than the oldest one known that its list may omit
// (some proxies list only recent versions, or none, and serve older ones when asked): the .0
// of each of the probeMinors earlier minor versions, then the first probePatches patches of
// those that exist. It asks for .info files only, in two go commands, and downloads nothing.
func (s *versionSearch) probe(ctx context.Context, m string, known []string) []string {
	if vs, ok := s.probed[m]; ok {
		return vs
	}
	oldest := ""
	for _, v := range known {
		if semver.Prerelease(v) == "" && (oldest == "" || semver.Compare(v, oldest) < 0) {
			oldest = v
		}
	}
	var found []string
	if oldest != "" {
		major, build := semver.Major(oldest), semver.Build(oldest)
		minor, _ := strconv.Atoi(strings.TrimPrefix(semver.MajorMinor(oldest), major+"."))
		var minors []string
		for y := minor - 1; y >= 0 && y >= minor-probeMinors; y-- {
			minors = append(minors, fmt.Sprintf("%s.%d.0%s", major, y, build))
		}
		var patches []string
		for _, v := range s.infos(ctx, m, minors) {
			found = append(found, v)
			base := strings.TrimSuffix(strings.TrimSuffix(v, build), ".0")
			for z := 1; z <= probePatches; z++ {
				patches = append(patches, fmt.Sprintf("%s.%d%s", base, z, build))
			}
		}
		found = append(found, s.infos(ctx, m, patches)...)
	}
	if s.probed == nil {
		s.probed = map[string][]string{}
	}
	s.probed[m] = found
	return found
}

// infos asks for the .info of each of m's versions vs in one go command, records their times,
// and returns those the proxy has.
func (s *versionSearch) infos(ctx context.Context, m string, vs []string) []string {
	if len(vs) == 0 || ctx.Err() != nil {
		return nil
	}
	args := []string{"list", "-m", "-e", "-json"}
	for _, v := range vs {
		args = append(args, m+"@"+v)
	}
	out, _ := s.goJSON(ctx, args...)
	var found []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var info struct {
			Version string
			Time    *time.Time
			Error   *struct{ Err string }
		}
		if dec.Decode(&info) != nil {
			break
		}
		if info.Error != nil || info.Version == "" || !slices.Contains(vs, info.Version) {
			continue
		}
		found = append(found, info.Version)
		if info.Time != nil {
			s.setTime(m, info.Version, *info.Time)
		}
	}
	return found
}

func (s *versionSearch) setTime(m, v string, t time.Time) {
	if s.times == nil {
		s.times = map[string]time.Time{}
	}
	s.times[m+"@"+v] = t
}

// versionTime is the release time of m@v: the module cache's .info, the time a pseudo-version
// carries, or what infos recorded.
func (s *versionSearch) versionTime(ctx context.Context, m, v string) (time.Time, bool) {
	if t, ok := s.times[m+"@"+v]; ok {
		return t, true
	}
	if t, err := module.PseudoVersionTime(v); err == nil {
		s.setTime(m, v, t)
		return t, true
	}
	esc, err1 := module.EscapePath(m)
	ev, err2 := module.EscapeVersion(v)
	if err1 == nil && err2 == nil && s.mc.modCache != "" {
		var info struct{ Time *time.Time }
		data, err := os.ReadFile(filepath.Join(s.mc.modCache, "cache", "download", filepath.FromSlash(esc), "@v", ev+".info"))
		if err == nil && json.Unmarshal(data, &info) == nil && info.Time != nil {
			s.setTime(m, v, *info.Time)
			return *info.Time, true
		}
	}
	return time.Time{}, false
}

// enclosingTime is the release time of the module version the notebook sits in, when it sits
// in the module cache: the best guess of when its author last ran it.
func (mc *ModuleContext) enclosingTime(ctx context.Context, s *versionSearch) (time.Time, bool) {
	if mc.Enclosing == "" || mc.EnclosingVersion == "" {
		return time.Time{}, false
	}
	if t, ok := s.versionTime(ctx, mc.Enclosing, mc.EnclosingVersion); ok {
		return t, true
	}
	s.infos(ctx, mc.Enclosing, []string{mc.EnclosingVersion})
	return s.versionTime(ctx, mc.Enclosing, mc.EnclosingVersion)
}
