/* A VMREAD/VMWRITE that fails means a field this CPU lacks or no current VMCS: a VMM bug or an
 * unexpected CPU. Reported with the field and the caller instead of handing back whatever the
 * destination register held; rate-limited so a loop cannot drown the console. */
#include "console.h"
#include "vmcs.h"
#include "vmx.h"
#include "vmx_caps.h"

#define REPORT_MAX 16

static uint64_t failures;

uint64_t vmx_field_failures(void) { return __atomic_load_n(&failures, __ATOMIC_RELAXED); }

void vmx_field_failed(uint64_t field, int write, int cf, const char *caller)
{
    uint64_t n = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    if (n > REPORT_MAX)
        return;
    uint64_t err = 0;
    if (!cf) /* VMfailValid: the current VMCS holds the error number (read directly: no recursion) */
        __asm__ volatile("vmread %1, %0" : "=r"(err) : "r"((uint64_t)VMCS_INSTR_ERROR) : "cc");
    char buf[200];
    vmx_field_fail_message(buf, sizeof(buf), field, write, cf, (uint32_t)err, caller);
    kprintf("hindsight: %s%s\n", buf, n == REPORT_MAX ? " (further failures are only counted)" : "");
}
