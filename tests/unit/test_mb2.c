/* Multiboot2 boot information parsing: blocks are built in a buffer, then copied into
 * a heap allocation of exactly total_size bytes so ASan catches any read past the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "mb2.h"

#define T_END 0
#define T_CMDLINE 1
#define T_LOADER 2
#define T_MODULE 3
#define T_MMAP 6
#define T_LOAD_BASE 21

struct mbb {
    _Alignas(8) uint8_t buf[16384];
    uint32_t off;
};

static void mbb_init(struct mbb *b)
{
    memset(b->buf, 0, sizeof(b->buf));
    b->off = 8;
}

/* Appends a tag header and payload; advances to the next 8-byte boundary. */
static uint8_t *mbb_raw(struct mbb *b, uint32_t type, uint32_t size, const void *payload, uint32_t plen)
{
    uint8_t *t = b->buf + b->off;
    memcpy(t, &type, 4);
    memcpy(t + 4, &size, 4);
    if (plen)
        memcpy(t + 8, payload, plen);
    b->off += (size + 7) & ~7u;
    return t;
}

static void mbb_str(struct mbb *b, uint32_t type, const char *s)
{
    uint32_t n = (uint32_t)strlen(s) + 1;
    mbb_raw(b, type, 8 + n, s, n);
}

static void mbb_module(struct mbb *b, uint32_t start, uint32_t end, const char *cmdline)
{
    uint8_t p[256];
    uint32_t n = (uint32_t)strlen(cmdline) + 1;
    memcpy(p, &start, 4);
    memcpy(p + 4, &end, 4);
    memcpy(p + 8, cmdline, n);
    mbb_raw(b, T_MODULE, 16 + n, p, 8 + n);
}

/* A memory map tag with entries of esize bytes (>= 24). */
static void mbb_mmap(struct mbb *b, const struct mb2_mmap_entry *e, unsigned n, uint32_t esize)
{
    static uint8_t p[8 + 200 * 64];
    uint32_t ver = 0;
    memset(p, 0xEE, sizeof(p)); /* padding between entries must be ignored */
    memcpy(p, &esize, 4);
    memcpy(p + 4, &ver, 4);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *q = p + 8 + i * esize;
        uint32_t zero = 0;
        memcpy(q, &e[i].base, 8);
        memcpy(q + 8, &e[i].len, 8);
        memcpy(q + 16, &e[i].type, 4);
        memcpy(q + 20, &zero, 4);
    }
    mbb_raw(b, T_MMAP, 16 + n * esize, p, 8 + n * esize);
}

static void mbb_std_mmap(struct mbb *b)
{
    static const struct mb2_mmap_entry e[2] = { { 0, 0x9FC00, 1 }, { 0x100000, 0x7FF00000, 1 } };
    mbb_mmap(b, e, 2, 24);
}

static void mbb_end(struct mbb *b) { mbb_raw(b, T_END, 8, NULL, 0); }

/* Stores total = off and returns an exact-size heap copy (caller frees). */
static uint8_t *mbb_finish_total(struct mbb *b, uint32_t total, uint32_t alloc)
{
    uint32_t reserved = 0;
    memcpy(b->buf, &total, 4);
    memcpy(b->buf + 4, &reserved, 4);
    uint8_t *c = malloc(alloc);
    memcpy(c, b->buf, alloc);
    return c;
}
static uint8_t *mbb_finish(struct mbb *b) { return mbb_finish_total(b, b->off, b->off); }

static struct mbb B;
static struct mb2_info info;
static char err[160];

/* Parses the block; expects failure whose message contains want. */
static void expect_error(uint8_t *blk, const char *want, const char *file, int line)
{
    strcpy(err, "");
    int r = mb2_parse(blk, &info, err, sizeof(err));
    if (r != -1)
        hs_fail(file, line, "mb2_parse returned %d, expected -1 (\"%s\")", r, want);
    else if (!strstr(err, want))
        hs_fail(file, line, "mb2_parse error \"%s\" does not contain \"%s\"", err, want);
    free(blk);
}
#define EXPECT_ERROR(blk, want) expect_error((blk), (want), __FILE__, __LINE__)

TEST(mb2_full_block)
{
    static const struct mb2_mmap_entry e[3] = {
        { 0, 0x9FC00, 1 }, { 0xF0000, 0x10000, 2 }, { 0x100000, 0x1FF00000ull << 4, 1 } };
    mbb_init(&B);
    mbb_str(&B, T_CMDLINE, "console=com1 debug");
    mbb_str(&B, T_LOADER, "GRUB 2.06");
    mbb_module(&B, 0x200000, 0x300000, "/boot/vmlinux root=/dev/vda");
    mbb_module(&B, 0x300000, 0x300100, "config");
    mbb_mmap(&B, e, 3, 24);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_STREQ(info.cmdline, "console=com1 debug");
    CHECK_STREQ(info.loader, "GRUB 2.06");
    CHECK_EQ(info.total_size, B.off);
    CHECK_EQ(info.n_modules, 2);
    CHECK_EQ(info.modules[0].start, 0x200000);
    CHECK_EQ(info.modules[0].end, 0x300000);
    CHECK_STREQ(info.modules[0].cmdline, "/boot/vmlinux root=/dev/vda");
    CHECK_EQ(info.modules[1].start, 0x300000);
    CHECK_EQ(info.modules[1].end, 0x300100);
    CHECK_STREQ(info.modules[1].cmdline, "config");
    /* The strings point into the block, not into copies. */
    CHECK(info.cmdline > (const char *)blk && info.cmdline < (const char *)blk + B.off);
    CHECK_EQ(info.n_mmap, 3);
    for (unsigned i = 0; i < 3 && i < info.n_mmap; i++) {
        CHECK_EQ(info.mmap[i].base, e[i].base);
        CHECK_EQ(info.mmap[i].len, e[i].len);
        CHECK_EQ(info.mmap[i].type, e[i].type);
    }
    free(blk);
}

TEST(mb2_defaults_and_unknown_tags)
{
    mbb_init(&B);
    uint8_t junk[5] = { 1, 2, 3, 4, 5 };
    mbb_raw(&B, T_LOAD_BASE, 13, junk, 5); /* size not a multiple of 8: next tag is padded */
    mbb_raw(&B, 0x1234, 8, NULL, 0);
    mbb_std_mmap(&B);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_STREQ(info.cmdline, "");
    CHECK_STREQ(info.loader, "");
    CHECK_EQ(info.n_modules, 0);
    CHECK_EQ(info.n_mmap, 2);
    free(blk);
}

TEST(mb2_empty_strings_and_module_without_name)
{
    mbb_init(&B);
    mbb_raw(&B, T_CMDLINE, 8, NULL, 0); /* no string bytes at all */
    mbb_str(&B, T_LOADER, "");
    uint8_t p[8] = { 0, 0, 0x10, 0, 0, 0, 0x20, 0 };
    mbb_raw(&B, T_MODULE, 16, p, 8);    /* no name bytes */
    mbb_std_mmap(&B);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_STREQ(info.cmdline, "");
    CHECK_STREQ(info.loader, "");
    CHECK_EQ(info.n_modules, 1);
    CHECK_EQ(info.modules[0].start, 0x100000);
    CHECK_EQ(info.modules[0].end, 0x200000);
    CHECK_STREQ(info.modules[0].cmdline, "");
    free(blk);
}

TEST(mb2_mmap_entry_stride)
{
    static const struct mb2_mmap_entry e[3] = { { 0x1000, 0x2000, 1 }, { 0x5000, 0x1000, 3 }, { 1ull << 32, 1ull << 30, 1 } };
    mbb_init(&B);
    mbb_mmap(&B, e, 3, 40); /* a future, larger entry format */
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_EQ(info.n_mmap, 3);
    CHECK_EQ(info.mmap[1].base, 0x5000);
    CHECK_EQ(info.mmap[1].type, 3);
    CHECK_EQ(info.mmap[2].base, 1ull << 32);
    CHECK_EQ(info.mmap[2].len, 1ull << 30);
    free(blk);
}

TEST(mb2_null_block)
{
    CHECK_EQ(mb2_parse(NULL, &info, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "no multiboot2");
    CHECK_STREQ(info.cmdline, "");
    CHECK_STREQ(info.loader, "");
}

TEST(mb2_total_size_too_small)
{
    mbb_init(&B);
    EXPECT_ERROR(mbb_finish_total(&B, 8, 8), "implausible size 8");
    mbb_init(&B);
    EXPECT_ERROR(mbb_finish_total(&B, 15, 16), "implausible size 15");
    mbb_init(&B);
    EXPECT_ERROR(mbb_finish_total(&B, 0, 8), "implausible size 0");
}

TEST(mb2_total_size_huge)
{
    /* Only 64 bytes are really there: the size must be refused before any tag is read. */
    mbb_init(&B);
    mbb_std_mmap(&B);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish_total(&B, (64u << 20) + 1, B.off), "implausible size");
    mbb_init(&B);
    EXPECT_ERROR(mbb_finish_total(&B, 0xFFFFFFFFu, B.off), "implausible size");
}

TEST(mb2_tag_size_past_end)
{
    mbb_init(&B);
    mbb_std_mmap(&B);
    uint8_t *t = mbb_raw(&B, T_CMDLINE, 16, "abcdefg", 8);
    mbb_end(&B);
    uint32_t big = 4096;
    memcpy(t + 4, &big, 4);
    EXPECT_ERROR(mbb_finish(&B), "bad size 4096");

    /* A tag that ends one byte past the block. */
    mbb_init(&B);
    mbb_std_mmap(&B);
    t = mbb_raw(&B, 0x77, 8, NULL, 0);
    uint32_t sz = B.off - (uint32_t)(t - B.buf) + 1;
    memcpy(t + 4, &sz, 4);
    EXPECT_ERROR(mbb_finish(&B), "bad size");
}

TEST(mb2_tag_size_below_header)
{
    mbb_init(&B);
    mbb_raw(&B, 0x77, 4, NULL, 0); /* would loop forever or misparse if accepted */
    mbb_std_mmap(&B);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "bad size 4");
}

TEST(mb2_missing_end_tag)
{
    mbb_init(&B);
    mbb_str(&B, T_CMDLINE, "x");
    mbb_std_mmap(&B);
    EXPECT_ERROR(mbb_finish(&B), "without an end tag");
    /* Total that leaves 4 bytes: not enough for a tag header. */
    mbb_init(&B);
    mbb_std_mmap(&B);
    uint32_t at = B.off;
    EXPECT_ERROR(mbb_finish_total(&B, at + 4, at + 4), "without an end tag");
}

TEST(mb2_unterminated_strings)
{
    mbb_init(&B);
    mbb_raw(&B, T_CMDLINE, 8 + 6, "abcdef", 6);
    mbb_std_mmap(&B);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "command line is not terminated");

    mbb_init(&B);
    mbb_std_mmap(&B);
    mbb_raw(&B, T_LOADER, 8 + 4, "GRUB", 4);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "loader name is not terminated");

    mbb_init(&B);
    uint8_t p[8 + 6] = { 0, 0, 0x10, 0, 0, 0, 0x20, 0, 'k', 'e', 'r', 'n', 'e', 'l' };
    mbb_raw(&B, T_MODULE, 16 + 6, p, sizeof(p));
    mbb_std_mmap(&B);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "module name is not terminated");
}

TEST(mb2_module_end_before_start)
{
    mbb_init(&B);
    mbb_module(&B, 0x300000, 0x2FFFFF, "config");
    mbb_std_mmap(&B);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "ends before it starts");
    /* An empty module (end == start) is fine. */
    mbb_init(&B);
    mbb_module(&B, 0x300000, 0x300000, "empty");
    mbb_std_mmap(&B);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_EQ(info.n_modules, 1);
    free(blk);
}

TEST(mb2_module_tag_too_short)
{
    mbb_init(&B);
    uint8_t p[4] = { 0 };
    mbb_raw(&B, T_MODULE, 12, p, 4);
    mbb_std_mmap(&B);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "module tag too short (12)");
}

TEST(mb2_zero_mmap)
{
    mbb_init(&B);
    mbb_str(&B, T_CMDLINE, "x");
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "no memory map");
    /* A memory map tag with no entries is no better. */
    mbb_init(&B);
    mbb_mmap(&B, NULL, 0, 24);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "no memory map");
}

TEST(mb2_mmap_entry_size_too_small)
{
    static const struct mb2_mmap_entry e[1] = { { 0, 0x9FC00, 1 } };
    mbb_init(&B);
    mbb_mmap(&B, e, 1, 24);
    uint8_t *t = B.buf + 8;
    uint32_t es = 20;
    memcpy(t + 8, &es, 4);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "entry size 20 too small");
    /* esize 0 would never advance. */
    mbb_init(&B);
    mbb_mmap(&B, e, 1, 24);
    es = 0;
    memcpy(t + 8, &es, 4);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "too small");
}

TEST(mb2_mmap_tag_shorter_than_its_header)
{
    /* A memory map tag of 8 bytes ending exactly at total: its entry_size field lies past
     * the block and must not be read. */
    mbb_init(&B);
    mbb_raw(&B, T_MMAP, 8, NULL, 0);
    EXPECT_ERROR(mbb_finish(&B), "too small");
    mbb_init(&B);
    uint32_t es = 24;
    mbb_raw(&B, T_MMAP, 12, &es, 4);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "too small");
}

TEST(mb2_mmap_entry_size_wraps)
{
    /* entry_size near 2^32: e + esize wraps around, which must not walk outside the tag. */
    static const uint32_t sizes[] = { 0xFFFFFFF0u, 0xFFFFFFF8u, 0xFFFFFFFFu, 0x80000000u };
    for (unsigned k = 0; k < 4; k++) {
        mbb_init(&B);
        uint32_t p[2] = { sizes[k], 0 };
        mbb_raw(&B, T_MMAP, 16, p, 8);
        mbb_end(&B);
        uint8_t *blk = mbb_finish(&B);
        int r = mb2_parse(blk, &info, err, sizeof(err));
        CHECK_EQ(r, -1);
        CHECK_EQ(info.n_mmap, 0);
        free(blk);
    }
}

TEST(mb2_module_limit)
{
    char name[16];
    mbb_init(&B);
    for (int i = 0; i < MB2_MAX_MODULES; i++) {
        snprintf(name, sizeof(name), "m%d", i);
        mbb_module(&B, 0x100000u * (uint32_t)(i + 1), 0x100000u * (uint32_t)(i + 1) + 10, name);
    }
    mbb_std_mmap(&B);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_EQ(info.n_modules, MB2_MAX_MODULES);
    CHECK_STREQ(info.modules[MB2_MAX_MODULES - 1].cmdline, "m15");
    free(blk);

    mbb_init(&B);
    for (int i = 0; i <= MB2_MAX_MODULES; i++)
        mbb_module(&B, 0x100000, 0x100010, "m");
    mbb_std_mmap(&B);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "more than 16 modules");
}

TEST(mb2_mmap_limit)
{
    static struct mb2_mmap_entry e[MB2_MAX_MMAP + 1];
    for (unsigned i = 0; i <= MB2_MAX_MMAP; i++)
        e[i] = (struct mb2_mmap_entry){ (uint64_t)i << 20, 1 << 20, 1 };
    mbb_init(&B);
    mbb_mmap(&B, e, MB2_MAX_MMAP, 24);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_EQ(info.n_mmap, MB2_MAX_MMAP);
    CHECK_EQ(info.mmap[MB2_MAX_MMAP - 1].base, (uint64_t)(MB2_MAX_MMAP - 1) << 20);
    free(blk);

    mbb_init(&B);
    mbb_mmap(&B, e, MB2_MAX_MMAP + 1, 24);
    mbb_end(&B);
    EXPECT_ERROR(mbb_finish(&B), "more than 128 entries");
}

TEST(mb2_error_buffer_truncated)
{
    char small[8];
    mbb_init(&B);
    uint8_t *blk = mbb_finish_total(&B, 8, 8);
    CHECK_EQ(mb2_parse(blk, &info, small, sizeof(small)), -1);
    CHECK_EQ(strlen(small), sizeof(small) - 1);
    free(blk);
}

static struct mb2_info mods(const char *const *names, unsigned n)
{
    struct mb2_info in;
    memset(&in, 0, sizeof(in));
    for (unsigned i = 0; i < n; i++) {
        in.modules[i].start = 0x100000u * (i + 1);
        in.modules[i].cmdline = names[i];
    }
    in.n_modules = n;
    return in;
}

TEST(mb2_find_module_by_first_word)
{
    static const char *const names[] = { "kernel2", "kernel console=ttyS0", "config", "initrd" };
    struct mb2_info in = mods(names, 4);
    CHECK(mb2_find_module(&in, "kernel") == &in.modules[1]);
    CHECK(mb2_find_module(&in, "kernel2") == &in.modules[0]);
    CHECK(mb2_find_module(&in, "config") == &in.modules[2]);
    CHECK(mb2_find_module(&in, "initrd") == &in.modules[3]);
    CHECK(mb2_find_module(&in, "console=ttyS0") == NULL); /* only the first word counts */
    CHECK(mb2_find_module(&in, "kern") == NULL);           /* no prefix matches */
    CHECK(mb2_find_module(&in, "configx") == NULL);
    CHECK(mb2_find_module(&in, "missing") == NULL);
}

TEST(mb2_find_module_by_basename)
{
    static const char *const names[] = { "/boot/hindsight/vmlinux root=/dev/ram0", "/boot/cfg/config", "/initrd.img" };
    struct mb2_info in = mods(names, 3);
    CHECK(mb2_find_module(&in, "vmlinux") == &in.modules[0]);
    CHECK(mb2_find_module(&in, "/boot/hindsight/vmlinux") == &in.modules[0]);
    CHECK(mb2_find_module(&in, "config") == &in.modules[1]);
    CHECK(mb2_find_module(&in, "cfg/config") == NULL); /* basename or the whole word, nothing between */
    CHECK(mb2_find_module(&in, "initrd.img") == &in.modules[2]);
    CHECK(mb2_find_module(&in, "hindsight") == NULL);
    CHECK(mb2_find_module(&in, "root=/dev/ram0") == NULL);
    CHECK(mb2_find_module(&in, "ram0") == NULL);
    struct mb2_info none = mods(names, 0);
    CHECK(mb2_find_module(&none, "vmlinux") == NULL);
}

TEST(mb2_find_module_from_parsed_block)
{
    mbb_init(&B);
    mbb_module(&B, 0x400000, 0x500000, "/boot/guest.elf");
    mbb_module(&B, 0x500000, 0x500040, "/boot/run.cfg config");
    mbb_std_mmap(&B);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    const struct mb2_module *m = mb2_find_module(&info, "guest.elf");
    CHECK(m != NULL);
    if (m)
        CHECK_EQ(m->start, 0x400000);
    CHECK(mb2_find_module(&info, "run.cfg") == &info.modules[1]);
    CHECK(mb2_find_module(&info, "config") == NULL);
    free(blk);
}

/* GRUB's copies of the ACPI RSDP (tags 14 and 15): the 2.0 one wins; a short tag is ignored. */
TEST(mb2_acpi_rsdp_tags)
{
    uint8_t old_rsdp[20] = "RSD PTR ", new_rsdp[36] = "RSD PTR ";
    new_rsdp[15] = 2;
    mbb_init(&B);
    mbb_std_mmap(&B);
    mbb_raw(&B, 14, 8 + 20, old_rsdp, 20);
    mbb_raw(&B, 15, 8 + 36, new_rsdp, 36);
    mbb_end(&B);
    uint8_t *blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK(info.rsdp != NULL);
    CHECK_EQ(info.rsdp_len, 36);
    CHECK_EQ(((const uint8_t *)info.rsdp)[15], 2);
    free(blk);
    mbb_init(&B);
    mbb_std_mmap(&B);
    mbb_raw(&B, 15, 8 + 10, new_rsdp, 10); /* too short for an RSDP: not taken */
    mbb_raw(&B, 14, 8 + 20, old_rsdp, 20);
    mbb_end(&B);
    blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK_EQ(info.rsdp_len, 20);
    free(blk);
    mbb_init(&B);
    mbb_std_mmap(&B);
    mbb_end(&B);
    blk = mbb_finish(&B);
    CHECK_EQ(mb2_parse(blk, &info, err, sizeof(err)), 0);
    CHECK(info.rsdp == NULL);
    free(blk);
}
