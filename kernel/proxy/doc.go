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
//   - For a compile error GoNB sends an HTML report and then an error
//     whose traceback holds the same lines; the HTML report is dropped so
//     the cell has exactly one error output, as clients expect.
//   - The kernel owns the execution counter, so counts keep going when
//     GoNB restarts and %decant cells get counts too.
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
// # Faults
//
// If GoNB dies, the running cell gets an error saying so, every request
// GoNB will not answer gets an error reply, and a new GoNB is started:
// the notebook's session goes on. Messages with bad signatures or broken
// frames are counted and dropped. Serve stops GoNB and its whole process
// group before it returns.
//
// # Order of execution
//
// Execute requests are queued and run one at a time, as in any kernel; a
// %decant cell waits for the GoNB cell before it, and the other way
// round. Completion, inspection and comm messages are forwarded at once.
package proxy
