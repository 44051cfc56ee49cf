/* Which EPT leaves and INVEPT/INVVPID types the VMM uses, from IA32_VMX_EPT_VPID_CAP. */
#include <string.h>
#include "check.h"
#include "tlb_plan.h"
#include "vmcs.h"

#define BASE (EPT_CAP_WALK4 | EPT_CAP_WB)

TEST(tlb_plan_full_caps)
{
    struct tlb_plan p;
    uint64_t cap = BASE | EPT_CAP_2MB | EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL | VPID_CAP_INVVPID |
                   VPID_CAP_INVVPID_ADDR | VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL;
    tlb_plan_from_caps(cap, true, &p);
    CHECK(p.ept_2m);
    CHECK_EQ(p.invept_vmxon, INVEPT_ALL);
    CHECK_EQ(p.invept_change, INVEPT_SINGLE);
    CHECK(p.vpid);
    CHECK_EQ(p.invvpid_vmxon, INVVPID_ALL);
    char buf[256];
    tlb_plan_describe(&p, cap, buf, sizeof(buf));
    CHECK_CONTAINS(buf, "EPT 2 MiB and 4 KiB leaves");
    CHECK_CONTAINS(buf, "INVEPT after VMXON: all-context, on EPT changes: single-context");
    CHECK_CONTAINS(buf, "VPID on (INVVPID after VMXON: all-context)");
}

TEST(tlb_plan_no_2m_leaves)
{
    struct tlb_plan p;
    tlb_plan_from_caps(BASE | EPT_CAP_INVEPT | EPT_CAP_INVEPT_ALL, false, &p);
    CHECK(!p.ept_2m);
    char buf[256];
    tlb_plan_describe(&p, 0, buf, sizeof(buf));
    CHECK_CONTAINS(buf, "EPT 4 KiB leaves");
}

TEST(tlb_plan_invept_types)
{
    struct tlb_plan p;
    /* Only all-context: used after VMXON and for changes. */
    tlb_plan_from_caps(BASE | EPT_CAP_INVEPT | EPT_CAP_INVEPT_ALL, false, &p);
    CHECK_EQ(p.invept_vmxon, INVEPT_ALL);
    CHECK_EQ(p.invept_change, INVEPT_ALL);
    /* Only single-context: nothing after VMXON (each EPTP is flushed before first use). */
    tlb_plan_from_caps(BASE | EPT_CAP_INVEPT | EPT_CAP_INVEPT_SINGLE, false, &p);
    CHECK_EQ(p.invept_vmxon, 0);
    CHECK_EQ(p.invept_change, INVEPT_SINGLE);
    /* Type bits without the INVEPT bit itself: the instruction is not there. */
    tlb_plan_from_caps(BASE | EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL, false, &p);
    CHECK_EQ(p.invept_vmxon, 0);
    CHECK_EQ(p.invept_change, 0);
}

TEST(tlb_plan_vpid_needs_invvpid)
{
    struct tlb_plan p;
    /* The control is there but INVVPID is not: VPIDs are not used. */
    tlb_plan_from_caps(BASE, true, &p);
    CHECK(!p.vpid);
    CHECK_EQ(p.invvpid_vmxon, 0);
    /* INVVPID without a single- or all-context type (individual-address only): not enough. */
    tlb_plan_from_caps(BASE | VPID_CAP_INVVPID | VPID_CAP_INVVPID_ADDR, true, &p);
    CHECK(!p.vpid);
    /* Single-context only: each VPID used is flushed after VMXON. */
    tlb_plan_from_caps(BASE | VPID_CAP_INVVPID | VPID_CAP_INVVPID_SINGLE, true, &p);
    CHECK(p.vpid);
    CHECK_EQ(p.invvpid_vmxon, INVVPID_SINGLE);
    /* Everything but the control. */
    tlb_plan_from_caps(BASE | VPID_CAP_INVVPID | VPID_CAP_INVVPID_ALL, false, &p);
    CHECK(!p.vpid);
    char buf[256];
    tlb_plan_describe(&p, 0, buf, sizeof(buf));
    CHECK_CONTAINS(buf, "VPID off");
}
