/* Position counters: see counter.h. The icount arithmetic is TESTBED.md's "Counting guest
 * instructions in Bochs 2.7": value at entry − value saved at exit = 1 + N, the 1 being the entry's
 * own tick; V=0 and V=1 both exit before the first guest instruction. */
#include "counter.h"
#include "console.h"
#include "cpu.h"
#include "lib.h"
#include "pmu.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"

/* TSC ticks across `n` iterations of a two-instruction loop (plus a fixed frame around it). */
static uint64_t loop_delta(uint64_t n)
{
    uint32_t lo0, hi0, lo1, hi1;
    __asm__ volatile("rdtsc\n\tmov %%eax, %0\n\tmov %%edx, %1\n"
                     "1:\tdec %4\n\tjnz 1b\n\trdtsc"
                     : "=&r"(lo0), "=&r"(hi0), "=a"(lo1), "=d"(hi1), "+r"(n)
                     :
                     : "cc");
    return (((uint64_t)hi1 << 32) | lo1) - (((uint64_t)hi0 << 32) | lo0);
}

bool icount_detect(char *why, size_t whylen)
{
    if (!vmx_icount_capable(why, whylen))
        return false;
    /* Twice 1000 more iterations must cost exactly 2000 more ticks, every time. */
    uint64_t a = loop_delta(1000), b = loop_delta(2000), c = loop_delta(3000);
    if (b - a != 2000 || c - b != 2000) {
        hs_snprintf(why, whylen,
                    "the TSC does not count one tick per instruction here (1000 more loop iterations cost %lu "
                    "and %lu ticks, not 2000): real hardware, or more than one emulated CPU",
                    b - a, c - b);
        return false;
    }
    return true;
}

bool counter_vcpu_setup(struct vcpu *v, char *why, size_t whylen)
{
    static bool core_ready[CPU_MAX];
    if (v->counter != CNT_PMC)
        return true;
    if (!core_ready[v->cpu->id]) {
        if (!pmu_cpu_init(why, whylen))
            return false;
        core_ready[v->cpu->id] = true;
    }
    return pmu_vmcs_setup(&v->entry_ctls, why, whylen);
}

void counter_before_entry(struct vcpu *v)
{
    if (v->counter == CNT_ICOUNT) {
        v->timer_entry = vmread(VMCS_PREEMPTION_TIMER);
    } else if (v->counter == CNT_PMC) {
        /* Per core, not per vCPU: each entry starts a new interval, so two vCPUs sharing the core
         * never see each other's branches. */
        pmu_arm(v->pmc_run_for);
        v->pmc_run_for = 0;
    }
}

void counter_after_exit(struct vcpu *v)
{
    if (v->counter == CNT_ICOUNT) {
        uint64_t s = vmread(VMCS_PREEMPTION_TIMER);
        if (v->timer_entry > s)
            v->count += v->timer_entry - s - 1;
    } else if (v->counter == CNT_PMC) {
        v->count += pmu_read();
        v->pmi = pmu_overflowed();
        if (v->pmi)
            pmu_ack();
    }
}
