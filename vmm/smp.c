/* INIT-SIPI-SIPI to the one core the MADT named (cores.c), so the other cores stay in
 * wait-for-SIPI, the safest place for a core the VMM does not use. Without a MADT: the "all
 * excluding self" shorthand, and the trampoline lets only the first AP through; extra APs
 * park themselves in a halt loop. */
#include "smp.h"
#include "console.h"
#include "lapic.h"
#include "lib.h"
#include "msr.h"
#include "platform.h"
#include "x86.h"

#define TRAMPOLINE 0x8000ull
#define OFF_CR3 0x08
#define OFF_STACK 0x10
#define OFF_ENTRY 0x18
#define OFF_ARG 0x20
#define OFF_ALIVE 0x28
#define OFF_TICKET 0x2C

extern const uint8_t ap_trampoline_start[], ap_trampoline_end[];

#define ICR_INIT (5u << 8)
#define ICR_SIPI (6u << 8)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_ALL_BUT_SELF (3u << 18)

static int64_t target = -1; /* the AP's APIC ID from the MADT; -1: broadcast to all but self */

void smp_set_target(int64_t apic_id) { target = apic_id; }

static void send_ipi(uint64_t apic_base_msr, uint32_t low)
{
    (void)apic_base_msr;
    if (target >= 0)
        lapic_send_ipi((uint32_t)target, low);
    else
        lapic_send_ipi(0, low | ICR_ALL_BUT_SELF);
}

int smp_start_ap(uint64_t cr3, uint64_t stack_top, void (*entry)(void *), void *arg)
{
    uint8_t *t = (uint8_t *)(uintptr_t)TRAMPOLINE;
    memcpy(t, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
    *(uint64_t *)(t + OFF_CR3) = cr3;
    *(uint64_t *)(t + OFF_STACK) = stack_top;
    *(uint64_t *)(t + OFF_ENTRY) = (uint64_t)(uintptr_t)entry;
    *(uint64_t *)(t + OFF_ARG) = (uint64_t)(uintptr_t)arg;
    volatile uint32_t *alive = (volatile uint32_t *)(t + OFF_ALIVE);
    *alive = 0;
    *(volatile uint32_t *)(t + OFF_TICKET) = 0;

    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) {
        kprintf("hindsight: cannot start core 1: the local APIC is disabled\n");
        return -1;
    }
    send_ipi(base, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
    platform_udelay(10000);
    for (int attempt = 0; attempt < 2 && !*alive; attempt++) {
        send_ipi(base, ICR_SIPI | (uint32_t)(TRAMPOLINE >> 12));
        platform_udelay(attempt ? 100000 : 200);
    }
    for (int i = 0; i < 100 && !*alive; i++)
        platform_udelay(1000);
    if (!*alive) {
        if (target >= 0)
            kprintf("hindsight: core 1 (APIC ID %ld) did not answer INIT-SIPI-SIPI\n", target);
        else
            kprintf("hindsight: core 1 did not answer INIT-SIPI-SIPI (single-core machine or emulator run with one "
                    "CPU?)\n");
        return -1;
    }
    if (target >= 0)
        kprintf("hindsight: core 1 is APIC ID %ld (started alone; the MADT's other cores were never woken)\n", target);
    return 0;
}
