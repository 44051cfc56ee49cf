/* INVEPT / INVVPID as the CPU's capabilities allow (tlb_plan.c decides which). */
#ifndef HS_TLB_H
#define HS_TLB_H
#include "tlb_plan.h"
#include "vcpu.h"

/* Records the plan core 0 derived from the capability MSR (both cores use it). */
void tlb_set_plan(const struct tlb_plan *p);
/* The plan in force. */
const struct tlb_plan *tlb_plan(void);
/* Right after VMXON on this core: drops every EPT- and VPID-tagged translation left by whoever
 * used VMX before us (firmware, a previous hypervisor). n_vpids: VPIDs 1..n this VMM uses. */
void tlb_after_vmxon(unsigned core, unsigned n_vpids);
/* Before entering v on this core: if v's EPT changed since its last INVEPT here, invalidate. */
void tlb_before_entry(struct vcpu *v);
/* INVEPT/INVVPID executed so far (all cores), for the summary. */
uint64_t tlb_invalidations(void);

#endif
