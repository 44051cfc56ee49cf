/* Test program: a PIE using libz (Debian's default build). compress_block, the watched function,
 * feeds one 4 KB block of deterministic data to a deflate stream that lives across calls (its
 * state allocated by libz); at the end the stream is finished, inflated and checked, and
 * OUT/final.txt gets "result ok CRC SIZE" (the same in every run). -DV2 changes report;
 * -DTHREADED adds a thread that keeps a compress2() call of its own in flight meanwhile,
 * started before the first block, or before block LATE when given.
 * Usage: zcount OUTDIR BLOCKS [LATE [WAIT]]   (WAIT: sleep 1 s before deflateInit) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef THREADED
#include <pthread.h>
#endif

static z_stream zs;
static unsigned long nalloc;

/* libz allocates through these (zalloc/zfree): a checkpoint at zalloc's return has libz's
 * deflateInit2_ on the stack, and libz holds pointers to these functions. */
__attribute__((noinline)) voidpf zalloc_counted(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    nalloc++;
    return calloc(items, size);
}

__attribute__((noinline)) static void zfree_counted(voidpf opaque, voidpf p)
{
    (void)opaque;
    free(p);
}
static unsigned char *out;
static size_t outlen, outcap;
static uLong crc;

static void fill(unsigned char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = "the quick brown fox jumps over the lazy dog "[(i * 7 + seed) % 44] ^ (unsigned char)(seed >> 3);
}

static void drain(int flush)
{
    unsigned char buf[8192];
    do {
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        deflate(&zs, flush);
        size_t got = sizeof buf - zs.avail_out;
        if (outlen + got > outcap)
            out = realloc(out, outcap = (outcap + got) * 2);
        memcpy(out + outlen, buf, got);
        outlen += got;
    } while (zs.avail_out == 0);
}

__attribute__((noinline)) void compress_block(unsigned i)
{
    unsigned char in[4096];
    fill(in, sizeof in, i);
    crc = crc32(crc, in, sizeof in);
    zs.next_in = in;
    zs.avail_in = sizeof in;
    drain(Z_NO_FLUSH);
}

__attribute__((noinline)) static const char *report(void)
{
#ifdef V2
    return "report v2";
#else
    return "report v1";
#endif
}

#ifdef THREADED
static volatile int done;
static void *side(void *arg)
{
    (void)arg;
    static unsigned char src[1 << 20], dst[(1 << 20) + 4096];
    fill(src, sizeof src, 99);
    while (!done) {
        uLongf n = sizeof dst;
        compress2(dst, &n, src, sizeof src, 9);
    }
    return NULL;
}
#endif

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    unsigned n = (unsigned)atoi(argv[2]);
#ifdef THREADED
    pthread_t t;
    unsigned late = argc > 3 ? (unsigned)atoi(argv[3]) : 0;
    if (!late)
        pthread_create(&t, NULL, side, NULL);
#endif
    zs.zalloc = zalloc_counted;
    zs.zfree = zfree_counted;
    if (argc > 4)
        usleep(1000000); /* time for a watcher to attach before deflateInit */
    deflateInit(&zs, 6);
    for (unsigned i = 0; i < n; i++) {
#ifdef THREADED
        if (late && i == late)
            pthread_create(&t, NULL, side, NULL);
#endif
        compress_block(i);
        usleep(2000);
    }
    zs.avail_in = 0;
    drain(Z_FINISH);
    deflateEnd(&zs);
    /* check: inflate everything and compare with the data again */
    unsigned char *back = malloc((size_t)n * 4096), *want = malloc(4096);
    uLongf blen = (uLongf)n * 4096;
    int ok = uncompress(back, &blen, out, outlen) == Z_OK && blen == (uLongf)n * 4096;
    for (unsigned i = 0; ok && i < n; i++) {
        fill(want, 4096, i);
        ok = !memcmp(back + (size_t)i * 4096, want, 4096);
    }
#ifdef THREADED
    done = 1;
    pthread_join(t, NULL);
#endif
    char path[4200];
    snprintf(path, sizeof path, "%s/final.txt", argv[1]);
    FILE *f = fopen(path, "w");
    fprintf(f, "result %s %08lx %zu %s allocs %lu\n", ok ? "ok" : "BAD", crc, outlen, report(), nalloc);
    fclose(f);
    return ok ? 0 : 1;
}
