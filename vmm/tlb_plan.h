/* What the CPU's IA32_VMX_EPT_VPID_CAP allows for EPT pages and TLB invalidation (pure). */
#ifndef HS_TLB_PLAN_H
#define HS_TLB_PLAN_H
#include <stdbool.h>
#include <stdint.h>

struct tlb_plan {
    bool ept_2m;          /* EPT may map 2 MiB leaves */
    int invept_vmxon;     /* INVEPT type after VMXON: INVEPT_ALL, or 0 (none possible) */
    int invept_change;    /* INVEPT type when an EPT's entries change: single, else all, else 0 */
    bool vpid;            /* VPIDs are used (INVVPID exists with a single- or all-context type) */
    int invvpid_vmxon;    /* INVVPID type after VMXON: INVVPID_ALL, or INVVPID_SINGLE per VPID used, or 0 */
};

/* Derives the plan from the capability MSR; vpid_ctl says the "enable VPID" control can be 1. */
void tlb_plan_from_caps(uint64_t ept_vpid_cap, bool vpid_ctl, struct tlb_plan *p);
/* One console line describing the plan ("EPT 2M leaves yes, INVEPT single+all, VPID yes ..."). */
void tlb_plan_describe(const struct tlb_plan *p, uint64_t cap, char *buf, unsigned cap_len);

#endif
