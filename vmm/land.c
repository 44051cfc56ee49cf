/* See land.h. The state machine itself (replay/landing.c) is pure and hosted-tested; this file
 * reads the Backup's counter and registers and arms the hardware for what it decides. */
#include "land.h"
#include "console.h"
#include "dbg.h"
#include "nd.h"
#include "tfstep.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"


/* The next logged event, if it is an asynchronous one before the Backup's next synchronous exit. */
static const struct hs_event *next_async(struct vcpu *v)
{
    if (v->rp->diverged)
        return 0;
    const struct hs_event *e = rp_head(v->rp);
    if (!e || !(e->flags & EVF_ASYNC) || e->exit_seq != v->exit_seq)
        return 0;
    if (!v->land.active || v->land.target != e->aux || v->land.rip != e->rip || v->land.digest != e->digest)
        land_start(&v->land, e->aux, e->rip, e->digest, v->land_margin, v->land_max_steps);
    return e;
}

/* The Backup's last stops on its way to an event, for the divergence report. */
#define TRAIL 16
static struct {
    uint64_t count, rip;
    uint16_t reason;
    char how; /* what the next entry did: 'r' run, 's' step (TF, or a timer of 2 for INT n), 'm' MTF step,
               * '0' stop before the first instruction */
} trail[TRAIL];
static unsigned trail_n;

static void note(struct vcpu *v, char how)
{
    unsigned i = (trail_n - 1) % TRAIL;
    if (trail_n && trail[i].count == v->count && trail[i].rip == vmread(VMCS_GUEST_RIP) && !trail[i].how) {
        trail[i].how = how;
        return;
    }
    i = trail_n++ % TRAIL;
    trail[i].count = v->count;
    trail[i].rip = vmread(VMCS_GUEST_RIP);
    trail[i].reason = (uint16_t)v->exit_reason;
    trail[i].how = how;
}

static void diverge(struct vcpu *v, const struct hs_event *e, const char *what, const struct hs_regs *r)
{
    v->rp->mm = (struct hs_mismatch){ e->seq, what, *e,
                                      { v->exit_seq, r->rip, hs_digest(r), v->con_hash, 0, 1, v->count }, EV_NONE };
    v->rp->diverged = true;
    nd_diverged(v);
    kprintf("  landing: target count %lu, the Backup at %lu after %lu steps (margin %lu); its last stops:\n",
            e->aux, v->count, v->land.steps, v->land.margin);
    for (unsigned k = trail_n > TRAIL ? trail_n - TRAIL : 0; k < trail_n; k++)
        kprintf("    count %lu rip 0x%lx after exit %u, then %c\n", trail[k % TRAIL].count, trail[k % TRAIL].rip,
                trail[k % TRAIL].reason, trail[k % TRAIL].how ? trail[k % TRAIL].how : '-');
    land_end(&v->land);
}

static void end_step(struct vcpu *v)
{
    if (v->land_tf.armed)
        tfstep_untrace(v, &v->land_tf);
    if (v->proc_ctls & PROC_MONITOR_TRAP_FLAG) {
        v->proc_ctls &= ~PROC_MONITOR_TRAP_FLAG;
        vmwrite(VMCS_PROC_CONTROLS, v->proc_ctls);
    }
}

void land_after_exit(struct vcpu *v)
{
    v->async_pos = false;
    end_step(v);
    if (v->at_position)
        return; /* a synchronous exit: an event left behind is found by rp_check_passed */
    const struct hs_event *e = next_async(v);
    if (!e)
        return;
    note(v, 0);
    struct hs_regs r;
    vcpu_regs(v, &r);
    uint64_t d = hs_digest(&r), run_for;
    if (v->count > e->aux) {
        diverge(v, e, land_why(land_next(&v->land, v->count, r.rip, d, &run_for)), &r);
        return;
    }
    if (v->count != e->aux || r.rip != e->rip || d != e->digest)
        return; /* not there yet (the step or the run decides next time) */
    v->pos = (struct hs_pos){ v->exit_seq, r.rip, d, v->con_hash, 0, 1, v->count };
    v->async_pos = true;
    v->landings++;
    v->land_steps += v->land.steps;
    land_end(&v->land);
}

bool land_exception(struct vcpu *v)
{
    if (!v->land_stepping)
        return false;
    uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
    unsigned type = (info >> 8) & 7;
    if (type == 2)
        return false; /* an NMI: the platform's */
    if ((info & 0xFF) == VEC_DB) {
        if ((v->exit_qual & 0xF) && dbg_engaged(v))
            return false; /* the debugger's breakpoint or watchpoint */
        if (v->exit_qual & DB_BS) {
            if (v->land_tf.guest_tf)
                tfstep_reinject(v, info); /* the guest traced itself too: its trap as well */
            return true;
        }
    }
    /* The stepped instruction raised an exception (all are intercepted during a step, so that none
     * is delivered with the VMM's TF in its frame): deliver it as the guest's own. */
    tfstep_reinject(v, info);
    return true;
}

bool land_may_run(struct vcpu *v)
{
    const struct hs_shared *sh = v->rp->sh;
    if (v->rp->diverged || __atomic_load_n(&sh->p_stopped, __ATOMIC_ACQUIRE))
        return true;
    if (__atomic_load_n(&sh->p_positions, __ATOMIC_ACQUIRE) > v->positions)
        return true;
    v->rp->waits++;
    return false;
}

static void set_timer_at_most(uint64_t t)
{
    if (vmread(VMCS_PREEMPTION_TIMER) > t)
        vmwrite(VMCS_PREEMPTION_TIMER, t);
}

bool land_before_entry(struct vcpu *v)
{
    v->land_stepping = false;
    /* The debugger's exception bitmap stays; a landing step adds every exception to it. */
    uint32_t bitmap = dbg_engaged(v) ? (uint32_t)vmread(VMCS_EXCEPTION_BITMAP) : 0;
    const struct hs_event *e = next_async(v);
    if (!e || dbg_stepping(v)) {
        /* No event before the next synchronous exit; or the debugger steps the guest one
         * instruction at a time already, and each of its stops is checked at the exit. */
        vmwrite(VMCS_EXCEPTION_BITMAP, bitmap);
        return true;
    }
    struct hs_regs r;
    vcpu_regs(v, &r);
    uint64_t run_for = 0;
    enum land_action a = land_next(&v->land, v->count, r.rip, hs_digest(&r), &run_for);
    bool event_pending = vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
    note(v, a == LAND_RUN ? 'r' : a == LAND_ARRIVED || event_pending ? '0' : v->mtf ? 'm' : 's');
    switch (a) {
    case LAND_RUN:
        if (v->counter == CNT_ICOUNT)
            set_timer_at_most(run_for + 1); /* a timer armed with V exits after V-1 instructions */
        else
            v->pmc_run_for = run_for; /* the counter's overflow interrupt, armed at the entry */
        break;
    case LAND_ARRIVED:
        /* Already there (no instruction since the last exit): an exit before the first instruction,
         * after the delivery of an event queued now, decides with the state the Primary saw. */
        vmwrite(VMCS_PREEMPTION_TIMER, 0);
        break;
    case LAND_STEP:
        if (event_pending) {
            /* The delivery comes first, and a TF step would leave TF in its frame: stop after it. */
            vmwrite(VMCS_PREEMPTION_TIMER, 0);
            break;
        }
        v->land_stepping = true;
        if (v->mtf) {
            v->proc_ctls |= PROC_MONITOR_TRAP_FLAG;
            vmwrite(VMCS_PROC_CONTROLS, v->proc_ctls);
            break;
        }
        enum tf_insn kind = tfstep_decode(v);
        if (kind == TF_SOFTINT) {
            if (v->counter == CNT_ICOUNT) {
                vmwrite(VMCS_PREEMPTION_TIMER, 2); /* exactly one instruction, without TF in its frame */
                break;
            }
            diverge(v, e, "the landing must single-step INT n, which TF cannot do without MTF", &r);
            return false;
        }
        tfstep_arm(v, &v->land_tf, kind);
        bitmap = 0xFFFFFFFFu;
        break;
    default:
        diverge(v, e, land_why(a), &r);
        return false;
    }
    vmwrite(VMCS_EXCEPTION_BITMAP, bitmap);
    return true;
}
