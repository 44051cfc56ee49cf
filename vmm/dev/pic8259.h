/* The PC's cascaded pair of 8259A interrupt controllers (edge-triggered, fixed priority). */
#ifndef HS_PIC8259_H
#define HS_PIC8259_H
#include <stdbool.h>
#include <stdint.h>

struct pic8259 {
    uint8_t irr, isr, imr, lines, base, elcr;
    uint8_t init_step;       /* 0: operational; 2..4: expecting ICW2..ICW4 */
    bool need_icw4, single, auto_eoi, read_isr;
};

struct pic_pair {
    struct pic8259 master, slave;
};

/* Power-on state: everything masked off until the guest initialises it. */
void pic_init(struct pic_pair *p);
/* Guest read of port 0x20/0x21/0xA0/0xA1/0x4D0/0x4D1. */
uint8_t pic_read(struct pic_pair *p, uint16_t port);
/* Guest write of those ports (ICW1-4, OCW1-3, ELCR). */
void pic_write(struct pic_pair *p, uint16_t port, uint8_t v);
/* Drives IRQ line irq (0-15) to level; a rising edge latches a request. */
void pic_set_irq(struct pic_pair *p, unsigned irq, bool level);
/* True if an unmasked request could be delivered now (not blocked by a higher in-service IRQ). */
bool pic_pending(const struct pic_pair *p);
/* Acknowledges the highest-priority request and returns its vector (the INTA cycle). */
uint8_t pic_ack(struct pic_pair *p);

#endif
