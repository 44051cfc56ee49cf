/* The CPUID the guests see. Each leaf is filtered from an all-ones and an all-zeros host
 * answer so both "cleared" and "forced" bits show. */
#include <string.h>
#include "check.h"
#include "cpuid_filter.h"

static void run(uint32_t leaf, uint32_t sub, uint32_t host, uint32_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = host;
    cpuid_filter(leaf, sub, r);
}

#define BIT(n) (1u << (n))

TEST(cpuid_leaf1_hypervisor_bit)
{
    uint32_t r[4];
    run(1, 0, 0, r);
    CHECK_EQ(r[2] & BIT(31), BIT(31));
    run(1, 0, 0xFFFFFFFF, r);
    CHECK_EQ(r[2] & BIT(31), BIT(31));
}

TEST(cpuid_leaf1_hidden_features)
{
    uint32_t r[4];
    run(1, 0, 0xFFFFFFFF, r);
    CHECK_EQ(r[2] & BIT(5), 0);  /* VMX */
    CHECK_EQ(r[2] & BIT(6), 0);  /* SMX */
    CHECK_EQ(r[2] & BIT(3), 0);  /* MONITOR */
    CHECK_EQ(r[2] & BIT(21), 0); /* x2APIC */
    CHECK_EQ(r[2] & BIT(24), 0); /* TSC-deadline */
    CHECK_EQ(r[2] & BIT(26), 0); /* XSAVE */
    CHECK_EQ(r[2] & BIT(27), 0); /* OSXSAVE */
    CHECK_EQ(r[2] & BIT(28), 0); /* AVX needs XSAVE */
    CHECK_EQ(r[2] & BIT(15), 0); /* PDCM */
    CHECK_EQ(r[3] & BIT(9), 0);  /* APIC */
    CHECK_EQ(r[3] & BIT(28), 0); /* HTT */
    CHECK_EQ(r[3] & BIT(12), 0); /* MTRR */
    CHECK_EQ(r[3] & (BIT(7) | BIT(14)), 0); /* MCE, MCA */
    /* What the guest needs is kept. */
    CHECK_EQ(r[3] & BIT(4), BIT(4));   /* TSC */
    CHECK_EQ(r[3] & BIT(0), BIT(0));   /* FPU */
    CHECK_EQ(r[3] & BIT(25), BIT(25)); /* SSE */
    CHECK_EQ(r[3] & BIT(26), BIT(26)); /* SSE2 */
    CHECK_EQ(r[2] & BIT(0), BIT(0));   /* SSE3 */
    CHECK_EQ(r[2] & BIT(20), BIT(20)); /* SSE4.2 */
    /* Version information in EAX passes through. */
    CHECK_EQ(r[0], 0xFFFFFFFF);
}

TEST(cpuid_leaf1_apic_id_zeroed)
{
    uint32_t r[4] = { 0x000906EA, 0x07100800, 0, 0 };
    cpuid_filter(1, 0, r);
    CHECK_EQ(r[1] >> 24, 0);          /* initial APIC ID */
    CHECK_EQ((r[1] >> 16) & 0xFF, 0); /* logical processor count */
    CHECK_EQ(r[1] & 0xFFFF, 0x0800);  /* CLFLUSH size, brand index kept */
    CHECK_EQ(r[0], 0x000906EA);
    /* The same CPU seen from another core gives the same answer. */
    uint32_t a[4] = { 0x000906EA, 0x00100800, 0x7FFAFBFF, 0xBFEBFBFF };
    uint32_t b[4] = { 0x000906EA, 0x03100800, 0x7FFAFBFF, 0xBFEBFBFF };
    cpuid_filter(1, 0, a);
    cpuid_filter(1, 0, b);
    CHECK_MEM(a, b, sizeof(a));
}

TEST(cpuid_zeroed_leaves)
{
    static const uint32_t leaves[] = { 5, 6, 0xA, 0xB, 0xD, 0xF, 0x10, 0x12, 0x14, 0x1F, 0x80000007 };
    for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        uint32_t r[4];
        run(leaves[i], 0, 0xFFFFFFFF, r);
        if (r[0] | r[1] | r[2] | r[3])
            hs_fail(__FILE__, __LINE__, "leaf 0x%x not zeroed: %08x %08x %08x %08x", leaves[i], r[0], r[1], r[2], r[3]);
    }
    uint32_t r[4];
    run(0xB, 1, 0xFFFFFFFF, r);
    CHECK_EQ(r[0] | r[1] | r[2] | r[3], 0);
}

TEST(cpuid_leaf4_one_core_per_cache)
{
    uint32_t r[4] = { 0x1C004121, 0x01C0003F, 0x3F, 0 };
    cpuid_filter(4, 0, r);
    CHECK_EQ(r[0], 0x121); /* sharing and core counts cleared, cache type/level kept */
    CHECK_EQ(r[1], 0x01C0003F);
    CHECK_EQ(r[2], 0x3F);
}

TEST(cpuid_leaf7_tsx_and_avx_hidden)
{
    uint32_t r[4];
    run(7, 0, 0xFFFFFFFF, r);
    CHECK_EQ(r[0], 0);               /* no further subleaves */
    CHECK_EQ(r[1] & BIT(4), 0);      /* HLE */
    CHECK_EQ(r[1] & BIT(11), 0);     /* RTM */
    CHECK_EQ(r[1] & BIT(5), 0);      /* AVX2 */
    CHECK_EQ(r[1] & BIT(16), 0);     /* AVX-512F */
    CHECK_EQ(r[1] & BIT(2), 0);      /* SGX */
    CHECK_EQ(r[1] & BIT(0), BIT(0)); /* FSGSBASE kept */
    CHECK_EQ(r[1] & BIT(7), BIT(7)); /* SMEP kept */
    CHECK_EQ(r[1] & BIT(20), BIT(20)); /* SMAP kept */
    CHECK_EQ(r[2], 0);
    CHECK_EQ(r[3], 0);
    run(7, 1, 0xFFFFFFFF, r);
    CHECK_EQ(r[0] | r[1] | r[2] | r[3], 0);
}

TEST(cpuid_hypervisor_signature)
{
    uint32_t r[4];
    run(HINDSIGHT_CPUID_BASE, 0, 0x12345678, r);
    char sig[13];
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    CHECK_STREQ(sig, "HindsightVMM");
    CHECK_EQ(r[0], HINDSIGHT_CPUID_BASE); /* max hypervisor leaf */
    /* Leaves above it in the hypervisor range are empty. */
    run(HINDSIGHT_CPUID_BASE + 1, 0, 0xFFFFFFFF, r);
    CHECK_EQ(r[0] | r[1] | r[2] | r[3], 0);
    run(0x4FFFFFFF, 0, 0xFFFFFFFF, r);
    CHECK_EQ(r[0] | r[1] | r[2] | r[3], 0);
}

TEST(cpuid_passthrough_leaves)
{
    uint32_t r[4] = { 0x16, 0x756E6547, 0x6C65746E, 0x49656E69 }; /* GenuineIntel */
    cpuid_filter(0, 0, r);
    CHECK_EQ(r[0], 0x16);
    CHECK_EQ(r[1], 0x756E6547);
    CHECK_EQ(r[2], 0x6C65746E);
    CHECK_EQ(r[3], 0x49656E69);
    run(0x80000000, 0, 0x80000008, r);
    CHECK_EQ(r[0], 0x80000008);
    run(0x80000008, 0, 0x3027, r);
    CHECK_EQ(r[0], 0x3027);
}

TEST(cpuid_extended_leaf_80000001)
{
    uint32_t r[4];
    run(0x80000001, 0, 0xFFFFFFFF, r);
    CHECK_EQ(r[2], BIT(0) | BIT(5) | BIT(8)); /* LAHF, LZCNT, PREFETCHW only */
    CHECK_EQ(r[3], 0xFFFFFFFF);               /* NX, LM, SYSCALL pass */
}

/* Leaf 0x15 must state the TSC rate itself (ECX * EBX / EAX), also above 2^32 Hz where the
 * crystal field cannot hold it (the old encoding gave hz/div^2 there). */
static uint64_t leaf15_hz(uint64_t hz)
{
    uint32_t r[4];
    cpuid_filter_leaf15(hz, r);
    CHECK(r[0] != 0);
    return r[0] ? (uint64_t)r[2] * r[1] / r[0] : 0;
}

TEST(cpuid_leaf15_encodes_tsc_rate)
{
    uint32_t r[4];
    cpuid_filter_leaf15(0, r);
    CHECK_EQ(r[0] | r[1] | r[2] | r[3], 0);
    CHECK_EQ(leaf15_hz(1000000000ull), 1000000000ull);
    CHECK_EQ(leaf15_hz(0xFFFFFFFFull), 0xFFFFFFFFull);
    cpuid_filter_leaf15(2500000000ull, r);
    CHECK_EQ(r[0], 1);
    CHECK_EQ(r[1], 1);
    CHECK_EQ(r[2], 2500000000u);
    /* Above 2^32 Hz: exact when a small divisor exists. */
    CHECK_EQ(leaf15_hz(4500000000ull), 4500000000ull);
    CHECK_EQ(leaf15_hz(5000000000ull), 5000000000ull);
    CHECK_EQ(leaf15_hz(0x100000000ull), 0x100000000ull);
    CHECK_EQ(leaf15_hz(12345678900ull), 12345678900ull);
    /* A prime rate: off by less than the divisor. */
    uint64_t p = 4294967311ull; /* prime, just above 2^32 */
    uint64_t got = leaf15_hz(p);
    CHECK(got <= p && p - got < 4);
    /* Linux reads the crystal in kHz: crystal_khz * EBX / EAX stays within a kHz per EBX of the rate. */
    cpuid_filter_leaf15(4500000000ull, r);
    CHECK(r[2] <= 0xFFFFFFFFu && r[1] >= 2);
    CHECK_EQ((uint64_t)(r[2] / 1000) * r[1] / r[0], 4500000ull);
}
