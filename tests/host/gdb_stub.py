"""The COM2 debugger (vmm/debug/) end to end on the host: build/gdbstub_server serves the GDB stub
and the monitor (whichever talks first) over TCP with the fake target of tests/unit/dbg_fake.h,
and the real GNU gdb attaches to it (proving gdb accepts the stub's target.xml), or a socket plays
a person at the monitor. host_tools.py registers these tests: tests(host_tools_module).

The fake guest: kernel text at 0xffffffff81000000 (one-byte instructions: a step is rip + 1),
"Linux version ..." at 0xffffffff81200000, symbols startup_64/panic/linux_banner in the monitor.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

KTEXT = 0xFFFFFFFF81000000
BANNER = 0xFFFFFFFF81200000
PANIC = 0xFFFFFFFF81001000
PROMPT = b"(hindsight) "

# A stand-in vmlinux for `gdb vmlinux`: startup_64 and panic where the fake guest has them.
VMLINUX_S = """
.text
.globl startup_64
startup_64: .fill 0x1000,1,0x90
.globl panic
.type panic,@function
panic: .fill 0x1000,1,0x90
"""


class Server:
    """build/gdbstub_server, started and listening."""

    def __init__(self, h, *args):
        r = h.run(["make", "-s", "-C", h.ROOT, "build/gdbstub_server"])
        h.check(r.returncode == 0, f"make build/gdbstub_server: exit {r.returncode}: {h.errtail(r.stderr)}")
        self.h = h
        self.p = subprocess.Popen([os.path.join(h.ROOT, "build", "gdbstub_server"), *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.p.stdout.readline().decode(errors="replace")
        m = re.match(r"port (\d+)", line)
        if not m:
            self.p.kill()
            h.check(False, f"gdbstub_server did not start: {line!r} {h.errtail(self.p.stderr.read())}")
        self.port = int(m.group(1))

    def finish(self, timeout=30):
        """The server's summary line; it must have ended cleanly (no sanitizer report)."""
        try:
            out, err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
            self.h.check(False, f"gdbstub_server did not end: {self.h.oneline(out)}")
        self.h.check(self.p.returncode == 0, f"gdbstub_server exit {self.p.returncode}: {self.h.errtail(err)}")
        self.h.check(b"ERROR: AddressSanitizer" not in err and b"runtime error" not in err,
                     f"gdbstub_server: {self.h.errtail(err)}")
        return out.decode(errors="replace")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def have_gdb():
    return shutil.which("gdb") is not None


def gdb_argv(port, cmds, exe=None):
    argv = ["gdb", "-batch", "-nx"] + ([exe] if exe else [])
    argv += ["-ex", "set architecture i386:x86-64", "-ex", f"target remote 127.0.0.1:{port}"]
    for c in cmds:
        argv += ["-ex", c]
    return argv


def gdb_env():
    return dict(os.environ, LC_ALL="C", TZ="UTC", DEBUGINFOD_URLS="", HOME=os.environ.get("HOME", "/tmp"))


def run_gdb(h, port, cmds, exe=None, timeout=120):
    r = subprocess.run(gdb_argv(port, cmds, exe), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, env=gdb_env())
    return r.returncode, r.stdout.decode(errors="replace")


def no_bad_warnings(h, out):
    """gdb took the target description: no complaint about it or about the remote replies."""
    for line in out.splitlines():
        low = line.lower()
        if "warning" in low and "no executable has been specified" not in low and \
                "target does not support" not in low and "determining executable" not in low:
            h.check(False, f"gdb: {line.strip()}")
        h.check("target description" not in low, f"gdb: {line.strip()}")
        h.check("remote failure reply" not in low, f"gdb: {line.strip()}")
        h.check("could not load xml" not in low, f"gdb: {line.strip()}")


def vmlinux(h, tmp):
    src, obj, exe = (os.path.join(tmp, n) for n in ("vmlinux.s", "vmlinux.o", "vmlinux"))
    with open(src, "w") as f:
        f.write(VMLINUX_S)
    r = h.run(["as", "--64", "-o", obj, src])
    h.check(r.returncode == 0, f"as: {h.errtail(r.stderr)}")
    r = h.run(["ld", "-Ttext=0xffffffff81000000", "-e", "startup_64", "-o", exe, obj])
    h.check(r.returncode == 0, f"ld: {h.errtail(r.stderr)}")
    return exe


def hexaddr(a):
    return f"0x{a:x}"


# ---- gdb ------------------------------------------------------------------------------------------

def t_gdb_session(h, tmp):
    """The brief's session: registers, memory, stepi, a breakpoint, continue, detach."""
    if not have_gdb():
        return "SKIP", "no gdb (host-tools/install-deps.sh installs it)"
    s = Server(h, "--limit", "10")
    try:
        rc, out = run_gdb(h, s.port, [
            "info registers rip",
            f"x/4xb {hexaddr(BANNER)}",
            "stepi",
            "info registers rip",
            f"break *{hexaddr(KTEXT + 0x40)}",
            "continue",
            "info registers rip",
            "detach",
        ])
    finally:
        if s.p.poll() is None:
            time.sleep(0.1)
    summary = s.finish()
    h.check(rc == 0, f"gdb exit {rc}: {h.oneline(out[-300:])}")
    no_bad_warnings(h, out)
    rips = re.findall(r"^rip\s+(0x[0-9a-f]+)", out, re.M)
    h.check(rips == [hexaddr(KTEXT), hexaddr(KTEXT + 1), hexaddr(KTEXT + 0x40)], f"rip values {rips}")
    h.check(re.search(r"0xffffffff81200000:\s+0x4c\s+0x69\s+0x6e\s+0x75", out), "x/4xb: not 'Linu'")
    h.check(f"Breakpoint 1 at {hexaddr(KTEXT + 0x40)}" in out, "break: no 'Breakpoint 1 at'")
    h.check(re.search(r"Breakpoint 1, 0xffffffff81000040 in", out), "continue: did not stop at the breakpoint")
    h.check("detached" in out, "detach: no 'detached'")
    h.check("session ended: detach" in summary, f"server: {h.oneline(summary)}")
    h.check("bad checksums 0" in summary, f"server: {h.oneline(summary)}")


def t_gdb_registers_and_memory(h, tmp):
    """Every register gdb knows from target.xml, register and memory writes (P/G, M/X)."""
    if not have_gdb():
        return "SKIP", "no gdb"
    s = Server(h, "--no-banner")
    rc, out = run_gdb(h, s.port, [
        "info registers",
        "info registers cr0 cr2 cr3 cr4 cr8 efer fs_base gs_base k_gs_base",
        "info registers fctrl fstat ftag fop mxcsr",
        "p $st0",
        "p $xmm15",
        "set $rax = 0x1122334455667788",
        "set $eflags = 0x202",
        "p/x $rax",
        "p/x $eflags",
        f"set {{int}}{hexaddr(BANNER)} = 0x554e4547",
        f"x/s {hexaddr(BANNER)}",
        "p/x $pc",
        "maint print remote-registers",
        "kill",
    ])
    summary = s.finish()
    h.check(rc == 0, f"gdb exit {rc}: {h.oneline(out[-300:])}")
    no_bad_warnings(h, out)
    for want in (r"^rax\s+0x0", r"^r15\s+0x0", r"^rip\s+0xffffffff81000000", r"^eflags\s+0x246\s+\[ PF ZF IF \]",
                 r"^cs\s+0x10", r"^gs\s+0x0", r"^fs_base\s+0x0", r"^k_gs_base\s+0x0",
                 r"^cr0\s+0x80050033\s+\[ PE MP ET NE WP AM PG \]", r"^cr3\s+0x10000",
                 r"^cr4\s+0x3406f0\s+\[ .*PAE.* \]", r"^efer\s+0xd01\s+\[ SCE LME LMA NXE \]",
                 r"^fctrl\s+0x37f", r"^mxcsr\s+0x1f80\s+\[ IM DM ZM OM UM PM \]", r"^\$1 = 0$",
                 r"^\$3 = 0x1122334455667788$", r"^\$4 = 0x202$", r'"GENUx version', r"^\$5 = 0xffffffff81000000$"):
        h.check(re.search(want, out, re.M), f"gdb output lacks /{want}/")
    # The remote register numbers gdb uses are the stub's: rip 16, cr0 60, efer 65.
    for name, num in (("rip", 16), ("fs_base", 57), ("k_gs_base", 59), ("cr0", 60), ("efer", 65), ("xmm0", 40),
                      ("mxcsr", 56)):
        h.check(re.search(rf"^\s*{name}\s+\d+\s+\d+\s+\d+\s+\d+\s+\S+\s+{num}\s", out, re.M),
                f"maint print remote-registers: {name} is not remote register {num}")
    h.check("session ended: kill" in summary, f"server: {h.oneline(summary)}")


def t_gdb_vmlinux_breakpoint_watch(h, tmp):
    """`gdb vmlinux` with symbols: break panic, continue, a hardware watchpoint, stepi, kill."""
    if not have_gdb():
        return "SKIP", "no gdb"
    if not shutil.which("as") or not shutil.which("ld"):
        return "SKIP", "no binutils"
    exe = vmlinux(h, tmp)
    s = Server(h)
    rc, out = run_gdb(h, s.port, [
        "break panic",
        "continue",
        "bt 1",
        f"watch *(char*){hexaddr(BANNER)}",
        "continue",
        "stepi",
        "x/i $pc",
        "info breakpoints",
        "delete",
        "kill",
    ], exe=exe)
    summary = s.finish()
    h.check(rc == 0, f"gdb exit {rc}: {h.oneline(out[-300:])}")
    no_bad_warnings(h, out)
    h.check("0xffffffff81000000 in startup_64 ()" in out, "gdb did not find startup_64 at the first stop")
    h.check("Breakpoint 1, 0xffffffff81001000 in panic ()" in out, "break panic/continue failed")
    h.check("Hardware watchpoint 2" in out, "watch: not a hardware watchpoint (Z2 refused?)")
    h.check("Old value = 76 'L'" in out and "New value = 77 'M'" in out, "watchpoint did not report the change")
    h.check(re.search(r"=> 0xffffffff81001005 <panic\+5>:\s+nop", out), "stepi/x/i: not at panic+5")
    h.check("killed" in out, "kill: no 'killed'")
    h.check("session ended: kill" in summary, f"server: {h.oneline(summary)}")


def t_gdb_ctrl_c(h, tmp):
    """Ctrl-C (SIGINT to gdb) during continue: gdb sends 0x03, the stub stops the run."""
    if not have_gdb():
        return "SKIP", "no gdb"
    s = Server(h, "--limit", "60")
    p = subprocess.Popen(gdb_argv(s.port, ["continue", "info registers rip", "detach"]),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=gdb_env())
    try:
        time.sleep(2)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    out = out.decode(errors="replace")
    summary = s.finish()
    h.check(p.returncode == 0, f"gdb exit {p.returncode}: {h.oneline(out[-300:])}")
    h.check("Program received signal SIGINT" in out, f"no SIGINT stop: {h.oneline(out[-300:])}")
    m = re.search(r"^rip\s+(0x[0-9a-f]+)", out, re.M)
    h.check(m and int(m.group(1), 16) > KTEXT + 1000, "rip did not move during continue")
    h.check("session ended: detach" in summary, f"server: {h.oneline(summary)}")


# ---- the monitor over the same port ----------------------------------------------------------------

class Terminal:
    """A person at the monitor: sends lines, reads up to the next prompt."""

    def __init__(self, h, port):
        self.h = h
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def until(self, marker=PROMPT):
        while marker not in self.buf:
            chunk = self.s.recv(65536)
            self.h.check(chunk, f"connection closed; got {self.buf[-200:]!r}")
            self.buf += chunk
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode(errors="replace")

    def cmd(self, line):
        """The output of a command (after its echo), up to and without the next prompt."""
        self.s.sendall(line.encode() + b"\r")
        out = self.until()
        self.h.check(out.startswith(line + "\r\n"), f"{line!r} not echoed: {out[:80]!r}")
        return out[len(line) + 2:-len(PROMPT)]

    def error(self, line, what):
        out = self.cmd(line)
        self.h.check(out.startswith("error: ") and what in out and out.count("\r\n") == 1,
                     f"{line!r}: expected one error line with {what!r}, got {out!r}")


def t_monitor_session(h, tmp):
    """Every monitor command over the socket, and bad input answered with one error line."""
    s = Server(h, "--limit", "30")
    try:
        t = Terminal(h, s.port)
        banner = t.until()
        h.check("Type 'help' for the monitor" in banner, f"banner: {banner!r}")
        out = t.cmd("help")
        for c in ("regs", "x ADDR", "xp ADDR", "v2p", "set REG", "step [N]", "next-event", "continue",
                  "break ADDR|SYMBOL", "delete N", "info break", "panic", "run-to-panic", "where", "quit"):
            h.check(c in out, f"help lacks {c!r}")
        out = t.cmd("regs")
        h.check("rip 0xffffffff81000000 <startup_64>" in out and "efer 0xd01 (paging: 4-level)" in out,
                f"regs: {out!r}")
        out = t.cmd("x linux_banner 16")
        h.check("ffffffff81200000: 4c 69 6e 75 78 20 76 65 72 73 69 6f 6e 20 36 2e  |Linux version 6.|" in out,
                f"x: {out!r}")
        out = t.cmd("xp 0x1200000 5")
        h.check("0000000001200000: 4c 69 6e 75 78" in out and "|Linux|" in out, f"xp: {out!r}")
        out = t.cmd("v2p linux_banner")
        h.check("-> pa 0x1200000" in out, f"v2p: {out!r}")
        out = t.cmd("set rax 0x1234")
        h.check("rax = 0x1234" in out, f"set: {out!r}")
        h.check("rax 0x0000000000001234" in t.cmd("regs"), "set rax did not stick")
        out = t.cmd("step")
        h.check("stepped 1 instruction" in out and "rip 0xffffffff81000001 <startup_64+0x1>" in out, f"step: {out!r}")
        out = t.cmd("step 3")
        h.check("stepped 3 instructions" in out and "rip 0xffffffff81000004" in out, f"step 3: {out!r}")
        out = t.cmd("next-event")
        h.check("replayed the next event: event 43: io-in port 0x3f8" in out, f"next-event: {out!r}")
        out = t.cmd("break panic")
        h.check("breakpoint 1 at 0xffffffff81001000 <panic>" in out, f"break: {out!r}")
        out = t.cmd("info break")
        h.check("1    0xffffffff81001000 <panic>" in out, f"info break: {out!r}")
        out = t.cmd("continue")
        h.check("breakpoint 1 at 0xffffffff81001000" in out and "rip 0xffffffff81001000 <panic>" in out,
                f"continue: {out!r}")
        h.check("deleted breakpoint 1" in t.cmd("delete 1"), "delete")
        # continue with nothing to stop it: Ctrl-C.
        t.s.sendall(b"continue\r")
        t.until(b"Ctrl-C stops)...\r\n")
        time.sleep(0.3)
        t.s.sendall(b"\x03")
        out = t.until()
        h.check("interrupted" in out, f"Ctrl-C: {out!r}")
        out = t.cmd("where")
        h.check(re.search(r"exit_seq \d+, rip 0x[0-9a-f]+, events replayed 43 of 50; the Primary panicked at "
                          r"exit_seq 1234, rip 0xffffffff81001000", out), f"where: {out!r}")
        out = t.cmd("panic")
        h.check("at the Primary's panic position: exit_seq 1234, rip 0xffffffff81001000" in out and
                "registers: Backup 0x0000000000005eed, Primary 0x0000000000005eed: equal" in out and
                "RAM hash:  Backup 0x00000000feedface, Primary 0x00000000feedface: equal" in out and
                "confirmed" in out, f"panic: {out!r}")
        # Bad input: one error line each, and the monitor keeps working.
        t.error("frobnicate", "unknown command 'frobnicate' (try 'help')")
        t.error("x 0x12zz", "bad number '0x12zz'")
        t.error("xp 0x80000000", "outside guest RAM")
        t.error("x 0xffff888000000000 16", "not present")
        t.error("x nosuchsymbol", "unknown symbol 'nosuchsymbol'")
        t.error("step 0", "N must be 1..")
        t.error("delete 7", "no breakpoint 7")
        t.error("set nosuchreg 1", "unknown register 'nosuchreg'")
        h.check("|Linux|" in t.cmd("x linux_banner 5"), "the monitor stopped working after errors")
        t.s.sendall(b"quit\r")
        t.s.settimeout(10)
        rest = b""
        while True:
            chunk = t.s.recv(4096)
            if not chunk:
                break
            rest += chunk
        h.check(b"detached" in rest, f"quit: {rest!r}")
        t.s.close()
    finally:
        if s.p.poll() is None:
            time.sleep(0.2)
    summary = s.finish()
    h.check("session ended: detach" in summary, f"server: {h.oneline(summary)}")


def t_gdb_protocol_abuse(h, tmp):
    """Raw bytes over the socket: bad checksums are NAKed, junk and oversize packets do not wedge."""
    s = Server(h, "--no-banner")
    c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    buf = b""

    def pkt(data):
        return b"$" + data + b"#%02x" % (sum(data) & 0xFF)

    def want(marker):
        nonlocal buf
        while marker not in buf:
            chunk = c.recv(65536)
            h.check(chunk, f"closed while waiting for {marker!r}: {buf[-100:]!r}")
            buf += chunk
        i = buf.index(marker) + len(marker)
        buf = buf[i:]

    c.sendall(b"+" + pkt(b"qC"))
    want(b"$QC1#c5")
    c.sendall(b"$qC#00")                     # bad checksum
    want(b"-")
    c.sendall(b"\x00\xffjunk#zz$m12")       # junk and a truncated packet
    c.sendall(pkt(b"M" + b"0" * 8000))       # longer than PacketSize
    want(b"$E01#a6")
    c.sendall(pkt(b"qC"))
    want(b"$QC1#c5")
    c.sendall(pkt(b"D"))
    want(b"$OK#9a")
    c.close()
    summary = s.finish()
    h.check("session ended: detach" in summary and "bad checksums 1" in summary, f"server: {h.oneline(summary)}")


def tests(h):
    """(name, function(tmp)) pairs for host_tools.py; h is that module (check, run, ROOT, ...)."""
    return [
        ("gdb_stub_real_gdb_session", lambda tmp: t_gdb_session(h, tmp)),
        ("gdb_stub_real_gdb_registers_memory", lambda tmp: t_gdb_registers_and_memory(h, tmp)),
        ("gdb_stub_real_gdb_vmlinux_break_watch", lambda tmp: t_gdb_vmlinux_breakpoint_watch(h, tmp)),
        ("gdb_stub_real_gdb_ctrl_c", lambda tmp: t_gdb_ctrl_c(h, tmp)),
        ("gdb_stub_protocol_abuse", lambda tmp: t_gdb_protocol_abuse(h, tmp)),
        ("debug_monitor_session", lambda tmp: t_monitor_session(h, tmp)),
    ]
