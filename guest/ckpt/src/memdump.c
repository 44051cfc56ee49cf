#include "memdump.h"
#include "inject.h"
#include "util.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

enum { CHUNK = 8 << 20 };

int mem_classify(const struct vma *v, const struct vma *prev, const char *exe, uint64_t exe_ino)
{
    if (v->name[0] == '[') {
        if (!strcmp(v->name, "[heap]"))
            return CK_MEM_HEAP;
        if (!strcmp(v->name, "[stack]"))
            return CK_MEM_STACK;
        if (!strncmp(v->name, "[anon", 5))
            return CK_MEM_ANON;
        return -1; /* [vdso], [vvar], [vsyscall]: the kernel's, moved not copied */
    }
    int is_exe = v->inode && v->inode == exe_ino && !strcmp(v->name, exe);
    if (is_exe)
        return (v->prot & PROT_WRITE) ? CK_MEM_BINRW : -1;
    if (!v->name[0] && prev && prev->inode == exe_ino && !strcmp(prev->name, exe) && prev->end == v->start &&
        (prev->prot & PROT_WRITE))
        return CK_MEM_BINRW; /* .bss beyond the file-backed data page */
    if (!v->name[0])
        return CK_MEM_ANON;
    if (v->shared)
        return CK_MEM_SHFILE;
    return CK_MEM_FILE;
}

int mem_dump(pid_t pid, struct ck_writer *w, struct ck_proc *p, uint64_t *bytes)
{
    struct vma *v;
    int n = maps_read(pid, &v);
    if (n < 0)
        return -1;
    struct stat st;
    char exelink[64];
    snprintf(exelink, sizeof exelink, "/proc/%d/exe", (int)pid);
    uint64_t exe_ino = stat(exelink, &st) == 0 ? st.st_ino : 0;
    char *buf = ck_xmalloc(CHUNK);
    int nspecial = 0, rc = -1;
    for (int i = 0; i < n; i++) {
        int kind = mem_classify(&v[i], i ? &v[i - 1] : NULL, p->exe, exe_ino);
        if (kind < 0) {
            if (v[i].name[0] == '[' && strcmp(v[i].name, "[vsyscall]") && nspecial < 4) {
                p->special[nspecial].start = v[i].start;
                p->special[nspecial].end = v[i].end;
                ck_copy(p->special[nspecial].name, sizeof p->special[0].name, v[i].name);
                nspecial++;
            }
            continue;
        }
        static char hdrpage[CK_PAGE];
        struct ck_mem *m = (struct ck_mem *)hdrpage;
        memset(hdrpage, 0, sizeof hdrpage);
        m->start = v[i].start;
        m->end = v[i].end;
        m->prot = v[i].prot;
        m->kind = kind;
        m->file_off = v[i].off;
        ck_copy(m->name, sizeof m->name, v[i].name);
        if (!(v[i].prot & PROT_READ) || kind == CK_MEM_SHFILE)
            m->flags = CK_MEMF_NODATA;
        ckw_begin(w, CK_REC_MEM, CK_PAGE);
        if (ckw_append(w, hdrpage, CK_PAGE) < 0)
            goto out;
        if (!(m->flags & CK_MEMF_NODATA)) {
            for (uint64_t a = v[i].start; a < v[i].end; a += CHUNK) {
                size_t len = v[i].end - a < CHUNK ? v[i].end - a : CHUNK;
                struct iovec l = {buf, len}, r = {(void *)a, len};
                ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
                if (got != (ssize_t)len && pt_read(pid, a, buf, len) < 0)
                    goto out;
                if (ckw_append(w, buf, len) < 0)
                    goto out;
            }
            *bytes += v[i].end - v[i].start;
        }
        if (ckw_end(w) < 0)
            goto out;
    }
    rc = 0;
out:
    free(buf);
    free(v);
    return rc;
}

int mem_put(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
    while (len) {
        size_t k = len < (1u << 30) ? len : (1u << 30);
        struct iovec l = {(void *)buf, k}, r = {(void *)addr, k};
        ssize_t put = process_vm_writev(pid, &l, 1, &r, 1, 0);
        if (put <= 0)
            return ck_errno("write %zu bytes into process %d at %#lx", k, (int)pid, (unsigned long)addr);
        buf = (const char *)buf + put;
        addr += put;
        len -= put;
    }
    return 0;
}
