package gonbcell

import "strings"

// lexMode is where a Go scan stands at the start of a line. Only raw strings
// and block comments can span lines; interpreted strings, runes and line
// comments end at the newline (an unterminated one is a Go syntax error, which
// is the Go parser's business, not ours).
type lexMode int

const (
	inCode lexMode = iota
	inRawString
	inBlockComment
)

// lexer is a deliberately light Go scanner: it only tracks enough to know,
// at each line start, whether the line is inside a raw string or a block
// comment, and how many brackets are open. It never fails.
type lexer struct {
	mode  lexMode
	depth int // open ( [ { outside strings and comments
}

// scanLine advances the lexer over one line of Go text (without its newline).
func (l *lexer) scanLine(text string) {
	i := 0
	for i < len(text) {
		switch l.mode {
		case inRawString:
			j := strings.IndexByte(text[i:], '`')
			if j < 0 {
				return
			}
			i += j + 1
			l.mode = inCode
		case inBlockComment:
			j := strings.Index(text[i:], "*/")
			if j < 0 {
				return
			}
			i += j + 2
			l.mode = inCode
		default:
			switch c := text[i]; c {
			case '`':
				l.mode = inRawString
				i++
			case '"', '\'':
				i = skipQuoted(text, i)
			case '/':
				if i+1 < len(text) && text[i+1] == '/' {
					return // line comment: rest of line ignored
				}
				if i+1 < len(text) && text[i+1] == '*' {
					l.mode = inBlockComment
					i += 2
					continue
				}
				i++
			case '(', '[', '{':
				l.depth++
				i++
			case ')', ']', '}':
				if l.depth > 0 {
					l.depth--
				}
				i++
			default:
				i++
			}
		}
	}
}

// skipQuoted returns the index just past the interpreted string or rune
// literal opening at text[start], or len(text) if it is not closed on this line.
func skipQuoted(text string, start int) int {
	q := text[start]
	for i := start + 1; i < len(text); i++ {
		switch text[i] {
		case '\\':
			i++
		case q:
			return i + 1
		}
	}
	return len(text)
}
