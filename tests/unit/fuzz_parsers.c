/* libFuzzer harness for the parsers that read outside input: the multiboot2 information
 * (mb2_parse, then the memory map fed to palloc), the config module (config_parse) and
 * the guest kernel image (pvh_load_elf, and for a bzImage bzimage_load and
 * bzimage_write_boot_params). Only built with -DHS_FUZZ; the unit-test build sees an empty file.
 *
 * Build (from the repository root):
 *   clang -std=c11 -g -O1 -D_GNU_SOURCE -DHS_FUZZ -fsanitize=fuzzer,address,undefined \
 *         -fno-sanitize-recover=undefined -Ivmm -Itests/unit \
 *         -o build/fuzz_parsers tests/unit/fuzz_parsers.c \
 *         vmm/mb2.c vmm/palloc.c vmm/config.c vmm/pvh.c vmm/bzimage.c vmm/format.c
 * Run one target (mb2, config, pvh or bzimage; unset = all four on every input):
 *   mkdir -p build/fuzz/pvh && HS_FUZZ_TARGET=pvh build/fuzz_parsers build/fuzz/pvh \
 *         tests/unit/fuzz_seeds/pvh -max_total_time=60
 * tests/unit/fuzz_seeds/<target>/ hold small valid inputs to start from. */
#ifdef HS_FUZZ
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bzimage.h"
#include "config.h"
#include "lib.h"
#include "mb2.h"
#include "palloc.h"
#include "pvh.h"

#define GUEST_MEM (4u << 20)
/* A bzImage is placed at 16 MiB (its LOAD_PHYSICAL_ADDR) plus init_size: the loader needs more. */
#define BZ_GUEST_MEM (32u << 20)

enum { T_ALL, T_MB2, T_CONFIG, T_PVH, T_BZIMAGE };
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
    else if (t && *t) {
        fprintf(stderr, "HS_FUZZ_TARGET must be mb2, config, pvh or bzimage\n");
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
    if (target == T_ALL || target == T_BZIMAGE)
        fuzz_bzimage(data, size);
    return 0;
}
#else
typedef int hs_fuzz_parsers_not_built; /* keeps the translation unit non-empty */
#endif
