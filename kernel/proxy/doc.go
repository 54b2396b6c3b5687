// Package proxy is the Decant kernel: a Jupyter kernel that runs GoNB as a
// child process and stands between it and the notebook.
//
// It speaks the kernel side of the protocol (shell, control, stdin, iopub,
// heartbeat) on the connection Jupyter gives it, and the client side on a
// second connection to GoNB. Everything that is not its own passes through
// in both directions, comms, widgets and interrupts included; messages are
// verified with one key and re-signed with the other.
//
// # What it adds to GoNB
//
//   - is_complete_request is answered from a Go parse of the cell, split
//     the way GoNB splits it ([IsComplete]).
//   - history_request is answered from the cells run in this session
//     ([History]).
//   - A panic or os.Exit(n), which GoNB reports as success with text on
//     stderr, becomes status "error" with one error output (ename
//     RuntimeError, the panic line as evalue, the trace as traceback). The
//     stderr text from the first panic or exit line on is held back until
//     the cell ends, so it is shown once, as the error.
//   - For a compile error GoNB sends an HTML report (kept, as
//     display_data) and an error that says only that go build failed. The
//     kernel rebuilds that error from the report: ename CompileError, the
//     first compiler message with its cell and line as evalue, every
//     message with the cell's own lines around it as traceback.
//   - The kernel owns the execution counter, so %decant cells get counts
//     too; GoNB's own cell numbers, in error reports and panic traces
//     ("[[ Cell [N] Line L ]]"), are rewritten to the notebook's.
//   - interrupt_request is answered on control and on shell,
//     comm_info_request from the comms seen opened, and cells aborted
//     after an error get no execution count, as in IPython.
//   - Before the first cell that uses gonbui, GoNB's module is pinned to
//     the version of the GoNB binary that runs it, so gonbui never comes
//     from the proxy's "latest" (which it may refuse).
//   - GoNB drops gonbui displays its pipe reader has not read when the
//     cell's program exits (often, on a busy machine), so the main body of
//     a cell whose program may use gonbui gets one more line,
//     gonbui.Sync(), after its last; the cell's own lines keep their
//     numbers and execute_input shows the code as written.
//   - Cells GoNB v0.11.1 would crash on (two %% lines) are refused with an
//     error instead of being sent.
//   - kernel_info_request is answered by the kernel, with GoNB's language
//     info.
//   - %decant cells never reach GoNB. The kernel itself knows only
//     %decant help and %decant version; every other magic is a [Magic]
//     value registered by the program that serves the kernel, through
//     [Options.Magics] (Decant's command line adds plan, doc, dupes and
//     extract). A magic's result is the cell's execute_result; a failing
//     magic is a notebook error, and an interrupted one says so.
//
// # Adding a magic
//
//	proxy.RunOptions{Magics: map[string]proxy.Magic{
//		"hello": {Summary: "says hello", Run: func(ctx context.Context, args []string, env proxy.MagicEnv) (*proxy.Result, error) {
//			return &proxy.Result{Text: "hello " + strings.Join(args, " ")}, nil
//		}},
//	}}
//
// makes "%decant hello world" answer "hello world". Run gets the words
// after the magic's name, and env gives the notebook's path
// ([MagicEnv.Notebook]) and stdout/stderr streams that reach the cell as
// they are written. ctx is cancelled when the user interrupts the cell.
//
// # Start, restart and faults
//
// GoNB starts in the background: kernel_info and %decant cells are
// answered at once, other requests and cells wait for it (an interrupt
// ends a waiting cell). A shutdown_request, with or without restart, is
// answered, GoNB and its process group are killed, and Serve returns:
// Jupyter restarts a kernel by starting a new process.
//
// If GoNB dies, the running cell gets an error saying so (or, when no
// cell runs, the notebook is told at once and again in the next cell),
// every request GoNB will not answer gets an error reply, and a new GoNB
// is started: the notebook's session goes on. Messages with bad signatures
// or broken frames are counted and dropped. GoNB's temporary folder lives
// in the kernel's own (see kernel.StartOptions), so nothing outlives the
// kernel, even after kill -9.
//
// # Order of execution
//
// Execute requests are queued and run one at a time, as in any kernel; a
// %decant cell waits for the GoNB cell before it, and the other way
// round. Completion, inspection and comm messages are forwarded at once.
package proxy
