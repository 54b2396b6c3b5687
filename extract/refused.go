package extract

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// A module's go.mod may require a version that the proxy here does not serve: a commit
// between two releases (a pseudo-version) that the module's author pushed and never tagged,
// or a version the proxy refuses. The author ran against that commit, and the releases around
// it are the nearest code to it that can be had. SearchRefused looks for the nearest release
// that has every package the notebook imports from that module, as a user pinning it by hand
// would, and says so in the report.

// refusedVersionRE matches the go command's report that it could not fetch a module version:
// the module, the version and why (the proxy's answer, or an unknown revision).
// A file:// proxy (a module cache's download directory, a mirror) answers a missing version
// with no such file.
var refusedVersionRE = regexp.MustCompile(`([^\s:@]+)@(v[^\s:@]+): (?:reading (?:https?|file)://\S+: (403 Forbidden|404 Not Found|410 Gone|no such file or directory)|invalid version: (unknown revision \S+))`)

// RefusedModules reads a failed go mod tidy: the modules that the context requires at a
// version the go command could not fetch (module → [version, the answer]). Modules the user
// chose with --pin or --replace, and local directories, are not listed: the user's choice
// stands. Other errors give nil.
func (mc *ModuleContext) RefusedModules(err error) map[string][2]string {
	var te *TidyError
	if mc == nil || !errors.As(err, &te) {
		return nil
	}
	refused := map[string][2]string{}
	for _, m := range refusedVersionRE.FindAllStringSubmatch(te.Output, -1) {
		mod, v := m[1], m[2]
		if mc.Requires[mod] != v || strings.HasPrefix(mc.From[mod], "--") {
			continue
		}
		if _, ok := mc.Local[mod]; ok {
			continue
		}
		refused[mod] = [2]string{v, m[3] + m[4]}
	}
	if len(refused) == 0 {
		return nil
	}
	return refused
}

// SearchRefused looks, for each module of refused (see RefusedModules), for the release
// nearest the refused version that has every package the notebook imports from that module
// and that the other imported modules accept. It changes the context's requirements when it
// finds one and returns the decisions to report, and whether anything changed.
func (mc *ModuleContext) SearchRefused(ctx context.Context, refused map[string][2]string, imports []string, env []string, budget SearchBudget) ([]Decision, bool) {
	if budget.Time <= 0 {
		budget.Time = 90 * time.Second
	}
	if budget.MaxDownloads <= 0 {
		budget.MaxDownloads = 6
	}
	ctx, cancel := context.WithTimeout(ctx, budget.Time)
	defer cancel()
	s := &versionSearch{mc: mc, env: env, budget: budget, listed: map[string][]string{}, mods: map[string]*modfile.File{}}
	byModule := map[string][]string{}
	for _, p := range mc.written(imports) {
		if m := mc.moduleOf(p); m != "" {
			byModule[m] = append(byModule[m], p)
		}
	}
	var notes []Decision
	changed := false
	for _, m := range slices.Sorted(maps.Keys(refused)) {
		rv, answer := refused[m][0], refused[m][1]
		from := mc.From[m]
		d := Decision{Cell: -1, Subject: "module " + m, Action: "warning"}
		var tried []string
		for _, v := range nearest(s.versions(ctx, m), rv) {
			if ctx.Err() != nil {
				break
			}
			if !s.provides(ctx, m, v, byModule[m]) {
				continue
			}
			// Modules that require the refused version itself accept v: below it, the
			// replacement covers them.
			downgrades, conflict := s.accepting(ctx, m, higher(v, rv, semver.Compare), byModule)
			if conflict != "" {
				tried = append(tried, fmt.Sprintf("%s@%s has the packages, but %s", m, v, conflict))
				continue
			}
			s.apply(m, v, rv, downgrades, fmt.Sprintf("the release nearest %s (%s), which could not be fetched", rv, from), false)
			if semver.Compare(v, rv) < 0 {
				// Minimal version selection would still pick the refused version that the
				// enclosing module's go.mod requires.
				mc.replaceVersion(m, v)
			}
			d.Action = "converted"
			d.Reason = fmt.Sprintf("%s@%s (%s) could not be fetched here (%s). Resolved with %s %s, the release nearest it known here that has every package of %s the notebook imports; pass --pin %s@VERSION to choose another, or set GOPROXY to a proxy that serves %s@%s", m, rv, from, answer, m, v, m, m, m, rv)
			changed = true
			break
		}
		if d.Action != "converted" {
			d.Reason = fmt.Sprintf("%s@%s (%s) could not be fetched here (%s), and no release of %s known here (the module cache, the proxy's list) has every package the notebook imports from it (%s)", m, rv, from, answer, m, strings.Join(byModule[m], ", "))
			if len(tried) > 0 {
				d.Reason += ": " + strings.Join(tried, "; ")
			}
		}
		notes = append(notes, d)
	}
	if changed {
		mc.forgetRoots()
	}
	return notes, changed
}

// nearest orders versions (any order) by their distance from v in version order: the release
// just above v first, then the one just below, and so on outwards. Pre-releases and v itself
// are left out.
func nearest(versions []string, v string) []string {
	var above, below []string
	for _, x := range versions {
		if x == v || semver.Prerelease(x) != "" || !semver.IsValid(x) {
			continue
		}
		if semver.Compare(x, v) > 0 {
			above = append(above, x)
		} else {
			below = append(below, x)
		}
	}
	sort.Slice(above, func(i, j int) bool { return semver.Compare(above[i], above[j]) < 0 })
	sort.Slice(below, func(i, j int) bool { return semver.Compare(below[i], below[j]) > 0 })
	var out []string
	for i := 0; i < len(above) || i < len(below); i++ {
		if i < len(above) {
			out = append(out, above[i])
		}
		if i < len(below) {
			out = append(out, below[i])
		}
	}
	return out
}

// higher returns the higher of versions a and b by cmp.
func higher(a, b string, cmp func(string, string) int) string {
	if cmp(a, b) >= 0 {
		return a
	}
	return b
}
