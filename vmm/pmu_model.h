/* Which Intel CPUs the pmc replay mode can count on, from CPUID alone (pure, hosted-testable).
 *
 * The pmc mode counts BR_INST_RETIRED.CONDITIONAL in guest mode. Its event code and umask differ
 * by microarchitecture (C4h/01h up to Comet Lake, C4h/11h from Ice Lake, C4h/7Eh on the Atom
 * cores) and so does the interrupt's skid, hence the landing margin (100 branches up to Rocket
 * Lake, 125 from Alder Lake). The table follows rr's (src/PerfCounters_x86.h, PerfCounters.cc).
 * CPUID only says what to try: vmm/pmu.c accepts the counter only after using it. */
#ifndef HS_PMU_MODEL_H
#define HS_PMU_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CPUID leaves the decision needs, as {EAX, EBX, ECX, EDX}; leaves above CPUID.0:EAX zero. */
struct pmu_cpuid {
    uint32_t leaf0[4];   /* max leaf, vendor (EBX EDX ECX) */
    uint32_t leaf1[4];   /* signature; ECX bit 15 PDCM: IA32_PERF_CAPABILITIES exists */
    uint32_t leaf7[4];   /* subleaf 0; EDX bit 15: hybrid part */
    uint32_t leafa[4];   /* architectural perfmon: version, counters, width, unavailable events */
    uint32_t leaf1a[4];  /* hybrid: EAX[31:24] this core's type (0x20 Atom, 0x40 Core) */
    uint32_t leaf23[4];  /* perfmon extensions: EBX bit 0, PERFEVTSELx.UMASK2 is supported */
};

/* What to program on this CPU. */
struct pmu_model {
    const char *name;        /* "Intel Skylake", for the console */
    uint8_t event, umask;    /* BR_INST_RETIRED.CONDITIONAL */
    uint8_t umask2;          /* IA32_PERFEVTSELx[47:40] (perfmon v6 parts: Lunar Lake, Arrow Lake) */
    uint32_t margin;         /* the landing's skid margin, in conditional branches */
    uint32_t signature;      /* CPUID.1:EAX & 0xF0FF0: extended model, family, model */
    unsigned version;        /* architectural perfmon version (2 or more) */
    unsigned counters;       /* general-purpose counters per core */
    unsigned width;          /* their width in bits */
    bool pdcm;               /* IA32_PERF_CAPABILITIES exists */
};

/* Decides from CPUID whether this is an Intel CPU with a known retired-conditional-branch event
 * and perfmon version 2 or later; fills *m, or says why not in why (and returns false). */
bool pmu_model_lookup(const struct pmu_cpuid *c, struct pmu_model *m, char *why, size_t whylen);
/* The IA32_PERFEVTSEL0 value counting m's event in user and kernel mode, enabled, no interrupt. */
uint64_t pmu_model_evtsel(const struct pmu_model *m);
/* Judges a use test: the counter read c1 after n1 conditional branches and c2 after n2 (n2 > n1),
 * each counted from 0. Accepts counts at least n and at most PMU_SLACK above it; else why. */
bool pmu_counts_plausible(uint64_t n1, uint64_t c1, uint64_t n2, uint64_t c2, char *why, size_t whylen);

/* The extra conditional branches a use test tolerates (a counter enabled and disabled by WRMSR
 * around a loop counts the loop exactly on hardware; this allows for a little more). */
#define PMU_SLACK 32

#endif
