/* The position counter of the counter replay modes (DESIGN.md "Positions"): guest instructions
 * from the VMX preemption timer (icount), or retired conditional branches from the PMU (pmc). */
#ifndef HS_COUNTER_H
#define HS_COUNTER_H
#include <stdbool.h>
#include <stddef.h>
#include "vcpu.h"

/* Can this machine count guest instructions exactly with the preemption timer? Checked by use:
 * the timer must tick once per instruction (rate 0), its value must be saved on exit, and the TSC
 * must advance exactly once per instruction (one emulated CPU in Bochs; two CPUs tick in rounds of
 * five, real hardware never does). False with the reason in why. */
bool icount_detect(char *why, size_t whylen);
/* With v's VMCS current, on the core it runs on: guest-only branch counting for pmc mode (a no-op
 * in the other modes); false with the reason in why. */
bool counter_vcpu_setup(struct vcpu *v, char *why, size_t whylen);
/* Just before a VM entry of a counter-mode vCPU: notes where its counter starts. */
void counter_before_entry(struct vcpu *v);
/* Just after the VM exit: adds what the guest executed since the entry to v->count. */
void counter_after_exit(struct vcpu *v);
/* Times the host path around a guest run measured differently from the run before (0 expected). */
uint64_t counter_host_path_changes(void);

#endif
