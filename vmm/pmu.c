/* The pmc mode's counter on the hardware: see pmu.h. SDM facts used: PMC0 counts when
 * PERFEVTSEL0.EN and IA32_PERF_GLOBAL_CTRL bit 0 are set; a legacy write to IA32_PMC0 sets bits
 * 31:0 and sign-extends bit 31 (full width through IA32_A_PMC0 when IA32_PERF_CAPABILITIES bit 13
 * says so); PERFEVTSEL.INT raises a PMI through the LVT performance-counter entry (xAPIC offset
 * 0x340, x2APIC MSR 0x834), which the APIC masks on delivery; IA32_PERF_CAPABILITIES bit 12 says
 * IA32_DEBUGCTL bit 14 (FREEZE_WHILE_SMM) works. The local APIC's page is reachable as is: the
 * VMM's page tables (paging.c) identity-map everything below 4 GiB, non-RAM uncached, and smp.c
 * already writes the ICR through that mapping; in x2APIC mode its MSRs are used instead. */
#include "pmu.h"
#include "cpu.h"
#include "lib.h"
#include "msr.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"

#define APIC_LVT_PMI 0x340   /* xAPIC register offset */
#define LVT_NMI (4u << 8)    /* delivery mode NMI (the vector is ignored) */
#define LVT_MASKED (1u << 16)
#define GLOBAL_PMC0 1ull     /* IA32_PERF_GLOBAL_CTRL / _STATUS / _OVF_CTRL bit of PMC0 */

static struct pmu_info pmu;
static bool detected;

/* Per core: where the LVT is and the PMC0 value pmu_arm wrote. */
static struct pmu_core {
    bool x2apic;
    volatile uint32_t *apic;
    uint64_t start;
} cores[CPU_MAX];

static void read_cpuid(struct pmu_cpuid *c)
{
    memset(c, 0, sizeof(*c));
    cpuid(0, 0, c->leaf0);
    uint32_t max = c->leaf0[0];
    if (max >= 1)
        cpuid(1, 0, c->leaf1);
    if (max >= 7)
        cpuid(7, 0, c->leaf7);
    if (max >= 0xA)
        cpuid(0xA, 0, c->leafa);
    if (max >= 0x1A)
        cpuid(0x1A, 0, c->leaf1a);
    if (max >= 0x23)
        cpuid(0x23, 0, c->leaf23);
}

/* PMC0 after n (>= 1) conditional branches counted from 0: the JNZ of the loop, n times, between
 * two WRMSRs of IA32_PERF_GLOBAL_CTRL, in one asm block so the compiler adds no branch inside. */
static uint64_t count_branches(uint32_t n)
{
    wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
    wrmsr(MSR_IA32_PERFEVTSEL0, pmu.evtsel);
    wrmsr(MSR_IA32_PMC0, 0);
    wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC0);
    __asm__ volatile("mov %[ctl], %%ecx\n\t"
                     "mov $1, %%eax\n\t"
                     "xor %%edx, %%edx\n\t"
                     "wrmsr\n\t"
                     "1: dec %[n]\n\t"
                     "jnz 1b\n\t"
                     "xor %%eax, %%eax\n\t"
                     "wrmsr\n\t"
                     : [n] "+r"(n)
                     : [ctl] "i"(MSR_IA32_PERF_GLOBAL_CTRL)
                     : "eax", "ecx", "edx", "cc", "memory");
    return rdmsr(MSR_IA32_PMC0) & pmu.mask;
}

bool pmu_detect(struct pmu_info *out, char *why, size_t whylen)
{
    struct pmu_cpuid c;
    read_cpuid(&c);
    memset(&pmu, 0, sizeof(pmu));
    detected = false;
    /* CPUID first: the MSRs below exist only with perfmon v2+ on Intel, and a #GP here is fatal. */
    if (!pmu_model_lookup(&c, &pmu.model, why, whylen))
        return false;
    pmu.evtsel = pmu_model_evtsel(&pmu.model);
    pmu.mask = pmu.model.width >= 64 ? ~0ull : (1ull << pmu.model.width) - 1;
    if (pmu.model.pdcm) {
        uint64_t cap = rdmsr(MSR_IA32_PERF_CAPABILITIES);
        pmu.fw_write = (cap & PERF_CAP_FW_WRITE) != 0;
        pmu.smm_freeze = (cap & PERF_CAP_FREEZE_WHILE_SMM) != 0;
    }
    pmu.counted[0] = count_branches(PMU_TEST_BRANCHES);
    pmu.counted[1] = count_branches(2 * PMU_TEST_BRANCHES);
    wrmsr(MSR_IA32_PERFEVTSEL0, 0);
    wrmsr(MSR_IA32_PMC0, 0);
    wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC0);
    if (!pmu_counts_plausible(PMU_TEST_BRANCHES, pmu.counted[0], 2 * PMU_TEST_BRANCHES, pmu.counted[1], why, whylen))
        return false;
    detected = true;
    *out = pmu;
    return true;
}

static void lvt_write(struct pmu_core *pc, uint32_t v)
{
    if (pc->x2apic)
        wrmsr(MSR_X2APIC_LVT_PMI, v);
    else
        pc->apic[APIC_LVT_PMI / 4] = v;
}

bool pmu_cpu_init(char *why, size_t whylen)
{
    if (!detected) {
        hs_snprintf(why, whylen, "no working performance counter was detected");
        return false;
    }
    struct pmu_core *pc = &cores[this_cpu()->id];
    wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
    wrmsr(MSR_IA32_PERFEVTSEL0, pmu.evtsel);
    wrmsr(MSR_IA32_PMC0, 0);
    wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC0);
    pc->start = 0;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) {
        hs_snprintf(why, whylen, "the local APIC is disabled: no counter-overflow interrupt");
        return false;
    }
    pc->x2apic = (base & APIC_BASE_X2APIC) != 0;
    uint64_t pa = base & 0x000FFFFFFFFFF000ull;
    if (!pc->x2apic && pa >= (4ull << 30)) {
        hs_snprintf(why, whylen, "the local APIC is at 0x%lx, above the VMM's uncached 4 GiB", pa);
        return false;
    }
    pc->apic = (volatile uint32_t *)(uintptr_t)pa;
    lvt_write(pc, LVT_NMI | LVT_MASKED);
    return true;
}

bool pmu_vmcs_setup(uint32_t *entry_ctls, char *why, size_t whylen)
{
    if (!detected) {
        hs_snprintf(why, whylen, "no working performance counter was detected");
        return false;
    }
    bool true_ctls = (rdmsr(MSR_IA32_VMX_BASIC) >> 55) & 1;
    uint64_t exitc = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
    uint64_t entry = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
    if (!((exitc >> 32) & EXIT_LOAD_PERF_GLOBAL_CTRL) || !((entry >> 32) & ENTRY_LOAD_PERF_GLOBAL_CTRL)) {
        hs_snprintf(why, whylen, "VMX cannot load IA32_PERF_GLOBAL_CTRL on VM %s: the counter would count the VMM too",
                    (exitc >> 32) & EXIT_LOAD_PERF_GLOBAL_CTRL ? "entry" : "exit");
        return false;
    }
    vmwrite(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, GLOBAL_PMC0);
    vmwrite(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, 0);
    vmwrite(VMCS_EXIT_CONTROLS, vmread(VMCS_EXIT_CONTROLS) | EXIT_LOAD_PERF_GLOBAL_CTRL);
    *entry_ctls |= ENTRY_LOAD_PERF_GLOBAL_CTRL;
    vmwrite(VMCS_ENTRY_CONTROLS, *entry_ctls);
    /* DEBUGCTL is guest state (loaded at entry, cleared at exit): the freeze must be in the guest's. */
    if (pmu.smm_freeze)
        vmwrite(VMCS_GUEST_IA32_DEBUGCTL, vmread(VMCS_GUEST_IA32_DEBUGCTL) | DEBUGCTL_FREEZE_WHILE_SMM);
    return true;
}

uint64_t pmu_arm(uint64_t run_for)
{
    struct pmu_core *pc = &cores[this_cpu()->id];
    uint64_t max = pmu.fw_write ? pmu.mask : 1ull << 31;
    if (run_for > max)
        run_for = max;
    uint64_t start = (0 - run_for) & pmu.mask;
    wrmsr(MSR_IA32_PERFEVTSEL0, pmu.evtsel | (run_for ? PERFEVTSEL_INT : 0));
    if (pmu.fw_write)
        wrmsr(MSR_IA32_A_PMC0, start);
    else
        wrmsr(MSR_IA32_PMC0, start & 0xFFFFFFFFull); /* bit 31 set for run_for in 1..2^31: sign-extends */
    wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC0);
    lvt_write(pc, run_for ? LVT_NMI : LVT_NMI | LVT_MASKED);
    pc->start = start;
    return run_for;
}

uint64_t pmu_read(void)
{
    return (rdmsr(MSR_IA32_PMC0) - cores[this_cpu()->id].start) & pmu.mask;
}

bool pmu_overflowed(void) { return (rdmsr(MSR_IA32_PERF_GLOBAL_STATUS) & GLOBAL_PMC0) != 0; }

void pmu_ack(void)
{
    wrmsr(MSR_IA32_PERF_GLOBAL_OVF_CTRL, GLOBAL_PMC0);
    lvt_write(&cores[this_cpu()->id], LVT_NMI);
}

void pmu_unblock_nmi(void)
{
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "mov %%ss, %%rcx\n\t"
                     "push %%rcx\n\t"
                     "push %%rax\n\t"
                     "pushfq\n\t"
                     "mov %%cs, %%rcx\n\t"
                     "push %%rcx\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "push %%rax\n\t"
                     "iretq\n\t"
                     "1:"
                     ::: "rax", "rcx", "cc", "memory");
}
