// Package score checks the items of the ML Test Score (Breck, Cai, Nielsen, Salib and Sculley,
// "The ML Test Score: A Rubric for ML Production Readiness and Technical Debt Reduction", 2017)
// that a service repository can show by itself, and points at the evidence for each.
//
// The evidence is read, not guessed from file names: Go files are parsed, and a syntactic
// reference graph says which tests run which functions and whether they assert anything; the
// manifest Decant writes says which notebook section each declaration came from (features come
// from the processing section, the model from the calculation section); go.mod and go.sum are
// parsed; a load baseline is recognized by its content.
//
// Credit follows the paper: half a point for a test that exists but is partial or not run
// automatically, a full point when it runs automatically, as part of go test, make or CI. Items
// that need production data, telemetry or experiments the repository cannot hold score zero and
// say so. A section's score is the sum of its items; the final score is the lowest section's.
package score

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Sections of the rubric.
const (
	Data    = "Data"
	Model   = "Model"
	Infra   = "Infrastructure"
	Monitor = "Monitoring"
)

// Item is one rubric test and what the repository shows of it.
type Item struct {
	ID       string     `json:"id"`
	Section  string     `json:"section"`
	Title    string     `json:"title"`
	Checked  bool       `json:"checked"` // false: the repository cannot show this item
	Points   float64    `json:"points"`  // 0, 0.5 or 1
	Evidence []Evidence `json:"evidence,omitempty"`
	Missing  []string   `json:"missing,omitempty"` // what would earn the rest of the point
}

// Evidence is one thing found in the repository, at file:line (or a file or directory).
type Evidence struct {
	Where string `json:"where"`
	What  string `json:"what"`
}

// Section is a rubric section's total.
type Section struct {
	Name   string  `json:"name"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"` // points the repository can show in this section
}

// Result is the score of a repository.
type Result struct {
	Dir      string    `json:"dir"`
	Items    []Item    `json:"items"`
	Sections []Section `json:"sections"`
	Score    float64   `json:"score"`  // the lowest section's points
	Lowest   string    `json:"lowest"` // the section that sets the score
	Band     string    `json:"band"`
	// Unreadable lists files that could not be read (not regular, too large, no permission),
	// so a score is never silently based on less than the repository.
	Unreadable []string `json:"unreadable,omitempty"`
}

// Git is what the checks need to know of a repository's version control.
type Git struct {
	Head     string          // commit hash
	Branch   string          // checked-out branch, or "detached"
	Tracked  map[string]bool // slash paths in HEAD's tree
	Modified map[string]bool // tracked paths whose working copy differs from HEAD
}

// Check scores the repository in fsys. g describes its git state, or is nil when it is not
// under version control.
func Check(fsys fs.FS, g *Git) (*Result, error) {
	r, err := loadRepo(fsys, g)
	if err != nil {
		return nil, err
	}
	res := &Result{Unreadable: r.unreadable}
	for _, c := range rubric() {
		var it Item
		if c.run != nil {
			it = c.run(r)
			it.Checked = true
		} else {
			it.Missing = []string{"not checkable from a repository: " + c.why}
		}
		it.ID, it.Section, it.Title = c.id, c.section, c.title
		res.Items = append(res.Items, it)
	}
	for _, name := range []string{Data, Model, Infra, Monitor} {
		s := Section{Name: name}
		for _, it := range res.Items {
			if it.Section == name {
				s.Points += it.Points
				if it.Checked {
					s.Max++
				}
			}
		}
		res.Sections = append(res.Sections, s)
		if len(res.Sections) == 1 || s.Points < res.Score {
			res.Score, res.Lowest = s.Points, name
		}
	}
	res.Band = Band(res.Score)
	return res, nil
}

// Dir scores the repository in a directory, reading its git state when it has one.
func Dir(dir string) (*Result, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the repository: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("reading the repository: %s is not a directory", dir)
	}
	g, err := ReadGit(dir)
	if err != nil {
		return nil, err
	}
	res, err := Check(os.DirFS(dir), g)
	if err != nil {
		return nil, err
	}
	res.Dir = dir
	return res, nil
}

// Band names a score's band, as the 2017 paper defines them.
func Band(score float64) string {
	switch {
	case score <= 0:
		return "more of a research project than a productionized system"
	case score <= 1:
		return "not totally untested, but serious holes in reliability are possible"
	case score <= 2:
		return "a first pass at productionization; more investment may be needed"
	case score <= 3:
		return "reasonably tested; more tests and procedures may be automated"
	case score <= 5:
		return "strong automated testing and monitoring, fit for mission-critical systems"
	}
	return "exceptional automated testing and monitoring"
}

// JSON returns the result as indented JSON with a final newline.
func (res *Result) JSON() ([]byte, error) {
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the score: %w", err)
	}
	return append(js, '\n'), nil
}

// WriteText writes the result for people: each checked item with its evidence (+) and what is
// missing (-), the unchecked items on one line per section, then the score and its band.
func (res *Result) WriteText(w io.Writer) error {
	var sb strings.Builder
	name := res.Dir
	if name == "" {
		name = "the repository"
	}
	fmt.Fprintf(&sb, "ML Test Score for %s\n", name)
	for _, u := range res.Unreadable {
		fmt.Fprintf(&sb, "not read: %s\n", u)
	}
	sb.WriteString("(Breck et al. 2017: ½ point when partial or manual, 1 when automated; the score is the lowest section)\n")
	for _, s := range res.Sections {
		fmt.Fprintf(&sb, "\n%s: %s points (%s checkable here)\n", s.Name, points(s.Points), points(s.Max))
		var unchecked []string
		for _, it := range res.Items {
			if it.Section != s.Name {
				continue
			}
			if !it.Checked {
				unchecked = append(unchecked, it.ID)
				continue
			}
			fmt.Fprintf(&sb, "  %-4s %-3s %s\n", it.ID, points(it.Points), it.Title)
			for _, e := range it.Evidence {
				fmt.Fprintf(&sb, "         + %s: %s\n", e.Where, e.What)
			}
			for _, m := range it.Missing {
				fmt.Fprintf(&sb, "         - %s\n", m)
			}
		}
		if len(unchecked) > 0 {
			fmt.Fprintf(&sb, "  %s: 0, not checkable from a repository\n", strings.Join(unchecked, " "))
		}
	}
	fmt.Fprintf(&sb, "\nscore %s (lowest section: %s): %s\n", points(res.Score), res.Lowest, res.Band)
	_, err := io.WriteString(w, sb.String())
	return err
}

// points formats a score with ½ for halves.
func points(p float64) string {
	whole := int(p)
	switch half := p - float64(whole); {
	case half == 0:
		return fmt.Sprint(whole)
	case half == 0.5 && whole == 0:
		return "½"
	case half == 0.5:
		return fmt.Sprintf("%d½", whole)
	}
	return fmt.Sprintf("%.2f", p)
}
