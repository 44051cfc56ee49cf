/* TF single steps with the VMM's TF hidden: see tfstep.h and tfrules.h. */
#include "tfstep.h"
#include "cpuid_table.h"
#include "debug/gva.h"
#include "debug/target.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"


static long read_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct vcpu *v = ctx;
    return dbg_ram_read((const uint8_t *)(uintptr_t)v->ram_hpa, v->ram_size, pa, buf, len);
}

static unsigned maxphyaddr(void)
{
    uint32_t r[4];
    cpuid_table_get(0x80000008u, 0, r);
    return (r[0] & 0xFF) ? (r[0] & 0xFF) : 46;
}

/* The guest-physical address of a guest-virtual one (the whole access within one 4K page). */
static bool translate(struct vcpu *v, uint64_t va, size_t n, uint64_t *pa)
{
    struct gva_mem m = { v, read_phys, v->ram_size, maxphyaddr() };
    char why[8];
    if ((va & 0xFFF) + n > 4096)
        return false;
    return gva_translate(&m, vmread(VMCS_GUEST_CR3), vmread(VMCS_CR4_SHADOW), vmread(VMCS_GUEST_IA32_EFER),
                         vmread(VMCS_CR0_SHADOW), va, pa, why, sizeof(why)) == GVA_OK;
}

bool tfstep_read_virt(struct vcpu *v, uint64_t va, void *buf, size_t n)
{
    uint8_t *b = buf;
    while (n) {
        size_t chunk = 4096 - (size_t)(va & 0xFFF);
        if (chunk > n)
            chunk = n;
        uint64_t pa;
        if (!translate(v, va, chunk, &pa) || read_phys(v, pa, b, chunk) != (long)chunk)
            return false;
        va += chunk, b += chunk, n -= chunk;
    }
    return true;
}

enum tf_insn tfstep_decode(struct vcpu *v)
{
    uint8_t b[16];
    uint64_t rip = vmread(VMCS_GUEST_RIP);
    size_t n = sizeof(b);
    if (!tfstep_read_virt(v, rip, b, n)) {
        /* An instruction at the end of a mapped page: what can be read of it. */
        n = 4096 - (size_t)(rip & 0xFFF);
        if (n >= sizeof(b) || !tfstep_read_virt(v, rip, b, n))
            n = 0;
    }
    return tf_classify(b, n);
}

void tfstep_arm(struct vcpu *v, struct tfstep *s, enum tf_insn kind)
{
    uint64_t fl = vmread(VMCS_GUEST_RFLAGS);
    s->kind = kind;
    if (!s->armed)
        s->guest_tf = fl & TF_RFLAGS_TF;
    s->armed = true;
    vmwrite(VMCS_GUEST_RFLAGS, fl | TF_RFLAGS_TF);
}

void tfstep_untrace(struct vcpu *v, struct tfstep *s)
{
    if (!s->armed)
        return;
    s->armed = false;
    vmwrite(VMCS_GUEST_RFLAGS, tf_rflags_after(vmread(VMCS_GUEST_RFLAGS), s->kind, s->guest_tf));
    vmwrite(VMCS_GUEST_PENDING_DBG, vmread(VMCS_GUEST_PENDING_DBG) & ~DB_BS);
    if (tf_clear_r11(s->kind, s->guest_tf))
        v->regs.r11 &= ~TF_RFLAGS_TF;
    if (tf_clear_stack_top(s->kind, s->guest_tf)) {
        uint64_t sp = vmread(VMCS_GUEST_RSP), pa, pushed;
        /* Written through the VMM's own view of guest RAM (the debugger's target refuses writes). */
        if (translate(v, sp, 8, &pa) && read_phys(v, pa, &pushed, 8) == 8 && (pushed & TF_RFLAGS_TF)) {
            pushed &= ~TF_RFLAGS_TF;
            dbg_ram_write((uint8_t *)(uintptr_t)v->ram_hpa, v->ram_size, pa, &pushed, 8);
        }
    }
}

void tfstep_reinject(struct vcpu *v, uint32_t info)
{
    unsigned type = (info >> 8) & 7;
    vmwrite(VMCS_ENTRY_INTR_INFO, info & ~(1u << 12));
    if (info & INTR_INFO_DELIVER_ERROR)
        vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_EXIT_INTR_ERROR));
    if (type == 6 || type == 4 || type == 5) /* software exception / interrupt: the instruction's length */
        vmwrite(VMCS_ENTRY_INSTR_LEN, vmread(VMCS_EXIT_INSTR_LEN));
    if ((info & 0xFF) == 14)
        write_cr2(v->exit_qual); /* an intercepted #PF leaves CR2 to the VMM */
    /* Bochs counts a hardware exception the guest takes through its IDT as one more instruction;
     * injected events count nothing: an intercepted one would leave the count one short. */
    if (v->counter == CNT_ICOUNT && type == 3)
        v->count++;
}
