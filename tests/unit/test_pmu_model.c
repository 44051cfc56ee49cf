/* The pmc mode's CPU table (vmm/pmu_model.c): real Intel signatures get rr's event and margin;
 * unknown models, other vendors, perfmon before version 2 and odd CPUID are refused with a
 * reason; the use test's judgement of counts. */
#include <string.h>
#include "check.h"
#include "msr.h"
#include "pmu_model.h"

/* CPUID as an Intel part with signature sig (CPUID.1:EAX) and perfmon version/counters/width. */
static struct pmu_cpuid intel(uint32_t sig, unsigned version, unsigned counters, unsigned width)
{
    struct pmu_cpuid c;
    memset(&c, 0, sizeof(c));
    c.leaf0[0] = 0x23;
    c.leaf0[1] = 0x756e6547; /* "Genu" */
    c.leaf0[3] = 0x49656e69; /* "ineI" */
    c.leaf0[2] = 0x6c65746e; /* "ntel" */
    c.leaf1[0] = sig;
    c.leaf1[2] = 1u << 15;   /* PDCM */
    c.leafa[0] = version | counters << 8 | width << 16 | 7u << 24;
    c.leaf23[1] = 1; /* UMASK2 */
    return c;
}

static const struct {
    uint32_t sig;       /* a real CPUID.1:EAX, stepping included */
    const char *part;
    const char *name;
    uint8_t umask, umask2;
    uint32_t margin;
} known[] = {
    { 0x106A5, "Core i7-920", "Intel Nehalem", 0x01, 0, 100 },
    { 0x206A7, "Core i7-2600", "Intel Sandy Bridge", 0x01, 0, 100 },
    { 0x306A9, "Core i7-3770", "Intel Ivy Bridge", 0x01, 0, 100 },
    { 0x306C3, "Core i7-4770 (Bochs' corei7_haswell_4770)", "Intel Haswell", 0x01, 0, 100 },
    { 0x306F2, "Xeon E5-2680 v3", "Intel Haswell", 0x01, 0, 100 },
    { 0x406F1, "Xeon E5-2680 v4", "Intel Broadwell", 0x01, 0, 100 },
    { 0x506E3, "Core i7-6700K", "Intel Skylake", 0x01, 0, 100 },
    { 0x50654, "Xeon Gold 6130 (Skylake-SP)", "Intel Skylake", 0x01, 0, 100 },
    { 0x906E9, "Core i7-7700K", "Intel Kaby Lake", 0x01, 0, 100 },
    { 0x906EC, "Core i9-9900K (Coffee Lake)", "Intel Kaby Lake", 0x01, 0, 100 },
    { 0xA0655, "Core i7-10700 (Comet Lake)", "Intel Comet Lake", 0x01, 0, 100 },
    { 0x706E5, "Core i7-1065G7", "Intel Ice Lake", 0x11, 0, 100 },
    { 0x606A6, "Xeon Platinum 8380 (Ice Lake-SP)", "Intel Ice Lake", 0x11, 0, 100 },
    { 0x806C1, "Core i7-1165G7", "Intel Tiger Lake", 0x11, 0, 100 },
    { 0xA0671, "Core i9-11900K", "Intel Rocket Lake", 0x11, 0, 100 },
    { 0x90672, "Core i9-12900K", "Intel Alder Lake", 0x11, 0, 125 },
    { 0xB0671, "Core i5-13600K", "Intel Raptor Lake", 0x11, 0, 125 },
    { 0x806F8, "Xeon Platinum 8480+", "Intel Sapphire Rapids", 0x11, 0, 125 },
    { 0xA06A4, "Core Ultra 7 155H", "Intel Meteor Lake", 0x11, 0, 125 },
    { 0xB06D1, "Core Ultra 7 258V", "Intel Lunar Lake", 0x11, 0x01, 125 },
    { 0xC0662, "Core Ultra 9 285K", "Intel Arrow Lake", 0x11, 0x01, 125 },
    { 0x506C9, "Pentium N4200 (Apollo Lake)", "Intel Goldmont", 0x7E, 0, 100 },
    { 0x906C0, "Celeron N5100 (Jasper Lake)", "Intel Tremont", 0x7E, 0, 100 },
    { 0x50673, "Atom C2750 (Avoton)", "Intel Silvermont", 0x7E, 0, 100 },
};

TEST(pmu_model_known_intel_parts)
{
    char why[200];
    for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        struct pmu_cpuid c = intel(known[i].sig, 4, 8, 48);
        struct pmu_model m;
        strcpy(why, "untouched");
        if (!pmu_model_lookup(&c, &m, why, sizeof(why))) {
            hs_fail(__FILE__, __LINE__, "%s (0x%x) refused: %s", known[i].part, known[i].sig, why);
            continue;
        }
        CHECK_STREQ(m.name, known[i].name);
        CHECK_EQ(m.event, 0xC4);
        CHECK_EQ(m.umask, known[i].umask);
        CHECK_EQ(m.umask2, known[i].umask2);
        CHECK_EQ(m.margin, known[i].margin);
        CHECK_EQ(m.signature, known[i].sig & 0xF0FF0);
        CHECK_EQ(m.version, 4);
        CHECK_EQ(m.counters, 8);
        CHECK_EQ(m.width, 48);
        CHECK(m.pdcm);
        CHECK_STREQ(why, "");
    }
}

/* The rule: C4h/01h up to Comet Lake, C4h/11h from Ice Lake; rr's margins 100 up to
 * Rocket Lake and 125 from Alder Lake. */
TEST(pmu_model_event_and_margin_boundaries)
{
    char why[200];
    struct pmu_model m;
    struct pmu_cpuid c = intel(0xA0655, 5, 8, 48); /* Comet Lake */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_EQ(pmu_model_evtsel(&m), 0xC4 | 0x01 << 8 | PERFEVTSEL_USR | PERFEVTSEL_OS | PERFEVTSEL_EN);
    CHECK_EQ(pmu_model_evtsel(&m), 0x4301C4);
    c = intel(0x706E5, 5, 8, 48); /* Ice Lake */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_EQ(pmu_model_evtsel(&m), 0x4311C4);
    CHECK_EQ(m.margin, 100);
    c = intel(0xA0671, 5, 8, 48); /* Rocket Lake */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_EQ(m.margin, 100);
    c = intel(0x90672, 5, 8, 48); /* Alder Lake */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_EQ(m.margin, 125);
    CHECK_EQ(pmu_model_evtsel(&m), 0x4311C4);
    c = intel(0xC0662, 6, 8, 48); /* Arrow Lake: rr's 0x100005111c4, umask2 01h in bits 47:40 */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_EQ(pmu_model_evtsel(&m), 0x100004311C4ull);
    /* Without UMASK2 in CPUID leaf 0x23, programming it would fault: refused. */
    c.leaf23[1] = 0;
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "Intel Arrow Lake: its event needs the UMASK2 field, which CPUID leaf 0x23 does not offer");
    c.leaf23[1] = 1;
    c.leaf0[0] = 0x22;
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_CONTAINS(why, "UMASK2");
    c = intel(0x90672, 5, 8, 48); /* Alder Lake does not need it */
    c.leaf0[0] = 0x20;
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    /* The interrupt bit is pmu_arm's business, not the model's. */
    CHECK_EQ(pmu_model_evtsel(&m) & PERFEVTSEL_INT, 0);
}

/* Hybrid parts: the core's type (CPUID.1AH) picks the P-core event or the E-core's (rr's table). */
TEST(pmu_model_hybrid_core_types)
{
    char why[200];
    struct pmu_model m;
    struct pmu_cpuid c = intel(0x90672, 5, 8, 48); /* Alder Lake */
    c.leaf7[3] = 1u << 15;
    c.leaf1a[0] = 0x40u << 24; /* Core */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(m.name, "Intel Alder Lake");
    CHECK_EQ(m.umask, 0x11);
    CHECK_EQ(m.margin, 125);
    c.leaf1a[0] = 0x20u << 24; /* Atom */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(m.name, "Intel Gracemont");
    CHECK_EQ(m.umask, 0x7E);
    CHECK_EQ(m.margin, 100);
    c.leaf1[0] = 0xA06A4; /* Meteor Lake E-core */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(m.name, "Intel Crestmont");
    c.leaf1[0] = 0xC0662; /* Arrow Lake E-core: no umask2 */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(m.name, "Intel Skymont");
    CHECK_EQ(m.umask2, 0);
    c.leaf1a[0] = 0x10u << 24; /* a type nobody knows */
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "Intel Arrow Lake: this core's hybrid type 0x10 has no known conditional-branch event");
    c = intel(0x506E3, 4, 8, 48); /* Skylake claiming to be hybrid with an Atom core */
    c.leaf7[3] = 1u << 15;
    c.leaf1a[0] = 0x20u << 24;
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_CONTAINS(why, "hybrid type 0x20");
    /* The hybrid bit without leaf 1AH (maximum leaf below it): the table entry as is. */
    c.leaf0[0] = 0x16;
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(m.name, "Intel Skylake");
}

TEST(pmu_model_refusals)
{
    char why[200];
    struct pmu_model m;
    struct pmu_cpuid c;

    /* AMD (Zen 3): rr counts its branches too, but with unbounded skid; not this mode. */
    c = intel(0xA20F10, 0, 0, 0);
    c.leaf0[1] = 0x68747541; /* "Auth" */
    c.leaf0[3] = 0x69746e65; /* "enti" */
    c.leaf0[2] = 0x444d4163; /* "cAMD" */
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "not an Intel CPU (vendor AuthenticAMD): pmc mode counts Intel's retired conditional branches");
    c.leaf0[1] = 0; /* garbage vendor bytes are printed safely */
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "not an Intel CPU (vendor ????enticAMD): pmc mode counts Intel's retired conditional branches");

    /* Perfmon version 1: no IA32_PERF_GLOBAL_CTRL, so no guest-only counting. */
    c = intel(0x506E3, 1, 2, 40);
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "architectural perfmon version 1 (version 2 or later is needed for IA32_PERF_GLOBAL_CTRL)");
    c = intel(0x506E3, 0, 0, 0); /* a hypervisor hiding the PMU */
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_CONTAINS(why, "perfmon version 0");
    c = intel(0x506E3, 4, 8, 48);
    c.leaf0[0] = 0x9;
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "CPUID has no performance-monitoring leaf (maximum leaf 0x9)");
    c = intel(0x506E3, 4, 0, 48);
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "CPUID reports no general-purpose performance counter");
    c = intel(0x506E3, 4, 8, 16);
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "CPUID reports 16-bit performance counters (32 to 64 expected)");
    c = intel(0x506E3, 4, 8, 48);
    c.leafa[1] = 1u << 5;
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "CPUID says the branch-instructions-retired event is not available");
    c.leafa[0] = (c.leafa[0] & 0x00FFFFFF) | 5u << 24; /* the bit is beyond the vector's length: ignored */
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));

    /* Unknown models: newer than the table, or another family. */
    c = intel(0xC06C1, 6, 8, 48); /* family 6 model 0xCC: not in rr's table */
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "Intel family 6 model 0xcc (CPUID.1:EAX 0xc06c1) is not in the CPU table: its "
                     "retired-conditional-branch event is unknown");
    c = intel(0xF43, 2, 2, 40); /* Pentium 4 */
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_CONTAINS(why, "Intel family 15 model 0x4 ");
    c = intel(0x4B0F61, 6, 8, 48); /* family 0xF + extended family 4 = 19, extended model 0xB */
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "Intel family 19 model 0xb6 (CPUID.1:EAX 0x4b0f61) is not in the CPU table: its "
                     "retired-conditional-branch event is unknown");

    /* Known, but without a conditional-branch event (rr: Merom, Penryn). */
    c = intel(0x6F6, 2, 2, 40);
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "Intel Merom has no retired-conditional-branch event");
    c = intel(0x10676, 2, 2, 40);
    CHECK(!pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK_STREQ(why, "Intel Penryn has no retired-conditional-branch event");

    /* No PDCM: the model is fine, IA32_PERF_CAPABILITIES just must not be read. */
    c = intel(0x506E3, 4, 8, 48);
    c.leaf1[2] = 0;
    CHECK(pmu_model_lookup(&c, &m, why, sizeof(why)));
    CHECK(!m.pdcm);
}

/* The use test: exactly the branches (or a few more) are accepted; nothing, too few, something
 * else counted, or a count that does not grow with the branches is refused with the reason. */
TEST(pmu_model_counts_plausible)
{
    char why[200];
    CHECK(pmu_counts_plausible(1000, 1000, 2000, 2000, why, sizeof(why)));
    CHECK_STREQ(why, "");
    CHECK(pmu_counts_plausible(1000, 1000 + PMU_SLACK, 2000, 2000 + PMU_SLACK, why, sizeof(why)));
    CHECK(pmu_counts_plausible(1000, 1003, 2000, 2001, why, sizeof(why)));
    CHECK(!pmu_counts_plausible(1000, 0, 2000, 0, why, sizeof(why)));
    CHECK_STREQ(why, "PMC0 read 0 after 1000 conditional branches");
    CHECK(!pmu_counts_plausible(1000, 1000, 2000, 0, why, sizeof(why)));
    CHECK_STREQ(why, "PMC0 read 0 after 2000 conditional branches");
    CHECK(!pmu_counts_plausible(1000, 500, 2000, 1000, why, sizeof(why)));
    CHECK_STREQ(why, "PMC0 counted 500 of 1000 conditional branches");
    CHECK(!pmu_counts_plausible(1000, 3050, 2000, 6100, why, sizeof(why))); /* cycles, say */
    CHECK_STREQ(why, "PMC0 counted 3050 events for 1000 conditional branches: not that event");
    CHECK(!pmu_counts_plausible(1000, 1000 + PMU_SLACK + 1, 2000, 2000, why, sizeof(why)));
    CHECK_CONTAINS(why, "not that event");
    /* Within the slack each, but not growing with the branches. */
    CHECK(!pmu_counts_plausible(1000, 1000 + PMU_SLACK, 1010, 1010, why, sizeof(why)));
    CHECK_STREQ(why, "PMC0 read 1032 after 1000 conditional branches but 1010 after 1010");
    CHECK(!pmu_counts_plausible(100, 100, 1000, 932, why, sizeof(why)));
    CHECK_STREQ(why, "PMC0 counted 932 of 1000 conditional branches");
}
