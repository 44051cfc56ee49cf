/* Exit dispatch: one handler per basic exit reason, looked up in a table. A reason
 * without a handler stops the guest with a full report; the VMM never spins on an
 * exit it does not understand. */
#include "console.h"
#include "cpu.h"
#include "cpuid_filter.h"
#include "cpuid_table.h"
#include "dbg.h"
#include "exit.h"
#include "exit_reason.h"
#include "hostirq.h"
#include "intr.h"
#include "land.h"
#include "io.h"
#include "io_result.h"
#include "lib.h"
#include "msr.h"
#include "nd.h"
#include "pmu.h"
#include "vcpu.h"
#include "vmcs.h"
#include "vmx.h"
#include "vtime.h"
#include "x86.h"

#define VEC_UD 6
#define VEC_GP 13

typedef void (*exit_handler)(struct vcpu *v, uint64_t qual);

static uint64_t *gpr(struct vcpu *v, unsigned n)
{
    /* Exit qualifications number registers in the instruction-encoding order. */
    static const uint8_t map[16] = { 0, 1, 2, 3, 255, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
    return map[n] == 255 ? 0 : &((uint64_t *)&v->regs)[map[n]];
}

static uint64_t read_gpr(struct vcpu *v, unsigned n)
{
    uint64_t *p = gpr(v, n);
    return p ? *p : vmread(VMCS_GUEST_RSP);
}

static void write_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
    uint64_t *p = gpr(v, n);
    if (p)
        *p = val;
    else
        vmwrite(VMCS_GUEST_RSP, val);
}

static void h_cpuid(struct vcpu *v, uint64_t q)
{
    (void)q;
    uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx, r[4];
    cpuid_table_get(leaf, sub, r);
    v->regs.rax = r[0];
    v->regs.rbx = r[1];
    v->regs.rcx = r[2];
    v->regs.rdx = r[3];
    vcpu_skip_instruction(v);
}

static void h_io(struct vcpu *v, uint64_t q)
{
    unsigned size = (unsigned)(q & 7) + 1, in = (q >> 3) & 1, string = (q >> 4) & 1;
    uint16_t port = (uint16_t)(q >> 16);
    if (string) {
        kprintf("hindsight: %s: string I/O (INS/OUTS) on port 0x%x is not emulated\n", v->name, port);
        vcpu_dump(v);
        vcpu_stop(v, "unsupported-string-io");
        return;
    }
    uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
    if (in) {
        v->regs.rax = io_in_result(v->regs.rax, size, io_access(v, port, size, 1, 0) & mask);
    } else {
        io_access(v, port, size, 0, (uint32_t)v->regs.rax & mask);
    }
    vcpu_skip_instruction(v);
}

static void h_hlt(struct vcpu *v, uint64_t q)
{
    (void)q;
    vcpu_skip_instruction(v);
    if (!(vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
        vcpu_stop(v, "poweroff"); /* nothing can wake it: Linux's "System halted" */
        return;
    }
    v->halted = true; /* intr_before_entry holds the guest here until an interrupt is delivered */
}

/* Exits whose only purpose is to get the VMM to look at its devices and interrupt
 * state, which intr_before_entry() does on every exit. */
static void h_nothing(struct vcpu *v, uint64_t q) { (void)v, (void)q; }

/* A host interrupt: acknowledged by the exit, ended and counted (hostirq.c). */
static void h_extint(struct vcpu *v, uint64_t q)
{
    (void)q;
    hostirq_exit(v, (uint32_t)vmread(VMCS_EXIT_INTR_INFO));
}

/* The timer also ends a debugger's step across an event delivery (armed at 0 for it). */
static void h_timer(struct vcpu *v, uint64_t q)
{
    (void)q;
    if (v->dbg)
        dbg_timer(v);
}

static void h_triple_fault(struct vcpu *v, uint64_t q)
{
    (void)q;
    kprintf("hindsight: %s: triple fault (the guest's exception handling failed)\n", v->name);
    vcpu_dump(v);
    vcpu_stop(v, "triple-fault");
}

static void h_ept_violation(struct vcpu *v, uint64_t q)
{
    uint64_t gpa = vmread(VMCS_GUEST_PHYS_ADDR);
    kprintf("hindsight: %s: EPT violation: guest-physical 0x%lx (%s%s%s) outside its %lu MiB of RAM at rip 0x%lx\n",
            v->name, gpa, q & 1 ? "read" : "", q & 2 ? "write" : "", q & 4 ? "fetch" : "", v->ram_size >> 20,
            vmread(VMCS_GUEST_RIP));
    vcpu_dump(v);
    vcpu_stop(v, "ept-violation");
}

static void set_cr0(struct vcpu *v, uint64_t val)
{
    uint64_t efer = vmread(VMCS_GUEST_IA32_EFER);
    vmwrite(VMCS_CR0_SHADOW, val);
    uint64_t fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG);
    vmwrite(VMCS_GUEST_CR0, (val | fixed0) & rdmsr(MSR_IA32_VMX_CR0_FIXED1));
    /* Entering or leaving paging with EFER.LME decides IA-32e mode: keep LMA and the entry control in step. */
    if ((val & CR0_PG) && (efer & EFER_LME)) {
        vmwrite(VMCS_GUEST_IA32_EFER, efer | EFER_LMA);
        v->entry_ctls |= ENTRY_IA32E_MODE_GUEST;
    } else if (!(val & CR0_PG)) {
        vmwrite(VMCS_GUEST_IA32_EFER, efer & ~EFER_LMA);
        v->entry_ctls &= ~ENTRY_IA32E_MODE_GUEST;
    }
    vmwrite(VMCS_ENTRY_CONTROLS, v->entry_ctls);
}

static void h_cr(struct vcpu *v, uint64_t q)
{
    unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
    if (type == 0 && cr == 0) {
        set_cr0(v, read_gpr(v, reg));
    } else if (type == 0 && cr == 4) {
        uint64_t val = read_gpr(v, reg);
        if (val & CR4_VMXE) {
            vcpu_inject_exception(v, VEC_GP, true, 0);
            return;
        }
        vmwrite(VMCS_CR4_SHADOW, val);
        vmwrite(VMCS_GUEST_CR4, (val | rdmsr(MSR_IA32_VMX_CR4_FIXED0)) & rdmsr(MSR_IA32_VMX_CR4_FIXED1));
    } else if (cr == 8 && type <= 1) {
        /* No local APIC: the task priority is only remembered (CR8 exits, so it never reaches the
         * hardware, whose TPR would differ between cores). */
        if (type == 0)
            v->cr8 = read_gpr(v, reg) & 15;
        else
            write_gpr(v, reg, v->cr8);
    } else if (type == 3) { /* LMSW: only the low four bits of CR0 */
        uint64_t old = vmread(VMCS_CR0_SHADOW), src = (q >> 16) & 0xF;
        set_cr0(v, (old & ~0xEull) | (src & 0xE) | ((old | src) & 1));
    } else if (type == 2) { /* CLTS */
        set_cr0(v, vmread(VMCS_CR0_SHADOW) & ~(1ull << 3));
    } else {
        kprintf("hindsight: %s: unexpected control-register access (qualification 0x%lx)\n", v->name, q);
        vcpu_dump(v);
        vcpu_stop(v, "unexpected-cr-access");
        return;
    }
    vcpu_skip_instruction(v);
}

/* MSRs a guest may touch; the others raise #GP, as on a CPU that lacks them. */
static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_IA32_EFER: *val = vmread(VMCS_GUEST_IA32_EFER); return true;
    case MSR_IA32_PAT: *val = vmread(VMCS_GUEST_IA32_PAT); return true;
    case MSR_IA32_SYSENTER_CS: *val = vmread(VMCS_GUEST_SYSENTER_CS); return true;
    case MSR_IA32_SYSENTER_ESP: *val = vmread(VMCS_GUEST_SYSENTER_ESP); return true;
    case MSR_IA32_SYSENTER_EIP: *val = vmread(VMCS_GUEST_SYSENTER_EIP); return true;
    case MSR_IA32_FS_BASE: *val = vmread(VMCS_GUEST_FS_BASE); return true;
    case MSR_IA32_GS_BASE: *val = vmread(VMCS_GUEST_GS_BASE); return true;
    case MSR_IA32_TSC: *val = nd_tsc(v); return true;
    case MSR_IA32_TSC_AUX: *val = v->tsc_aux; return true;
    case MSR_IA32_MISC_ENABLE: *val = 1; return true; /* fast strings */
    /* Per vCPU; loaded into the hardware while the vCPU owns the core (sched.c). SWAPGS changes
     * KERNEL_GS_BASE without an exit, so that one is read from the hardware. */
    case MSR_IA32_STAR: *val = v->hw.star; return true;
    case MSR_IA32_LSTAR: *val = v->hw.lstar; return true;
    case MSR_IA32_CSTAR: *val = v->hw.cstar; return true;
    case MSR_IA32_FMASK: *val = v->hw.fmask; return true;
    case MSR_IA32_KERNEL_GS_BASE: *val = rdmsr(msr); return true;
    default: return false;
    }
}

static bool msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_IA32_EFER:
        if (val & ~(uint64_t)(1 | EFER_LME | EFER_LMA | EFER_NXE))
            return false;
        /* LMA is the CPU's to set: keep the current value. */
        vmwrite(VMCS_GUEST_IA32_EFER, (val & ~EFER_LMA) | (vmread(VMCS_GUEST_IA32_EFER) & EFER_LMA));
        return true;
    case MSR_IA32_PAT: vmwrite(VMCS_GUEST_IA32_PAT, val); return true;
    case MSR_IA32_SYSENTER_CS: vmwrite(VMCS_GUEST_SYSENTER_CS, val); return true;
    case MSR_IA32_SYSENTER_ESP: vmwrite(VMCS_GUEST_SYSENTER_ESP, val); return true;
    case MSR_IA32_SYSENTER_EIP: vmwrite(VMCS_GUEST_SYSENTER_EIP, val); return true;
    case MSR_IA32_FS_BASE: vmwrite(VMCS_GUEST_FS_BASE, val); return true;
    case MSR_IA32_GS_BASE: vmwrite(VMCS_GUEST_GS_BASE, val); return true;
    case MSR_IA32_TSC_AUX: v->tsc_aux = (uint32_t)val; return true;
    case MSR_IA32_MISC_ENABLE: return true;
    case MSR_IA32_STAR:
    case MSR_IA32_LSTAR:
    case MSR_IA32_CSTAR:
    case MSR_IA32_FMASK:
    case MSR_IA32_KERNEL_GS_BASE:
        /* A non-canonical address would #GP the host's WRMSR: check it first. */
        if (msr != MSR_IA32_STAR && msr != MSR_IA32_FMASK && ((int64_t)(val << 16) >> 16) != (int64_t)val)
            return false;
        wrmsr(msr, val);
        if (msr == MSR_IA32_STAR) v->hw.star = val;
        else if (msr == MSR_IA32_LSTAR) v->hw.lstar = val;
        else if (msr == MSR_IA32_CSTAR) v->hw.cstar = val;
        else if (msr == MSR_IA32_FMASK) v->hw.fmask = val;
        else v->hw.kernel_gs_base = val;
        return true;
    default: return false;
    }
}

static void h_rdmsr(struct vcpu *v, uint64_t q)
{
    (void)q;
    uint64_t val;
    if (!msr_read(v, (uint32_t)v->regs.rcx, &val)) {
        vcpu_inject_exception(v, VEC_GP, true, 0);
        return;
    }
    v->regs.rax = (uint32_t)val;
    v->regs.rdx = val >> 32;
    vcpu_skip_instruction(v);
}

static void h_wrmsr(struct vcpu *v, uint64_t q)
{
    (void)q;
    uint64_t val = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
    if (!msr_write(v, (uint32_t)v->regs.rcx, val)) {
        vcpu_inject_exception(v, VEC_GP, true, 0);
        return;
    }
    vcpu_skip_instruction(v);
}

static void h_rdtsc(struct vcpu *v, uint64_t q)
{
    (void)q;
    uint64_t t = nd_tsc(v);
    v->regs.rax = (uint32_t)t;
    v->regs.rdx = t >> 32;
    vcpu_skip_instruction(v);
}

static void h_rdtscp(struct vcpu *v, uint64_t q)
{
    h_rdtsc(v, q);
    v->regs.rcx = v->tsc_aux;
}

static void h_rdrand(struct vcpu *v, uint64_t q)
{
    (void)q;
    /* Instruction information: bits 6:3 destination register, 12:11 operand size. */
    uint32_t info = (uint32_t)vmread(VMCS_EXIT_INSTR_INFO);
    unsigned reg = (info >> 3) & 15, osz = (info >> 11) & 3;
    bool ok;
    uint64_t val = nd_rand(v, v->exit_reason == EXIT_RDSEED, &ok);
    if (osz == 0)
        val = (read_gpr(v, reg) & ~0xFFFFull) | (val & 0xFFFF);
    else if (osz == 1)
        val = (uint32_t)val;
    write_gpr(v, reg, val);
    uint64_t fl = vmread(VMCS_GUEST_RFLAGS) & ~0x8D5ull; /* clear OF SF ZF AF PF CF */
    vmwrite(VMCS_GUEST_RFLAGS, fl | (ok ? 1 : 0));
    vcpu_skip_instruction(v);
}

static void h_invalid_opcode(struct vcpu *v, uint64_t q)
{
    (void)q;
    vcpu_inject_exception(v, VEC_UD, false, 0);
}

static void h_gp(struct vcpu *v, uint64_t q)
{
    (void)q;
    vcpu_inject_exception(v, VEC_GP, true, 0);
}

static void h_skip(struct vcpu *v, uint64_t q)
{
    (void)q;
    vcpu_skip_instruction(v);
}

static void h_exception_nmi(struct vcpu *v, uint64_t q)
{
    if (land_exception(v))
        return; /* a landing step's #DB, or an exception its instruction raised */
    if (v->dbg && dbg_exception(v))
        return; /* a step, a breakpoint, or an exception during a step: the debugger's */
    uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
    if ((info & INTR_INFO_VALID) && (info & (7u << 8)) == INTR_TYPE_NMI) {
        if (v->pmi) {
            /* The pmc counter's overflow interrupt: a landing's run ended (land.c looks at the
             * count). Like any NMI exit it may leave the guest blocking NMIs: cleared, and the
             * VMM's own NMI blocking lifted. */
            uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
            if (intr & INTERRUPTIBILITY_NMI)
                vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(uint64_t)INTERRUPTIBILITY_NMI);
            pmu_unblock_nmi();
        } else {
            /* A host NMI (chipset error, watchdog) while the guest ran: the platform's, not the guest's. */
            hostirq_nmi_exit(v);
        }
        return;
    }
    kprintf("hindsight: %s: unexpected exception exit (interruption info 0x%x, qualification 0x%lx)\n", v->name, info,
            q);
    vcpu_dump(v);
    vcpu_stop(v, "unexpected-exception");
}

/* MOV to/from DR0-7: the guest's debug registers are virtual, so neither guest can arm a real
 * breakpoint, read the VMM's, or see a value that differs between the cores. */
static void h_dr(struct vcpu *v, uint64_t q)
{
    unsigned dr = q & 7, from = (q >> 4) & 1, reg = (q >> 8) & 15;
    uint64_t *p = dr < 4 ? &v->dr[dr] : dr == 6 || dr == 4 ? &v->dr6 : &v->dr7;
    if (from) {
        uint64_t val = *p;
        if (dr == 6 || dr == 4)
            val |= 0xFFFF0FF0ull;
        else if (dr == 7 || dr == 5)
            val |= 0x400;
        write_gpr(v, reg, val);
    } else {
        *p = read_gpr(v, reg);
    }
    vcpu_skip_instruction(v);
}

static void h_invalid_state(struct vcpu *v, uint64_t q)
{
    kprintf("hindsight: %s: VM entry failed: invalid guest state (qualification 0x%lx)\n", v->name, q);
    vcpu_dump(v);
    vcpu_stop(v, "invalid-guest-state");
}

static const exit_handler handlers[EXIT_REASON_MAX + 1] = {
    [EXIT_EXCEPTION_NMI] = h_exception_nmi,
    [EXIT_EXTERNAL_INTERRUPT] = h_extint,
    [EXIT_INTERRUPT_WINDOW] = h_nothing,
    [EXIT_PREEMPTION_TIMER] = h_timer,
    [EXIT_MONITOR_TRAP_FLAG] = h_nothing, /* a landing's step: land_after_exit took it */
    [EXIT_TRIPLE_FAULT] = h_triple_fault,
    [EXIT_CPUID] = h_cpuid,
    [EXIT_HLT] = h_hlt,
    [EXIT_INVD] = h_skip,
    [EXIT_WBINVD] = h_skip,
    [EXIT_RDPMC] = h_gp,
    [EXIT_RDTSC] = h_rdtsc,
    [EXIT_RDTSCP] = h_rdtscp,
    [EXIT_VMCALL] = h_invalid_opcode,
    [EXIT_VMCLEAR] = h_invalid_opcode,
    [EXIT_VMLAUNCH] = h_invalid_opcode,
    [EXIT_VMPTRLD] = h_invalid_opcode,
    [EXIT_VMPTRST] = h_invalid_opcode,
    [EXIT_VMREAD] = h_invalid_opcode,
    [EXIT_VMRESUME] = h_invalid_opcode,
    [EXIT_VMWRITE] = h_invalid_opcode,
    [EXIT_VMXOFF] = h_invalid_opcode,
    [EXIT_VMXON] = h_invalid_opcode,
    [EXIT_INVEPT] = h_invalid_opcode,
    [EXIT_INVVPID] = h_invalid_opcode,
    [EXIT_VMFUNC] = h_invalid_opcode,
    [EXIT_GETSEC] = h_invalid_opcode,
    [EXIT_MWAIT] = h_invalid_opcode,
    [EXIT_MONITOR] = h_invalid_opcode,
    [EXIT_XSETBV] = h_gp,
    [EXIT_CR_ACCESS] = h_cr,
    [EXIT_DR_ACCESS] = h_dr,
    [EXIT_IO_INSTRUCTION] = h_io,
    [EXIT_RDMSR] = h_rdmsr,
    [EXIT_WRMSR] = h_wrmsr,
    [EXIT_INVALID_GUEST_STATE] = h_invalid_state,
    [EXIT_EPT_VIOLATION] = h_ept_violation,
    [EXIT_RDRAND] = h_rdrand,
    [EXIT_RDSEED] = h_rdrand,
};

void vmexit_take(struct vcpu *v)
{
    uint32_t raw = (uint32_t)vmread(VMCS_EXIT_REASON);
    unsigned reason = raw & 0xFFFF;
    v->exit_raw = raw;
    v->exit_reason = reason;
    v->exit_qual = vmread(VMCS_EXIT_QUALIFICATION);
    v->exits_total++;
    if (reason <= EXIT_REASON_MAX)
        v->exits[reason]++;
    v->stage = STAGE_TAKEN;
    v->at_position = false;
    if (exit_is_synchronous(reason)) {
        v->exit_seq++;
        v->at_position = true;
    } else if (reason == EXIT_INTERRUPT_WINDOW && v->mode != VCPU_PLAIN && v->counter == CNT_EXIT) {
        /* Armed only at positions, taken at the first instruction where the guest can take an
         * interrupt: the same instruction on the Backup. */
        v->windows++;
        v->at_position = true;
    }
    if (v->at_position) {
        v->positions++;
        if (v->mode != VCPU_PLAIN) {
            struct hs_regs r;
            vcpu_regs(v, &r);
            v->pos = (struct hs_pos){ v->exit_seq, r.rip, hs_digest(&r), v->con_hash,
                                      reason == EXIT_INTERRUPT_WINDOW, 0, v->count };
        }
    }
    if (v->counter == CNT_EXIT)
        return;
    if (v->mode == VCPU_RECORD && !v->at_position) {
        /* Counter modes: the Primary may deliver an interrupt at any exit; what it records here is
         * positioned by the counter (the Backup lands on it, land.c). */
        struct hs_regs r;
        vcpu_regs(v, &r);
        v->pos = (struct hs_pos){ v->exit_seq, r.rip, hs_digest(&r), v->con_hash, 0, 1, v->count };
        v->async_pos = true;
    } else if (v->mode == VCPU_RECORD) {
        v->async_pos = false;
    } else if (v->mode == VCPU_REPLAY) {
        land_after_exit(v);
    }
}

enum exit_result vmexit_stopped(struct vcpu *v)
{
    if (v->dbg && dbg_reached_end(v))
        return EXIT_WAIT; /* the debugger keeps the Backup where it stopped */
    vcpu_finish(v);
    return EXIT_STOPPED;
}

/* Ends an exit's handling: publishes its events, or finds the Primary's end on the Backup. */
static enum exit_result complete(struct vcpu *v)
{
    v->stage = STAGE_IN_GUEST;
    if (v->async_pos && v->mode == VCPU_RECORD)
        rec_publish(v->rec, v->positions, vtime_guest_tsc(v->stolen)); /* whatever this exit recorded */
    if (!v->at_position)
        return EXIT_RESUME;
    if (v->mode == VCPU_RECORD) {
        rec_publish(v->rec, v->positions, vtime_guest_tsc(v->stolen)); /* the Primary's own clock: the time lag */
    } else if (v->mode == VCPU_REPLAY && rp_next_is(v->rp, EV_END, &v->pos)) {
        /* The Primary stopped here (the user, or an outcome the Backup does not see itself). */
        const struct hs_event *e = rp_head(v->rp);
        static const char *const words[] = { HS_OUTCOMES };
        vcpu_stop(v, e->arg < sizeof(words) / sizeof(words[0]) ? words[e->arg] : "unknown");
        return vmexit_stopped(v);
    } else if (v->dbg) {
        dbg_after_position(v, vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID);
    }
    return EXIT_RESUME;
}

/* A Backup that went astray into a loop without positions would never reach the Primary's end:
 * once the Primary has stopped, it gets twice the Primary's busy time (plus a margin) to get
 * there, then it is reported. */
#define STRAY_MARGIN_TSC (1ull << 30)

static bool backup_astray(struct vcpu *v)
{
    return v->mode == VCPU_REPLAY && __atomic_load_n(&v->rp->sh->p_stopped, __ATOMIC_ACQUIRE) &&
           v->run_ticks > 2 * v->peer->run_ticks + STRAY_MARGIN_TSC;
}

enum exit_result vmexit_continue(struct vcpu *v)
{
    if (v->stage == STAGE_TAKEN && !v->at_position && backup_astray(v)) {
        struct hs_regs r;
        vcpu_regs(v, &r);
        v->pos = (struct hs_pos){ v->exit_seq, r.rip, hs_digest(&r), v->con_hash, 0, 0, v->count };
        v->rp->diverged = true;
        v->rp->mm = (struct hs_mismatch){ 0, "the Backup runs on without reaching the Primary's end", { 0 }, v->pos,
                                          EV_NONE };
        const struct hs_event *h = rp_head(v->rp);
        if (h) {
            v->rp->mm.seq = h->seq;
            v->rp->mm.expected = *h;
        }
        nd_diverged(v);
        return vmexit_stopped(v);
    }
    if (v->stage == STAGE_TAKEN) {
        unsigned reason = v->exit_reason;
        uint32_t raw = v->exit_raw;
        if ((v->at_position || v->async_pos) && v->mode == VCPU_RECORD && !rec_room(v->rec))
            return EXIT_WAIT; /* ring full: the Backup must catch up first (counted as a stall) */
        if (v->at_position && v->mode == VCPU_REPLAY) {
            if (!rp_gate(v->rp, v->positions))
                return EXIT_WAIT; /* the Primary is not past this position yet, or the lag holds us */
            if (!rp_check_passed(v->rp, &v->pos)) {
                nd_diverged(v);
                return vmexit_stopped(v);
            }
        }
        if (v->dbg && dbg_stop_at_position(v))
            return EXIT_WAIT; /* held before the panic, or the debugger's stop: the exit stays pending */
        if (reason <= EXIT_REASON_MAX && handlers[reason] &&
            (!(raw & EXIT_REASON_ENTRY_FAILURE) || reason == EXIT_INVALID_GUEST_STATE)) {
            intr_requeue_interrupted(v);
            handlers[reason](v, v->exit_qual);
        } else {
            kprintf("hindsight: %s: unhandled VM exit %u (%s)%s, qualification 0x%lx, interruption info 0x%lx\n",
                    v->name, reason, exit_reason_name(reason), raw & EXIT_REASON_ENTRY_FAILURE ? " on VM entry" : "",
                    v->exit_qual, vmread(VMCS_EXIT_INTR_INFO));
            vcpu_dump(v);
            vcpu_stop(v, "unhandled-exit");
        }
        v->stage = STAGE_HANDLED;
    }
    if (v->stopping)
        return vmexit_stopped(v);
    if (intr_before_entry(v) == EXIT_WAIT)
        return EXIT_WAIT;
    if (v->stopping)
        return vmexit_stopped(v);
    return complete(v);
}
