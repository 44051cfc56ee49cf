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

/* Let pid run until it stops at a system call entry, passing its signals through and giving
 * up on exit, job-control stop, timeout or cancellation. resume: signal to resume with, or -1
 * when a stop (the PTRACE_INTERRUPT) is still to come. */
static int run_to_entry(struct rf_ctx *c, pid_t pid, int resume, const struct timespec *dl,
                        struct user_regs_struct *regs)
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
        switch (stop_classify(status, &sig)) {
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
        case STOP_EVENT:
            break;
        case STOP_SYSCALL: {
            struct __ptrace_syscall_info si;
            if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof si, &si) <= 0)
                return rf_fail(c, errno, "PTRACE_GET_SYSCALL_INFO: %s", strerror(errno));
            if (si.op != PTRACE_SYSCALL_INFO_ENTRY)
                break;
            if (ptrace(PTRACE_GETREGS, pid, 0, regs) < 0)
                return rf_fail(c, errno, "PTRACE_GETREGS: %s", strerror(errno));
            if (si.arch != AUDIT_ARCH_X86_64 || (regs->orig_rax & 0x40000000)) {
                ptrace(PTRACE_DETACH, pid, 0, 0);
                return rf_fail(c, ENOTSUP, "process %d makes 32-bit or x32 system calls; only the "
                               "x86-64 system call ABI is supported", (int)pid);
            }
            errno = 0;
            long w = ptrace(PTRACE_PEEKTEXT, pid, (void *)(regs->rip - 2), 0);
            if ((w == -1 && errno) || (w & 0xffff) != SYSCALL_INSN) {
                ptrace(PTRACE_DETACH, pid, 0, 0);
                return rf_fail(c, ENOTSUP, "process %d entered a system call by other means than the "
                               "syscall instruction", (int)pid);
            }
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

/* At a syscall entry stop: make it clone(CLONE_PARENT), collect the child, restore the
 * target. Returns the child PID, 0 to retry at the next entry, or -1 (target released). */
static pid_t clone_at_entry(struct rf_ctx *c, pid_t pid, const struct user_regs_struct *entry)
{
    struct user_regs_struct r = *entry;
    r.orig_rax = SYS_clone;
    /* CLONE_PARENT: the duplicate is the target's sibling. The kernel then gives it the
     * target's own exit signal; SIGCHLD here only makes ptrace report a fork event. */
    r.rdi = CLONE_PARENT | SIGCHLD;
    r.rsi = r.rdx = r.r10 = r.r8 = 0;
    if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE) < 0 ||
        ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0)
        return rf_fail(c, errno, "preparing process %d: %s", (int)pid, strerror(errno));
    pid_t child = 0;
    int pass_sig = 0;
    struct timespec dl;
    deadline_in(&dl, RF_STEP_MS);
    for (;;) {
        int status, sig;
        if (trace_wait(c, pid, &status, &dl, 0) < 0) {
            int e = errno;
            trace_abandon(c, pid);
            if (child > 0) /* its registers are clone's, not the program's: it must not run */
                kill(child, SIGKILL);
            return rf_fail(c, e, "process %d did not finish the clone: %s", (int)pid, strerror(e));
        }
        enum stop_kind k = stop_classify(status, &sig);
        if (k == STOP_EXITED) {
            if (child > 0)
                return child; /* killed after the copy: the copy is still a faithful one */
            return rf_fail(c, ESRCH, "process %d died during the duplication", (int)pid);
        }
        if (k == STOP_SYSCALL)
            break;
        if (k == STOP_EVENT && (status >> 16) != PTRACE_EVENT_STOP) {
            unsigned long msg;
            if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == 0)
                child = (pid_t)msg;
        }
        if (k == STOP_SIGNAL)
            pass_sig = sig; /* cannot happen before syscall exit, but never swallow one */
        if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0) {
            if (child > 0)
                return child; /* the target was killed just now; the copy is complete */
            return rf_fail(c, ESRCH, "process %d died during the duplication", (int)pid);
        }
    }
    struct user_regs_struct ex;
    if (ptrace(PTRACE_GETREGS, pid, 0, &ex) < 0)
        return rf_fail(c, errno, "PTRACE_GETREGS: %s", strerror(errno));
    long rv = (long)ex.rax;
    /* Whatever clone did, the target goes on to issue its own call, untouched. */
    r = reissue_regs(entry);
    if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD) < 0)
        return rf_fail(c, errno, "restoring process %d: %s", (int)pid, strerror(errno));
    if (rv == -ERESTARTNOINTR_ && child <= 0)
        return 0;
    ptrace(PTRACE_DETACH, pid, 0, (void *)(long)pass_sig);
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
    struct timespec dl;
    deadline_in(&dl, RF_STEP_MS);
    for (;;) {
        if (trace_wait(c, child, &status, &dl, 0) < 0)
            return rf_fail(c, errno, "the duplicate %d never stopped: %s", (int)child, strerror(errno));
        enum stop_kind k = stop_classify(status, &sig);
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
    return child;
}

static pid_t duplicate(struct rf_ctx *c, pid_t pid, const struct rfork_opts *o, const char *const paths[3],
                       struct rfork_result *res)
{
    if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) < 0) {
        int e = errno;
        struct target_info ti;
        if (e == EPERM && probe_target(pid, &ti) == 0 && ti.tracer)
            return rf_fail(c, EBUSY, "process %d is already traced by process %d", (int)pid, (int)ti.tracer);
        if (e == EPERM)
            return rf_fail(c, EPERM, "no permission to trace process %d (needs the same user and no "
                           "set-uid, or CAP_SYS_PTRACE)", (int)pid);
        if (e == ESRCH)
            return rf_fail(c, ESRCH, "no process %d", (int)pid);
        return rf_fail(c, e, "PTRACE_SEIZE %d: %s", (int)pid, strerror(e));
    }
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
        return rf_fail(c, ESRCH, "process %d exited", (int)pid);
    struct timespec dl;
    if (o->timeout_ms >= 0)
        deadline_in(&dl, o->timeout_ms);
    int resume = -1;
    for (;;) {
        struct user_regs_struct entry;
        if (run_to_entry(c, pid, resume, o->timeout_ms >= 0 ? &dl : NULL, &entry) < 0)
            return -1;
        pid_t child = clone_at_entry(c, pid, &entry);
        if (child < 0)
            return -1;
        if (child == 0) { /* a signal raced the fork: the kernel asks to retry */
            resume = 0;
            continue;
        }
        res->syscall_nr = (long)entry.orig_rax;
        return release_child(c, child, &entry, paths, o->flags);
    }
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
    if (pid <= 0)
        return rf_fail(&c, EINVAL, "invalid process ID %d", (int)pid);
    if (opts->flags & ~(RFORK_START_STOPPED | RFORK_ALLOW_THREADS | RFORK_ALLOW_SECCOMP))
        return rf_fail(&c, EINVAL, "unknown flags 0x%x", opts->flags);
    char abs[3][PATH_MAX];
    const char *paths[3];
    if (resolve_paths(&c, opts, abs, paths) < 0 || check_target(&c, pid, opts->flags) < 0)
        return -1;

    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old);
    pid_t child = duplicate(&c, pid, opts, paths, res);
    int e = c.errnum;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (c.sigchld_taken)
        raise(SIGCHLD); /* it may have announced one of the caller's own children too */
    res->pid = child;
    if (child < 0)
        errno = e ? e : EIO;
    return child;
}
