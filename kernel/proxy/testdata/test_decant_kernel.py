"""Jupyter kernel conformance tests (jupyter_kernel_test) for the Decant kernel.

The Go test TestConformance installs a kernelspec into a temporary JUPYTER_PATH and runs
`/usr/bin/python3 -m unittest -v test_decant_kernel` here. To run it by hand against an
installed kernel: DECANT_KERNEL_NAME=decant-go python3 -m unittest -v test_decant_kernel
"""

import os
import unittest

import jupyter_kernel_test


class DecantKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("DECANT_KERNEL_NAME", "decant-go")
    language_name = "go"
    file_extension = ".go"

    code_hello_world = '%%\nfmt.Println("hello, world")'
    code_stderr = '%%\nfmt.Fprintln(os.Stderr, "oops")'

    # GoNB completes through gopls, which may be missing: check the reply's shape only.
    completion_samples = [{"text": "%%\nfmt.Prin"}]
    code_inspect_sample = "%%\nfmt.Println"

    complete_code_samples = [
        '%%\nfmt.Println("hi")',
        "func f() int { return 1 }",
        "%env KK=1",
        "%decant plan",
    ]
    incomplete_code_samples = [
        "func f() {",
        "%%\nfor i := 0; i < 3; i++ {",
        "var x = 1 +",
        "var s = `raw",
    ]
    invalid_code_samples = [
        "func f() { )",
        "%%\nx := ]",
        "func 1f() {}",
    ]

    # A runtime panic: GoNB reports it as success; the Decant kernel makes it one error.
    # (A compile error has two outputs, GoNB's HTML report and the error, so the
    # library's one-output check cannot take it; test_compile_error_names_the_compiler_message_and_line
    # checks that one.)
    code_generate_error = '%%\npanic("boom")'

    # GoNB never sends execute_result; %decant magics answer with one.
    code_execute_result = [
        {"code": "%decant version", "result": "decant " + os.environ.get("DECANT_EXPECT_VERSION", "devel")},
    ]
    # GoNB's %help is a text/markdown display.
    code_display_data = [{"code": "%help", "mime": "text/markdown"}]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "%decant vers*"

    def get_non_kernel_info_reply(self, timeout=30):
        # The library waits forever by default; a missing reply must fail, not hang.
        return super().get_non_kernel_info_reply(timeout=timeout)

    # Beyond the library's samples: the other shapes of failure.

    def test_compile_error_names_the_compiler_message_and_line(self):
        # GoNB's HTML report stays as display_data; the error says what the
        # compiler said, at the cell and line it points at.
        self.flush_channels()
        reply, outputs = self.execute_helper(code='%%\nvar n int = 1\nfmt.Println(n + "a")')
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual([m["msg_type"] for m in outputs], ["display_data", "error"])
        self.assertIn("text/html", outputs[0]["content"]["data"])
        err = outputs[1]["content"]
        self.assertEqual(err["ename"], "CompileError")
        count = reply["content"]["execution_count"]
        self.assertIn("Cell [%d], line 3: " % count, err["evalue"])
        self.assertIn("mismatched types int and untyped string", err["evalue"])
        self.assertIn('fmt.Println(n + "a")', "\n".join(err["traceback"]))
        for key in ("ename", "evalue", "traceback"):
            self.assertEqual(reply["content"][key], err[key])

    def test_os_exit_is_an_error(self):
        self.flush_channels()
        reply, outputs = self.execute_helper(code="%%\nos.Exit(3)")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual([m["msg_type"] for m in outputs], ["error"])
        self.assertEqual(outputs[0]["content"]["evalue"], "exit status 3")

    def test_failing_magic_is_a_notebook_error(self):
        self.flush_channels()
        reply, outputs = self.execute_helper(code="%decant nosuchmagic")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual([m["msg_type"] for m in outputs], ["error"])
        # The kernel is still there.
        reply, _ = self.execute_helper(code="%env KK=1")
        self.assertEqual(reply["content"]["status"], "ok")


if __name__ == "__main__":
    unittest.main()
