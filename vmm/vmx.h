/* VMX operation: feature checks, VMXON, VMCS set-up, entering the guest. */
#ifndef HS_VMX_H
#define HS_VMX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "palloc.h"
#include "vcpu.h"

static inline uint64_t vmread(uint64_t field)
{
    uint64_t v;
    __asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
    return v;
}
static inline void vmwrite(uint64_t field, uint64_t v)
{
    __asm__ volatile("vmwrite %1, %0" ::"r"(field), "rm"(v) : "cc");
}

/* Checks CPUID/feature-control/capabilities and executes VMXON on this core.
 * Returns 0, or -1 after printing what is missing. */
int vmx_enable(struct palloc *pa, const struct config *cfg, unsigned core);
/* True if the VMX preemption timer can count guest instructions (rate 0, value saved on exit);
 * else the reason in why. Valid after vmx_enable on core 0. */
bool vmx_icount_capable(char *why, size_t whylen);
/* Creates and loads the VMCS for v: host state, controls, EPT, and the 32-bit flat entry state
 * shared by the PVH and bzImage boot protocols. */
int vmx_setup_vmcs(struct vcpu *v, struct palloc *pa, uint32_t entry, uint32_t ebx, uint32_t esi);
/* Reports a failed VMLAUNCH/VMRESUME and asks the guest to stop. */
void vmx_entry_failed(struct vcpu *v, int resumed);
/* Name of a VM-instruction error number (SDM 30.4). */
const char *vmx_instruction_error_name(uint32_t e);

#endif
