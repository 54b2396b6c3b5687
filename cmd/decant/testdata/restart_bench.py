"""Restart time through jupyter_client, for several kernels side by side.

usage: restart_bench.py N kernel_name...

For each kernel: start it, run a cell, then N times: KernelManager.restart_kernel()
(a shutdown_request with restart=true, as Jupyter's restart button sends), then
wait_for_ready, then run a trivial cell (%env, which GoNB answers without building).
Rounds alternate between the kernels so that both see the same machine load.
Prints one JSON line per kernel with the samples in seconds:
  {"kernel": ..., "ready": [...], "first_cell": [...]}
"""

import json
import sys
import time

from jupyter_client.manager import KernelManager


def run_cell(kc, code, timeout=120):
    msg_id = kc.execute(code)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError("cell %r failed: %r" % (code, reply["content"]))


def main():
    n = int(sys.argv[1])
    names = sys.argv[2:]
    kernels = {}
    for name in names:
        km = KernelManager(kernel_name=name)
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        run_cell(kc, '%%\nfmt.Println("warm")')
        kernels[name] = (km, kc, {"kernel": name, "ready": [], "first_cell": []})
    try:
        for _ in range(n):
            for name in names:
                km, kc, res = kernels[name]
                t0 = time.perf_counter()
                km.restart_kernel(now=False)
                kc.wait_for_ready(timeout=120)
                t1 = time.perf_counter()
                run_cell(kc, "%env DECANT_BENCH=1")
                t2 = time.perf_counter()
                res["ready"].append(t1 - t0)
                res["first_cell"].append(t2 - t0)
    finally:
        for km, kc, res in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=False)
            print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
