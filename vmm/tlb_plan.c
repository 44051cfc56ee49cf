/* Real CPUs cache guest-physical and combined translations tagged by EPTP and VPID across VM
 * entries (Bochs flushes them on every entry, so it never shows a missing invalidation). The
 * capability MSR says which leaf sizes EPT accepts and which INVEPT/INVVPID types exist; a type
 * the CPU lacks raises #UD or VMfail, so each one is used only when announced. */
#include "tlb_plan.h"
#include "lib.h"
#include "vmcs.h"

void tlb_plan_from_caps(uint64_t cap, bool vpid_ctl, struct tlb_plan *p)
{
    p->ept_2m = (cap & EPT_CAP_2MB) != 0;
    bool invept = (cap & EPT_CAP_INVEPT) != 0;
    bool ept_single = invept && (cap & EPT_CAP_INVEPT_SINGLE), ept_all = invept && (cap & EPT_CAP_INVEPT_ALL);
    p->invept_vmxon = ept_all ? INVEPT_ALL : 0;
    p->invept_change = ept_single ? INVEPT_SINGLE : ept_all ? INVEPT_ALL : 0;
    bool invvpid = (cap & VPID_CAP_INVVPID) != 0;
    bool vpid_single = invvpid && (cap & VPID_CAP_INVVPID_SINGLE), vpid_all = invvpid && (cap & VPID_CAP_INVVPID_ALL);
    /* Without a way to drop a VPID's stale entries, VPIDs are not used: VPID 0 is flushed by
     * every VM entry and exit, which is always correct. */
    p->vpid = vpid_ctl && (vpid_single || vpid_all);
    p->invvpid_vmxon = !p->vpid ? 0 : vpid_all ? INVVPID_ALL : INVVPID_SINGLE;
}

static const char *type_word(int t, int single, int all) { return t == single ? "single" : t == all ? "all" : "none"; }

void tlb_plan_describe(const struct tlb_plan *p, uint64_t cap, char *buf, unsigned len)
{
    hs_snprintf(buf, len,
                "EPT %s leaves, INVEPT after VMXON: %s-context, on EPT changes: %s-context; VPID %s (INVVPID after "
                "VMXON: %s-context) (IA32_VMX_EPT_VPID_CAP 0x%lx)",
                p->ept_2m ? "2 MiB and 4 KiB" : "4 KiB", type_word(p->invept_vmxon, INVEPT_SINGLE, INVEPT_ALL),
                type_word(p->invept_change, INVEPT_SINGLE, INVEPT_ALL), p->vpid ? "on" : "off",
                type_word(p->invvpid_vmxon, INVVPID_SINGLE, INVVPID_ALL), cap);
}
