package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/decant-go/decant/cmd/internal/magics"
	"github.com/decant-go/decant/kernel/proxy"
)

// kernelCommands lists kernel: the Decant kernel's install and serve.
func kernelCommands() []command {
	return []command{
		{"kernel", "the Decant Jupyter kernel, GoNB underneath with %decant magics: install, serve", runKernel},
	}
}

const kernelUsage = `Usage: decant kernel <install|serve> [flags]

	install   write the "Go (GoNB + Decant)" kernelspec (default: for this user)
	serve     run the kernel on a Jupyter connection file (Jupyter runs this)

Run 'decant kernel <subcommand> --help' for its flags.
`

func runKernel(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, kernelUsage)
		return usagef("want a subcommand: install or serve")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, kernelUsage)
		return nil
	case "install":
		return runKernelInstall(args[1:], env)
	case "serve":
		return runKernelServe(ctx, args[1:], env)
	}
	return usagef("unknown subcommand %q (want install or serve)", args[0])
}

type kernelInstallOptions struct {
	user   bool
	prefix string
	name   string
	decant string
}

func runKernelInstall(args []string, env Env) error {
	var o kernelInstallOptions
	fs := newFlags("kernel install", "decant kernel install [--user|--prefix P] [--name decant-go]", env)
	fs.BoolVar(&o.user, "user", false, "install for this user: $JUPYTER_DATA_DIR/kernels or ~/.local/share/jupyter/kernels (the default)")
	fs.StringVar(&o.prefix, "prefix", "", "install into P/share/jupyter/kernels (for a virtualenv or a system-wide prefix)")
	fs.StringVar(&o.name, "name", "decant-go", "kernelspec name, as notebooks refer to it")
	fs.StringVar(&o.decant, "decant", "", "decant executable the kernel runs (default: this one)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if o.user && o.prefix != "" {
		return usagef("--user and --prefix exclude each other")
	}
	if o.name == "" || o.name != filepath.Base(o.name) || strings.ContainsAny(o.name, " /\\") {
		return usagef("--name %q: want a plain name such as decant-go", o.name)
	}
	dir, err := kernelsDir(o, env)
	if err != nil {
		return err
	}
	exe := o.decant
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("finding the decant executable: %w (pass --decant)", err)
		}
		if strings.Contains(exe, string(filepath.Separator)+"go-build") {
			return fmt.Errorf("this decant is a temporary `go run` build (%s); install decant first, or pass --decant", exe)
		}
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return fmt.Errorf("finding the decant executable: %w", err)
	}
	kdir, err := proxy.WriteKernelSpec(dir, o.name, proxy.NewKernelSpec(exe))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "installed the %q kernelspec %s in %s\n", proxy.DisplayName, o.name, kdir)
	return nil
}

// kernelsDir is where install writes: --prefix, else the user's Jupyter
// data directory, as `jupyter kernelspec install` chooses them.
func kernelsDir(o kernelInstallOptions, env Env) (string, error) {
	if o.prefix != "" {
		return filepath.Join(resolve(env, o.prefix), "share", "jupyter", "kernels"), nil
	}
	if d := env.getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Join(resolve(env, d), "kernels"), nil
	}
	home := env.getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("finding the Jupyter data directory: %w (pass --prefix)", err)
		}
	}
	return filepath.Join(home, ".local", "share", "jupyter", "kernels"), nil
}

type kernelServeOptions struct {
	connectionFile string
	gonb           string
	gonbSpec       string
	module         string
	verbose        bool
}

func runKernelServe(ctx context.Context, args []string, env Env) error {
	var o kernelServeOptions
	fs := newFlags("kernel serve", "decant kernel serve --connection-file F [flags]", env)
	fs.StringVar(&o.connectionFile, "connection-file", "", "the connection file Jupyter wrote (required)")
	fs.StringVar(&o.gonb, "gonb", "", "GoNB executable to run (default: the gonb kernelspec, else gonb on PATH, else the source tree's pinned tool)")
	fs.StringVar(&o.gonbSpec, "gonb-kernelspec", "gonb", "name of the installed GoNB kernelspec to look for")
	fs.StringVar(&o.module, "module", "", "Go module whose tool directive pins GoNB (default: found from here or from the decant executable)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "write the kernel's and GoNB's logs to standard error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.connectionFile == "" || fs.NArg() > 0 {
		return usagef("want --connection-file and no arguments")
	}
	var logs io.Writer
	if o.verbose {
		logs = env.Stderr
	}
	getenv := env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return proxy.Run(ctx, resolve(env, o.connectionFile), proxy.RunOptions{
		GoNB:    proxy.GoNBOptions{Binary: o.gonb, SpecName: o.gonbSpec, ModuleDir: o.module, Getenv: getenv},
		Magics:  kernelMagics(env),
		Version: Version(),
		Getenv:  getenv,
		Logs:    logs,
	})
}

// kernelMagics are the %decant magics the kernel answers besides its
// built-in help and version: plan, doc and dupes from package magics, and
// extract, which runs this command line.
func kernelMagics(env Env) map[string]proxy.Magic {
	m := magics.All()
	m["extract"] = notebookMagic(env, "extract", "extract the notebook (as last saved) into its service repository and commit; takes decant extract's flags", false)
	m["sync"] = notebookMagic(env, "sync", "merge edits made in the service back into this notebook (as last saved); takes decant sync's flags", true)
	m["clean"] = notebookMagic(env, "clean", "strip outputs, execution counts and volatile metadata from this notebook (as last saved); takes decant clean's flags", true)
	return m
}

// notebookMagic runs `decant <name> [flags] <notebook>` on the notebook being edited, as last
// saved. A command that rewrites the file under Jupyter (sync, clean) gets a line saying how to
// see the result without overwriting it.
func notebookMagic(outer Env, name, summary string, rewrites bool) proxy.Magic {
	return proxy.Magic{
		Summary: summary,
		Run: func(ctx context.Context, args []string, menv proxy.MagicEnv) (*proxy.Result, error) {
			flag, rest, err := takeNotebookFlag(args)
			if err != nil {
				return nil, err
			}
			path, err := menv.Notebook(flag)
			if err != nil {
				return nil, err
			}
			var before []byte
			if rewrites {
				before, _ = os.ReadFile(path)
			}
			env := Env{Stdin: strings.NewReader(""), Stdout: menv.Stdout, Stderr: menv.Stderr,
				Now: outer.Now, Getenv: menv.Getenv, Dir: menv.Dir}
			code := Main(ctx, append(append([]string{name}, rest...), path), env)
			if rewrites {
				if after, err := os.ReadFile(path); err == nil && !bytes.Equal(before, after) {
					fmt.Fprintf(menv.Stdout, "\n%s changed on disk: reload it (File > Reload Notebook from Disk) before saving, or the open copy overwrites the change\n", filepath.Base(path))
				}
			}
			if code != ExitOK {
				return nil, fmt.Errorf("decant %s failed (exit status %d): see the messages above", name, code)
			}
			return nil, nil
		},
	}
}

// takeNotebookFlag removes --notebook P (or --notebook=P) from args.
func takeNotebookFlag(args []string) (notebook string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--notebook":
			if i+1 >= len(args) {
				return "", nil, usagef("--notebook needs a path")
			}
			notebook = args[i+1]
			i++
		case strings.HasPrefix(a, "--notebook="):
			notebook = strings.TrimPrefix(a, "--notebook=")
		default:
			rest = append(rest, a)
		}
	}
	return notebook, rest, nil
}
