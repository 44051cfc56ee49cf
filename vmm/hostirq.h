/* The host's interrupts and NMIs: the VMM uses none, so it masks every source it can find,
 * acknowledges and counts what still arrives, and keeps NMIs from being fatal or lost. */
#ifndef HS_HOSTIRQ_H
#define HS_HOSTIRQ_H
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "vcpu.h"

/* On each core, once its IDT is loaded: remaps and masks the 8259As (core 0), masks the local
 * APIC's LVTs (stopping a timer the firmware left running, keeping LINT1 as NMI) and ends any
 * interrupt the firmware left in service. Test aids of cfg run here. */
void hostirq_init(unsigned core, const struct config *cfg);
/* Masks every redirection entry of the I/O APIC at base (from the MADT); returns the count. */
unsigned hostirq_mask_ioapic(uint64_t base);
/* External-interrupt exit: ends the acknowledged interrupt (exit interruption info intr_info;
 * without "acknowledge interrupt on exit" it is taken through the IDT) and counts it. */
void hostirq_exit(struct vcpu *v, uint32_t intr_info);
/* NMI exit: counts it and lifts the NMI blocking the exit left, so the next NMI is taken. */
void hostirq_nmi_exit(struct vcpu *v);
/* Before entering a guest: the test aids' stray sources (simulate=host-nmi in guest mode). */
void hostirq_before_entry(struct vcpu *v);
/* Appends the summary's host.* keys; returns the characters written (untruncated). */
size_t hostirq_summary(char *buf, size_t cap);

/* Called from vmm/isr.asm: an NMI in VMX root, an interrupt taken through the IDT. */
void hostirq_nmi(void);
void hostirq_root(uint32_t vector);

#endif
