// Package kerneltest runs a fake Jupyter kernel in-process for tests, in
// the manner of net/http/httptest: NewServer binds real ZeroMQ sockets on
// 127.0.0.1 and returns the connection info a client dials.
//
// The fake answers kernel_info_request and heartbeats itself, and hands
// each execute_request to a [Handler], which scripts what the kernel does
// through a [Call]: stream text, display data, errors, delays that an
// interrupt cuts short, input requests, no reply at all, or a crash. Like
// GoNB it ignores requests it does not know (is_complete_request,
// history_request), sends input_request to the identity of the shell
// request, and drops messages with bad signatures.
//
// Between a request and its reply the fake publishes status busy and idle
// on iopub, execute_input for executions, exactly as real kernels do.
//
// # Example
//
//	s := kerneltest.NewServer(t, kerneltest.HandlerFunc(func(c *kerneltest.Call) {
//		c.Stdout("hi\n")
//		if !c.Sleep(time.Hour) { // returns early on interrupt_request
//			c.Stderr("interrupted\n")
//		}
//	}))
//	client, err := kernel.Dial(ctx, s.Info)
//
// [Listen] does the same without a testing.TB, on the ports of a given
// connection file, so a test binary can also act as a kernel process.
package kerneltest
