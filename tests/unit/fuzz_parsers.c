/* libFuzzer harness for the parsers that read outside input: the multiboot2 information
 * (mb2_parse, then the memory map fed to palloc), the config module (config_parse) and
 * the guest kernel image (pvh_load_elf, and for a bzImage bzimage_load and
 * bzimage_write_boot_params), and the replay log as hindsight-log reads it (header and events,
 * fixed and compact, through replay/codec.c). Only built with -DHS_FUZZ; the unit-test build
 * sees an empty file.
 *
 * Build (from the repository root):
 *   clang -std=c11 -g -O1 -D_GNU_SOURCE -DHS_FUZZ -fsanitize=fuzzer,address,undefined \
 *         -fno-sanitize-recover=undefined -Ivmm -Ireplay -Itests/unit \
 *         -o build/fuzz_parsers tests/unit/fuzz_parsers.c \
 *         vmm/mb2.c vmm/palloc.c vmm/config.c vmm/pvh.c vmm/bzimage.c vmm/format.c replay/codec.c
 * Run one target (mb2, config, pvh, bzimage or replaylog; unset = all five on every input):
 *   mkdir -p build/fuzz/pvh && HS_FUZZ_TARGET=pvh build/fuzz_parsers build/fuzz/pvh \
 *         tests/unit/fuzz_seeds/pvh -max_total_time=60
 * tests/unit/fuzz_seeds/<target>/ hold small valid inputs to start from. */
#ifdef HS_FUZZ
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bzimage.h"
#include "codec.h"
#include "config.h"
#include "lib.h"
#include "mb2.h"
#include "palloc.h"
#include "pvh.h"

#define GUEST_MEM (4u << 20)
/* A bzImage is placed at 16 MiB (its LOAD_PHYSICAL_ADDR) plus init_size: the loader needs more. */
#define BZ_GUEST_MEM (32u << 20)

enum { T_ALL, T_MB2, T_CONFIG, T_PVH, T_BZIMAGE, T_REPLAYLOG };
static int target = T_ALL;
static uint8_t *gmem, *bz_gmem;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *t = getenv("HS_FUZZ_TARGET");
    if (t && !strcmp(t, "mb2"))
        target = T_MB2;
    else if (t && !strcmp(t, "config"))
        target = T_CONFIG;
    else if (t && !strcmp(t, "pvh"))
        target = T_PVH;
    else if (t && !strcmp(t, "bzimage"))
        target = T_BZIMAGE;
    else if (t && !strcmp(t, "replaylog"))
        target = T_REPLAYLOG;
    else if (t && *t) {
        fprintf(stderr, "HS_FUZZ_TARGET must be mb2, config, pvh, bzimage or replaylog\n");
        exit(2);
    }
    gmem = malloc(GUEST_MEM);
    bz_gmem = malloc(BZ_GUEST_MEM);
    return 0;
}

/* A string the parser handed out must be terminated inside [lo, hi). */
static void check_in(const char *s, const void *lo, size_t n)
{
    const char *b = lo;
    if (!s || s[0] == 0)
        return;
    if (s < b || s >= b + n || !memchr(s, 0, (size_t)(b + n - s)))
        __builtin_trap();
}

static void fuzz_mb2(const uint8_t *data, size_t size)
{
    if (size < 8 || size > (1u << 20))
        return;
    /* An exact-size, 8-aligned copy with total_size patched to the input length. */
    uint8_t *blk = malloc(size);
    memcpy(blk, data, size);
    uint32_t total = (uint32_t)size;
    memcpy(blk, &total, 4);
    static struct mb2_info info;
    char err[160];
    if (mb2_parse(blk, &info, err, sizeof(err)) == 0) {
        if (info.n_mmap == 0 || info.n_mmap > MB2_MAX_MMAP || info.n_modules > MB2_MAX_MODULES ||
            info.total_size != size)
            __builtin_trap();
        check_in(info.cmdline, blk, size);
        check_in(info.loader, blk, size);
        for (unsigned i = 0; i < info.n_modules; i++) {
            check_in(info.modules[i].cmdline, blk, size);
            if (info.modules[i].end < info.modules[i].start)
                __builtin_trap();
        }
        mb2_find_module(&info, "config");
        mb2_find_module(&info, "kernel");
        /* What main.c does next: the memory map into the page allocator. */
        enum { NPAGES = 4096 + 17 };
        static uint64_t bits[(NPAGES + 63) / 64];
        struct palloc pa;
        palloc_init(&pa, bits, NPAGES);
        for (unsigned i = 0; i < info.n_mmap; i++)
            if (info.mmap[i].type == MB2_MMAP_AVAILABLE)
                palloc_add_free(&pa, info.mmap[i].base, info.mmap[i].len);
        palloc_reserve(&pa, 0, 1ull << 20);
        for (unsigned i = 0; i < info.n_modules; i++)
            palloc_reserve(&pa, info.modules[i].start, info.modules[i].end - info.modules[i].start);
        uint64_t before = pa.free_pages, a = palloc_alloc(&pa, 3, 2ull << 20);
        if (a && (a % (2ull << 20) || a / PAGE_SIZE + 3 > NPAGES || pa.free_pages != before - 3))
            __builtin_trap();
        if (a < (1ull << 20) && a)
            __builtin_trap();
        palloc_largest_free(&pa);
    } else if (!memchr(err, 0, sizeof(err))) {
        __builtin_trap();
    }
    free(blk);
}

static void fuzz_config(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    struct config c;
    char err[160];
    config_defaults(&c);
    if (config_parse(&c, text, size, err, sizeof(err)) == 0) {
        if (c.guest_mem < (2ull << 20) || c.guest_mem % (2ull << 20) || (c.cores != 1 && c.cores != 2) ||
            !memchr(c.kernel, 0, sizeof(c.kernel)) || !c.kernel[0] || !memchr(c.initrd, 0, sizeof(c.initrd)) ||
            !memchr(c.cmdline, 0, sizeof(c.cmdline)) || !memchr(c.backup_cmdline, 0, sizeof(c.backup_cmdline)) ||
            c.console == 0)
            __builtin_trap();
    } else if (!memchr(err, 0, sizeof(err)) || strncmp(err, "config line ", 12)) {
        __builtin_trap();
    }
    free(text);
}

static void fuzz_pvh(const uint8_t *data, size_t size)
{
    uint8_t *img = malloc(size ? size : 1);
    memcpy(img, data, size);
    struct pvh_kernel k;
    char err[200];
    if (pvh_load_elf(img, size, gmem, GUEST_MEM, &k, err, sizeof(err)) == 0) {
        if (k.lo < 0x100000 || k.hi > GUEST_MEM || k.lo >= k.hi || k.entry < k.lo || k.entry >= k.hi)
            __builtin_trap();
    } else if (!memchr(err, 0, sizeof(err))) {
        __builtin_trap();
    }
    free(img);
}

/* A check's message must be a terminated, non-empty line. */
static void check_err(const char *err, size_t n)
{
    const char *end = memchr(err, 0, n);
    if (!end || end == err || memchr(err, '\n', (size_t)(end - err)))
        __builtin_trap();
}

/* What hindsight-log does with one decoded event (checks, a line, a truncated line, stats);
 * i is its index in the log. */
static void fuzz_replay_event(const struct hs_event *ep, uint64_t i, const struct hs_log_header *h, uint64_t *base,
                              unsigned cap_seed)
{
    struct hs_event e = *ep;
    char err[200], line[HS_EVENT_LINE_MAX];
    int ok_seq = hs_event_check(&e, i + 1, err, sizeof(err)) == 0;
    if (!ok_seq)
        check_err(err, sizeof(err));
    int ok_any = hs_event_check(&e, 0, err, sizeof(err)) == 0;
    if (!ok_any)
        check_err(err, sizeof(err));
    /* Passing with a number means passing without one; a valid event has a name, an outcome. */
    if (ok_seq && (!ok_any || e.seq != i + 1))
        __builtin_trap();
    if (ok_any && (!strcmp(hs_event_type_name(e.type), "unknown") ||
                   (e.type == EV_END && !strcmp(hs_outcome_name(e.arg), "unknown"))))
        __builtin_trap();
    if (i == 0)
        *base = e.tsc;
    /* Any tsc_hz, not just a valid header's: the formatter must guard its own arithmetic. */
    int n = hs_event_format_time(line, sizeof(line), &e, h->tsc_hz, *base);
    if (n <= 0 || (size_t)n >= sizeof(line) || strlen(line) != (size_t)n)
        __builtin_trap();
    /* Truncated into an exact-size heap buffer: ASan sees any byte written past cap. */
    size_t cap = cap_seed % ((size_t)n + 2);
    char *small = cap ? malloc(cap) : NULL;
    if (hs_event_format_time(small, cap, &e, h->tsc_hz, *base) != n)
        __builtin_trap();
    if (cap && (strlen(small) != cap - 1 || strncmp(small, line, cap - 1)))
        __builtin_trap();
    free(small);
    if (hs_event_format(line, sizeof(line), &e) > n) /* the time only ever adds */
        __builtin_trap();
}

/* Two coder states alike, field by field (memcmp would see the padding). */
static int compact_eq(const struct hs_compact *a, const struct hs_compact *b)
{
    for (unsigned k = 0; k < HS_COMPACT_RIPS; k++)
        if (a->rips[k] != b->rips[k] || a->digests[k] != b->digests[k])
            return 0;
    return a->seq == b->seq && a->exit_seq == b->exit_seq && a->tsc == b->tsc && a->tsc_value == b->tsc_value &&
           a->con_hash == b->con_hash;
}

/* e through a compact encoder (enc) and back through its own decoder (re): lossless whatever e
 * holds, within HS_COMPACT_MAX bytes, the two states in step. */
static void fuzz_compact_round_trip(struct hs_compact *enc, struct hs_compact *re, const struct hs_event *e)
{
    uint8_t buf[HS_COMPACT_MAX];
    char err[200];
    size_t n = hs_compact_encode(enc, e, buf), used = 0;
    if (n < 4 || n > HS_COMPACT_MAX)
        __builtin_trap();
    /* From an exact-size heap copy: ASan sees a read past the event. */
    uint8_t *copy = malloc(n);
    memcpy(copy, buf, n);
    struct hs_event d;
    if (hs_compact_decode(re, copy, n, &d, &used, err, sizeof(err)) != 0 || used != n || memcmp(&d, e, sizeof(d)) ||
        !compact_eq(re, enc))
        __builtin_trap();
    free(copy);
}

/* The events of a compact log, decoded as hindsight-log does until an error or the end: every
 * decode reads only its n bytes (the input is libFuzzer's exact-size buffer), every proper
 * prefix of a decoded event is "need more" with the state untouched, and each decoded event
 * re-encodes losslessly. */
static void fuzz_replaylog_compact(const uint8_t *data, size_t size, const struct hs_log_header *h)
{
    struct hs_compact dec, enc, re;
    hs_compact_init(&dec);
    hs_compact_init(&enc);
    hs_compact_init(&re);
    struct hs_stats st;
    hs_stats_init(&st);
    uint64_t base = 0, i = 0, total = 0;
    char err[200];
    for (size_t off = sizeof(*h); off < size; i++) {
        struct hs_compact before = dec;
        struct hs_event e;
        size_t used = 0;
        err[0] = 0;
        int r = hs_compact_decode(&dec, data + off, size - off, &e, &used, err, sizeof(err));
        if (r == 1 || r == -1) {
            if (!compact_eq(&dec, &before))
                __builtin_trap();
            if (r == -1)
                check_err(err, sizeof(err));
            break;
        }
        if (r != 0 || used < 4 || used > HS_COMPACT_MAX || used > size - off)
            __builtin_trap();
        /* Cut short: more input needed, nothing moved. */
        size_t cuts[2] = { used - 1, data[off] % used };
        for (unsigned c = 0; c < 2; c++) {
            struct hs_compact again = before;
            struct hs_event x;
            size_t u = 777;
            if (hs_compact_decode(&again, data + off, cuts[c], &x, &u, err, sizeof(err)) != 1 || u != 777 ||
                !compact_eq(&again, &before))
                __builtin_trap();
        }
        fuzz_compact_round_trip(&enc, &re, &e);
        fuzz_replay_event(&e, i, h, &base, data[off + used - 1]);
        hs_stats_add_compact(&st, &e, used);
        total += used;
        off += used;
    }
    char table[2048];
    int n = hs_stats_format(table, sizeof(table), &st, h->tsc_hz);
    if (n <= 0 || (size_t)n >= sizeof(table) || strlen(table) != (size_t)n)
        __builtin_trap();
    if (st.total_events != i || st.total_log_bytes != total)
        __builtin_trap();
}

/* The input as a log file: a header, then events: compact ones if the header's format says so
 * (whether or not the rest of the header is valid), else 64-byte ones (a trailing partial one
 * ignored, as hindsight-log reports it without decoding it), which also go through the compact
 * codec and back. Whatever the bytes, every codec call must stay in its buffers and keep its
 * promises; the header's verdict does not stop the event checks, since the VMM checks ring
 * events that never had a header. */
static void fuzz_replaylog(const uint8_t *data, size_t size)
{
    struct hs_log_header h;
    uint8_t raw[HS_EVENT_SIZE];
    char err[200];
    if (size < sizeof(h))
        return;
    hs_log_header_decode(&h, data);
    hs_log_header_encode(raw, &h);
    if (memcmp(raw, data, sizeof(h)))
        __builtin_trap();
    if (hs_log_header_check(&h, err, sizeof(err)))
        check_err(err, sizeof(err));
    else if (h.magic != HS_LOG_MAGIC || h.version != HS_LOG_VERSION || h.event_size != HS_EVENT_SIZE ||
             (h.tsc_hz && h.tsc_hz < HS_TSC_HZ_MIN) || h.tsc_hz > HS_TSC_HZ_MAX ||
             !strcmp(hs_mode_name(h.mode), "unknown") ||
             (h.format != HS_LOG_FORMAT_FIXED && h.format != HS_LOG_FORMAT_COMPACT))
        __builtin_trap();
    if (h.format == HS_LOG_FORMAT_COMPACT) {
        fuzz_replaylog_compact(data, size, &h);
        return;
    }
    struct hs_stats st;
    struct hs_compact enc, re;
    hs_stats_init(&st);
    hs_compact_init(&enc);
    hs_compact_init(&re);
    uint64_t base = 0;
    for (size_t off = sizeof(h), i = 0; off + HS_EVENT_SIZE <= size; off += HS_EVENT_SIZE, i++) {
        struct hs_event e;
        hs_event_decode(&e, data + off);
        hs_event_encode(raw, &e);
        if (memcmp(raw, data + off, HS_EVENT_SIZE))
            __builtin_trap();
        fuzz_replay_event(&e, i, &h, &base, data[off + 5]);
        fuzz_compact_round_trip(&enc, &re, &e);
        hs_stats_add(&st, &e);
    }
    char table[2048];
    int n = hs_stats_format(table, sizeof(table), &st, h.tsc_hz);
    if (n <= 0 || (size_t)n >= sizeof(table) || strlen(table) != (size_t)n)
        __builtin_trap();
    if (st.total_events != (size - sizeof(h)) / HS_EVENT_SIZE)
        __builtin_trap();
}

static void fuzz_bzimage(const uint8_t *data, size_t size)
{
    uint8_t *img = malloc(size ? size : 1);
    memcpy(img, data, size);
    char err[200];
    struct bz_kernel k;
    if (bzimage_detect(img, size)) {
        if (bzimage_load(img, size, bz_gmem, BZ_GUEST_MEM, &k, err, sizeof(err)) == 0) {
            if (k.lo < BZ_LOAD_GPA || k.hi > BZ_GUEST_MEM || k.lo >= k.hi)
                __builtin_trap();
            /* What guest.c does next; an initrd at the top of guest RAM, then none. */
            if (bzimage_write_boot_params(img, size, bz_gmem, BZ_GUEST_MEM, "console=ttyS0 nokaslr",
                                          BZ_GUEST_MEM - (1u << 20), 4096, err, sizeof(err)) &&
                !memchr(err, 0, sizeof(err)))
                __builtin_trap();
            if (bzimage_write_boot_params(img, size, bz_gmem, BZ_GUEST_MEM, "", 0, 0, err, sizeof(err)) &&
                !memchr(err, 0, sizeof(err)))
                __builtin_trap();
        } else if (!memchr(err, 0, sizeof(err))) {
            __builtin_trap();
        }
    }
    free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (target == T_ALL || target == T_MB2)
        fuzz_mb2(data, size);
    if (target == T_ALL || target == T_CONFIG)
        fuzz_config(data, size);
    if (target == T_ALL || target == T_PVH)
        fuzz_pvh(data, size);
    if (target == T_ALL || target == T_REPLAYLOG)
        fuzz_replaylog(data, size);
    if (target == T_ALL || target == T_BZIMAGE)
        fuzz_bzimage(data, size);
    return 0;
}
#else
typedef int hs_fuzz_parsers_not_built; /* keeps the translation unit non-empty */
#endif
