package proxy

import (
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"

	"github.com/decant-go/decant/notebooks/gonbcell"
)

// Completeness is the answer to an is_complete_request.
type Completeness struct {
	// Status is "complete", "incomplete" or "invalid".
	Status string `json:"status"`
	// Indent is what a console should type on the next line of an
	// incomplete cell: one tab per open bracket, as gofmt indents.
	Indent string `json:"indent,omitempty"`
}

// IsComplete reports whether a console could run code as it stands, from
// a Go parse of the cell split the way GoNB splits it:
//
//   - incomplete: a command line ends in a backslash, or the Go text stops
//     inside brackets, a raw string or a block comment, or after a token
//     that continues the statement (an operator, a comma, "func", ...);
//   - invalid: the Go text has a syntax error, or GoNB would reject the
//     cell (two %% lines, say);
//   - complete: everything else, including empty cells and cells of
//     commands or cell magics only.
func IsComplete(code string) Completeness {
	if lastLineContinues(code) {
		return Completeness{Status: "incomplete"}
	}
	cell, err := gonbcell.Split(code)
	if err != nil {
		// Split also fails on Go that does not parse; an unfinished cell
		// must still read as incomplete.
		if c, ok := openEnd(goText(code)); ok {
			return c
		}
		return Completeness{Status: "invalid"}
	}
	if cell.Magic != nil {
		return Completeness{Status: "complete"}
	}
	src := cell.Decls.Src
	if cell.Main != nil {
		src += cell.Main.Src
	}
	if c, ok := openEnd(src); ok {
		return c
	}
	if !parses("package main\n"+cell.Decls.Src) ||
		cell.Main != nil && !parses("package main\nfunc main() {\n"+cell.Main.Src+"\n}\n") {
		return Completeness{Status: "invalid"}
	}
	return Completeness{Status: "complete"}
}

// lastLineContinues reports whether the last non-blank line is a command
// (column 0 % or !) ending in a backslash, which GoNB joins with the next.
func lastLineContinues(code string) bool {
	lines := strings.Split(strings.TrimRight(code, " \t\r\n"), "\n")
	last := strings.TrimPrefix(lines[len(lines)-1], "//gonb:")
	return (strings.HasPrefix(last, "%") || strings.HasPrefix(last, "!")) && strings.HasSuffix(last, "\\")
}

// goText blanks command lines, for scanning a cell Split rejected.
func goText(code string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		l = strings.TrimPrefix(l, "//gonb:")
		if strings.HasPrefix(l, "%") || strings.HasPrefix(l, "!") {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// openEnd scans src and reports (incomplete, true) when it stops in the
// middle of something, (invalid, true) when brackets do not match, and
// false when the token stream is closed and a parse must decide.
func openEnd(src string) (Completeness, bool) {
	fset := token.NewFileSet()
	file := fset.AddFile("cell.go", -1, len(src))
	var unterminated, badString bool
	var s scanner.Scanner
	s.Init(file, []byte(src), func(_ token.Position, msg string) {
		switch {
		case strings.Contains(msg, "raw string literal not terminated"),
			strings.Contains(msg, "comment not terminated"):
			unterminated = true
		case strings.Contains(msg, "not terminated"):
			badString = true
		}
	}, scanner.ScanComments)
	var stack []token.Token
	last := token.ILLEGAL
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.COMMENT || tok == token.SEMICOLON && lit == "\n" {
			continue
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			open := map[token.Token]token.Token{token.RPAREN: token.LPAREN, token.RBRACK: token.LBRACK, token.RBRACE: token.LBRACE}[tok]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return Completeness{Status: "invalid"}, true
			}
			stack = stack[:len(stack)-1]
		}
		last = tok
	}
	switch {
	case unterminated:
		return Completeness{Status: "incomplete", Indent: strings.Repeat("\t", len(stack))}, true
	case badString:
		return Completeness{Status: "invalid"}, true
	case len(stack) > 0:
		return Completeness{Status: "incomplete", Indent: strings.Repeat("\t", len(stack))}, true
	case last != token.ILLEGAL && !endsStatement(last):
		return Completeness{Status: "incomplete", Indent: "\t"}, true
	}
	return Completeness{}, false
}

// endsStatement reports whether Go inserts a semicolon after tok at a line
// end (the spec's rule); any other last token means the statement goes on.
func endsStatement(tok token.Token) bool {
	switch tok {
	case token.IDENT, token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING,
		token.BREAK, token.CONTINUE, token.FALLTHROUGH, token.RETURN,
		token.INC, token.DEC, token.RPAREN, token.RBRACK, token.RBRACE, token.SEMICOLON:
		return true
	}
	return false
}

func parses(src string) bool {
	_, err := parser.ParseFile(token.NewFileSet(), "cell.go", src, parser.SkipObjectResolution)
	return err == nil
}
