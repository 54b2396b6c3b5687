package proxy

import (
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
)

// GoNB shows a failed build (and a cell it cannot parse) only as an HTML
// report, a display_data; its error message says no more than
// `failed to run "go build …": exit status 1`. The kernel keeps the report
// and rebuilds the error from it: the compiler's messages, each at the
// cell and line it points at, so that clients that show only the error
// (nbconvert, nbclient, jupyter_client scripts) see the cause.

// reportItem is one line of GoNB's error report.
type reportItem struct {
	gonbCell int    // GoNB's count of the cell, from "Cell[N]: Line L"; 0 if none
	line     int    // the cell's line (1-based), with gonbCell or found by the kernel
	cell     int    // the kernel's execution count of the cell; 0 if unknown
	code     string // the cell's source, when cell is known
	location string
	message  string
	context  []string // main.go lines around the error
	errLine  int      // index of the failing line in context; -1 if none
}

var (
	reCellInfo = regexp.MustCompile(`^Cell\[(\d+)\]: Line (\d+)$`)
	reTag      = regexp.MustCompile(`<[^>]*>`)
	// GoNB's generated package name, which go build prints as a header.
	reGoNBPackage = regexp.MustCompile(`^# gonb_[0-9a-f]+$`)
)

// parseErrorReport reads the items of GoNB's HTML error report (see
// GoNB's goexec/errorpublish.go: per error an optional
// gonb-cell-line-info span, a gonb-err-location span followed by the
// message, and a gonb-err-context div; lines without a location are in
// white-space:pre spans). A report that is a bare <pre> block gives one
// item per line. ok is false when html is no GoNB error report.
func parseErrorReport(report string) (items []reportItem, ok bool) {
	if i := strings.Index(report, "</style>"); i >= 0 {
		report = report[i+len("</style>"):]
	}
	if !strings.Contains(report, "gonb-err-location") && !strings.Contains(report, "white-space: pre;") {
		body, found := strings.CutPrefix(strings.TrimSpace(report), "<pre>")
		if !found {
			return nil, false
		}
		body = strings.TrimSuffix(body, "</pre>")
		for _, l := range strings.Split(body, "\n") {
			if l = strings.TrimSpace(l); l != "" && !reGoNBPackage.MatchString(l) {
				items = append(items, reportItem{message: l, errLine: -1})
			}
		}
		return items, true
	}
	// Each item ends with <br/>.
	for _, chunk := range strings.Split(report, "<br/>") {
		var it reportItem
		it.errLine = -1
		if i := strings.Index(chunk, `<span class="gonb-cell-line-info">`); i >= 0 {
			rest := chunk[i+len(`<span class="gonb-cell-line-info">`):]
			info, _, _ := strings.Cut(rest, "</span>")
			if m := reCellInfo.FindStringSubmatch(strings.TrimSpace(info)); m != nil {
				it.gonbCell, _ = strconv.Atoi(m[1])
				it.line, _ = strconv.Atoi(m[2])
			}
		}
		if i := strings.Index(chunk, `<span class="gonb-err-location">`); i >= 0 {
			rest := chunk[i+len(`<span class="gonb-err-location">`):]
			loc, rest, _ := strings.Cut(rest, "</span>")
			msg, ctx, _ := strings.Cut(rest, `<div class="gonb-err-context">`)
			it.location = strings.TrimSpace(html.UnescapeString(loc))
			it.message = strings.TrimSpace(html.UnescapeString(reTag.ReplaceAllString(msg, "")))
			ctx, _, _ = strings.Cut(ctx, "</div>\n\n")
			it.context, it.errLine = contextLines(ctx)
			items = append(items, it)
			continue
		}
		if i := strings.Index(chunk, `<span style="white-space: pre;">`); i >= 0 {
			text, _, _ := strings.Cut(chunk[i+len(`<span style="white-space: pre;">`):], "</span>")
			text = strings.TrimSpace(html.UnescapeString(text))
			if text != "" && !reGoNBPackage.MatchString(text) {
				it.message = text
				items = append(items, it)
			}
		}
	}
	return items, len(items) > 0
}

// contextLines splits a gonb-err-context div into text lines and finds the
// one GoNB marked as failing.
func contextLines(ctx string) ([]string, int) {
	const mark = `<div class="gonb-err-line">`
	errText := ""
	if i := strings.Index(ctx, mark); i >= 0 {
		rest := ctx[i+len(mark):]
		errText, _, _ = strings.Cut(rest, "</div>")
		errText = strings.TrimSuffix(errText, "\n")
		// Put the marked line on a line of its own, with a sentinel.
		ctx = ctx[:i] + "\x00" + errText + "\n" + strings.TrimPrefix(rest[len(errText):], "\n</div>")
		ctx = strings.Replace(ctx, "</div>", "", 1)
	}
	var lines []string
	errLine := -1
	for _, l := range strings.Split(strings.Trim(ctx, "\n"), "\n") {
		if strings.HasPrefix(l, "\x00") {
			l = l[1:]
			errLine = len(lines)
		}
		lines = append(lines, html.UnescapeString(l))
	}
	return lines, errLine
}

// sentCell is a cell sent to the current GoNB: GoNB's count for it, the
// kernel's, and its source.
type sentCell struct {
	gonb, count int
	code        string
}

// locate finds the cell and line of a report item: from GoNB's cell info
// (its count mapped to the kernel's), else by finding the failing line in
// the current cell, else in the cells sent before it (a memorized
// declaration), newest first. GoNB formats main.go with goimports, so
// lines are compared without blanks.
func locate(it *reportItem, sent []sentCell) {
	if it.gonbCell > 0 {
		for _, c := range sent {
			if c.gonb == it.gonbCell {
				it.cell, it.code = c.count, c.code
				return
			}
		}
		return
	}
	if it.errLine < 0 || it.errLine >= len(it.context) {
		return
	}
	want := squash(it.context[it.errLine])
	if want == "" {
		return
	}
	for i := len(sent) - 1; i >= 0; i-- {
		lines := strings.Split(sent[i].code, "\n")
		best, bestScore := -1, -1
		for n, l := range lines {
			if squash(l) != want {
				continue
			}
			// Prefer the match whose neighbours agree with the context.
			score := 0
			for d := 1; d <= 3; d++ {
				if n-d >= 0 && it.errLine-d >= 0 && squash(lines[n-d]) == squash(it.context[it.errLine-d]) {
					score++
				}
				if n+d < len(lines) && it.errLine+d < len(it.context) && squash(lines[n+d]) == squash(it.context[it.errLine+d]) {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = n, score
			}
		}
		if best >= 0 {
			it.cell, it.line, it.code = sent[i].count, best+1, sent[i].code
			return
		}
	}
}

func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// where names an item's place for people: "Cell [5], line 3".
func (it reportItem) where() string {
	switch {
	case it.cell > 0 && it.line > 0:
		return fmt.Sprintf("Cell [%d], line %d", it.cell, it.line)
	case it.line > 0:
		return fmt.Sprintf("line %d", it.line)
	}
	return ""
}

// cellContext shows the cell's lines around the failing one, numbered as
// in the cell, or "" when the cell's source is unknown.
func (it reportItem) cellContext() string {
	lines := strings.Split(it.code, "\n")
	if it.code == "" || it.line < 1 || it.line > len(lines) {
		return ""
	}
	var b strings.Builder
	from, to := max(1, it.line-2), min(len(lines), it.line+2)
	width := len(strconv.Itoa(to))
	for n := from; n <= to; n++ {
		mark := "   "
		if n == it.line {
			mark = "-->"
		}
		fmt.Fprintf(&b, "%s %*d | %s\n", mark, width, n, lines[n-1])
	}
	return strings.TrimRight(b.String(), "\n")
}

// compileErrorContent builds the error content for a cell whose build
// failed: ename from what GoNB was doing, evalue the first message with
// its cell and line, the traceback every message with its context.
func compileErrorContent(items []reportItem, gonbEName, gonbEValue string) map[string]any {
	ename := gonbEName
	switch {
	case strings.Contains(gonbEValue, "go build") || strings.Contains(gonbEValue, "parsing go files"):
		ename = "CompileError"
	case strings.Contains(gonbEValue, "go get"):
		ename = "GoGetError"
	case strings.Contains(gonbEValue, "goimports"):
		ename = "GoImportsError"
	}
	var first string
	n := 0
	var tb []string
	for _, it := range items {
		head := it.message
		if w := it.where(); w != "" {
			head = w + ": " + it.message
		}
		if it.location != "" {
			n++
			if first == "" {
				first = head
			}
		}
		tb = append(tb, "\x1b[0;31m"+head+"\x1b[0m")
		if c := it.cellContext(); c != "" {
			tb = append(tb, c)
		} else if len(it.context) > 0 {
			var b strings.Builder
			for i, l := range it.context {
				prefix := "    "
				if i == it.errLine {
					prefix = "--> "
				}
				b.WriteString(prefix + l + "\n")
			}
			tb = append(tb, strings.TrimRight(b.String(), "\n"))
		}
	}
	if first == "" {
		// No compiler message: the first line that is not GoNB's own
		// "failed to run" (go get's and goimports' complaints).
		for _, it := range items {
			if !strings.HasPrefix(it.message, "failed to run ") {
				first = it.message
				break
			}
		}
	}
	evalue := first
	if n > 1 {
		evalue += fmt.Sprintf(" (and %d more)", n-1)
	}
	if evalue == "" {
		evalue = gonbEValue
	}
	if gonbEValue != "" && n == 0 {
		// Without a located message GoNB's own words may still help.
		tb = append(tb, "("+gonbEValue+")")
	}
	return errorContent(ename, evalue, tb)
}

// reGoNBCellRef matches GoNB's references to a cell by its count: the
// "Cell[N]: Line L" of error reports and the "[[ Cell [N] Line L ]]" of
// panic traces.
var reGoNBCellRef = regexp.MustCompile(`Cell ?\[(\d+)\]`)

// mapCellRefs rewrites GoNB's cell counts in text to the kernel's, which
// are the ones the notebook shows.
func mapCellRefs(text string, sent []sentCell) string {
	if !strings.Contains(text, "Cell") {
		return text
	}
	return reGoNBCellRef.ReplaceAllStringFunc(text, func(m string) string {
		sub := reGoNBCellRef.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[1])
		for _, c := range sent {
			if c.gonb == n {
				return strings.Replace(m, sub[1], strconv.Itoa(c.count), 1)
			}
		}
		return m
	})
}

// annotateReport adds the cell and line the kernel found to the items of
// GoNB's HTML report that lack them, and maps GoNB's counts in the rest.
func annotateReport(report string, items []reportItem, sent []sentCell) string {
	report = mapCellRefs(report, sent)
	const loc = `<span class="gonb-err-location">`
	parts := strings.Split(report, loc)
	if len(parts) == 1 {
		return report
	}
	located := 0
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		// Find the item for this location (items with a location, in order).
		for located < len(items) && items[located].location == "" {
			located++
		}
		if located < len(items) && items[located].gonbCell == 0 && items[located].cell > 0 {
			fmt.Fprintf(&b, `<span class="gonb-cell-line-info">Cell[%d]: Line %d</span>`+"\n", items[located].cell, items[located].line)
		}
		located++
		b.WriteString(loc + p)
	}
	return b.String()
}
