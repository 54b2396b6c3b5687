// Package gocmd runs the go command so that stopping it leaves nothing behind.
//
// A go command killed outright (exec.CommandContext's default) cannot remove its work
// directory, tens of megabytes under $TMPDIR/go-build*. Prepare makes a canceled command get
// os.Interrupt first, which the go command handles by cleaning up and exiting, and kills it
// only after a grace period; and it points GOTMPDIR at a directory of its own that the cleanup
// function removes in any case.
package gocmd

import (
	"os"
	"os/exec"
	"time"
)

// Grace is how long a canceled go command has to clean up before it is killed.
const Grace = 5 * time.Second

// Prepare adjusts cmd, made with exec.CommandContext, as described in the package
// documentation. cmd.Env must already be set (nil means the process's environment). Call the
// returned function after the command has finished.
func Prepare(cmd *exec.Cmd) (cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "decant-gotmp-")
	if err != nil {
		return func() {}, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "GOTMPDIR="+tmp)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = Grace
	return func() { os.RemoveAll(tmp) }, nil
}
