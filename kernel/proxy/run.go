package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/decant-go/decant/kernel/wire"
)

// RunOptions configures Run. The zero value finds GoNB the usual way and
// discards its logs.
type RunOptions struct {
	// GoNB says where to find GoNB.
	GoNB GoNBOptions
	// Magics, Version and Getenv are passed to the Server (Getenv
	// defaults to os.Getenv).
	Magics  map[string]Magic
	Version string
	Getenv  func(string) string
	// Logs receives the kernel's diagnostics and GoNB's logs (nil
	// discards them).
	Logs io.Writer
}

// Run serves the Decant kernel on the connection file Jupyter wrote, until
// a shutdown_request, SIGTERM or SIGHUP; SIGINT interrupts the running
// cell. GoNB runs in the working directory, which Jupyter sets to the
// notebook's folder.
func Run(ctx context.Context, connectionFile string, opts RunOptions) error {
	info, err := wire.ReadConnectionFile(connectionFile)
	if err != nil {
		return err
	}
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
	}
	dir, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("starting the Decant kernel: %w", err)
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if opts.GoNB.Getenv == nil {
		opts.GoNB.Getenv = getenv
	}
	logf := func(format string, args ...any) { fmt.Fprintf(logs, format+"\n", args...) }
	start := func(ctx context.Context) (Backend, error) {
		// Looked up on every start, so a GoNB installed after a failed
		// start is found on the next cell.
		spec, err := FindGoNB(ctx, opts.GoNB)
		if err != nil {
			return nil, err
		}
		return StartGoNB(spec, dir, opts.Logs)(ctx)
	}
	s, err := Listen(info, Options{Start: start, Magics: opts.Magics, Version: opts.Version, Dir: dir, Getenv: getenv, Logf: logf})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	defer signal.Stop(sigint)
	go func() {
		for {
			select {
			case <-sigint:
				s.Interrupt()
			case <-ctx.Done():
				return
			}
		}
	}()
	err = s.Serve(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// KernelSpec is the content of a kernel.json.
type KernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
}

// DisplayName is the name notebooks show for the Decant kernel.
const DisplayName = "Go (GoNB + Decant)"

// NewKernelSpec returns the kernelspec that runs the Decant kernel with
// the decant executable at exe.
func NewKernelSpec(exe string) KernelSpec {
	return KernelSpec{
		Argv:          []string{exe, "kernel", "serve", "--connection-file", "{connection_file}"},
		DisplayName:   DisplayName,
		Language:      "go",
		InterruptMode: "message",
		Metadata:      map[string]any{"debugger": false},
	}
}

// WriteKernelSpec writes spec as dir/name/kernel.json (dir is a
// "kernels" directory) and returns the kernelspec's directory.
func WriteKernelSpec(dir, name string, spec KernelSpec) (string, error) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return "", fmt.Errorf("writing kernelspec: bad name %q", name)
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", fmt.Errorf("writing kernelspec: %w", err)
	}
	kdir := filepath.Join(dir, name)
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return "", fmt.Errorf("writing kernelspec: %w", err)
	}
	if err := os.WriteFile(filepath.Join(kdir, "kernel.json"), append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("writing kernelspec: %w", err)
	}
	return kdir, nil
}
