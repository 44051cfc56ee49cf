/* VMX operation: feature checks, VMXON, VMCS set-up, entering the guest. */
#ifndef HS_VMX_H
#define HS_VMX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "palloc.h"
#include "vcpu.h"
#include "vmx_caps.h"

/* Reports a VMREAD/VMWRITE that failed (VMfailInvalid when cf, else VMfailValid with the
 * VM-instruction error) with the field and the calling function; rate-limited (vmx_fail.c). */
void vmx_field_failed(uint64_t field, int write, int cf, const char *caller);
/* VMREAD/VMWRITE failures so far, on all cores. */
uint64_t vmx_field_failures(void);

static inline uint64_t vmread_at(uint64_t field, const char *caller)
{
    uint64_t v = 0;
    uint8_t na, c;
    __asm__ volatile("vmread %3, %0; setna %1; setc %2" : "+r"(v), "=q"(na), "=q"(c) : "r"(field) : "cc");
    if (__builtin_expect(na, 0)) {
        vmx_field_failed(field, 0, c, caller);
        return 0; /* a defined value, never a stale register */
    }
    return v;
}
static inline void vmwrite_at(uint64_t field, uint64_t v, const char *caller)
{
    uint8_t na, c;
    __asm__ volatile("vmwrite %3, %2; setna %0; setc %1" : "=q"(na), "=q"(c) : "r"(field), "rm"(v) : "cc");
    if (__builtin_expect(na, 0))
        vmx_field_failed(field, 1, c, caller);
}
/* The callers are named in a failure report. */
#define vmread(field) vmread_at((field), __func__)
#define vmwrite(field, v) vmwrite_at((field), (v), __func__)

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

#endif
