#!/usr/bin/env python3
"""Emulator tests: boot hindsight in Bochs and judge each run by its console.

One line per test (PASS:/FAIL:/SKIP:), then 'N passed, N failed' (', N skipped').
Usage: e2e.py [--list] [FILTER]   runs (--list: names) the tests whose name contains FILTER
("linux": every Linux test). A FILTER that names no test is a failure, not an empty success.

Every test is registered by name: a one-boot test with @test, several tests judged from one
boot with @group(names...). A group runs when any of its names is selected, reports only the
selected names, and a name it never reports (its boot failed, the harness broke) is a FAIL
that says why, so that no test drops out of the count.
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

TESTS = []  # (names, runner): runner() yields (name, verdict) for each name, in order
LAST = None


class Failure(Exception):
    pass


class Skip:
    """A verdict: the test could not be run here, for this reason."""

    def __init__(self, why):
        self.why = why


def test(fn):
    """One boot, one test: fn raises Failure or returns a Skip."""
    def runner():
        v = fn()
        yield fn.__name__, v if isinstance(v, Skip) else None
    TESTS.append(([fn.__name__], runner))
    return fn


def group(*names):
    """Several tests judged from one boot: the generator yields (name, verdict) for its names in
    order; a verdict is None (pass), a string (the failure) or a Skip. An exception ends the group."""
    def deco(gen):
        TESTS.append((list(names), gen))
        return gen
    return deco


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
def madt_names_the_cores_and_wakes_only_the_one_used():
    """Four CPUs: the MADT (through GRUB's RSDP) lists them; the VMM names the two APIC IDs it uses,
    starts only that second core with a directed INIT-SIPI-SIPI and masks the I/O APIC."""
    r = boot("cmdline=hello", cpus=4)
    expect(r, "MADT: 4 core(s), APIC IDs 0 1 2 3; core 0 (Primary) is APIC ID 0, core 1 (Backup) would be APIC ID 1; "
              "2 other(s) stay in wait-for-SIPI", "core 1 is APIC ID 1 (started alone", "I/O APIC",
           "core 1 in VMX root", "[B] test guest: powering off")
    summary(r, outcome="poweroff", cores=2, backup__outcome="poweroff")


@test
def isolation_ept_violation_stops_only_the_offender():
    r = boot("cmdline=isolation", "backup_cmdline=hello", "replay=independent", cpus=2)
    expect(r, "Primary: EPT violation: guest-physical 0x4001000 (write)", "[B] test guest: powering off")
    refuse(r, "ISOLATION BROKEN")
    summary(r, primary__outcome="ept-violation", backup__outcome="poweroff")


@test
def hostile_guest_triple_fault_is_contained():
    r = boot("cmdline=hostile", "backup_cmdline=hello", "replay=independent", cpus=2)
    expect(r, "[P] test guest: hostile", "[P] test guest: hostile: VMXON and VMREAD raised #UD",
           "Primary: triple fault", "[B] test guest: powering off")
    refuse(r, "HOSTILE MSR READ SUCCEEDED", "HOSTILE VMX INSTRUCTION SUCCEEDED")
    summary(r, primary__outcome="triple-fault", backup__outcome="poweroff", primary__io_other=2,
            primary__exit__vmxon=1, primary__exit__vmread=1)


@test
def replay_off_runs_the_primary_alone():
    # Two CPUs, so that only the config key can keep core 1 out of VMX.
    r = boot("cmdline=hello", "replay=off", "mem=32M", cpus=2)
    expect(r, "core 0 in VMX root", "[P] test guest: RAM 32 MiB", "replay off: the Primary runs alone")
    refuse(r, "[B]", "core 1 in VMX root", "core 1 did not answer")
    summary(r, outcome="poweroff", cores=1, guests=1, replay__mode="off")
    if any(k.startswith("backup.") for k in r.summary):
        raise Failure("the summary reports a Backup")


@test
def single_core_time_slices_both_guests():
    # Two CPUs, so that only cores=1 keeps the Backup off core 1.
    r = boot("cmdline=replay=20", "cores=1", "mem=32M", cpus=2)
    expect(r, "entering Primary and Backup at", "time-sliced on one core", "[P] test guest: RAM 32 MiB",
           "[B] test guest: powering off")
    refuse(r, "core 1 in VMX root", "DIVERGENCE")
    summary(r, outcome="poweroff", cores=1, guests=2, replay__mode="exit", replay__divergences=0,
            replay__ram_match="yes", replay__console_match="yes", backup__outcome="poweroff")
    if r.summary["replay.events"] != r.summary["replay.replayed"] or int(r.summary["replay.events"]) < 60:
        raise Failure(f"replayed {r.summary['replay.replayed']} of {r.summary['replay.events']} events")


@test
def replay_two_cores_test_guest():
    r = boot("cmdline=replay=20", "cores=2", "mem=32M", cpus=2)
    expect(r, "core 1 in VMX root; entering Backup", "[B] test guest: powering off")
    refuse(r, "DIVERGENCE")
    summary(r, outcome="poweroff", cores=2, guests=2, replay__divergences=0, replay__ram_match="yes",
            replay__console_match="yes", backup__outcome="poweroff")
    if r.summary["replay.events"] != r.summary["replay.replayed"]:
        raise Failure(f"replayed {r.summary['replay.replayed']} of {r.summary['replay.events']} events")


@test
def replay_perturbation_is_reported_at_its_event():
    """replay_perturb=N hands the Backup a different value at event N (here the RTC seconds of the
    second line): the checker must stop the Backup naming event N or the next one."""
    r = boot("cmdline=replay=5", "cores=1", "mem=32M", "replay_perturb=4", "replay=icount", cpus=1)
    import re
    m = re.search(r"hindsight: DIVERGENCE at event (\d+): (.*)", r.console)
    if not m:
        raise Failure("no divergence report")
    if int(m.group(1)) not in (4, 5):
        raise Failure(f"the report names event {m.group(1)}, not 4 or 5")
    expect(r, "expected (Primary): event", "actual (Backup):", "Primary registers at that event", "Backup registers now")
    summary(r, outcome="poweroff", primary__outcome="poweroff", backup__outcome="divergence", replay__divergences=1,
            replay__ram_match="no")


@test
def ctrl_right_bracket_ends_the_run_with_a_replayed_backup():
    """Ctrl-] typed on the console (what make run forwards): the VMM stops the Primary where it is
    (user-stop), the Backup is replayed to that point, and the run ends with the summary."""
    work = tempfile.mkdtemp(prefix="hs-e2e-")
    a = hr.make_args(kernel=os.path.join(ROOT, "build/guests/testguest.elf"), cpus=1, megs=512, timeout=240,
                     set=["console=e9", "cores=1", "mem=32M", "cmdline=replay=100000"])
    iso = hr.build_iso(a, work)
    s = hr.BochsSession(a, iso, work, serial=True)
    global LAST
    try:
        if s.wait_for("[P] test guest: RAM 32 MiB", 120) < 0:
            raise Failure("the test guest did not start")
        s.send(b"\x1d")
        ok = s.wait_exit(180)
        r = s.result("exit" if ok else "timeout")
        LAST = r
        expect(r, "the user ended the run (Ctrl-])")
        summary(r, outcome="user-stop", primary__outcome="user-stop", backup__outcome="user-stop",
                replay__divergences=0, replay__ram_match="yes", replay__console_match="yes")
    finally:
        s.kill()
        shutil.rmtree(work, ignore_errors=True)


@test
def replay_lag_larger_than_the_ring_is_refused():
    r = boot("cmdline=hello", "ring_entries=1024", "lag=1000")
    expect(r, "lag=1000 events does not fit a ring of 1024 events")
    summary(r, outcome="config-error")


@test
def replay_backup_cmdline_needs_independent_guests():
    r = boot("cmdline=hello", "backup_cmdline=other")
    expect(r, "backup_cmdline needs replay=independent")
    summary(r, outcome="config-error")


@test
def replay_forced_pmc_refused_without_a_pmu():
    """Bochs has no PMU (its counters read 0): a forced pmc is refused, with what the use test saw."""
    r = boot("cmdline=hello", "replay=pmc", cpus=1)
    expect(r, "replay=pmc is not possible on this machine: PMC0 read 0 after 1000 conditional branches")
    summary(r, outcome="config-error")


@test
def replay_auto_picks_icount_on_one_emulated_cpu():
    r = boot("cmdline=replay=5", "cores=1", "mem=32M", cpus=1)
    expect(r, "replay mode icount (auto: no working performance counter (PMC0 read 0",
           "counts guest instructions exactly on this one-CPU emulator")
    summary(r, outcome="poweroff", replay__mode="icount", replay__divergences=0, replay__ram_match="yes")
    if r.summary.get("replay.primary_count") != r.summary.get("replay.backup_count"):
        raise Failure("the Primary and the Backup counted different numbers of instructions")


@test
def replay_forced_icount_refused_on_two_emulated_cpus():
    """Two emulated CPUs tick in rounds of five instructions: no exact count, so auto takes exit
    and a forced icount is refused, naming the measurement."""
    r = boot("cmdline=hello", "replay=icount", "cores=1", cpus=2)
    expect(r, "replay=icount is not possible on this machine: the TSC does not count one tick per instruction")
    summary(r, outcome="config-error")
    r = boot("cmdline=replay=5", "cores=1", "mem=32M", cpus=2)
    expect(r, "replay mode exit (auto: no working performance counter")
    summary(r, outcome="poweroff", replay__mode="exit", replay__divergences=0)


# Guest outcomes, each provoked by the tiny test guest on one CPU (tests/guests/testguest.asm).
@test
def guest_reset_request_ends_as_reboot():
    r = boot("cmdline=reboot", "cores=1")
    expect(r, "[P] test guest: requesting a reset through port 0xCF9", "Primary requested a reset (port 0xCF9)")
    refuse(r, "RESET REQUEST IGNORED")
    summary(r, outcome="reboot", primary__outcome="reboot")


@test
def guest_invalid_state_is_reported():
    r = boot("cmdline=badstate", "cores=1")
    expect(r, "[P] test guest: setting CR0.PG with CR0.PE clear", "Primary: VM entry failed: invalid guest state",
           "Primary guest state: rip=")
    refuse(r, "INVALID CR0 ACCEPTED")
    summary(r, outcome="invalid-guest-state", primary__exit__invalid_state=1)


@test
def guest_unhandled_exit_is_reported():
    r = boot("cmdline=unhandled", "cores=1")
    expect(r, "[P] test guest: task switch through a TSS descriptor",
           "Primary: unhandled VM exit 9 (task_switch), qualification 0x", "Primary guest state: rip=")
    refuse(r, "TASK SWITCH NOT STOPPED")
    summary(r, outcome="unhandled-exit", primary__exit__task_switch=1)


@test
def guest_string_io_is_refused():
    r = boot("cmdline=stringio", "cores=1")
    expect(r, "[P] test guest: string I/O (REP OUTSB)", "Primary: string I/O (INS/OUTS) on port 0x80 is not emulated")
    refuse(r, "STRING I/O NOT STOPPED")
    summary(r, outcome="unsupported-string-io")


@test
def guest_panic_line_ends_as_panic():
    r = boot("cmdline=panic", "cores=1")
    expect(r, "[P] Kernel panic - not syncing: test guest panics on purpose", "Primary stopped: panic")
    refuse(r, "PANIC NOT CAUGHT")
    summary(r, outcome="panic", primary__outcome="panic")


@test
def one_cpu_machine_runs_both_guests_on_core_0():
    r = boot("cmdline=hello")
    expect(r, "core 1 did not answer INIT-SIPI-SIPI", "both guests share core 0 instead")
    summary(r, outcome="poweroff", cores=1, guests=2, replay__divergences=0, backup__outcome="poweroff")


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
def vmm_exception_with_console_lock_held_is_reported():
    """A fault inside the console's critical section: the report takes the lock over instead of
    deadlocking on it."""
    r = boot("cmdline=hello", "simulate=vmm-fault-in-console")
    expect(r, "simulating a VMM fault with the console lock held", "console lock held by this core at the fault",
           "VMM exception 14 (page fault) on core 0", "r15=")
    summary(r, outcome="vmm-fault")


@test
def stray_host_interrupt_neither_hangs_nor_kills_the_guest():
    """A LAPIC timer left armed (as by firmware) is found and stopped; another left running into
    the guests' run (a source the VMM does not know) arrives as external-interrupt exits, which
    are acknowledged, ended at the local APIC and counted (host.irqs), and the guests finish."""
    r = boot("cmdline=replay=20", "simulate=lapic-timer", "simulate=stray-irq", "mem=32M")
    expect(r, "core 0: the local APIC timer was left running (vector 0x40, periodic", "8259As remapped to 0x20 and masked",
           "host interrupt vector 0x41 arrived (local APIC): ended and counted", "[B] test guest: powering off")
    summary(r, outcome="poweroff", backup__outcome="poweroff", replay__divergences=0, host__spurious_irqs=0)
    n = int(r.summary.get("host.irqs", "0"))
    if n < 2 or int(r.summary.get("primary.exit.extint", "0")) + \
            int(r.summary.get("backup.exit.extint", "0")) != n:
        raise Failure(f"host.irqs={n}: expected at least 2, one per external-interrupt exit")


@test
def host_nmis_are_taken_and_counted_none_lost():
    """NMIs sent to the VMM's core in VMX root and right before VM entries: each is taken once,
    in root (IDT vector 2; Bochs takes these before the entry), none fatal, none lost."""
    r = boot("cmdline=hello", "simulate=host-nmi")
    expect(r, "simulate=host-nmi: 3 NMIs sent in VMX root, 3 taken", "[P] test guest: powering off")
    summary(r, outcome="poweroff", host__nmis=6)


@test
def host_nmis_in_a_running_guest_are_not_held():
    """Core 1 sends core 0 NMIs while core 0's guest computes (no exits): each is an NMI exit,
    counted, the guest goes on; the blocking-by-NMI bit the exit leaves in the guest's state is
    cleared, or the second NMI would be held for ever (it was, before the fix)."""
    r = boot("cmdline=bench=100000", "backup_cmdline=bench=400000", "replay=independent", "simulate=host-nmi",
             cpus=2, timeout=400)
    expect(r, "3 NMIs sent in VMX root, 3 taken", "NMI 1 sent from core 1 to core 0 while its guest ran: taken",
           "NMI 3 sent from core 1 to core 0 while its guest ran: taken")
    refuse(r, "NOT TAKEN")
    summary(r, outcome="poweroff", backup__outcome="poweroff", host__nmis=6, host__nmis_in_guest=3,
            primary__exit__exception=3)


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


def launcher(*argv, timeout=300):
    """host-tools/hindsight-run as a user runs it (make run does): its exit status and output."""
    import subprocess
    r = subprocess.run([os.path.join(ROOT, "host-tools", "hindsight-run"), "--engine", "bochs", "--interactive", "no",
                        "--timeout", "240"] + list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    global LAST
    LAST = hr.Run()
    LAST.console = r.stdout.decode("latin-1")
    return r.returncode, LAST.console


@test
def launcher_sizes_machine_from_mem():
    """make run's way: --megs auto sizes the emulated machine for a 512 MiB guest (the default
    machine of 512 MiB cannot hold it)."""
    rc, out = launcher("--cpus", "1", "--megs", "auto", "--set", "console=e9", "--set", "cmdline=hello",
                       "--set", "cores=1", "--set", "mem=512M")
    if "[P] test guest: RAM 512 MiB" not in out or "summary outcome=poweroff" not in out:
        raise Failure("the 512 MiB guest did not run to its power-off")
    if rc != 0:
        raise Failure(f"exit status {rc} for a guest that powered off")


@test
def replay_log_captured_and_decoded():
    """--log FILE (replay_log=com2): the log leaves the machine on COM2 and hindsight-log decodes
    as many events as the summary says were recorded."""
    import re
    import subprocess
    log = tempfile.NamedTemporaryFile(suffix=".log", delete=False).name
    try:
        rc, out = launcher("--cpus", "1", "--cores", "1", "--log", log, "--set", "console=e9",
                           "--set", "cmdline=replay=5")
        m = re.search(r"replay\.events=(\d+)", out)
        if rc != 0 or not m:
            raise Failure(f"the run did not end with a summary (exit {rc})")
        r = subprocess.run([os.path.join(ROOT, "host-tools", "hindsight-log"), "--stats", log],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        text = r.stdout.decode(errors="replace")
        n = re.search(r"^total\s+(\d+)", text, re.M)
        if r.returncode != 0 or not n:
            raise Failure(f"hindsight-log --stats failed: {text[-400:]}")
        if int(n.group(1)) != int(m.group(1)):
            raise Failure(f"the log holds {n.group(1)} events, the summary {m.group(1)}")
    finally:
        os.unlink(log)


@test
def launcher_exit_status_follows_outcome():
    for sets, want in ((["cmdline=hello", "lagg=5"], 4), (["cmdline=isolation"], 3)):
        args = ["--cpus", "1", "--set", "console=e9", "--set", "cores=1"]
        for x in sets:
            args += ["--set", x]
        rc, out = launcher(*args)
        if "hindsight: summary outcome=" not in out:
            raise Failure(f"{sets}: no summary line")
        if rc != want:
            raise Failure(f"{sets}: exit status {rc}, expected {want}")


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




_bu_loader = importlib.machinery.SourceFileLoader("bench_uefi", os.path.join(ROOT, "host-tools", "bench-uefi"))
_bu_spec = importlib.util.spec_from_loader("bench_uefi", _bu_loader)
bu = importlib.util.module_from_spec(_bu_spec)
_bu_loader.exec_module(bu)


def vmm_lines(text):
    """The VMM's console lines of an OVMF run, with what legitimately differs between loaders
    (ticks, free memory, the loader's name) masked."""
    import re
    out = []
    for l in text.splitlines():
        if not l.startswith("hindsight: "):
            continue
        l = re.sub(r"tick \d+", "tick N", l)
        l = re.sub(r"\d+ MiB free, \d+ module\(s\), loader '[^']*'", "N MiB free, N module(s), loader L", l)
        out.append(l)
    return out


def ovmf_checked(disk_args, stop_on, needles=()):
    global LAST
    try:
        r = bu.run_ovmf(disk_args, list(needles), stop_on, timeout=150)
    except RuntimeError as e:
        raise Failure(str(e))
    LAST = hr.Run()
    LAST.console = r.text
    if r.timed_out:
        raise Failure(f"QEMU/OVMF run timed out waiting for {stop_on}")
    return r


@test
def uefi_app_boots_from_an_esp_to_the_vmx_check_like_grub():
    """hindsight.efi (no GRUB) from a FAT ESP image in QEMU+OVMF: loads the VMM and modules, exits
    boot services, and the VMM prints exactly what it prints when GRUB booted it from the ISO in
    the same firmware, up to the VMX check (TCG has no VT-x)."""
    work = tempfile.mkdtemp(prefix="hs-efi-")
    try:
        esp = bu.build_esp(os.path.join(work, "esp.img"))
        efi = ovmf_checked(["-drive", "format=raw,file=" + esp], ["summary outcome="])
        for n in ("hindsight.efi: loading the VMM and its modules from \\EFI\\BOOT\\",
                  "hindsight.efi: exiting boot services and entering the VMM", "loader 'hindsight.efi'",
                  "has no Intel VT-x", "hindsight: summary outcome=no-vmx"):
            if n not in efi.text:
                raise Failure(f"hindsight.efi run lacks {n!r}")
        grub = ovmf_checked(["-cdrom", bu.build_grub_iso(work)], ["summary outcome="])
        a, b = vmm_lines(efi.text), vmm_lines(grub.text)
        if a != b:
            diff = [f"efi: {x!r} / grub: {y!r}" for x, y in zip(a + [""] * len(b), b + [""] * len(a)) if x != y]
            raise Failure("the VMM's lines differ between hindsight.efi and GRUB: " + "; ".join(diff[:3]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test
def uefi_app_names_a_missing_module():
    work = tempfile.mkdtemp(prefix="hs-efi-")
    try:
        esp = bu.build_esp(os.path.join(work, "esp.img"), "--omit", "kernel")
        want = "hindsight.efi: FATAL: cannot read module kernel: Not Found"
        r = ovmf_checked(["-drive", "format=raw,file=" + esp], [want])
        if "returning to the firmware" not in r.text and "VMM starting" in r.text:
            raise Failure("the VMM was entered without its kernel")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@test
def uefi_app_names_a_corrupt_vmm_image():
    work = tempfile.mkdtemp(prefix="hs-efi-")
    try:
        esp = bu.build_esp(os.path.join(work, "esp.img"), "--truncate", "hindsight.elf")
        want = "hindsight.efi: FATAL: hindsight.elf is not a usable VMM image: a loadable segment runs past the end " \
               "of the file (truncated?)"
        r = ovmf_checked(["-drive", "format=raw,file=" + esp], [want])
        if "VMM starting" in r.text:
            raise Failure("a truncated VMM image was entered")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def debug_session(*sets, kernel=None, initrd=None, cpus=1, megs=512, timeout=600, ready_timeout=400):
    """Boots with COM2 served on a free localhost port (the launcher's --debug-port) and waits for
    the VMM's 'debugger ready' line; returns (session, work dir, port)."""
    work = tempfile.mkdtemp(prefix="hs-dbg-")
    port = hr.free_port()
    a = hr.make_args(kernel=kernel or os.path.join(ROOT, "build/guests/testguest.elf"), initrd=initrd, cpus=cpus,
                     megs=megs, timeout=timeout, debug_port=port,
                     set=["console=e9", "debugger=com2", f"debugger_where=localhost:{port}"] + list(sets))
    iso = hr.build_iso(a, work)
    s = hr.BochsSession(a, iso, work)
    global LAST
    if s.wait_for("hindsight: debugger ready", ready_timeout) < 0:
        LAST = s.result("timeout")
        s.kill()
        shutil.rmtree(work, ignore_errors=True)
        raise Failure("no 'hindsight: debugger ready' line")
    return s, work, port


def gdb_batch(port, *cmds, timeout=300):
    """Debian's GNU gdb as the user runs it, against COM2; returns its output."""
    import subprocess
    gdb = shutil.which("gdb")
    if not gdb:
        raise Failure("gdb is not installed (host-tools/install-deps.sh)")
    argv = [gdb, "-batch", "-nx", "-ex", "set architecture i386:x86-64", "-ex", "set remotetimeout 60",
            "-ex", f"target remote localhost:{port}"]
    for c in cmds:
        argv += ["-ex", c]
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"gdb timed out: {(e.stdout or b'').decode(errors='replace')[-800:]}")
    return r.stdout.decode(errors="replace")


def gdb_rip(text, label):
    import re
    m = re.findall(r"^rip\s+(0x[0-9a-f]+)", text, re.M)
    if not m:
        raise Failure(f"gdb printed no rip ({label}): {text[-600:]}")
    return [int(x, 16) for x in m]


def elf_symbol(path, name):
    import subprocess
    out = subprocess.run(["nm", path], stdout=subprocess.PIPE).stdout.decode()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise Failure(f"{path} has no symbol {name}")


@test
def debug_monitor_after_a_panic():
    """The test guest panics; the Backup is held before it and the monitor on COM2 answers every
    command, refuses bad input clearly, steps, and runs to the panic position with equal RAM."""
    import socket
    import time as _t
    s, work, port = debug_session("cmdline=panic", "cores=1")
    global LAST
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.settimeout(0.3)
        out = []

        def say(line, want, wait=60):
            c.sendall(line.encode() + b"\r")
            buf, deadline = b"", _t.time() + wait
            while _t.time() < deadline:
                s.pump()
                try:
                    d = c.recv(65536)
                    buf += d
                except socket.timeout:
                    pass
                if want in buf.decode(errors="replace") and buf.rstrip().endswith(b"(hindsight)"):
                    break
            text = buf.decode(errors="replace")
            out.append(text)
            if want not in text:
                raise Failure(f"monitor: {line!r} gave no {want!r}: {text[-400:]!r}")
            return text

        say("", "(hindsight)")
        say("help", "run-to-panic")
        say("regs", "rip 0x")
        say("where", "the Primary panicked at exit_seq")
        say("xp 0x200000 16", "0000000000200000:")
        say("x 0x200000 16", "0000000000200000:")
        say("frobnicate", "error")
        say("x 0xzz", "error")
        say("xp 0x7fffffff000 16", "error")
        say("step", "stepped 1 instruction")
        say("step 3", "stepped 3 instruction")
        say("next-event", "(hindsight)")
        say("panic", "confirmed: the Backup stands where the Primary panicked")
        say("step", "end")
        c.sendall(b"quit\r")
        c.close()
        if not s.wait_exit(120):
            raise Failure("the run did not end after quit")
        r = s.result("exit")
        LAST = r
        summary(r, outcome="panic", primary__outcome="panic", backup__outcome="panic", replay__at_end="yes",
                replay__ram_match="yes", replay__divergences=0)
    finally:
        s.kill()
        shutil.rmtree(work, ignore_errors=True)


@test
def debug_gdb_after_a_panic():
    """GNU gdb on COM2 after the test guest's panic: registers, memory, stepi, a hardware
    breakpoint on the panic message's output routine, and on to the Primary's final position."""
    puts = elf_symbol(os.path.join(ROOT, "build/guests/testguest.elf"), "puts")
    s, work, port = debug_session("cmdline=panic", "cores=1")
    global LAST
    try:
        text = gdb_batch(port, "info registers rip", "x/4xb 0x200000", "stepi", "info registers rip",
                         f"hbreak *0x{puts:x}", "continue", "info registers rip", "delete", "continue",
                         "info registers rip", "detach")
        LAST = s.result("running")
        LAST.console += "\n--- gdb ---\n" + text
        rips = gdb_rip(text, "registers")
        if "0xbc" not in text:  # the test guest's first instruction, mov esp, imm32
            raise Failure(f"x/4xb 0x200000 did not read the guest's first bytes: {text[-600:]}")
        if len(rips) < 4:
            raise Failure(f"gdb printed {len(rips)} rip values: {text[-800:]}")
        if rips[1] == rips[0]:
            raise Failure("stepi did not move rip")
        if rips[2] != puts:
            raise Failure(f"the breakpoint at puts (0x{puts:x}) stopped at 0x{rips[2]:x}")
        if not s.wait_exit(120):
            raise Failure("the run did not end after gdb detached")
        r = s.result("exit")
        LAST = r
        LAST.console += "\n--- gdb ---\n" + text
        summary(r, outcome="panic", backup__outcome="panic", replay__at_end="yes", replay__ram_match="yes")
        if rips[3] != int(r.summary["primary.rip"], 16):
            raise Failure(f"gdb's last rip 0x{rips[3]:x} is not the Primary's panic position {r.summary['primary.rip']}")
    finally:
        s.kill()
        shutil.rmtree(work, ignore_errors=True)


# Linux as the Primary, its serial bytes straight to the console, the Backup replaying it on the
# same core (the default in Bochs).
LINUX_SETS = ["console=e9", "cores=1", "mem=256M", "initrd=initrd", "guest_console=raw"]
LINUX_KERNEL = os.path.join(ROOT, "build/guest-kernel.elf")
LINUX_INITRD = os.path.join(ROOT, "build/initramfs.cpio.gz")
BZIMAGE_GLOB = os.path.expanduser("~/.cache/hindsight/linux-image-*/bzImage")
PROMPT = "hindsight$ "


def need_linux():
    if not (os.path.exists(LINUX_KERNEL) and os.path.exists(LINUX_INITRD)):
        raise Failure("no guest kernel/initramfs: run 'make linux' first")


def linux_session(*sets, cpus=1, megs=1024):
    """Boots Linux as the Primary with COM1 connected to the harness; returns (session, work dir)."""
    import time as _t
    work = tempfile.mkdtemp(prefix="hs-linux-")
    a = hr.make_args(kernel=LINUX_KERNEL, initrd=LINUX_INITRD, cpus=cpus, megs=megs, timeout=600,
                     set=LINUX_SETS + ["cmdline=console=ttyS0 nokaslr quiet", f"rtc_epoch={int(_t.time())}"]
                     + list(sets))
    iso = hr.build_iso(a, work)
    return hr.BochsSession(a, iso, work, serial=True), work


class Shell:
    """The guest's shell on COM1. Input is paced by the guest's own echo (each byte is sent once the
    previous one has come back), never by wall-clock sleeps: the emulator's speed depends on the
    host's load, and a byte typed before the guest has read the previous ones can be lost."""

    def __init__(self, s, end):
        self.s = s
        self.end = end  # console offset just past the last prompt

    def type_line(self, line, echo_timeout=60):
        import time as _t
        pos = len(self.s.console)
        for ch in line:
            self.s.send(ch)
            deadline = _t.time() + echo_timeout
            while True:
                alive = self.s.pump()
                i = self.s.console.find(ch, pos)
                if i >= 0:
                    pos = i + 1
                    break
                if not alive or _t.time() > deadline:
                    raise Failure(f"the guest did not echo {ch!r} of {line!r} within {echo_timeout} s")
                _t.sleep(0.01)
        self.s.send("\r")

    def cmd(self, line, pattern, timeout=120):
        """Types line, waits for pattern and the next prompt after it; returns the match or None."""
        import re
        import time as _t
        self.type_line(line)
        deadline = _t.time() + timeout
        while _t.time() < deadline:
            alive = self.s.pump()
            out = self.s.console[self.end:]
            m = re.search(pattern, out)
            if m and PROMPT in out[m.end():]:
                self.end += out.index(PROMPT, m.end()) + len(PROMPT)
                return m
            if not alive:
                break
            _t.sleep(0.1)
        return None


@group("linux_boot_to_shell", "linux_uname", "linux_cpuinfo_hypervisor", "linux_interrupts_pic_timer_and_uart",
       "linux_sleep_and_date", "linux_agents_run_in_guest", "linux_rfork_duplicates_in_guest",
       "linux_urandom_checksum", "linux_rdtsc_rdrand", "linux_typed_input",
       "linux_cpu_bound_program_is_preempted", "linux_shell_runs_beside_a_cpu_bound_program",
       "linux_poweroff_summary", "linux_replay_exact")
def linux_session_tests():
    """One Linux boot, several checks."""
    import time as _t
    global LAST
    need_linux()
    s, work = linux_session()
    try:
        t0 = _t.time()
        end = s.wait_for(PROMPT, 400)
        LAST = s.result("running")
        if end < 0:
            raise Failure("no shell prompt within 400 s")
        yield "linux_boot_to_shell", None
        print(f"  (Linux reached the shell in {_t.time() - t0:.0f} s wall)", flush=True)
        sh = Shell(s, end)

        def cmd(line, pattern, timeout=120):
            m = sh.cmd(line, pattern, timeout)
            LAST.console = s.console
            return m

        m = cmd("echo U=$(uname -a)", r"U=(Linux hindsight-guest \S+ .* x86_64 GNU/Linux)")
        yield "linux_uname", None if m and "6.1" in m.group(1) else "uname -a gave no Linux 6.1 x86_64 line"
        m = cmd("echo H=$(grep -c '^flags.* hypervisor' /proc/cpuinfo)", r"H=(\d+)")
        yield "linux_cpuinfo_hypervisor", None if m and m.group(1) == "1" else "no hypervisor flag in /proc/cpuinfo"
        m = cmd("cat /proc/interrupts", r"\s0:\s+(\d+)\s+XT-PIC\s+timer[\s\S]*\s4:\s+(\d+)\s+XT-PIC\s+ttyS0")
        yield "linux_interrupts_pic_timer_and_uart", (
            None if m and int(m.group(1)) > 100 and int(m.group(2)) > 0
            else "/proc/interrupts lacks a ticking XT-PIC timer (IRQ 0) and ttyS0 (IRQ 4)")
        m = cmd("echo T=$(date +%s) && sleep 2 && echo T2=$(date +%s) Y=$(date +%Y)", r"T=(\d+)\s+T2=(\d+) Y=(\d+)")
        if not m:
            yield "linux_sleep_and_date", "sleep/date command gave no answer"
        else:
            d = int(m.group(2)) - int(m.group(1))
            year = _t.gmtime().tm_year
            yield "linux_sleep_and_date", (None if 2 <= d <= 3 and abs(int(m.group(3)) - year) <= 1
                                           else f"sleep 2 took {d} guest seconds, year {m.group(3)}")
        # Each agent runs inside the guest, in the foreground, its exit status and usage text checked:
        # rfork and parttrack print their usage for --help (status 0), ckpt without a command (status 2).
        m = cmd("rfork --help >/tmp/a1 2>&1; A=$?; parttrack --help >/tmp/a2 2>&1; B=$?; ckpt >/tmp/a3 2>&1; C=$?; "
                "echo AG=$A:$(grep -c '^Usage: rfork' /tmp/a1),$B:$(grep -c 'parttrack run' /tmp/a2),"
                "$C:$(grep -c 'ckpt restore DIR' /tmp/a3)", r"AG=(\d+):(\d+),(\d+):(\d+),(\d+):(\d+)")
        if not m:
            yield "linux_agents_run_in_guest", "the agent check printed no AG= line"
        else:
            want = {"rfork --help": ("0", "1"), "parttrack --help": ("0", "1"), "ckpt": ("2", "1")}
            got = dict(zip(want, [(m.group(1), m.group(2)), (m.group(3), m.group(4)), (m.group(5), m.group(6))]))
            bad = [f"'{k}' exit {got[k][0]} (want {w[0]}), usage lines {got[k][1]}" for k, w in want.items()
                   if got[k] != w]
            yield "linux_agents_run_in_guest", "; ".join(bad) if bad else None
        # rfork duplicates a running loop; the copy's parent is the loop's parent (the shell).
        m = cmd("(while :; do sleep 1; done) & P=$!; C=$(rfork $P); "
                "echo RF=$C PARENT=$(cut -d' ' -f4 /proc/$C/stat) SH=$$; kill $P $C", r"RF=(\d+) PARENT=(\d+) SH=(\d+)")
        yield "linux_rfork_duplicates_in_guest", (None if m and m.group(2) == m.group(3)
                                                  else "rfork gave no duplicate whose parent is the shell")
        # Inputs the Backup must get from the log: kernel randomness, RDTSC and RDRAND in user
        # space, and a line the guest reads as data.
        m = cmd("echo C=$(head -c 2000000 /dev/urandom | md5sum)", r"C=([0-9a-f]{32})", timeout=300)
        yield "linux_urandom_checksum", None if m else "no MD5 of 2 MB of /dev/urandom"
        m = cmd("tsc rdrand; tsc now", r"tsc-rdrand=(\d+)\s+tsc-now=(\d+)")
        yield "linux_rdtsc_rdrand", None if m and int(m.group(2)) > 0 else "tsc printed no RDRAND/RDTSC values"
        # Typed only once `read` waits (its prompt is out): before that the shell's line editor has
        # the terminal without echo, and the echo the typing waits for would never come.
        sh.type_line("P=RE; read -p ${P}ADY: X; echo got=$X")  # the prompt, unlike the echoed line, says READY:
        if s.wait_for("READY:", 120, sh.end) < 0:
            raise Failure("the shell's read printed no prompt")
        m = cmd("typed-by-the-test", r"got=typed-by-the-test")
        yield "linux_typed_input", None if m else "the line typed for 'read' did not come back"
        # A program that computes without a single system call: only an interrupt delivered at an
        # arbitrary instruction (icount mode) lets timeout end it, and the shell run beside it.
        # (busybox's timeout exits with the killed child's status, 128+SIGTERM; coreutils' with 124.)
        m = cmd("T0=$(date +%s); timeout 2 spin; S=$?; echo SPIN=$S:$(( $(date +%s) - T0 ))", r"SPIN=(\d+):(\d+)")
        yield "linux_cpu_bound_program_is_preempted", (
            None if m and m.group(1) in ("124", "143") and 2 <= int(m.group(2)) <= 3
            else f"timeout 2 spin gave {m.group(0) if m else 'nothing'} (want status 124/143 after 2-3 s)")
        m = cmd("spin & P=$!; i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; "
                "echo BESIDE=$i:$(cut -d' ' -f14 /proc/$P/stat); kill $P", r"BESIDE=(\d+):(\d+)")
        yield "linux_shell_runs_beside_a_cpu_bound_program", (
            None if m and m.group(1) == "300" and int(m.group(2)) > 0
            else "the shell did not count to 300 beside a running spin (or spin never ran)")
        sh.type_line("poweroff -f")
        ok = s.wait_exit(300)
        r = s.result("exit" if ok else "timeout")
        LAST = r
        if not ok or not r.summary:
            yield "linux_poweroff_summary", "poweroff -f did not end the run with a summary"
        else:
            yield "linux_poweroff_summary", (None if r.summary.get("outcome") == "poweroff"
                                             and int(r.summary.get("primary.exit.io", 0)) > 1000
                                             else f"summary outcome={r.summary.get('outcome')}")
            yield "linux_replay_exact", replay_exact(r, "icount")
    finally:
        s.kill()
        shutil.rmtree(work, ignore_errors=True)


def replay_exact(r, mode, steps=True):
    """None if the Backup replayed the whole run exactly in `mode`, else why not. In the counter
    modes the Backup must have landed asynchronous events (and taken single-steps, if `steps`)."""
    s = r.summary or {}
    want = {"replay.mode": mode, "replay.divergences": "0", "replay.ram_match": "yes",
            "replay.console_match": "yes", "backup.outcome": s.get("primary.outcome")}
    bad = [f"{k}={s.get(k)}" for k, v in want.items() if s.get(k) != v]
    if mode in ("icount", "pmc"):
        if int(s.get("replay.landings", 0)) < 100:
            bad.append(f"only {s.get('replay.landings')} asynchronous events landed")
        if steps and int(s.get("replay.steps", 0)) <= 0:
            bad.append("no landing single-stepped")
        if s.get("replay.primary_count") != s.get("replay.backup_count"):
            bad.append(f"counts differ: {s.get('replay.primary_count')} vs {s.get('replay.backup_count')}")
    if s.get("replay.events") != s.get("replay.replayed") or int(s.get("replay.events", 0)) < 1000:
        bad.append(f"replayed {s.get('replay.replayed')} of {s.get('replay.events')} events")
    if "DIVERGENCE" in r.console:
        bad.append("a divergence was reported")
    return "; ".join(bad) if bad else None


def bzimage_boot(word):
    """Debian's bzImage itself through the Linux 32-bit boot protocol (its own decompressor runs in
    the guest), with the initramfs's hs.<word> action."""
    import glob
    bz = sorted(glob.glob(BZIMAGE_GLOB))
    if not bz:
        raise Failure("no cached bzImage (host-tools/get-kernel.sh fetches it)")
    need_linux()
    global LAST
    # The Primary alone: the guest decompresses itself (slow in Bochs); replay is tested with PVH.
    r = boot(*LINUX_SETS[1:], "replay=off", f"cmdline=console=ttyS0 nokaslr quiet hs.{word}", kernel=bz[-1],
             timeout=600, initrd=LINUX_INITRD)
    LAST = r
    expect(r, "(bzImage)", "tsc-init=")
    return r


@test
def linux_bzimage_boot_protocol_and_panic():
    """A real kernel panic (the initramfs triggers sysrq-c for hs.panic), which the VMM must catch
    from the Primary's console and report as its outcome."""
    r = bzimage_boot("panic")
    expect(r, "Kernel panic - not syncing", "Primary stopped: panic")
    summary(r, outcome="panic", primary__outcome="panic")


@test
def linux_bzimage_poweroff():
    r = bzimage_boot("poweroff")
    expect(r, "reboot: System halted")
    summary(r, outcome="poweroff", primary__outcome="poweroff")


@test
def linux_debug_demo_gdb():
    """make debug-demo's story, asserted from gdb's own output: Debian's kernel panics (sysrq-c),
    gdb reads the registers and linux_banner, steps, stops at sysrq_handle_crash, and reaches the
    Primary's panic position; the summary confirms the same registers and RAM there."""
    need_linux()
    loader = importlib.machinery.SourceFileLoader("debug_demo", os.path.join(ROOT, "host-tools", "debug-demo"))
    spec = importlib.util.spec_from_loader("debug_demo", loader)
    demo = importlib.util.module_from_spec(spec)
    loader.exec_module(demo)
    global LAST
    try:
        res = demo.run_demo(quiet=True)
    except demo.DemoError as e:
        raise Failure(str(e))
    LAST = res.get("run")
    if LAST is not None:
        LAST.console += "\n--- gdb ---\n" + res.get("gdb", "")
    why = demo.check(res)
    if why:
        raise Failure(why)


@test
def linux_replay_on_two_cores():
    """The Backup on core 1 replays Debian's boot exactly (two emulated CPUs: the slowest test)."""
    need_linux()
    global LAST
    r = boot("cores=2", *[x for x in LINUX_SETS[1:] if not x.startswith("cores=") and x != "guest_console=raw"],
             "cmdline=console=ttyS0 nokaslr quiet hs.poweroff", kernel=LINUX_KERNEL, initrd=LINUX_INITRD, cpus=2,
             megs=1280, timeout=1200)
    LAST = r
    expect(r, "[P] tsc-init=", "[B] tsc-init=", "core 1 in VMX root; entering Backup")
    summary(r, cores=2, primary__outcome="poweroff", backup__outcome="poweroff")
    why = replay_exact(r, "exit")
    if why:
        raise Failure(why)


@test
def linux_icount_margin_one_lands_with_at_most_one_step():
    """landing_margin=1: the preemption timer alone must stop the Backup on, or one instruction
    before, every recorded instruction count (Bochs exits one instruction late after an STI or
    MOV SS; the TSC corrects the count), through a boot and the CPU-bound workload."""
    need_linux()
    global LAST
    r = boot(*LINUX_SETS[1:], "replay=icount", "landing_margin=1",
             "cmdline=console=ttyS0 nokaslr quiet hs.spin hs.poweroff", kernel=LINUX_KERNEL, initrd=LINUX_INITRD,
             cpus=1, megs=1024, timeout=900)
    LAST = r
    import re
    if not re.search(r"spin: timeout-status=(124|143) seconds=[23] counted-beside=300", r.console):
        raise Failure("the initramfs's spin workload did not end by timeout after 2-3 s with the shell beside it")
    summary(r, primary__outcome="poweroff", replay__landing_margin=1)
    why = replay_exact(r, "icount")
    if why:
        raise Failure(why)
    if int(r.summary["replay.steps"]) > int(r.summary["replay.landings"]):
        raise Failure(f"{r.summary['replay.steps']} steps for {r.summary['replay.landings']} landings: the timer "
                      "stopped more than one instruction short")


@test
def linux_icount_perturbation_is_detected():
    """replay_perturb=N in icount mode on Debian's boot (events there are RDTSC values, port
    reads, and timer edges and injections landed by count): the checker must stop the Backup
    at event N or soon after it, while the Primary runs on to its power-off."""
    need_linux()
    global LAST
    n = 3000
    r = boot(*LINUX_SETS[1:], "replay=icount", f"replay_perturb={n}",
             "cmdline=console=ttyS0 nokaslr quiet hs.poweroff", kernel=LINUX_KERNEL, initrd=LINUX_INITRD,
             cpus=1, megs=1024, timeout=900)
    LAST = r
    import re
    m = re.search(r"hindsight: DIVERGENCE at event (\d+): (.*)", r.console)
    if not m:
        raise Failure("no DIVERGENCE report for a perturbed event")
    if not n <= int(m.group(1)) <= n + 1000:
        raise Failure(f"the divergence was reported at event {m.group(1)}, not at or soon after {n}")
    summary(r, primary__outcome="poweroff", backup__outcome="divergence", replay__mode="icount",
            replay__divergences=1)


@test
def replay_icount_margin_zero_is_refused():
    r = boot("cmdline=hello", "replay=icount", "landing_margin=0", cpus=1)
    expect(r, "landing_margin=0 cannot land exactly in icount mode")
    summary(r, outcome="config-error")


def selected_tests(flt):
    return [(names, runner, [n for n in names if flt in n]) for names, runner in TESTS if any(flt in n for n in names)]


def show_console():
    if LAST is not None:
        lines = LAST.console.splitlines()
        # A divergence report is the first thing to read, wherever it is in the console.
        at = next((i for i, l in enumerate(lines) if "hindsight: DIVERGENCE" in l), None)
        if at is not None and at < len(lines) - 15:
            print("  divergence report:\n    " + "\n    ".join(lines[at:at + 14]), flush=True)
        print("  last console lines:\n    " + "\n    ".join(lines[-15:]), flush=True)


def run_one(names, runner, chosen, counts):
    """Runs one registered runner; every chosen name gets exactly one verdict line."""
    global LAST
    LAST = None
    done, cause = set(), None
    gen = runner()
    try:
        for name, verdict in gen:
            if name not in names or name in done:
                raise RuntimeError(f"the runner reported {name!r} out of turn")
            done.add(name)
            if name in chosen:
                report(name, verdict, counts)
            if isinstance(verdict, str) and cause is None:
                cause = f"{name} failed"
            if all(n in done for n in chosen):
                break  # nothing more is wanted from this boot
    except Failure as e:
        cause = str(e)
    except Exception as e:  # a harness crash fails the tests it did not reach
        cause = f"harness error {type(e).__name__}: {e}"
    finally:
        gen.close()
    for n in chosen:
        if n not in done:
            report(n, cause if len(names) == 1 or n == next(x for x in names if x not in done)
                   else f"not run: {cause}", counts)


def report(name, verdict, counts):
    if verdict is None:
        print(f"PASS: e2e/{name}", flush=True)
        counts["passed"] += 1
    elif isinstance(verdict, Skip):
        print(f"SKIP: e2e/{name}: {verdict.why}", flush=True)
        counts["skipped"] += 1
    else:
        print(f"FAIL: e2e/{name}: {verdict or 'no verdict'}", flush=True)
        show_console()
        counts["failed"] += 1


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    listing = "--list" in args
    args = [a for a in args if a != "--list"]
    flt = args[0] if args else ""
    chosen = selected_tests(flt)
    if not chosen:
        print(f"FAIL: e2e/filter: no test name contains {flt!r}")
        print("0 passed, 1 failed")
        return 1
    if listing:
        for _, _, names in chosen:
            print("\n".join(names))
        return 0
    if not shutil.which("bochs"):
        n = 0
        for _, _, names in chosen:
            for name in names:
                print(f"SKIP: e2e/{name}: bochs is not installed (host-tools/install-deps.sh emu)")
                n += 1
        print(f"0 passed, 0 failed, {n} skipped")
        return 1  # a missing engine must not look like success
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for names, runner, picked in chosen:
        run_one(names, runner, picked, counts)
    line = f"{counts['passed']} passed, {counts['failed']} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line)
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
