/* Every control is computed from the capability MSRs (the "true" ones when offered),
 * so a CPU that lacks a control we need is named on the console rather than
 * failing VM entry with an opaque error number. */
#include "vmx.h"
#include "console.h"
#include "cpu.h"
#include "cpuid_filter.h"
#include "lib.h"
#include "msr.h"
#include "vmcs.h"
#include "vmx_caps.h"
#include "tlb.h"
#include "x86.h"

extern char vmx_exit_entry[];
void vmx_entry_failed(struct vcpu *v, int resumed);

struct vmx_caps {
    uint32_t revision;
    bool true_ctls;
    uint32_t pin, proc, proc2, exit, entry;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t ept_vpid;
    unsigned preemption_shift;
    bool mtf;
};
static struct vmx_caps caps; /* identical on both cores; computed by core 0 */

static uint64_t zalloc_page(struct palloc *pa)
{
    uint64_t p = palloc_alloc(pa, 1, PAGE_SIZE);
    if (p)
        memset((void *)(uintptr_t)p, 0, PAGE_SIZE);
    return p;
}

static int need(const char *field, uint64_t cap, uint32_t required, uint32_t optional, uint32_t *out, unsigned core)
{
    struct ctl_result r = vmx_adjust_controls(cap, required, optional);
    if (r.missing) {
        kprintf("hindsight: FATAL: core %u: this CPU's VMX lacks %s (%s controls, bits 0x%x)\n", core,
                vmx_control_bit_name(field, r.missing), field, r.missing);
        return -1;
    }
    *out = r.value;
    return 0;
}

static int compute_caps(unsigned core)
{
    uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
    caps.revision = (uint32_t)basic & 0x7FFFFFFF;
    caps.true_ctls = (basic >> 55) & 1;
    if (((basic >> 50) & 0xF) != 6) {
        kprintf("hindsight: FATAL: VMCS memory type is not write-back (IA32_VMX_BASIC=0x%lx)\n", basic);
        return -1;
    }
    uint64_t pin = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
    uint64_t proc = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
    uint64_t exitc = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
    uint64_t entry = rdmsr(caps.true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
    if (need("pin", pin, PIN_EXTINT_EXITING | PIN_NMI_EXITING, PIN_PREEMPTION_TIMER, &caps.pin, core) ||
        need("proc", proc,
             PROC_HLT_EXITING | PROC_RDTSC_EXITING | PROC_UNCOND_IO_EXITING | PROC_ACTIVATE_SECONDARY |
                 PROC_RDPMC_EXITING | PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_INTR_WINDOW_EXITING |
                 PROC_MOV_DR_EXITING | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING,
             0, &caps.proc, core) ||
        need("exit", exitc, EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_DEBUG_CONTROLS,
             EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_ACK_INTR_ON_EXIT | EXIT_SAVE_PREEMPTION_TIMER, &caps.exit, core) ||
        need("entry", entry, ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG_CONTROLS, ENTRY_LOAD_PAT, &caps.entry, core))
        return -1;
    /* The interrupt window is opened only while an interrupt waits (unless the CPU forces it on). */
    if (!((uint32_t)proc & PROC_INTR_WINDOW_EXITING))
        caps.proc &= ~PROC_INTR_WINDOW_EXITING;
    if (caps.pin & PIN_PREEMPTION_TIMER)
        caps.preemption_shift = rdmsr(MSR_IA32_VMX_MISC) & 31;
    caps.mtf = (proc >> 32) & PROC_MONITOR_TRAP_FLAG; /* allowed-1: a landing may step with it */
    uint64_t proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    if (need("proc2", proc2, PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST,
             PROC2_ENABLE_VPID | PROC2_RDRAND_EXITING | PROC2_RDSEED_EXITING | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID, &caps.proc2,
             core))
        return -1;
    cpuid_filter_set_random_exits(caps.proc2 & PROC2_RDRAND_EXITING, caps.proc2 & PROC2_RDSEED_EXITING);
    caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    if (!(caps.ept_vpid & EPT_CAP_WALK4) || !(caps.ept_vpid & EPT_CAP_WB)) {
        kprintf("hindsight: FATAL: EPT lacks a 4-level walk or write-back tables (cap 0x%lx)\n", caps.ept_vpid);
        return -1;
    }
    struct tlb_plan tp;
    tlb_plan_from_caps(caps.ept_vpid, caps.proc2 & PROC2_ENABLE_VPID, &tp);
    if (!tp.vpid)
        caps.proc2 &= ~PROC2_ENABLE_VPID; /* no INVVPID to manage them: every entry and exit flushes VPID 0 */
    tlb_set_plan(&tp);
    char line[240];
    tlb_plan_describe(&tp, caps.ept_vpid, line, sizeof(line));
    kprintf("hindsight: %s\n", line);
    caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    return 0;
}

bool vmx_icount_capable(char *why, size_t whylen)
{
    if (!(caps.pin & PIN_PREEMPTION_TIMER))
        hs_snprintf(why, whylen, "this CPU's VMX has no preemption timer");
    else if (caps.preemption_shift)
        hs_snprintf(why, whylen, "the VMX preemption timer ticks every %u TSC ticks, not every instruction",
                    1u << caps.preemption_shift);
    else if (!(caps.exit & EXIT_SAVE_PREEMPTION_TIMER))
        hs_snprintf(why, whylen, "the VMX preemption timer value cannot be saved on VM exit");
    else
        return true;
    return false;
}

int vmx_enable(struct palloc *pa, const struct config *cfg, unsigned core)
{
    uint32_t r[4], v[4];
    cpuid(0, 0, v);
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 5))) {
        char vendor[13];
        memcpy(vendor, &v[1], 4);
        memcpy(vendor + 4, &v[3], 4);
        memcpy(vendor + 8, &v[2], 4);
        vendor[12] = 0;
        kprintf("hindsight: FATAL: core %u: this CPU (%s) has no Intel VT-x (CPUID.1:ECX.VMX is 0). "
                "hindsight needs an Intel CPU with VT-x, QEMU with nested VT-x (-enable-kvm -cpu host), or Bochs "
                "with a VMX CPU model.\n",
                core, vendor);
        return -1;
    }
    /* The simulation stands in for a firmware that locked VT-x off: the MSR is usually
     * already locked (VMX on) by the time we run, so it cannot be done for real. */
    uint64_t fc = cfg->sim_vmx_locked_off ? FEATURE_CONTROL_LOCK : rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (fc & FEATURE_CONTROL_LOCK) {
        if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
            kprintf("hindsight: FATAL: core %u: VT-x is disabled by the firmware (IA32_FEATURE_CONTROL=0x%lx is locked "
                    "with VMX off). Enable \"Intel Virtualization Technology\" in the BIOS/UEFI setup.\n",
                    core, fc);
            return -1;
        }
    } else {
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
    }
    if (core == 0 && compute_caps(core))
        return -1;
    /* FXSAVE/FXRSTOR must cover the SSE registers the guests share with this core (sched.c). */
    write_cr0(vmx_fix_cr((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP, caps.cr0_fixed0, caps.cr0_fixed1));
    write_cr4(vmx_fix_cr(read_cr4() | CR4_VMXE | CR4_OSFXSR | CR4_OSXMMEXCPT, caps.cr4_fixed0, caps.cr4_fixed1));
    uint64_t region = zalloc_page(pa);
    if (!region) {
        kprintf("hindsight: FATAL: out of memory for the VMXON region\n");
        return -1;
    }
    *(uint32_t *)(uintptr_t)region = caps.revision;
    uint8_t fail;
    __asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(region) : "cc", "memory");
    if (fail) {
        kprintf("hindsight: FATAL: core %u: VMXON failed\n", core);
        return -1;
    }
    tlb_after_vmxon(core, CPU_MAX);
    return 0;
}

static uint64_t sel_base(uint64_t gdt, uint16_t sel)
{
    uint64_t d = ((uint64_t *)(uintptr_t)gdt)[sel >> 3];
    uint64_t b = ((d >> 16) & 0xFFFFFF) | ((d >> 56) << 24);
    if (sel == SEL_TSS)
        b |= ((uint64_t *)(uintptr_t)gdt)[(sel >> 3) + 1] << 32;
    return b;
}

static void setup_host(struct vcpu *v)
{
    struct cpu *c = v->cpu;
    vmwrite(VMCS_HOST_CR0, read_cr0());
    vmwrite(VMCS_HOST_CR3, read_cr3());
    vmwrite(VMCS_HOST_CR4, read_cr4());
    vmwrite(VMCS_HOST_CS_SEL, SEL_CODE);
    vmwrite(VMCS_HOST_SS_SEL, SEL_DATA);
    vmwrite(VMCS_HOST_DS_SEL, SEL_DATA);
    vmwrite(VMCS_HOST_ES_SEL, SEL_DATA);
    vmwrite(VMCS_HOST_FS_SEL, 0);
    vmwrite(VMCS_HOST_GS_SEL, 0);
    vmwrite(VMCS_HOST_TR_SEL, SEL_TSS);
    vmwrite(VMCS_HOST_FS_BASE, 0);
    vmwrite(VMCS_HOST_GS_BASE, (uint64_t)(uintptr_t)c);
    vmwrite(VMCS_HOST_TR_BASE, sel_base((uint64_t)(uintptr_t)c->gdt, SEL_TSS));
    vmwrite(VMCS_HOST_GDTR_BASE, (uint64_t)(uintptr_t)c->gdt);
    vmwrite(VMCS_HOST_IDTR_BASE, idt_base());
    vmwrite(VMCS_HOST_SYSENTER_CS, 0);
    vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
    vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
    vmwrite(VMCS_HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
    vmwrite(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
    vmwrite(VMCS_HOST_RSP, 0); /* vmx_run() writes its own stack pointer before each entry */
    vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
}

static void setup_controls(struct vcpu *v)
{
    vmwrite(VMCS_PIN_CONTROLS, caps.pin);
    vmwrite(VMCS_PROC_CONTROLS, caps.proc);
    v->proc_ctls = caps.proc;
    v->has_preemption_timer = caps.pin & PIN_PREEMPTION_TIMER;
    v->preemption_shift = caps.preemption_shift;
    vmwrite(VMCS_PREEMPTION_TIMER, 0xFFFFFFFF);
    vmwrite(VMCS_PROC_CONTROLS2, caps.proc2);
    /* The timer's value is saved on exit only where it counts instructions (icount). */
    vmwrite(VMCS_EXIT_CONTROLS, v->counter == CNT_ICOUNT ? caps.exit : caps.exit & ~EXIT_SAVE_PREEMPTION_TIMER);
    v->mtf = caps.mtf;
    v->entry_ctls = caps.entry & ~ENTRY_IA32E_MODE_GUEST;
    vmwrite(VMCS_ENTRY_CONTROLS, v->entry_ctls);
    vmwrite(VMCS_EXCEPTION_BITMAP, 0);
    vmwrite(VMCS_PF_ERROR_MASK, 0);
    vmwrite(VMCS_PF_ERROR_MATCH, 0);
    vmwrite(VMCS_CR3_TARGET_COUNT, 0);
    vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_ENTRY_INTR_INFO, 0);
    vmwrite(VMCS_TSC_OFFSET, 0);
    if (caps.proc2 & PROC2_ENABLE_VPID)
        vmwrite(VMCS_VPID, v->id + 1); /* VPID 0 belongs to the host; a CPU without VPIDs lacks the field */
    vmwrite(VMCS_EPT_POINTER, ept_pointer(&v->ept));
    vmwrite(VMCS_LINK_POINTER, ~0ull);
    /* The guest sees its own CR0.NE / CR4.VMXE through the shadows; VMX owns the real bits. */
    vmwrite(VMCS_CR0_MASK, CR0_NE);
    vmwrite(VMCS_CR4_MASK, CR4_VMXE);
}

static void seg(uint32_t sel_f, uint16_t sel, uint32_t base_f, uint32_t limit_f, uint32_t limit, uint32_t ar_f,
                uint32_t ar)
{
    vmwrite(sel_f, sel);
    vmwrite(base_f, 0);
    vmwrite(limit_f, limit);
    vmwrite(ar_f, ar);
}

/* The PVH boot ABI and Linux's 32-bit boot protocol alike: 32-bit protected mode, paging off,
 * flat segments with CS=0x10 and DS=0x18; EBX = start_info (PVH) or ESI = boot_params (bzImage). */
static void setup_guest(struct vcpu *v, uint32_t entry, uint32_t ebx, uint32_t esi)
{
    uint64_t cr0 = CR0_PE | (1ull << 4) /* ET */;
    vmwrite(VMCS_GUEST_CR0, vmx_fix_cr(cr0, caps.cr0_fixed0 & ~(CR0_PE | CR0_PG), caps.cr0_fixed1));
    vmwrite(VMCS_CR0_SHADOW, cr0);
    vmwrite(VMCS_GUEST_CR3, 0);
    vmwrite(VMCS_GUEST_CR4, vmx_fix_cr(0, caps.cr4_fixed0, caps.cr4_fixed1));
    vmwrite(VMCS_CR4_SHADOW, 0);
    seg(VMCS_GUEST_CS_SEL, 0x10, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_LIMIT, 0xFFFFFFFF, VMCS_GUEST_CS_AR, 0xC09B);
    seg(VMCS_GUEST_DS_SEL, 0x18, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_LIMIT, 0xFFFFFFFF, VMCS_GUEST_DS_AR, 0xC093);
    seg(VMCS_GUEST_ES_SEL, 0x18, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_LIMIT, 0xFFFFFFFF, VMCS_GUEST_ES_AR, 0xC093);
    seg(VMCS_GUEST_SS_SEL, 0x18, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_LIMIT, 0xFFFFFFFF, VMCS_GUEST_SS_AR, 0xC093);
    seg(VMCS_GUEST_FS_SEL, 0x18, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_LIMIT, 0xFFFFFFFF, VMCS_GUEST_FS_AR, 0xC093);
    seg(VMCS_GUEST_GS_SEL, 0x18, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_LIMIT, 0xFFFFFFFF, VMCS_GUEST_GS_AR, 0xC093);
    seg(VMCS_GUEST_TR_SEL, 0x20, VMCS_GUEST_TR_BASE, VMCS_GUEST_TR_LIMIT, 0x67, VMCS_GUEST_TR_AR, 0x8B);
    seg(VMCS_GUEST_LDTR_SEL, 0, VMCS_GUEST_LDTR_BASE, VMCS_GUEST_LDTR_LIMIT, 0, VMCS_GUEST_LDTR_AR, AR_UNUSABLE);
    vmwrite(VMCS_GUEST_GDTR_BASE, 0);
    vmwrite(VMCS_GUEST_GDTR_LIMIT, 0);
    vmwrite(VMCS_GUEST_IDTR_BASE, 0);
    vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);
    vmwrite(VMCS_GUEST_DR7, 0x400); /* the guest's DR7 is virtual (MOV-DR exits): no real breakpoints */
    vmwrite(VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmwrite(VMCS_GUEST_RSP, 0);
    vmwrite(VMCS_GUEST_RIP, entry);
    vmwrite(VMCS_GUEST_RFLAGS, 0x2);
    vmwrite(VMCS_GUEST_PENDING_DBG, 0);
    vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
    vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
    vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
    vmwrite(VMCS_GUEST_IA32_EFER, 0);
    vmwrite(VMCS_GUEST_IA32_PAT, 0x0007040600070406ull);
    vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmwrite(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
    memset(&v->regs, 0, sizeof(v->regs));
    v->regs.rbx = ebx;
    v->regs.rsi = esi;
}

int vmx_setup_vmcs(struct vcpu *v, struct palloc *pa, uint32_t entry, uint32_t ebx, uint32_t esi)
{
    uint64_t vmcs = zalloc_page(pa);
    if (!vmcs) {
        kprintf("hindsight: FATAL: out of memory for the VMCS\n");
        return -1;
    }
    *(uint32_t *)(uintptr_t)vmcs = caps.revision;
    uint8_t fail;
    __asm__ volatile("vmclear %1; setna %0" : "=q"(fail) : "m"(vmcs) : "cc", "memory");
    if (!fail)
        __asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(vmcs) : "cc", "memory");
    if (fail) {
        kprintf("hindsight: FATAL: VMCLEAR/VMPTRLD failed on core %u\n", v->cpu->id);
        return -1;
    }
    v->vmcs_pa = vmcs;
    setup_host(v);
    setup_controls(v);
    setup_guest(v, entry, ebx, esi);
    return 0;
}

void vmx_entry_failed(struct vcpu *v, int resumed)
{
    uint32_t e = (uint32_t)vmread(VMCS_INSTR_ERROR);
    kprintf("hindsight: %s: VM%s failed: error %u (%s)\n", v->name, resumed ? "RESUME" : "LAUNCH", e,
            vmx_instruction_error_name(e));
    vcpu_dump(v);
    vcpu_stop(v, "vm-entry-failed");
}
