package nbrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/decant-go/decant/internal/safefile"
)

// Versions Setup installs when no module with tool directives is at hand;
// they match the module's go.mod.
const (
	GoNBVersion      = "v0.11.1"
	GoImportsVersion = "v0.52.0"
	goImportsPkg     = "golang.org/x/tools/cmd/goimports"
)

// SetupOptions configures Setup. The zero value installs the tools of a
// module found from the current directory (else the pinned versions) into
// go install's usual directory and registers the kernel in Jupyter's user
// data directory.
type SetupOptions struct {
	// ModuleDir is a module whose go.mod pins GoNB and goimports with tool
	// directives (Decant's own source); "" means FindGoNBModule(""). When
	// there is none, GoNBVersion and GoImportsVersion are installed by
	// version.
	ModuleDir string
	// ByVersion installs GoNBVersion and GoImportsVersion by version even
	// when a module pinning them is found.
	ByVersion bool
	// BinDir is where the programs are installed (GOBIN); "" means go
	// install's default, $GOBIN or $GOPATH/bin.
	BinDir string
	// DataDir is the Jupyter data directory the kernelspec goes into;
	// "" means $JUPYTER_DATA_DIR, else the user's (~/.local/share/jupyter).
	DataDir string
	// Go is the go command; "" means "go".
	Go string
	// Env holds extra "KEY=value" entries for the commands run.
	Env []string
	// Log receives the commands run and their output; nil discards it.
	Log io.Writer
}

// SetupResult says what Setup did.
type SetupResult struct {
	Method    string // "tool directives in <dir>" or "go install by version"
	GoNB      string // the installed gonb program
	GoImports string // the installed goimports program
	KernelDir string // the kernelspec directory (holding copies of both)
}

// Setup installs GoNB and goimports and registers GoNB's kernelspec with
// the binary copied into the kernelspec directory (gonb --install
// --force_copy), so the kernel depends neither on the build cache nor on
// GOBIN. goimports, which GoNB runs on every cell, is copied next to it
// and put first on the kernel's PATH.
//
// With a module that pins both tools it runs `go install tool` there.
// Without one it runs `go install <pkg>@<version>` for each; for GoNB,
// whose version list the public proxy refuses, the module cache's
// download directory is put first in GOPROXY so the deprecation check is
// answered locally.
func Setup(ctx context.Context, opts SetupOptions) (*SetupResult, error) {
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	r := &setupRunner{ctx: ctx, log: opts.Log, env: append(os.Environ(), opts.Env...)}
	bin := opts.BinDir
	if bin == "" {
		var err error
		if bin, err = r.goBin(goCmd); err != nil {
			return nil, err
		}
	} else {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return nil, err
		}
		bin = abs
		r.env = append(r.env, "GOBIN="+bin)
	}
	res := &SetupResult{GoNB: filepath.Join(bin, exe("gonb")), GoImports: filepath.Join(bin, exe("goimports"))}

	mod := opts.ModuleDir
	if mod == "" && !opts.ByVersion {
		mod = FindGoNBModule("")
	}
	if opts.ByVersion {
		mod = ""
	}
	if mod != "" {
		res.Method = "tool directives in " + mod
		if _, err := r.run(mod, nil, goCmd, "install", "tool"); err != nil {
			return nil, fmt.Errorf("installing GoNB and goimports from the tool directives in %s: %w", mod, err)
		}
		if data, err := os.ReadFile(filepath.Join(mod, "go.mod")); err == nil && !PinsTool(data, goImportsPkg) {
			if _, err := r.run("", nil, goCmd, "install", goImportsPkg+"@"+GoImportsVersion); err != nil {
				return nil, fmt.Errorf("installing goimports: %w", err)
			}
		}
	} else {
		res.Method = "go install by version"
		if _, err := r.run("", nil, goCmd, "install", goImportsPkg+"@"+GoImportsVersion); err != nil {
			return nil, fmt.Errorf("installing goimports: %w", err)
		}
		extra, err := r.cacheProxy(goCmd)
		if err != nil {
			return nil, err
		}
		if _, err := r.run("", extra, goCmd, "install", GoNBModule+"@"+GoNBVersion); err != nil {
			return nil, fmt.Errorf("installing GoNB (the proxy refuses GoNB's version list; with its module in the module cache the install works offline): %w", err)
		}
	}
	for _, p := range []string{res.GoNB, res.GoImports} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("installing GoNB: %s was not installed: %w", p, err)
		}
	}

	var extra []string
	if opts.DataDir != "" {
		abs, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, err
		}
		extra = append(extra, "JUPYTER_DATA_DIR="+abs)
	}
	if _, err := r.run("", extra, res.GoNB, "--install", "--force_copy", "--force_deps"); err != nil {
		return nil, fmt.Errorf("registering GoNB's kernelspec: %w", err)
	}
	dir, err := kernelDir(opts.DataDir, r.getenv)
	if err != nil {
		return nil, err
	}
	res.KernelDir = dir
	if err := copyFile(filepath.Join(dir, exe("goimports")), res.GoImports); err != nil {
		return nil, fmt.Errorf("copying goimports into the kernelspec: %w", err)
	}
	if err := addPath(filepath.Join(dir, "kernel.json"), dir); err != nil {
		return nil, err
	}
	return res, nil
}

type setupRunner struct {
	ctx context.Context
	log io.Writer
	env []string
}

func (r *setupRunner) getenv(k string) string {
	v := ""
	for _, kv := range r.env {
		if key, val, ok := strings.Cut(kv, "="); ok && key == k {
			v = val // later entries win, as in os/exec
		}
	}
	return v
}

// run runs a command in dir with extra environment entries, logging the
// command and its output; the error includes the output's tail.
func (r *setupRunner) run(dir string, extra []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(r.ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string(nil), r.env...), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if r.log != nil {
		fmt.Fprintf(r.log, "%s%s\n", strings.Join(extra, " ")+sep(extra), strings.Join(append([]string{name}, args...), " "))
	}
	err := cmd.Run()
	if r.log != nil {
		r.log.Write(out.Bytes())
	}
	if err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, tail(out.String(), 2000))
	}
	return out.Bytes(), nil
}

func sep(extra []string) string {
	if len(extra) == 0 {
		return ""
	}
	return " "
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// goBin is where go install puts programs: $GOBIN, else the first entry
// of $GOPATH, plus /bin. go env -json is read because its plain output
// prints an unset variable as an empty line, which trimming would lose.
func (r *setupRunner) goBin(goCmd string) (string, error) {
	env, err := r.goEnv(goCmd, "GOBIN", "GOPATH")
	if err != nil {
		return "", fmt.Errorf("finding go install's directory: %w", err)
	}
	if env["GOBIN"] != "" {
		return env["GOBIN"], nil
	}
	if gopath := filepath.SplitList(env["GOPATH"]); len(gopath) > 0 && gopath[0] != "" {
		return filepath.Join(gopath[0], "bin"), nil
	}
	return "", errors.New("finding go install's directory: go env reports neither GOBIN nor GOPATH")
}

// goEnv reads the named go env variables through go env -json.
func (r *setupRunner) goEnv(goCmd string, names ...string) (map[string]string, error) {
	// Only stdout is JSON; go may warn on stderr.
	cmd := exec.CommandContext(r.ctx, goCmd, append([]string{"env", "-json"}, names...)...)
	cmd.Env = r.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go env -json: %w: %s", err, tail(stderr.String(), 2000))
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("reading go env -json: %w (output %q)", err, tail(string(out), 200))
	}
	return env, nil
}

// cacheProxy returns a GOPROXY setting that answers from the module
// cache's download directory first, when GoNB is in it.
func (r *setupRunner) cacheProxy(goCmd string) ([]string, error) {
	env, err := r.goEnv(goCmd, "GOMODCACHE", "GOPROXY")
	if err != nil {
		return nil, fmt.Errorf("reading go env: %w", err)
	}
	if env["GOMODCACHE"] == "" {
		return nil, nil
	}
	dl := filepath.Join(env["GOMODCACHE"], "cache", "download")
	if _, err := os.Stat(filepath.Join(dl, filepath.FromSlash(GoNBModule), "@v", GoNBVersion+".mod")); err != nil {
		return nil, nil // nothing cached: the proxy is the only hope
	}
	proxy := env["GOPROXY"]
	if proxy == "" || proxy == "off" {
		proxy = "https://proxy.golang.org,direct"
	}
	return []string{"GOPROXY=file://" + filepath.ToSlash(dl) + "," + proxy}, nil
}

// kernelDir is where gonb --install writes its kernelspec.
func kernelDir(dataDir string, getenv func(string) string) (string, error) {
	if dataDir == "" {
		dataDir = getenv("JUPYTER_DATA_DIR")
	}
	if dataDir == "" {
		home := getenv("HOME")
		switch runtime.GOOS {
		case "darwin":
			dataDir = filepath.Join(home, "Library", "Jupyter")
		default:
			dataDir = filepath.Join(home, ".local", "share", "jupyter")
		}
	}
	abs, err := filepath.Abs(filepath.Join(dataDir, "kernels", "gonb"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "kernel.json")); err != nil {
		return "", fmt.Errorf("registering GoNB's kernelspec: gonb --install wrote no %s: %w", filepath.Join(abs, "kernel.json"), err)
	}
	return abs, nil
}

// addPath puts dir first on the PATH of the kernelspec in file, keeping
// the rest of the file.
func addPath(file, dir string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("updating the kernelspec: %w", err)
	}
	spec := map[string]any{}
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("updating the kernelspec %s: %w", file, err)
	}
	env, _ := spec["env"].(map[string]any)
	if env == nil {
		env = map[string]any{}
	}
	env["PATH"] = dir + string(filepath.ListSeparator) + "${PATH}"
	spec["env"] = env
	out, err := json.MarshalIndent(spec, "", " ")
	if err != nil {
		return err
	}
	return writeAtomic(file, append(out, '\n'), 0o644)
}

func copyFile(dst, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeAtomic(dst, data, 0o755)
}

// writeAtomic writes data to a temporary file next to path and renames it
// over path, so a running kernel's program is never half-written.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	return safefile.Write(path, data, safefile.Options{Perm: mode, ForcePerm: true})
}

func exe(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}
