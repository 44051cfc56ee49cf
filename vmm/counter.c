/* Position counters: see counter.h. The icount arithmetic is TESTBED.md's "Counting guest
 * instructions in Bochs 2.7": value at entry − value saved at exit = 1 + N, the 1 being the entry's
 * own tick; V=0 and V=1 both exit before the first guest instruction. One correction found in
 * Bochs 2.7's source (cpu/event.cc): an expiry right after STI or MOV SS exits one instruction late
 * while the saved value stays 0; the TSC (one tick per instruction) measures those runs. */
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
        v->tsc_entry = rdtsc(); /* the last thing before the entry: see counter_after_exit */
    } else if (v->counter == CNT_PMC) {
        /* Per core, not per vCPU: each entry starts a new interval, so two vCPUs sharing the core
         * never see each other's branches. */
        pmu_arm(v->pmc_run_for);
        v->pmc_run_for = 0;
    }
}

/* Host ticks around one guest run beyond its guest instructions: the fixed code path from the
 * TSC read before the entry to the one after the exit (calibrated from runs the timer measured). */
static uint64_t host_path_ticks;
static bool host_path_known;
static uint64_t host_path_changes;

uint64_t counter_host_path_changes(void) { return host_path_changes; }

void counter_after_exit(struct vcpu *v)
{
    if (v->counter == CNT_ICOUNT) {
        uint64_t t = rdtsc(), ticks = t - v->tsc_entry, s = vmread(VMCS_PREEMPTION_TIMER), n;
        if (v->timer_entry <= s)
            return; /* no guest tick at all (an entry that exited at once) */
        n = v->timer_entry - s - 1;
        if (s) {
            /* The timer was still running: its value is exact. It calibrates the TSC path. */
            uint64_t c = ticks - n;
            if (host_path_known && c != host_path_ticks)
                host_path_changes++;
            host_path_ticks = c;
            host_path_known = true;
        } else if (host_path_known && ticks - host_path_ticks > n) {
            /* The timer expired and its saved value stops at 0, but Bochs 2.7 delays the exit past
             * an STI or MOV SS interrupt shadow by one instruction: the TSC, which ticks once per
             * instruction, says how far the guest really went. */
            v->count_late++;
            n = ticks - host_path_ticks;
        }
        v->count += n;
    } else if (v->counter == CNT_PMC) {
        v->count += pmu_read();
        v->pmi = pmu_overflowed();
        if (v->pmi)
            pmu_ack();
    }
}
