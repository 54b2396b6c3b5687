package extract

import (
	"bytes"
	"context"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// This file is the edge of the package: it writes the rendered files to a directory and runs the
// go command there. Everything else in the package is pure.

// WriteDir writes files under dir, creating directories. Each file is written to a temporary name
// and renamed, so no file is ever half-written.
func WriteDir(dir string, files map[string][]byte, exec map[string]bool) error {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
		mode := os.FileMode(0o644)
		if exec[n] {
			mode = 0o755
		}
		tmp := p + ".decant-tmp"
		if err := os.WriteFile(tmp, files[n], mode); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("writing %s: %w", n, err)
		}
	}
	return nil
}

// Problem is a failure of the verify step, mapped back to the notebook where possible.
type Problem struct {
	Step     string // tidy, gofmt, build, vet, test
	File     string // generated file, slash path
	Line     int
	Cell     int // -1 when it maps to no cell
	CellLine int
	Msg      string
}

func (p Problem) String() string {
	loc := p.Step
	if p.File != "" {
		loc += ": " + p.File
		if p.Line > 0 {
			loc += ":" + strconv.Itoa(p.Line)
		}
	}
	if p.Cell >= 0 {
		loc += fmt.Sprintf(" (cell %d, line %d)", p.Cell, p.CellLine)
	}
	return loc + ": " + p.Msg
}

// VerifyOptions configures Tidy and Verify.
type VerifyOptions struct {
	Go      string   // the go command; default "go"
	Env     []string // extra environment
	NoTests bool     // skip go test
	Short   bool     // pass -short to go test
}

func (o VerifyOptions) goCmd() string {
	if o.Go == "" {
		return "go"
	}
	return o.Go
}

func (o VerifyOptions) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, o.goCmd(), args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off"), o.Env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.Bytes(), err
}

// Tidy resolves the module's dependencies in dir with `go mod tidy` and returns go.mod and go.sum.
// GoNB resolved modules at whatever version was newest; pins from the notebook are kept.
func Tidy(ctx context.Context, dir string, opts VerifyOptions) (gomod, gosum []byte, err error) {
	if out, err := opts.run(ctx, dir, "mod", "tidy"); err != nil {
		return nil, nil, fmt.Errorf("resolving module versions (go mod tidy): %w\n%s", err, out)
	}
	gomod, err = os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading go.mod after tidy: %w", err)
	}
	gosum, err = os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, fmt.Errorf("reading go.sum after tidy: %w", err)
	}
	return gomod, gosum, nil
}

var diagRE = regexp.MustCompile(`(?m)^(?:vet: )?(?:\./)?([^\s:]+\.go):(\d+)(?::\d+)?:\s*(.*)$`)

// Verify checks the written repository: gofmt, go build, go vet and go test. Failures are
// returned as problems located in the notebook through out's spans.
func Verify(ctx context.Context, dir string, out *Output, opts VerifyOptions) []Problem {
	var probs []Problem
	locate := func(step string, text []byte) {
		found := false
		for _, m := range diagRE.FindAllSubmatch(text, -1) {
			file := filepath.ToSlash(string(m[1]))
			if rel, err := filepath.Rel(dir, string(m[1])); err == nil && !strings.HasPrefix(rel, "..") {
				file = filepath.ToSlash(rel)
			}
			line, _ := strconv.Atoi(string(m[2]))
			p := Problem{Step: step, File: file, Line: line, Cell: -1, Msg: string(m[3])}
			if c, cl, _, ok := out.Locate(file, line); ok {
				p.Cell, p.CellLine = c, cl
			}
			probs = append(probs, p)
			found = true
		}
		if !found {
			probs = append(probs, Problem{Step: step, Cell: -1, Msg: strings.TrimSpace(string(text))})
		}
	}
	var unformatted []string
	for name, data := range out.Files {
		if !strings.HasSuffix(name, ".go") {
			continue
		}
		if formatted, err := formatGo(data); err != nil || !bytes.Equal(formatted, data) {
			unformatted = append(unformatted, name)
		}
	}
	sort.Strings(unformatted)
	for _, n := range unformatted {
		probs = append(probs, Problem{Step: "gofmt", File: n, Cell: -1, Msg: "not gofmt-formatted"})
	}
	if o, err := opts.run(ctx, dir, "build", "./..."); err != nil {
		locate("build", o)
		return probs // vet and test would repeat the same errors
	}
	if o, err := opts.run(ctx, dir, "vet", "./..."); err != nil {
		locate("vet", o)
	}
	if !opts.NoTests {
		args := []string{"test", "-count=1"}
		if opts.Short {
			args = append(args, "-short")
		}
		if o, err := opts.run(ctx, dir, append(args, "./...")...); err != nil {
			locate("test", o)
		}
	}
	return probs
}

func formatGo(src []byte) ([]byte, error) { return format.Source(src) }
