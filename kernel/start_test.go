//go:build unix

package kernel

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/decant-go/decant/kernel/kerneltest"
	"github.com/decant-go/decant/kernel/wire"
)

// The test binary doubles as a fake kernel process (and as a stubborn
// helper process that kernel leaves behind, like GoNB's gopls), selected
// by this environment variable.
const fakeKernelEnv = "DECANT_KERNEL_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(fakeKernelEnv) {
	case "kernel":
		runFakeKernelProcess()
	case "child":
		// Survives SIGINT and SIGTERM: only SIGKILL ends it.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runFakeKernelProcess() {
	info, err := wire.ReadConnectionFile(os.Args[1])
	if err != nil {
		println(err.Error())
		os.Exit(1)
	}
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), fakeKernelEnv+"=child")
	if err := child.Start(); err != nil {
		println(err.Error())
		os.Exit(1)
	}
	s, err := kerneltest.Listen(info, kerneltest.HandlerFunc(func(k *kerneltest.Call) {
		switch k.Code {
		case "pwd":
			wd, _ := os.Getwd()
			k.Stdout(wd)
		case "env":
			k.Stdout(os.Getenv("DECANT_X") + "," + os.Getenv("DECANT_Y"))
		case "exit":
			os.Exit(3)
		case "sleep":
			if !k.Sleep(time.Hour) {
				k.Stderr("interrupted\n")
			}
		default:
			k.Stdout(k.Code)
		}
	}))
	if err != nil {
		println(err.Error())
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT)
	for {
		select {
		case <-sigs:
			s.Interrupt()
		case <-s.ShutdownC():
			// Exit at once, leaving the child behind as GoNB leaves gopls.
			os.Exit(0)
		}
	}
}

func fakeSpec(t *testing.T) *Spec {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Spec{
		Name:          "fake",
		Argv:          []string{exe, "{connection_file}"},
		InterruptMode: "signal",
		Env:           map[string]string{fakeKernelEnv: "kernel", "DECANT_X": "spec-${HOME_NOT_SET_ANYWHERE}x"},
	}
}

func TestStartExecuteShutdown(t *testing.T) {
	dir := t.TempDir()
	c, err := Start(testCtx(t), fakeSpec(t), StartOptions{Dir: dir, Env: []string{"DECANT_Y=opts"}, Config: fastConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pgid := c.PID()
	connFile := c.proc.connFile
	st, err := os.Stat(connFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("connection file mode %v, want 0600", st.Mode().Perm())
	}
	if !strings.HasPrefix(filepath.Base(connFile), "kernel-") {
		t.Errorf("connection file %s is not named kernel-<id>.json", connFile)
	}

	r := execute(t, c, "pwd", ExecOptions{})
	if got := summary(r.Outputs); got != "stdout:"+dir+"|" {
		t.Errorf("pwd: %q, want %s", got, dir)
	}
	r = execute(t, c, "env", ExecOptions{})
	if got := summary(r.Outputs); got != "stdout:spec-x,opts|" {
		t.Errorf("env: %q", got)
	}
	// Signal mode: the timeout sends SIGINT to the process group.
	r = execute(t, c, "sleep", ExecOptions{Timeout: 100 * time.Millisecond})
	if r.Status != StatusTimeout || summary(r.Outputs) != "stderr:interrupted\n|" {
		t.Errorf("sleep: status %s outputs %q", r.Status, summary(r.Outputs))
	}

	members, err := groupMembers(pgid)
	if err != nil {
		t.Skipf("cannot list process groups: %v", err)
	}
	if len(members) < 2 {
		t.Fatalf("process group %d has %v, want the kernel and its child", pgid, members)
	}
	if err := c.Shutdown(testCtx(t)); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if left, _ := groupMembers(pgid); len(left) > 0 {
		t.Errorf("processes left in group %d: %v", pgid, left)
	}
	if _, err := os.Stat(connFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("connection file still there: %v", err)
	}
}

func TestStartKernelExitsMidCell(t *testing.T) {
	c, err := Start(testCtx(t), fakeSpec(t), StartOptions{Config: fastConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pgid := c.PID()
	r, err := c.Execute(testCtx(t), "exit", ExecOptions{})
	if !errors.Is(err, ErrKernelDead) {
		t.Fatalf("err %v, want ErrKernelDead", err)
	}
	if r.Status != StatusDead {
		t.Errorf("status %s, want dead", r.Status)
	}
	if err := c.Shutdown(testCtx(t)); err != nil {
		t.Errorf("Shutdown after death: %v", err)
	}
	if left, err := groupMembers(pgid); err == nil && len(left) > 0 {
		t.Errorf("processes left in group %d: %v", pgid, left)
	}
}

func TestStartFailingKernel(t *testing.T) {
	spec := &Spec{Name: "false", Argv: []string{"/bin/sh", "-c", "echo broken >&2; exit 7"}}
	var logs strings.Builder
	_, err := Start(testCtx(t), spec, StartOptions{Stderr: &logs, Config: fastConfig()})
	if !errors.Is(err, ErrKernelDead) || !strings.Contains(err.Error(), "exit status 7") {
		t.Errorf("err %v, want a dead kernel with exit status 7", err)
	}
	if !strings.Contains(logs.String(), "broken") {
		t.Errorf("kernel stderr not captured: %q", logs.String())
	}
}

func TestSweepStale(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip(err)
	}
	mk := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(p, "tmp", "gonb_0123abcd"), 0o700); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk(fmt.Sprintf("decant-kernel-%d-123", dead.Process.Pid))
	mine := mk(fmt.Sprintf("decant-kernel-%d-456", os.Getpid()))
	parent := mk(fmt.Sprintf("decant-kernel-%d-789", os.Getppid()))
	other := mk("decant-kernel-x")
	removed := SweepStale(dir)
	if len(removed) != 1 || removed[0] != stale {
		t.Errorf("removed %q, want only %s", removed, stale)
	}
	for _, p := range []string{mine, parent, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
}

// A kernel that dies because one of its ports was taken between the choice and its bind is
// started again on other ports; one that dies for another reason is not.
func TestStartRetriesTakenPort(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(t.TempDir(), "tried")
	script := `if [ -e "$MARK" ]; then exec "$EXE" "$0"; fi; touch "$MARK"; echo "listen tcp 127.0.0.1:5555: bind: address already in use" >&2; exit 1`
	spec := &Spec{Name: "racy", Argv: []string{"/bin/sh", "-c", script, "{connection_file}"},
		Env: map[string]string{fakeKernelEnv: "kernel", "MARK": mark, "EXE": exe}}
	var logs strings.Builder
	c, err := Start(testCtx(t), spec, StartOptions{Stderr: &logs, Config: fastConfig()})
	if err != nil {
		t.Fatalf("Start after a taken port: %v\nkernel log:\n%s", err, logs.String())
	}
	defer c.Close()
	if r, err := c.Execute(testCtx(t), "hello", ExecOptions{}); err != nil || r.Status != StatusOK {
		t.Errorf("Execute on the second attempt's kernel: %+v, %v", r, err)
	}
	if !strings.Contains(logs.String(), "address already in use") {
		t.Errorf("the first attempt's output was not passed on: %q", logs.String())
	}
}
