/* Guest-facing helpers shared by the exit handlers, and the end of a guest's life. */
#include "vcpu.h"
#include "console.h"
#include "cpu.h"
#include "lib.h"
#include "run.h"
#include "vmcs.h"
#include "vmx.h"
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
    if (!v->raw_console)
        flush_line(v);
    else if (v->id == 0)
        console_write("\n", 1);
    v->stop_tsc = rdtsc();
    if (v->vmcs_pa) /* no VMCS (VMX never came up on this core): nothing to read */
        v->stop_rip = vmread(VMCS_GUEST_RIP);
    v->outcome = outcome;
    kprintf("hindsight: %s stopped: %s after %lu exits, at exit_seq %lu rip 0x%lx\n", v->name, outcome, v->exits_total,
            v->exit_seq, v->stop_rip);
    __atomic_store_n(&v->done, 1, __ATOMIC_RELEASE);
    run_core_finished(v->cpu);
}
