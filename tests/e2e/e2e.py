#!/usr/bin/env python3
"""Emulator tests: boot hindsight in Bochs and judge each run by its console.

One line per test (PASS:/FAIL:/SKIP:), then 'N passed, N failed'.
Usage: e2e.py [FILTER]   runs the tests whose name contains FILTER ("linux": every Linux test)
"""
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_loader = importlib.machinery.SourceFileLoader("hindsight_run", os.path.join(ROOT, "host-tools", "hindsight-run"))
_spec = importlib.util.spec_from_loader("hindsight_run", _loader)
hr = importlib.util.module_from_spec(_spec)
_loader.exec_module(hr)

TESTS = []
LAST = None


def test(fn):
    TESTS.append(fn)
    return fn


class Failure(Exception):
    pass


def boot(*sets, cpus=1, kernel=None, timeout=240, cpu_model="corei7_skylake_x", megs=512, initrd=None):
    """Boots the VMM in Bochs with the given config lines; returns the run."""
    work = tempfile.mkdtemp(prefix="hs-e2e-")
    try:
        a = hr.make_args(kernel=kernel or os.path.join(ROOT, "build/guests/testguest.elf"), initrd=initrd,
                         set=["console=e9"] + list(sets), cpus=cpus, megs=megs, cpu_model=cpu_model, timeout=timeout)
        iso = hr.build_iso(a, work)
        r = hr.run_bochs(a, iso, work, echo=False)
        global LAST
        LAST = r
        return r
    finally:
        shutil.rmtree(work, ignore_errors=True)


def expect(r, *needles):
    for n in needles:
        if n not in r.console:
            raise Failure(f"console lacks {n!r}")


def refuse(r, *needles):
    for n in needles:
        if n in r.console:
            raise Failure(f"console has {n!r}")


def summary(r, **want):
    if r.ended == "timeout":
        raise Failure("run timed out")
    if r.summary is None:
        raise Failure("no 'hindsight: summary' line")
    for k, v in want.items():
        k = k.replace("__", ".")
        if r.summary.get(k) != str(v):
            raise Failure(f"summary {k}={r.summary.get(k)!r}, expected {v!r}")


@test
def two_cores_run_guests():
    r = boot("cmdline=hello", cpus=2)
    expect(r, "core 0 in VMX root", "core 1 in VMX root", "[P] hindsight test guest: hello, cmdline 'hello'",
           "[B] hindsight test guest: hello, cmdline 'hello'", "[P] test guest: RAM 64 MiB",
           "[B] test guest: powering off")
    summary(r, outcome="poweroff", cores=2, primary__outcome="poweroff", backup__outcome="poweroff")
    if int(r.summary["primary.exit.io"]) < 50 or int(r.summary["backup.exit.io"]) < 50:
        raise Failure("guests made implausibly few I/O exits")


@test
def isolation_ept_violation_stops_only_the_offender():
    r = boot("cmdline=isolation", "backup_cmdline=hello", cpus=2)
    expect(r, "Primary: EPT violation: guest-physical 0x4001000 (write)", "[B] test guest: powering off")
    refuse(r, "ISOLATION BROKEN")
    summary(r, primary__outcome="ept-violation", backup__outcome="poweroff")


@test
def hostile_guest_triple_fault_is_contained():
    r = boot("cmdline=hostile", "backup_cmdline=hello", cpus=2)
    expect(r, "[P] test guest: hostile", "Primary: triple fault", "[B] test guest: powering off")
    refuse(r, "HOSTILE MSR READ SUCCEEDED")
    summary(r, primary__outcome="triple-fault", backup__outcome="poweroff", primary__io_other=2)


@test
def single_core_primary_only():
    r = boot("cmdline=hello", "cores=1", "mem=32M")
    expect(r, "[P] test guest: RAM 32 MiB")
    refuse(r, "[B]")
    summary(r, outcome="poweroff", cores=1)


@test
def one_cpu_machine_runs_primary_alone():
    r = boot("cmdline=hello")
    expect(r, "core 1 did not answer INIT-SIPI-SIPI", "running the Primary alone")
    summary(r, outcome="poweroff", cores=1)


@test
def cpu_without_vmx_is_refused_clearly():
    r = boot("cmdline=hello", cpu_model="athlon64_clawhammer")
    expect(r, "has no Intel VT-x")
    summary(r, outcome="no-vmx")


@test
def vmx_disabled_by_firmware_is_refused_clearly():
    r = boot("cmdline=hello", "simulate=vmx-locked-off")
    expect(r, "VT-x is disabled by the firmware", "Enable \"Intel Virtualization Technology\"")
    summary(r, outcome="no-vmx")


@test
def vmm_exception_dumps_registers_and_stops():
    r = boot("cmdline=hello", "simulate=vmm-fault")
    expect(r, "VMM exception 14 (page fault) on core 0", "cr2=ffff800000000000", "rip=", "r15=")
    summary(r, outcome="vmm-fault")


@test
def bad_config_key_is_named():
    r = boot("cmdline=hello", "lagg=5")
    expect(r, "config line 3: unknown key 'lagg'")
    summary(r, outcome="config-error")


@test
def guest_memory_larger_than_machine():
    r = boot("cmdline=hello", "mem=4G")
    expect(r, "guest memory 4096 MiB x 2 guest(s) does not fit")
    summary(r, outcome="config-error")


@test
def missing_initramfs_module():
    r = boot("cmdline=hello", "initrd=initrd")
    expect(r, "no initrd module named 'initrd'")
    summary(r, outcome="load-error")


@test
def corrupt_kernel_image():
    bad = tempfile.NamedTemporaryFile(suffix=".elf", delete=False)
    with open(os.path.join(ROOT, "build/guests/testguest.elf"), "rb") as f:
        img = bytearray(f.read())
    img[0x1C:0x20] = b"\xff" * 4  # ELF32 e_phoff far past the end of the file
    bad.write(img)
    bad.close()
    try:
        r = boot("cmdline=hello", kernel=bad.name)
    finally:
        os.unlink(bad.name)
    expect(r, "cannot load the guest kernel")
    summary(r, outcome="load-error")


OVMF = "/usr/share/ovmf/OVMF.fd"


@test
def uefi_boot_through_ovmf_reaches_the_vmx_check():
    """The UEFI half of the ISO: OVMF -> GRUB (x86_64-efi) -> multiboot2 -> VMM. QEMU's TCG has no
    VT-x, so the run must end at the VMX check with the clear message."""
    import subprocess
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu or not os.path.exists(OVMF):
        raise Failure("qemu-system-x86_64 or OVMF missing (host-tools/install-deps.sh emu)")
    work = tempfile.mkdtemp(prefix="hs-uefi-")
    try:
        a = hr.make_args(set=["console=com1,e9", "cmdline=hello"])
        iso = hr.build_iso(a, work)
        e9 = os.path.join(work, "e9.txt")
        try:
            subprocess.run([qemu, "-machine", "q35", "-m", "512", "-bios", OVMF, "-cdrom", iso, "-display", "none",
                            "-no-reboot", "-debugcon", "file:" + e9, "-serial", "null",
                            "-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
                           timeout=120, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise Failure("QEMU/OVMF run timed out")
        text = open(e9, encoding="latin-1").read() if os.path.exists(e9) else ""
        global LAST
        LAST = hr.Run()
        LAST.console = text
        if "has no Intel VT-x" not in text or "summary outcome=no-vmx" not in text:
            raise Failure("the UEFI boot did not reach the VMX check with its message")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Linux as the Primary alone, its serial bytes straight to the console.
LINUX_SETS = ["console=e9", "cores=1", "mem=256M", "initrd=initrd", "guest_console=raw"]
LINUX_KERNEL = os.path.join(ROOT, "build/guest-kernel.elf")
LINUX_INITRD = os.path.join(ROOT, "build/initramfs.cpio.gz")


def linux_session(*sets, cpus=1, megs=512):
    """Boots Linux as the Primary with COM1 connected to the harness; returns (session, work dir)."""
    import re as _re  # noqa: F401
    work = tempfile.mkdtemp(prefix="hs-linux-")

    a = hr.make_args(kernel=LINUX_KERNEL, initrd=LINUX_INITRD, cpus=cpus, megs=megs, timeout=600,
                     set=LINUX_SETS + ["cmdline=console=ttyS0 nokaslr quiet",
                                       f"rtc_epoch={int(__import__('time').time())}"] + list(sets))
    iso = hr.build_iso(a, work)
    return hr.BochsSession(a, iso, work, serial=True), work


def linux_tests():
    """One Linux boot, several checks: yields (name, error-or-None) as it goes."""
    import re
    import time as _t
    if not (os.path.exists(LINUX_KERNEL) and os.path.exists(LINUX_INITRD)):
        yield "linux_boot_to_shell", "no guest kernel/initramfs: run 'make linux' first"
        return
    s, work = linux_session()
    global LAST
    try:
        t0 = _t.time()
        end = s.wait_for("hindsight$ ", 400)
        LAST = s.result("running")
        if end < 0:
            yield "linux_boot_to_shell", "no shell prompt within 400 s"
            return
        yield "linux_boot_to_shell", None
        print(f"  (Linux reached the shell in {_t.time() - t0:.0f} s wall)", flush=True)

        def cmd(line, pattern, timeout=60):
            nonlocal end
            s.send(line + "\r")
            deadline = _t.time() + timeout
            while _t.time() < deadline:
                s.pump()
                out = s.console[end:]
                m = re.search(pattern, out)
                if m and "hindsight$ " in out[m.end():]:
                    end += out.index("hindsight$ ", m.end()) + len("hindsight$ ")
                    return m
                _t.sleep(0.1)
            LAST.console = s.console
            return None

        m = cmd("echo U=$(uname -a)", r"U=(Linux hindsight-guest \S+ .* x86_64 GNU/Linux)")
        yield "linux_uname", None if m and "6.1" in m.group(1) else "uname -a gave no Linux 6.1 x86_64 line"
        m = cmd("echo H=$(grep -c '^flags.* hypervisor' /proc/cpuinfo)", r"H=(\d+)")
        yield "linux_cpuinfo_hypervisor", None if m and m.group(1) == "1" else "no hypervisor flag in /proc/cpuinfo"
        m = cmd("cat /proc/interrupts", r"\s0:\s+(\d+)\s+XT-PIC\s+timer[\s\S]*\s4:\s+(\d+)\s+XT-PIC\s+ttyS0")
        yield "linux_interrupts_pic_timer_and_uart", (
            None if m and int(m.group(1)) > 100 and int(m.group(2)) > 0
            else "/proc/interrupts lacks a ticking XT-PIC timer (IRQ 0) and ttyS0 (IRQ 4)")
        m = cmd("echo T=$(date +%s) && sleep 2 && echo T2=$(date +%s) Y=$(date +%Y)", r"T=(\d+)\s+T2=(\d+) Y=(\d+)",
                timeout=120)
        if not m:
            yield "linux_sleep_and_date", "sleep/date command gave no answer"
        else:
            d = int(m.group(2)) - int(m.group(1))
            year = _t.gmtime().tm_year
            yield "linux_sleep_and_date", (None if 2 <= d <= 3 and abs(int(m.group(3)) - year) <= 1
                                           else f"sleep 2 took {d} guest seconds, year {m.group(3)}")
        # The agents are in the initramfs and work inside the guest: duplicate a running loop.
        m = cmd("rfork --help >/dev/null && parttrack --help >/dev/null && ckpt --help >/dev/null && "
                "(while :; do sleep 1; done) & P=$!; C=$(rfork $P); "
                "echo RF=$C PARENT=$(cut -d' ' -f4 /proc/$C/stat) SH=$$",
                r"RF=(\d+) PARENT=(\d+) SH=(\d+)", timeout=120)
        yield "linux_agents_run_in_guest", (None if m and m.group(2) == m.group(3)
                                            else "the agents did not run, or rfork gave no duplicate")
        s.send("poweroff -f\r")
        ok = s.wait_exit(120)
        r = s.result("exit" if ok else "timeout")
        LAST = r
        if not ok or not r.summary:
            yield "linux_poweroff_summary", "poweroff -f did not end the run with a summary"
        else:
            yield "linux_poweroff_summary", (None if r.summary.get("outcome") == "poweroff"
                                             and int(r.summary.get("primary.exit.io", 0)) > 1000
                                             else f"summary outcome={r.summary.get('outcome')}")
    finally:
        s.kill()
        shutil.rmtree(work, ignore_errors=True)


def bzimage_test():
    """The Linux 32-bit boot protocol: Debian's bzImage itself (its own decompressor runs in the guest),
    ending in a real kernel panic, which the VMM must recognise as the Primary's."""
    import glob
    bz = sorted(glob.glob(os.path.expanduser("~/.cache/hindsight/linux-image-*/bzImage")))
    if not bz:
        return "no cached bzImage (host-tools/get-kernel.sh fetches it)"
    global LAST
    r = boot(*LINUX_SETS[1:], "cmdline=console=ttyS0 nokaslr quiet hs.poweroff", kernel=bz[-1], timeout=600,
             initrd=LINUX_INITRD)
    LAST = r
    for needle in ("(bzImage)", "tsc-init=", "reboot: System halted"):
        if needle not in r.console:
            return f"console lacks {needle!r}"
    if not r.summary or r.summary.get("outcome") != "poweroff":
        return "no poweroff summary"
    return None


def two_linux_test():
    """Two cores, two Linux guests from byte-identical images, each under its own EPT (no replay yet)."""
    if not (os.path.exists(LINUX_KERNEL) and os.path.exists(LINUX_INITRD)):
        return "no guest kernel/initramfs: run 'make linux' first"
    global LAST
    r = boot("cores=2", *[x for x in LINUX_SETS[1:] if not x.startswith("cores=") and x != "guest_console=raw"],
             "cmdline=console=ttyS0 nokaslr quiet hs.poweroff", kernel=LINUX_KERNEL, initrd=LINUX_INITRD, cpus=2,
             megs=1024, timeout=900)
    LAST = r
    for needle in ("[P] tsc-init=", "[B] tsc-init=", "[P] [", "[B] ["):
        if needle not in r.console:
            return f"console lacks {needle!r}"
    if not r.summary or r.summary.get("primary.outcome") != "poweroff" or r.summary.get("backup.outcome") != "poweroff":
        return "both guests did not power off"
    return None


def main():
    flt = sys.argv[1] if len(sys.argv) > 1 else ""
    if not shutil.which("bochs"):
        for t in TESTS:
            print(f"SKIP: e2e/{t.__name__}: bochs is not installed (host-tools/install-deps.sh emu)")
        print(f"0 passed, 0 failed, {len(TESTS)} skipped")
        return 1  # a missing engine must not look like success
    passed = failed = 0
    global LAST
    for t in TESTS:
        if flt not in t.__name__:
            continue
        LAST = None
        try:
            t()
            print(f"PASS: e2e/{t.__name__}", flush=True)
            passed += 1
        except Failure as e:
            print(f"FAIL: e2e/{t.__name__}: {e}", flush=True)
            if LAST is not None:
                print("  last console lines:\n    " + "\n    ".join(LAST.console.splitlines()[-15:]))
            failed += 1
        except Exception as e:  # a harness crash is a failure too
            print(f"FAIL: e2e/{t.__name__}: harness error {type(e).__name__}: {e}", flush=True)
            failed += 1
    if flt in "linux_session":
        for name, err in linux_tests():
            if err is None:
                print(f"PASS: e2e/{name}", flush=True)
                passed += 1
            else:
                print(f"FAIL: e2e/{name}: {err}", flush=True)
                if LAST is not None:
                    print("  last console lines:\n    " + "\n    ".join(LAST.console.splitlines()[-15:]))
                failed += 1
    if flt in "two_linux_guests_on_two_cores":
        LAST = None
        err = two_linux_test()
        print(f"PASS: e2e/two_linux_guests_on_two_cores" if err is None
              else f"FAIL: e2e/two_linux_guests_on_two_cores: {err}", flush=True)
        if err is None:
            passed += 1
        else:
            if LAST is not None:
                print("  last console lines:\n    " + "\n    ".join(LAST.console.splitlines()[-15:]))
            failed += 1
    if flt in "linux_bzimage_boot_protocol_and_panic":
        LAST = None
        err = bzimage_test()
        if err is None:
            print("PASS: e2e/linux_bzimage_boot_protocol_and_panic", flush=True)
            passed += 1
        else:
            print(f"FAIL: e2e/linux_bzimage_boot_protocol_and_panic: {err}", flush=True)
            if LAST is not None:
                print("  last console lines:\n    " + "\n    ".join(LAST.console.splitlines()[-15:]))
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
