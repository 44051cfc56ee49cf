/* Per-core state, reached through the GS base (the VMCS restores it on every exit). */
#ifndef HS_CPU_H
#define HS_CPU_H
#include <stdint.h>

struct vcpu;

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct cpu {
    struct cpu *self;        /* gs:0 */
    struct vcpu *vcpu;       /* gs:8, used by vmx_entry.asm */
    unsigned id;             /* 0 = bootstrap core (Primary), 1 = Backup core */
    uint64_t stack_top;
    struct vcpu *run[2];     /* the vCPUs this core runs (both on core 0 with cores=1) */
    unsigned nrun;
    struct vcpu *loaded;     /* whose VMCS is current and whose registers are in the hardware */
    uint64_t gdt[5];         /* null, code, data, TSS (two slots) */
    struct tss64 tss;
    uint8_t ist_stack[8192] __attribute__((aligned(16)));
    uint8_t nmi_stack[4096] __attribute__((aligned(16)));
};

#define CPU_MAX 2
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

/* The current core's structure. */
static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* Loads this core's GDT, TSS, the shared IDT and the GS base pointing at c. */
void cpu_init_descriptors(struct cpu *c);
/* Reads the IDT base the cores share (for the VMCS host state). */
uint64_t idt_base(void);

#endif
