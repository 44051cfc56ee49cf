/* The boot-time CPUID table (vmm/cpuid_table.c) built from a fake CPU: every answer is the
 * filter's answer for that leaf, subleaves are kept where the CPU has them, leaves outside the
 * CPU's ranges read as zeros, the hypervisor leaf is ours, and the table stays within its size
 * whatever maximum leaves the CPU claims. */
#include <string.h>
#include "check.h"
#include "cpuid_filter.h"
#include "cpuid_table.h"

/* The fake CPU's maximum basic and extended leaves (changed by some tests). */
static uint32_t fake_max = 0xD, fake_emax = 0x80000008u;

/* Answers derived from leaf, subleaf and register, never zero; leaves 0 and 0x80000000 carry the
 * maximums, as a CPU's do. Out of range, it answers as real CPUs do: with the highest basic leaf. */
static void fake_raw(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    if (leaf == 0x80000000u) {
        r[0] = fake_emax;
        r[1] = r[2] = r[3] = 0x68747541u;
        return;
    }
    uint32_t l = leaf;
    if ((l < 0x80000000u && l > fake_max && (l < 0x40000000u || l > 0x4FFFFFFFu)) ||
        (l >= 0x80000000u && l > fake_emax))
        l = fake_max;
    for (int k = 0; k < 4; k++)
        r[k] = (l * 0x9E3779B1u) ^ (sub * 0x85EBCA77u) ^ (uint32_t)(k * 0x27D4EB2Fu) ^ 0x01010101u;
    if (l == 0)
        r[0] = fake_max;
}

/* What the table must say for leaf/subleaf: the filter over the fake CPU's answer. */
static void expected(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    fake_raw(leaf, sub, r);
    cpuid_filter(leaf, sub, r);
}

static void reset(uint32_t max, uint32_t emax)
{
    fake_max = max;
    fake_emax = emax;
    cpuid_filter_set_tsc_hz(0);
    cpuid_filter_set_random_exits(true, true);
}

static void check_leaf(uint32_t leaf, uint32_t sub, uint32_t want_sub, const char *file, int line)
{
    uint32_t got[4], want[4];
    memset(got, 0xCC, sizeof(got));
    cpuid_table_get(leaf, sub, got);
    expected(leaf, want_sub, want);
    if (memcmp(got, want, sizeof(got)))
        hs_fail(file, line, "leaf 0x%x.%u: %08x %08x %08x %08x, expected %08x %08x %08x %08x", leaf, sub, got[0],
                got[1], got[2], got[3], want[0], want[1], want[2], want[3]);
}
#define CHECK_LEAF(leaf, sub) check_leaf((leaf), (sub), (sub), __FILE__, __LINE__)
#define CHECK_LEAF_AS(leaf, sub, want_sub) check_leaf((leaf), (sub), (want_sub), __FILE__, __LINE__)

static void check_zero(uint32_t leaf, uint32_t sub, const char *file, int line)
{
    uint32_t got[4];
    memset(got, 0xCC, sizeof(got));
    cpuid_table_get(leaf, sub, got);
    if (got[0] | got[1] | got[2] | got[3])
        hs_fail(file, line, "leaf 0x%x.%u: %08x %08x %08x %08x, expected zeros", leaf, sub, got[0], got[1], got[2],
                got[3]);
}
#define CHECK_ZERO(leaf, sub) check_zero((leaf), (sub), __FILE__, __LINE__)

TEST(cpuid_table_matches_the_filter)
{
    reset(0xD, 0x80000008u);
    cpuid_table_build(fake_raw);
    CHECK(cpuid_table_size() > 0);
    CHECK(cpuid_table_size() <= CPUID_TABLE_MAX);
    for (uint32_t l = 0; l <= 0xD; l++)
        CHECK_LEAF(l, 0);
    for (uint32_t l = 0x80000000u; l <= 0x80000008u; l++)
        CHECK_LEAF(l, 0);
    CHECK_LEAF(HINDSIGHT_CPUID_BASE, 0);
    CHECK_LEAF(HINDSIGHT_CPUID_BASE + 1, 0);
    /* The answers that matter, spelled out (the fake leaf 1 has every bit pattern but these). */
    uint32_t r[4];
    cpuid_table_get(0, 0, r);
    CHECK_EQ(r[0], 0xD);
    cpuid_table_get(0x80000000u, 0, r);
    CHECK_EQ(r[0], 0x80000008u);
    cpuid_table_get(1, 0, r);
    CHECK_EQ(r[2] & (1u << 31), 1u << 31); /* hypervisor */
    CHECK_EQ(r[2] & (1u << 5), 0);         /* VMX */
    CHECK_EQ(r[1] >> 16, 0);               /* APIC ID, logical processors */
    cpuid_table_get(0xA, 0, r);            /* perfmon: the VMM's */
    CHECK_EQ(r[0] | r[1] | r[2] | r[3], 0);
}

TEST(cpuid_table_subleaves)
{
    reset(0xD, 0x80000008u);
    cpuid_table_build(fake_raw);
    /* Leaves with subleaves keep each (the fake's answers differ per subleaf; the filter keeps
     * leaf 4's and leaf 7.0's). */
    for (uint32_t s = 0; s < 8; s++) {
        CHECK_LEAF(4, s);
        CHECK_LEAF(7, s);
        CHECK_LEAF(0xB, s);
        CHECK_LEAF(0xD, s);
    }
    uint32_t a[4], b[4];
    cpuid_table_get(4, 0, a);
    cpuid_table_get(4, 1, b);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK(a[0] != 0);
    /* Leaves without subleaves ignore ECX, as the CPU does. */
    CHECK_LEAF_AS(1, 1, 0);
    CHECK_LEAF_AS(1, 5, 0);
    CHECK_LEAF_AS(1, 0xFFFFFFFFu, 0);
    CHECK_LEAF_AS(0, 3, 0);
    CHECK_LEAF_AS(0x80000001u, 2, 0);
    CHECK_LEAF_AS(HINDSIGHT_CPUID_BASE, 9, 0);
    cpuid_table_get(1, 0, a);
    cpuid_table_get(1, 5, b);
    CHECK_MEM(b, a, sizeof(a));
    /* Subleaves beyond the table read as zeros (leaf 4's 0x40 has nothing). */
    CHECK_ZERO(4, 0x40);
}

TEST(cpuid_table_unknown_leaves_are_zero)
{
    reset(0xD, 0x80000008u);
    cpuid_table_build(fake_raw);
    CHECK_ZERO(0xE, 0);         /* above the CPU's maximum basic leaf */
    CHECK_ZERO(0x15, 0);        /* no TSC rate set */
    CHECK_ZERO(0x1F, 0);
    CHECK_ZERO(0x20, 0);
    CHECK_ZERO(0x3FFFFFFFu, 0);
    CHECK_ZERO(HINDSIGHT_CPUID_BASE + 2, 0);
    CHECK_ZERO(0x4FFFFFFFu, 0);
    CHECK_ZERO(0x80000009u, 0); /* above the maximum extended leaf */
    CHECK_ZERO(0x8000001Du, 0);
    CHECK_ZERO(0xC0000000u, 0);
    CHECK_ZERO(0xFFFFFFFFu, 0);
    /* The fake answers all of them with non-zero values: the zeros are the table's. */
    uint32_t r[4];
    fake_raw(0x80000009u, 0, r);
    CHECK(r[0] != 0);
}

TEST(cpuid_table_hypervisor_leaf)
{
    reset(0xD, 0x80000008u);
    cpuid_table_build(fake_raw);
    uint32_t r[4];
    cpuid_table_get(HINDSIGHT_CPUID_BASE, 0, r);
    CHECK_EQ(r[0], HINDSIGHT_CPUID_BASE);
    char sig[13];
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    CHECK_STREQ(sig, "HindsightVMM");
    cpuid_table_get(HINDSIGHT_CPUID_BASE + 1, 0, r);
    CHECK_EQ(r[0] | r[1] | r[2] | r[3], 0);
}

TEST(cpuid_table_clamps_huge_maximums)
{
    /* A CPU (or an emulator) claiming every leaf must not overflow the table. */
    reset(0xFFFFFFFFu, 0xFFFFFFFFu);
    cpuid_table_build(fake_raw);
    CHECK(cpuid_table_size() <= CPUID_TABLE_MAX);
    CHECK(cpuid_table_size() > 0x20); /* the basic leaves up to the clamp are there */
    CHECK_LEAF(1, 0);
    CHECK_LEAF(0x1E, 0);
    CHECK_LEAF(0x1F, 3);
    CHECK_ZERO(0x20, 0);
    CHECK_LEAF(HINDSIGHT_CPUID_BASE, 0);
    reset(0x7FFFFFFFu, 0x80000000u);
    cpuid_table_build(fake_raw);
    CHECK(cpuid_table_size() <= CPUID_TABLE_MAX);
    CHECK_LEAF(7, 0);
    /* Rebuilding starts afresh: the size does not grow with every build. */
    unsigned n = cpuid_table_size();
    cpuid_table_build(fake_raw);
    CHECK_EQ(cpuid_table_size(), n);
    /* A CPU without extended leaves (maximum below 0x80000000): only 0x80000000 itself. */
    reset(0xD, 0x12345u);
    cpuid_table_build(fake_raw);
    CHECK_ZERO(0x80000001u, 0);
    CHECK(cpuid_table_size() <= CPUID_TABLE_MAX);
    reset(0xD, 0x80000008u);
}

TEST(cpuid_table_follows_the_raised_max_leaf)
{
    reset(0xD, 0x80000008u);
    cpuid_table_build(fake_raw);
    unsigned before = cpuid_table_size();
    cpuid_filter_set_tsc_hz(2500000000ull);
    cpuid_table_build(fake_raw);
    uint32_t r[4];
    cpuid_table_get(0, 0, r);
    CHECK_EQ(r[0], 0x16);
    CHECK(cpuid_table_size() > before);
    cpuid_table_get(0x15, 0, r);
    CHECK_EQ(r[0], 1);           /* crystal / 1 */
    CHECK_EQ(r[1], 1);           /* * 1 */
    CHECK_EQ(r[2], 2500000000u); /* crystal Hz = TSC Hz */
    cpuid_table_get(0x16, 0, r);
    CHECK_EQ(r[0], 2500);        /* MHz */
    CHECK_LEAF(0x15, 0);
    CHECK_LEAF(0x16, 0);
    /* The leaves between the CPU's maximum and 0x15 are there, and filtered. */
    CHECK_LEAF(0xE, 0);
    CHECK_LEAF(0x14, 0);
    /* A CPU whose maximum is already above 0x16 keeps it. */
    reset(0x1B, 0x80000008u);
    cpuid_filter_set_tsc_hz(1000000000ull);
    cpuid_table_build(fake_raw);
    cpuid_table_get(0, 0, r);
    CHECK_EQ(r[0], 0x1B);
    CHECK_LEAF(0x15, 0);
    CHECK_LEAF(0x1A, 0);
    cpuid_filter_set_tsc_hz(0);
    cpuid_table_build(fake_raw);
    cpuid_table_get(0, 0, r);
    CHECK_EQ(r[0], 0x1B);
    reset(0xD, 0x80000008u);
}

TEST(cpuid_table_hides_rdrand_when_asked)
{
    reset(0xD, 0x80000008u);
    cpuid_filter_set_random_exits(false, false);
    cpuid_table_build(fake_raw);
    uint32_t r[4];
    cpuid_table_get(1, 0, r);
    CHECK_EQ(r[2] & (1u << 30), 0);
    cpuid_table_get(7, 0, r);
    CHECK_EQ(r[1] & (1u << 18), 0);
    CHECK_LEAF(1, 0);
    CHECK_LEAF(7, 0);
    reset(0xD, 0x80000008u);
    cpuid_table_build(fake_raw);
    cpuid_table_get(1, 0, r);
    uint32_t raw1[4];
    fake_raw(1, 0, raw1);
    CHECK_EQ(r[2] & (1u << 30), raw1[2] & (1u << 30));
}

/* Regression: a maximum extended leaf above 0x80000020 (AMD Zen 3/4 report 0x80000021..0x80000028;
 * newer CPUs and emulator models may too) used to be replaced by 0x80000000, so the table lost
 * 0x80000001 (long mode, NX, SYSCALL) while leaf 0x80000000 still offered it: a 64-bit kernel then
 * refuses the CPU. It is clamped to 0x80000020, as the basic range is clamped to 0x1F. */
TEST(cpuid_table_high_extended_max_clamped)
{
    reset(0xD, 0x80000028u);
    cpuid_table_build(fake_raw);
    CHECK_LEAF(0x80000001u, 0);
    CHECK_LEAF(0x80000008u, 0);
    CHECK_LEAF(0x80000020u, 0);
    CHECK_ZERO(0x80000021u, 0);
    CHECK(cpuid_table_size() <= CPUID_TABLE_MAX);
    /* Every extended leaf claimed: the same clamp. */
    reset(0xD, 0xFFFFFFFFu);
    cpuid_table_build(fake_raw);
    CHECK_LEAF(0x80000001u, 0);
    CHECK_LEAF(0x80000020u, 0);
    CHECK_ZERO(0x80000021u, 0);
    CHECK(cpuid_table_size() <= CPUID_TABLE_MAX);
    reset(0xD, 0x80000008u);
}
