/* Waiting on tracees with a deadline, and letting go of them cleanly. */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

int rf_fail(struct rf_ctx *c, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    c->errnum = errnum;
    errno = errnum;
    return -1;
}

void rf_mark(struct rf_ctx *c, const char *phase)
{
    if (!c->timing || c->nmarks >= (int)(sizeof c->mark_at / sizeof c->mark_at[0]))
        return;
    c->mark_name[c->nmarks] = phase;
    clock_gettime(CLOCK_MONOTONIC, &c->mark_at[c->nmarks++]);
}

enum stop_kind stop_classify(int status, int *sig)
{
    *sig = 0;
    if (!WIFSTOPPED(status))
        return STOP_EXITED;
    int s = WSTOPSIG(status), ev = status >> 16;
    if (s == (SIGTRAP | 0x80))
        return STOP_SYSCALL;
    if (ev == PTRACE_EVENT_STOP) {
        /* Under PTRACE_SEIZE a group stop is an event stop carrying the stopping signal. */
        if (s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU) {
            *sig = s;
            return STOP_GROUP;
        }
        return STOP_EVENT;
    }
    if (ev)
        return STOP_EVENT;
    *sig = s;
    return STOP_SIGNAL;
}

/* *d = now + ns on CLOCK_MONOTONIC. */
static void deadline_in_ns(struct timespec *d, long long ns)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    d->tv_sec += ns / 1000000000LL;
    d->tv_nsec += ns % 1000000000LL;
    if (d->tv_nsec >= 1000000000L) {
        d->tv_sec++;
        d->tv_nsec -= 1000000000L;
    }
}

void deadline_in(struct timespec *d, long ms) { deadline_in_ns(d, ms * 1000000LL); }

/* Nanoseconds left until end (negative once passed): never rounds a deadline early. */
static long long ns_until(const struct timespec *end)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (end->tv_sec - now.tv_sec) * 1000000000LL + (end->tv_nsec - now.tv_nsec);
}

static int cancel_pending(void)
{
    sigset_t p;
    if (sigpending(&p))
        return 0;
    return sigismember(&p, SIGINT) || sigismember(&p, SIGTERM) || sigismember(&p, SIGHUP);
}

/* Poll for pid's next state change for up to c->spin_ns: 1 if *status was filled, 0 if the
 * budget ran out, -1 on a waitpid error. A stop usually follows within a few hundred
 * microseconds; sleeping for it lets this CPU go idle, and on a virtual machine waking an
 * idle vCPU costs 40-100 us, once per hand-off (README, benchmark 2). sched_yield, not a
 * pause, so that a task queued on this CPU (the new copy, or the target itself when both
 * share one CPU) runs first. */
static int spin_wait(const struct rf_ctx *c, pid_t pid, int *status, const struct timespec *deadline)
{
    if (c->spin_ns <= 0)
        return 0;
    struct timespec end;
    deadline_in_ns(&end, c->spin_ns);
    for (;;) {
        pid_t r = waitpid(pid, status, __WALL | WNOHANG);
        if (r == pid)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
        if (ns_until(&end) <= 0 || (deadline && ns_until(deadline) <= 0))
            return 0;
        sched_yield();
    }
}

int trace_wait(struct rf_ctx *c, pid_t pid, int *status, const struct timespec *deadline,
               int cancellable)
{
    int s = spin_wait(c, pid, status, deadline);
    if (s)
        return s > 0 ? 0 : -1;
    if (!deadline && !cancellable) {
        /* A step that ends by itself (a fork, a first stop): sleep in waitpid, woken by the
         * stop itself whatever the caller's SIGCHLD disposition. */
        for (;;) {
            pid_t r = waitpid(pid, status, __WALL);
            if (r == pid)
                return 0;
            if (r < 0 && errno != EINTR)
                return -1;
        }
    }
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        pid_t r = waitpid(pid, status, __WALL | WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (cancellable && cancel_pending())
            return errno = ECANCELED, -1;
        long long left = deadline ? ns_until(deadline) : 5000000LL;
        if (left <= 0)
            return errno = ETIMEDOUT, -1;
        /* SIGCHLD (blocked by our caller) wakes us at once; the 5 ms slice bounds the wait
         * when another thread of the caller takes it instead, or when SIGCHLD is ignored. */
        if (left > 5000000LL)
            left = 5000000LL;
        struct timespec ts = { 0, (long)left };
        if (sigtimedwait(&chld, NULL, &ts) == SIGCHLD)
            c->sigchld_taken++;
    }
}

void trace_abandon(struct rf_ctx *c, pid_t pid)
{
    int status, sig;
    struct timespec dl;
    deadline_in(&dl, RF_STEP_MS);
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
        return; /* gone: the kernel already untraced it */
    for (;;) {
        if (trace_wait(c, pid, &status, &dl, 0) < 0)
            return;
        switch (stop_classify(status, &sig)) {
        case STOP_EXITED:
            return;
        case STOP_SIGNAL:
            ptrace(PTRACE_DETACH, pid, 0, (void *)(long)sig); /* not ours to swallow */
            return;
        default:
            /* Detaching from a group stop leaves the target stopped, as job control wants. */
            ptrace(PTRACE_DETACH, pid, 0, 0);
            return;
        }
    }
}

long long rf_spin_ns(void)
{
    const char *e = getenv("RFORK_SPIN_US");
    if (e && *e) {
        char *end;
        long long v = strtoll(e, &end, 10);
        if (!*end && v >= 0)
            return v * 1000LL;
    }
    cpu_set_t set;
    /* Alone on one CPU, polling only delays the tracee we wait for. */
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < 2)
        return 0;
    return RF_SPIN_US_DEFAULT * 1000LL;
}
