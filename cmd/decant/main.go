// Command decant turns research that lives in GoNB (Go) Jupyter notebooks into production Go
// services.
//
// Usage:
//
//	decant <command> [flags] [arguments]
//
// The main job is decant extract, which reads a labeled notebook and commits a Go service
// repository (package, pipeline, batch command, HTTP API, tests, docs) to a branch. Run
// decant help for the list of commands.
package main

import (
	"context"
	"os"

	"github.com/decant-go/decant/cmd/internal/cli"
)

func main() {
	// The first Ctrl-C stops cleanly; a second one exits at once.
	ctx, stop := cli.NotifyContext(context.Background(), os.Stderr)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
