package extract

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/decant-go/decant/extract/manifest"
)

// This file tells a failed replay of the notebook that this machine caused from one that the
// code caused. The service's TestRun replays every step, as the author ran them; a step that
// downloads a data set, loads a plugin or reads the author's data fails on a machine without
// them although nothing in the code is wrong. Such a failure does not refuse the extraction:
// the service is verified with go test -short instead, and every report says what was not run.
//
// The classifier is deliberately narrow. It reads only the failure's cause (the panic's line,
// or the line of a fatal log that says it failed), and recognizes only the words the Go
// standard library, the dynamic loader or a plugin loader use for a missing resource. A panic
// of the code (an index out of range, a nil map, a hash mismatch, an EOF) is not
// environmental, even when the resource's absence led to it, unless an earlier replay in the
// same extraction met that absence and the failure is tied to it (see
// [Plan.ConsequentRunNeeds]): the same line, the same or a later step, or the file the failed
// download was to write. Otherwise it stays a refusal.
//
// Two panics are read further, each only on evidence outside the message (see runlib.go):
//   - A panic raised inside a library (the goroutine's innermost frames before the service's
//     own code are a dependency module's), in a step whose cell the notebook's saved outputs
//     show completing without failure, is the library behaving differently here (device,
//     backend, operating system) than where the notebook ran: the author's run is the
//     evidence. A panic in the service's own code, the runtime's nil dereference (a nil the
//     service passed in looks the same), or a cell that never ran or failed in the notebook
//     stay refusals.
//   - A nil dereference at a line of the service, of a variable a net/http or net call
//     returned while the code discarded (or never read) the call's error, is the network's
//     absence when the call names its host as a constant and this machine cannot reach that
//     host (it is probed). Reachable, or not named, it stays a refusal that says what the code
//     did with the error.
//
// Neither may hide a defect of the extraction unsaid: a run accepted this way is reported as
// not verified, with the cause, everywhere the others are, and --require-run refuses it.

// Need kinds: what a step lacks on this machine.
const (
	NeedNetwork = "network" // a host it cannot resolve or reach
	NeedPlugin  = "plugin"  // a shared object or a run-time plugin that is not installed
	NeedProgram = "program" // an executable that is not on $PATH
	NeedFile    = "file"    // an input file at an absolute path outside the service
	NeedLibrary = "library" // a library that behaves differently here than where the notebook ran
)

// RunNeed is a step of the pipeline that the service's test could not replay on this machine
// because the machine lacks something the step needs at run time. It is the manifest's record
// (manifest.RunNeed: step, cell and line, need, cause and consequence), with the words for it.
// Then is how the full replay failed afterwards, when an earlier replay in the same extraction
// met the need and the full replay then failed at the same place or a later step (a download
// the failure left empty, a file it never wrote): a consequence.
type RunNeed manifest.RunNeed

// What words the need for a sentence: "the network", "a run-time plugin or shared library"...
func (n RunNeed) What() string {
	switch n.Need {
	case NeedNetwork:
		return "the network"
	case NeedPlugin:
		return "a run-time plugin or shared library this machine lacks"
	case NeedProgram:
		return "a program this machine lacks"
	case NeedFile:
		return "an input file this machine lacks"
	case NeedLibrary:
		return "a library that behaves differently here than where the notebook ran"
	}
	return n.Need
}

// Where names the step and the place in the notebook where it failed: "step train, at cell 2,
// line 15," (the line may be in a function the step calls, in another cell).
func (n RunNeed) Where() string {
	step := "a step"
	if n.Step != "" {
		step = "step " + n.Step
	}
	if n.Cell < 0 {
		return step
	}
	return fmt.Sprintf("%s, at cell %d, line %d,", step, n.Cell, n.Line)
}

func (n RunNeed) String() string {
	verb := "needs"
	if n.Need == NeedLibrary {
		verb = "calls"
	}
	s := fmt.Sprintf("%s %s %s: %s", n.Where(), verb, n.What(), n.Cause)
	if n.Then != "" {
		s += " (an earlier replay met that; the full replay then failed with " + n.Then + ")"
	}
	return s
}

// Remedy says how to verify the run where the need is met.
func (n RunNeed) Remedy() string {
	switch n.Need {
	case NeedNetwork:
		return "run `make test` where the network is reachable"
	case NeedPlugin:
		return "install the plugin (or let the library download it, with the network) and run `make test`"
	case NeedProgram:
		return "install the program and run `make test`"
	case NeedFile:
		return "provide the file (a relative path is read next to the package) and run `make test`"
	case NeedLibrary:
		return "run `make test` where the notebook ran (with the library's accelerator or backend, as its author had it)"
	}
	return "run `make test` where it is available"
}

var (
	// netRE matches the net package's and net/http's words for a host that cannot be resolved
	// or reached, from the operation ("dial tcp", "lookup host") to the error.
	netRE = regexp.MustCompile(`(?:dial|read|write) (?:tcp|udp)[46]?(?: [^\s:]+(?::\d+)?)?(?:->[^\s:]+(?::\d+)?)?: (?:` +
		`lookup [^\s:]+(?: on [^\s]+)?: (?:no such host|server misbehaving|i/o timeout|Temporary failure in name resolution)|` +
		`connect: (?:connection refused|network is unreachable|no route to host|connection timed out)|` +
		`(?:read: )?connection reset by peer|i/o timeout)` +
		`|lookup [^\s:]+(?: on [^\s]+)?: (?:no such host|server misbehaving|i/o timeout|Temporary failure in name resolution)` +
		`|net/http: TLS handshake timeout` +
		`|\(Client\.Timeout exceeded while awaiting headers\)` +
		`|x509: certificate signed by unknown authority`)
	// sharedObjectRE matches the dynamic loader's words for a missing shared object, and the
	// plugin loaders' (PJRT's "plugin name "cpu" not found in paths [...]").
	sharedObjectRE = regexp.MustCompile(`[^\s:"]+: cannot open shared object file: No such file or directory` +
		`|plugin (?:name )?"[^"]+" not found(?: in paths \[[^\]]*\])?`)
	// programRE matches os/exec's words for an executable that is not installed.
	programRE = regexp.MustCompile(`exec: "[^"]+": executable file not found in \$PATH`)
	// missingFileRE matches the os package's words for a file that does not exist, at an
	// absolute path.
	missingFileRE = regexp.MustCompile(`(?:open|stat|lstat) (/[^:\n]+): no such file or directory`)
)

// ClassifyRunFailure reports whether msg, the message of a failed replay (see [Problem]),
// says that this machine lacks something the step needs at run time: the network, a plugin
// or shared object, a program, or an input file at an absolute path. own lists the
// directories whose files the service itself provides or writes (the service's directory, the
// temporary directory): a file missing there is the code's own doing, not the machine's.
//
// An input file is environmental only at an absolute path: the author's data
// (/home/author/data.csv) that the notebook read in place, which no extraction can ship. A
// relative path is resolved in the service's data directory, where Decant ships the files it
// found beside the notebook, so a relative file that is missing is not classified here: the
// plan knows whether Decant shipped it or a cell makes it (see [Plan.authorFileNeed]).
func ClassifyRunFailure(msg string, own []string) (need, cause string, ok bool) {
	line := causeLine(msg)
	if m := netRE.FindString(line); m != "" {
		return NeedNetwork, m, true
	}
	if m := sharedObjectRE.FindString(line); m != "" {
		return NeedPlugin, m, true
	}
	if m := programRE.FindString(line); m != "" {
		return NeedProgram, m, true
	}
	if m := missingFileRE.FindStringSubmatch(line); m != nil {
		p := filepath.Clean(m[1])
		for _, d := range own {
			if d == "" {
				continue
			}
			if rel, err := filepath.Rel(filepath.Clean(d), p); err == nil && !strings.HasPrefix(rel, "..") {
				return "", "", false
			}
		}
		return NeedFile, m[0], true
	}
	return "", "", false
}

// causeLine returns the line of a failure's message that says what failed: a panic's line;
// else the first line that speaks of a failure (a fatal log, an error), since a step may log
// before it fails (a retry, a warning) and print more after (a stack trace of every wrapping,
// where its cache was); else the last line, where log.Fatal(err) leaves the error.
func causeLine(msg string) string {
	if i := strings.Index(msg, "panic: "); i >= 0 {
		line, _, _ := strings.Cut(msg[i:], "\n")
		return line
	}
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	for _, l := range lines {
		if failureWordRE.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// failureWordRE matches a line that says something failed.
var failureWordRE = regexp.MustCompile(`(?i)\b(fatal|error|failed|failure|cannot|unable)\b`)

// RunNeeds reports whether every problem is a replay of the notebook that failed for want of
// something this machine lacks (see [ClassifyRunFailure]), and returns each as a [RunNeed].
// Any other problem (a build or vet error, a panic of the code) makes it return false: the
// extraction is refused as before.
func RunNeeds(probs []Problem, own []string) ([]RunNeed, bool) {
	return (&Plan{}).ConsequentRunNeeds(context.Background(), probs, nil, &RunEvidence{Own: own})
}

// readmeRunUnverified is the README's account of a run that was not verified: which steps
// need what, and how to verify them. It is "" when the run was verified (or not attempted).
func (p *Plan) readmeRunUnverified() string {
	if len(p.RunUnverified) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("### Verification: the run was not verified\n\n")
	sb.WriteString("When this service was extracted, its full test (`TestRun`, which replays the notebook's steps) could not run on the machine\n")
	sb.WriteString("that extracted it, for want of what the steps below need at run time. The service was verified with `go build`,\n")
	sb.WriteString("`go vet` and `go test -short` (which skips the tests that replay the notebook); whether the whole pipeline runs was not.\n\n")
	sb.WriteString("| step | cell | line | needs | cause |\n|---|---|---|---|---|\n")
	for _, n := range p.RunUnverified {
		step := n.Step
		if step == "" {
			step = "?"
		}
		cause := "`" + strings.ReplaceAll(n.Cause, "|", "\\|") + "`"
		if n.Then != "" {
			cause += "; the full replay then failed with `" + strings.ReplaceAll(n.Then, "|", "\\|") + "`"
		}
		fmt.Fprintf(&sb, "| `%s` | %d | %d | %s | %s |\n", step, n.Cell, n.Line, n.Need, cause)
	}
	var remedies []string
	for _, n := range p.RunUnverified {
		if r := n.Remedy(); !slices.Contains(remedies, r) {
			remedies = append(remedies, r)
		}
	}
	fmt.Fprintf(&sb, "\nTo verify it, %s.\n\n", strings.Join(remedies, "; "))
	return sb.String()
}

// Decision is the report's warning for a step whose run was not verified.
func (n RunNeed) Decision() Decision {
	return Decision{Cell: n.Cell, Line: n.Line, Subject: "run not verified", Action: "warning",
		Reason: fmt.Sprintf("the pipeline's run was not verified here: %s; verified with go test -short instead; %s", n, n.Remedy())}
}

// ConsequentRunNeeds is [RunNeeds] for the full replay of an extraction whose earlier replays
// (the golden test, the reproducibility tests) already failed for want of what this machine
// lacks (earlier). A failure of the full replay counts as a consequence of such a need, not as
// the code's own, only where it cannot be told apart from one: at the same line of the service
// as the earlier failure (the download that failed now finds the empty file it left), or in the
// same step or a later one (a step after one that cannot run here cannot be verified here), or
// naming the file that a download which failed for want of the network was to write (another
// step finds what it left: an empty file with the wrong hash). Any other failure is the code's,
// and refused.
//
// Beyond messages, it reads the evidence ev holds (see runlib.go): a panic inside a library in
// a step the notebook's saved outputs show completing, and a nil dereference after a network
// call whose error the code never checked, to a host this machine cannot reach. When it
// returns false, it adds to a problem what it learned that explains it (that the code
// discards a network call's error) for the refusal.
func (p *Plan) ConsequentRunNeeds(ctx context.Context, probs, earlier []Problem, ev *RunEvidence) ([]RunNeed, bool) {
	if ev == nil {
		ev = &RunEvidence{}
	}
	own := ev.Own
	order := map[string]int{}
	for i, st := range p.Steps {
		if st.Kept {
			order[st.Name] = i + 1
		}
	}
	type envFailure struct {
		prob        Problem
		need, cause string
	}
	var env []envFailure
	for _, e := range earlier {
		if need, cause, ok := ClassifyRunFailure(e.Msg, own); ok && e.Step == "test" {
			env = append(env, envFailure{e, need, cause})
		}
	}
	if len(probs) == 0 {
		return nil, false
	}
	var needs []RunNeed
	all := true
	for i, pr := range probs {
		if pr.Step != "test" {
			all = false
			continue
		}
		if need, cause, ok := ClassifyRunFailure(pr.Msg, own); ok {
			needs = append(needs, RunNeed{Step: pr.Replaying, Cell: pr.Cell, Line: pr.CellLine, Need: need, Cause: cause})
			continue
		}
		found := false
		for _, e := range env {
			sameLine := e.prob.File != "" && e.prob.File == pr.File && e.prob.Line == pr.Line
			later := order[e.prob.Replaying] > 0 && order[pr.Replaying] >= order[e.prob.Replaying]
			if sameLine || later || namesDownload(causeLine(pr.Msg), causeLine(e.prob.Msg)) {
				needs = append(needs, RunNeed{Step: e.prob.Replaying, Cell: e.prob.Cell, Line: e.prob.CellLine, Need: e.need, Cause: e.cause,
					Then: firstLine(pr.String())})
				found = true
				break
			}
		}
		if found {
			continue
		}
		if n, decided := p.authorFileNeed(pr); decided {
			// A relative file the replay could not open: the author's file (not beside the
			// notebook, and no other cell makes it), or the service's defect (shipped, or made
			// by another cell): never a library's, even when a helper of one raised the panic.
			if n.Need != "" {
				needs = append(needs, n)
				continue
			}
			all = false
			continue
		}
		if n, ok := p.libraryNeed(pr, ev); ok {
			needs = append(needs, n)
			continue
		}
		n, note, ok := p.uncheckedNetworkNeed(ctx, pr, ev)
		if ok {
			needs = append(needs, n)
			continue
		}
		if note != "" && !strings.Contains(pr.Msg, note) {
			probs[i].Msg += " (" + note + ")"
		}
		all = false
	}
	if !all {
		return nil, false
	}
	return needs, true
}

// relMissingFileRE matches the os package's words for a file that does not exist, at a
// relative path.
var relMissingFileRE = regexp.MustCompile(`(?:open|stat|lstat) ([^/\s:][^:\n]*): no such file or directory`)

// authorFileNeed reads a replay that failed to open a file by a relative path. decided is
// false when the failure is not one. Otherwise the need is the author's file (NeedFile) when
// Decant did not find the file beside the notebook to ship it and no cell but the one that
// reads it names it: the notebook read a file that only its author's directory had. When the
// file was shipped, or another cell names it (a cell that writes or fetches it), the need is
// empty: a file the service should have had is missing, which is the service's defect.
func (p *Plan) authorFileNeed(pr Problem) (n RunNeed, decided bool) {
	if pr.Step != "test" {
		return RunNeed{}, false
	}
	m := relMissingFileRE.FindStringSubmatch(causeLine(pr.Msg))
	if m == nil {
		return RunNeed{}, false
	}
	rel := path.Clean(filepath.ToSlash(m[1]))
	for _, a := range p.Assets {
		if path.Clean(a.Path) == rel {
			return RunNeed{}, true
		}
	}
	reader := p.replayedCell(pr)
	base := path.Base(rel)
	for _, c := range p.Cells {
		if c.Index != reader && c.Index != pr.Cell && c.Type == "code" && strings.Contains(c.src, base) {
			return RunNeed{}, true
		}
	}
	return RunNeed{Step: pr.Replaying, Cell: pr.Cell, Line: pr.CellLine, Need: NeedFile,
		Cause: m[0] + " (the notebook reads it by a relative path, but it is not beside the notebook and no other cell makes it: its author's file)"}, true
}

// urlRE matches a URL in a failure's message.
var urlRE = regexp.MustCompile(`https?://[^\s"']+`)

// namesDownload reports whether cause names a local file of the same name as a URL that
// earlier, a network failure, names: "/home/x/work/cifar/cifar-10-binary.tar.gz" after
// failing to get "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz".
func namesDownload(cause, earlier string) bool {
	local := urlRE.ReplaceAllString(cause, "") // paths, not the URL again
	for _, u := range urlRE.FindAllString(earlier, -1) {
		u, _, _ = strings.Cut(u, "?")
		base := u[strings.LastIndex(u, "/")+1:]
		if len(base) < 4 || !strings.Contains(base, ".") {
			continue // a bare host or directory names no file
		}
		if regexp.MustCompile(`/` + regexp.QuoteMeta(base) + `\b`).MatchString(local) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// ReplayEnvError is a replay of the notebook's steps (the golden test, a reproducibility
// test) that failed for want of what this machine lacks at run time; Output is go test's.
type ReplayEnvError struct {
	Test   string
	Output []byte
}

func (e *ReplayEnvError) Error() string {
	return fmt.Sprintf("running %s: a step needs what this machine lacks: %s", e.Test, causeLine(failureLines(causeFirst(string(e.Output)))))
}

// environmental reports whether a failed go test's output in dir (the service) failed for want
// of what this machine lacks at run time rather than for the code's own reasons.
func environmental(text, dir string) bool {
	msg := text
	if i := strings.Index(msg, "panic: "); i < 0 {
		msg = failureLines(causeFirst(msg))
	}
	_, _, ok := ClassifyRunFailure(msg, []string{dir, os.TempDir()})
	return ok
}

// emptySHA256 is the sha256 of no bytes: a file with it is empty.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// ExplainEmptyFiles says, of a failure that reports a file's hash as that of an empty file,
// what usually left it there: a download that failed before (without the network), which a
// library took for a file it already had. It stays a refusal: nothing shows that here.
func ExplainEmptyFiles(probs []Problem) {
	for i, p := range probs {
		if strings.Contains(p.Msg, emptySHA256) && !strings.Contains(p.Msg, "is that of an empty file") {
			probs[i].Msg += " (" + emptySHA256[:8] + "… is that of an empty file: a download that failed before, without the network, may have left it; delete the file and run again where the network is reachable)"
		}
	}
}
