package proxy

import (
	"strings"

	"github.com/decant-go/decant/notebooks/gonbcell"
)

// GoNB v0.11.1 loses display data under load. A cell program sends
// gonbui's displays (HTML, images, ...) through a named pipe that GoNB
// reads in a goroutine of its own; when the program exits, GoNB closes
// its end of the pipe at once, and whatever that goroutine has not read
// yet is dropped without a word: the cell replies "ok" with no output.
// On a busy machine the goroutine often runs too late. gonbui.Sync, which
// waits until GoNB has acknowledged everything sent before it, is the
// only cure GoNB offers, and it must run in the program. So the kernel
// ends the main body of cells that may display through gonbui with a
// call to it: one line after the cell's last line, so that every line and
// column GoNB reports about the cell stays where the user wrote it.

// gonbuiFlush is the line the kernel appends to such cells.
const gonbuiFlush = "gonbui.Sync()"

// withDisplayFlush returns code with gonbuiFlush appended when the cell
// has a main body (%% or %main) and usesGonbui is set, and whether it
// changed code. Cells GoNB does not run as a plain program (%test,
// %wasm, %exec, cell magics) and cells whose last line continues a
// command (a trailing backslash would join the appended line to it) are
// left alone.
func withDisplayFlush(code string, usesGonbui bool) (string, bool) {
	if !usesGonbui {
		return code, false
	}
	cell, err := gonbcell.Split(code)
	if err != nil || cell.Magic != nil || cell.Main == nil || cell.Test || cell.Wasm || cell.Exec != nil {
		return code, false
	}
	body := strings.TrimSuffix(code, "\n")
	last := body[strings.LastIndexByte(body, '\n')+1:]
	if strings.HasSuffix(strings.TrimRight(last, " \t\r"), `\`) {
		return code, false
	}
	return body + "\n" + gonbuiFlush, true
}

// programUsesGonbui reports whether the program GoNB builds for code may
// display through gonbui: code mentions GoNB's packages, or a cell sent
// to this GoNB before did (its declarations are memorized and may be
// called from code).
func (s *Server) programUsesGonbui(code string) bool {
	if usesGoNBPackages(code) {
		return true
	}
	for _, c := range s.sent {
		if usesGoNBPackages(c.code) {
			return true
		}
	}
	return false
}
