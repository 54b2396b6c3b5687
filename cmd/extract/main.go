// Command extract turns a labeled GoNB notebook into a Go service repository committed on a
// branch. It is the same command as decant extract, with the same flags and exit codes:
//
//	extract [flags] notebook.ipynb
package main

import (
	"context"
	"os"

	"github.com/decant-go/decant/cmd/internal/cli"
)

func main() {
	// The first Ctrl-C stops cleanly; a second one exits at once.
	ctx, stop := cli.NotifyContext(context.Background(), os.Stderr)
	code := cli.Extract(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
