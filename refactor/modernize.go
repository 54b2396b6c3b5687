package refactor

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/analysis/passes/modernize"
	"golang.org/x/tools/go/packages"

	"github.com/decant-go/decant/refactor/edit"
)

// modernizePass runs the modernize suite through the checker driver and turns each analyzer's
// suggested fixes into one change, so that a fix that breaks the build costs only its kind.
func (r *runner) modernizePass() ([]Change, []string, error) {
	// Analyzers that need facts about dependencies would have every dependency parsed and
	// type-checked from source (a GoMLX or GoNB service: tens of seconds); the others work
	// from the service's own syntax and its dependencies' export data.
	var suite []*analysis.Analyzer
	for _, a := range modernize.Suite {
		if len(a.FactTypes) == 0 {
			suite = append(suite, a)
		}
	}
	v, err := r.load(packages.LoadSyntax, false)
	if err != nil {
		return nil, nil, err
	}
	graph, err := checker.Analyze(suite, v.pkgs, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("running modernize: %w", err)
	}
	type acc struct {
		es    edit.Set
		msgs  []string
		count int
	}
	byAnalyzer := map[string]*acc{}
	var notes []string
	for act := range graph.All() {
		if !act.IsRoot {
			continue
		}
		if act.Err != nil {
			notes = append(notes, fmt.Sprintf("modernize: %s on %s: %v", act.Analyzer.Name, act.Package.PkgPath, act.Err))
			continue
		}
		for _, d := range act.Diagnostics {
			if len(d.SuggestedFixes) == 0 {
				continue
			}
			a := byAnalyzer[act.Analyzer.Name]
			if a == nil {
				a = &acc{es: edit.Set{}}
				byAnalyzer[act.Analyzer.Name] = a
			}
			fixSet, ok := v.fixEdits(d.SuggestedFixes[0])
			if !ok {
				continue
			}
			if err := a.es.Merge(fixSet); err != nil {
				notes = append(notes, fmt.Sprintf("modernize: %s at %s skipped: overlaps another fix (run again)", act.Analyzer.Name, v.fset.Position(d.Pos)))
				continue
			}
			a.count++
			if !slices.Contains(a.msgs, d.Message) {
				a.msgs = append(a.msgs, d.Message)
			}
		}
	}
	var changes []Change
	for _, name := range sortedKeys(byAnalyzer) {
		a := byAnalyzer[name]
		changes = append(changes, Change{
			Pass:  PassModernize,
			Title: fmt.Sprintf("modernize/%s: %d fixes", name, a.count),
			Why:   "modern Go idiom: " + strings.Join(a.msgs, "; "),
			edits: a.es,
		})
	}
	return changes, notes, nil
}

// fixEdits converts a suggested fix to edits of module files; fixes outside the module (in
// the build cache or GOROOT) are refused.
func (v *view) fixEdits(fix analysis.SuggestedFix) (edit.Set, bool) {
	es := edit.Set{}
	for _, te := range fix.TextEdits {
		end := te.End
		if !end.IsValid() {
			end = te.Pos
		}
		path, s := v.off(te.Pos)
		_, e := v.off(end)
		if _, ok := v.r.cur[path]; !ok {
			return nil, false
		}
		es.Add(path, edit.Edit{Start: s, End: e, New: string(te.NewText)})
	}
	for p := range es {
		edit.Sort(es[p])
		if err := edit.Validate(len(v.r.cur[p]), es[p]); err != nil {
			return nil, false
		}
	}
	return es, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
