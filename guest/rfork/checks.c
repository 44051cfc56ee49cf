/* Checks made before the target is touched: refusals /proc can decide, and the redirection
 * files, so that a refused request costs the target nothing. */
#include "rfork.h"
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether this process is in the PID namespace /proc belongs to (NSpid with one entry). A
 * process never changes its own PID namespace (unshare/setns only affect its future
 * children), so this is read once per process. */
static int own_in_proc_pidns(void)
{
    static int answer; /* 0 unknown, 1 yes, 2 no */
    static pid_t for_pid;
    pid_t me = getpid();
    if (__atomic_load_n(&for_pid, __ATOMIC_ACQUIRE) != me) {
        struct target_info self;
        int a = probe_target(0, &self) == 0 && self.nspid_levels == 1 ? 1 : 2;
        __atomic_store_n(&answer, a, __ATOMIC_RELAXED);
        __atomic_store_n(&for_pid, me, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&answer, __ATOMIC_RELAXED) == 1;
}

/* Refusals that /proc can decide, phrased for the user. */
int check_target(struct rf_ctx *c, pid_t pid, int flags, struct target_info *out)
{
    struct target_info ti;
    if (probe_target(pid, &ti) < 0) {
        if (errno == ESRCH)
            return rf_fail(c, ESRCH, "no process %d", (int)pid);
        return rf_fail(c, errno, "cannot read /proc/%d: %s", (int)pid, strerror(errno));
    }
    if (ti.tgid == getpid())
        return rf_fail(c, EINVAL, "%d is this process; a process cannot trace itself", (int)pid);
    if (ti.state == 'Z' || ti.state == 'X')
        return rf_fail(c, ESRCH, "process %d has already exited (zombie)", (int)pid);
    if (ti.kthread)
        return rf_fail(c, EPERM, "%d is a kernel thread; only user processes can be duplicated", (int)pid);
    if (ti.tracer)
        return rf_fail(c, EBUSY, "process %d is already traced by process %d; a process has only one tracer",
                       (int)pid, (int)ti.tracer);
    if (ti.ns_init)
        return rf_fail(c, EINVAL,
                       "process %d is PID 1 of its PID namespace; the kernel forbids it a sibling "
                       "(CLONE_PARENT), so its duplicate could not have the same parent", (int)pid);
    if (ti.state == 'T' || ti.state == 't')
        return rf_fail(c, EAGAIN, "process %d is stopped; continue it (kill -CONT) first, "
                       "a stopped process makes no system call", (int)pid);
    if (ti.threads > 1 && !(flags & RFORK_ALLOW_THREADS))
        return rf_fail(c, ENOTSUP, "process %d has %d threads; duplicating copies only one thread "
                       "(like fork), allow that explicitly (--threads / RFORK_ALLOW_THREADS)",
                       (int)pid, ti.threads);
    if (ti.seccomp == 1)
        return rf_fail(c, ENOTSUP, "process %d is in seccomp strict mode, which kills it on clone",
                       (int)pid);
    if (ti.seccomp == 2 && !(flags & RFORK_ALLOW_SECCOMP))
        return rf_fail(c, ENOTSUP, "process %d runs under a seccomp filter that may reject or kill it "
                       "for the injected clone; allow that explicitly (--seccomp / RFORK_ALLOW_SECCOMP)",
                       (int)pid);
    /* Same PID namespace: clone's return value in the target is the duplicate's PID for us
     * too, so no fork event stop is needed to learn it (see rfork.c). */
    ti.same_pidns = ti.nspid_levels == 1 && own_in_proc_pidns();
    *out = ti;
    return 0;
}

/* Absolute paths, because the duplicate resolves them from its own working directory. */
int resolve_paths(struct rf_ctx *c, const struct rfork_opts *o, char abs[3][PATH_MAX],
                         const char *out[3])
{
    const char *in[3] = { o->stdin_path, o->stdout_path, o->stderr_path };
    char cwd[PATH_MAX];
    for (int i = 0; i < 3; i++) {
        out[i] = NULL;
        if (!in[i])
            continue;
        if (!*in[i])
            return rf_fail(c, EINVAL, "empty file name for fd %d", i);
        if (in[i][0] == '/') {
            if (snprintf(abs[i], PATH_MAX, "%s", in[i]) >= PATH_MAX)
                return rf_fail(c, ENAMETOOLONG, "file name too long: %s", in[i]);
        } else {
            if (!getcwd(cwd, sizeof cwd))
                return rf_fail(c, errno, "getcwd: %s", strerror(errno));
            if (snprintf(abs[i], PATH_MAX, "%s/%s", cwd, in[i]) >= PATH_MAX)
                return rf_fail(c, ENAMETOOLONG, "file name too long: %s", in[i]);
        }
        /* Catch the obvious mistakes here, where no duplicate exists yet to be discarded. */
        struct stat st;
        if (i == 0) {
            if (stat(abs[i], &st) < 0)
                return rf_fail(c, errno, "stdin file %s: %s", abs[i], strerror(errno));
        } else {
            char dir[PATH_MAX];
            memcpy(dir, abs[i], sizeof dir);
            *strrchr(dir, '/') = 0;
            if (stat(*dir ? dir : "/", &st) < 0 || !S_ISDIR(st.st_mode))
                return rf_fail(c, ENOENT, "no directory for output file %s", abs[i]);
        }
        if (stat(abs[i], &st) == 0 && S_ISDIR(st.st_mode))
            return rf_fail(c, EISDIR, "%s is a directory", abs[i]);
        out[i] = abs[i];
    }
    return 0;
}
