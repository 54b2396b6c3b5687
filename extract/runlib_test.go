package extract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/decant-go/decant/notebooks"
)

// replayCell is a code cell of a test notebook and what its saved outputs say: count 0 never
// ran; failed holds an error output.
type replayCell struct {
	src    string
	count  int
	stdout string
	failed string
}

// replayPlan builds and renders a notebook of the kernel's from cells (a markdown label first).
func replayPlan(t *testing.T, kernel, label string, cells ...replayCell) (*Plan, *Output) {
	t.Helper()
	nbCells := []map[string]any{{"cell_type": "markdown", "metadata": map[string]any{}, "source": label}}
	for _, c := range cells {
		cell := map[string]any{"cell_type": "code", "metadata": map[string]any{}, "source": c.src, "outputs": []any{}, "execution_count": nil}
		if c.count > 0 {
			cell["execution_count"] = c.count
		}
		var outs []any
		if c.stdout != "" {
			outs = append(outs, map[string]any{"output_type": "stream", "name": "stdout", "text": c.stdout})
		}
		if c.failed != "" {
			outs = append(outs, map[string]any{"output_type": "error", "ename": "ERROR", "evalue": c.failed, "traceback": []any{}})
		}
		if outs != nil {
			cell["outputs"] = outs
		}
		nbCells = append(nbCells, cell)
	}
	raw, err := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "cells": nbCells,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": kernel, "language": "go", "display_name": "Go"}}})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := notebooks.Parse("replay.ipynb", raw)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Build(nb, raw, Options{Slug: "svc", NoModuleSearch: true, KeepFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := plan.Render()
	if err != nil {
		t.Fatal(err)
	}
	return plan, out
}

// lineOf returns the line of file in out that holds text.
func lineOf(t *testing.T, out *Output, file, text string) int {
	t.Helper()
	for i, l := range strings.Split(string(out.Files[file]), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q:\n%s", file, text, out.Files[file])
	return 0
}

// replayDir is where the tests' service was verified.
const replayDir = "/tmp/decant-extract-2616800633"

// testOutput is go test's output for a TestRun that panicked with panicLine while replaying
// step (cell 2, line 1), in the goroutine whose frames (function, then file:line) are given
// innermost first, after those of the test framework's re-panic.
func testOutput(step, panicLine string, frames ...string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "?   \texample.com/svc/cmd/svc\t[no test files]\n%s %s (cell 2, line 1)\n--- FAIL: TestRun (0.00s)\n", ReplayMarker, step)
	fmt.Fprintf(&sb, "panic: %s [recovered, repanicked]\n\ngoroutine 21 [running]:\n", panicLine)
	sb.WriteString("testing.tRunner.func1.2({0xd6cea0, 0x1ce51b9a4100})\n\t/usr/local/go/src/testing/testing.go:1974 +0x232\n")
	sb.WriteString("testing.tRunner.func1()\n\t/usr/local/go/src/testing/testing.go:1977 +0x349\n")
	sb.WriteString("panic({0xd6cea0?, 0x1ce51b9a4100?})\n\t/usr/local/go/src/runtime/panic.go:860 +0x13a\n")
	for i := 0; i+1 < len(frames); i += 2 {
		fmt.Fprintf(&sb, "%s\n\t%s +0x3c\n", frames[i], frames[i+1])
	}
	sb.WriteString("example.com/svc/svc.TestRun.func1()\n\t" + replayDir + "/svc/pipeline_test.go:19 +0x37\n")
	sb.WriteString("testing.tRunner(0x1ce51ba5cfc8, 0xeac7d8)\n\t/usr/local/go/src/testing/testing.go:2036 +0xea\n")
	sb.WriteString("created by testing.(*T).Run in goroutine 1\n\t/usr/local/go/src/testing/testing.go:2101 +0x4c5\nFAIL\texample.com/svc/svc\t0.012s\nFAIL\n")
	return sb.String()
}

// The kans_shapes notebooks of GoMLX (v0.26.0, v0.28.1) panic inside GoMLX's pure-Go backend
// here, where their saved outputs show the cell completing on the author's XLA. The panic's
// line and the library's frame are those the v0.28.1 notebook's replay printed.
const (
	kansPanic = `failed to execute graph "Store.Exec:github.com/gomlx/gomlx/ml/model.convertExecFn[...].func1#1": runtime panic: : runtime error: index out of range [115] with length 115`
	kansLib   = "github.com/gomlx/gomlx/ml/model.MustCallOnceN[...]({0xed2b50?, 0x1ce51ba00720?}, 0xde3e00?, 0x1ce51b992d08?, {0x0?, 0x1ce51b992d30?, 0x4284a5?})"
	kansFile  = "/root/go/pkg/mod/github.com/gomlx/gomlx@v0.28.1/ml/model/execaliases.go:147"
	kansDecl  = "import \"github.com/gomlx/gomlx/ml/model\"\n\n// UploadTrainingData stores the data as variables.\nfunc UploadTrainingData(store *model.Store) {\n\t_ = model.MustCallOnceN(Backend, store, makeData)\n}"
	kansStep  = "%%\nUploadTrainingData(nil)\nfmt.Println(\"uploaded\")"
)

// librarySource reads the library files the tests' traces name, as they are in the module
// cache: GoMLX's MustCallOnceN panics with the error its own call returned (line 147), and
// must.M panics with the error its caller passed (line 13). Other files are not there.
func librarySource(name string) ([]byte, error) {
	pad := func(line int, code string) []byte {
		lines := strings.Count(code[:strings.Index(code, "panic(")], "\n")
		return []byte(strings.Repeat("\n", line-1-lines) + code)
	}
	switch name {
	case strings.TrimSuffix(kansFile, ":147"):
		return pad(147, "package model\nfunc MustCallOnceN(graphFn any) []any {\n\toutputs, err := CallOnceN(graphFn)\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\treturn outputs\n}\n"), nil
	case "/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go":
		return pad(13, "package must\nvar M = func(err error) {\n\tif err != nil {\n\t\tpanic(err)\n\t}\n}\n"), nil
	}
	return nil, errors.New("not in the module cache")
}

// A library's helper that panics with what its caller passed relays the caller's failure; a
// panic with the library's own value, or a runtime panic on a line without a panic call, is
// the library's; a source that cannot be read is not known.
func TestRelaysPanic(t *testing.T) {
	ev := &RunEvidence{ReadFile: librarySource}
	for _, tc := range []struct {
		file         string
		line         int
		relay, known bool
	}{
		{strings.TrimSuffix(kansFile, ":147"), 147, false, true},
		{strings.TrimSuffix(kansFile, ":147"), 145, false, true}, // the call that returned err: the library's own
		{"/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go", 13, true, true},
		{"/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go", 12, false, true},
		{"/nowhere/lib.go", 3, false, false},
	} {
		relay, known := ev.relaysPanic(Frame{File: tc.file, Line: tc.line})
		if relay != tc.relay || known != tc.known {
			t.Errorf("relaysPanic(%s:%d) = %v, %v; want %v, %v", tc.file, tc.line, relay, known, tc.relay, tc.known)
		}
	}
}

func TestLibraryNeed(t *testing.T) {
	saved := replayCell{src: kansStep, count: 4, stdout: "/trainXYs: shape=(Float32)[1, 32000, 2]\n"}
	for _, tc := range []struct {
		name   string
		step   replayCell
		panic  string
		frames func(out *Output) []string // innermost first, before the service's step
		want   bool
	}{
		{"kans_shapes: the cell's saved outputs show it completing", saved, kansPanic, func(out *Output) []string {
			return []string{kansLib, kansFile, "example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, true},
		{"the cell's saved outputs hold an error", replayCell{src: kansStep, count: 4, failed: "panic: " + kansPanic}, kansPanic, func(out *Output) []string {
			return []string{kansLib, kansFile, "example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, false},
		{"the cell never ran", replayCell{src: kansStep}, kansPanic, func(out *Output) []string {
			return []string{kansLib, kansFile, "example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, false},
		{"the service's own code panicked, called back by the library", saved, "runtime error: index out of range [3] with length 3", func(out *Output) []string {
			return []string{"example.com/svc/svc.makeData(...)", fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN")),
				kansLib, kansFile, "example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, false},
		{"the standard library panicked, called by the service", saved, "strings: negative Repeat count", func(out *Output) []string {
			return []string{"strings.Repeat({0x5a1b2c, 0x1}, 0xffffffffffffffff)", "/usr/local/go/src/strings/strings.go:600",
				"example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, false},
		{"a helper of a library relays the service's error (must.M)", saved, "unexpected EOF", func(out *Output) []string {
			return []string{"github.com/janpfeifer/must.M(...)", "/root/go/pkg/mod/github.com/janpfeifer/must@v0.2.0/must.go:13",
				"example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, false},
		{"the library's source cannot be read", saved, kansPanic, func(out *Output) []string {
			return []string{kansLib, "/nowhere/ml/model/execaliases.go:147", "example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, false},
		{"a nil dereference inside the library", saved, "runtime error: invalid memory address or nil pointer dereference", func(out *Output) []string {
			return []string{kansLib, kansFile, "example.com/svc/svc.UploadTrainingData(0x0?)",
				fmt.Sprintf("%s/svc/prediction.go:%d", replayDir, lineOf(t, out, "svc/prediction.go", "MustCallOnceN"))}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, out := replayPlan(t, "gonb", "## 3. Calculation", replayCell{src: kansDecl, count: 3}, tc.step)
			frames := append(tc.frames(out), "example.com/svc/svc.calculate()",
				fmt.Sprintf("%s/svc/pipeline.go:%d", replayDir, lineOf(t, out, "svc/pipeline.go", "UploadTrainingData(nil)")))
			probs := Locate(replayDir, out, "test", []byte(testOutput("calculate", tc.panic, frames...)))
			if len(probs) != 1 || len(probs[0].Frames) != len(frames)/2+5 {
				t.Fatalf("Locate = %+v; want one problem with the goroutine's %d frames", probs, len(frames)/2+5)
			}
			needs, ok := plan.ConsequentRunNeeds(context.Background(), probs, nil, &RunEvidence{Own: []string{replayDir, "/tmp"}, Out: out, ReadFile: librarySource})
			if ok != tc.want {
				t.Fatalf("ConsequentRunNeeds(%s) = %+v, %v; want %v", probs[0], needs, ok, tc.want)
			}
			if !ok {
				return
			}
			n := needs[0]
			want := "github.com/gomlx/gomlx@v0.28.1, package github.com/gomlx/gomlx/ml/model (ml/model/execaliases.go:147) panicked: " + kansPanic +
				"; the notebook's saved outputs show cell 2 ran without failure where the notebook ran"
			if n.Need != NeedLibrary || n.Step != "calculate" || n.Cell != 1 || n.Line != 5 || n.Cause != want {
				t.Errorf("need = %+v\nwant the library at step calculate, cell 1, line 5: %s", n, want)
			}
			if s := n.String(); !strings.Contains(s, "calls a library that behaves differently here than where the notebook ran") {
				t.Errorf("String() = %q", s)
			}
			if r := n.Remedy(); !strings.Contains(r, "where the notebook ran") {
				t.Errorf("Remedy() = %q", r)
			}
			// Where the library's version came from is told: a version Decant chose may be
			// the difference.
			plan.UseModules(&ModuleContext{From: map[string]string{"github.com/gomlx/gomlx": "the release nearest v0.28.1-0.20260415090640-b453aed981ef (the enclosing module's go.mod), which could not be fetched"}})
			needs, _ = plan.ConsequentRunNeeds(context.Background(), probs, nil, &RunEvidence{Own: []string{replayDir, "/tmp"}, Out: out, ReadFile: librarySource})
			if want += " (github.com/gomlx/gomlx is at v0.28.1 here: the release nearest v0.28.1-0.20260415090640-b453aed981ef (the enclosing module's go.mod), which could not be fetched)"; len(needs) != 1 || needs[0].Cause != want {
				t.Errorf("with the module context, needs = %+v\nwant the cause %s", needs, want)
			}
		})
	}
}

// Display.ipynb (gophernotes v0.7.5), cell 6: the error of http.Get is overwritten unread, so
// without the network resp is nil where its Body is read.
const (
	displayImports = "import (\n\t\"fmt\"\n\t\"io/ioutil\"\n\t\"net/http\"\n)"
	displayCell    = "resp, err := http.Get(\"https://github.com/gopherdata/gophernotes/raw/master/files/gophernotes-logo.png\")\nbytes, err := ioutil.ReadAll(resp.Body)\nresp.Body.Close()\nfmt.Println(len(bytes), err)"
	nilPanic       = "runtime error: invalid memory address or nil pointer dereference"
)

func TestUncheckedNetworkNeed(t *testing.T) {
	noHost := &net.DNSError{Err: "no such host", Name: "github.com", IsNotFound: true}
	for _, tc := range []struct {
		name, cell string
		reach      error // what the probe says; nil: reachable
		want       bool
		cause      string // in the need's cause, or (refused) in the problem
	}{
		{"Display: err overwritten unread, host unreachable", displayCell, noHost, true,
			"cell 2, line 2 never checks http.Get's error (err) before resp is used, and this machine cannot reach github.com (lookup github.com: no such host), so resp was nil where the replay panicked, at cell 2, line 3 (invalid memory address or nil pointer dereference)"},
		{"error discarded, host unreachable", strings.Replace(displayCell, "resp, err := http.Get", "resp, _ := http.Get", 1), noHost, true,
			"cell 2, line 2 discards http.Get's error, and this machine cannot reach github.com"},
		{"a client's method, error discarded", strings.Replace(displayCell, "resp, err := http.Get", "resp, _ := http.DefaultClient.Get", 1), noHost, true,
			"cell 2, line 2 discards (*http.Client).Get's error, and this machine cannot reach github.com"},
		{"error unread, the host reachable", displayCell, nil, false,
			"cell 2, line 2 never checks http.Get's error (err) before resp is used, so resp is nil when the call fails; this machine reaches github.com, so the call failed for another reason"},
		{"the error checked", strings.Replace(displayCell, "\nbytes", "\nif err != nil {\n\tfmt.Println(err)\n}\nbytes", 1), noHost, false, ""},
		{"the URL not a constant", "url := \"https://github.com/x.png\"\n" + displayCell[:strings.Index(displayCell, "(")+1] + "url)" + displayCell[strings.Index(displayCell, "\n"):], noHost, false,
			"the address is not a constant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, out := replayPlan(t, "gonb", "## 1. Preparation", replayCell{src: displayImports, count: 1},
				replayCell{src: "%%\n" + tc.cell, count: 2, stdout: "1234 <nil>\n"})
			at := lineOf(t, out, "svc/pipeline.go", "ioutil.ReadAll(resp.Body)")
			text := testOutput("prepare", nilPanic, "example.com/svc/svc.prepare()", fmt.Sprintf("%s/svc/pipeline.go:%d", replayDir, at))
			text = strings.Replace(text, "\n\ngoroutine", "\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x40 pc=0x77e630]\n\ngoroutine", 1)
			probs := Locate(replayDir, out, "test", []byte(text))
			probed := 0
			ev := &RunEvidence{Own: []string{replayDir, "/tmp"}, Out: out, Probe: func(_ context.Context, host, port string) error {
				probed++
				if host != "github.com" || port != "443" {
					t.Errorf("probed %s:%s; want github.com:443", host, port)
				}
				return tc.reach
			}}
			needs, ok := plan.ConsequentRunNeeds(context.Background(), probs, nil, ev)
			if ok != tc.want {
				t.Fatalf("ConsequentRunNeeds(%s) = %+v, %v; want %v", probs[0], needs, ok, tc.want)
			}
			if !ok {
				if tc.cause == "" && probs[0].Msg != "panic: "+nilPanic+" [recovered, repanicked]" {
					t.Errorf("refusal explained: %s", probs[0].Msg)
				}
				if !strings.Contains(probs[0].Msg, tc.cause) {
					t.Errorf("refusal = %s\nwant it to say %q", probs[0].Msg, tc.cause)
				}
				return
			}
			n := needs[0]
			if n.Need != NeedNetwork || n.Step != "prepare" || n.Cell != 2 || n.Line != 2 || !strings.Contains(n.Cause, tc.cause) {
				t.Errorf("need = %+v\nwant the network at step prepare, cell 2, line 2: %s", n, tc.cause)
			}
			if probed != 1 {
				t.Errorf("probed %d times; want once", probed)
			}
		})
	}
}

func TestProbeHost(t *testing.T) {
	if err := ProbeHost(context.Background(), "127.0.0.1", "1"); err == nil {
		t.Error("ProbeHost(127.0.0.1:1) = nil; want connection refused")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	if err := ProbeHost(context.Background(), "127.0.0.1", port); err != nil {
		t.Errorf("ProbeHost(%s) = %v; want nil", l.Addr(), err)
	}
	var dnsErr *net.DNSError
	if err := ProbeHost(context.Background(), "data.example.invalid", "443"); !errors.As(err, &dnsErr) {
		t.Errorf("ProbeHost(data.example.invalid) = %v; want a DNS error", err)
	}
}

func TestPanicFrames(t *testing.T) {
	out := testOutput("createScopeCheckThat", kansPanic, kansLib, kansFile,
		"example.com/svc/svc.UploadTrainingData(0x0?)", replayDir+"/svc/prediction.go:149")
	got := panicFrames(out)
	want := []Frame{
		{"testing.tRunner.func1.2", "/usr/local/go/src/testing/testing.go", 1974},
		{"testing.tRunner.func1", "/usr/local/go/src/testing/testing.go", 1977},
		{"panic", "/usr/local/go/src/runtime/panic.go", 860},
		{"github.com/gomlx/gomlx/ml/model.MustCallOnceN[...]", "/root/go/pkg/mod/github.com/gomlx/gomlx@v0.28.1/ml/model/execaliases.go", 147},
		{"example.com/svc/svc.UploadTrainingData", replayDir + "/svc/prediction.go", 149},
		{"example.com/svc/svc.TestRun.func1", replayDir + "/svc/pipeline_test.go", 19},
		{"testing.tRunner", "/usr/local/go/src/testing/testing.go", 2036},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("panicFrames =\n%v\nwant\n%v", got, want)
	}
	// GOTRACEBACK=system (testscript's default) names the goroutine's g and m, and each
	// frame's pointers.
	system := strings.Replace(out, "goroutine 21 [running]:", "goroutine 21 gp=0xc000102380 m=4 mp=0xc000100008 [running]:", 1)
	system = strings.ReplaceAll(system, " +0x3c\n", " +0x3c fp=0xc00012fe40 sp=0xc00012fd90 pc=0x4d5e1c\n")
	if got := panicFrames(system); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("panicFrames (GOTRACEBACK=system) =\n%v\nwant\n%v", got, want)
	}
	if mod, rel, ok := cachedModule("/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.3.2/decode.go"); !ok || mod != "github.com/BurntSushi/toml@v1.3.2" || rel != "decode.go" {
		t.Errorf("cachedModule = %q, %q, %v", mod, rel, ok)
	}
	if got := funcPackage("github.com/gomlx/gomlx/backends/simplego.(*Backend).Execute"); got != "github.com/gomlx/gomlx/backends/simplego" {
		t.Errorf("funcPackage = %q", got)
	}
}
