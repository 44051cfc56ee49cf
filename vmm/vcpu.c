/* Guest-facing helpers shared by the exit handlers, and the end of a guest's life. */
#include "vcpu.h"
#include "console.h"
#include "cpu.h"
#include "lib.h"
#include "msr.h"
#include "nd.h"
#include "run.h"
#include "vmcs.h"
#include "vmx.h"
#include "vtime.h"
#include "x86.h"

void vcpu_skip_instruction(struct vcpu *v)
{
    vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + vmread(VMCS_EXIT_INSTR_LEN));
    /* Skipping an instruction ends STI/MOV-SS blocking, as executing it would. */
    uint64_t in = vmread(VMCS_GUEST_INTERRUPTIBILITY);
    if (in & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmwrite(VMCS_GUEST_INTERRUPTIBILITY, in & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error)
{
    (void)v;
    uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;
    if (has_error) {
        info |= INTR_INFO_DELIVER_ERROR;
        vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
    }
    vmwrite(VMCS_ENTRY_INTR_INFO, info);
}

void vcpu_dump(struct vcpu *v)
{
    struct guest_regs *r = &v->regs;
    kprintf("  %s guest state: rip=%016lx rsp=%016lx rflags=%016lx\n", v->name, vmread(VMCS_GUEST_RIP),
            vmread(VMCS_GUEST_RSP), vmread(VMCS_GUEST_RFLAGS));
    kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
    kprintf("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", r->r9, r->r10, r->r11, r->r12);
    kprintf("  r13=%016lx r14=%016lx r15=%016lx\n", r->r13, r->r14, r->r15);
    kprintf("  cr0=%016lx (shadow %lx) cr3=%016lx cr4=%016lx (shadow %lx) efer=%lx\n", vmread(VMCS_GUEST_CR0),
            vmread(VMCS_CR0_SHADOW), vmread(VMCS_GUEST_CR3), vmread(VMCS_GUEST_CR4), vmread(VMCS_CR4_SHADOW),
            vmread(VMCS_GUEST_IA32_EFER));
    kprintf("  cs=%04lx base=%lx ar=%lx  ss=%04lx ar=%lx  tr=%04lx ar=%lx  entry-ctls=%lx activity=%lu intr=%lx\n",
            vmread(VMCS_GUEST_CS_SEL), vmread(VMCS_GUEST_CS_BASE), vmread(VMCS_GUEST_CS_AR),
            vmread(VMCS_GUEST_SS_SEL), vmread(VMCS_GUEST_SS_AR), vmread(VMCS_GUEST_TR_SEL),
            vmread(VMCS_GUEST_TR_AR), vmread(VMCS_ENTRY_CONTROLS), vmread(VMCS_GUEST_ACTIVITY_STATE),
            vmread(VMCS_GUEST_INTERRUPTIBILITY));
}

static void flush_line(struct vcpu *v)
{
    if (!v->linelen)
        return;
    char buf[sizeof(v->line) + 8];
    int n = hs_snprintf(buf, sizeof(buf), "[%c] ", v->tag);
    memcpy(buf + n, v->line, v->linelen);
    n += (int)v->linelen;
    buf[n++] = '\n';
    console_write(buf, (size_t)n);
    v->linelen = 0;
}

static const char panic_marker[] = "Kernel panic - not syncing";

/* Whole lines are scanned for the kernel's panic message: the first sign of a Primary panic. */
static void scan_line(struct vcpu *v)
{
    size_t n = sizeof(panic_marker) - 1;
    for (unsigned i = 0; i + n <= v->linelen; i++)
        if (!memcmp(v->line + i, panic_marker, n)) {
            v->panicked = true;
            break;
        }
}

void vcpu_console_byte(void *vp, uint8_t b)
{
    struct vcpu *v = vp;
    v->console_bytes++;
    v->con_hash = hs_fnv32(v->con_hash, &b, 1);
    if (v->raw_console) {
        if (v->id == 0)
            console_write((const char *)&b, 1);
        if (b == '\n' || v->linelen == sizeof(v->line)) {
            scan_line(v);
            v->linelen = 0;
        } else if (b != '\r') {
            v->line[v->linelen++] = (char)b;
        }
        if (v->panicked && b == '\n')
            vcpu_stop(v, "panic");
        return;
    }
    if (b == '\r')
        return;
    if (b == '\n') {
        if (!v->linelen)
            v->line[v->linelen++] = ' ';
        scan_line(v);
        flush_line(v);
        if (v->panicked)
            vcpu_stop(v, "panic");
        return;
    }
    v->line[v->linelen++] = (char)b;
    if (v->linelen == sizeof(v->line))
        flush_line(v);
}

void vcpu_stop(struct vcpu *v, const char *outcome)
{
    /* The first reason stands, except that a divergence overrides: it is why the rest is void. */
    if (!v->stopping || !strcmp(outcome, "divergence"))
        v->stopping = outcome;
}

static unsigned outcome_code(const char *w)
{
    static const char *const words[] = { HS_OUTCOMES };
    for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(words[i], w))
            return i;
    return 0;
}

void vcpu_regs(struct vcpu *v, struct hs_regs *out)
{
    const struct guest_regs *g = &v->regs;
    *out = (struct hs_regs){ g->rax, g->rcx, g->rdx, g->rbx, g->rbp, g->rsi, g->rdi, g->r8, g->r9, g->r10, g->r11,
                             g->r12, g->r13, g->r14, g->r15, vmread(VMCS_GUEST_RSP), vmread(VMCS_GUEST_RIP),
                             vmread(VMCS_GUEST_RFLAGS) };
}

const struct hs_pos *vcpu_pos(struct vcpu *v) { return &v->pos; }

uint64_t vcpu_state_hash(struct vcpu *v)
{
    static const uint32_t fields[] = {
        VMCS_CR0_SHADOW, VMCS_GUEST_CR3, VMCS_CR4_SHADOW, VMCS_GUEST_IA32_EFER, VMCS_GUEST_IA32_PAT,
        VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL, VMCS_GUEST_ES_SEL, VMCS_GUEST_FS_SEL,
        VMCS_GUEST_GS_SEL, VMCS_GUEST_TR_SEL, VMCS_GUEST_LDTR_SEL, VMCS_GUEST_CS_BASE, VMCS_GUEST_FS_BASE,
        VMCS_GUEST_GS_BASE, VMCS_GUEST_TR_BASE, VMCS_GUEST_GDTR_BASE, VMCS_GUEST_GDTR_LIMIT, VMCS_GUEST_IDTR_BASE,
        VMCS_GUEST_IDTR_LIMIT, VMCS_GUEST_SYSENTER_CS, VMCS_GUEST_SYSENTER_ESP, VMCS_GUEST_SYSENTER_EIP,
        VMCS_GUEST_INTERRUPTIBILITY, VMCS_GUEST_ACTIVITY_STATE,
    };
    struct hs_regs r;
    vcpu_regs(v, &r);
    uint64_t h = hs_digest(&r);
    for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        h = hs_mix64(h ^ vmread(fields[i])) + i;
    uint64_t extra[] = { v->dr[0], v->dr[1], v->dr[2], v->dr[3], v->dr6, v->dr7, v->cr8, v->tsc_aux, v->hw.star,
                         v->hw.lstar, v->hw.cstar, v->hw.fmask, rdmsr(MSR_IA32_KERNEL_GS_BASE), read_cr2(),
                         v->pci_addr, v->exit_seq, v->windows };
    h = hs_hash_mem(h, extra, sizeof(extra));
    static uint8_t fx[512] __attribute__((aligned(16)));
    memset(fx, 0, sizeof(fx));
    __asm__ volatile("fxsave64 %0" : "=m"(fx));
    h = hs_hash_mem(h, fx, 416); /* x87, MXCSR, XMM0-15; the rest is not written by FXSAVE */
    /* Devices whose state only guest writes and logged inputs change (the PIT's follows time). */
    h = hs_fnv32((uint32_t)h, &v->pic, sizeof(v->pic)) ^ (h << 32);
    const struct uart16550 *u = &v->com1;
    uint8_t uart[] = { u->ier, u->iir_fifo, u->lcr, u->mcr, u->lsr, u->msr, u->scr, u->dll, u->dlm, u->fcr,
                       u->thre_pending, (uint8_t)u->rx_count };
    h = hs_mix64(h ^ hs_fnv32(HS_FNV32_INIT, uart, sizeof(uart)));
    h = hs_mix64(h ^ hs_fnv32(HS_FNV32_INIT, &v->cmos, sizeof(v->cmos)));
    return h;
}

void vcpu_finish(struct vcpu *v)
{
    if (!v->raw_console)
        flush_line(v);
    else if (v->id == 0)
        console_write("\n", 1);
    v->stop_tsc = rdtsc();
    const char *outcome = v->stopping ? v->stopping : "unknown";
    if (v->vmcs_pa && v->launched) {
        v->stop_rip = vmread(VMCS_GUEST_RIP);
        if (v->mode != VCPU_PLAIN)
            nd_end(v, outcome_code(outcome)); /* the Primary's end in the log; the Backup's checked against it */
        if (v->mode == VCPU_REPLAY) {
            if (v->rp->diverged)
                outcome = "divergence";
            rp_stop(v->rp);
        }
        v->state_hash = vcpu_state_hash(v);
    } else if (v->mode == VCPU_RECORD) {
        rec_stop(v->rec, vtime_guest_tsc(v->stolen));
    }
    if (v->mode == VCPU_REPLAY && !v->launched)
        rp_stop(v->rp);
    v->outcome = outcome;
    /* After the end is published, so that the Backup's core runs while this one hashes. */
    uint64_t h0 = rdtsc();
    v->ram_hash = hs_hash_mem(HS_FNV64_INIT, (const void *)(uintptr_t)v->ram_hpa, v->ram_size);
    v->run_ticks -= rdtsc() - h0; /* the runloop adds the whole step: the hash is not the guest's cost */
    kprintf("hindsight: %s stopped: %s after %lu exits, at exit_seq %lu rip 0x%lx\n", v->name, outcome,
            v->exits_total, v->exit_seq, v->stop_rip);
    __atomic_store_n(&v->done, 1, __ATOMIC_RELEASE);
}
