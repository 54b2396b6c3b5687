package proxy

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/decant-go/decant/kernel"
)

// GoNBOptions says where to look for GoNB. The zero value searches the
// usual places.
type GoNBOptions struct {
	// Binary is a GoNB executable to run; it wins over everything else.
	Binary string
	// SpecName is the kernelspec to look for first (default "gonb").
	SpecName string
	// ModuleDir is a Go module whose tool directives pin GoNB (Decant's
	// own source tree); "" looks upward from the working directory and
	// from the decant executable for a go.mod that has a gonb tool line.
	ModuleDir string
	// Getenv and LookPath read the environment (default os.Getenv and
	// exec.LookPath).
	Getenv   func(string) string
	LookPath func(string) (string, error)
}

// FindGoNB finds the GoNB to run underneath the Decant kernel, in order:
// opts.Binary, an installed kernelspec named opts.SpecName, gonb on PATH,
// then the module's pinned tool through `go tool -n gonb`.
func FindGoNB(ctx context.Context, opts GoNBOptions) (*kernel.Spec, error) {
	getenv, lookPath := opts.Getenv, opts.LookPath
	if getenv == nil {
		getenv = os.Getenv
	}
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	if opts.Binary != "" {
		return binarySpec(opts.Binary, getenv, lookPath), nil
	}
	name := opts.SpecName
	if name == "" {
		name = "gonb"
	}
	var tried []string
	home, _ := os.UserHomeDir()
	spec, err := kernel.FindSpecIn(kernel.SpecSearchPath(getenv, home), name)
	if err == nil {
		addGoimports(spec, getenv, lookPath)
		return spec, nil
	}
	tried = append(tried, err.Error())
	if p, err := lookPath("gonb"); err == nil {
		return binarySpec(p, getenv, lookPath), nil
	}
	tried = append(tried, "gonb is not on PATH")
	dirs := []string{opts.ModuleDir}
	if opts.ModuleDir == "" {
		dirs = nil
		if wd, err := os.Getwd(); err == nil {
			dirs = append(dirs, moduleWithGoNB(wd))
		}
		if exe, err := os.Executable(); err == nil {
			dirs = append(dirs, moduleWithGoNB(filepath.Dir(exe)))
		}
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		spec, err := kernel.GoNBSpec(ctx, d)
		if err == nil {
			return spec, nil
		}
		tried = append(tried, err.Error())
	}
	return nil, fmt.Errorf("finding GoNB (install it with `go install github.com/janpfeifer/gonb@v0.11.1 && gonb --install`, or pass --gonb): %s", strings.Join(tried, "; "))
}

// binarySpec is a kernelspec running the GoNB binary at path.
func binarySpec(path string, getenv func(string) string, lookPath func(string) (string, error)) *kernel.Spec {
	s := &kernel.Spec{Name: "gonb", Dir: filepath.Dir(path), Argv: []string{path, "--kernel", "{connection_file}"},
		DisplayName: "Go (gonb)", Language: "go", InterruptMode: "message"}
	addGoimports(s, getenv, lookPath)
	return s
}

// addGoimports puts $GOPATH/bin (or ~/go/bin) on GoNB's PATH when
// goimports is not on PATH already: GoNB runs it on every cell, and
// Jupyter may start kernels with a bare PATH.
func addGoimports(s *kernel.Spec, getenv func(string) string, lookPath func(string) (string, error)) {
	if _, err := lookPath("goimports"); err == nil {
		return
	}
	if _, ok := s.Env["PATH"]; ok {
		return
	}
	var dirs []string
	if gp := getenv("GOPATH"); gp != "" {
		for _, d := range filepath.SplitList(gp) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, "goimports")); err == nil && !fi.IsDir() {
			env := map[string]string{}
			for k, v := range s.Env {
				env[k] = v
			}
			env["PATH"] = d + string(filepath.ListSeparator) + "${PATH}"
			s.Env = env
			return
		}
	}
}

// moduleWithGoNB returns the nearest directory at or above dir whose
// go.mod has a gonb tool directive, or "".
func moduleWithGoNB(dir string) string {
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			if strings.Contains(string(data), "github.com/janpfeifer/gonb") && strings.Contains(string(data), "tool") {
				return dir
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// StartGoNB returns a backend starter that runs spec in dir (the
// notebook's directory), with the kernel's client in BackendSession.
// GoNB's logs go to logs (nil discards them).
func StartGoNB(spec *kernel.Spec, dir string, logs io.Writer) func(ctx context.Context) (Backend, error) {
	return func(ctx context.Context) (Backend, error) {
		if spec == nil {
			return nil, errors.New("no GoNB kernelspec")
		}
		c, err := kernel.Start(ctx, spec, kernel.StartOptions{
			Dir:    dir,
			Stderr: logs,
			Config: kernel.Config{Session: BackendSession},
		})
		if err != nil {
			return nil, err
		}
		return &gonbBackend{Client: c, version: binaryVersion(spec.Argv[0], GoNBModule)}, nil
	}
}

// gonbBackend is a running GoNB and the version of its binary.
type gonbBackend struct {
	*kernel.Client
	version string
}

// GoNBVersion is the version of GoNB's module the binary was built from,
// or "" when unknown.
func (g *gonbBackend) GoNBVersion() string { return g.version }

// binaryVersion reads the version of module mod from the build info of
// the executable at path: its main module or one of its dependencies.
func binaryVersion(path, mod string) string {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return ""
	}
	if info.Main.Path == mod {
		return info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == mod {
			return d.Version
		}
	}
	return ""
}
