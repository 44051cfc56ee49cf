/* GDT, TSS and IDT. Exceptions run on an IST stack so that even a VMM stack
 * overflow reaches the register dump instead of a triple fault; NMIs on another. */
#include "cpu.h"
#include "lib.h"
#include "msr.h"
#include "x86.h"

struct idt_entry {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
extern const uint64_t isr_stubs[256]; /* vmm/isr.asm */

struct dtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static void idt_fill(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t a = isr_stubs[v];
        idt[v].off0 = (uint16_t)a;
        idt[v].sel = SEL_CODE;
        /* Exceptions on IST1, the NMI on its own IST2 (it may strike during an exception's report);
         * host interrupts (taken only inside hostirq.c's brief STI) on the current stack. */
        idt[v].ist = v == 2 ? 2 : v < 32 ? 1 : 0;
        idt[v].type = 0x8E; /* present, interrupt gate */
        idt[v].off1 = (uint16_t)(a >> 16);
        idt[v].off2 = (uint32_t)(a >> 32);
        idt[v].zero = 0;
    }
}

uint64_t idt_base(void) { return (uint64_t)(uintptr_t)idt; }

void cpu_init_descriptors(struct cpu *c)
{
    if (c->id == 0)
        idt_fill();
    c->self = c;
    c->gdt[0] = 0;
    c->gdt[1] = 0x00209A0000000000ull;
    c->gdt[2] = 0x0000920000000000ull;
    uint64_t tb = (uint64_t)(uintptr_t)&c->tss, tl = sizeof(c->tss) - 1;
    c->gdt[3] = (tl & 0xFFFF) | ((tb & 0xFFFFFF) << 16) | (0x89ull << 40) | (((tl >> 16) & 0xF) << 48) |
                ((tb >> 24 & 0xFF) << 56);
    c->gdt[4] = tb >> 32;
    memset(&c->tss, 0, sizeof(c->tss));
    c->tss.ist[0] = ALIGN_DOWN((uint64_t)(uintptr_t)(c->ist_stack + sizeof(c->ist_stack)), 16);
    c->tss.ist[1] = ALIGN_DOWN((uint64_t)(uintptr_t)(c->nmi_stack + sizeof(c->nmi_stack)), 16);
    c->tss.iomap_base = sizeof(c->tss);

    struct dtr g = { sizeof(c->gdt) - 1, (uint64_t)(uintptr_t)c->gdt };
    struct dtr i = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lgdt %0" ::"m"(g));
    __asm__ volatile("lidt %0" ::"m"(i));
    /* Reload CS through a far return, then the data segments and TR. */
    __asm__ volatile("pushq %0\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w1, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "xorl %%eax, %%eax\n\t"
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs\n\t"
                     :
                     : "i"(SEL_CODE), "i"(SEL_DATA)
                     : "rax", "memory");
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
    wrmsr(MSR_IA32_GS_BASE, (uint64_t)(uintptr_t)c);
}
