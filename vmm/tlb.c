/* Translations derived from EPT and tagged with a VPID survive VM entries and exits on real
 * CPUs; only INVEPT / INVVPID drop them, and only on the core that executes them. */
#include "tlb.h"
#include "console.h"
#include "vmcs.h"
#include "x86.h"

static struct tlb_plan plan;
static uint64_t count;

void tlb_set_plan(const struct tlb_plan *p) { plan = *p; }
const struct tlb_plan *tlb_plan(void) { return &plan; }
uint64_t tlb_invalidations(void) { return __atomic_load_n(&count, __ATOMIC_RELAXED); }

static int invept(int type, uint64_t eptp)
{
    struct { uint64_t eptp, zero; } desc = { eptp, 0 };
    uint8_t fail;
    __asm__ volatile("invept %1, %2; setna %0" : "=q"(fail) : "m"(desc), "r"((uint64_t)type) : "cc", "memory");
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return fail ? -1 : 0;
}

static int invvpid(int type, uint16_t vpid)
{
    struct { uint64_t vpid, addr; } desc = { vpid, 0 };
    uint8_t fail;
    __asm__ volatile("invvpid %1, %2; setna %0" : "=q"(fail) : "m"(desc), "r"((uint64_t)type) : "cc", "memory");
    __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
    return fail ? -1 : 0;
}

void tlb_after_vmxon(unsigned core, unsigned n_vpids)
{
    if (plan.invept_vmxon && invept(plan.invept_vmxon, 0))
        kprintf("hindsight: warning: core %u: INVEPT (all-context) after VMXON failed\n", core);
    if (plan.invvpid_vmxon == INVVPID_ALL) {
        if (invvpid(INVVPID_ALL, 0))
            kprintf("hindsight: warning: core %u: INVVPID (all-context) after VMXON failed\n", core);
    } else if (plan.invvpid_vmxon == INVVPID_SINGLE) {
        for (unsigned i = 1; i <= n_vpids; i++)
            if (invvpid(INVVPID_SINGLE, (uint16_t)i))
                kprintf("hindsight: warning: core %u: INVVPID (single-context, VPID %u) failed\n", core, i);
    }
}

void tlb_before_entry(struct vcpu *v)
{
    if (!v->ept.changed)
        return;
    v->ept.changed = false;
    if (plan.invept_change && invept(plan.invept_change, ept_pointer(&v->ept)))
        kprintf("hindsight: warning: %s: INVEPT after an EPT change failed\n", v->name);
}
