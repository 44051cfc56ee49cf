#!/usr/bin/env python3
"""Emulator tests: boot hindsight in Bochs and judge each run by its console.

One line per test (PASS:/FAIL:/SKIP:), then 'N passed, N failed'.
Usage: e2e.py [substring-filter]
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


def boot(*sets, cpus=1, kernel=None, timeout=240, cpu_model="corei7_skylake_x", megs=512):
    """Boots the VMM in Bochs with the given config lines; returns the run."""
    work = tempfile.mkdtemp(prefix="hs-e2e-")
    try:
        class A:
            pass
        a = A()
        a.kernel = kernel or os.path.join(ROOT, "build/guests/testguest.elf")
        a.vmm = os.path.join(ROOT, "build/hindsight.elf")
        a.initrd = None
        a.config = None
        a.set = ["console=e9"] + list(sets)
        a.cpus, a.megs, a.cpu_model, a.ips, a.timeout = cpus, megs, cpu_model, 50000000, timeout
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
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
