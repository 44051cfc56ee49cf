#include "memdump.h"
#include "crc32c.h"
#include "inject.h"
#include "libs.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* Memory is copied by a two-stage pipeline on the two cores: this thread reads the tracee
 * (process_vm_readv) into one of NBUF buffers and checksums it; a writer thread writes full
 * buffers to the image with one pwrite each. */
enum { CHUNK = 4 << 20, NBUF = 4 };

struct pipe_buf {
    char *data;
    size_t len;
    uint64_t off;
    int full;
};

struct wpipe {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pipe_buf b[NBUF];
    int fd, dfd, stop, err, next_w;
    uint64_t direct;
    double t_write, t_read, t_crc, t_wait;
    char errmsg[256];
};

static void *writer_main(void *arg)
{
    struct wpipe *q = arg;
    for (int k = 0;; k = (k + 1) % NBUF) {
        pthread_mutex_lock(&q->mu);
        while (!q->b[k].full && !q->stop)
            pthread_cond_wait(&q->cv, &q->mu);
        if (!q->b[k].full) {
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        pthread_mutex_unlock(&q->mu);
        double t0 = ck_now();
        int rc = q->err ? 0 : ck_pwrite_payload(q->fd, &q->dfd, q->b[k].data, q->b[k].len, q->b[k].off, &q->direct);
        q->t_write += ck_now() - t0;
        pthread_mutex_lock(&q->mu);
        if (rc < 0 && !q->err) {
            q->err = 1;
            ck_copy(q->errmsg, sizeof q->errmsg, ck_strerror());
        }
        q->b[k].full = 0;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
}

/* Waits until buffer K is free (written). */
static struct pipe_buf *pipe_get(struct wpipe *q, int k)
{
    pthread_mutex_lock(&q->mu);
    while (q->b[k].full)
        pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
    return &q->b[k];
}

static void pipe_put(struct wpipe *q, int k)
{
    pthread_mutex_lock(&q->mu);
    q->b[k].full = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

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

int mem_dump(pid_t pid, struct ck_writer *w, struct ck_proc *p, uint64_t *bytes, uint64_t *holes, uint64_t *direct)
{
    struct vma *v;
    int n = maps_read(pid, &v);
    if (n < 0)
        return -1;
    struct stat st;
    char exelink[64];
    snprintf(exelink, sizeof exelink, "/proc/%d/exe", (int)pid);
    uint64_t exe_ino = stat(exelink, &st) == 0 ? st.st_ino : 0;
    struct wpipe q;
    memset(&q, 0, sizeof q);
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.cv, NULL);
    q.fd = w->fd;
    q.dfd = w->dfd; /* payloads are whole pages at page-aligned offsets from page-aligned (mmap) buffers */
    char *bufs = mmap(NULL, (size_t)CHUNK * NBUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bufs == MAP_FAILED) {
        free(v);
        return ck_errno("mmap copy buffers");
    }
    for (int k = 0; k < NBUF; k++)
        q.b[k].data = bufs + (size_t)k * CHUNK;
    char pmpath[64];
    snprintf(pmpath, sizeof pmpath, "/proc/%d/pagemap", (int)pid);
    int pmfd = getenv("CKPT_NO_HOLES") ? -1 : open(pmpath, O_RDONLY | O_CLOEXEC);
    pthread_t wt;
    if (pthread_create(&wt, NULL, writer_main, &q) != 0) {
        if (pmfd >= 0)
            close(pmfd);
        munmap(bufs, (size_t)CHUNK * NBUF);
        free(v);
        return ck_err("cannot start the writer thread");
    }
    int nspecial = 0, rc = -1, k = 0;
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
        struct stat fs;
        if (kind == CK_MEM_FILE && (v[i].prot & PROT_READ) && !(v[i].prot & PROT_WRITE) && !strstr(v[i].name, " (deleted)") &&
            stat(v[i].name, &fs) == 0 && fs.st_ino == v[i].inode && vma_unmodified(pmfd, &v[i]))
            m->flags = CK_MEMF_NODATA | CK_MEMF_FILEMAP; /* libs_dump records the file's identity */
        if (ckw_begin(w, CK_REC_MEM, CK_PAGE) < 0 || ckw_append(w, hdrpage, CK_PAGE) < 0)
            goto out;
        if (!(m->flags & CK_MEMF_NODATA)) {
            /* Anonymous pages that were never touched (not present, not swapped) are zero:
             * they are left as holes in the (sparse) image file, neither read nor written. */
            int sparse = pmfd >= 0 && (kind == CK_MEM_ANON || kind == CK_MEM_HEAP || kind == CK_MEM_STACK);
            for (uint64_t a = v[i].start; a < v[i].end; a += CHUNK) {
                size_t len = v[i].end - a < CHUNK ? v[i].end - a : CHUNK;
                size_t pre = 0, dlen = len;
                if (sparse) {
                    static uint64_t pm[CHUNK / CK_PAGE];
                    size_t np = len / CK_PAGE, lo = np, hi = 0;
                    if (pread(pmfd, pm, np * 8, a / CK_PAGE * 8) == (ssize_t)(np * 8)) {
                        for (size_t j = 0; j < np; j++)
                            if (pm[j] >> 62) { /* bit 63 present, bit 62 swapped */
                                if (lo == np)
                                    lo = j;
                                hi = j + 1;
                            }
                        if (lo == np) {
                            if (ckw_zero(w, ckw_reserve(w, len, crc32c_zeros(len)), len) < 0)
                                goto out;
                            *holes += len;
                            continue;
                        }
                        pre = lo * CK_PAGE;
                        dlen = (hi - lo) * CK_PAGE;
                        *holes += len - dlen;
                    }
                }
                double t0 = ck_now();
                struct pipe_buf *b = pipe_get(&q, k);
                double t1 = ck_now();
                struct iovec l = {b->data, dlen}, r = {(void *)(a + pre), dlen};
                ssize_t got = process_vm_readv(pid, &l, 1, &r, 1, 0);
                if (got != (ssize_t)dlen && pt_read(pid, a + pre, b->data, dlen) < 0)
                    goto out;
                double t2 = ck_now();
                uint32_t crc = crc32c(0, b->data, dlen);
                if (pre)
                    crc = crc32c_combine(crc32c_zeros(pre), crc, dlen);
                if (len - pre - dlen)
                    crc = crc32c_combine(crc, crc32c_zeros(len - pre - dlen), len - pre - dlen);
                b->len = dlen;
                b->off = ckw_reserve(w, len, crc) + pre;
                if (ckw_zero(w, b->off - pre, pre) < 0 || ckw_zero(w, b->off + dlen, len - pre - dlen) < 0)
                    goto out;
                q.t_wait += t1 - t0;
                q.t_read += t2 - t1;
                q.t_crc += ck_now() - t2;
                pipe_put(&q, k);
                k = (k + 1) % NBUF;
            }
            *bytes += v[i].end - v[i].start;
        }
        if (ckw_end(w) < 0)
            goto out;
    }
    rc = 0;
out:
    pthread_mutex_lock(&q.mu);
    q.stop = 1;
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
    pthread_join(wt, NULL);
    if (getenv("CKPT_TIMING"))
        fprintf(stderr, "ckpt: memory pipeline: read %.1f ms, crc %.1f ms, wait %.1f ms; write %.1f ms (%.1f MB O_DIRECT)\n",
                q.t_read * 1e3, q.t_crc * 1e3, q.t_wait * 1e3, q.t_write * 1e3, q.direct / 1e6);
    *direct += q.direct;
    if (q.dfd < 0 && w->dfd >= 0) { /* O_DIRECT refused: later writers need not try again */
        close(w->dfd);
        w->dfd = -1;
    }
    if (q.err && rc == 0)
        rc = ck_err("%s", q.errmsg);
    munmap(bufs, (size_t)CHUNK * NBUF);
    if (pmfd >= 0)
        close(pmfd);
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
