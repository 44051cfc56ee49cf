/* The VMM masks every host interrupt source it can find, but one may still arrive (a device the
 * VMM does not know of, an interrupt raised before the masking): the CPU acknowledges it on the
 * VM exit, and the VMM must end it at whichever controller has it in service, or that
 * controller blocks every interrupt of equal or lower priority from then on. */
#include "hostirq_class.h"

enum hostirq_action hostirq_classify(uint8_t vector, bool lapic_isr, uint8_t pic1_isr, uint8_t pic2_isr)
{
    if (lapic_isr)
        return HOSTIRQ_EOI_LAPIC;
    if (vector >= HOSTIRQ_PIC_BASE && vector < HOSTIRQ_PIC_BASE + 16) {
        unsigned irq = vector - HOSTIRQ_PIC_BASE;
        if (irq < 8)
            /* IRQ 7 with its in-service bit clear is the master's spurious interrupt: no EOI. */
            return (pic1_isr >> irq) & 1 ? HOSTIRQ_EOI_PIC1 : HOSTIRQ_SPURIOUS;
        if ((pic2_isr >> (irq - 8)) & 1)
            return HOSTIRQ_EOI_PIC2;
        /* Spurious IRQ 15: the slave has nothing in service, but the master's IRQ 2 was acknowledged. */
        return (pic1_isr >> 2) & 1 ? HOSTIRQ_SPURIOUS_PIC2 : HOSTIRQ_SPURIOUS;
    }
    return HOSTIRQ_SPURIOUS; /* the APIC's spurious vector, or one nobody holds in service */
}

const char *hostirq_action_name(enum hostirq_action a)
{
    switch (a) {
    case HOSTIRQ_EOI_LAPIC: return "local APIC";
    case HOSTIRQ_EOI_PIC1: return "8259A master";
    case HOSTIRQ_EOI_PIC2: return "8259A slave";
    case HOSTIRQ_SPURIOUS_PIC2: return "spurious (8259A slave)";
    default: return "spurious";
    }
}

bool hostirq_lapic_timer_armed(uint32_t lvt_timer, uint32_t initial_count)
{
    /* Masked (bit 16) or a zero initial count: the timer raises nothing. */
    return !(lvt_timer & (1u << 16)) && initial_count != 0;
}
