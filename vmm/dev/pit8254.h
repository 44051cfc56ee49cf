/* The 8254 programmable interval timer and the port 0x61 bits it shares. Pure: every call
 * takes "now" in PIT clock ticks (1,193,182 Hz), so the model is testable on the host. */
#ifndef HS_PIT8254_H
#define HS_PIT8254_H
#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182u
#define PIT_NEVER UINT64_MAX

struct pit_channel {
    uint32_t count;          /* loaded count, 1..65536 */
    uint8_t mode, access;    /* access: 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd, gate, armed;
    bool write_msb, read_msb;
    uint8_t partial;         /* LSB written, waiting for MSB */
    bool latched, status_latched;
    bool null_count;         /* a control word or count written ... */
    uint64_t load_tick;      /* ... and loaded into the counting element after this tick (PIT_NEVER: not yet) */
    uint16_t latch;
    uint8_t status;
    uint64_t start;          /* tick the count started from */
    uint64_t fired;          /* for channel 0: ticks up to which IRQ 0 edges were delivered */
};

struct pit8254 {
    struct pit_channel ch[3];
    uint8_t port61;          /* bits 0-1 as written: channel 2 gate, speaker data */
};

/* Power-on state. */
void pit_init(struct pit8254 *p);
/* Guest read of 0x40-0x43 or 0x61. */
uint8_t pit_read(struct pit8254 *p, uint16_t port, uint64_t now);
/* Guest write of 0x40-0x43 or 0x61. */
void pit_write(struct pit8254 *p, uint16_t port, uint8_t v, uint64_t now);
/* Number of IRQ 0 events between the last call and now (consumes them). */
unsigned pit_irq0_due(struct pit8254 *p, uint64_t now);
/* Tick of the next IRQ 0 event after now, or PIT_NEVER. */
uint64_t pit_next_irq0(const struct pit8254 *p, uint64_t now);

#endif
