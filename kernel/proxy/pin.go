package proxy

import (
	"regexp"
	"strings"

	"github.com/decant-go/decant/kernel/wire"
)

// GoNB's cells import gonbui (GoNB's display library) from the module
// github.com/janpfeifer/gonb. GoNB's own `go get` asks the module proxy
// for the newest version of it, which a proxy may refuse (and which need
// not match the GoNB that renders the output). Before the first cell that
// uses GoNB's packages, the kernel pins the module in GoNB's go.mod to
// the version of the GoNB binary it runs: an exact version, which the Go
// command takes from the module cache when it is there.

// GoNBModule is GoNB's module path.
const GoNBModule = "github.com/janpfeifer/gonb"

// reGoNBVersion accepts the versions worth pinning: releases and
// pseudo-versions, not "(devel)".
var reGoNBVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+incompatible)?$`)

// usesGoNBPackages reports whether a cell may import one of GoNB's
// packages (goimports adds `gonbui` from its use alone).
func usesGoNBPackages(code string) bool {
	return strings.Contains(code, "gonbui") || strings.Contains(code, GoNBModule)
}

// pinFailed is echoed by the pin's shell command when go get fails.
const pinFailed = "decant-pin-failed"

// pinState follows the pin for the current GoNB.
type pinState struct {
	version string // GoNB's version; "" if unknown (nothing to pin)
	done    bool
	id      string // the pin's execute_request, while it runs
	output  strings.Builder
}

// maybePin sends the pin before x when x needs it; it reports whether x
// must wait for the pin's reply.
func (s *Server) maybePin(x *execution) bool {
	p := &s.pin
	if p.done || p.version == "" || !reGoNBVersion.MatchString(p.version) || !usesGoNBPackages(x.content.Code) {
		return false
	}
	if p.id != "" {
		return true
	}
	code := "!*go get " + GoNBModule + "@" + p.version + " || echo " + pinFailed
	m, err := s.opts.Builder.NewMessage("execute_request", BackendSession, nil,
		wire.ExecuteRequest{Code: code, Silent: true, StoreHistory: false, UserExpressions: map[string]string{}, StopOnError: false})
	if err != nil {
		p.done = true
		return false
	}
	p.id = m.Header.MsgID
	s.be.send(wire.Shell, m)
	return true
}

// pinReply ends the pin: a failure is shown in the cell that waited, and
// the cell goes on either way.
func (s *Server) pinReply(m *wire.Message) {
	var rep struct {
		Status string `json:"status"`
		EValue string `json:"evalue"`
	}
	_ = m.DecodeContent(&rep)
	p := &s.pin
	p.id, p.done = "", true
	out := strings.TrimSpace(p.output.String())
	// GoNB reports a failing shell command only on stderr, hence the marker.
	if rep.Status != "ok" || strings.Contains(out, pinFailed) {
		out = strings.TrimSpace(strings.ReplaceAll(out, pinFailed, ""))
		s.notice += "Decant could not pin " + GoNBModule + "@" + p.version + " in GoNB's go.mod, so GoNB's packages (gonbui) may come in another version or not at all:\n" +
			strings.TrimSpace(out+"\n"+rep.EValue) + "\n"
		s.opts.Logf("decant kernel: pinning GoNB's module: %s %s", out, rep.EValue)
	}
	s.startNext()
}
