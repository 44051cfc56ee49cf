/* rfork_pid: turn the target's next system call entry into clone(CLONE_PARENT), then give
 * both processes back the original call. Everything else is refusing cleanly. */
#include "rfork.h"
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/audit.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERESTARTNOINTR_ 513  /* kernel-internal; clone returns it when a signal raced the fork */
#define SYSCALL_INSN 0x050f  /* "syscall", little-endian 0f 05 */

void rfork_opts_init(struct rfork_opts *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 10000;
}

/* Signals a process sees as "restart me" when no handler runs: the kernel rewinds rip over the
 * syscall instruction and re-issues the call (or restart_syscall) on the way back to user mode. */
static int restart_code(long rax)
{
    return rax == -512 || rax == -513 || rax == -514 || rax == -516; /* ERESTARTSYS NOINTR NOHAND _RESTARTBLOCK */
}

/* Whether the 2 bytes before addr in pid are the x86-64 syscall instruction. */
static int is_syscall_insn(pid_t pid, unsigned long addr)
{
    errno = 0;
    long w = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, 0);
    return !(w == -1 && errno) && (w & 0xffff) == SYSCALL_INSN;
}

/* Where the duplication happens: the registers of a syscall entry (rip after the syscall
 * instruction, orig_rax the call, arguments in place) and how the target is stopped there. */
struct point {
    struct user_regs_struct entry;
    struct user_regs_struct stop_regs; /* the registers as the stop left them */
    int at_restart;                    /* 0: syscall-entry stop; 1: interrupt stop on a call the
                                        * kernel is about to restart (the entry is emulated) */
};

/* Let pid run until it stops at a system call entry, passing its signals through and giving
 * up on exit, job-control stop, timeout or cancellation. resume: signal to resume with, or -1
 * when a stop (the PTRACE_INTERRUPT) is still to come.
 * A target blocked in a restartable call is already at its duplication point when the
 * interrupt stop arrives (the kernel would re-issue that call next): that stop is used as
 * the entry, which saves the round trip to the re-issued call's entry stop. */
static int run_to_entry(struct rf_ctx *c, pid_t pid, int resume, const struct timespec *dl, struct point *pt)
{
    for (;;) {
        if (resume >= 0 && ptrace(PTRACE_SYSCALL, pid, 0, (void *)(long)resume) < 0)
            return rf_fail(c, ESRCH, "process %d exited while waiting for its next system call", (int)pid);
        int status, sig;
        if (trace_wait(c, pid, &status, dl, 1) < 0) {
            int e = errno;
            trace_abandon(c, pid);
            if (e == ETIMEDOUT)
                return rf_fail(c, e, "process %d made no system call before the timeout; left untouched", (int)pid);
            if (e == ECANCELED)
                return rf_fail(c, e, "cancelled by a signal; process %d left untouched", (int)pid);
            return rf_fail(c, e, "waiting for process %d: %s", (int)pid, strerror(e));
        }
        resume = 0;
        enum stop_kind k = stop_classify(status, &sig);
        rf_mark(c, k == STOP_SYSCALL ? "entry-stop" : k == STOP_EVENT ? "interrupt-stop" : "other-stop");
        switch (k) {
        case STOP_EXITED:
            if (WIFSIGNALED(status))
                return rf_fail(c, ESRCH, "process %d was killed by signal %d while waiting for its next "
                               "system call", (int)pid, WTERMSIG(status));
            return rf_fail(c, ESRCH, "process %d exited (status %d) while waiting for its next system call",
                           (int)pid, WEXITSTATUS(status));
        case STOP_GROUP:
            ptrace(PTRACE_DETACH, pid, 0, 0); /* it stays stopped, as its job control asked */
            return rf_fail(c, EINTR, "process %d was stopped by signal %d (%s) while waiting; "
                           "left stopped and untraced", (int)pid, sig, strsignal(sig));
        case STOP_SIGNAL:
            resume = sig; /* deliver it now, exactly when it would have been */
            break;
        case STOP_EVENT: {
            struct user_regs_struct *r = &pt->stop_regs;
            if ((status >> 16) != PTRACE_EVENT_STOP || ptrace(PTRACE_GETREGS, pid, 0, r) < 0)
                break;
            /* 64-bit code (cs 0x33), in a native (not x32) call via the syscall instruction,
             * returning a restart code: it will re-issue that call as soon as it runs. */
            if ((long)r->orig_rax < 0 || (r->orig_rax & 0x40000000) || r->cs != 0x33 ||
                !restart_code((long)r->rax) || !is_syscall_insn(pid, r->rip - 2))
                break;
            pt->entry = *r;
            if ((long)r->rax == -516)
                pt->entry.orig_rax = SYS_restart_syscall; /* what the kernel re-issues */
            pt->entry.rax = (unsigned long)-ENOSYS;       /* as at an entry stop */
            pt->at_restart = 1;
            return 0;
        }
        case STOP_SYSCALL: {
            struct __ptrace_syscall_info si;
            if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof si, &si) <= 0)
                return rf_fail(c, errno, "PTRACE_GET_SYSCALL_INFO: %s", strerror(errno));
            if (si.op != PTRACE_SYSCALL_INFO_ENTRY)
                break;
            if (ptrace(PTRACE_GETREGS, pid, 0, &pt->entry) < 0)
                return rf_fail(c, errno, "PTRACE_GETREGS: %s", strerror(errno));
            if (si.arch != AUDIT_ARCH_X86_64 || (pt->entry.orig_rax & 0x40000000)) {
                ptrace(PTRACE_DETACH, pid, 0, 0);
                return rf_fail(c, ENOTSUP, "process %d makes 32-bit or x32 system calls; only the "
                               "x86-64 system call ABI is supported", (int)pid);
            }
            if (!is_syscall_insn(pid, pt->entry.rip - 2)) {
                ptrace(PTRACE_DETACH, pid, 0, 0);
                return rf_fail(c, ENOTSUP, "process %d entered a system call by other means than the "
                               "syscall instruction", (int)pid);
            }
            pt->stop_regs = pt->entry;
            pt->at_restart = 0;
            return 0;
        }
        }
    }
}

/* Registers that make a process (re-)issue the system call it was entering. */
static struct user_regs_struct reissue_regs(const struct user_regs_struct *entry)
{
    struct user_regs_struct r = *entry;
    r.rip -= 2;
    r.rax = entry->orig_rax;
    r.orig_rax = (unsigned long)-1;
    return r;
}

/* At the duplication point: make the target run clone(CLONE_PARENT | CLONE_PTRACE), collect
 * the child, restore the target. Returns the child PID (the target restored but still
 * stopped, c->target_held, until the copy is released), 0 to retry (*resume: signal to pass
 * on), or -1 (target released).
 *
 * Stops of the target: at an entry stop, clone runs in place of the call and its syscall-exit
 * stop is the only other stop; at a restart point, the target is set to execute clone at the
 * syscall instruction and syscall-stepped (entry and exit stops).  Not single-stepped, though
 * that saves a stop: a tracer killed (SIGKILL) between the step and its trap left the target
 * with a forced SIGTRAP that killed it (2 of 8 runs of real-rfork-sigkilled-mid-duplication);
 * a syscall stop leaves nothing pending. CLONE_PTRACE makes
 * the copy our tracee, stopped before its first instruction, without a fork event stop; its
 * PID is clone's return value when the target shares our PID namespace (else the fork event,
 * PTRACE_O_TRACEFORK, reports it in ours). */
static pid_t clone_at(struct rf_ctx *c, pid_t pid, const struct point *pt, const struct target_info *ti,
                      int *resume)
{
    struct user_regs_struct r = pt->entry;
    *resume = 0;
    r.rdi = CLONE_PARENT | CLONE_PTRACE | SIGCHLD;
    r.rsi = r.rdx = r.r10 = r.r8 = 0;
    if (pt->at_restart) {
        r.rip -= 2;
        r.rax = SYS_clone;
        r.orig_rax = (unsigned long)-1; /* no restart fix-up on the way out */
    } else {
        r.orig_rax = SYS_clone;
    }
    if ((!ti->same_pidns && ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK) < 0) ||
        ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0)
        return rf_fail(c, errno, "preparing process %d: %s", (int)pid, strerror(errno));
    pid_t child = 0;
    int pass_sig = 0, entered = !pt->at_restart; /* entered: clone is running or has run */
    struct user_regs_struct ex;
    for (;;) {
        int status, sig;
        if (trace_wait(c, pid, &status, NULL, 0) < 0) {
            int e = errno;
            trace_abandon(c, pid);
            if (child > 0) /* its registers are clone's, not the program's: it must not run */
                kill(child, SIGKILL);
            return rf_fail(c, e, "process %d did not finish the clone: %s", (int)pid, strerror(e));
        }
        enum stop_kind k = stop_classify(status, &sig);
        rf_mark(c, k == STOP_SYSCALL ? (entered ? "exit-stop" : "clone-entry") :
                   k == STOP_EVENT ? "fork-event" : "other-stop");
        if (k == STOP_EXITED) {
            if (child > 0)
                return child; /* killed after the copy: the copy is still a faithful one */
            return rf_fail(c, ESRCH, "process %d died during the duplication", (int)pid);
        }
        if (k == STOP_SYSCALL && !entered) {
            entered = 1; /* clone's entry stop (restart point) */
        } else if (k == STOP_SYSCALL) {
            if (ptrace(PTRACE_GETREGS, pid, 0, &ex) < 0)
                return rf_fail(c, errno, "PTRACE_GETREGS: %s", strerror(errno));
            break;
        } else if (k == STOP_EVENT && (status >> 16) != PTRACE_EVENT_STOP) {
            unsigned long msg;
            if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0)
                child = (pid_t)msg;
        } else if (k == STOP_SIGNAL && !entered) {
            if (ptrace(PTRACE_SETREGS, pid, 0, &pt->stop_regs) < 0)
                return rf_fail(c, errno, "restoring process %d: %s", (int)pid, strerror(errno));
            *resume = sig;
            return 0;
        } else if (k == STOP_SIGNAL) {
            pass_sig = sig; /* cannot happen before syscall exit, but never swallow one */
        }
        if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0) {
            if (child > 0)
                return child; /* the target was killed just now; the copy is complete */
            return rf_fail(c, ESRCH, "process %d died during the duplication", (int)pid);
        }
    }
    long rv = (long)ex.rax;
    if (ti->same_pidns && rv > 0)
        child = (pid_t)rv;
    /* Whatever clone did, the target goes on to issue its own call, untouched. */
    r = reissue_regs(&pt->entry);
    if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0)
        return rf_fail(c, errno, "restoring process %d: %s", (int)pid, strerror(errno));
    if (rv == -ERESTARTNOINTR_ && child <= 0) { /* a signal raced the fork: retry */
        if (!ti->same_pidns)
            ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD);
        return 0;
    }
    /* With a copy made, the target stays stopped until the copy is released: the copy then
     * wakes while the target's CPU is still free and runs there at once, instead of queuing
     * behind a target that just took its CPU back (measured: median 0.5 ms vs 2.5-3.8 ms
     * from the request to the copy's first instruction, 4 MB, README benchmark 2). */
    if ((rv < 0 && rv > -4096) || child <= 0) {
        ptrace(PTRACE_DETACH, pid, 0, (void *)(long)pass_sig);
        rf_mark(c, "target-released");
    } else {
        c->target_held = 1;
        c->target_sig = pass_sig;
    }
    if (rv < 0 && rv > -4096) {
        int e = (int)-rv;
        if (e == EINVAL)
            return rf_fail(c, e, "the kernel refused clone(CLONE_PARENT) for process %d (init of a PID "
                           "namespace?); the target is unaffected", (int)pid);
        return rf_fail(c, e, "clone in process %d failed: %s; the target is unaffected", (int)pid, strerror(e));
    }
    if (child <= 0)
        return rf_fail(c, EPROTO, "clone in process %d returned %ld but no fork event was seen", (int)pid, rv);
    return child;
}

/* The duplicate sits at its first stop with clone's return registers: give it its stdio, the
 * original call, and let it go. */
static pid_t release_child(struct rf_ctx *c, pid_t child, const struct user_regs_struct *entry,
                           const char *const paths[3], int flags)
{
    int status, sig;
    for (;;) {
        if (trace_wait(c, child, &status, NULL, 0) < 0)
            return rf_fail(c, errno, "the duplicate %d never stopped: %s", (int)child, strerror(errno));
        enum stop_kind k = stop_classify(status, &sig);
        rf_mark(c, "child-stop");
        if (k == STOP_EXITED)
            return rf_fail(c, ESRCH, "the duplicate %d was killed before it started", (int)child);
        if (k == STOP_EVENT)
            break;
        if (sig) /* a signal that beat the first stop: keep it for later */
            rf_defer_signal(c, sig);
        if (ptrace(PTRACE_SYSCALL, child, 0, 0) < 0)
            return rf_fail(c, ESRCH, "the duplicate %d vanished", (int)child);
    }
    /* If we die from here on, a half-made duplicate must not run. */
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
    if (inject_redirect(c, child, entry, entry->rip - 2, paths) < 0) {
        kill(child, SIGKILL);
        ptrace(PTRACE_DETACH, child, 0, 0);
        return -1;
    }
    struct user_regs_struct r = reissue_regs(entry);
    if (ptrace(PTRACE_SETREGS, child, 0, &r) < 0) {
        int e = errno;
        kill(child, SIGKILL);
        return rf_fail(c, e, "setting registers of duplicate %d: %s", (int)child, strerror(e));
    }
    for (int i = 0; i < c->ndeferred; i++)
        syscall(SYS_tgkill, child, child, c->deferred[i]);
    /* Queued while still traced, so it takes effect before the first instruction. */
    if (flags & RFORK_START_STOPPED)
        syscall(SYS_tgkill, child, child, SIGSTOP);
    if (ptrace(PTRACE_DETACH, child, 0, 0) < 0)
        return rf_fail(c, errno, "detaching duplicate %d: %s", (int)child, strerror(errno));
    rf_mark(c, "child-released");
    return child;
}

static pid_t duplicate(struct rf_ctx *c, pid_t pid, const struct rfork_opts *o, const struct target_info *ti,
                       const char *const paths[3], struct rfork_result *res)
{
    long opts = PTRACE_O_TRACESYSGOOD | (ti->same_pidns ? 0 : PTRACE_O_TRACEFORK);
    if (ptrace(PTRACE_SEIZE, pid, 0, opts) < 0) {
        int e = errno;
        struct target_info now;
        if (e == EPERM && probe_target(pid, &now) == 0 && now.tracer)
            return rf_fail(c, EBUSY, "process %d is already traced by process %d", (int)pid, (int)now.tracer);
        if (e == EPERM)
            return rf_fail(c, EPERM, "no permission to trace process %d (needs the same user and no "
                           "set-uid, or CAP_SYS_PTRACE)", (int)pid);
        if (e == ESRCH)
            return rf_fail(c, ESRCH, "no process %d", (int)pid);
        return rf_fail(c, e, "PTRACE_SEIZE %d: %s", (int)pid, strerror(e));
    }
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
        return rf_fail(c, ESRCH, "process %d exited", (int)pid);
    rf_mark(c, "seize");
    struct timespec dl;
    if (o->timeout_ms >= 0)
        deadline_in(&dl, o->timeout_ms);
    int resume = -1;
    for (;;) {
        struct point pt;
        if (run_to_entry(c, pid, resume, o->timeout_ms >= 0 ? &dl : NULL, &pt) < 0)
            return -1;
        pid_t child = clone_at(c, pid, &pt, ti, &resume);
        if (child < 0)
            return -1;
        if (child == 0) /* a signal came first, or raced the fork: wait for the next entry */
            continue;
        res->syscall_nr = (long)pt.entry.orig_rax;
        pid_t r = release_child(c, child, &pt.entry, paths, o->flags);
        if (c->target_held) {
            ptrace(PTRACE_DETACH, pid, 0, (void *)(long)c->target_sig);
            rf_mark(c, "target-released");
        }
        return r;
    }
}

/* One line on stderr: the time each phase took, in microseconds, and the total. */
static void print_timing(const struct rf_ctx *c, pid_t child)
{
    char line[512];
    int n = snprintf(line, sizeof line, "rfork timing %d:", (int)child);
    for (int i = 1; i < c->nmarks && n < (int)sizeof line; i++)
        n += snprintf(line + n, sizeof line - n, " %s %.1f", c->mark_name[i],
                      ((c->mark_at[i].tv_sec - c->mark_at[i - 1].tv_sec) * 1e9 +
                       (c->mark_at[i].tv_nsec - c->mark_at[i - 1].tv_nsec)) / 1e3);
    if (c->nmarks > 1 && n < (int)sizeof line)
        snprintf(line + n, sizeof line - n, " total %.1f us\n",
                 ((c->mark_at[c->nmarks - 1].tv_sec - c->mark_at[0].tv_sec) * 1e9 +
                  (c->mark_at[c->nmarks - 1].tv_nsec - c->mark_at[0].tv_nsec)) / 1e3);
    fputs(line, stderr);
}

pid_t rfork_pid(pid_t pid, const struct rfork_opts *opts, struct rfork_result *res)
{
    struct rfork_opts def;
    struct rfork_result scratch;
    if (!opts) {
        rfork_opts_init(&def);
        opts = &def;
    }
    if (!res)
        res = &scratch;
    memset(res, 0, sizeof *res);
    res->pid = -1;
    res->syscall_nr = -1;
    struct rf_ctx c = { .err = res->error, .errlen = sizeof res->error };
    const char *tm = getenv("RFORK_TIMING");
    c.timing = tm && *tm && strcmp(tm, "0");
    c.spin_ns = rf_spin_ns();
    rf_mark(&c, "start");
    if (pid <= 0)
        return rf_fail(&c, EINVAL, "invalid process ID %d", (int)pid);
    if (opts->flags & ~(RFORK_START_STOPPED | RFORK_ALLOW_THREADS | RFORK_ALLOW_SECCOMP))
        return rf_fail(&c, EINVAL, "unknown flags 0x%x", opts->flags);
    char abs[3][PATH_MAX];
    const char *paths[3];
    struct target_info ti;
    if (resolve_paths(&c, opts, abs, paths) < 0 || check_target(&c, pid, opts->flags, &ti) < 0)
        return -1;
    rf_mark(&c, "checks");

    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old);
    pid_t child = duplicate(&c, pid, opts, &ti, paths, res);
    int e = c.errnum;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (c.sigchld_taken)
        raise(SIGCHLD); /* it may have announced one of the caller's own children too */
    res->pid = child;
    if (c.timing)
        print_timing(&c, child);
    if (child < 0)
        errno = e ? e : EIO;
    return child;
}
