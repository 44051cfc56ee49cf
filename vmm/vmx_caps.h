/* Computing VMX control values from the capability MSRs (pure, hosted-testable). */
#ifndef HS_VMX_CAPS_H
#define HS_VMX_CAPS_H
#include <stddef.h>
#include <stdint.h>

struct ctl_result {
    uint32_t value;     /* what to write into the VMCS */
    uint32_t missing;   /* required bits the CPU cannot set */
};

/* Honours a capability MSR: low half = bits that must be 1, high half = bits that may be 1.
 * required bits that cannot be 1 are reported in missing; optional ones are silently dropped. */
struct ctl_result vmx_adjust_controls(uint64_t cap_msr, uint32_t required, uint32_t optional);
/* Forces the VMX fixed bits onto a CR0/CR4 value: fixed0 bits set, bits not in fixed1 cleared. */
uint64_t vmx_fix_cr(uint64_t value, uint64_t fixed0, uint64_t fixed1);
/* Names the first missing bit of a named control field, for the console. */
const char *vmx_control_bit_name(const char *field, uint32_t bit);
/* Name of a VM-instruction error number (SDM 30.4). */
const char *vmx_instruction_error_name(uint32_t e);
/* The console line for a failed VMREAD/VMWRITE: field, caller, VMfailInvalid (cf) or the error. */
void vmx_field_fail_message(char *buf, size_t cap, uint64_t field, int write, int cf, uint32_t err,
                            const char *caller);

#endif
