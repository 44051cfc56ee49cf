/* librfork: duplicate a running process from another process, at its next
 * system call, using ptrace only (no kernel change, no cost to anyone else). */
#ifndef RFORK_H
#define RFORK_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Start the duplicate stopped (SIGSTOP), a saved mid-run state to resume with SIGCONT. */
#define RFORK_START_STOPPED 0x1
/* Accept a multi-threaded target: only the named thread is copied, as fork() does. */
#define RFORK_ALLOW_THREADS 0x2
/* Accept a target under a seccomp filter, which might reject or punish the injected clone. */
#define RFORK_ALLOW_SECCOMP 0x4

#define RFORK_ERRMAX 256

struct rfork_opts {
    int flags;               /* RFORK_* bits */
    long timeout_ms;         /* give up if the target makes no system call in this time; <0: never */
    const char *stdin_path;  /* NULL: the duplicate shares the target's stdin */
    const char *stdout_path; /* NULL: shared; else created/truncated, opened by the duplicate */
    const char *stderr_path; /* NULL: shared; the same string as stdout_path shares that file */
};

struct rfork_result {
    pid_t pid;               /* the duplicate, in the caller's PID namespace; -1 on failure */
    long syscall_nr;         /* the x86-64 system call at whose entry the duplication happened */
    char error[RFORK_ERRMAX];/* on failure: why, in words fit for a user */
};

/* Fill opts with the defaults (no flags, 10 s timeout, shared stdio) so new fields stay zero-safe. */
void rfork_opts_init(struct rfork_opts *opts);

/* Duplicate process (or thread) pid at its next system call; returns the duplicate's PID, or -1
 * with errno set and res->error filled. opts and res may be NULL. Blocks SIGCHLD in the calling
 * thread while it runs, because ptrace stops are announced with it. */
pid_t rfork_pid(pid_t pid, const struct rfork_opts *opts, struct rfork_result *res);

#ifdef __cplusplus
}
#endif
#endif
