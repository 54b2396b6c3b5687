package extract

import (
	"regexp"
	"strings"
)

// Section is the part of the service a cell belongs to, following the talk's three labels.
type Section int

const (
	// Exploration is code before the first label or marked //decant:skip. It is left out unless
	// labeled code uses it.
	Exploration Section = iota
	// Preparation is I/O: databases, files, network, configuration.
	Preparation
	// Processing is pre- and post-processing.
	Processing
	// Calculation is training, scoring and prediction.
	Calculation
	// Test holds %test cells and Test/Benchmark/Fuzz/Example functions.
	Test
)

var sectionNames = [...]string{"exploration", "preparation", "processing", "calculation", "test"}

func (s Section) String() string {
	if int(s) < len(sectionNames) {
		return sectionNames[s]
	}
	return "unknown"
}

// MarshalText makes sections readable in the JSON report.
func (s Section) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// File is the Go file of the package that holds the section's declarations.
func (s Section) File() string {
	switch s {
	case Preparation:
		return "preparation.go"
	case Processing:
		return "preprocessing.go"
	case Calculation:
		return "prediction.go"
	}
	return ""
}

// synonyms maps the words a heading may start with to a section. Longer phrases come first so
// that "pre/post processing" is not read as something shorter.
var synonyms = []struct {
	words   string
	section Section
}{
	{"pre/post processing", Processing},
	{"pre/post-processing", Processing},
	{"pre/postprocessing", Processing},
	{"pre processing", Processing},
	{"post processing", Processing},
	{"pre-processing", Processing},
	{"post-processing", Processing},
	{"preprocessing", Processing},
	{"postprocessing", Processing},
	{"feature engineering", Processing},
	{"data preparation", Preparation},
	{"data loading", Preparation},
	{"loading data", Preparation},
	{"load data", Preparation},
	{"preparation", Preparation},
	{"setup", Preparation},
	{"set up", Preparation},
	{"calculation", Calculation},
	{"prediction", Calculation},
	{"modelling", Calculation},
	{"modeling", Calculation},
	{"model", Calculation},
	{"training", Calculation},
	{"inference", Calculation},
	{"execution", Calculation},
}

var numbering = regexp.MustCompile(`^(?:step\s*)?\d+\s*[.):]?\s*`)

// ParseLabel reports the section a label text names: "1. Preparation", "2. Pre/Post processing",
// "Calculation code", "3) model training". Numbering is optional and case is ignored. With strict
// set (code comments, where a false label would silently move code), the text must be numbered or
// consist of the label words alone, optionally followed by "code".
func ParseLabel(text string, strict bool) (Section, bool) {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.Trim(t, "*_` ")
	rest := numbering.ReplaceAllString(t, "")
	numbered := rest != t
	rest = strings.TrimSpace(rest)
	for _, s := range synonyms {
		if !strings.HasPrefix(rest, s.words) {
			continue
		}
		tail := strings.TrimSpace(rest[len(s.words):])
		if tail != "" && isWordByte(tail[0]) && !strings.HasPrefix(rest[len(s.words):], " ") {
			continue // "modelling" must not match "model" + "ling"
		}
		if strict && !numbered && tail != "" && tail != "code" {
			return Exploration, false
		}
		return s.section, true
	}
	return Exploration, false
}

func isWordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// headingLabel returns the section named by the first label heading of a markdown cell, and
// every heading seen (for reports).
func headingLabel(src string) (sec Section, ok bool, heading string, headings []string) {
	for _, line := range strings.Split(src, "\n") {
		l := strings.TrimSpace(line)
		if !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimLeft(l, "#")
		if len(l)-len(h) > 6 || (h != "" && h[0] != ' ' && h[0] != '\t') {
			continue
		}
		h = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(h), "#"))
		headings = append(headings, h)
		if !ok {
			if s, found := ParseLabel(h, false); found {
				sec, ok, heading = s, true, h
			}
		}
	}
	return sec, ok, heading, headings
}

// commentLabel reads a label from the first line of a code cell: "// 1. Preparation" or, as the
// talk writes it, "# 1. Preparation". It reports whether the line must be removed before the
// cell is handed to Go: "#" is not Go, and "//" labels are not documentation.
func commentLabel(src string) (sec Section, ok bool, strip bool) {
	first, _, _ := strings.Cut(src, "\n")
	first = strings.TrimSpace(first)
	switch {
	case strings.HasPrefix(first, "//") && !strings.HasPrefix(first, "//gonb:") && !strings.HasPrefix(first, "//decant:"):
		// The label is not documentation of what follows: it is dropped like "#" labels.
		sec, ok = ParseLabel(strings.TrimPrefix(first, "//"), true)
		return sec, ok, ok
	case strings.HasPrefix(first, "#") && !strings.HasPrefix(first, "#!"):
		sec, ok = ParseLabel(strings.TrimLeft(first, "# "), true)
		return sec, ok, ok
	}
	return Exploration, false, false
}

// tagLabel reads a label from cell tags.
func tagLabel(tags []string) (Section, bool, string) {
	for _, t := range tags {
		switch strings.ToLower(t) {
		case "preparation", "setup":
			return Preparation, true, t
		case "preprocessing", "postprocessing", "processing":
			return Processing, true, t
		case "calculation", "prediction":
			return Calculation, true, t
		}
	}
	return Exploration, false, ""
}

func hasSkipMarker(src string) bool {
	for _, line := range strings.Split(src, "\n") {
		if strings.TrimSpace(line) == "//decant:skip" {
			return true
		}
	}
	return false
}

// LabelLine reports whether a code cell's first line is a section label ("# 1. Preparation",
// "// 2. Pre/Post processing"), which extraction blanks before reading the cell as Go.
func LabelLine(src string) bool {
	_, ok, strip := commentLabel(src)
	return ok && strip
}
