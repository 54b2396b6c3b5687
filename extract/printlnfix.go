package extract

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

// go vet's printf check reports fmt.Println("done\n") ("arg list ends with redundant newline")
// and offers no fix: dropping the "\n" would print one newline fewer. The call has an exactly
// equivalent form, which vet accepts. Println(a1, …, an) prints each operand as %v does (both
// call printArg with verb 'v' and no flags set, so Formatter, error, Stringer and nil operands
// take the same path), separated by single spaces, then a newline: it prints what
// Printf("%v %v … %v\n", a1, …, an) prints. A string literal operand is the same whether
// printed with %v or written into the format (with its % doubled), so literals are folded into
// the format, and a call left with no operand becomes a Print of one literal. The log package's
// Println, Fatalln and Panicln format with fmt.Sprintln (or Appendln) where their f variants use
// Sprintf (or Appendf), and add a newline only when the text does not end with one, which it
// then always does: the same rewrite is exact for them.

// redundantNewlineRE matches the printf check's diagnostic, naming the function called.
var redundantNewlineRE = regexp.MustCompile(`^(\S+) arg list ends with redundant newline$`)

// lineBreakRE matches a line break of a call and the indentation around it.
var lineBreakRE = regexp.MustCompile(`[ \t]*\n[ \t]*`)

// lnForms are the Println-style functions whose Printf- and Print-style counterparts print the
// same (given the operands as above), with how many leading arguments are not printed (a
// writer, a buffer).
var lnForms = map[string]struct {
	lead     int
	f, plain string
}{
	"fmt.Println":           {0, "Printf", "Print"},
	"fmt.Fprintln":          {1, "Fprintf", "Fprint"},
	"fmt.Sprintln":          {0, "Sprintf", "Sprint"},
	"fmt.Appendln":          {1, "Appendf", "Append"},
	"log.Println":           {0, "Printf", "Print"},
	"log.Fatalln":           {0, "Fatalf", "Fatal"},
	"log.Panicln":           {0, "Panicf", "Panic"},
	"(*log.Logger).Println": {0, "Printf", "Print"},
	"(*log.Logger).Fatalln": {0, "Fatalf", "Fatal"},
	"(*log.Logger).Panicln": {0, "Panicf", "Panic"},
}

// lnRewrite is the rewrite of one Println-style call: the edits (offsets in the file) and the
// call as rewritten, for the report.
type lnRewrite struct {
	edits []edit
	call  string
}

type edit struct {
	start, end int
	text       string
}

// rewriteRedundantNewline rewrites the Println-style call fn (as vet names it: fmt.Println,
// (*log.Logger).Println) that starts at line:col of src into the Printf- or Print-style call
// that prints exactly the same. The edits keep every line where it is: operands are folded into
// the format only when the call is on one line and holds no comment. It reports false for any
// call it cannot rewrite exactly (a spread ...args, a function it does not know).
func rewriteRedundantNewline(src []byte, line, col int, fn string) (lnRewrite, bool) {
	form, ok := lnForms[fn]
	if !ok || line < 1 || col < 1 {
		return lnRewrite{}, false
	}
	name := fn[strings.LastIndexAny(fn, ".")+1:]
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return lnRewrite{}, false
	}
	tf := fset.File(f.Pos())
	if line > tf.LineCount() {
		return lnRewrite{}, false
	}
	at := tf.LineStart(line) + token.Pos(col-1)
	var call *ast.CallExpr
	var sel *ast.SelectorExpr
	ast.Inspect(f, func(n ast.Node) bool {
		if call != nil {
			return false
		}
		c, ok := n.(*ast.CallExpr)
		if !ok || c.Pos() != at {
			return true
		}
		if s, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr); ok && s.Sel.Name == name {
			call, sel = c, s
			return false
		}
		return true
	})
	if call == nil || call.Ellipsis.IsValid() || len(call.Args) <= form.lead {
		return lnRewrite{}, false
	}
	off := func(p token.Pos) int { return tf.Offset(p) }
	operands := call.Args[form.lead:]
	oneLine := tf.Line(call.Lparen) == tf.Line(call.Rparen)
	for _, cg := range f.Comments {
		if cg.Pos() < call.Rparen && cg.End() > call.Lparen {
			oneLine = false // folding would drop the comment
		}
	}
	var parts, rest []string
	var plain strings.Builder // the operands' text, when every one is folded
	percent := false
	for i, a := range operands {
		text := string(src[off(a.Pos()):off(a.End())])
		body, ok := foldable(a, text)
		if !oneLine || !ok {
			parts = append(parts, "%v")
			rest = append(rest, text)
			continue
		}
		parts = append(parts, strings.ReplaceAll(body, "%", "%%"))
		percent = percent || strings.Contains(body, "%")
		if i > 0 {
			plain.WriteString(" ")
		}
		plain.WriteString(body)
	}
	newName, format := form.f, `"`+strings.Join(parts, " ")+`\n"`
	if len(rest) == 0 && !percent {
		// Every operand folded: the most direct form is the text itself, printed.
		newName, format = form.plain, `"`+plain.String()+`\n"`
	}
	first, last := operands[0], operands[len(operands)-1]
	rw := lnRewrite{edits: []edit{{off(sel.Sel.Pos()), off(sel.Sel.End()), newName}}}
	if oneLine {
		rw.edits = append(rw.edits, edit{off(first.Pos()), off(last.End()), strings.Join(append([]string{format}, rest...), ", ")})
	} else {
		// Only insert the format: every operand stays on its line.
		rw.edits = append(rw.edits, edit{off(first.Pos()), off(first.Pos()), format + ", "})
	}
	// The call as rewritten, for the report: the edits applied to the call's own text.
	start := off(call.Pos())
	text := []byte(string(src[start:off(call.End())]))
	for i := len(rw.edits) - 1; i >= 0; i-- {
		e := rw.edits[i]
		text = append(text[:e.start-start:e.start-start], append([]byte(e.text), text[e.end-start:]...)...)
	}
	rw.call = lineBreakRE.ReplaceAllString(string(text), " ")
	return rw, true
}

// foldable reports whether operand a, whose source is text, can be written into a format
// as is, and returns its body (the literal between its quotes): an interpreted string literal
// whose value has a % exactly where its source does (no escape such as \x25 spells one).
func foldable(a ast.Expr, text string) (string, bool) {
	lit, ok := a.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING || !strings.HasPrefix(text, `"`) {
		return "", false
	}
	v, err := strconv.Unquote(text)
	if err != nil || strings.Count(v, "%") != strings.Count(text, "%") {
		return "", false
	}
	return text[1 : len(text)-1], true
}

// describeLnRewrite says what was done instead of the fix vet does not offer.
func describeLnRewrite(fn, call string) string {
	return fmt.Sprintf("go vet offers no fix, and dropping the newline would change what %s prints: rewrote the call as %s, which prints exactly the same", fn, call)
}
