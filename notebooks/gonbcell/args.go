package gonbcell

// splitArgs splits a command's text into arguments the way GoNB v0.11.1 does
// (internal/specialcmd/specialcmd.go:373-427, splitCmd):
//
//   - outside double quotes, runs of space, tab or newline separate arguments;
//   - a double quote opens or closes a quoted stretch, which may hold spaces and
//     may be empty ("" is an empty argument);
//   - inside quotes a backslash escapes the next byte: \n and \t become newline
//     and tab, any other byte (such as " or \) stands for itself; a backslash as
//     the very last byte ends the scan;
//   - outside quotes a backslash is an ordinary byte.
//
// GoNB appends each byte with fmt's %c verb, which turns every byte >= 0x80 into
// a separate Latin-1 character, so non-ASCII arguments reach GoNB's commands
// garbled. splitArgs keeps the bytes as written (the author's intent); garbled
// reports whether GoNB would have garbled any argument, so callers can warn.
func splitArgs(s string) (parts []string, garbled bool) {
	var (
		part     []byte
		started  bool
		inQuotes bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !inQuotes && (c == ' ' || c == '\t' || c == '\n') {
			if started {
				parts = append(parts, string(part))
			}
			part, started = part[:0], false
			continue
		}
		if c == '"' {
			if inQuotes {
				inQuotes = false
			} else {
				inQuotes, started = true, true // `""` is an empty argument
			}
			continue
		}
		if c == '\\' && inQuotes {
			if i == len(s)-1 {
				break // GoNB drops a lone trailing backslash inside quotes
			}
			i++
			c = s[i]
			switch c {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			}
		}
		if c >= 0x80 {
			garbled = true
		}
		part = append(part, c)
		started = true
	}
	if started {
		parts = append(parts, string(part))
	}
	return parts, garbled
}
