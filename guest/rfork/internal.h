/* Private interfaces shared by the librfork source files. */
#ifndef RFORK_INTERNAL_H
#define RFORK_INTERNAL_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/user.h>
#include <time.h>

/* State of one rfork_pid call: where errors go and what signal bookkeeping must be undone. */
struct rf_ctx {
    char *err;                 /* caller's message buffer */
    size_t errlen;
    int errnum;                /* errno of the first failure, which later clean-up must not clobber */
    int sigchld_taken;         /* SIGCHLDs we consumed: re-raised at the end so the caller loses none */
    int deferred[16];          /* signals held back from the half-made duplicate, re-sent at release */
    int ndeferred;
    int target_held;           /* the target waits at clone's exit for the copy's release */
    int target_sig;            /* ... and is then detached with this signal */
    long long spin_ns;         /* how long a wait polls before sleeping (rf_spin_ns) */
    int timing;                /* RFORK_TIMING set: record phase times, print them at the end */
    int nmarks;
    const char *mark_name[16];
    struct timespec mark_at[16];
};

/* Record the end of a phase (when timing is on); printed to stderr by rfork_pid. */
void rf_mark(struct rf_ctx *c, const char *phase);

/* Record a formatted reason and errno; always returns -1 so callers can `return rf_fail(...)`. */
int rf_fail(struct rf_ctx *c, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Hold a signal back from the half-made duplicate; it is re-sent when the duplicate is released. */
void rf_defer_signal(struct rf_ctx *c, int sig);

/* What /proc says about a target, read before touching it so refusals cost the target nothing. */
struct target_info {
    pid_t tgid;
    int threads;
    pid_t tracer;
    char state;                /* R S D T t Z X ... */
    int kthread;
    int ns_init;               /* PID 1 of its PID namespace */
    int seccomp;               /* 0 none, 1 strict, 2 filter */
    unsigned long long sigign; /* SigIgn: ignored signals, bit (sig - 1) */
    int nspid_levels;          /* NSpid entries: 1 = in the PID namespace /proc belongs to */
    int same_pidns;            /* in the caller's PID namespace: PIDs it reports are ours */
};

/* Read /proc/<pid>/status (pid 0: /proc/self) and, on old kernels, stat; -1 with errno (ESRCH if gone) on failure. */
int probe_target(pid_t pid, struct target_info *ti);

struct rfork_opts;

/* Refuse (-1, message in c) what must not or cannot be duplicated, judging from /proc. */
int check_target(struct rf_ctx *c, pid_t pid, int flags, struct target_info *ti);

/* Make the redirection paths absolute (the duplicate resolves them from its own working
 * directory) and reject obvious mistakes; out[i] is NULL for a shared fd. */
int resolve_paths(struct rf_ctx *c, const struct rfork_opts *o, char abs[3][PATH_MAX], const char *out[3]);

/* Kinds of wait status a tracer sees. */
enum stop_kind { STOP_EXITED, STOP_SYSCALL, STOP_EVENT, STOP_GROUP, STOP_SIGNAL };

/* Classify a waitpid status; *sig gets the signal of a signal-delivery or group stop. */
enum stop_kind stop_classify(int status, int *sig);

/* Bound for steps that are quick unless the machine is wedged (a 1 GB fork, a D-state exit). */
#define RF_STEP_MS 30000L

/* Default poll time of a wait before it sleeps, in us; RFORK_SPIN_US overrides (0: never poll). */
#define RF_SPIN_US_DEFAULT 2000LL

/* Poll time for this call's waits, in ns: RFORK_SPIN_US, else the default, 0 when the caller
 * may run on one CPU only. */
long long rf_spin_ns(void);

/* Set *d to ms milliseconds from now on CLOCK_MONOTONIC. */
void deadline_in(struct timespec *d, long ms);

/* Wait for a state change of tracee pid until the deadline (NULL: forever); cancellable
 * waits give up when SIGINT/TERM/HUP are pending (blocked) in the caller, so a CLI user can
 * interrupt a long wait. 0, or -1 with errno ETIMEDOUT / ECANCELED / other. With neither a
 * deadline nor cancellation it simply blocks in waitpid (steps that end by themselves). */
int trace_wait(struct rf_ctx *c, pid_t pid, int *status, const struct timespec *deadline,
               int cancellable);

/* Stop a seized tracee wherever it is and detach, handing back any signal caught on the way,
 * so an abandoned attempt leaves it exactly as it would have been. */
void trace_abandon(struct rf_ctx *c, pid_t pid);

/* Run one system call inside stopped tracee pid through the syscall instruction at insn,
 * starting from registers base; *ret gets its raw result. 0, or -1 (message in c). */
int inject_syscall(struct rf_ctx *c, pid_t pid, const struct user_regs_struct *base,
                   unsigned long insn, long nr, const long args[6], long *ret);

/* Point the stopped duplicate's fds 0-2 at the given files (NULL: leave), by injecting
 * mmap/openat/dup2/close/munmap into it. 0, or -1 (message in c). */
int inject_redirect(struct rf_ctx *c, pid_t pid, const struct user_regs_struct *base,
                    unsigned long insn, const char *const paths[3]);

#endif
