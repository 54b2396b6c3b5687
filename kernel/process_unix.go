//go:build unix

package kernel

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	sigInterrupt = syscall.SIGINT
	sigTerminate = syscall.SIGTERM
	sigKill      = syscall.SIGKILL
)

func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
}

// signal sends sig to the kernel's whole process group.
func (p *process) signal(sig syscall.Signal) error {
	if p.pgid <= 0 {
		return errors.New("no kernel process")
	}
	err := syscall.Kill(-p.pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil // nothing left to signal
	}
	return err
}

// groupAlive reports whether a live (non-zombie) process is in group
// pgid. Zombies are ignored because whether they get reaped depends on
// the system's init, not on us.
func groupAlive(pgid int) bool {
	members, err := groupMembers(pgid)
	if err != nil {
		// No /proc: fall back to asking the kernel, zombies included.
		return syscall.Kill(-pgid, 0) == nil
	}
	return len(members) > 0
}

// groupMembers lists the live processes whose process group is pgid, by
// scanning /proc (Linux).
func groupMembers(pgid int) ([]int, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	if len(stats) == 0 {
		return nil, errors.New("no /proc")
	}
	var pids []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		// Format: pid (comm) state ppid pgrp ...; comm may hold spaces
		// and parentheses, so split after the last ')'.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// processAlive reports whether process pid exists (a process of another
// user counts).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
