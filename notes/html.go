package notes

import (
	"fmt"
	"html"
	"sort"
	"strings"
)

// HTML renders the notes as an HTML fragment for the live page: summary, smells, duplicated
// blocks, the cells, and the extraction plan. It is self-contained: no scripts, no links out.
func (n *Notes) HTML() []byte {
	var b strings.Builder
	e := html.EscapeString
	fmt.Fprintf(&b, "<h1>Reading notes: <code>%s</code></h1>\n", e(n.Notebook))
	switch {
	case n.Labeled:
		b.WriteString("<p>Sections come from the notebook's labels.</p>\n")
	case n.Suggested:
		b.WriteString("<p class=\"warn\">The notebook has no labels: sections are suggestions (<code>decant doc --write</code> adds them).</p>\n")
	}
	if n.Plan != nil {
		fmt.Fprintf(&b, "<p>%s</p>\n", e(strings.ReplaceAll(planLine(n.Plan), "`", "")))
	} else if n.PlanError != "" {
		fmt.Fprintf(&b, "<p class=\"severe\">The notebook cannot be extracted yet: %s</p>\n", e(firstLine(n.PlanError)))
	}
	b.WriteString("<nav><a href=\"#summary\">Summary</a> · <a href=\"#smells\">Smells</a> · <a href=\"#duplicates\">Duplicates</a> · <a href=\"#cells\">Cells</a> · <a href=\"#plan\">Plan</a></nav>\n")

	b.WriteString("<h2 id=\"summary\">Summary</h2>\n<table><tr><th>Section</th><th>Code cells</th><th>Lines</th><th>TODOs</th><th>Smells</th></tr>\n")
	var tc, tl, tt, ts int
	for _, s := range n.Sections {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"num\">%d</td></tr>\n",
			e(s.Section.String()), e(cellList(s.Cells)), s.Lines, s.Todos, s.Smells)
		tc, tl, tt, ts = tc+len(s.Cells), tl+s.Lines, tt+s.Todos, ts+s.Smells
	}
	fmt.Fprintf(&b, "<tr class=\"total\"><td>total</td><td>%d</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"num\">%d</td></tr>\n</table>\n", tc, tl, tt, ts)

	smells := n.Smells()
	sort.SliceStable(smells, func(i, j int) bool { return smells[i].Severity > smells[j].Severity })
	fmt.Fprintf(&b, "<h2 id=\"smells\">Smells (%d)</h2>\n", len(smells))
	if len(smells) == 0 {
		b.WriteString("<p>None.</p>\n")
	} else {
		b.WriteString("<ul class=\"smells\">\n")
		for _, s := range smells {
			writeSmellHTML(&b, s, true)
		}
		b.WriteString("</ul>\n")
	}

	fmt.Fprintf(&b, "<h2 id=\"duplicates\">Duplicated blocks (%d)</h2>\n", len(n.Duplicates))
	if len(n.Duplicates) == 0 {
		b.WriteString("<p>None.</p>\n")
	} else {
		b.WriteString("<ul>\n")
		for _, d := range n.Duplicates {
			var ps []string
			for _, p := range d.Places {
				ps = append(ps, fmt.Sprintf("<a href=\"#cell-%d\">%s</a>", p.Cell, e(describePlace(p))))
			}
			fmt.Fprintf(&b, "<li>%d statements, %d lines: %s</li>\n", d.Statements, d.Lines, strings.Join(ps, "; "))
		}
		b.WriteString("</ul>\n")
	}

	b.WriteString("<h2 id=\"cells\">Cells</h2>\n")
	for _, c := range n.Cells {
		if c.Type == "markdown" && c.Role != "" {
			fmt.Fprintf(&b, "<h3 class=\"section\" id=\"cell-%d\">%s <small>cell %d: %s</small></h3>\n", c.Index, e(c.heading), c.Index, e(c.Role))
			continue
		}
		if c.Type != "code" {
			continue
		}
		writeCellHTML(&b, c)
	}

	b.WriteString("<h2 id=\"plan\">Extraction plan</h2>\n")
	if n.Plan != nil {
		var sb strings.Builder
		if err := n.Plan.WriteReport(&sb); err == nil {
			fmt.Fprintf(&b, "<pre>%s</pre>\n", e(sb.String()))
		}
	} else {
		fmt.Fprintf(&b, "<pre>%s</pre>\n", e(n.PlanError))
	}
	return []byte(b.String())
}

func writeSmellHTML(b *strings.Builder, s Smell, withCell bool) {
	e := html.EscapeString
	loc := "cell"
	if s.Line > 0 {
		loc = fmt.Sprintf("line %d", s.Line)
	}
	if withCell {
		loc = fmt.Sprintf("<a href=\"#cell-%d\">%s</a>", s.Cell, e(where(s.Cell, s.Line)))
	}
	fmt.Fprintf(b, "<li class=\"%s\">%s · <b>%s</b>: %s", s.Severity, loc, e(string(s.Kind)), e(s.Message))
	switch {
	case s.Noted:
		b.WriteString(" <i>(a TODO there already covers it)</i>")
	case s.Todo != "":
		fmt.Fprintf(b, " <code>// TODO: %s</code>", e(s.Todo))
	}
	b.WriteString("</li>\n")
}

func writeCellHTML(b *strings.Builder, c CellNotes) {
	e := html.EscapeString
	fmt.Fprintf(b, "<div class=\"cell\" id=\"cell-%d\"><h4>Cell %d <small>%s</small></h4>\n<dl>\n", c.Index, c.Index, e(c.Role))
	run := "never run"
	if c.ExecutionCount != nil {
		run = fmt.Sprintf("execution count %d", *c.ExecutionCount)
	}
	fmt.Fprintf(b, "<dt>Size</dt><dd>%s, %s</dd>\n", plural(c.Lines, "line"), run)
	if len(c.Declares) > 0 {
		var ds []string
		for _, d := range c.Declares {
			ds = append(ds, e(d.Kind)+" <code>"+e(strings.ReplaceAll(d.Name, "~", "."))+"</code>")
		}
		fmt.Fprintf(b, "<dt>Declares</dt><dd>%s</dd>\n", strings.Join(ds, ", "))
	}
	if len(c.Uses) > 0 {
		var us []string
		for _, u := range c.Uses {
			us = append(us, fmt.Sprintf("<code>%s</code> (<a href=\"#cell-%d\">cell %d</a>)", e(u.Name), u.Cell, u.Cell))
		}
		fmt.Fprintf(b, "<dt>Uses</dt><dd>%s</dd>\n", strings.Join(us, ", "))
	}
	if len(c.Packages) > 0 {
		fmt.Fprintf(b, "<dt>Packages</dt><dd>%s</dd>\n", e(strings.Join(c.Packages, ", ")))
	}
	if len(c.IO) > 0 {
		b.WriteString("<dt>I/O</dt><dd><ul>")
		for _, x := range c.IO {
			fmt.Fprintf(b, "<li>line %d, %s: <code>%s</code> %s</li>", x.Line, e(x.Kind), e(x.Call), e(x.Target))
		}
		b.WriteString("</ul></dd>\n")
	}
	for _, k := range c.Commands {
		fmt.Fprintf(b, "<dt>Kernel command</dt><dd>%s</dd>\n", e(k))
	}
	if len(c.Becomes) > 0 {
		fmt.Fprintf(b, "<dt>In the service</dt><dd>%s</dd>\n", e(strings.Join(c.Becomes, "; ")))
	}
	if len(c.Todos) > 0 {
		b.WriteString("<dt>Notes</dt><dd><ul>")
		for _, t := range c.Todos {
			fmt.Fprintf(b, "<li>line %d: %s %s</li>", t.Line, e(t.Tag), e(t.Text))
		}
		b.WriteString("</ul></dd>\n")
	}
	if len(c.Smells) > 0 {
		b.WriteString("<dt>Smells</dt><dd><ul class=\"smells\">")
		for _, s := range c.Smells {
			writeSmellHTML(b, s, false)
		}
		b.WriteString("</ul></dd>\n")
	}
	b.WriteString("</dl></div>\n")
}

// Page wraps a notes fragment into a complete HTML page that keeps itself up to date: it
// listens to Server-Sent Events on /events ("notes" events carry a new fragment) and swaps the
// fragment in. Everything is inline; the page loads nothing else.
func Page(title string, fragment []byte, version int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, pageHead, html.EscapeString(title))
	fmt.Fprintf(&b, "<div id=\"status\">live: waiting for changes</div>\n<main id=\"notes\" data-version=\"%d\">\n", version)
	b.Write(fragment)
	b.WriteString("</main>\n")
	b.WriteString(pageScript)
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String())
}

const pageHead = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 64rem; padding: 0 1rem 4rem; color: #222; }
code, pre { font: 13px/1.4 ui-monospace, monospace; }
pre { background: #f6f6f6; padding: .75rem; overflow-x: auto; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ddd; padding: .2rem .6rem; text-align: left; }
td.num { text-align: right; }
tr.total { font-weight: bold; }
nav { margin: .5rem 0 1rem; }
#status { position: sticky; top: 0; background: #eef6ee; padding: .3rem .6rem; font-size: 13px; }
#status.stale { background: #fbeaea; }
.cell { border-left: 3px solid #ccd; padding: .1rem .8rem; margin: .8rem 0; }
.cell h4 { margin: .3rem 0; }
small { color: #666; font-weight: normal; }
dl { display: grid; grid-template-columns: 9rem 1fr; gap: .1rem .8rem; margin: .3rem 0; }
dt { color: #555; }
dd { margin: 0; }
dd ul { margin: 0; padding-left: 1.1rem; }
li.severe { color: #a40000; }
li.warning { color: #7a4b00; }
p.warn { color: #7a4b00; }
p.severe { color: #a40000; }
h3.section { border-bottom: 2px solid #99a; }
</style>
</head>
<body>
`

const pageScript = `<script>
(function () {
  var status = document.getElementById('status');
  var notes = document.getElementById('notes');
  if (!window.EventSource) { status.textContent = 'live updates need EventSource'; return; }
  var es = new EventSource('/events');
  es.addEventListener('notes', function (ev) {
    if (ev.lastEventId && ev.lastEventId === notes.getAttribute('data-version')) { status.textContent = 'live'; return; }
    notes.innerHTML = ev.data;
    notes.setAttribute('data-version', ev.lastEventId);
    status.className = '';
    status.textContent = 'live: updated ' + new Date().toLocaleTimeString();
  });
  es.addEventListener('problem', function (ev) {
    status.className = 'stale';
    status.textContent = 'the notebook does not read right now (showing the last good notes): ' + ev.data;
  });
  es.onerror = function () { status.className = 'stale'; status.textContent = 'disconnected; retrying'; };
})();
</script>
`
