/* What to do with a host interrupt the VMM does not use (pure: unit-tested hosted). */
#ifndef HS_HOSTIRQ_CLASS_H
#define HS_HOSTIRQ_CLASS_H
#include <stdbool.h>
#include <stdint.h>

/* The 8259A pair is remapped to these vectors (then masked), so its interrupts are recognised. */
#define HOSTIRQ_PIC_BASE 0x20u
/* The local APIC's spurious-interrupt vector the VMM programs. */
#define HOSTIRQ_SPURIOUS_VECTOR 0xFFu

enum hostirq_action {
    HOSTIRQ_EOI_LAPIC,     /* in service at the local APIC: EOI there */
    HOSTIRQ_EOI_PIC1,      /* an 8259A master IRQ (ExtINT): non-specific EOI to the master */
    HOSTIRQ_EOI_PIC2,      /* a slave IRQ: EOI to the slave, then the master */
    HOSTIRQ_SPURIOUS_PIC2, /* spurious slave IRQ 15: the master saw IRQ 2 and needs its EOI */
    HOSTIRQ_SPURIOUS,      /* nothing in service anywhere: no EOI (an EOI would end another one) */
};

/* Decides the EOI for an acknowledged vector: lapic_isr says the vector is in service at the
 * local APIC; pic1_isr / pic2_isr are the 8259As' in-service registers (OCW3 read). */
enum hostirq_action hostirq_classify(uint8_t vector, bool lapic_isr, uint8_t pic1_isr, uint8_t pic2_isr);
/* A word for the action, for the console. */
const char *hostirq_action_name(enum hostirq_action a);

/* A local APIC timer LVT and initial count left by the firmware: is it running? */
bool hostirq_lapic_timer_armed(uint32_t lvt_timer, uint32_t initial_count);

#endif
