/* The CPU table of the pmc mode: see pmu_model.h. Facts from rr (src/PerfCounters_x86.h maps
 * CPUID.1:EAX & 0xF0FF0 to a microarchitecture; src/PerfCounters.cc gives each its raw event and
 * skid size: 0x5101c4 = C4h/01h, 0x5111c4 = C4h/11h, 0x517ec4 = C4h/7Eh, 0x100005111c4 = C4h/11h
 * with umask2 01h; skid 100 up to Rocket Lake and on Atom cores, 125 from Alder Lake). */
#include "pmu_model.h"
#include "lib.h"
#include "msr.h"

#define EVENT_BR_INST_RETIRED 0xC4

enum uarch {
    U_MEROM, U_PENRYN, U_NEHALEM, U_WESTMERE, U_SANDY, U_IVY, U_HASWELL, U_BROADWELL, U_SKYLAKE, U_KABY,
    U_COMET, U_ICE, U_TIGER, U_ROCKET, U_ALDER, U_RAPTOR, U_SAPPHIRE, U_EMERALD, U_GRANITE, U_METEOR,
    U_LUNAR, U_ARROW, U_SILVERMONT, U_GOLDMONT, U_TREMONT, U_GRACEMONT, U_CRESTMONT, U_SKYMONT,
};

struct uarch_info {
    const char *name;
    uint8_t umask;   /* 0: no retired-conditional-branch event */
    uint8_t umask2;
    uint16_t margin;
};

static const struct uarch_info uarchs[] = {
    [U_MEROM] = { "Intel Merom", 0, 0, 100 },
    [U_PENRYN] = { "Intel Penryn", 0, 0, 100 },
    [U_NEHALEM] = { "Intel Nehalem", 0x01, 0, 100 },
    [U_WESTMERE] = { "Intel Westmere", 0x01, 0, 100 },
    [U_SANDY] = { "Intel Sandy Bridge", 0x01, 0, 100 },
    [U_IVY] = { "Intel Ivy Bridge", 0x01, 0, 100 },
    [U_HASWELL] = { "Intel Haswell", 0x01, 0, 100 },
    [U_BROADWELL] = { "Intel Broadwell", 0x01, 0, 100 },
    [U_SKYLAKE] = { "Intel Skylake", 0x01, 0, 100 },
    [U_KABY] = { "Intel Kaby Lake", 0x01, 0, 100 },
    [U_COMET] = { "Intel Comet Lake", 0x01, 0, 100 },
    [U_ICE] = { "Intel Ice Lake", 0x11, 0, 100 },
    [U_TIGER] = { "Intel Tiger Lake", 0x11, 0, 100 },
    [U_ROCKET] = { "Intel Rocket Lake", 0x11, 0, 100 },
    [U_ALDER] = { "Intel Alder Lake", 0x11, 0, 125 },
    [U_RAPTOR] = { "Intel Raptor Lake", 0x11, 0, 125 },
    [U_SAPPHIRE] = { "Intel Sapphire Rapids", 0x11, 0, 125 },
    [U_EMERALD] = { "Intel Emerald Rapids", 0x11, 0, 125 },
    [U_GRANITE] = { "Intel Granite Rapids", 0x11, 0, 125 },
    [U_METEOR] = { "Intel Meteor Lake", 0x11, 0, 125 },
    [U_LUNAR] = { "Intel Lunar Lake", 0x11, 0x01, 125 },
    [U_ARROW] = { "Intel Arrow Lake", 0x11, 0x01, 125 },
    [U_SILVERMONT] = { "Intel Silvermont", 0x7E, 0, 100 },
    [U_GOLDMONT] = { "Intel Goldmont", 0x7E, 0, 100 },
    [U_TREMONT] = { "Intel Tremont", 0x7E, 0, 100 },
    [U_GRACEMONT] = { "Intel Gracemont", 0x7E, 0, 100 },
    [U_CRESTMONT] = { "Intel Crestmont", 0x7E, 0, 100 },
    [U_SKYMONT] = { "Intel Skymont", 0x7E, 0, 100 },
};

/* CPUID.1:EAX & 0xF0FF0 (extended model, family 6, model) of each known part. */
static const struct {
    uint32_t sig;
    enum uarch u;
} cpus[] = {
    { 0x006F0, U_MEROM }, { 0x10660, U_MEROM },
    { 0x10670, U_PENRYN }, { 0x106D0, U_PENRYN },
    { 0x106A0, U_NEHALEM }, { 0x106E0, U_NEHALEM }, { 0x206E0, U_NEHALEM },
    { 0x20650, U_WESTMERE }, { 0x206C0, U_WESTMERE }, { 0x206F0, U_WESTMERE },
    { 0x206A0, U_SANDY }, { 0x206D0, U_SANDY }, { 0x306E0, U_SANDY },
    { 0x306A0, U_IVY },
    { 0x306C0, U_HASWELL }, { 0x306F0, U_HASWELL }, { 0x40650, U_HASWELL }, { 0x40660, U_HASWELL },
    { 0x306D0, U_BROADWELL }, { 0x40670, U_BROADWELL }, { 0x406F0, U_BROADWELL }, { 0x50660, U_BROADWELL },
    { 0x406E0, U_SKYLAKE }, { 0x50650, U_SKYLAKE }, { 0x506E0, U_SKYLAKE },
    { 0x30670, U_SILVERMONT }, { 0x406C0, U_SILVERMONT }, { 0x50670, U_SILVERMONT },
    { 0x506F0, U_GOLDMONT }, { 0x706A0, U_GOLDMONT }, { 0x506C0, U_GOLDMONT },
    { 0x906C0, U_TREMONT },
    { 0x706E0, U_ICE }, { 0x606A0, U_ICE }, { 0x80660, U_ICE },
    { 0x806C0, U_TIGER }, { 0x806D0, U_TIGER },
    { 0x806E0, U_KABY }, { 0x906E0, U_KABY },
    { 0xA0650, U_COMET }, { 0xA0660, U_COMET },
    { 0xA0670, U_ROCKET },
    { 0x90670, U_ALDER }, { 0x906A0, U_ALDER },
    { 0xB0670, U_RAPTOR }, { 0xB06A0, U_RAPTOR }, { 0xB06F0, U_RAPTOR },
    { 0x806F0, U_SAPPHIRE },
    { 0xC06F0, U_EMERALD },
    { 0xA06D0, U_GRANITE },
    { 0xA06A0, U_METEOR },
    { 0xB06D0, U_LUNAR },
    { 0xB06E0, U_GRACEMONT },
    { 0xB0650, U_ARROW }, { 0xC0650, U_ARROW }, { 0xC0660, U_ARROW },
};

#define HYBRID_CORE_ATOM 0x20
#define HYBRID_CORE_CORE 0x40
#define LEAF1_ECX_PDCM (1u << 15)
#define LEAF7_EDX_HYBRID (1u << 15)
#define LEAFA_EBX_BRANCHES_UNAVAILABLE (1u << 5) /* "branch instructions retired" (C4h/00h) */
#define LEAF23_EBX_UMASK2 (1u << 0) /* else writing IA32_PERFEVTSELx[47:40] faults */

/* The efficiency cores of a hybrid part (rr: Gracemont in Alder and Raptor Lake, Crestmont in
 * Meteor Lake, Skymont in Lunar and Arrow Lake). */
static bool atom_of(enum uarch p, enum uarch *e)
{
    switch (p) {
    case U_ALDER: case U_RAPTOR: *e = U_GRACEMONT; return true;
    case U_METEOR: *e = U_CRESTMONT; return true;
    case U_LUNAR: case U_ARROW: *e = U_SKYMONT; return true;
    default: return false;
    }
}

bool pmu_model_lookup(const struct pmu_cpuid *c, struct pmu_model *m, char *why, size_t whylen)
{
    memset(m, 0, sizeof(*m));
    char vendor[13];
    memcpy(vendor, &c->leaf0[1], 4);
    memcpy(vendor + 4, &c->leaf0[3], 4);
    memcpy(vendor + 8, &c->leaf0[2], 4);
    vendor[12] = 0;
    for (unsigned i = 0; i < 12; i++)
        if (vendor[i] < 0x20 || vendor[i] > 0x7E)
            vendor[i] = '?';
    if (memcmp(vendor, "GenuineIntel", 12)) {
        hs_snprintf(why, whylen, "not an Intel CPU (vendor %s): pmc mode counts Intel's retired conditional branches",
                    vendor);
        return false;
    }
    uint32_t max_leaf = c->leaf0[0];
    if (max_leaf < 0xA) {
        hs_snprintf(why, whylen, "CPUID has no performance-monitoring leaf (maximum leaf 0x%x)", max_leaf);
        return false;
    }
    m->version = c->leafa[0] & 0xFF;
    m->counters = (c->leafa[0] >> 8) & 0xFF;
    m->width = (c->leafa[0] >> 16) & 0xFF;
    unsigned ebx_len = (c->leafa[0] >> 24) & 0xFF;
    if (m->version < 2) {
        hs_snprintf(why, whylen, "architectural perfmon version %u (version 2 or later is needed for IA32_PERF_GLOBAL_CTRL)",
                    m->version);
        return false;
    }
    if (m->counters < 1) {
        hs_snprintf(why, whylen, "CPUID reports no general-purpose performance counter");
        return false;
    }
    if (m->width < 32 || m->width > 64) {
        hs_snprintf(why, whylen, "CPUID reports %u-bit performance counters (32 to 64 expected)", m->width);
        return false;
    }
    if (ebx_len > 5 && (c->leafa[1] & LEAFA_EBX_BRANCHES_UNAVAILABLE)) {
        hs_snprintf(why, whylen, "CPUID says the branch-instructions-retired event is not available");
        return false;
    }
    m->signature = c->leaf1[0] & 0xF0FF0;
    m->pdcm = (c->leaf1[2] & LEAF1_ECX_PDCM) != 0;
    unsigned base = (c->leaf1[0] >> 8) & 0xF, family = base, model = (c->leaf1[0] >> 4) & 0xF;
    if (base == 0xF)
        family += (c->leaf1[0] >> 20) & 0xFF;
    if (base == 6 || base == 0xF)
        model |= ((c->leaf1[0] >> 16) & 0xF) << 4;
    unsigned i = 0;
    while (i < ARRAY_SIZE(cpus) && cpus[i].sig != m->signature)
        i++;
    if (i == ARRAY_SIZE(cpus)) {
        hs_snprintf(why, whylen,
                    "Intel family %u model 0x%x (CPUID.1:EAX 0x%x) is not in the CPU table: its retired-conditional-branch "
                    "event is unknown",
                    family, model, c->leaf1[0]);
        return false;
    }
    enum uarch u = cpus[i].u;
    if (max_leaf >= 0x1A && (c->leaf7[3] & LEAF7_EDX_HYBRID)) {
        unsigned type = c->leaf1a[0] >> 24;
        enum uarch e;
        if (type == HYBRID_CORE_ATOM && atom_of(u, &e)) {
            u = e;
        } else if (type != HYBRID_CORE_CORE) {
            hs_snprintf(why, whylen, "%s: this core's hybrid type 0x%x has no known conditional-branch event",
                        uarchs[u].name, type);
            return false;
        }
    }
    const struct uarch_info *ui = &uarchs[u];
    if (!ui->umask) {
        hs_snprintf(why, whylen, "%s has no retired-conditional-branch event", ui->name);
        return false;
    }
    if (ui->umask2 && !(max_leaf >= 0x23 && (c->leaf23[1] & LEAF23_EBX_UMASK2))) {
        hs_snprintf(why, whylen, "%s: its event needs the UMASK2 field, which CPUID leaf 0x23 does not offer", ui->name);
        return false;
    }
    m->name = ui->name;
    m->event = EVENT_BR_INST_RETIRED;
    m->umask = ui->umask;
    m->umask2 = ui->umask2;
    m->margin = ui->margin;
    if (why && whylen)
        why[0] = 0;
    return true;
}

uint64_t pmu_model_evtsel(const struct pmu_model *m)
{
    return m->event | (uint64_t)m->umask << 8 | (uint64_t)m->umask2 << 40 | PERFEVTSEL_USR | PERFEVTSEL_OS |
           PERFEVTSEL_EN;
}

static bool judge(uint64_t n, uint64_t c, char *why, size_t whylen)
{
    if (c == 0)
        hs_snprintf(why, whylen, "PMC0 read 0 after %lu conditional branches", n);
    else if (c < n)
        hs_snprintf(why, whylen, "PMC0 counted %lu of %lu conditional branches", c, n);
    else if (c > n + PMU_SLACK)
        hs_snprintf(why, whylen, "PMC0 counted %lu events for %lu conditional branches: not that event", c, n);
    else
        return true;
    return false;
}

bool pmu_counts_plausible(uint64_t n1, uint64_t c1, uint64_t n2, uint64_t c2, char *why, size_t whylen)
{
    if (!judge(n1, c1, why, whylen) || !judge(n2, c2, why, whylen))
        return false;
    uint64_t want = n2 - n1;
    if (c2 < c1 || c2 - c1 + PMU_SLACK < want || c2 - c1 > want + PMU_SLACK) {
        hs_snprintf(why, whylen, "PMC0 read %lu after %lu conditional branches but %lu after %lu", c1, n1, c2, n2);
        return false;
    }
    if (why && whylen)
        why[0] = 0;
    return true;
}
