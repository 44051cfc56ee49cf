/* Getting virtual interrupts into the guest. */
#ifndef HS_INTR_H
#define HS_INTR_H
#include "vcpu.h"

/* Re-queues an event whose delivery the last exit interrupted (IDT-vectoring information). */
void intr_requeue_interrupted(struct vcpu *v);
/* Before every VM entry: advance devices, inject a pending interrupt or open an interrupt window,
 * and arm the preemption timer for the next timer event. */
void intr_before_entry(struct vcpu *v);
/* The guest executed HLT with interrupts enabled: wait until an interrupt is pending. */
void intr_idle(struct vcpu *v);

#endif
