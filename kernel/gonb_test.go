//go:build unix

package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel/kerneltest"
)

// Tests against the real GoNB kernel. They skip when GoNB cannot be found
// (neither through the module's tool directive nor as an installed
// kernelspec) and in -short mode.

func moduleRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// gonbSpec finds GoNB: first the version pinned by the module's tool
// directive (written as a kernelspec into a temporary JUPYTER_PATH and
// found from there, as a user's Jupyter would), then an installed gonb
// kernelspec.
func gonbSpec(t testing.TB) *Spec {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping GoNB tests in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tool, toolErr := GoNBSpec(ctx, moduleRoot(t))
	if toolErr == nil {
		root := t.TempDir()
		dir := filepath.Join(root, "kernels", "gonb")
		data, _ := json.Marshal(map[string]any{"argv": tool.Argv, "display_name": tool.DisplayName,
			"language": tool.Language, "interrupt_mode": tool.InterruptMode, "env": tool.Env})
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "kernel.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		getenv := func(k string) string {
			if k == "JUPYTER_PATH" {
				return root
			}
			return ""
		}
		s, err := FindSpecIn(SpecSearchPath(getenv, ""), "gonb")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s, err := FindSpec("gonb"); err == nil {
		if _, err := os.Stat(s.Argv[0]); err == nil {
			return s
		}
	}
	t.Skipf("GoNB not available: no usable gonb kernelspec, and go tool -n gonb failed: %v", toolErr)
	return nil
}

func startGoNB(t testing.TB) *Client {
	t.Helper()
	spec := gonbSpec(t)
	var logs strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, spec, StartOptions{Dir: t.TempDir(), Stderr: &logs})
	if err != nil {
		t.Fatalf("starting GoNB: %v\nkernel log:\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		pgid := c.PID()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if left, err := groupMembers(pgid); err == nil && len(left) > 0 {
			t.Errorf("processes left in the kernel's group %d after Shutdown: %v", pgid, left)
		}
	})
	return c
}

// nbCell is the part of an nbformat code cell these tests need.
type nbCell struct {
	CellType string          `json:"cell_type"`
	Source   json.RawMessage `json:"source"`
	Outputs  []struct {
		OutputType string          `json:"output_type"`
		Name       string          `json:"name"`
		Text       json.RawMessage `json:"text"`
	} `json:"outputs"`
}

// joinText decodes an nbformat multiline string: a string or a list.
func joinText(t *testing.T, raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		t.Fatalf("bad multiline string %s", raw)
	}
	return strings.Join(lines, "")
}

func gonbExamples(t *testing.T) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/janpfeifer/gonb").Output()
	if err != nil {
		t.Skipf("GoNB sources not found: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "examples", "tests")
}

func stdoutOf(outs []Output) string {
	var b strings.Builder
	for _, o := range outs {
		if o.Type == TypeStream && o.Name == "stdout" {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}

func TestGoNBNotebooks(t *testing.T) {
	gonbSpec(t) // skip early when unavailable
	examples := gonbExamples(t)
	for _, name := range []string{"hello.ipynb", "functions.ipynb"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(examples, name))
			if err != nil {
				t.Fatal(err)
			}
			var nb struct {
				Cells []nbCell `json:"cells"`
			}
			if err := json.Unmarshal(data, &nb); err != nil {
				t.Fatal(err)
			}
			c := startGoNB(t)
			for i, cell := range nb.Cells {
				if cell.CellType != "code" {
					continue
				}
				var want strings.Builder
				for _, o := range cell.Outputs {
					if o.OutputType == "stream" && o.Name == "stdout" {
						want.WriteString(joinText(t, o.Text))
					}
				}
				r := execute(t, c, joinText(t, cell.Source), ExecOptions{Timeout: 2 * time.Minute})
				if r.Status != StatusOK {
					t.Errorf("cell %d: status %s, error %v, outputs %+v", i, r.Status, r.Error, r.Outputs)
				}
				if got := stdoutOf(r.Outputs); got != want.String() {
					t.Errorf("cell %d stdout:\n got %q\nwant %q", i, got, want.String())
				}
			}
		})
	}
}

func TestGoNBFailures(t *testing.T) {
	c := startGoNB(t)
	ctx := testCtx(t)

	raw, err := c.KernelInfo(ctx)
	if err != nil || !strings.Contains(string(raw), `"implementation":"gonb"`) {
		t.Errorf("kernel info %s, %v", raw, err)
	}

	r := execute(t, c, "%%\nfmt.Println(\"before\")\npanic(\"boom\")", ExecOptions{Timeout: 2 * time.Minute})
	if r.Status != StatusError || r.Error == nil || r.Error.EName != "RuntimeError" || r.Error.EValue != "panic: boom" {
		t.Errorf("panic cell: status %s error %+v outputs %+v", r.Status, r.Error, r.Outputs)
	}
	if got := stdoutOf(r.Outputs); got != "before\n" {
		t.Errorf("panic cell stdout %q", got)
	}
	r = execute(t, c, "%%\nos.Exit(3)", ExecOptions{Timeout: 2 * time.Minute})
	if r.Status != StatusError || r.Error == nil || r.Error.EValue != "exit status 3" {
		t.Errorf("os.Exit cell: status %s error %+v", r.Status, r.Error)
	}
	r = execute(t, c, "%%\nos.Exit(3)", ExecOptions{Timeout: 2 * time.Minute, KeepRuntimeFailures: true})
	if r.Status != StatusOK {
		t.Errorf("os.Exit cell with KeepRuntimeFailures: status %s", r.Status)
	}
	r = execute(t, c, "%%\nundefinedIdentifier++", ExecOptions{Timeout: 2 * time.Minute})
	if r.Status != StatusError || r.Error == nil {
		t.Errorf("compile error cell: status %s error %+v", r.Status, r.Error)
	}

	// GoNB never answers is_complete_request.
	rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	_, err = c.Request(rctx, "is_complete_request", map[string]string{"code": "x :="})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("is_complete_request: %v, want DeadlineExceeded", err)
	}

	// A cell past its timeout is interrupted and the kernel stays usable.
	r = execute(t, c, "%%\nfmt.Println(\"sleeping\")\ntime.Sleep(time.Hour)", ExecOptions{Timeout: 5 * time.Second})
	if r.Status != StatusTimeout {
		t.Errorf("sleep cell: status %s, error %v", r.Status, r.Error)
	}
	r = execute(t, c, "%%\nfmt.Println(\"awake\")", ExecOptions{Timeout: 2 * time.Minute})
	if r.Status != StatusOK || stdoutOf(r.Outputs) != "awake\n" {
		t.Errorf("cell after timeout: status %s outputs %+v", r.Status, r.Outputs)
	}
}

func TestGoNBStdin(t *testing.T) {
	c := startGoNB(t)
	r := execute(t, c, "%with_inputs\n!read str ; echo \"str=$str\"", ExecOptions{Timeout: time.Minute, Inputs: []string{"foo"}})
	if r.Status != StatusOK || !strings.Contains(stdoutOf(r.Outputs), "str=foo") {
		t.Errorf("status %s error %v outputs %+v", r.Status, r.Error, r.Outputs)
	}
	r = execute(t, c, "%with_inputs\n!read str ; echo \"str=$str\"", ExecOptions{Timeout: time.Minute})
	if r.Status != StatusError || r.Error == nil || r.Error.EValue != errNoInput {
		t.Errorf("without inputs: status %s error %v", r.Status, r.Error)
	}
}

// BenchmarkExecuteEnvCell measures one execute round trip on a cell that
// needs no Go build (%env), against the fake kernel and against GoNB.
//
// The variable name has two letters on purpose: GoNB v0.11.1 only splits
// "%env NAME=value" when NAME is longer than one letter, so "%env K=1"
// is an error reply.
func BenchmarkExecuteEnvCell(b *testing.B) {
	run := func(b *testing.B, c *Client) {
		ctx := context.Background()
		for b.Loop() {
			r, err := c.Execute(ctx, "%env KK=1", ExecOptions{Timeout: time.Minute})
			if err != nil || r.Status != StatusOK {
				b.Fatalf("status %v, err %v", r, err)
			}
		}
	}
	b.Run("fake", func(b *testing.B) {
		s := kerneltest.NewServer(b, kerneltest.HandlerFunc(func(k *kerneltest.Call) {}))
		c, err := Dial(context.Background(), s.Info)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		run(b, c)
	})
	b.Run("gonb", func(b *testing.B) {
		run(b, startGoNB(b))
	})
}
