/* Getting virtual interrupts into the guest. */
#ifndef HS_INTR_H
#define HS_INTR_H
#include <stdbool.h>
#include "vcpu.h"

/* What to do with a pending interrupt before a VM entry. */
enum intr_action { INTR_NONE, INTR_INJECT, INTR_WINDOW };

/* The injection decision, pure: inject only when a request is pending, no event is already
 * queued for this entry and the guest can take it; otherwise wait for its interrupt window.
 * In the recorded modes it is taken only at positions (may_inject false elsewhere: nothing changes). */
static inline enum intr_action intr_decide(bool pending, bool entry_busy, bool guest_if, bool blocked,
                                           bool may_inject)
{
    if (!may_inject || !pending)
        return INTR_NONE;
    if (!entry_busy && guest_if && !blocked)
        return INTR_INJECT;
    return INTR_WINDOW;
}

/* Re-queues an event whose delivery the last exit interrupted (IDT-vectoring information). */
void intr_requeue_interrupted(struct vcpu *v);
/* Before a VM entry: advance devices, inject a pending interrupt or open an interrupt window, arm
 * the preemption timer. Returns EXIT_WAIT while the guest is halted with nothing to deliver. */
enum exit_result intr_before_entry(struct vcpu *v);
/* The VMX preemption timer value for the next entry (timer deadline, or the time slice). */
void intr_arm_timer(struct vcpu *v, uint64_t slice_tsc);

#endif
