/* libFuzzer harness for the parsers that read outside input: the multiboot2 information
 * (mb2_parse, then the memory map fed to palloc), the config module (config_parse) and
 * the guest kernel image (pvh_load_elf, and for a bzImage bzimage_load and
 * bzimage_write_boot_params), and the replay log as hindsight-log reads it (header and events,
 * fixed and compact, through replay/codec.c); the COM2 debugger's GDB stub, monitor and mux
 * (bytes as received on COM2, against the fake target of dbg_fake.h) and its guest page-table
 * walker (random tables and addresses). Only built with -DHS_FUZZ; the unit-test build
 * sees an empty file.
 *
 * Build (from the repository root):
 *   clang -std=c11 -g -O1 -D_GNU_SOURCE -DHS_FUZZ -fsanitize=fuzzer,address,undefined \
 *         -fno-sanitize-recover=undefined -Ivmm -Ireplay -Itests/unit \
 *         -o build/fuzz_parsers tests/unit/fuzz_parsers.c \
 *         vmm/mb2.c vmm/palloc.c vmm/config.c vmm/pvh.c vmm/bzimage.c vmm/format.c replay/codec.c \
 *         vmm/debug/gva.c vmm/debug/target.c vmm/debug/gdbstub.c vmm/debug/monitor.c vmm/debug/dbgmux.c
 * Run one target (mb2, config, pvh, bzimage, replaylog, gdbstub or gva; unset = all on every input):
 *   mkdir -p build/fuzz/pvh && HS_FUZZ_TARGET=pvh build/fuzz_parsers build/fuzz/pvh \
 *         tests/unit/fuzz_seeds/pvh -max_total_time=60
 * tests/unit/fuzz_seeds/<target>/ hold small valid inputs to start from. */
#ifdef HS_FUZZ
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "acpi.h"
#include "bzimage.h"
#include "codec.h"
#include "config.h"
#include "lib.h"
#include "mb2.h"
#include "palloc.h"
#include "pvh.h"
#include "dbg_fake.h"
#include "debug/dbgmux.h"
#include "debug/gva.h"

#define GUEST_MEM (4u << 20)
/* A bzImage is placed at 16 MiB (its LOAD_PHYSICAL_ADDR) plus init_size: the loader needs more. */
#define BZ_GUEST_MEM (32u << 20)

enum { T_ALL, T_MB2, T_CONFIG, T_PVH, T_BZIMAGE, T_REPLAYLOG, T_GDBSTUB, T_GVA, T_MADT };
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
    else if (t && !strcmp(t, "gdbstub"))
        target = T_GDBSTUB;
    else if (t && !strcmp(t, "gva"))
        target = T_GVA;
    else if (t && !strcmp(t, "madt"))
        target = T_MADT;
    else if (t && *t) {
        fprintf(stderr, "HS_FUZZ_TARGET must be mb2, config, pvh, bzimage, replaylog, gdbstub, gva or madt\n");
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

/* ---- the COM2 debugger: GDB stub, monitor and mux (vmm/debug/) ---------------------------------- */

/* The fake target's RAM as it was before the input (restored each time: deterministic runs). */
#define DBG_RAM (4u << 20)
static struct fake dbg_f;
static uint8_t *dbg_pristine;
static struct dbg_regs dbg_regs0;
static uint64_t dbg_dirty[DBG_RAM / 4096 / 64]; /* pages written by the input: restored after it */

/* Guest-physical access must stay inside RAM whatever the input asks for. */
static long fuzz_dbg_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct fake *f = ctx;
    if (pa >= f->ram_size || len > f->ram_size - pa)
        __builtin_trap();
    memcpy(buf, f->ram + pa, len);
    return (long)len;
}

static long fuzz_dbg_write(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    struct fake *f = ctx;
    if (pa >= f->ram_size || len > f->ram_size - pa)
        __builtin_trap();
    memcpy(f->ram + pa, buf, len);
    for (uint64_t p = pa / 4096; len && p <= (pa + len - 1) / 4096; p++)
        dbg_dirty[p / 64] |= 1ull << (p % 64);
    return (long)len;
}

/* What the stub sends is a '+', a '-', or one whole packet with a right checksum that fits the
 * advertised PacketSize. */
static void fuzz_gdb_out(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    if (n == 1 && (b[0] == '+' || b[0] == '-'))
        return;
    if (n < 4 || n > GDB_PACKET_SIZE || b[0] != '$' || b[n - 3] != '#')
        __builtin_trap();
    uint8_t sum = 0;
    for (size_t i = 1; i < n - 3; i++) {
        if (b[i] == '#' || b[i] == '$')
            __builtin_trap();
        sum = (uint8_t)(sum + b[i]);
    }
    static const char hex[] = "0123456789abcdef";
    if (b[n - 2] != hex[sum >> 4] || b[n - 1] != hex[sum & 15])
        __builtin_trap();
}

/* The mux's output: the monitor's text, or the stub's packets once gdb spoke first. */
static void fuzz_mux_out(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    if (!n)
        __builtin_trap();
}

static void fuzz_mon_out(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    if (!n || memchr(b, 0, n)) /* the monitor never sends empty writes or NULs */
        __builtin_trap();
}

typedef enum dbg_action (*fuzz_stopped_fn)(void *, const struct dbg_stop *);

/* Carries out an action as the VMM would, with the stop reason chosen by the input; loops of
 * step requests (step N, vCont;r) are cut off. */
static void fuzz_dbg_run(enum dbg_action act, uint8_t pick, fuzz_stopped_fn stopped, void *who)
{
    static const enum dbg_stop_reason reasons[] = {
        DBG_STOP_STEP,  DBG_STOP_SWBREAK, DBG_STOP_HWBREAK, DBG_STOP_WATCH,     DBG_STOP_RWATCH, DBG_STOP_AWATCH,
        DBG_STOP_EVENT, DBG_STOP_PANIC,   DBG_STOP_END,     DBG_STOP_INTERRUPT, DBG_STOP_ERROR,
    };
    for (unsigned n = 0; n < 64 && act != DBG_ACT_NONE && act != DBG_ACT_DETACH && act != DBG_ACT_KILL; n++) {
        struct dbg_stop st = { DBG_STOP_STEP, dbg_f.regs.rip, (pick & 1) ? "fuzz" : NULL };
        if (act == DBG_ACT_STEP)
            fake_step(&dbg_f);
        else
            st.reason = reasons[(pick + n) % (sizeof(reasons) / sizeof(reasons[0]))];
        act = stopped(who, &st);
    }
}

static enum dbg_action fuzz_mux_stopped(void *x, const struct dbg_stop *st)
{
    return dbgmux_stopped(x, st);
}

static enum dbg_action fuzz_gdb_stopped(void *s, const struct dbg_stop *st)
{
    return gdb_stopped(s, st);
}

static enum dbg_action fuzz_mon_stopped(void *m, const struct dbg_stop *st)
{
    return monitor_stopped(m, st);
}

/* The input as bytes received on COM2: through the mux, and straight into a GDB stub and a
 * monitor of their own (so both see every input whatever its first byte). */
static void fuzz_gdbstub(const uint8_t *data, size_t size)
{
    if (!dbg_pristine) {
        fake_init(&dbg_f, DBG_RAM);
        dbg_f.t.read_phys = fuzz_dbg_read;
        dbg_f.t.write_phys = fuzz_dbg_write;
        dbg_pristine = malloc(DBG_RAM);
        memcpy(dbg_pristine, dbg_f.ram, DBG_RAM);
        dbg_regs0 = dbg_f.regs;
    }
    for (uint64_t p = 0; p < DBG_RAM / 4096; p++)
        if (dbg_dirty[p / 64] & (1ull << (p % 64)))
            memcpy(dbg_f.ram + p * 4096, dbg_pristine + p * 4096, 4096);
    memset(dbg_dirty, 0, sizeof(dbg_dirty));
    dbg_f.regs = dbg_regs0;
    memset(dbg_f.bp, 0, sizeof(dbg_f.bp));
    dbg_f.hw_supported = size && (data[0] & 0x40);
    dbg_f.regs_readonly = size && (data[0] & 0x80);
    static struct gdb_stub g, g2;
    static struct monitor m, m2;
    static struct dbgmux x;
    gdb_init(&g, &dbg_f.t, fuzz_mux_out, NULL);
    monitor_init(&m, &dbg_f.t, fuzz_mux_out, NULL);
    dbgmux_init(&x, &g, &m);
    gdb_init(&g2, &dbg_f.t, fuzz_gdb_out, NULL);
    monitor_init(&m2, &dbg_f.t, fuzz_mon_out, NULL);
    dbgmux_start(&x);
    for (size_t i = 0; i < size; i++) {
        uint8_t pick = data[(i * 7 + 3) % size];
        fuzz_dbg_run(dbgmux_input(&x, data[i]), pick, fuzz_mux_stopped, &x);
        fuzz_dbg_run(gdb_input(&g2, data[i]), pick, fuzz_gdb_stopped, &g2);
        fuzz_dbg_run(monitor_input(&m2, data[i]), pick, fuzz_mon_stopped, &m2);
    }
    /* Whatever happened, the sessions end cleanly and leave no breakpoint behind. */
    dbgmux_reset(&x);
    gdb_reset(&g2);
    monitor_reset(&m2);
    for (unsigned i = 0; i < FAKE_MAX_BP; i++)
        if (dbg_f.bp[i].used)
            __builtin_trap();
}

/* ---- the page-table walker (vmm/debug/gva.c) ------------------------------------------------------ */

struct fuzz_gva_mem {
    const uint8_t *ram;
    uint64_t size;
    unsigned reads;
};

static long fuzz_gva_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct fuzz_gva_mem *m = ctx;
    if (pa >= m->size || len > m->size - pa || len > 8 || ++m->reads > 5)
        __builtin_trap(); /* outside RAM, not an entry, or a walk longer than five levels */
    memcpy(buf, m->ram + pa, len);
    return (long)len;
}

static uint64_t fuzz_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The input: 42 bytes of control registers, address, MAXPHYADDR and message size, then the
 * guest's RAM (page tables and all). The control values are used raw, and also steered into
 * 4-level, 5-level and 32-bit paging with CR3 inside RAM, so the walks go deep. */
static void fuzz_gva(const uint8_t *data, size_t size)
{
    if (size < 42)
        return;
    uint64_t cr3 = fuzz_le64(data), cr4 = fuzz_le64(data + 8), efer = fuzz_le64(data + 16);
    uint64_t cr0 = fuzz_le64(data + 24), va = fuzz_le64(data + 32);
    unsigned maxphy = data[40], whylen = data[41];
    /* The RAM: an exact-size heap copy, so ASan sees any read past it. */
    size_t ram_size = size - 42;
    uint8_t *ram = malloc(ram_size ? ram_size : 1);
    memcpy(ram, data + 42, ram_size);
    struct fuzz_gva_mem mem = { ram, ram_size, 0 };
    struct gva_mem m = { &mem, fuzz_gva_read, ram_size, maxphy };
    char *why = whylen ? malloc(whylen) : NULL; /* exact size: ASan sees a write past it */
    for (unsigned mode = 0; mode < 4; mode++) {
        uint64_t c3 = cr3, c4 = cr4, ef = efer, c0 = cr0;
        if (mode >= 1) {
            c0 |= GVA_CR0_PG;
            ef |= GVA_EFER_LMA;
            c4 |= GVA_CR4_PAE;
            c4 &= ~GVA_CR4_LA57;
            if (ram_size)
                c3 = (cr3 % ram_size) & ~0xFFFull;
        }
        if (mode == 2)
            c4 |= GVA_CR4_LA57;
        if (mode == 3) {
            ef &= ~GVA_EFER_LMA;
            if (ram_size)
                c3 = (cr3 % ram_size) & 0xFFFFFFE0ull;
        }
        for (unsigned k = 0; k < 4; k++) {
            uint64_t a = k == 0 ? va : k == 1 ? (va & 0xFFFFFFFFull) : k == 2 ? (uint64_t)((int64_t)(va << 16) >> 16) : ~va;
            uint64_t pa = 0x5a5a;
            mem.reads = 0;
            int r = gva_translate(&m, c3, c4, ef, c0, a, &pa, why, whylen);
            if (r == GVA_OK) {
                if (pa >= ram_size)
                    __builtin_trap();
            } else if (r < GVA_READ_FAILED || r > GVA_NOT_PRESENT || pa != 0x5a5a) {
                __builtin_trap();
            } else if (whylen && (!memchr(why, 0, whylen) || (whylen > 1 && !why[0]))) {
                __builtin_trap(); /* a failure always says why, in a terminated string */
            }
        }
    }
    free(why);
    free(ram);
}

/* The MADT parser on the bytes as a table, and the RSDP walk with the bytes as physical memory. */
static const uint8_t *acpi_mem;
static size_t acpi_len;
static bool acpi_rd(void *ctx, uint64_t pa, void *buf, size_t n)
{
    (void)ctx;
    if (pa > acpi_len || n > acpi_len - pa)
        return false;
    memcpy(buf, acpi_mem + pa, n);
    return true;
}

static void fuzz_madt(const uint8_t *data, size_t size)
{
    static struct madt_info mi;
    char err[160];
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (!madt_parse(copy, size, &mi, err, sizeof(err))) {
        if (mi.n_cpus > MADT_MAX_CPUS || mi.n_enabled > mi.n_cpus || !mi.n_enabled || mi.n_ioapics > MADT_MAX_IOAPICS)
            __builtin_trap();
    } else if (!memchr(err, 0, sizeof(err)) || !err[0]) {
        __builtin_trap();
    }
    acpi_mem = copy;
    acpi_len = size;
    uint64_t rsdp = acpi_scan_rsdp(acpi_rd, NULL, 0, size), a = 0;
    uint32_t n = 0;
    if (!acpi_find_table(acpi_rd, NULL, rsdp, "APIC", &a, &n, err, sizeof(err))) {
        if (a > size || n > size - a)
            __builtin_trap(); /* a table found must lie in readable memory */
        madt_parse(copy + a, n, &mi, err, sizeof(err));
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (target == T_ALL || target == T_MADT)
        fuzz_madt(data, size);
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
    if (target == T_ALL || target == T_GDBSTUB)
        fuzz_gdbstub(data, size);
    if (target == T_ALL || target == T_GVA)
        fuzz_gva(data, size);
    return 0;
}
#else
typedef int hs_fuzz_parsers_not_built; /* keeps the translation unit non-empty */
#endif
