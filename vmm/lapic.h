/* This core's local APIC, in xAPIC (MMIO) or x2APIC (MSR) mode, whichever the firmware chose. */
#ifndef HS_LAPIC_H
#define HS_LAPIC_H
#include <stdbool.h>
#include <stdint.h>
#include "msr.h"
#include "x86.h"

#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ISR 0x100
#define LAPIC_IRR 0x200
#define LAPIC_LVT_CMCI 0x2F0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LVT_DELIVERY_NMI (4u << 8)

/* The local APIC is enabled (IA32_APIC_BASE bit 11). */
static inline bool lapic_enabled(void) { return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ENABLE; }

static inline uint32_t lapic_read(uint32_t reg)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (base & APIC_BASE_X2APIC)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return *(volatile uint32_t *)(uintptr_t)((base & 0xFFFFF000u) + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t val)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (base & APIC_BASE_X2APIC)
        wrmsr(0x800 + (reg >> 4), val);
    else
        *(volatile uint32_t *)(uintptr_t)((base & 0xFFFFF000u) + reg) = val;
}

/* This core's APIC ID (8 bits in xAPIC mode, 32 in x2APIC mode). */
static inline uint32_t lapic_id(void)
{
    if (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC)
        return (uint32_t)rdmsr(0x802);
    return lapic_read(LAPIC_ID) >> 24;
}

/* Sends an IPI (ICR low word `low`) to the APIC ID dest; waits for the xAPIC to take it. */
static inline void lapic_send_ipi(uint32_t dest, uint32_t low)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (base & APIC_BASE_X2APIC) {
        wrmsr(0x830, ((uint64_t)dest << 32) | low);
        return;
    }
    lapic_write(LAPIC_ICR_HIGH, dest << 24);
    lapic_write(LAPIC_ICR_LOW, low);
    for (int i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LOW) & (1u << 12)); i++)
        cpu_relax();
}

#endif
