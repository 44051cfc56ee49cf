/* VMX operation: feature checks, VMXON, VMCS set-up, entering the guest. */
#ifndef HS_VMX_H
#define HS_VMX_H
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
/* Creates and loads the VMCS for v: host state, controls, EPT, and the 32-bit flat entry state
 * shared by the PVH and bzImage boot protocols. */
int vmx_setup_vmcs(struct vcpu *v, struct palloc *pa, uint32_t entry, uint32_t ebx, uint32_t esi);
/* Enters the guest for the first time; exits go to vmexit_dispatch(). Never returns. */
void vmx_launch(struct vcpu *v) __attribute__((noreturn));
/* Name of a VM-instruction error number (SDM 30.4). */
const char *vmx_instruction_error_name(uint32_t e);

#endif
