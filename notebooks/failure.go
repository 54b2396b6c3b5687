package notebooks

import (
	"regexp"
	"strconv"
	"strings"
)

// Failure is what a cell's saved outputs show of a run that failed.
type Failure struct {
	// What names the kind of failure: "an error", "a compile error", "a panic", "an interrupt",
	// "a failed run" or "a build error".
	What string
	// Message is the first line of what the kernel reported, such as "panic: die!".
	Message string
}

// String describes the failure for a report: `a panic ("panic: die!")`.
func (f Failure) String() string {
	if f.Message == "" {
		return f.What
	}
	msg := f.Message
	if r := []rune(msg); len(r) > 120 {
		msg = string(r[:117]) + "..."
	}
	return f.What + " (" + strconv.Quote(msg) + ")"
}

// Failed reports whether the saved outputs of c show that its run failed, read the way the
// notebook's kernel records a failure:
//   - GoNB and gophernotes send an error output. Old gophernotes versions also sent gomacro's
//     warnings ("// warning: redefined identifier: err") as one, for cells that ran to the end
//     and whose variables later cells use: an error made of warnings alone is no failure.
//   - lgo writes compile errors, panics and interrupts to stderr as a stream: "3:1: expected
//     operand, found '}'" lines; "panic: …" followed by the goroutine's stack; "interrupted" (the
//     versions that wrote it) or "main routine canceled"; "Failed to build a shared library …".
//     Anything else a cell writes to stderr is its own output, not a failure.
func (nb *Notebook) Failed(c *Cell) (Failure, bool) {
	for _, o := range c.Outputs {
		if o.Type == "error" && !warningsOnly(o.EValue) {
			msg := firstLine(o.EValue)
			if o.EName != "" && o.EName != "ERROR" {
				msg = o.EName + ": " + msg
			}
			return Failure{What: "an error", Message: msg}, true
		}
	}
	if !strings.Contains(strings.ToLower(nb.KernelName()), "lgo") {
		return Failure{}, false
	}
	var stderr strings.Builder
	for _, o := range c.Outputs {
		if o.Type == "stream" && o.Name == "stderr" {
			stderr.WriteString(o.Text)
		}
	}
	return lgoFailure(stderr.String())
}

// lgoFailure reads what lgo wrote to a cell's stderr.
func lgoFailure(text string) (Failure, bool) {
	if m := lgoPanicRE.FindStringSubmatch(text); m != nil {
		return Failure{What: "a panic", Message: "panic: " + m[1]}, true
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return Failure{}, false
	}
	compile := true
	for _, l := range lines {
		compile = compile && lgoCompileErrorRE.MatchString(l)
	}
	last := lines[len(lines)-1]
	switch {
	case compile:
		return Failure{What: "a compile error", Message: lines[0]}, true
	case len(lines) == 1 && last == "interrupted":
		return Failure{What: "an interrupt", Message: last}, true
	case strings.HasPrefix(last, "Failed to build a shared library of "):
		return Failure{What: "a build error", Message: last}, true
	case lgoRoutinesRE.MatchString(last):
		if strings.Contains(last, "failed") {
			return Failure{What: "a failed run", Message: last}, true
		}
		return Failure{What: "an interrupt", Message: last}, true
	}
	return Failure{}, false
}

var (
	// lgoPanicRE matches lgo's report of a panic: the value, a blank line, then debug.Stack's
	// first line.
	lgoPanicRE = regexp.MustCompile(`(?m)^panic: (.*)\n\ngoroutine \d+ \[`)
	// lgoCompileErrorRE matches a line of lgo's compile errors: a position in the cell (line:col)
	// and the message; the last may say how many more there were.
	lgoCompileErrorRE = regexp.MustCompile(`^\d+:\d+: \S`)
	// lgoRoutinesRE matches how lgo ends a run that did not finish normally: which routines
	// failed, were canceled or still hang.
	lgoRoutinesRE = regexp.MustCompile(`^(main routine (failed|canceled|is hanging)|\d+ goroutines? (failed|canceled|is hanging|are hanging))(, \d+ goroutines? (failed|canceled|is hanging|are hanging))*$`)
)

// warningsOnly reports whether an error's value holds only gomacro warnings.
func warningsOnly(v string) bool {
	any := false
	for _, l := range strings.Split(v, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if !strings.HasPrefix(l, "// warning: ") {
			return false
		}
		any = true
	}
	return any
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(l)
}
