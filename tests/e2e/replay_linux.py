"""Replay of a Linux workload (imported by e2e.py): the Primary boots Debian's kernel and runs a
shell workload typed in by the test, the Backup replays it from the log; judged by the summary."""
import os
import re
import time


def run_workload(hr, session, timeout_boot=600):
    """Drives a booted Linux session: returns (results dict of name -> error-or-None, final Run)."""
    s = session
    res = {}
    end = s.wait_for("hindsight$ ", timeout_boot)
    if end < 0:
        return {"boot": "no shell prompt"}, s.result("timeout")
    res["boot"] = None

    def cmd(line, pattern, timeout=240):
        nonlocal end
        s.send(line + "\r")
        deadline = time.time() + timeout
        while time.time() < deadline:
            s.pump()
            out = s.console[end:]
            m = re.search(pattern, out)
            if m and "hindsight$ " in out[m.end():]:
                end += out.index("hindsight$ ", m.end()) + len("hindsight$ ")
                return m
            time.sleep(0.1)
        return None

    m = cmd("echo C=$(head -c 2000000 /dev/urandom | md5sum)", r"C=([0-9a-f]{32})")
    res["checksum"] = None if m else "no checksum of /dev/urandom"
    m = cmd("echo T=$(date +%s) && sleep 2 && echo T2=$(date +%s)", r"T=(\d+)\s+T2=(\d+)")
    res["sleep"] = None if m and 2 <= int(m.group(2)) - int(m.group(1)) <= 3 else "sleep 2 / date gave no answer"
    m = cmd("tsc rdrand; tsc now", r"tsc-rdrand=(\d+)\s+tsc-now=(\d+)")
    res["rdtsc_rdrand"] = None if m else "tsc gave no RDRAND/RDTSC line"
    # A line the guest reads as data, not as a command: input bytes at positions of their own.
    s.send("read X; echo got=$X\r")
    s.wait_for("read X; echo got=$X", 60, end)
    m = cmd("typed-by-the-test", r"got=typed-by-the-test")
    res["typed_input"] = None if m else "typed input did not come back"
    s.send("poweroff -f\r")
    ok = s.wait_exit(900)
    return res, s.result("exit" if ok else "timeout")
