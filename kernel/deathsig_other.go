//go:build unix && !linux

package kernel

import "syscall"

// dieWithParent has no portable equivalent outside Linux: a kernel whose parent is killed
// keeps running until it notices its connection is gone.
func dieWithParent(*syscall.SysProcAttr) {}
