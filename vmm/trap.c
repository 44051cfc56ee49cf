/* A fault inside the VMM is a bug: dump everything, tell the harness, stop the machine. */
#include "console.h"
#include "cpu.h"
#include "platform.h"
#include "x86.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

static const char *const names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection", "page fault", "reserved", "x87 FP", "alignment check",
    "machine check", "SIMD FP", "virtualization", "control protection",
};

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
    /* A fault while reporting a fault: the report cannot be trusted to finish, just stop. */
    static volatile int reporting;
    if (__atomic_exchange_n(&reporting, 1, __ATOMIC_ACQ_REL))
        platform_exit();
    console_fault_begin();
    struct cpu *c = this_cpu();
    const char *n = f->vector < 32 && names[f->vector] ? names[f->vector] : "reserved";
    kprintf("\nhindsight: FATAL: VMM exception %lu (%s) on core %u, error code 0x%lx\n", f->vector, n,
            c ? c->id : 0, f->error);
    kprintf("  rip=%016lx cs=%04lx rflags=%016lx rsp=%016lx ss=%04lx\n", f->rip, f->cs, f->rflags, f->rsp, f->ss);
    kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
    kprintf("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", f->r9, f->r10, f->r11, f->r12);
    kprintf("  r13=%016lx r14=%016lx r15=%016lx\n", f->r13, f->r14, f->r15);
    kprintf("  cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n", read_cr0(), read_cr2(), read_cr3(), read_cr4());
    kprintf("hindsight: summary outcome=vmm-fault vector=%lu rip=0x%lx\n", f->vector, f->rip);
    platform_exit();
}
