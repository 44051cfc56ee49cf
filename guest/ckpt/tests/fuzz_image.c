/* Fuzzing the checkpoint image reader: ck_image_open, then ck_image_describe on whatever it
 * accepts. Each input is tried as it is, then with every checksum it can reach made valid, so
 * that the fuzzer gets past the CRCs to the structure checks behind them (a checksum proves
 * nothing against a hand-made image).
 *
 * Built two ways (Makefile):
 *   fuzz-image         clang -fsanitize=fuzzer,address,undefined: `make fuzz`
 *   fuzz-image-replay  gcc -fsanitize=address,undefined, -DCK_FUZZ_REPLAY: a test program.
 *     fuzz-image-replay --make-seeds DIR   writes hand-made images (checksums left for the
 *                                          harness to fix): ok-* must be accepted, bad-* refused
 *     fuzz-image-replay FILE...            runs each file both ways and checks that verdict */
#include "crc32c.h"
#include "image.h"
#include "util.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static FILE *devnull;

/* Opens SIZE bytes as an image (through a memfd, since the reader takes a path); 0 accepted. */
static int try_image(const uint8_t *data, size_t size)
{
    int fd = memfd_create("ckpt-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = -1;
    if (size == 0 || write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        struct ck_image img;
        rc = ck_image_open(&img, path);
        if (rc == 0) {
            ck_image_describe(&img, path, devnull);
            ck_image_close(&img);
        }
    }
    close(fd);
    return rc;
}

static uint64_t align8(uint64_t v) { return (v + 7) & ~7ull; }

/* Makes the file size and every checksum the reader will check valid, walking the records as
 * the reader does. */
static void fix_checksums(uint8_t *b, size_t size)
{
    if (size < sizeof(struct ck_file_hdr))
        return;
    struct ck_file_hdr fh;
    memcpy(&fh, b, sizeof fh);
    fh.file_size = size;
    uint64_t off = sizeof fh;
    for (uint64_t i = 0; i < fh.nrecords && i < 4096; i++) {
        off = align8(off);
        if (off + sizeof(struct ck_rec_hdr) > size)
            break;
        struct ck_rec_hdr h;
        memcpy(&h, b + off, sizeof h);
        int payload_ok = h.data_off >= off + sizeof h && h.data_off <= size && h.len <= size - h.data_off;
        if (payload_ok)
            h.data_crc = crc32c(0, b + h.data_off, h.len);
        h.hdr_crc = 0;
        h.hdr_crc = crc32c(0, &h, sizeof h);
        memcpy(b + off, &h, sizeof h);
        if (!payload_ok)
            break;
        off = h.data_off + h.len;
    }
    fh.hdr_crc = 0;
    fh.hdr_crc = crc32c(0, &fh, sizeof fh);
    memcpy(b, &fh, sizeof fh);
}

/* Both ways; the verdict of the fixed-up run. */
static int run_one(const uint8_t *data, size_t size)
{
    try_image(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return -1;
    memcpy(copy, data, size);
    fix_checksums(copy, size);
    int rc = try_image(copy, size);
    free(copy);
    return rc;
}

#ifndef CK_FUZZ_REPLAY
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    devnull = fopen("/dev/null", "w");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_one(data, size);
    return 0;
}
#else
/* A growing image in memory: records laid out as ckw_* does, checksums left at zero. */
struct seed {
    uint8_t *b;
    size_t size, cap;
    uint64_t nrec;
};

static void put(struct seed *s, uint64_t off, const void *p, size_t n)
{
    if (off + n > s->cap) {
        s->cap = (off + n) * 2;
        s->b = realloc(s->b, s->cap);
    }
    if (off > s->size)
        memset(s->b + s->size, 0, off - s->size);
    memcpy(s->b + off, p, n);
    if (off + n > s->size)
        s->size = off + n;
}

static void record(struct seed *s, uint32_t type, const void *data, size_t len, size_t align)
{
    uint64_t h_off = align8(s->size ? s->size : sizeof(struct ck_file_hdr));
    uint64_t d_off = (h_off + sizeof(struct ck_rec_hdr) + align - 1) / align * align;
    struct ck_rec_hdr h = {.type = type, .len = len, .data_off = d_off};
    put(s, h_off, &h, sizeof h);
    if (len)
        put(s, d_off, data, len);
    else if (d_off > s->size)
        put(s, d_off, "", 0);
    s->nrec++;
}

static int finish(struct seed *s, const char *dir, const char *name)
{
    record(s, CK_REC_END, NULL, 0, 8);
    struct ck_file_hdr fh = {.version = CK_VERSION, .hdr_size = sizeof fh, .nrecords = s->nrec};
    memcpy(fh.magic, CK_MAGIC, 8);
    put(s, 0, &fh, sizeof fh);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(s->b, 1, s->size, f) == s->size;
    if (f)
        fclose(f);
    free(s->b);
    memset(s, 0, sizeof *s);
    return ok ? 0 : -1;
}

enum { WITH_MEM = 1, WITH_TCP = 2 };

/* A small image: process record, optionally a memory region and a TCP connection. */
static void base(struct seed *s, int parts, struct ck_proc *p, struct ck_mem *m, struct ck_tcp *t, size_t tcp_extra)
{
    memset(s, 0, sizeof *s);
    s->size = sizeof(struct ck_file_hdr);
    s->b = calloc(1, s->size);
    s->cap = s->size;
    static uint8_t mem[CK_PAGE * 2];
    if (parts & WITH_MEM) {
        memcpy(mem, m, sizeof *m);
        memset(mem + CK_PAGE, 0x5a, CK_PAGE);
        record(s, CK_REC_MEM, mem, CK_PAGE + (m->end - m->start), CK_PAGE);
    }
    if (parts & WITH_TCP) {
        struct ck_fd fd = {.fd = 3, .kind = CK_FD_TCP};
        strcpy(fd.path, "socket:[1]");
        record(s, CK_REC_FD, &fd, sizeof fd, 8);
        uint8_t tb[sizeof *t + 16];
        memcpy(tb, t, sizeof *t);
        memset(tb + sizeof *t, 'q', sizeof tb - sizeof *t);
        record(s, CK_REC_TCP, tb, sizeof *t + tcp_extra, 8);
    }
    record(s, CK_REC_PROC, p, sizeof *p, 8);
}

static int make_seeds(const char *dir)
{
    struct seed s;
    struct ck_proc p;
    memset(&p, 0, sizeof p);
    strcpy(p.exe, "/bin/true");
    strcpy(p.cwd, "/");
    struct ck_mem m = {.start = 0x10000, .end = 0x11000, .prot = 3, .kind = CK_MEM_ANON};
    strcpy(m.name, "");
    struct ck_tcp t = {.fd = 3, .family = AF_INET, .inq_len = 6, .outq_len = 10};
    int rc = 0;
    base(&s, 0, &p, &m, &t, 16);
    rc |= finish(&s, dir, "ok-minimal");
    base(&s, WITH_MEM | WITH_TCP, &p, &m, &t, 16);
    rc |= finish(&s, dir, "ok-mem-fd-tcp");
    struct ck_proc bad = p;
    memset(bad.cwd, 'x', sizeof bad.cwd);
    base(&s, 0, &bad, &m, &t, 16);
    rc |= finish(&s, dir, "bad-unterminated-cwd");
    bad = p;
    memset(bad.special[3].name, 'v', sizeof bad.special[3].name);
    base(&s, 0, &bad, &m, &t, 16);
    rc |= finish(&s, dir, "bad-unterminated-special");
    struct ck_mem bm = m;
    memset(bm.name, 'n', sizeof bm.name);
    base(&s, WITH_MEM, &p, &bm, &t, 16);
    rc |= finish(&s, dir, "bad-unterminated-mem-name");
    base(&s, WITH_TCP, &p, &m, &t, 8); /* queues say 16 bytes, the record holds 8 */
    rc |= finish(&s, dir, "bad-tcp-queues-past-record");
    struct ck_tcp bt = t;
    bt.family = 12345;
    base(&s, WITH_TCP, &p, &m, &bt, 16);
    rc |= finish(&s, dir, "bad-tcp-family");
    /* the executable and mapped-file records of a dynamically linked process */
    struct ck_exe e = {.bias = 0x555555554000, .flags = CK_EXE_PIE | CK_EXE_DYNAMIC, .build_id_len = 20};
    strcpy(e.interp, "/lib64/ld-linux-x86-64.so.2");
    struct ck_lib l = {.base = 0x7f0000000000, .is_elf = 1, .build_id_len = 20};
    strcpy(l.path, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");
    strcpy(l.soname, "libz.so.1");
    base(&s, WITH_MEM, &p, &m, &t, 16);
    record(&s, CK_REC_EXE, &e, sizeof e, 8);
    record(&s, CK_REC_LIB, &l, sizeof l, 8);
    rc |= finish(&s, dir, "ok-exe-lib");
    struct ck_lib bl = l;
    memset(bl.path, 'p', sizeof bl.path);
    base(&s, 0, &p, &m, &t, 16);
    record(&s, CK_REC_LIB, &bl, sizeof bl, 8);
    rc |= finish(&s, dir, "bad-unterminated-lib-path");
    struct ck_exe be = e;
    be.build_id_len = 200; /* longer than its field */
    base(&s, 0, &p, &m, &t, 16);
    record(&s, CK_REC_EXE, &be, sizeof be, 8);
    rc |= finish(&s, dir, "bad-exe-build-id-length");
    return rc;
}

int main(int argc, char **argv)
{
    devnull = fopen("/dev/null", "w");
    if (argc == 3 && !strcmp(argv[1], "--make-seeds"))
        return make_seeds(argv[2]) ? 1 : 0;
    int pass = 0, fail = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            printf("FAIL: %s: cannot open\n", argv[i]);
            fail++;
            continue;
        }
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        int rc = run_one(buf, n), want_ok = !strncmp(name, "ok-", 3);
        if ((rc == 0) == want_ok || (strncmp(name, "ok-", 3) && strncmp(name, "bad-", 4))) {
            pass++;
        } else {
            printf("FAIL: %s: %s\n", name, rc == 0 ? "accepted" : ck_strerror());
            fail++;
        }
    }
    printf("%d images checked, %d as expected, %d not\n", pass + fail, pass, fail);
    return fail != 0;
}
#endif
