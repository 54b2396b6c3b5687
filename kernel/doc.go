// Package kernel is a Jupyter kernel client: it starts a kernel from its
// kernelspec (or joins a running one), executes code and collects the
// outputs the way nbclient does, and shuts the kernel down without leaving
// processes behind. It is written for GoNB but speaks plain Jupyter
// messaging protocol 5.3 over ZeroMQ.
//
// # Use
//
// A notebook runner needs four calls:
//
//	spec, err := kernel.FindSpec("gonb")            // or kernel.GoNBSpec(ctx, moduleDir)
//	c, err := kernel.Start(ctx, spec, kernel.StartOptions{Dir: notebookDir})
//	res, err := c.Execute(ctx, cellSource, kernel.ExecOptions{Timeout: time.Minute})
//	err = c.Shutdown(ctx)
//
// Execute returns a [Result] whose Status is "ok", "error", "aborted",
// "timeout" or "dead", with the outputs in nbformat shape ([Output]).
// The error return is reserved for calls that could not be carried out
// (context ended, client closed, kernel died).
//
// # Files
//
//   - spec.go: kernelspec lookup (FindSpec, ListSpecs), Jupyter's search path.
//   - start.go: Start (connection file, process group) and Shutdown.
//   - client.go: Dial, the sockets, routing replies by parent msg_id,
//     Request, KernelInfo, Interrupt, heartbeat, Close.
//   - execute.go: Execute, ExecOptions, Result.
//   - output.go: Output, the iopub-to-outputs collector, DetectRuntimeFailure.
//   - gonb.go: GoNBSpec, a kernelspec for the module's pinned GoNB tool.
//
// # GoNB quirks handled here
//
//   - A panic or os.Exit(n) in a cell comes back as status "ok" with only
//     "exit status N" on stderr. Execute turns that into status "error"
//     using [DetectRuntimeFailure] unless ExecOptions.KeepRuntimeFailures.
//   - GoNB never answers is_complete_request or history_request. Request
//     always has a deadline (Config.RequestTimeout when ctx has none).
//   - GoNB leaves gopls children running. Start puts the kernel in its own
//     process group and Shutdown kills the whole group.
//   - GoNB sends input_request on its stdin ROUTER to the identity of the
//     shell request, so the shell and stdin sockets share one identity.
//   - GoNB installs its input callback only after sending input_request;
//     an instant input_reply is sometimes lost (1 in 30 cells here) and the
//     cell hangs. Execute waits Config.InputDelay (20ms) before answering.
//
// # Concurrency
//
// Each socket has a reader goroutine that decodes messages (dropping
// malformed or badly signed ones, see Client.Dropped) and routes them by
// parent msg_id to the waiting call, through an unbounded queue so a
// reader never blocks. A kernel is declared dead when its process exits or
// a heartbeat goes unanswered for Config.HeartbeatTimeout.
package kernel
