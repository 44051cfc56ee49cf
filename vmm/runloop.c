/* One loop per core. With two vCPUs on a core (cores=1), the policy is: the current vCPU keeps the
 * core until it must wait (the Primary: for room in the ring or for an interrupt while halted;
 * the Backup: for the Primary to get past its position, or for the lag) or its slice runs out;
 * then the other one runs; the Primary also yields once the Backup is more than LAG_SLACK events
 * beyond the configured lag. A waiting Backup therefore always gives the Primary the core, and a
 * Primary that has filled the ring gives it to the Backup, so neither can starve the other.
 *
 * State VMX does not switch (FPU/SSE, CR2, the SYSCALL MSRs, KERNEL_GS_BASE) is swapped here when
 * the core changes hands, so each guest sees only its own. */
#include "runloop.h"
#include "console.h"
#include "counter.h"
#include "dbg.h"
#include "exit.h"
#include "hostirq.h"
#include "intr.h"
#include "land.h"
#include "lib.h"
#include "msr.h"
#include "run.h"
#include "vcpu.h"
#include "vmcs.h"
#include "tlb.h"
#include "vmx.h"
#include "x86.h"

extern int vmx_run(struct vcpu *v, int launched);
void vmx_entry_failed(struct vcpu *v, int resumed);

static uint8_t fpu_template[512] __attribute__((aligned(16)));

void sched_init_fpu_template(void)
{
    /* FNINIT state, MXCSR at its reset value, XMM registers zero: the same on every core. */
    static const uint32_t mxcsr = 0x1F80;
    __asm__ volatile("fninit; ldmxcsr %0" ::"m"(mxcsr));
    __asm__ volatile("fxsave64 %0" : "=m"(fpu_template));
    memset(fpu_template + 32, 0, 512 - 32); /* ST0-7, XMM0-15, the rest */
}

static void save_hw(struct vcpu *v)
{
    __asm__ volatile("fxsave64 %0" : "=m"(v->hw.fx));
    v->hw.cr2 = read_cr2();
    v->hw.kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
}

static void load_hw(struct vcpu *v)
{
    __asm__ volatile("fxrstor64 %0" ::"m"(v->hw.fx));
    write_cr2(v->hw.cr2);
    wrmsr(MSR_IA32_STAR, v->hw.star);
    wrmsr(MSR_IA32_LSTAR, v->hw.lstar);
    wrmsr(MSR_IA32_CSTAR, v->hw.cstar);
    wrmsr(MSR_IA32_FMASK, v->hw.fmask);
    wrmsr(MSR_IA32_KERNEL_GS_BASE, v->hw.kernel_gs_base);
}

static void load(struct cpu *c, struct vcpu *v)
{
    if (c->loaded == v)
        return;
    if (c->loaded)
        save_hw(c->loaded);
    uint8_t fail;
    __asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(v->vmcs_pa) : "cc", "memory");
    if (fail) {
        kprintf("hindsight: FATAL: VMPTRLD of %s's VMCS failed on core %u\n", v->name, c->id);
        halt_forever();
    }
    load_hw(v);
    c->loaded = v;
    c->vcpu = v;
}

/* A Primary sharing its core hands it over once the Backup is this far beyond the lag, so the
 * lag stays near its configured value instead of drifting to the ring's size. */
#define LAG_SLACK 512u

static bool backup_behind(const struct vcpu *v)
{
    if (v->mode != VCPU_RECORD)
        return false;
    const struct hs_shared *sh = v->rp->sh;
    return !sh->lag_tsc && ring_used((const struct ring_hdr *)sh->ring_mem) > sh->lag_events + LAG_SLACK;
}

/* One step of v: finish a suspended exit, or enter the guest and handle the exit it comes back with. */
static enum exit_result step(struct vcpu *v, uint64_t slice)
{
    if (v->dbg && dbg_stopped(v))
        return dbg_serve(v);
    if (v->stage == STAGE_IN_GUEST) {
        bool lands = v->mode == VCPU_REPLAY && v->counter != CNT_EXIT;
        if (lands && !land_may_run(v))
            return EXIT_WAIT; /* an event the Primary has yet to record may lie ahead */
        /* A debugged Backup exits now and then even alone on its core, so a break-in is seen. */
        intr_arm_timer(v, slice || !dbg_engaged(v) ? slice : SCHED_SLICE_TSC);
        if (v->dbg)
            dbg_before_entry(v);
        if (lands && !land_before_entry(v))
            return vmexit_stopped(v);
        if (!v->launched)
            v->launch_tsc = rdtsc();
        tlb_before_entry(v);
        hostirq_before_entry(v);
        counter_before_entry(v);
        if (vmx_run(v, v->launched)) {
            vmx_entry_failed(v, v->launched);
            vcpu_finish(v);
            return EXIT_STOPPED;
        }
        counter_after_exit(v);
        v->launched = true;
        vmexit_take(v);
    }
    return vmexit_continue(v);
}

void sched_run(struct cpu *c)
{
    for (unsigned i = 0; i < c->nrun; i++)
        memcpy(c->run[i]->hw.fx, fpu_template, sizeof(fpu_template));
    unsigned cur = 0;
    uint64_t slice = c->nrun > 1 ? SCHED_SLICE_TSC : 0;
    c->run[0]->slice_start = rdtsc();
    for (;;) {
        struct vcpu *v = c->run[cur];
        unsigned other = c->nrun > 1 ? cur ^ 1 : cur;
        if (v->done) {
            if (c->run[other]->done)
                run_core_finished(c);
            cur = other;
            c->run[cur]->slice_start = rdtsc();
            continue;
        }
        uint64_t t0 = rdtsc();
        load(c, v);
        uint64_t t1 = rdtsc();
        enum exit_result r = step(v, slice);
        uint64_t t2 = rdtsc();
        if (r != EXIT_WAIT) /* busy time only: a halted or gated vCPU's polling is not its cost */
            v->run_ticks += t2 - t1;
        /* Time is stolen from a guest that could have run meanwhile: the other one, unless it is
         * halted (an idle guest's clock runs on, or its timer would never come), and this one
         * when it waited for something other than an interrupt (room in the ring). */
        for (unsigned i = 0; i < c->nrun; i++) {
            struct vcpu *u = c->run[i];
            if (u != v && !u->done && !u->halted)
                u->stolen += t2 - t0;
        }
        if (r == EXIT_WAIT && !v->halted)
            v->stolen += t2 - t1;
        bool other_ready = other != cur && !c->run[other]->done;
        if (r == EXIT_WAIT) {
            if (other_ready) {
                cur = other;
                c->run[cur]->slice_start = rdtsc();
            } else {
                cpu_relax();
            }
        } else if (r == EXIT_RESUME && other_ready &&
                   (rdtsc() - v->slice_start > SCHED_SLICE_TSC || backup_behind(v))) {
            cur = other;
            c->run[cur]->slice_start = rdtsc();
        }
    }
}
