/* Running system calls inside a stopped tracee (CRIU compel style), used to give the
 * duplicate its own stdio before it executes a single instruction of its own. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

void rf_defer_signal(struct rf_ctx *c, int sig)
{
    for (int i = 0; i < c->ndeferred; i++)
        if (c->deferred[i] == sig && sig < SIGRTMIN)
            return; /* standard signals coalesce anyway */
    if (c->ndeferred < (int)(sizeof c->deferred / sizeof c->deferred[0]))
        c->deferred[c->ndeferred++] = sig;
}

/* Resume pid with PTRACE_SYSCALL until its next syscall stop; signals that arrive meanwhile
 * are held back (the registers are ours, not the program's, so no handler may run now). */
static int to_syscall_stop(struct rf_ctx *c, pid_t pid)
{
    struct timespec dl;
    deadline_in(&dl, RF_STEP_MS);
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0)
            return rf_fail(c, errno, "duplicate %d vanished during setup: %s", (int)pid, strerror(errno));
        int status, sig;
        if (trace_wait(c, pid, &status, &dl, 0) < 0)
            return rf_fail(c, errno, "waiting for duplicate %d during setup: %s", (int)pid, strerror(errno));
        switch (stop_classify(status, &sig)) {
        case STOP_SYSCALL:
            return 0;
        case STOP_EXITED:
            return rf_fail(c, ESRCH, "duplicate %d was killed during setup", (int)pid);
        case STOP_SIGNAL:
        case STOP_GROUP:
            if (sig)
                rf_defer_signal(c, sig);
            break;
        case STOP_EVENT:
            break;
        }
    }
}

int inject_syscall(struct rf_ctx *c, pid_t pid, const struct user_regs_struct *base,
                   unsigned long insn, long nr, const long args[6], long *ret)
{
    struct user_regs_struct r = *base;
    r.rip = insn;
    r.rax = (unsigned long)nr;
    r.orig_rax = (unsigned long)-1; /* not in a syscall: no restart fix-up may touch rip/rax */
    r.rdi = (unsigned long)args[0];
    r.rsi = (unsigned long)args[1];
    r.rdx = (unsigned long)args[2];
    r.r10 = (unsigned long)args[3];
    r.r8 = (unsigned long)args[4];
    r.r9 = (unsigned long)args[5];
    if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0)
        return rf_fail(c, errno, "setting registers of duplicate %d: %s", (int)pid, strerror(errno));
    if (to_syscall_stop(c, pid) < 0 || to_syscall_stop(c, pid) < 0) /* entry, then exit */
        return -1;
    if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
        return rf_fail(c, errno, "reading registers of duplicate %d: %s", (int)pid, strerror(errno));
    *ret = (long)r.rax;
    return 0;
}

static int call(struct rf_ctx *c, pid_t pid, const struct user_regs_struct *base, unsigned long insn,
                long nr, long a0, long a1, long a2, long a3, long a4, long a5, long *ret)
{
    const long args[6] = { a0, a1, a2, a3, a4, a5 };
    return inject_syscall(c, pid, base, insn, nr, args, ret);
}

static int poke_bytes(pid_t pid, unsigned long addr, const char *buf, size_t len)
{
    struct iovec local = { (void *)buf, len }, remote = { (void *)addr, len };
    if (process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len)
        return 0;
    /* process_vm_writev may be compiled out; POKEDATA always works on a stopped tracee. */
    for (size_t off = 0; off < len; off += sizeof(long)) {
        long word = 0;
        memcpy(&word, buf + off, len - off < sizeof word ? len - off : sizeof word);
        if (ptrace(PTRACE_POKEDATA, pid, (void *)(addr + off), (void *)word) < 0)
            return -1;
    }
    return 0;
}

int inject_redirect(struct rf_ctx *c, pid_t pid, const struct user_regs_struct *base,
                    unsigned long insn, const char *const paths[3])
{
    size_t need = 0;
    for (int i = 0; i < 3; i++)
        if (paths[i])
            need += (strlen(paths[i]) + 8) & ~(size_t)7;
    if (!need)
        return 0;
    size_t len = (need + 4095) & ~(size_t)4095;
    long mem, ret;
    /* Scratch memory of our own, rather than below the stack pointer, which may be a tiny or
     * unmapped alternate stack. */
    if (call(c, pid, base, insn, SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &mem) < 0)
        return -1;
    if (mem < 0 && mem > -4096)
        return rf_fail(c, (int)-mem, "mmap in duplicate %d failed: %s", (int)pid, strerror((int)-mem));
    int rc = -1;
    unsigned long where[3] = { 0, 0, 0 }, at = (unsigned long)mem;
    for (int i = 0; i < 3; i++) {
        if (!paths[i])
            continue;
        size_t n = strlen(paths[i]) + 1;
        if (poke_bytes(pid, at, paths[i], n) < 0) {
            rf_fail(c, errno, "writing into duplicate %d: %s", (int)pid, strerror(errno));
            goto out;
        }
        where[i] = at;
        at += (n + 7) & ~(size_t)7;
    }
    for (int fd = 0; fd < 3; fd++) {
        if (!paths[fd])
            continue;
        if (fd == 2 && paths[1] && !strcmp(paths[1], paths[2])) {
            /* 2>&1: one open file description, so the two streams interleave like a shell's. */
            if (call(c, pid, base, insn, SYS_dup2, 1, 2, 0, 0, 0, 0, &ret) < 0)
                goto out;
            if (ret < 0) {
                rf_fail(c, (int)-ret, "dup2(1, 2) in duplicate %d failed: %s", (int)pid, strerror((int)-ret));
                goto out;
            }
            continue;
        }
        int flags = fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
        long nfd;
        if (call(c, pid, base, insn, SYS_openat, AT_FDCWD, (long)where[fd], flags, 0644, 0, 0, &nfd) < 0)
            goto out;
        if (nfd < 0) {
            rf_fail(c, (int)-nfd, "the duplicate (running as the target's user) cannot open %s: %s",
                    paths[fd], strerror((int)-nfd));
            goto out;
        }
        if (nfd != fd) {
            if (call(c, pid, base, insn, SYS_dup2, nfd, fd, 0, 0, 0, 0, &ret) < 0)
                goto out;
            long ignored;
            if (call(c, pid, base, insn, SYS_close, nfd, 0, 0, 0, 0, 0, &ignored) < 0)
                goto out;
            if (ret < 0) {
                rf_fail(c, (int)-ret, "dup2 onto fd %d in duplicate %d failed: %s", fd, (int)pid,
                        strerror((int)-ret));
                goto out;
            }
        }
    }
    rc = 0;
out:
    if (call(c, pid, base, insn, SYS_munmap, mem, (long)len, 0, 0, 0, 0, &ret) < 0)
        return -1;
    return rc;
}
