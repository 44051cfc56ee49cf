/* The pmc replay mode's counter: BR_INST_RETIRED.CONDITIONAL on PMC0, guest mode only, with an
 * overflow interrupt delivered as an NMI (so a PMI in guest mode is an NMI VM exit).
 *
 * Use, per the DESIGN.md "Positions" section:
 *   boot, core 0:   pmu_detect() — CPUID names the event (pmu_model.c), then a use test decides;
 *   each core:      pmu_cpu_init() after pmu_detect succeeded;
 *   each vCPU:      pmu_vmcs_setup() with its VMCS current (guest-only counting, freeze in SMM);
 *   before every entry: pmu_arm(run_for) — run_for 0 counts without an interrupt;
 *   after every exit:   pmu_read() events since that pmu_arm (add it to the vCPU's count), and
 *                   pmu_overflowed() to tell a PMI's NMI exit from another NMI;
 *   on NMI exits:   pmu_unblock_nmi() once the NMI is handled (an NMI exit leaves NMIs blocked).
 * PMC0 and its start value are per core: two vCPUs sharing a core (cores=1) each pmu_read at their
 * exits and pmu_arm before their entries, so their counts stay apart.
 *
 * The VMM's own IDT must survive vector 2: a PMI raised by the guest's last instructions can be
 * delivered just after the VM exit, in VMX root; its handler should return (IRET) when
 * pmu_overflowed() says so. No machine here has a PMU (Bochs: PMCs read 0, writes ignored), so
 * this file is compiled and its pure part (pmu_model.c) unit-tested, not run. */
#ifndef HS_PMU_H
#define HS_PMU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pmu_model.h"

/* What detection found. */
struct pmu_info {
    struct pmu_model model;  /* event, margin, perfmon version, counter width, name */
    uint64_t evtsel;         /* IA32_PERFEVTSEL0 without the interrupt bit */
    uint64_t mask;           /* 2^width - 1 */
    bool fw_write;           /* PMC0 takes full-width writes (IA32_A_PMC0) */
    bool smm_freeze;         /* IA32_DEBUGCTL.FREEZE_WHILE_SMM is supported */
    uint64_t counted[2];     /* the use test: counts after PMU_TEST_BRANCHES and twice that */
};

#define PMU_TEST_BRANCHES 1000u

/* Detects a working retired-conditional-branch counter by using it (never by CPUID alone): true
 * and *out filled, or false with the reason in why (e.g. "PMC0 read 0 after 1000 conditional
 * branches"). Leaves PMC0 disabled. Call once, on core 0, before the other functions. */
bool pmu_detect(struct pmu_info *out, char *why, size_t whylen);
/* Programs this core: PMC0 counting the event whenever IA32_PERF_GLOBAL_CTRL enables it, the LVT
 * performance-counter entry to NMI (masked until pmu_arm); false with why if the local APIC is off. */
bool pmu_cpu_init(char *why, size_t whylen);
/* With a vCPU's VMCS current: VM entry loads IA32_PERF_GLOBAL_CTRL = PMC0 on, VM exit loads 0 (only
 * guest instructions count); the guest's IA32_DEBUGCTL gets FREEZE_WHILE_SMM where supported. ORs
 * the entry control into *entry_ctls (the caller's copy) and writes both control fields; false
 * with why if the VMX capability MSRs do not allow the controls. */
bool pmu_vmcs_setup(uint32_t *entry_ctls, char *why, size_t whylen);
/* Starts a counting interval on this core: PMC0 = 2^width - run_for, so it overflows (a PMI,
 * delivered as an NMI) after run_for events; run_for 0 counts without an interrupt. Returns the
 * run_for armed: at most 2^31 without full-width writes (arm again for the rest). */
uint64_t pmu_arm(uint64_t run_for);
/* Guest-mode events counted on this core since the last pmu_arm, the skid past the overflow included. */
uint64_t pmu_read(void);
/* Whether PMC0 overflowed since the last pmu_arm (IA32_PERF_GLOBAL_STATUS bit 0). */
bool pmu_overflowed(void);
/* Clears PMC0's overflow status (IA32_PERF_GLOBAL_OVF_CTRL) and unmasks the PMI, which the local
 * APIC masks when it delivers one. */
void pmu_ack(void);
/* Ends the NMI blocking a VM exit for an NMI leaves in VMX root, with an IRET to the next line. */
void pmu_unblock_nmi(void);

#endif
