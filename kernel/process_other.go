//go:build !unix

package kernel

import (
	"errors"
	"os"
	"os/exec"
)

// Process groups are a Unix notion; elsewhere only the kernel process
// itself is signalled.

type signalT = os.Signal

var (
	sigInterrupt signalT = os.Interrupt
	sigTerminate signalT = os.Kill
	sigKill      signalT = os.Kill
)

func setProcessGroup(cmd *exec.Cmd) {}

func (p *process) signal(sig signalT) error {
	if p.cmd == nil || p.cmd.Process == nil {
		return errors.New("no kernel process")
	}
	return p.cmd.Process.Signal(sig)
}

func groupAlive(pgid int) bool { return false }

func groupMembers(pgid int) ([]int, error) {
	return nil, errors.New("process groups are not supported")
}

// processAlive cannot tell here, so every process counts as alive and no
// directory is swept.
func processAlive(pid int) bool { return true }
