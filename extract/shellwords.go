package extract

import "strings"

// shellWord is one word of a notebook's shell line, as the shell would see it after quote
// removal and variable expansion, or a control operator (&&, ||, ;, |, &) between commands.
type shellWord struct {
	raw  string // as written, quotes included
	text string // quotes removed, variables expanded
	op   bool   // a control operator
	// subst lists the command substitutions ($(…) or `…`) the word holds: their output is
	// known only when the notebook runs.
	subst []string
	// unset lists the variables the word expands that the lookup does not know.
	unset []string
}

// static reports whether the word's value is known without running the notebook.
func (w shellWord) static() bool { return len(w.subst) == 0 && len(w.unset) == 0 }

// splitShell splits one shell line into words and control operators the way a POSIX shell
// tokenizes it: single and double quotes, backslash escapes, $(…) and `…` substitutions
// (nested ones too) and ${…} expansions stay inside their word. lookup gives the value of a
// variable; variables it does not know expand to "" and are listed in the word's unset.
// A leading unquoted ~/ is the home directory lookup("HOME") gives.
func splitShell(s string, lookup func(string) (string, bool)) []shellWord {
	var words []shellWord
	var cur shellWord
	var raw, text strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			cur.raw, cur.text = raw.String(), text.String()
			words = append(words, cur)
		}
		cur, inWord = shellWord{}, false
		raw.Reset()
		text.Reset()
	}
	expandVar := func(name string) {
		if v, ok := lookup(name); ok {
			text.WriteString(v)
		} else {
			cur.unset = append(cur.unset, name)
		}
	}
	// dollar handles a $ at s[i] (outside single quotes) and returns the index after it.
	dollar := func(i int) int {
		switch {
		case i+1 < len(s) && s[i+1] == '(':
			end := matchParen(s, i+1)
			cur.subst = append(cur.subst, s[i:end])
			raw.WriteString(s[i:end])
			return end
		case i+1 < len(s) && s[i+1] == '{':
			inner, next := s[i+2:], len(s)
			if end := strings.IndexByte(inner, '}'); end >= 0 {
				inner, next = inner[:end], i+2+end+1
			}
			raw.WriteString(s[i:next])
			name := inner
			if j := strings.IndexAny(inner, ":-=?+#%/"); j >= 0 {
				name = inner[:j] // ${X:-default} and the like: only the name is looked up
			}
			if isShellName(name) {
				expandVar(name)
			} else {
				cur.unset = append(cur.unset, inner)
			}
			return next
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || j > i+1 && s[j] >= '0' && s[j] <= '9') {
			j++
		}
		raw.WriteString(s[i:j])
		if j == i+1 {
			text.WriteByte('$') // a lone $
		} else {
			expandVar(s[i+1 : j])
		}
		return j
	}
	backtick := func(i int) int {
		end := strings.IndexByte(s[i+1:], '`')
		if end < 0 {
			end = len(s)
		} else {
			end += i + 2
		}
		cur.subst = append(cur.subst, s[i:end])
		raw.WriteString(s[i:end])
		return end
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			flush()
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			if inWord {
				raw.WriteString("\\\n")
			}
			i += 2 // a line continuation
		case c == '&' || c == ';' || c == '|':
			flush()
			n := 1
			if c != ';' && i+1 < len(s) && s[i+1] == c {
				n = 2
			}
			words = append(words, shellWord{raw: s[i : i+n], text: s[i : i+n], op: true})
			i += n
		default:
			inWord = true
			switch c {
			case '\\':
				raw.WriteString(s[i:min(i+2, len(s))])
				if i+1 < len(s) {
					text.WriteByte(s[i+1])
				}
				i += 2
			case '\'':
				end := strings.IndexByte(s[i+1:], '\'')
				if end < 0 {
					end = len(s) - i - 1
				}
				raw.WriteString(s[i:min(i+end+2, len(s))])
				text.WriteString(s[i+1 : i+1+end])
				i += end + 2
			case '"':
				raw.WriteByte('"')
				i++
				for i < len(s) && s[i] != '"' {
					switch {
					case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
						raw.WriteString(s[i : i+2])
						text.WriteByte(s[i+1])
						i += 2
					case s[i] == '$':
						i = dollar(i)
					case s[i] == '`':
						i = backtick(i)
					default:
						raw.WriteByte(s[i])
						text.WriteByte(s[i])
						i++
					}
				}
				if i < len(s) {
					raw.WriteByte('"')
					i++
				}
			case '$':
				i = dollar(i)
			case '`':
				i = backtick(i)
			case '~':
				raw.WriteByte('~')
				if raw.Len() == 1 && (i+1 == len(s) || s[i+1] == '/') {
					if h, ok := lookup("HOME"); ok {
						text.WriteString(h)
					} else {
						cur.unset = append(cur.unset, "HOME")
					}
				} else {
					text.WriteByte('~')
				}
				i++
			default:
				raw.WriteByte(c)
				text.WriteByte(c)
				i++
			}
		}
	}
	flush()
	return words
}

// matchParen returns the index just after the parenthesis closing the one at s[open],
// skipping quoted text and nested parentheses, or len(s).
func matchParen(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '\'':
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				i += j + 1
			} else {
				return len(s)
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

func isShellName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if c != '_' && !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// shellCommands groups words into commands at the control operators.
func shellCommands(words []shellWord) [][]shellWord {
	var cmds [][]shellWord
	var cur []shellWord
	for _, w := range words {
		if w.op {
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, w)
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	return cmds
}
