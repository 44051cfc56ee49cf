#include "retrap.h"
#include "dump.h"
#include "elfbin.h"
#include "image.h"
#include "inject.h"
#include "libs.h"
#include "prefill.h"
#include "util.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAXBP = 512, MAXPEND = 4096, MAXF = 64 };

struct bp { uint64_t addr; uint8_t orig; int entry_of; int rets; };
struct pend { uint64_t ret, sp; int f; };

struct watch {
    pid_t pid;
    const struct watch_opts *o;
    struct elfbin bin;
    uint64_t bias;         /* load bias of a position-independent executable */
    char *fname[MAXF];
    uint64_t fentry[MAXF];
    int nf;
    struct bp bps[MAXBP];
    int nbp;
    struct pend pend[MAXPEND];
    int npend;
    int count;
};

static struct bp *bp_find(struct watch *w, uint64_t a)
{
    for (int i = 0; i < w->nbp; i++)
        if (w->bps[i].addr == a)
            return &w->bps[i];
    return NULL;
}

static int poke_byte(pid_t pid, uint64_t a, uint8_t b, uint8_t *old)
{
    errno = 0;
    long v = ptrace(PTRACE_PEEKTEXT, pid, a, 0);
    if (errno)
        return ck_errno("read code at %#lx", (unsigned long)a);
    if (old)
        *old = v & 0xff;
    v = (v & ~0xffL) | b;
    if (ptrace(PTRACE_POKETEXT, pid, a, v) < 0)
        return ck_errno("write code at %#lx", (unsigned long)a);
    return 0;
}

static struct bp *bp_get(struct watch *w, uint64_t a)
{
    struct bp *b = bp_find(w, a);
    if (b)
        return b;
    if (w->nbp == MAXBP) {
        ck_err("too many breakpoints");
        return NULL;
    }
    b = &w->bps[w->nbp];
    *b = (struct bp){.addr = a, .entry_of = -1};
    if (poke_byte(w->pid, a, 0xcc, &b->orig) < 0)
        return NULL;
    w->nbp++;
    return b;
}

static int bp_drop_if_unused(struct watch *w, struct bp *b)
{
    if (b->entry_of >= 0 || b->rets > 0)
        return 0;
    int rc = poke_byte(w->pid, b->addr, b->orig, NULL);
    *b = w->bps[--w->nbp];
    return rc;
}

static int func_add(struct watch *w, const char *name)
{
    for (int i = 0; i < w->nf; i++)
        if (!strcmp(w->fname[i], name))
            return 0;
    const struct esym *s = elf_sym_named(&w->bin, name);
    if (!s || s->type != 2 /* STT_FUNC */)
        return ck_err("no function named '%s' in %s", name, w->bin.path);
    if (w->nf == MAXF)
        return ck_err("too many functions");
    struct bp *b = bp_get(w, s->addr + w->bias);
    if (!b)
        return -1;
    b->entry_of = w->nf;
    w->fname[w->nf] = ck_xstrdup(name);
    w->fentry[w->nf] = s->addr + w->bias;
    w->nf++;
    printf("watching %s at %#lx\n", name, (unsigned long)(s->addr + w->bias));
    fflush(stdout);
    return 0;
}

static int func_remove(struct watch *w, const char *name)
{
    for (int i = 0; i < w->nf; i++) {
        if (strcmp(w->fname[i], name))
            continue;
        /* forget its pending returns */
        for (int k = 0; k < w->npend;) {
            if (w->pend[k].f == i) {
                struct bp *r = bp_find(w, w->pend[k].ret);
                if (r) {
                    r->rets--;
                    bp_drop_if_unused(w, r);
                }
                w->pend[k] = w->pend[--w->npend];
            } else {
                k++;
            }
        }
        struct bp *b = bp_find(w, w->fentry[i]);
        if (b) {
            b->entry_of = -1;
            bp_drop_if_unused(w, b);
        }
        free(w->fname[i]);
        w->nf--;
        if (i != w->nf) {
            w->fname[i] = w->fname[w->nf];
            w->fentry[i] = w->fentry[w->nf];
            struct bp *mv = bp_find(w, w->fentry[i]);
            if (mv)
                mv->entry_of = i;
            for (int k = 0; k < w->npend; k++)
                if (w->pend[k].f == w->nf)
                    w->pend[k].f = i;
        }
        printf("stopped watching %s\n", name);
        fflush(stdout);
        return 0;
    }
    return ck_err("'%s' is not watched", name);
}

static int remove_all(struct watch *w)
{
    int rc = 0;
    for (int i = 0; i < w->nbp; i++)
        if (poke_byte(w->pid, w->bps[i].addr, w->bps[i].orig, NULL) < 0)
            rc = -1;
    w->nbp = 0;
    return rc;
}

/* Executes the original instruction under a breakpoint, then re-arms it if still wanted. */
static int step_over(struct watch *w, uint64_t addr, int *pending_sig)
{
    struct bp *b = bp_find(w, addr);
    if (!b)
        return 0;
    if (poke_byte(w->pid, addr, b->orig, NULL) < 0)
        return -1;
    for (;;) {
        if (ptrace(PTRACE_SINGLESTEP, w->pid, 0, 0) < 0)
            return ck_errno("single-step");
        int st;
        if (pt_wait(w->pid, &st) < 0)
            return -1;
        if (WIFEXITED(st) || WIFSIGNALED(st))
            return ck_err("process exited");
        if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP)
            break;
        if (WIFSTOPPED(st) && (st >> 16) == 0)
            *pending_sig = WSTOPSIG(st);
    }
    b = bp_find(w, addr);
    return b ? poke_byte(w->pid, addr, 0xcc, NULL) : 0;
}

static int bps_write(struct watch *w, pid_t pid, int undo);

static int handle_trap(struct watch *w, int *pending_sig, int *is_ours)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, w->pid, 0, &r) < 0)
        return ck_errno("get registers");
    uint64_t addr = r.rip - 1;
    struct bp *b = bp_find(w, addr);
    *is_ours = b != NULL;
    if (!b)
        return 0;
    r.rip = addr;
    if (ptrace(PTRACE_SETREGS, w->pid, 0, &r) < 0)
        return ck_errno("set registers");
    if (b->rets > 0) {
        for (int k = 0; k < w->npend; k++) {
            if (w->pend[k].ret != addr || w->pend[k].sp != r.rsp)
                continue;
            int f = w->pend[k].f;
            w->pend[k] = w->pend[--w->npend];
            b->rets--;
            struct dump_stats ds;
            /* The image must hold the program's bytes, not our int3s: a return address in a
             * shared library puts one into library text, which is saved (a written page). */
            int dr = bps_write(w, w->pid, 1);
            if (dr == 0)
                dr = ck_dump_stopped(w->pid, w->o->dir, w->fname[f], w->o->no_spare ? CK_DUMP_NO_SPARE : 0, &ds);
            if (bps_write(w, w->pid, 0) < 0)
                return -1;
            if (dr < 0) {
                fprintf(stderr, "ckpt: checkpoint after %s failed: %s\n", w->fname[f], ck_strerror());
            } else {
                w->count++;
                printf("checkpoint %d: %s returned; %.1f MB in %.1f ms, %d frames%s\n", w->count, w->fname[f],
                       ds.mem_bytes / 1e6, ds.secs * 1e3, ds.nframes, ds.reused ? ", over the spare image" : "");
                fflush(stdout);
            }
            break;
        }
        /* frames abandoned by longjmp can never return: forget them */
        for (int k = 0; k < w->npend;) {
            if (w->pend[k].sp < r.rsp) {
                struct bp *x = bp_find(w, w->pend[k].ret);
                w->pend[k] = w->pend[--w->npend];
                if (x) {
                    x->rets--;
                    if (x != b)
                        bp_drop_if_unused(w, x);
                }
            } else {
                k++;
            }
        }
        b = bp_find(w, addr);
    }
    if (b && b->entry_of >= 0) {
        uint64_t ret;
        if (pt_read(w->pid, r.rsp, &ret, 8) < 0)
            return -1;
        if (w->npend == MAXPEND)
            return ck_err("too many nested calls being watched");
        struct bp *rb = bp_get(w, ret);
        if (!rb)
            return -1;
        rb->rets++;
        w->pend[w->npend++] = (struct pend){ret, r.rsp + 8, bp_find(w, addr)->entry_of};
    }
    b = bp_find(w, addr);
    if (b && bp_drop_if_unused(w, b) < 0)
        return -1;
    return step_over(w, addr, pending_sig);
}

/* Writes every breakpoint's original byte (UNDO) or int3 (!UNDO) into PID's memory: a forked
 * child gets its own copy of the parent's breakpoints, a vfork child shares them. */
static int bps_write(struct watch *w, pid_t pid, int undo)
{
    int rc = 0;
    for (int i = 0; i < w->nbp; i++)
        if (poke_byte(pid, w->bps[i].addr, undo ? w->bps[i].orig : 0xcc, NULL) < 0)
            rc = -1;
    return rc;
}

/* A new task reported by a fork/vfork/clone event: waits for its first stop, and for a forked
 * child removes the inherited breakpoints; the task is then let go (detached). */
static int release_child(struct watch *w, pid_t child, int forked)
{
    int st;
    if (pt_wait(child, &st) < 0)
        return -1;
    int rc = 0;
    if (WIFSTOPPED(st) && forked)
        rc = bps_write(w, child, 1);
    if (WIFSTOPPED(st) && ptrace(PTRACE_DETACH, child, 0, 0) < 0)
        rc = ck_errno("detach from %d", (int)child);
    return rc;
}

/* Handles a fork/vfork/clone/exec event stop of the watched process. Returns 0 to go on
 * watching, 1 when the watch ends (a new program executed), -1 when it must end with an error
 * (a thread was started; the reason is recorded). */
static int handle_event(struct watch *w, int ev)
{
    unsigned long msg = 0;
    ptrace(PTRACE_GETEVENTMSG, w->pid, 0, &msg);
    switch (ev) {
    case PTRACE_EVENT_FORK:
        if (release_child(w, (pid_t)msg, 1) < 0)
            fprintf(stderr, "ckpt: forked child %lu: %s\n", msg, ck_strerror());
        return 0;
    case PTRACE_EVENT_VFORK:
        /* The child runs in our memory until it execs or exits (the parent waits): take the
         * breakpoints out meanwhile, put them back at VFORK_DONE. */
        if (bps_write(w, w->pid, 1) < 0 || release_child(w, (pid_t)msg, 0) < 0)
            fprintf(stderr, "ckpt: vfork child %lu: %s\n", msg, ck_strerror());
        return 0;
    case PTRACE_EVENT_VFORK_DONE:
        if (bps_write(w, w->pid, 0) < 0)
            fprintf(stderr, "ckpt: re-arming after vfork: %s\n", ck_strerror());
        return 0;
    case PTRACE_EVENT_CLONE:
        /* A thread shares the breakpoints; ckpt checkpoints single-threaded processes only. */
        bps_write(w, w->pid, 1);
        w->nbp = 0;
        release_child(w, (pid_t)msg, 0);
        return ck_err("process %d started a thread (%lu): ckpt checkpoints single-threaded processes only; "
                      "watch ended, breakpoints removed", (int)w->pid, msg);
    case PTRACE_EVENT_EXEC:
        w->nbp = 0; /* gone with the old program */
        w->npend = 0;
        printf("process %d executed a new program: watch ended\n", (int)w->pid);
        return 1;
    }
    return 0;
}

static void run_cmd(struct watch *w, char *line, int *quit)
{
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = 0;
    char *arg = strchr(line, ' ');
    if (arg)
        *arg++ = 0;
    int rc = 0;
    if (!strcmp(line, "quit"))
        *quit = 1;
    else if (!strcmp(line, "add") && arg)
        for (char *save, *t = strtok_r(arg, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
            rc = func_add(w, t);
    else if (!strcmp(line, "remove") && arg)
        for (char *save, *t = strtok_r(arg, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
            rc = func_remove(w, t);
    else if (*line)
        rc = ck_err("unknown control command '%s' (add F, remove F, quit)", line);
    if (rc < 0)
        fprintf(stderr, "ckpt: %s\n", ck_strerror());
}

int watch_run(const struct watch_opts *o)
{
    static struct watch w;
    memset(&w, 0, sizeof w);
    static struct prefill pf;
    memset(&pf, 0, sizeof pf);
    w.pid = o->pid;
    w.o = o;
    char exe[64];
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)o->pid);
    if (ck_precheck(o->pid) < 0 || elf_load(&w.bin, exe) < 0 || exe_bias(o->pid, w.bin.entry, &w.bias) < 0)
        return -1;
    /* Unknown names are refused before the process is touched. */
    char *names = ck_xstrdup(o->funcs);
    for (char *save, *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const struct esym *s = elf_sym_named(&w.bin, t);
        if (!s || s->type != STT_FUNC) {
            char real[1024];
            ssize_t n = readlink(exe, real, sizeof real - 1);
            real[n > 0 ? n : 0] = 0;
            ck_err("no function named '%s' in %s; nothing was changed in process %d", t, n > 0 ? real : exe, (int)o->pid);
            free(names);
            elf_free(&w.bin);
            return -1;
        }
    }
    free(names);
    mkdir(o->dir, 0700);
    char ctl[4200];
    snprintf(ctl, sizeof ctl, "%s/control", o->dir);
    unlink(ctl);
    if (mkfifo(ctl, 0600) < 0)
        return ck_errno("mkfifo %s", ctl);
    int cfd = open(ctl, O_RDWR | O_NONBLOCK | O_CLOEXEC); /* RDWR: never sees EOF between writers */
    if (cfd < 0)
        return ck_errno("open %s", ctl);
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGCHLD);
    sigaddset(&ss, SIGINT);
    sigaddset(&ss, SIGTERM);
    sigprocmask(SIG_BLOCK, &ss, NULL);
    int sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
    if (pt_attach_stop(o->pid) < 0)
        return -1;
    /* Children and new programs must never meet our int3s untraced (they would die of SIGTRAP). */
    if (ptrace(PTRACE_SETOPTIONS, o->pid, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                                                   PTRACE_O_TRACEEXEC | PTRACE_O_TRACEVFORKDONE) < 0) {
        int e = errno;
        ptrace(PTRACE_DETACH, o->pid, 0, 0);
        errno = e;
        return ck_errno("set trace options on %d", (int)o->pid);
    }
    int rc = 0, quit = 0, stopped = 1, pending_sig = 0, exited = 0;
    char *list = ck_xstrdup(o->funcs);
    for (char *save, *t = strtok_r(list, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
        rc = func_add(&w, t);
    free(list);
    if (rc < 0)
        goto detach;
    /* While waiting for the first return, prepare a blank spare image in the background, so that
     * the first checkpoint too writes into existing page-cache pages (README: Spare image). */
    char prev[4200];
    ck_image_path(prev, sizeof prev - sizeof CK_SUFFIX_SPARE, o->dir);
    strcat(prev, CK_SUFFIX_SPARE);
    if (!o->no_spare && access(prev, F_OK) < 0 && prefill_start(&pf, o->dir, prefill_estimate(o->pid)) < 0)
        ck_warn("%s; the first checkpoint will write new pages", ck_strerror());
    char cmdbuf[4096];
    size_t cmdlen = 0;
    for (;;) {
        if (stopped) {
            if (quit || (o->max && w.count >= o->max))
                break;
            if (ptrace(PTRACE_CONT, o->pid, 0, pending_sig) < 0) {
                rc = ck_errno("continue %d", o->pid);
                break;
            }
            pending_sig = 0;
            stopped = 0;
        }
        int st;
        pid_t r = waitpid(o->pid, &st, __WALL | WNOHANG);
        if (r == 0) {
            struct pollfd pf[2] = {{sfd, POLLIN, 0}, {cfd, POLLIN, 0}};
            if (poll(pf, 2, -1) < 0 && errno != EINTR) {
                rc = ck_errno("poll");
                break;
            }
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == sizeof si)
                if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
                    quit = 1;
                    ptrace(PTRACE_INTERRUPT, o->pid, 0, 0);
                }
            ssize_t k;
            while ((k = read(cfd, cmdbuf + cmdlen, sizeof cmdbuf - 1 - cmdlen)) > 0) {
                cmdlen += k;
                cmdbuf[cmdlen] = 0;
            }
            if (cmdlen && strchr(cmdbuf, '\n'))
                ptrace(PTRACE_INTERRUPT, o->pid, 0, 0); /* commands are applied at the next stop */
            continue;
        }
        if (r < 0) {
            rc = ck_errno("waitpid");
            break;
        }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            exited = 1;
            printf("process %d exited\n", o->pid);
            break;
        }
        stopped = 1;
        char *nl;
        while ((nl = strchr(cmdbuf, '\n')) && cmdlen) {
            *nl = 0;
            run_cmd(&w, cmdbuf, &quit);
            size_t used = nl + 1 - cmdbuf;
            memmove(cmdbuf, nl + 1, cmdlen - used + 1);
            cmdlen -= used;
        }
        int ev = st >> 16, sig = WSTOPSIG(st);
        if (ev == PTRACE_EVENT_STOP) {
            /* group stop (SIGSTOP/SIGTSTP): stay stopped like an untraced process would */
            if (!quit && (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) {
                ptrace(PTRACE_LISTEN, o->pid, 0, 0);
                stopped = 0;
            }
            continue;
        }
        if (ev) {
            int r = handle_event(&w, ev);
            if (r < 0)
                rc = -1;
            if (r)
                quit = 1;
            continue;
        }
        if (sig == SIGTRAP) {
            int ours = 0;
            if (handle_trap(&w, &pending_sig, &ours) < 0) {
                rc = -1;
                fprintf(stderr, "ckpt: %s\n", ck_strerror());
                break;
            }
            if (!ours)
                pending_sig = SIGTRAP;
            continue;
        }
        pending_sig = sig;
    }
detach:
    if (!exited && o->kill_after && o->max && w.count >= o->max) {
        kill(o->pid, SIGKILL);
        int st;
        while (waitpid(o->pid, &st, __WALL) == o->pid && !WIFEXITED(st) && !WIFSIGNALED(st))
            ;
        exited = 1;
    }
    if (!exited) {
        if (!stopped) {
            ptrace(PTRACE_INTERRUPT, o->pid, 0, 0);
            int st;
            while (pt_wait(o->pid, &st) == 0 && WIFSTOPPED(st)) {
                if ((st >> 16) == PTRACE_EVENT_STOP)
                    break;
                if (st >> 16) {
                    handle_event(&w, st >> 16);
                } else if (WSTOPSIG(st) == SIGTRAP) {
                    int ours = 0;
                    handle_trap(&w, &pending_sig, &ours);
                    if (!ours)
                        pending_sig = SIGTRAP;
                } else {
                    pending_sig = WSTOPSIG(st);
                }
                ptrace(PTRACE_CONT, o->pid, 0, 0);
            }
        }
        if (remove_all(&w) < 0 && rc == 0)
            rc = -1;
        ptrace(PTRACE_DETACH, o->pid, 0, pending_sig);
    }
    prefill_stop(&pf);
    close(cfd);
    close(sfd);
    unlink(ctl);
    for (int i = 0; i < w.nf; i++)
        free(w.fname[i]);
    elf_free(&w.bin);
    return rc;
}

int watch_ctl(const char *dir, const char *cmd)
{
    char ctl[4200];
    snprintf(ctl, sizeof ctl, "%s/control", dir);
    int fd = open(ctl, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ck_errno("no watcher on %s (open %s)", dir, ctl);
    char line[4200];
    int n = snprintf(line, sizeof line, "%s\n", cmd);
    int rc = write(fd, line, n) == n ? 0 : ck_errno("write %s", ctl);
    close(fd);
    return rc;
}
