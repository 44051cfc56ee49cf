#include "image.h"
#include "crc32c.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(struct ck_file_hdr) == 64, "file header is 64 bytes");
_Static_assert(sizeof(struct ck_rec_hdr) == 32, "record header is 32 bytes");
_Static_assert(sizeof(struct ck_mem) <= CK_PAGE, "mem header fits its page");

int ck_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;
    while (len) {
        ssize_t r = pwrite(fd, p, len, off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return ck_errno("writing image");
        }
        p += r;
        len -= r;
        off += r;
    }
    return 0;
}

int ck_pwrite_payload(int fd, int *dfd, const void *buf, size_t len, uint64_t off, uint64_t *direct)
{
    const char *p = buf;
    if (*dfd >= 0 && (uintptr_t)p % CK_PAGE == 0 && len % CK_PAGE == 0 && off % CK_PAGE == 0) {
        static int refuse = -1;
        if (refuse < 0)
            refuse = getenv("CKPT_TEST_DIRECT_EINVAL") != NULL; /* tests: act as a file system that refuses O_DIRECT */
        while (len) {
            ssize_t r = refuse ? (errno = EINVAL, -1) : pwrite(*dfd, p, len, off);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EINVAL)
                    return ck_errno("writing image (O_DIRECT)");
                *dfd = -1; /* refused: the rest, and every later payload, buffered */
                break;
            }
            if (r == 0)
                break;
            p += r;
            len -= r;
            off += r;
            *direct += r;
        }
    }
    return ck_pwrite_all(fd, p, len, off);
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* The spare may be written over only if it is a plain file of ours that nothing else links
 * and that no restored process maps (restore marks a mapped image CK_MODE_MAPPED): a
 * MAP_PRIVATE mapping shows the file's new bytes in every page not yet copied on write. */
static int spare_reusable(const struct stat *st)
{
    return S_ISREG(st->st_mode) && st->st_nlink == 1 && (st->st_mode & 07777) == CK_MODE_IMAGE &&
           st->st_uid == geteuid();
}

/* Takes over SPARE as PATH.tmp when that is safe; the descriptor, or -1. */
static int take_spare(struct ck_writer *w, const char *spare)
{
    struct stat st;
    if (lstat(spare, &st) < 0)
        return -1;
    if (!spare_reusable(&st) || rename(spare, w->tmp) < 0) {
        unlink(spare); /* mapped, or not ours to overwrite: a fresh file instead */
        return -1;
    }
    int fd = open(w->tmp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && (fstat(fd, &st) < 0 || !spare_reusable(&st))) {
        close(fd); /* swapped between the checks and the open */
        fd = -1;
    }
    /* Until the new header is written last, the file must not look like an image. */
    static const char blank[sizeof(struct ck_file_hdr)];
    if (fd >= 0 && ck_pwrite_all(fd, blank, sizeof blank, 0) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        unlink(w->tmp);
    return fd;
}

/* The previous image, else a blank one prepared by `watch` (prefill.c). */
static int open_spare(struct ck_writer *w)
{
    int fd = take_spare(w, w->spare);
    if (fd < 0) {
        char blank[sizeof w->final + 8]; /* ckw_open bounds the path to 4000 bytes */
        snprintf(blank, sizeof blank, "%s" CK_SUFFIX_BLANK, w->final);
        fd = take_spare(w, blank);
    }
    return fd;
}

int ckw_open(struct ck_writer *w, const char *path, int keep_spare)
{
    memset(w, 0, sizeof *w);
    w->fd = w->dfd = -1;
    if (strlen(path) > 4000)
        return ck_err("image path too long");
    snprintf(w->final, sizeof w->final, "%s", path);
    snprintf(w->tmp, sizeof w->tmp, "%s.tmp", path);
    snprintf(w->spare, sizeof w->spare, "%s" CK_SUFFIX_SPARE, path);
    w->keep_spare = keep_spare;
    if (keep_spare && (w->fd = open_spare(w)) >= 0)
        w->reused = 1;
    else
        w->fd = open(w->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, CK_MODE_IMAGE);
    if (w->fd < 0)
        return ck_errno("create %s", w->tmp);
    /* CKPT_DIRECT=1: large memory payloads are written through a second descriptor with
     * O_DIRECT: no fresh page-cache page per 4 KB (~3 us each on the VM measured), but the
     * mapped restore then reads the image back from disk (README: slower restore, so off by
     * default). A file system that refuses O_DIRECT (open or a write: EINVAL) gets buffered writes. */
    const char *d = getenv("CKPT_DIRECT");
    if (d && *d && strcmp(d, "0"))
        w->dfd = open(w->tmp, O_WRONLY | O_DIRECT | O_CLOEXEC);
    w->off = sizeof(struct ck_file_hdr);
    return 0;
}

int ckw_zero(struct ck_writer *w, uint64_t off, uint64_t len)
{
    if (!w->reused || !len)
        return 0;
    if (fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return 0;
    static const char zeros[64 << 10];
    while (len) { /* a file system without hole punching */
        size_t k = len < sizeof zeros ? len : sizeof zeros;
        if (ck_pwrite_all(w->fd, zeros, k, off) < 0)
            return -1;
        off += k;
        len -= k;
    }
    return 0;
}

int ckw_begin(struct ck_writer *w, uint32_t type, size_t align)
{
    uint64_t from = w->off;
    w->rec_hdr_off = align_up(w->off, 8);
    w->off = align_up(w->rec_hdr_off + sizeof(struct ck_rec_hdr), align);
    /* Padding is covered by no checksum, but a reused file must not keep old bytes anywhere. */
    if (ckw_zero(w, from, w->off - from) < 0)
        return -1;
    w->rec_type = type;
    w->rec_len = 0;
    w->rec_crc = 0;
    return 0;
}

int ckw_append(struct ck_writer *w, const void *data, size_t len)
{
    w->rec_crc = crc32c(w->rec_crc, data, len);
    if (ck_pwrite_all(w->fd, data, len, w->off) < 0)
        return -1;
    w->off += len;
    w->rec_len += len;
    return 0;
}

uint64_t ckw_reserve(struct ck_writer *w, size_t len, uint32_t crc)
{
    w->rec_crc = crc32c_combine(w->rec_crc, crc, len);
    uint64_t at = w->off;
    w->off += len;
    w->rec_len += len;
    return at;
}

int ckw_end(struct ck_writer *w)
{
    struct ck_rec_hdr h = {.type = w->rec_type, .len = w->rec_len,
                           .data_off = w->off - w->rec_len, .data_crc = w->rec_crc};
    h.hdr_crc = crc32c(0, &h, sizeof h);
    if (ck_pwrite_all(w->fd, &h, sizeof h, w->rec_hdr_off) < 0)
        return -1;
    w->nrec++;
    return 0;
}

int ckw_record(struct ck_writer *w, uint32_t type, const void *data, size_t len, size_t align)
{
    if (ckw_begin(w, type, align) < 0 || ckw_append(w, data, len) < 0)
        return -1;
    return ckw_end(w);
}

int ckw_finish(struct ck_writer *w)
{
    if (ckw_record(w, CK_REC_END, NULL, 0, 8) < 0)
        goto fail;
    if (w->dfd >= 0) {
        close(w->dfd);
        w->dfd = -1;
    }
    if (ftruncate(w->fd, w->off) < 0) {
        ck_errno("truncate image");
        goto fail;
    }
    struct ck_file_hdr fh = {.version = CK_VERSION, .hdr_size = sizeof fh, .file_size = w->off,
                             .nrecords = w->nrec};
    memcpy(fh.magic, CK_MAGIC, 8);
    fh.hdr_crc = crc32c(0, &fh, sizeof fh);
    if (ck_pwrite_all(w->fd, &fh, sizeof fh, 0) < 0)
        goto fail;
    if (close(w->fd) < 0) {
        w->fd = -1;
        ck_errno("close image");
        goto fail;
    }
    w->fd = -1;
    /* Swapped in atomically; the image it replaces becomes the spare (the previous checkpoint,
     * and the file the next checkpoint writes over). An exchange, not a rename over the old
     * image: ext4 flushes a file renamed over another (auto_da_alloc), 50-100 ms per 300 MB. */
    if (renameat2(AT_FDCWD, w->tmp, AT_FDCWD, w->final, RENAME_EXCHANGE) == 0) {
        if (!w->keep_spare || rename(w->tmp, w->spare) < 0)
            unlink(w->tmp);
        return 0;
    }
    if (errno != ENOENT && errno != EINVAL && errno != ENOSYS) {
        ck_errno("rename %s", w->tmp);
        goto fail;
    }
    /* No image yet (ENOENT), or a file system without exchange. */
    if (w->keep_spare) {
        unlink(w->spare);
        link(w->final, w->spare);
    }
    if (rename(w->tmp, w->final) < 0) {
        ck_errno("rename %s", w->tmp);
        goto fail;
    }
    return 0;
fail:
    ckw_abort(w);
    return -1;
}

void ckw_abort(struct ck_writer *w)
{
    if (w->dfd >= 0)
        close(w->dfd);
    w->dfd = -1;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    unlink(w->tmp);
}

const char *ck_rec_name(uint32_t t)
{
    switch (t) {
    case CK_REC_PROC: return "proc";
    case CK_REC_XSTATE: return "xstate";
    case CK_REC_MEM: return "mem";
    case CK_REC_FRAMES: return "frames";
    case CK_REC_SIGACT: return "sigact";
    case CK_REC_FD: return "fd";
    case CK_REC_TCP: return "tcp";
    case CK_REC_EXE: return "exe";
    case CK_REC_LIB: return "lib";
    case CK_REC_END: return "end";
    }
    return "unknown";
}

static size_t min_len(uint32_t t)
{
    switch (t) {
    case CK_REC_PROC: return sizeof(struct ck_proc);
    case CK_REC_MEM: return CK_PAGE;
    case CK_REC_SIGACT: return 64 * sizeof(struct ck_sigact);
    case CK_REC_FD: return sizeof(struct ck_fd);
    case CK_REC_TCP: return sizeof(struct ck_tcp);
    case CK_REC_EXE: return sizeof(struct ck_exe);
    case CK_REC_LIB: return sizeof(struct ck_lib);
    }
    return 0;
}

/* Whether the fixed-size string field F (an array) holds a terminating NUL. */
#define TERMINATED(f) (memchr((f), 0, sizeof(f)) != NULL)

/* What a record's consumers rely on beyond its checksum and minimum length: a checksum only
 * proves that the writer meant these bytes, and an image may be hand-made. NULL when sound,
 * else what is wrong. */
static const char *record_problem(uint32_t type, const void *data, uint64_t len)
{
    switch (type) {
    case CK_REC_PROC: {
        const struct ck_proc *p = data;
        if (!TERMINATED(p->func) || !TERMINATED(p->exe) || !TERMINATED(p->cwd))
            return "unterminated path or function name";
        for (int k = 0; k < 4; k++)
            if (!TERMINATED(p->special[k].name))
                return "unterminated special-mapping name";
        return NULL;
    }
    case CK_REC_MEM: {
        const struct ck_mem *m = data;
        if (!TERMINATED(m->name))
            return "unterminated mapping name";
        if (m->end <= m->start || (m->start | m->end) % CK_PAGE ||
            len != CK_PAGE + ((m->flags & CK_MEMF_NODATA) ? 0 : m->end - m->start))
            return "inconsistent bounds";
        return NULL;
    }
    case CK_REC_FD:
        return TERMINATED(((const struct ck_fd *)data)->path) ? NULL : "unterminated path";
    case CK_REC_TCP: {
        const struct ck_tcp *t = data;
        if (t->family != AF_INET && t->family != AF_INET6)
            return "unknown address family";
        if ((uint64_t)t->inq_len + t->outq_len > len - sizeof *t)
            return "queues longer than the record";
        return NULL;
    }
    case CK_REC_FRAMES:
        return len % sizeof(struct ck_frame) ? "length not a whole number of frames" : NULL;
    case CK_REC_EXE: {
        const struct ck_exe *e = data;
        return TERMINATED(e->interp) && e->build_id_len <= sizeof e->build_id ? NULL : "malformed executable record";
    }
    case CK_REC_LIB: {
        const struct ck_lib *l = data;
        return TERMINATED(l->path) && TERMINATED(l->soname) && l->build_id_len <= sizeof l->build_id
                   ? NULL : "malformed file record";
    }
    }
    return NULL;
}

int ck_image_open(struct ck_image *img, const char *path)
{
    memset(img, 0, sizeof *img);
    img->fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ck_errno("open image %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return ck_errno("stat image %s", path);
    }
    if ((size_t)st.st_size < sizeof(struct ck_file_hdr)) {
        close(fd);
        return ck_err("image %s is truncated (%lld bytes, smaller than its header)", path, (long long)st.st_size);
    }
    void *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return ck_errno("mmap image %s", path);
    }
    img->fd = fd;
    img->map = map;
    img->size = st.st_size;
    struct ck_file_hdr fh;
    memcpy(&fh, map, sizeof fh);
    if (memcmp(fh.magic, CK_MAGIC, 8) != 0) {
        ck_err("%s is not a ckpt image (bad magic)", path);
        goto bad;
    }
    uint32_t want = fh.hdr_crc;
    fh.hdr_crc = 0;
    if (crc32c(0, &fh, sizeof fh) != want) {
        ck_err("image %s is corrupt: header checksum mismatch", path);
        goto bad;
    }
    if (fh.version != CK_VERSION) {
        ck_err("image %s has format version %u; this ckpt reads version %u", path, fh.version, CK_VERSION);
        goto bad;
    }
    if (fh.file_size != img->size) {
        ck_err("image %s is truncated or extended: header says %llu bytes, file has %zu", path,
               (unsigned long long)fh.file_size, img->size);
        goto bad;
    }
    if (fh.nrecords == 0 || fh.nrecords > img->size / sizeof(struct ck_rec_hdr)) {
        ck_err("image %s is corrupt: implausible record count %llu", path, (unsigned long long)fh.nrecords);
        goto bad;
    }
    img->recs = ck_xmalloc(fh.nrecords * sizeof *img->recs);
    uint64_t off = sizeof fh;
    for (uint64_t i = 0; i < fh.nrecords; i++) {
        off = align_up(off, 8);
        if (off + sizeof(struct ck_rec_hdr) > img->size) {
            ck_err("image %s is truncated: record %llu header past end of file", path, (unsigned long long)i);
            goto bad;
        }
        struct ck_rec_hdr h;
        memcpy(&h, (char *)map + off, sizeof h);
        want = h.hdr_crc;
        h.hdr_crc = 0;
        if (crc32c(0, &h, sizeof h) != want) {
            ck_err("image %s is corrupt: record %llu header checksum mismatch", path, (unsigned long long)i);
            goto bad;
        }
        if (h.data_off % 8) { /* the writer aligns every payload; the records are read in place */
            ck_err("image %s is corrupt: record %llu (%s) payload misaligned", path, (unsigned long long)i,
                   ck_rec_name(h.type));
            goto bad;
        }
        if (h.data_off < off + sizeof h || h.data_off > img->size || h.len > img->size - h.data_off) {
            ck_err("image %s is truncated or corrupt: record %llu (%s) payload out of bounds", path,
                   (unsigned long long)i, ck_rec_name(h.type));
            goto bad;
        }
        const void *data = (char *)map + h.data_off;
        if (crc32c_par(data, h.len) != h.data_crc) {
            ck_err("image %s is corrupt: record %llu (%s) payload checksum mismatch", path,
                   (unsigned long long)i, ck_rec_name(h.type));
            goto bad;
        }
        if (h.len < min_len(h.type)) {
            ck_err("image %s is corrupt: record %llu (%s) too short", path, (unsigned long long)i, ck_rec_name(h.type));
            goto bad;
        }
        const char *problem = record_problem(h.type, data, h.len);
        if (problem) {
            ck_err("image %s is corrupt: record %llu (%s): %s", path, (unsigned long long)i, ck_rec_name(h.type), problem);
            goto bad;
        }
        img->recs[img->nrec++] = (struct ck_rec){h.type, data, h.len, h.data_off};
        off = h.data_off + h.len;
        if (h.type == CK_REC_END) {
            if (i + 1 != fh.nrecords) {
                ck_err("image %s is corrupt: END record before the last", path);
                goto bad;
            }
        } else if (h.type == CK_REC_PROC) {
            img->proc = data;
        }
    }
    if (img->recs[img->nrec - 1].type != CK_REC_END) {
        ck_err("image %s is truncated: no END record", path);
        goto bad;
    }
    if (!img->proc) {
        ck_err("image %s has no process record", path);
        goto bad;
    }
    return 0;
bad:
    ck_image_close(img);
    return -1;
}

void ck_image_close(struct ck_image *img)
{
    if (img->map)
        munmap(img->map, img->size);
    if (img->fd >= 0)
        close(img->fd);
    free(img->recs);
    memset(img, 0, sizeof *img);
    img->fd = -1;
}

void ck_image_describe(const struct ck_image *img, const char *path, FILE *out)
{
    const struct ck_proc *p = img->proc;
    fprintf(out, "image %s: format version %d, %zu records, %zu bytes, all checksums valid\n", path, CK_VERSION, img->nrec,
            img->size);
    fprintf(out, "process %llu, binary %s, cwd %s, trigger %s\n", (unsigned long long)p->pid, p->exe, p->cwd,
            p->func[0] ? p->func : "(dump)");
    fprintf(out, "rip %#llx rsp %#llx\n", p->regs.rip, p->regs.rsp);
    uint64_t mem = 0;
    for (size_t i = 0; i < img->nrec; i++) {
        const struct ck_rec *r = &img->recs[i];
        if (r->type == CK_REC_MEM) {
            const struct ck_mem *m = r->data;
            mem += m->end - m->start;
            fprintf(out, "mem   %#llx-%#llx prot %d kind %u %s\n", (unsigned long long)m->start, (unsigned long long)m->end,
                    m->prot, m->kind, m->name);
        } else if (r->type == CK_REC_EXE) {
            const struct ck_exe *e = r->data;
            fprintf(out, "exe   bias %#llx%s%s%s\n", (unsigned long long)e->bias, (e->flags & CK_EXE_PIE) ? " PIE" : "",
                    (e->flags & CK_EXE_DYNAMIC) ? " dynamic, interpreter " : " static", e->interp);
        } else if (r->type == CK_REC_LIB) {
            const struct ck_lib *l = r->data;
            char id[140] = "";
            for (uint32_t k = 0; k < l->build_id_len && k < 64; k++)
                snprintf(id + 2 * k, 3, "%02x", l->build_id[k]);
            fprintf(out, "lib   %#llx %s build-id %s\n", (unsigned long long)l->base, l->path, id[0] ? id : "(none)");
        } else if (r->type == CK_REC_FD) {
            const struct ck_fd *f = r->data;
            fprintf(out, "fd    %d kind %u flags %#o pos %llu %s\n", f->fd, f->kind, f->flags, (unsigned long long)f->pos, f->path);
        } else if (r->type == CK_REC_FRAMES) {
            const struct ck_frame *f = r->data;
            for (size_t k = 0; k < r->len / sizeof *f; k++)
                fprintf(out, "frame %zu ip %#llx\n", k, (unsigned long long)f[k].ip);
        }
    }
    fprintf(out, "memory %.1f MB\n", mem / 1e6);
}
