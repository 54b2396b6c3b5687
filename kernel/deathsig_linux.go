package kernel

import "syscall"

// dieWithParent asks Linux to send the kernel SIGTERM if the process that started it dies,
// even by SIGKILL, when no Shutdown can run: the kernel runs in its own process group, so
// nothing else would stop it. (The signal is tied to the starting thread; Go keeps threads
// alive unless a goroutine locked to one exits, which this package never does.)
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGTERM }
