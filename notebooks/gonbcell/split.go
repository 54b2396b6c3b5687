package gonbcell

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// gonbPrefix may precede any command so that the line is a Go comment to
// editors (parser.go:626-635).
const gonbPrefix = "//gonb:"

func trimGonbPrefix(line string) string {
	return strings.TrimPrefix(line, gonbPrefix)
}

// isCellMagic reports whether name is one of GoNB's cell magics
// (cellmagic.go:17-22).
func isCellMagic(name string) bool {
	switch name {
	case "%%writefile", "%%script", "%%bash", "%%sh":
		return true
	}
	return false
}

// lineKind is what a cell line is to GoNB.
type lineKind uint8

const (
	goLine     lineKind = iota
	cmdStart            // first line of a special command
	cmdCont             // continuation line of a special command
	droppedPkg          // starts with "package": the composer skips it
)

// Split splits the source of one GoNB code cell. Lines are 1-based cell
// lines, split on "\n" exactly as GoNB does (dispatcher.go:294), so a "\r"
// before a newline stays part of its line.
//
// The error, when not nil, is an *Error describing why GoNB v0.11.1 cannot
// run the cell; the Cell is nil then.
func Split(src string) (*Cell, error) {
	lines := strings.Split(src, "\n")
	c := &Cell{Decls: Part{FirstLine: 1}}
	var warns []Diagnostic

	// Step 1: cell magic on line 1 (dispatcher.go:298, cellmagic.go:36-70).
	if m, w, err := splitMagic(lines); err != nil {
		return nil, err
	} else if m != nil {
		c.Magic, c.Warnings = m, w
		return c, nil
	}

	// Step 2: special commands, in line order (specialcmd.go:48-91). GoNB
	// runs each as it is found and stops at the first error.
	kinds := make([]lineKind, len(lines))
	cmdAt := map[int]int{} // 0-based line -> index in c.Commands
	var lastArgs struct {
		line int
		name string
	}
	for i := range lines {
		if kinds[i] != goLine {
			continue // already part of a continued command
		}
		t := trimGonbPrefix(lines[i])
		if len(t) <= 1 || (t[0] != '%' && t[0] != '!') {
			continue
		}
		cmd, w, err := parseCommand(lines, i, kinds)
		if err != nil {
			return nil, err
		}
		warns = append(warns, w...)
		cmdAt[i] = len(c.Commands)
		c.Commands = append(c.Commands, cmd)

		switch cmd.Name {
		case "%%", "%main", "%args", "%test", "%exec":
			if lastArgs.name == "%args" {
				warns = append(warns, Diagnostic{lastArgs.line, fmt.Sprintf(
					"%%args here is overwritten by %s on line %d: GoNB keeps only the last of %%%%, %%main, %%exec, %%test, %%args",
					cmd.Name, cmd.Line)})
			}
			lastArgs.line, lastArgs.name = cmd.Line, cmd.Name
			if cmd.Name == "%exec" {
				c.Args = slices.Clone(cmd.Args[1:])
			} else {
				c.Args = slices.Clone(cmd.Args)
			}
			if cmd.Name == "%test" {
				c.Test = true
				c.TestArgs = slices.Clone(cmd.Args)
			}
		case "%wasm":
			c.Wasm = true
		}
	}

	// Step 3: does GoNB run the Go part? (dispatcher.go:305, parser.go:606-621)
	for i, line := range lines {
		if kinds[i] == goLine && !isBlank(line) {
			c.RunsGo = true
			break
		}
	}
	c.RunsGo = c.RunsGo || c.Test

	if c.Test && c.Wasm {
		// execcode.go:83-85 rejects the combination before composing.
		return nil, &Error{firstCommand(c.Commands, "%wasm"), "GoNB cannot run %test in a %wasm cell"}
	}

	// Step 4: the composer (composer.go:352-440), simulated line by line,
	// including the size of its line-map buffer, which it overruns (and
	// panics) when %% and %exec lines expand the file too much.
	comp := compose(lines, kinds)
	if comp.crashLine > 0 && c.RunsGo {
		return nil, &Error{comp.crashLine, comp.crashMsg}
	}
	if c.RunsGo && comp.parseErrLine > 0 {
		return nil, &Error{comp.parseErrLine, comp.parseErrMsg}
	}
	if !c.RunsGo && (comp.crashLine > 0 || comp.parseErrLine > 0) {
		line, msg := comp.crashLine, comp.crashMsg
		if line == 0 {
			line, msg = comp.parseErrLine, comp.parseErrMsg
		}
		warns = append(warns, Diagnostic{line, msg + " (harmless here: the cell has no Go code, so GoNB never composes it)"})
	}
	for _, i := range comp.dropped {
		kinds[i] = droppedPkg
	}

	// Main line and %exec entry point.
	if len(comp.mainLines) > 0 {
		ml := comp.mainLines[0]
		c.MainLine = ml + 1
		if k, ok := cmdAt[ml]; ok && (c.Commands[k].Name == "%%" || c.Commands[k].Name == "%main") {
			c.MainArgs = slices.Clone(c.Commands[k].Args)
		} else {
			warns = append(warns, Diagnostic{ml + 1, fmt.Sprintf(
				"GoNB starts func main here (it matches lines beginning with %%%% or %%main by prefix), but does not run %q as %%%% or %%main, so its arguments are not program args",
				strings.TrimSpace(trimGonbPrefix(lines[ml])))})
		}
	}
	for n, e := range comp.execs {
		ex := &Exec{Func: e.fn}
		if k, ok := cmdAt[e.line]; ok && c.Commands[k].Name == "%exec" {
			ex.Args = slices.Clone(c.Commands[k].Args[1:])
		}
		if n > 0 {
			warns = append(warns, Diagnostic{comp.execs[n-1].line + 1, fmt.Sprintf(
				"%%exec here is replaced by the %%exec on line %d: GoNB keeps the last func main", e.line+1)})
		}
		c.Exec = ex
	}
	if c.Exec != nil && c.MainLine > 0 {
		// Only a main line below the %exec can get here (an %exec inside the
		// %% body is a parse error, reported above).
		warns = append(warns, Diagnostic{comp.execs[len(comp.execs)-1].line + 1, fmt.Sprintf(
			"%%exec here is replaced by the %%%% main on line %d: GoNB keeps the last func main", c.MainLine)})
	}
	// Commands that GoNB's runner treats as %%/%main/%exec but the composer
	// does not (because of blanks after the %, as in "% main").
	for _, cmd := range c.Commands {
		i := cmd.Line - 1
		switch cmd.Name {
		case "%%", "%main":
			if !slices.Contains(comp.mainLines, i) {
				warns = append(warns, Diagnostic{cmd.Line, fmt.Sprintf(
					"GoNB runs %q as %s (it sets the program args) but does not start func main here: the composer only matches %%%% or %%main at the start of the line",
					cmd.Text, cmd.Name)})
			}
		case "%exec":
			if !slices.ContainsFunc(comp.execs, func(e execLine) bool { return e.line == i }) {
				warns = append(warns, Diagnostic{cmd.Line, fmt.Sprintf(
					"GoNB runs %q as %%exec (it sets the program args) but writes no main for it: the composer only matches %%exec at the start of the line",
					cmd.Text)})
			}
		}
	}

	// Step 5: the Go parts, with removed lines blanked.
	var decls, main strings.Builder
	lx := lexer{}
	for i, line := range lines {
		text := line
		if kinds[i] != goLine {
			text = ""
			warns = append(warns, syntaxWarnings(lx, kinds[i], i, lines[i], c.Commands, cmdAt)...)
		}
		lx.scanLine(text)
		b := &decls
		if c.MainLine > 0 && i+1 >= c.MainLine {
			b = &main
		}
		b.WriteString(text)
		b.WriteByte('\n')
	}
	c.Decls.Src = decls.String()
	if c.MainLine > 0 {
		c.Main = &Part{Src: main.String(), FirstLine: c.MainLine}
	}

	slices.SortStableFunc(warns, func(a, b Diagnostic) int { return a.Line - b.Line })
	c.Warnings = warns
	return c, nil
}

// isBlank reports whether GoNB counts line as empty: it matches `^\s*$`
// (parser.go:604), and RE2's \s is [\t\n\f\r ].
func isBlank(line string) bool { return strings.Trim(line, " \t\n\f\r") == "" }

func firstCommand(cmds []Command, name string) int {
	for _, c := range cmds {
		if c.Name == name {
			return c.Line
		}
	}
	return 1
}

// syntaxWarnings reports a removed line that the Go text around it says is
// not a command: GoNB's scan is line based and blind to Go syntax.
func syntaxWarnings(lx lexer, kind lineKind, i int, line string, cmds []Command, cmdAt map[int]int) []Diagnostic {
	var where string
	switch lx.mode {
	case inRawString:
		where = "inside a Go raw string"
	case inBlockComment:
		where = "inside a /* */ comment"
	}
	switch kind {
	case cmdStart:
		cmd := cmds[cmdAt[i]]
		if where != "" {
			return []Diagnostic{{i + 1, fmt.Sprintf(
				"line %s looks like a command, so GoNB runs %q and removes the line from the Go code", where, cmd.Text)}}
		}
		if lx.depth > 0 {
			return []Diagnostic{{i + 1, fmt.Sprintf(
				"command %q sits inside an open Go bracket; GoNB runs it once before any Go code and removes the line", cmd.Text)}}
		}
	case droppedPkg:
		if where != "" {
			return []Diagnostic{{i + 1, fmt.Sprintf(
				"line %s starts with \"package\", so GoNB drops it from the Go code", where)}}
		}
		if !isPackageClause(line) {
			return []Diagnostic{{i + 1, fmt.Sprintf(
				"GoNB drops every line starting with \"package\", including %q, which is not a package clause", line)}}
		}
	}
	return nil
}

// packageClause matches a plain Go package clause, optionally followed by a
// comment.
var packageClause = regexp.MustCompile(`^package[ \t]+[\pL_][\pL\pN_]*[ \t]*(//.*|/\*.*)?\r?$`)

func isPackageClause(line string) bool { return packageClause.MatchString(line) }

// splitMagic returns the cell magic on line 1, if any (cellmagic.go:36-70).
func splitMagic(lines []string) (*Magic, []Diagnostic, error) {
	parts, garbled := splitArgs(trimGonbPrefix(lines[0]))
	if len(parts) == 0 || !isCellMagic(parts[0]) {
		return nil, nil, nil
	}
	name, args := parts[0], parts[1:]
	switch name {
	case "%%writefile":
		a := args
		if len(a) > 1 && a[0] == "-a" {
			a = a[1:]
		}
		if len(a) != 1 {
			return nil, nil, &Error{1, fmt.Sprintf("GoNB expects \"%%%%writefile [-a] <file_name>\", but got %q", args)}
		}
	case "%%script":
		if len(args) == 0 {
			return nil, nil, &Error{1, "GoNB v0.11.1 crashes on %%script without a command (index out of range in cellmagic.go:125)"}
		}
	case "%%bash", "%%sh":
		if len(args) != 0 {
			return nil, nil, &Error{1, fmt.Sprintf("GoNB: %q expects no extra arguments, %q was given", name, args)}
		}
	}
	var warns []Diagnostic
	if garbled {
		warns = append(warns, Diagnostic{1, garbledMsg})
	}
	return &Magic{
		Name:     name,
		Args:     args,
		Body:     strings.Join(lines[1:], "\n"),
		BodyLine: 2,
	}, warns, nil
}

// parseCommand reads the command starting at lines[i], marks its lines in
// kinds, and checks it as GoNB's command runner would (specialcmd.go:48-337).
func parseCommand(lines []string, i int, kinds []lineKind) (Command, []Diagnostic, error) {
	// Join continuation lines (specialcmd.go:100-111).
	var sb strings.Builder
	end := i
	for j := i; j < len(lines); j++ {
		sb.WriteString(trimGonbPrefix(lines[j]))
		if j == i {
			kinds[j] = cmdStart
		} else {
			kinds[j] = cmdCont
		}
		end = j
		s := sb.String()
		if s[len(s)-1] != '\\' {
			break
		}
		sb.Reset()
		sb.WriteString(s[:len(s)-1])
		sb.WriteByte(' ')
	}
	text := sb.String()
	cmd := Command{Line: i + 1, EndLine: end + 1, Text: text}

	// GoNB skips blanks after the % or !; with nothing else on the line it
	// indexes past the end of the string (specialcmd.go:61) and the kernel dies.
	rest := strings.TrimLeft(text[1:], " \t")
	if rest == "" {
		return cmd, nil, &Error{cmd.Line, fmt.Sprintf(
			"GoNB v0.11.1 crashes on a command line with nothing after %q but blanks (index out of range at specialcmd.go:61)", text[:1])}
	}

	if text[0] == '!' {
		cmd.Name = "!"
		if rest[0] == '*' {
			cmd.Name, rest = "!*", rest[1:]
		}
		cmd.Shell = rest
		return cmd, nil, nil
	}

	parts, garbled := splitArgs(rest)
	if len(parts) == 0 {
		// Cannot happen: rest starts with a byte that is not a separator.
		parts = []string{""}
	}
	cmd.Name, cmd.Args = "%"+parts[0], parts[1:]
	var warns []Diagnostic
	if garbled {
		warns = append(warns, Diagnostic{cmd.Line, garbledMsg})
	}
	fail := func(msg string) (Command, []Diagnostic, error) {
		return cmd, nil, &Error{cmd.Line, msg}
	}
	switch parts[0] {
	case "%", "main", "args", "test": // specialcmd.go:130-145
	case "exec":
		if len(parts) == 1 {
			return fail("GoNB: %exec requires the name of the function to execute")
		}
	case "wasm": // specialcmd.go:146-149
		if len(parts) > 1 {
			return fail("GoNB: `%wasm` takes no extra parameters")
		}
	case "env": // specialcmd.go:173-185; note GoNB wants the "=" past index 1
		p := parts
		if len(p) == 2 {
			if eq := strings.Index(p[1], "="); eq > 1 {
				p = []string{p[0], p[1][:eq], p[1][eq+1:]}
			}
		}
		if len(p) != 3 {
			return fail(fmt.Sprintf("GoNB: `%%env <VAR_NAME> <value>` (or `%%env <VAR_NAME>=<value>`) takes 2 arguments, but %d were given", len(p)-1))
		}
	case "cd": // specialcmd.go:196-203
		if len(parts) > 2 {
			return fail(fmt.Sprintf("GoNB: `%%cd [<directory>]` takes none or one argument, but %d were given", len(parts)-1))
		}
	case "reset": // specialcmd.go:250-257
		if len(parts) > 2 || (len(parts) == 2 && parts[1] != "go.mod") {
			return fail("GoNB: %reset only takes one optional parameter \"go.mod\"")
		}
	case "untrack": // specialcmd.go:281-284
		if len(parts) != 2 {
			return fail("GoNB: %untrack takes one argument")
		}
	case "capture": // specialcmd.go:292-301
		a := parts[1:]
		if len(a) > 1 && a[0] == "-a" {
			a = a[1:]
		}
		if len(a) != 1 {
			return fail("GoNB: %capture takes one argument, the name of the file where to save the captured output")
		}
	case "widgets", "widgets_hb", "goflags", "autoget", "noautoget", "help", "version",
		"ls", "list", "rm", "remove", "with_inputs", "with_password", "track", "goworkfix":
	default: // specialcmd.go:325-337
		if isCellMagic(cmd.Name) {
			return fail(fmt.Sprintf("GoNB: %q can only appear at the start of the cell", cmd.Name))
		}
		warns = append(warns, Diagnostic{cmd.Line, fmt.Sprintf(
			"GoNB prints %q unknown or not implemented yet, and goes on", cmd.Name)})
	}
	return cmd, warns, nil
}

const garbledMsg = "GoNB v0.11.1 re-encodes each non-ASCII byte of command arguments as a separate Latin-1 character; the arguments here are kept as written"

// execLine is an %exec line as the composer reads it.
type execLine struct {
	line int // 0-based
	fn   string
}

// composition is what GoNB's composer (composer.go:352-440) does with a
// cell, short of writing the file.
type composition struct {
	mainLines []int // 0-based lines matching %% or %main by prefix
	execs     []execLine
	dropped   []int // 0-based "package" lines skipped

	crashLine int // 1-based; the composer panics
	crashMsg  string

	parseErrLine int // 1-based; the composed file cannot parse
	parseErrMsg  string
}

// compose replays the composer's loop. The composer checks every line, in
// this order: %%/%main prefix, %exec prefix, command line (skipped), line
// starting with "package" (skipped, no //gonb: trimming), Go text. It keeps
// a line map sized len(lines)+5 (composer.go:358); "package main" and a blank
// line take 2 file lines, a main line 2, an %exec line 4, the closing "}" of
// main 2. Writing past the map panics in v0.11.1 (composer.go:385-386, 398,
// 419, 430).
func compose(lines []string, kinds []lineKind) composition {
	var r composition
	size := len(lines) + 5
	w := 2 // "package main\n\n"
	crash := func(line int, msg string) {
		if r.crashLine == 0 {
			r.crashLine, r.crashMsg = line, msg
		}
	}
	parseErr := func(line int, msg string) {
		if r.parseErrLine == 0 {
			r.parseErrLine, r.parseErrMsg = line, msg
		}
	}
	const overrun = "GoNB v0.11.1 crashes on this cell: its %%%%/%%exec lines expand the composed file past the composer's line map (index out of range at composer.go:%d)"
	for i, line := range lines {
		t := trimGonbPrefix(line)
		switch {
		case strings.HasPrefix(t, "%main") || strings.HasPrefix(t, "%%"):
			if len(r.mainLines) > 0 {
				parseErr(i+1, fmt.Sprintf("second %%%%/%%main line (the first is line %d): GoNB opens a second func main inside the first, and the cell does not parse", r.mainLines[0]+1))
			}
			r.mainLines = append(r.mainLines, i)
			if w+1 >= size {
				crash(i+1, fmt.Sprintf(overrun, 386))
			}
			w += 2
		case strings.HasPrefix(t, "%exec"):
			f := strings.Split(t, " ")
			if len(f) < 2 {
				crash(i+1, "GoNB v0.11.1 crashes on an %exec line without a space before the function name (index out of range at composer.go:396)")
				continue
			}
			r.execs = append(r.execs, execLine{i, f[1]})
			if len(r.mainLines) > 0 {
				parseErr(i+1, fmt.Sprintf("%%exec below the %%%% line %d: GoNB writes a func main inside the main body, and the cell does not parse", r.mainLines[0]+1))
			}
			if f[1] == "" {
				parseErr(i+1, "%exec: GoNB takes the text after the first single space as the function name, finds it empty and writes \"()\", which does not parse")
			}
			if w+3 >= size {
				crash(i+1, fmt.Sprintf(overrun, 398))
			}
			w += 4
		case kinds[i] != goLine:
			// Other command lines (composer.go:407-410).
		case strings.HasPrefix(line, "package"):
			r.dropped = append(r.dropped, i) // composer.go:415-418
		default:
			if w >= size {
				crash(i+1, fmt.Sprintf(overrun, 419))
			}
			w++
		}
	}
	if len(r.mainLines) > 0 {
		w += 2 // "\n}\n"
	}
	if w > size {
		line := len(lines)
		if len(r.mainLines) > 1 {
			line = r.mainLines[1] + 1
			crash(line, "GoNB v0.11.1 crashes on a cell with two %% lines (slice bounds out of range at composer.go:430)")
		} else if len(r.execs) > 0 {
			line = r.execs[len(r.execs)-1].line + 1
		}
		crash(line, fmt.Sprintf(overrun, 430))
	}
	return r
}
