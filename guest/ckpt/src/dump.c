#include "dump.h"
#include "elfbin.h"
#include "fds.h"
#include "frames.h"
#include "image.h"
#include "inject.h"
#include "libs.h"
#include "memdump.h"
#include "util.h"
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

void ck_image_path(char *buf, size_t len, const char *dir) { snprintf(buf, len, "%s/image.ckpt", dir); }

static int save_sigactions(pid_t pid, struct ck_proc *p, struct ck_sigact *acts)
{
    struct inj in;
    if (inj_begin(&in, pid, p->regs.rip) < 0)
        return -1;
    int rc = -1;
    if (inj_scratch(&in, CK_PAGE) < 0)
        goto out;
    for (int sig = 1; sig <= 64; sig++) {
        memset(&acts[sig - 1], 0, sizeof acts[0]);
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        long r = inj_syscall(&in, SYS_rt_sigaction, sig, 0, in.scratch, 8, 0, 0);
        if (r < -4095)
            goto out;
        if (r == 0 && pt_read(pid, in.scratch, &acts[sig - 1], sizeof acts[0]) < 0)
            goto out;
    }
    long brk = inj_syscall(&in, SYS_brk, 0, 0, 0, 0, 0, 0);
    if (brk < -4095)
        goto out;
    p->brk = brk;
    rc = 0;
out:
    if (inj_end(&in, 1) < 0)
        rc = -1;
    return rc;
}

int ck_dump_stopped(pid_t pid, const char *dir, const char *func, int flags, struct dump_stats *st)
{
    double t0 = ck_now();
    memset(st, 0, sizeof *st);
    int nt = proc_threads(pid);
    if (nt != 1)
        return nt < 0 ? ck_errno("process %d", (int)pid)
                      : ck_err("process %d has %d threads; only single-threaded processes are supported", (int)pid, nt);
    mkdir(dir, 0700);
    struct ck_proc *p = calloc(1, sizeof *p);
    struct ck_sigact acts[64];
    struct ck_frame *fr = NULL;
    struct ck_writer w = {.fd = -1, .dfd = -1};
    int rc = -1;
    p->pid = pid;
    p->starttime = ck_proc_starttime(pid);
    p->start_brk = ck_proc_stat(pid, 47);
    p->start_stack = ck_proc_stat(pid, 28);
    p->arg_start = ck_proc_stat(pid, 48);
    p->arg_end = ck_proc_stat(pid, 49);
    p->env_start = ck_proc_stat(pid, 50);
    p->env_end = ck_proc_stat(pid, 51);
    p->nthreads = 1;
    if (func)
        ck_copy(p->func, sizeof p->func, func);
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, p->exe, sizeof p->exe - 1);
    if (n < 0) {
        ck_errno("readlink %s", link);
        goto out;
    }
    p->exe[n] = 0;
    if (file_crc(link, &p->exe_crc, &p->exe_size) < 0)
        goto out;
    snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
    n = readlink(link, p->cwd, sizeof p->cwd - 1);
    if (n < 0) {
        ck_errno("readlink %s", link);
        goto out;
    }
    p->cwd[n] = 0;
    if (ptrace(PTRACE_GETREGS, pid, 0, &p->regs) < 0) {
        ck_errno("get registers of %d", (int)pid);
        goto out;
    }
    if (ptrace(PTRACE_GETSIGMASK, pid, sizeof p->sigmask, &p->sigmask) < 0) {
        ck_errno("get signal mask of %d", (int)pid);
        goto out;
    }
    static char xs[16384];
    struct iovec iov = {xs, sizeof xs};
    p->xstate_kind = NT_X86_XSTATE;
    if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) < 0) {
        p->xstate_kind = NT_PRFPREG;
        iov.iov_len = sizeof xs;
        if (ptrace(PTRACE_GETREGSET, pid, NT_PRFPREG, &iov) < 0) {
            ck_errno("get FPU state of %d", (int)pid);
            goto out;
        }
    }
    pt_rseq_config(pid, &p->rseq_ptr, &p->rseq_size, &p->rseq_sig);
    if (save_sigactions(pid, p, acts) < 0)
        goto out;
    int nf = frames_unwind(pid, &fr);
    if (nf < 0)
        goto out;
    st->nframes = nf;
    /* Interrupted system call: the restored process must re-issue it, as the kernel would. */
    long rax = (long)p->regs.rax;
    if ((long)p->regs.orig_rax >= 0 && (rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND ||
                                        rax == -ERESTART_RESTARTBLOCK)) {
        p->regs.rax = p->regs.orig_rax;
        p->regs.rip -= 2;
    }
    p->regs.orig_rax = -1;
    char path[4200];
    ck_image_path(path, sizeof path, dir);
    if (ckw_open(&w, path, !(flags & CK_DUMP_NO_SPARE)) < 0)
        goto out;
    st->reused = w.reused;
    if (ckw_record(&w, CK_REC_XSTATE, xs, iov.iov_len, 8) < 0 || ckw_record(&w, CK_REC_SIGACT, acts, sizeof acts, 8) < 0 ||
        ckw_record(&w, CK_REC_FRAMES, fr, nf * sizeof *fr, 8) < 0)
        goto out;
    if (fds_dump(pid, &w) < 0)
        goto out;
    {
        struct ck_exe e;
        struct stat xs;
        snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
        if (exe_describe(pid, link, &e) < 0 || ckw_record(&w, CK_REC_EXE, &e, sizeof e, 8) < 0 ||
            stat(link, &xs) < 0 || libs_dump(pid, xs.st_ino, &w) < 0)
            goto out;
    }
    ck_phase("dump: state");
    if (mem_dump(pid, &w, p, &st->mem_bytes, &st->hole_bytes, &st->direct_bytes) < 0)
        goto out;
    ck_phase("dump: memory");
    /* The process record goes last: mem_dump filled in the special-mapping placement. */
    if (ckw_record(&w, CK_REC_PROC, p, sizeof *p, 8) < 0 || ckw_finish(&w) < 0)
        goto out;
    w.fd = -1;
    ck_phase("dump: finish");
    rc = 0;
out:
    if (rc < 0 && w.fd >= 0)
        ckw_abort(&w);
    free(fr);
    free(p);
    st->secs = ck_now() - t0;
    return rc;
}
