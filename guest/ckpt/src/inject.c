#include "inject.h"
#include "util.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

int pt_wait(pid_t pid, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, __WALL);
        if (r == pid)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return ck_errno("waitpid %d", pid);
    }
}

int pt_attach_stop(pid_t pid)
{
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
        return ck_errno("cannot attach to process %d (ptrace)", pid);
    if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
        return ck_errno("cannot stop process %d", pid);
    for (;;) {
        int st;
        if (pt_wait(pid, &st) < 0)
            return -1;
        if (WIFEXITED(st) || WIFSIGNALED(st))
            return ck_err("process %d exited while being attached", pid);
        if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP)
            return 0;
        /* A signal arrived first: keep it pending for the program, wait for the interrupt stop. */
        if (WIFSTOPPED(st) && ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st)) < 0)
            return ck_errno("continue %d", pid);
    }
}

int pt_read(pid_t pid, unsigned long addr, void *buf, size_t len)
{
    struct iovec l = {buf, len}, r = {(void *)addr, len};
    ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
    if (n == (ssize_t)len)
        return 0;
    /* Fallback for pages process_vm_readv refuses (e.g. PROT_NONE guard data). */
    for (size_t i = 0; i < len; i += sizeof(long)) {
        errno = 0;
        long v = ptrace(PTRACE_PEEKDATA, pid, addr + i, 0);
        if (errno)
            return ck_errno("read memory of %d at %#lx", pid, addr + i);
        memcpy((char *)buf + i, &v, len - i < sizeof v ? len - i : sizeof v);
    }
    return 0;
}

int pt_write(pid_t pid, unsigned long addr, const void *buf, size_t len)
{
    struct iovec l = {(void *)buf, len}, r = {(void *)addr, len};
    ssize_t n = process_vm_writev(pid, &l, 1, &r, 1, 0);
    if (n == (ssize_t)len)
        return 0;
    for (size_t i = 0; i < len; i += sizeof(long)) {
        long v = 0;
        size_t k = len - i < sizeof v ? len - i : sizeof v;
        if (k < sizeof v) {
            errno = 0;
            v = ptrace(PTRACE_PEEKDATA, pid, addr + i, 0);
            if (errno)
                return ck_errno("read memory of %d at %#lx", pid, addr + i);
        }
        memcpy(&v, (const char *)buf + i, k);
        if (ptrace(PTRACE_POKEDATA, pid, addr + i, v) < 0)
            return ck_errno("write memory of %d at %#lx", pid, addr + i);
    }
    return 0;
}

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

int pt_rseq_config(pid_t pid, uint64_t *ptr, uint32_t *size, uint32_t *sig)
{
    struct { uint64_t ptr; uint32_t size, sig, flags, pad; } c = {0, 0, 0, 0, 0};
    *ptr = 0;
    *size = *sig = 0;
    if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, sizeof c, &c) < 0)
        return 0; /* older kernel: no rseq to care about */
    *ptr = c.ptr;
    *size = c.size;
    *sig = c.sig;
    return 0;
}

int inj_begin(struct inj *in, pid_t pid, unsigned long gadget)
{
    memset(in, 0, sizeof *in);
    in->pid = pid;
    in->gadget = gadget;
    if (ptrace(PTRACE_GETREGS, pid, 0, &in->regs) < 0)
        return ck_errno("get registers of %d", pid);
    errno = 0;
    in->saved_code = ptrace(PTRACE_PEEKTEXT, pid, gadget, 0);
    if (errno)
        return ck_errno("read code of %d at %#lx", pid, gadget);
    long code = in->saved_code;
    static const unsigned char g[3] = {0x0f, 0x05, 0xcc}; /* syscall; int3 */
    memcpy(&code, g, sizeof g);
    if (ptrace(PTRACE_POKETEXT, pid, gadget, code) < 0)
        return ck_errno("write syscall gadget into %d", pid);
    return 0;
}

long inj_syscall(struct inj *in, long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    struct user_regs_struct r = in->regs;
    r.rip = in->gadget;
    r.rax = nr;
    r.orig_rax = -1; /* no syscall-restart fixup on the way out of the stop */
    r.rdi = a1;
    r.rsi = a2;
    r.rdx = a3;
    r.r10 = a4;
    r.r8 = a5;
    r.r9 = a6;
    if (ptrace(PTRACE_SETREGS, in->pid, 0, &r) < 0)
        return ck_errno("set registers of %d", in->pid), -ENOSYS - 4096;
    for (;;) {
        if (ptrace(PTRACE_CONT, in->pid, 0, 0) < 0)
            return ck_errno("continue %d", in->pid), -ENOSYS - 4096;
        int st;
        if (pt_wait(in->pid, &st) < 0)
            return -ENOSYS - 4096;
        if (WIFEXITED(st) || WIFSIGNALED(st))
            return ck_err("process %d died during injected syscall %ld", in->pid, nr), -ENOSYS - 4096;
        if (!WIFSTOPPED(st))
            continue;
        if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
            break;
        /* Any other stop (group stop, stray signal): the signal stays pending in the
         * kernel only if we re-queue it; the injected call has not run yet or is done.
         * Re-check rip to know which. */
        struct user_regs_struct cur;
        ptrace(PTRACE_GETREGS, in->pid, 0, &cur);
        ck_info("injected syscall %ld: unexpected stop %#x at %#llx", nr, st, cur.rip);
        if (WSTOPSIG(st) == SIGSEGV || WSTOPSIG(st) == SIGBUS || WSTOPSIG(st) == SIGILL)
            return ck_err("process %d faulted (signal %d at %#llx) during injected syscall %ld", in->pid,
                          WSTOPSIG(st), cur.rip, nr), -ENOSYS - 4096;
        if (cur.rip == in->gadget + 3)
            break;
        if (WSTOPSIG(st) != SIGTRAP && (st >> 16) == 0)
            kill(in->pid, WSTOPSIG(st));
    }
    struct user_regs_struct out;
    if (ptrace(PTRACE_GETREGS, in->pid, 0, &out) < 0)
        return ck_errno("get registers of %d", in->pid), -ENOSYS - 4096;
    if (out.rip != in->gadget + 3)
        return ck_err("injected syscall %ld in %d stopped at unexpected pc %#llx", nr, in->pid, out.rip),
               -ENOSYS - 4096;
    return (long)out.rax;
}

long inj_call(struct inj *in, unsigned long fn, unsigned long arg, unsigned long fs_base)
{
    if (!in->scratch || in->scratch_len < 8192)
        return ck_err("no scratch stack for an injected call"), -1;
    struct user_regs_struct r = in->regs;
    unsigned long ret = in->gadget + 2; /* the gadget's int3 */
    r.rsp = ((in->scratch + in->scratch_len - 256) & ~15ul) - 8;
    if (pt_write(in->pid, r.rsp, &ret, 8) < 0)
        return -1;
    r.rip = fn;
    r.rdi = arg;
    r.rax = 0;
    r.orig_rax = -1;
    r.fs_base = fs_base;
    if (ptrace(PTRACE_SETREGS, in->pid, 0, &r) < 0 || ptrace(PTRACE_CONT, in->pid, 0, 0) < 0)
        return ck_errno("injected call in %d", in->pid), -1;
    int st;
    if (pt_wait(in->pid, &st) < 0)
        return -1;
    struct user_regs_struct out;
    if (!WIFSTOPPED(st) || ptrace(PTRACE_GETREGS, in->pid, 0, &out) < 0)
        return ck_err("process %d died during an injected call", in->pid), -1;
    if (WSTOPSIG(st) != SIGTRAP || out.rip != in->gadget + 3)
        return ck_err("injected call of %#lx in %d stopped with signal %d at %#llx", fn, in->pid, WSTOPSIG(st), out.rip), -1;
    return (long)out.rax;
}

int inj_scratch(struct inj *in, size_t len)
{
    long r = inj_syscall(in, SYS_mmap, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r < 0 && r > -4096)
        return ck_err("mmap scratch in %d: %s", in->pid, strerror(-r));
    if (r < 0)
        return -1;
    in->scratch = r;
    in->scratch_len = len;
    return 0;
}

unsigned long inj_put(struct inj *in, size_t off, const void *buf, size_t len)
{
    if (off + len > in->scratch_len) {
        ck_err("scratch overflow");
        return 0;
    }
    if (pt_write(in->pid, in->scratch + off, buf, len) < 0)
        return 0;
    return in->scratch + off;
}

int inj_end(struct inj *in, int restore_regs)
{
    int rc = 0;
    if (in->scratch) {
        long r = inj_syscall(in, SYS_munmap, in->scratch, in->scratch_len, 0, 0, 0, 0);
        if (r < 0)
            rc = ck_err("munmap scratch in %d failed", in->pid);
        in->scratch = 0;
    }
    if (ptrace(PTRACE_POKETEXT, in->pid, in->gadget, in->saved_code) < 0)
        rc = ck_errno("restore code of %d", in->pid);
    if (restore_regs && ptrace(PTRACE_SETREGS, in->pid, 0, &in->regs) < 0)
        rc = ck_errno("restore registers of %d", in->pid);
    return rc;
}
