#include "restore.h"
#include "bindiff.h"
#include "dump.h"
#include "elfbin.h"
#include "fds.h"
#include "image.h"
#include "inject.h"
#include "libs.h"
#include "loader.h"
#include "memdump.h"
#include "procmaps.h"
#include "tcp.h"
#include "util.h"
#include "xlate.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/prctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct patch {
    size_t rec;
    uint64_t off, val;
};

struct plan {
    struct patch *patches;
    size_t npatches;
    struct ck_image img;
    struct elfbin o, n;
    struct bindiff d;
    const struct ck_proc *p;
    struct user_regs_struct regs;
    struct ck_sigact acts[64];
    uint8_t **bufs;      /* per record: writable copy of MEM data (after translation), or NULL */
    uint64_t guard;
    int have_guard;
    uint64_t old_rw_lo, old_rw_hi; /* saved BINRW range */
    char img_path[4200];           /* absolute path of the verified image */
    int copy;                      /* --copy: no mapped regions */
    struct ck_exe exe;             /* the checkpointed executable's record (zero for old images) */
    uint64_t ob, nb;               /* load bias of the old (checkpointed) and new executable */
    int dyn;                       /* dynamically linked: libraries, ld.so state, GOT (loader.c) */
};

/* Regions at least this large whose bytes restore unchanged are mapped from the image file
 * (MAP_PRIVATE, copy-on-write) instead of copied; smaller ones are not worth the syscalls. */
enum { MAP_MIN = 1 << 20 };

static const struct ck_mem *mem_of(const struct ck_rec *r) { return r->type == CK_REC_MEM ? r->data : NULL; }

static const uint8_t *mem_bytes(const struct ck_rec *r) { return (const uint8_t *)r->data + CK_PAGE; }

/* Where old memory at ADDR is in the image, or NULL. */
static const uint8_t *img_addr(struct plan *pl, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < pl->img.nrec; i++) {
        const struct ck_mem *m = mem_of(&pl->img.recs[i]);
        if (m && !(m->flags & CK_MEMF_NODATA) && addr >= m->start && addr + len <= m->end)
            return (pl->bufs[i] ? pl->bufs[i] : mem_bytes(&pl->img.recs[i])) + (addr - m->start);
    }
    return NULL;
}

struct wctx {
    struct plan *pl;
    size_t i;
};
static void *wcopy(void *ctx);

static uint8_t *writable_copy(struct plan *pl, size_t i)
{
    if (!pl->bufs[i]) {
        const struct ck_mem *m = mem_of(&pl->img.recs[i]);
        size_t len = m->end - m->start;
        pl->bufs[i] = ck_xmalloc(len);
        memcpy(pl->bufs[i], mem_bytes(&pl->img.recs[i]), len);
    }
    return pl->bufs[i];
}

static void *wcopy(void *ctx)
{
    struct wctx *c = ctx;
    return writable_copy(c->pl, c->i);
}

/* Writable bytes of old memory at ADDR (LEN within one saved region), or NULL. */
static uint8_t *img_addr_w(struct plan *pl, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < pl->img.nrec; i++) {
        const struct ck_mem *m = mem_of(&pl->img.recs[i]);
        if (m && !(m->flags & CK_MEMF_NODATA) && addr >= m->start && addr + len <= m->end)
            return writable_copy(pl, i) + (addr - m->start);
    }
    return NULL;
}

/* Loads and checks what needs no process: the image, both binaries, the files it mapped. */
static int load_plan(struct plan *pl, const struct restore_opts *o)
{
    char path[4200];
    ck_image_path(path, sizeof path, o->dir);
    if (ck_image_open(&pl->img, path) < 0)
        return -1;
    ck_phase("restore: verify");
    if (!realpath(path, pl->img_path))
        return ck_errno("realpath %s", path);
    pl->p = pl->img.proc;
    pl->bufs = calloc(pl->img.nrec, sizeof *pl->bufs);
    const char *old = o->old_binary ? o->old_binary : pl->p->exe;
    if (elf_load(&pl->o, old) < 0)
        return -1;
    if (pl->o.crc != pl->p->exe_crc || pl->o.size != pl->p->exe_size)
        return ck_err("%s is not the binary that was checkpointed (contents differ)%s", old,
                      o->old_binary ? "" : "; give the checkpointed build with --old-binary");
    if (elf_load(&pl->n, o->binary) < 0)
        return -1;
    for (size_t i = 0; i < pl->img.nrec; i++)
        if (pl->img.recs[i].type == CK_REC_EXE)
            pl->exe = *(const struct ck_exe *)pl->img.recs[i].data;
    pl->ob = pl->exe.bias;
    int odyn = pl->o.dy.interp[0] != 0, ndyn = pl->n.dy.interp[0] != 0;
    if (odyn != ndyn)
        return ck_err("refusing to restore: %s is %s linked and the checkpointed build %s", o->binary,
                      ndyn ? "dynamically" : "statically", odyn ? "dynamically" : "statically");
    if (!pl->o.is_exec && !(pl->exe.flags & CK_EXE_PIE))
        return ck_err("refusing to restore: the image has no load address for the position-independent %s "
                      "(checkpointed by an older ckpt)", old);
    pl->dyn = ndyn;
    if (pl->dyn && strcmp(pl->o.dy.interp, pl->n.dy.interp))
        return ck_err("refusing to restore: %s uses the dynamic linker %s, the checkpointed build %s", o->binary,
                      pl->n.dy.interp, pl->o.dy.interp);
    if (pl->dyn && (pl->o.dy.tls_memsz != pl->n.dy.tls_memsz || pl->o.dy.tls_align != pl->n.dy.tls_align))
        return ck_err("refusing to restore: the executable's thread-local storage changed size (%lu -> %lu bytes)",
                      (unsigned long)pl->o.dy.tls_memsz, (unsigned long)pl->n.dy.tls_memsz);
    /* Every mapped file must be the one that was mapped; the new build may need no other library. */
    for (size_t i = 0; i < pl->img.nrec; i++)
        if (pl->img.recs[i].type == CK_REC_LIB && libs_verify(pl->img.recs[i].data) < 0)
            return -1;
    for (size_t k = 0; k < pl->n.dy.nneeded; k++) {
        int found = 0;
        for (size_t i = 0; i < pl->img.nrec && !found; i++) {
            const struct ck_lib *l = pl->img.recs[i].data;
            if (pl->img.recs[i].type != CK_REC_LIB)
                continue;
            const char *b = strrchr(l->path, '/');
            found = !strcmp(l->soname, pl->n.dy.needed[k]) || !strcmp(b ? b + 1 : l->path, pl->n.dy.needed[k]);
        }
        if (!found)
            return ck_err("refusing to restore: %s needs %s, which the checkpointed process had not loaded", o->binary,
                          pl->n.dy.needed[k]);
    }
    if (bd_init(&pl->d, &pl->o, &pl->n, o->changed) < 0)
        return -1;
    pl->regs = pl->p->regs;
    return 0;
}

/* Everything that depends on where the new binary was loaded (bias NB): the stack, handlers,
 * data layout and every pointer into the old executable, translated. */
static int make_plan(struct plan *pl, const struct restore_opts *o, struct restore_stats *st, uint64_t nb)
{
    pl->nb = nb;
    bd_set_bias(&pl->d, pl->ob, nb);
    pl->regs = pl->p->regs;
    uint64_t ob = pl->ob;

    /* The paper's rule: only functions that did not change may be on the saved stack. */
    const struct ck_frame *fr = NULL;
    size_t nfr = 0;
    for (size_t i = 0; i < pl->img.nrec; i++)
        if (pl->img.recs[i].type == CK_REC_FRAMES) {
            fr = pl->img.recs[i].data;
            nfr = pl->img.recs[i].len / sizeof *fr;
        } else if (pl->img.recs[i].type == CK_REC_SIGACT) {
            memcpy(pl->acts, pl->img.recs[i].data, sizeof pl->acts);
        }
    if (!fr || nfr == 0)
        return ck_err("image has no saved call stack");
    if (!pl->d.same) {
        /* A partial unwind would hide frames from the changed-function check. */
        const struct esym *outer = elf_sym_at(&pl->o, fr[nfr - 1].ip - 1 - ob, 1);
        if (!outer || strcmp(outer->name, "_start"))
            return ck_err("refusing to restore: the saved call stack is incomplete (unwinding stopped in %s); "
                          "link with -Wl,--eh-frame-hdr", outer ? outer->name : "unknown code");
    }
    for (size_t i = 0; i < nfr; i++) {
        uint64_t ip = fr[i].ip, at = i ? ip - 1 : ip; /* a return address may sit just past its function */
        int in_exe = at >= pl->o.img_lo + ob && at < pl->o.img_hi + ob;
        const struct esym *s = in_exe ? elf_sym_at(&pl->o, at - ob, 1) : NULL;
        if (s && bd_changed(&pl->d, s))
            return ck_err("refusing to restore: function %s is on the saved stack (frame %zu) and differs in %s",
                          s->name, i, o->binary);
        uint64_t t;
        if (!s && in_exe && (at - ob < pl->o.text_lo || at - ob >= pl->o.text_hi))
            return ck_err("refusing to restore: frame %zu is outside the binary's code (pc %#lx)", i, (unsigned long)ip);
        if (!in_exe) {
            /* A shared library's frame: the library stays where it was, if it was saved. */
            int ok = 0;
            for (size_t k = 0; k < pl->img.nrec && !ok; k++) {
                const struct ck_mem *m = mem_of(&pl->img.recs[k]);
                ok = m && (m->prot & PROT_EXEC) && at >= m->start && at < m->end;
            }
            if (!ok)
                return ck_err("refusing to restore: frame %zu (pc %#lx) is in no saved code", i, (unsigned long)ip);
        }
        if (bd_xlate_text(&pl->d, ip, &t) < 0)
            return ck_err("refusing to restore: frame %zu cannot be translated: %s", i, ck_strerror());
        if (i == 0) {
            pl->regs.rip = t;
        } else if (t != ip) {
            if (!fr[i].ra_loc)
                return ck_err("refusing to restore: return address of frame %zu was not located", i);
            size_t k;
            for (k = 0; k < pl->img.nrec; k++) {
                const struct ck_mem *m = mem_of(&pl->img.recs[k]);
                if (m && !(m->flags & CK_MEMF_NODATA) && fr[i].ra_loc >= m->start && fr[i].ra_loc + 8 <= m->end)
                    break;
            }
            if (k == pl->img.nrec)
                return ck_err("return address slot %#lx not in saved memory", (unsigned long)fr[i].ra_loc);
            const struct ck_mem *m = mem_of(&pl->img.recs[k]);
            pl->patches = ck_xrealloc(pl->patches, (pl->npatches + 1) * sizeof *pl->patches);
            pl->patches[pl->npatches++] = (struct patch){k, fr[i].ra_loc - m->start, t};
            st->frames_moved++;
        }
    }
    /* Signal handlers (and glibc's restorer) move with their functions. */
    for (int s = 0; s < 64; s++) {
        struct ck_sigact *a = &pl->acts[s];
        uint64_t t;
        if (a->handler > 1) {
            if (bd_xlate_text(&pl->d, a->handler, &t) < 0)
                return ck_err("refusing to restore: handler of signal %d: %s", s + 1, ck_strerror());
            a->handler = t;
        }
        if (a->restorer && (a->flags & 0x04000000 /* SA_RESTORER */)) {
            if (bd_xlate_text(&pl->d, a->restorer, &t) < 0)
                return ck_err("refusing to restore: restorer of signal %d: %s", s + 1, ck_strerror());
            a->restorer = t;
        }
    }
    /* Data layout: identical, or every saved data object must exist with the same size. */
    pl->old_rw_lo = UINT64_MAX;
    for (size_t i = 0; i < pl->img.nrec; i++) {
        const struct ck_mem *m = mem_of(&pl->img.recs[i]);
        if (m && m->kind == CK_MEM_BINRW) {
            if (m->start < pl->old_rw_lo) pl->old_rw_lo = m->start;
            if (m->end > pl->old_rw_hi) pl->old_rw_hi = m->end;
        }
    }
    if (!pl->d.rw_same) {
        ck_info("data layout differs (%s): relocating data objects by name", pl->d.rw_why);
        for (size_t i = 0; i < pl->o.nsym; i++) {
            const struct esym *s = &pl->o.syms[i];
            if (s->type != STT_OBJECT || s->addr + ob < pl->old_rw_lo || s->addr + ob >= pl->old_rw_hi)
                continue;
            const struct esym *t = elf_sym_named(&pl->n, s->name);
            if (!t) {
                ck_warn("data object %s no longer exists; its saved value is dropped", s->name);
                continue;
            }
            if (t->size != s->size)
                return ck_err("refusing to restore: data layout changed: object %s is %lu bytes in the old binary "
                              "and %lu in the new one", s->name, (unsigned long)s->size, (unsigned long)t->size);
            if (t->addr < pl->n.rw_lo || t->addr + t->size > pl->n.rw_hi)
                return ck_err("refusing to restore: data object %s is no longer writable data", s->name);
        }
    }
    /* glibc's pointer guard (tcbhead_t.pointer_guard at fs:0x30) unmangles atexit/setjmp pointers. */
    const uint8_t *g = img_addr(pl, pl->p->regs.fs_base + 0x30, 8);
    if (g) {
        memcpy(&pl->guard, g, 8);
        pl->have_guard = 1;
    }
    /* Everything else that may point into the old image. */
    struct xlate_stats xs = {0};
    if (!pl->d.ident) {
        unsigned long long *gpr[] = {&pl->regs.rax, &pl->regs.rbx, &pl->regs.rcx, &pl->regs.rdx, &pl->regs.rsi,
                           &pl->regs.rdi, &pl->regs.r8, &pl->regs.r9, &pl->regs.r10, &pl->regs.r11,
                           &pl->regs.r12, &pl->regs.r13, &pl->regs.r14, &pl->regs.r15, &pl->regs.rbp};
        for (size_t i = 0; i < sizeof gpr / sizeof gpr[0]; i++)
            {
            uint64_t w = *gpr[i];
            xlate_word(&pl->d, &w, pl->guard, pl->have_guard, &xs);
            *gpr[i] = w;
        }
        for (size_t i = 0; i < pl->img.nrec; i++) {
            const struct ck_mem *m = mem_of(&pl->img.recs[i]);
            if (!m || (m->flags & CK_MEMF_NODATA) || m->kind == CK_MEM_SHFILE)
                continue;
            uint64_t from = m->kind == CK_MEM_STACK ? pl->p->regs.rsp - 128 : m->start;
            struct wctx c = {pl, i};
            xlate_region(&pl->d, m->start, pl->bufs[i] ? pl->bufs[i] : mem_bytes(&pl->img.recs[i]), m->end - m->start,
                         from, pl->guard, pl->have_guard, &xs, wcopy, &c);
        }
    }
    /* The unwound return addresses are authoritative (and must not be translated twice). */
    for (size_t i = 0; i < pl->npatches; i++)
        memcpy(writable_copy(pl, pl->patches[i].rec) + pl->patches[i].off, &pl->patches[i].val, 8);
    st->xl_code = xs.code;
    st->xl_data = xs.data;
    st->xl_mangled = xs.mangled;
    return 0;
}

static void free_plan(struct plan *pl)
{
    if (pl->bufs)
        for (size_t i = 0; i < pl->img.nrec; i++)
            free(pl->bufs[i]);
    free(pl->bufs);
    free(pl->patches);
    bd_free(&pl->d);
    elf_free(&pl->n);
    elf_free(&pl->o);
    ck_image_close(&pl->img);
}

/* At the exec stop of a position-independent BINARY (before ld.so has run): moves its mappings
 * from *NB to the checkpointed build's bias OB and rewrites AT_PHDR/AT_ENTRY on its stack, so
 * that ld.so loads and relocates it there. Pointers into the executable then keep their values
 * (nothing to translate for the same build; for an update the translation is the static
 * binary's). Left where it is (0 returned, *NB unchanged) when OB is not free. */
static int move_exe(pid_t pid, struct plan *pl, uint64_t *nb)
{
    uint64_t ob = pl->ob, lo = ob + pl->n.dy.load_lo, hi = lo + pl->n.dy.span;
    uint64_t olo = *nb + pl->n.dy.load_lo, ohi = olo + pl->n.dy.span;
    if (ob == *nb || !ob || getenv("CKPT_NO_MOVE"))
        return 0; /* CKPT_NO_MOVE=1: keep the kernel's (random) placement, e.g. to test translation */
    struct vma *v;
    int nv = maps_read(pid, &v);
    if (nv < 0)
        return -1;
    int rc = 0, busy = 0;
    for (int i = 0; i < nv; i++)
        busy |= v[i].start < hi && lo < v[i].end;
    for (size_t i = 0; i < pl->img.nrec; i++) {
        const struct ck_mem *m = mem_of(&pl->img.recs[i]);
        busy |= m && m->kind != CK_MEM_BINRW && m->start < hi && lo < m->end;
    }
    if (busy) {
        free(v);
        return 0;
    }
    struct user_regs_struct r;
    struct inj in;
    if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0 || inj_begin(&in, pid, r.rip) < 0) {
        free(v);
        return ck_errno("prepare %d", (int)pid);
    }
    int64_t delta = (int64_t)(ob - *nb);
    for (int i = 0; i < nv && rc == 0; i++) {
        if (v[i].start < olo || v[i].end > ohi)
            continue;
        long x = inj_syscall(&in, SYS_mremap, v[i].start, v[i].end - v[i].start, v[i].end - v[i].start,
                             MREMAP_MAYMOVE | MREMAP_FIXED, v[i].start + delta, 0);
        if (x < 0)
            rc = ck_err("move the new build to %#lx: mremap: %s", (unsigned long)(v[i].start + delta),
                        x > -4096 ? strerror((int)-x) : ck_strerror());
    }
    free(v);
    /* auxv: after argc, argv[] NULL, envp[] NULL on the initial stack */
    uint64_t sp = r.rsp, w, argc;
    if (rc == 0 && pt_read(pid, sp, &argc, 8) == 0) {
        uint64_t a = sp + 8 * (argc + 2);
        for (int k = 0; k < 100000 && pt_read(pid, a, &w, 8) == 0 && w; k++)
            a += 8;
        a += 8;
        for (int k = 0; k < 64 && rc == 0; k++, a += 16) {
            uint64_t av[2];
            if (pt_read(pid, a, av, 16) < 0 || av[0] == AT_NULL)
                break;
            if (av[0] == AT_PHDR || av[0] == AT_ENTRY) {
                av[1] += delta;
                rc = pt_write(pid, a + 8, &av[1], 8);
            }
        }
    }
    if (inj_end(&in, 1) < 0 && rc == 0)
        rc = -1;
    if (rc == 0)
        *nb = ob;
    return rc;
}

/* Starts BINARY under ptrace and runs it to main, so the C library has set itself up
 * (TLS, IRELATIVE-resolved string functions) for this binary before we overwrite its state.
 * *NB is where it was loaded; a position-independent build that the kernel placed over saved
 * memory is started again (address space layout randomisation picks another place). */
static pid_t start_new(struct plan *pl, const char *binary, uint64_t *nb)
{
    const struct esym *mainsym = elf_sym_named(&pl->n, "main");
    if (!mainsym)
        return ck_err("%s has no symbol 'main'", binary);
    for (int attempt = 0;; attempt++) {
        pid_t pid = fork();
        if (pid < 0)
            return ck_errno("fork");
        if (pid == 0) {
            setsid();
            ptrace(PTRACE_TRACEME, 0, 0, 0);
            /* The new build's ld.so must find the very library files the checkpointed process
             * mapped (it may have had LD_LIBRARY_PATH): their directories come first. */
            char *dirs = ck_xmalloc(1);
            size_t dl = 0;
            dirs[0] = 0;
            for (size_t i = 0; i < pl->img.nrec; i++) {
                const struct ck_lib *l = pl->img.recs[i].data;
                const char *sl;
                if (pl->img.recs[i].type != CK_REC_LIB || !l->is_elf || !(sl = strrchr(l->path, '/')))
                    continue;
                dirs = ck_xrealloc(dirs, dl + (sl - l->path) + 2);
                dl += sprintf(dirs + dl, "%s%.*s", dl ? ":" : "", (int)(sl - l->path), l->path);
            }
            const char *old = getenv("LD_LIBRARY_PATH");
            if (dl) {
                char *v = ck_xmalloc(dl + (old ? strlen(old) : 0) + 2);
                sprintf(v, "%s%s%s", dirs, old ? ":" : "", old ? old : "");
                setenv("LD_LIBRARY_PATH", v, 1);
            }
            char *argv[] = {(char *)binary, NULL};
            execv(binary, argv);
            _exit(127);
        }
        int st;
        if (pt_wait(pid, &st) < 0 || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return ck_err("cannot start %s", binary);
        }
        ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
        *nb = 0;
        if (!pl->n.is_exec && (exe_bias(pid, pl->n.entry, nb) < 0 || move_exe(pid, pl, nb) < 0))
            goto fail;
        uint64_t lo = *nb + pl->n.dy.load_lo, hi = lo + pl->n.dy.span;
        int clash = 0;
        for (size_t i = 0; i < pl->img.nrec && !clash && !pl->n.is_exec; i++) {
            const struct ck_mem *m = mem_of(&pl->img.recs[i]);
            clash = m && !(m->kind == CK_MEM_BINRW && pl->dyn) && m->start < hi && lo < m->end;
        }
        if (clash) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            if (attempt < 16)
                continue;
            return ck_err("%s is always loaded over memory of the checkpointed process (%#lx)", binary, (unsigned long)lo);
        }
        uint64_t at = mainsym->addr + *nb;
        errno = 0;
        long orig = ptrace(PTRACE_PEEKTEXT, pid, at, 0);
        long bp = (orig & ~0xffL) | 0xcc;
        if (errno || ptrace(PTRACE_POKETEXT, pid, at, bp) < 0 || ptrace(PTRACE_CONT, pid, 0, 0) < 0)
            goto fail;
        if (pt_wait(pid, &st) < 0 || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
            goto fail;
        struct user_regs_struct r;
        if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0 || r.rip != at + 1)
            goto fail;
        r.rip = at;
        if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_POKETEXT, pid, at, orig) < 0)
            goto fail;
        return pid;
    fail:
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return ck_err("%s did not reach main under ptrace", binary);
    }
}

static int sys(struct inj *in, long r, const char *what)
{
    (void)in;
    if (r >= 0)
        return 0;
    if (r > -4096)
        return ck_err("%s in the new process: %s", what, strerror((int)-r));
    return -1;
}

static int overlaps(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { return a < d && c < b; }

/* Puts [vvar]/[vdso] where the saved process had them: glibc cached their addresses. */
static int move_specials(struct inj *in, struct plan *pl, struct vma *v, int nv)
{
    struct { uint64_t from, to, len; } mv[4];
    int n = 0;
    for (int k = 0; k < 4 && pl->p->special[k].end; k++) {
        int found = 0;
        for (int i = 0; i < nv; i++)
            if (!strcmp(v[i].name, pl->p->special[k].name)) {
                if (v[i].end - v[i].start != pl->p->special[k].end - pl->p->special[k].start)
                    return ck_err("%s has a different size than at checkpoint (another kernel?)", v[i].name);
                mv[n].from = v[i].start;
                mv[n].to = pl->p->special[k].start;
                mv[n].len = v[i].end - v[i].start;
                n++;
                found = 1;
            }
        if (!found)
            return ck_err("the new process has no %s mapping", pl->p->special[k].name);
    }
    int need = 0;
    for (int k = 0; k < n; k++)
        need |= mv[k].from != mv[k].to;
    if (!need)
        return 0;
    /* Park them first so no move lands on another special mapping. */
    uint64_t park = 0x7e0000000000ull;
    for (int tries = 0; tries < 64; tries++, park += 0x100000000ull) {
        int bad = 0;
        for (size_t i = 0; i < pl->img.nrec && !bad; i++) {
            const struct ck_mem *m = mem_of(&pl->img.recs[i]);
            if (m && overlaps(park, park + 0x1000000, m->start, m->end))
                bad = 1;
        }
        for (int k = 0; k < n && !bad; k++)
            bad = overlaps(park, park + 0x1000000, mv[k].to, mv[k].to + mv[k].len) ||
                  overlaps(park, park + 0x1000000, mv[k].from, mv[k].from + mv[k].len);
        if (!bad)
            break;
    }
    uint64_t at = park;
    for (int k = 0; k < n; k++) {
        long r = inj_syscall(in, SYS_mremap, mv[k].from, mv[k].len, mv[k].len, MREMAP_MAYMOVE | MREMAP_FIXED, at, 0);
        if (sys(in, r, "park vdso") < 0)
            return -1;
        mv[k].from = at;
        at += mv[k].len + CK_PAGE;
    }
    for (int k = 0; k < n; k++) {
        long r = inj_syscall(in, SYS_mremap, mv[k].from, mv[k].len, mv[k].len, MREMAP_MAYMOVE | MREMAP_FIXED, mv[k].to, 0);
        if (sys(in, r, "move vdso") < 0)
            return -1;
    }
    return 0;
}

static int map_region(struct inj *in, uint64_t start, uint64_t end, int prot, int growsdown)
{
    long r = inj_syscall(in, SYS_mmap, start, end - start, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | (growsdown ? MAP_GROWSDOWN : 0), -1, 0);
    if (sys(in, r, "mmap") < 0)
        return ck_err("cannot map %#lx-%#lx in the new process: %s", (unsigned long)start, (unsigned long)end,
                      ck_strerror());
    if ((uint64_t)r != start)
        return ck_err("mmap placed %#lx at %#lx", (unsigned long)start, (unsigned long)r);
    (void)prot;
    return 0;
}

/* Whether saved region I can be mapped from the image file rather than copied: large, bytes
 * unchanged by translation, anonymous-like (not the stack, which must stay MAP_GROWSDOWN). */
static int mappable(struct plan *pl, size_t i)
{
    const struct ck_mem *m = mem_of(&pl->img.recs[i]);
    return !pl->copy && m && !(m->flags & CK_MEMF_NODATA) && !pl->bufs[i] && m->end - m->start >= MAP_MIN &&
           (m->kind == CK_MEM_ANON || m->kind == CK_MEM_HEAP || m->kind == CK_MEM_FILE) &&
           pl->img.recs[i].off % CK_PAGE == 0;
}

/* Opens the verified image in the new process and checks that the descriptor it got is the
 * very file we verified (same device and inode), so a swapped file cannot be mapped. */
static long open_image_in(struct inj *in, struct plan *pl)
{
    unsigned long pth = inj_put(in, 0, pl->img_path, strlen(pl->img_path) + 1);
    if (!pth)
        return -1;
    long fd = inj_syscall(in, SYS_open, pth, O_RDONLY | O_CLOEXEC, 0, 0, 0, 0);
    if (sys(in, fd, "open image") < 0)
        return -1;
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/fd/%ld", (int)in->pid, fd);
    struct stat a, b;
    if (stat(link, &a) < 0 || fstat(pl->img.fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        inj_syscall(in, SYS_close, fd, 0, 0, 0, 0, 0);
        return ck_err("the image file changed while restoring (%s)", pl->img_path);
    }
    return fd;
}

/* The saved bytes as checkpointed (before any translation): what ld.so's records really held. */
static const uint8_t *rd_cb(void *ctx, uint64_t addr, size_t len)
{
    struct plan *pl = ctx;
    for (size_t i = 0; i < pl->img.nrec; i++) {
        const struct ck_mem *m = mem_of(&pl->img.recs[i]);
        if (m && !(m->flags & CK_MEMF_NODATA) && addr >= m->start && addr + len <= m->end)
            return mem_bytes(&pl->img.recs[i]) + (addr - m->start);
    }
    return NULL;
}
static uint8_t *wr_cb(void *ctx, uint64_t addr, size_t len) { return img_addr_w(ctx, addr, len); }

struct callctx {
    struct inj *in;
    struct plan *pl;
};

static uint64_t call_cb(void *ctx, uint64_t fn)
{
    struct callctx *c = ctx;
    uint64_t hwcap = 0;
    proc_auxv(c->in->pid, AT_HWCAP, &hwcap);
    long r = inj_call(c->in, fn, hwcap, c->pl->p->regs.fs_base);
    return r == -1 ? 0 : (uint64_t)r;
}

/* Maps an unmodified private file mapping again (its identity was verified in load_plan). */
static int map_file(struct inj *in, const struct ck_mem *m)
{
    unsigned long pth = inj_put(in, 0, m->name, strlen(m->name) + 1);
    long fd = pth ? inj_syscall(in, SYS_open, pth, O_RDONLY | O_CLOEXEC, 0, 0, 0, 0) : -1;
    if (!pth || sys(in, fd, "open mapped file") < 0)
        return ck_err("%s: %s", m->name, ck_strerror());
    long r = inj_syscall(in, SYS_mmap, m->start, m->end - m->start, m->prot, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd,
                         m->file_off);
    inj_syscall(in, SYS_close, fd, 0, 0, 0, 0, 0);
    if (sys(in, r, "map file") < 0)
        return ck_err("%s at %#lx: %s", m->name, (unsigned long)m->start, ck_strerror());
    if ((uint64_t)r != m->start)
        return ck_err("mmap placed %s at %#lx", m->name, (unsigned long)r);
    return 0;
}

/* The new executable's writable segment (relro included) of a dynamically linked restore: the new
 * process's own (freshly relocated by ld.so) with the saved data laid over it (whole when the
 * layout is the same, object by object when not), then every GOT slot resolved in the
 * checkpointed process's libraries. Written last, once those libraries are in place. */
static int restore_exe_data(struct inj *in, struct plan *pl, struct restore_stats *st)
{
    uint64_t lo = pl->n.dy.rw_lo, len = pl->n.dy.rw_hi - pl->n.dy.rw_lo;
    if (!len)
        return 0;
    uint8_t *buf = ck_xmalloc(len);
    int rc = -1, n = 0;
    struct ld_scope sc = {0};
    if (pt_read(in->pid, pl->nb + lo, buf, len) < 0)
        goto out;
    if (pl->d.rw_same) {
        for (size_t i = 0; i < pl->img.nrec; i++) {
            const struct ck_mem *m = mem_of(&pl->img.recs[i]);
            if (!m || m->kind != CK_MEM_BINRW || (m->flags & CK_MEMF_NODATA))
                continue;
            const uint8_t *src = pl->bufs[i] ? pl->bufs[i] : mem_bytes(&pl->img.recs[i]);
            for (uint64_t a = m->start; a < m->end; a += CK_PAGE) {
                uint64_t link = a - pl->ob;
                if (link >= lo && link + CK_PAGE <= lo + len)
                    memcpy(buf + (link - lo), src + (a - m->start), CK_PAGE);
            }
        }
    } else {
        for (size_t i = 0; i < pl->o.nsym; i++) {
            const struct esym *s = &pl->o.syms[i];
            if (s->type != STT_OBJECT || !s->size || s->addr + pl->ob < pl->old_rw_lo || s->addr + pl->ob >= pl->old_rw_hi)
                continue;
            const struct esym *t = elf_sym_named(&pl->n, s->name);
            const uint8_t *src = img_addr(pl, s->addr + pl->ob, s->size);
            if (!t || !src || t->size != s->size || t->addr < lo || t->addr + t->size > lo + len)
                continue;
            memcpy(buf + (t->addr - lo), src, s->size);
        }
    }
    if (ld_scope(&pl->exe, &pl->img, rd_cb, pl, &sc) < 0)
        goto out;
    struct callctx cc = {in, pl};
    if (ld_fix_got(&pl->n.dy, pl->nb, &sc, buf, lo, len, call_cb, &cc, &n) < 0)
        goto out;
    ck_info("resolved %d GOT slots of the new build in %zu libraries", n, sc.n);
    /* Page by page: relro pages are read-only (written through ptrace), the rest writable. */
    struct vma *v;
    int nv = maps_read(in->pid, &v);
    if (nv < 0)
        goto out;
    for (uint64_t off = 0; off < len; off += CK_PAGE) {
        uint64_t a = pl->nb + lo + off;
        int ro = 0;
        for (int i = 0; i < nv; i++)
            if (a >= v[i].start && a < v[i].end)
                ro = !(v[i].prot & PROT_WRITE);
        if ((ro ? pt_write(in->pid, a, buf + off, CK_PAGE) : mem_put(in->pid, a, buf + off, CK_PAGE)) < 0) {
            free(v);
            goto out;
        }
    }
    free(v);
    st->mem_bytes += len;
    rc = 0;
out:
    ld_scope_free(&sc);
    free(buf);
    return rc;
}

static int restore_memory(struct inj *in, struct plan *pl, struct restore_stats *st)
{
    pid_t pid = in->pid;
    struct vma *v;
    int nv = maps_read(pid, &v);
    if (nv < 0)
        return -1;
    int rc = -1;
    long imgfd = -1;
    uint8_t *newrw = NULL;
    uint64_t nrw_lo = UINT64_MAX, nrw_hi = 0;
    uint64_t exe_ino = 0;
    struct ld_new nw = {0};
    struct dynelf ldso = {.fd = -1};
    {
        struct vma *e = NULL;
        uint64_t entry = pl->n.entry + pl->nb;
        for (int i = 0; i < nv; i++)
            if (v[i].inode && v[i].name[0] == '/' && v[i].start <= entry && entry < v[i].end)
                e = &v[i];
        if (!e) {
            ck_err("cannot find the binary's text in the new process");
            goto out;
        }
        exe_ino = e->inode;
    }
    const char *exe = NULL;
    for (int i = 0; i < nv; i++)
        if (v[i].inode == exe_ino)
            exe = v[i].name;
    if (pl->dyn) {
        /* ld.so's record of the executable: taken from the new process before its ld.so goes. */
        int np = 0;
        if (dynelf_load(&ldso, pl->n.dy.interp) < 0 || ld_read_new(pid, &ldso, &nw) < 0)
            goto out;
        struct ld_span os = {pl->ob + pl->o.dy.load_lo, pl->ob + pl->o.dy.load_lo + pl->o.dy.span};
        struct ld_span ns = {pl->nb + pl->n.dy.load_lo, pl->nb + pl->n.dy.load_lo + pl->n.dy.span};
        if (ld_patch(&nw, &pl->exe, &ldso, &pl->o.dy, &pl->n.dy, os, ns, rd_cb, wr_cb, pl, &np) < 0)
            goto out;
        ck_info("dynamic linker: %d words about the executable updated", np);
    }
    /* Relocated data: start from the new binary's freshly initialised data, then carry objects over. */
    for (int i = 0; i < nv; i++)
        if (mem_classify(&v[i], i ? &v[i - 1] : NULL, exe, exe_ino) == CK_MEM_BINRW) {
            if (v[i].start < nrw_lo) nrw_lo = v[i].start;
            if (v[i].end > nrw_hi) nrw_hi = v[i].end;
        }
    if (!pl->d.rw_same && !pl->dyn) {
        if (nrw_lo >= nrw_hi) {
            ck_err("new process has no writable data segment");
            goto out;
        }
        newrw = ck_xmalloc(nrw_hi - nrw_lo);
        if (pt_read(pid, nrw_lo, newrw, nrw_hi - nrw_lo) < 0)
            goto out;
        for (size_t i = 0; i < pl->o.nsym; i++) {
            const struct esym *s = &pl->o.syms[i];
            if (s->type != STT_OBJECT || s->addr < pl->old_rw_lo || s->addr >= pl->old_rw_hi)
                continue;
            const struct esym *t = elf_sym_named(&pl->n, s->name);
            const uint8_t *src = img_addr(pl, s->addr, s->size);
            if (!t || !src || t->addr < nrw_lo || t->addr + t->size > nrw_hi)
                continue;
            memcpy(newrw + (t->addr - nrw_lo), src, s->size);
        }
    }
    /* The kernel writes the rseq area (in the TLS we are about to unmap) on every return to user mode. */
    uint64_t rptr;
    uint32_t rsize, rsig;
    pt_rseq_config(pid, &rptr, &rsize, &rsig);
    if (rptr && sys(in, inj_syscall(in, SYS_rseq, rptr, rsize, 1 /* RSEQ_FLAG_UNREGISTER */, rsig, 0, 0),
                    "unregister rseq") < 0)
        goto out;
    /* Clear out everything but the new binary's code/read-only data, the kernel's mappings and
     * scratch; a dynamically linked build keeps its data too (restore_exe_data rewrites it). */
    for (int i = 0; i < nv; i++) {
        int keep = (v[i].inode == exe_ino && (pl->dyn || !(v[i].prot & PROT_WRITE))) || v[i].name[0] == '[' ? 1 : 0;
        if (!strcmp(v[i].name, "[heap]") || !strcmp(v[i].name, "[stack]") || !strncmp(v[i].name, "[anon", 5))
            keep = 0;
        if (pl->dyn && mem_classify(&v[i], i ? &v[i - 1] : NULL, exe, exe_ino) == CK_MEM_BINRW)
            keep = 1;
        if (v[i].start == in->scratch)
            keep = 1;
        if (keep)
            continue;
        if (sys(in, inj_syscall(in, SYS_munmap, v[i].start, v[i].end - v[i].start, 0, 0, 0, 0), "munmap") < 0)
            goto out;
    }
    if (move_specials(in, pl, v, nv) < 0)
        goto out;
    for (size_t i = 0; i < pl->img.nrec && imgfd < 0; i++) {
        if (!mappable(pl, i))
            continue;
        /* Marked first, so that no later checkpoint writes over a file this process maps
         * (image.c: the spare is reused only in mode CK_MODE_IMAGE). Unmarkable: copy. */
        if (fchmod(pl->img.fd, CK_MODE_MAPPED) < 0) {
            ck_warn("cannot mark %s as mapped (%s); copying memory instead of mapping it", pl->img_path,
                    strerror(errno));
            break;
        }
        if ((imgfd = open_image_in(in, pl)) < 0)
            goto out;
    }
    /* Saved regions. */
    for (size_t i = 0; i < pl->img.nrec; i++) {
        const struct ck_mem *m = mem_of(&pl->img.recs[i]);
        if (!m || (m->kind == CK_MEM_BINRW && (!pl->d.rw_same || pl->dyn)))
            continue;
        if (m->flags & CK_MEMF_FILEMAP) {
            if (map_file(in, m) < 0)
                goto out;
            continue;
        }
        if (m->kind == CK_MEM_SHFILE) {
            unsigned long pth = inj_put(in, 0, m->name, strlen(m->name) + 1);
            long fd = pth ? inj_syscall(in, SYS_open, pth, (m->prot & PROT_WRITE) ? O_RDWR : O_RDONLY, 0, 0, 0, 0) : -1;
            if (!pth || sys(in, fd, "open shared mapping") < 0)
                goto out;
            long r = inj_syscall(in, SYS_mmap, m->start, m->end - m->start, m->prot, MAP_SHARED | MAP_FIXED, fd, m->file_off);
            inj_syscall(in, SYS_close, fd, 0, 0, 0, 0, 0);
            if (sys(in, r, "map shared file") < 0)
                goto out;
            continue;
        }
        if (imgfd >= 0 && mappable(pl, i)) {
            /* Zero copy: the image's page-aligned payload, private and copy-on-write. */
            long r = inj_syscall(in, SYS_mmap, m->start, m->end - m->start, m->prot, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
                                 imgfd, pl->img.recs[i].off + CK_PAGE);
            if (sys(in, r, "map image") < 0)
                goto out;
            if ((uint64_t)r != m->start) {
                ck_err("mmap placed %#lx at %#lx", (unsigned long)m->start, (unsigned long)r);
                goto out;
            }
            st->mem_bytes += m->end - m->start;
            st->mapped_bytes += m->end - m->start;
            continue;
        }
        if (map_region(in, m->start, m->end, m->prot, m->kind == CK_MEM_STACK) < 0)
            goto out;
        if (!(m->flags & CK_MEMF_NODATA)) {
            const void *src = pl->bufs[i] ? pl->bufs[i] : mem_bytes(&pl->img.recs[i]);
            if (mem_put(pid, m->start, src, m->end - m->start) < 0)
                goto out;
            st->mem_bytes += m->end - m->start;
        }
        if (sys(in, inj_syscall(in, SYS_mprotect, m->start, m->end - m->start, m->prot, 0, 0, 0), "mprotect") < 0)
            goto out;
    }
    if (!pl->d.rw_same && !pl->dyn) {
        /* Not translated again: carried objects were translated with the rest of memory,
         * the fresh parts already hold new-binary addresses. */
        if (map_region(in, nrw_lo, nrw_hi, PROT_READ | PROT_WRITE, 0) < 0 || mem_put(pid, nrw_lo, newrw, nrw_hi - nrw_lo) < 0)
            goto out;
        st->mem_bytes += nrw_hi - nrw_lo;
    }
    if (pl->dyn && restore_exe_data(in, pl, st) < 0)
        goto out;
    rc = 0;
out:
    if (imgfd >= 0)
        inj_syscall(in, SYS_close, imgfd, 0, 0, 0, 0, 0);
    ld_free_new(&nw);
    dynelf_free(&ldso);
    free(newrw);
    free(v);
    return rc;
}

/* prctl(PR_SET_MM_MAP) acts on the caller, so it runs inside the new process; unlike the
 * single-field PR_SET_MM calls it needs no CAP_SYS_RESOURCE. Heap, stack and argument
 * bounds become the saved ones so brk()/sbrk() continue on the restored heap. */
static int set_brk(struct inj *in, struct plan *pl)
{
    if (!pl->p->brk)
        return 0;
    struct prctl_mm_map m;
    memset(&m, 0, sizeof m);
    m.start_code = ck_proc_stat(in->pid, 26);
    m.end_code = ck_proc_stat(in->pid, 27);
    m.start_data = ck_proc_stat(in->pid, 45);
    m.end_data = ck_proc_stat(in->pid, 46);
    m.start_brk = pl->p->start_brk ? pl->p->start_brk : pl->p->brk;
    m.brk = pl->p->brk;
    m.start_stack = pl->p->start_stack;
    m.arg_start = pl->p->arg_start;
    m.arg_end = pl->p->arg_end;
    m.env_start = pl->p->env_start;
    m.env_end = pl->p->env_end;
    m.exe_fd = (uint32_t)-1;
    unsigned long a = inj_put(in, 0, &m, sizeof m);
    if (!a)
        return -1;
    long r = inj_syscall(in, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, a, sizeof m, 0, 0);
    if (r < -4095)
        return -1;
    if (r < 0)
        ck_warn("cannot move the heap bounds (prctl PR_SET_MM_MAP: %s); malloc will fall back to mmap",
                strerror((int)-r));
    return 0;
}

/* Stops the still-running checkpointed process and freezes its TCP sockets so they vanish silently. */
static int take_over(struct plan *pl, int *frozen, int *nfrozen)
{
    pid_t old = pl->p->pid;
    if (pt_attach_stop(old) < 0)
        return -1;
    for (size_t k = 0; k < pl->img.nrec; k++) {
        const struct ck_fd *f = pl->img.recs[k].data;
        if (pl->img.recs[k].type != CK_REC_FD || (f->kind != CK_FD_TCP && f->kind != CK_FD_TCP_LISTEN))
            continue;
        if (f->kind != CK_FD_TCP)
            continue; /* listening sockets have no peer to hide from: they are just closed */
        int sk = fd_grab(old, f->fd);
        if (sk < 0)
            goto fail;
        frozen[(*nfrozen)++] = sk;
        {
            const struct ck_tcp *t = pl->img.recs[k + 1].data;
            if (tcp_check_unchanged(sk, t) < 0) {
                ck_err("refusing to restore: TCP connection on fd %d: %s", f->fd, ck_strerror());
                goto fail;
            }
        }
    }
    return 0;
fail:
    ptrace(PTRACE_DETACH, old, 0, 0);
    return -1;
}

int ck_restore(const struct restore_opts *o, pid_t *newpid, struct restore_stats *st)
{
    double t0 = ck_now();
    memset(st, 0, sizeof *st);
    struct plan pl;
    memset(&pl, 0, sizeof pl);
    pl.img.fd = pl.o.fd = pl.n.fd = -1;
    int rc = -1, *socks = NULL, frozen[256], nfrozen = 0, old_stopped = 0;
    pid_t pid = -1;
    pl.copy = o->copy;
    uint64_t nb = 0;
    if (load_plan(&pl, o) < 0)
        goto out;
    int ntcp = 0;
    for (size_t k = 0; k < pl.img.nrec; k++) {
        const struct ck_fd *f = pl.img.recs[k].data;
        if (pl.img.recs[k].type == CK_REC_FD && (f->kind == CK_FD_TCP || f->kind == CK_FD_TCP_LISTEN)) {
            ntcp++;
            if (k + 1 >= pl.img.nrec || pl.img.recs[k + 1].type != CK_REC_TCP) {
                ck_err("image is inconsistent: socket fd %d has no TCP record", f->fd);
                goto out;
            }
        }
    }
    if (ntcp > 256) {
        ck_err("too many sockets");
        goto out;
    }
    if (ntcp && !tcp_repair_available()) {
        ck_err("the image has TCP sockets and TCP_REPAIR is not available (needs root / CAP_NET_ADMIN)");
        goto out;
    }
    int alive = pl.p->starttime && ck_proc_starttime(pl.p->pid) == pl.p->starttime;
    if (alive && o->no_replace) {
        ck_err("the checkpointed process %d is still running (use without --no-replace to replace it)", (int)pl.p->pid);
        goto out;
    }
    if (o->check_only) {
        /* Checked as if the new build were loaded where the old one was. */
        rc = make_plan(&pl, o, st, pl.ob);
        goto out;
    }
    /* A fixed-address build's place is known: everything is checked before a process starts.
     * A PIE's translation needs the address it got (usually the old one, see move_exe). */
    if (pl.n.is_exec && make_plan(&pl, o, st, 0) < 0)
        goto out;
    pid = start_new(&pl, o->binary, &nb);
    if (pid < 0)
        goto out;
    ck_phase("restore: start new");
    if (!pl.n.is_exec && make_plan(&pl, o, st, nb) < 0)
        goto out;
    ck_phase("restore: plan");
    if (alive) {
        if (take_over(&pl, frozen, &nfrozen) < 0)
            goto out;
        old_stopped = 1;
    }
    struct inj in;
    if (inj_begin(&in, pid, elf_sym_named(&pl.n, "main")->addr + nb) < 0)
        goto out;
    if (inj_scratch(&in, 16 * CK_PAGE) < 0 || restore_memory(&in, &pl, st) < 0 || set_brk(&in, &pl) < 0)
        goto out;
    ck_phase("restore: memory");
    if (pl.p->rseq_ptr &&
        sys(&in, inj_syscall(&in, SYS_rseq, pl.p->rseq_ptr, pl.p->rseq_size, 0, pl.p->rseq_sig, 0, 0), "rseq") < 0)
        goto out;
    unsigned long cwd = inj_put(&in, 0, pl.p->cwd, strlen(pl.p->cwd) + 1);
    if (!cwd || sys(&in, inj_syscall(&in, SYS_chdir, cwd, 0, 0, 0, 0, 0), "chdir") < 0)
        goto out;
    for (int s = 1; s <= 64; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        unsigned long a = inj_put(&in, 0, &pl.acts[s - 1], sizeof pl.acts[0]);
        if (!a || sys(&in, inj_syscall(&in, SYS_rt_sigaction, s, a, 0, 8, 0, 0), "rt_sigaction") < 0)
            goto out;
    }
    if (fds_restore(&in, &pl.img, NULL, 0) < 0)
        goto out;
    /* Point of no return for the old process: its connections move to the new one. */
    if (old_stopped) {
        for (int i = 0; i < nfrozen; i++)
            if (tcp_freeze(frozen[i]) < 0)
                goto out;
        kill(pl.p->pid, SIGKILL);
        waitpid(pl.p->pid, NULL, __WALL);
        for (int i = 0; i < nfrozen; i++)
            close(frozen[i]);
        nfrozen = 0;
        old_stopped = 0;
        st->replaced = 1;
    }
    socks = malloc(pl.img.nrec * sizeof *socks);
    for (size_t k = 0; k < pl.img.nrec; k++) {
        socks[k] = -1;
        const struct ck_fd *f = pl.img.recs[k].data;
        if (pl.img.recs[k].type != CK_REC_FD)
            continue;
        const struct ck_tcp *t = pl.img.recs[k + 1].data;
        if (f->kind == CK_FD_TCP)
            socks[k] = tcp_restore(t, (const char *)t + sizeof *t);
        else if (f->kind == CK_FD_TCP_LISTEN)
            socks[k] = tcp_restore_listen(t);
        else
            continue;
        if (socks[k] < 0) {
            ck_err("fd %d: %s", f->fd, ck_strerror());
            goto out;
        }
    }
    if (fds_restore(&in, &pl.img, socks, 1) < 0)
        goto out;
    if (inj_end(&in, 0) < 0)
        goto out;
    /* Registers last: they refer to everything restored above. */
    if (ptrace(PTRACE_SETREGS, pid, 0, &pl.regs) < 0) {
        ck_errno("set registers");
        goto out;
    }
    for (size_t i = 0; i < pl.img.nrec; i++)
        if (pl.img.recs[i].type == CK_REC_XSTATE) {
            struct iovec iov = {(void *)pl.img.recs[i].data, pl.img.recs[i].len};
            if (ptrace(PTRACE_SETREGSET, pid, pl.p->xstate_kind, &iov) < 0) {
                struct iovec fx = {(void *)pl.img.recs[i].data, 512};
                if (ptrace(PTRACE_SETREGSET, pid, NT_PRFPREG, &fx) < 0) {
                    ck_errno("restore FPU state");
                    goto out;
                }
            }
        }
    if (ptrace(PTRACE_SETSIGMASK, pid, sizeof pl.p->sigmask, &pl.p->sigmask) < 0) {
        ck_errno("restore signal mask");
        goto out;
    }
    if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0) {
        ck_errno("detach");
        goto out;
    }
    *newpid = pid;
    pid = -1;
    ck_phase("restore: rest");
    rc = 0;
out:
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
    }
    if (old_stopped)
        ptrace(PTRACE_DETACH, pl.p->pid, 0, 0);
    for (int i = 0; i < nfrozen; i++)
        close(frozen[i]);
    if (socks) {
        for (size_t k = 0; k < pl.img.nrec; k++)
            if (socks[k] >= 0)
                close(socks[k]);
        free(socks);
    }
    free_plan(&pl);
    ck_phase("restore: cleanup");
    st->secs = ck_now() - t0;
    return rc;
}
