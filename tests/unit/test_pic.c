/* The cascaded 8259A pair, programmed through its ports as Linux's init_8259A and the
 * i8259 irq_chip (mask_and_ack_8259A, OCW3 reads) do. */
#include <string.h>
#include "check.h"
#include "dev/pic8259.h"

#define M_CMD 0x20
#define M_DATA 0x21
#define S_CMD 0xA0
#define S_DATA 0xA1
#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B
#define EOI 0x20
#define SEOI(n) (0x60 | (n))

static struct pic_pair P;

/* init_8259A(auto_eoi): mask all, ICW1-ICW4 for master (0x30) and slave (0x38). Leaves
 * the masks as ICW1 left them (cleared); tests set the masks they want. */
static void linux_init(int auto_eoi)
{
    memset(&P, 0x5A, sizeof(P));
    pic_init(&P);
    pic_write(&P, M_DATA, 0xFF);
    pic_write(&P, S_DATA, 0xFF);
    pic_write(&P, M_CMD, 0x11);                    /* ICW1: edge, cascade, ICW4 needed */
    pic_write(&P, M_DATA, 0x30);                   /* ICW2: vector base */
    pic_write(&P, M_DATA, 0x04);                   /* ICW3: slave on IR2 */
    pic_write(&P, M_DATA, auto_eoi ? 0x03 : 0x01); /* ICW4: 8086 mode (+ AEOI) */
    pic_write(&P, S_CMD, 0x11);
    pic_write(&P, S_DATA, 0x38);
    pic_write(&P, S_DATA, 0x02); /* ICW3: slave identity 2 */
    pic_write(&P, S_DATA, 0x01); /* Linux never puts the slave in AEOI */
}

/* All sixteen lines unmasked (master IR2 carries the slave). */
static void linux_init_unmasked(int auto_eoi)
{
    linux_init(auto_eoi);
    pic_write(&P, M_DATA, 0x00);
    pic_write(&P, S_DATA, 0x00);
}

static void pulse(unsigned irq)
{
    pic_set_irq(&P, irq, true);
    pic_set_irq(&P, irq, false);
}

static uint8_t read_irr(uint16_t cmd)
{
    pic_write(&P, cmd, OCW3_READ_IRR);
    return pic_read(&P, cmd);
}

static uint8_t read_isr(uint16_t cmd)
{
    pic_write(&P, cmd, OCW3_READ_ISR);
    return pic_read(&P, cmd);
}

TEST(pic_power_on_masked)
{
    memset(&P, 0x5A, sizeof(P));
    pic_init(&P);
    CHECK_EQ(pic_read(&P, M_DATA), 0xFF);
    CHECK_EQ(pic_read(&P, S_DATA), 0xFF);
    CHECK_EQ(pic_read(&P, M_CMD), 0); /* IRR */
    CHECK_EQ(pic_read(&P, S_CMD), 0);
    CHECK(!pic_pending(&P));
    for (unsigned irq = 0; irq < 16; irq++)
        pulse(irq);
    CHECK(!pic_pending(&P)); /* latched in IRR, but masked */
    /* IR2 is the slave's INT output, not a line: with the slave all masked it stays low. */
    CHECK_EQ(pic_read(&P, M_CMD), 0xFB);
    CHECK_EQ(pic_read(&P, S_CMD), 0xFF);
    CHECK_EQ(pic_read(&P, 0x4D0), 0);
    CHECK_EQ(pic_read(&P, 0x4D1), 0);
}

TEST(pic_linux_init_sequence)
{
    linux_init(0);
    /* ICW1 clears the IMR; ICW2-ICW4 went to the data port but are not the mask. */
    CHECK_EQ(pic_read(&P, M_DATA), 0x00);
    CHECK_EQ(pic_read(&P, S_DATA), 0x00);
    CHECK_EQ(read_isr(M_CMD), 0);
    CHECK_EQ(read_isr(S_CMD), 0);
    CHECK(!pic_pending(&P));
    /* After the ICWs the data port is OCW1 again. */
    pic_write(&P, M_DATA, 0xFB);
    pic_write(&P, S_DATA, 0xFF);
    CHECK_EQ(pic_read(&P, M_DATA), 0xFB);
    CHECK_EQ(pic_read(&P, S_DATA), 0xFF);

    linux_init_unmasked(0);
    pulse(0);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x30);
    pic_write(&P, M_CMD, EOI);
    pulse(7);
    CHECK_EQ(pic_ack(&P), 0x37);
    pic_write(&P, M_CMD, EOI);
    pulse(8);
    CHECK_EQ(pic_ack(&P), 0x38);
    pic_write(&P, S_CMD, EOI);
    pic_write(&P, M_CMD, EOI);
    pulse(15);
    CHECK_EQ(pic_ack(&P), 0x3F);
    pic_write(&P, S_CMD, EOI);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));
    CHECK_EQ(read_isr(M_CMD), 0);
    CHECK_EQ(read_isr(S_CMD), 0);
}

TEST(pic_icw2_low_bits_ignored)
{
    /* In 8086 mode ICW2 supplies T7-T3; the low three bits are the IRQ number. */
    linux_init_unmasked(0);
    pic_write(&P, M_CMD, 0x11);
    pic_write(&P, M_DATA, 0x47);
    pic_write(&P, M_DATA, 0x04);
    pic_write(&P, M_DATA, 0x01);
    pic_write(&P, M_DATA, 0x00);
    pulse(3);
    CHECK_EQ(pic_ack(&P), 0x43);
}

TEST(pic_reinit_vectors)
{
    /* The BIOS-style vectors before Linux, then Linux's after re-initialising. */
    linux_init_unmasked(0);
    pic_write(&P, M_CMD, 0x11);
    pic_write(&P, M_DATA, 0x08);
    pic_write(&P, M_DATA, 0x04);
    pic_write(&P, M_DATA, 0x01);
    pic_write(&P, S_CMD, 0x11);
    pic_write(&P, S_DATA, 0x70);
    pic_write(&P, S_DATA, 0x02);
    pic_write(&P, S_DATA, 0x01);
    pic_write(&P, M_DATA, 0x00);
    pic_write(&P, S_DATA, 0x00);
    pulse(1);
    CHECK_EQ(pic_ack(&P), 0x09);
    pic_write(&P, M_CMD, EOI);
    pulse(14);
    CHECK_EQ(pic_ack(&P), 0x76);
}

TEST(pic_imr_read_write)
{
    linux_init(0);
    static const uint8_t vals[] = { 0xFF, 0x00, 0xA5, 0x5A, 0xFB, 0x01, 0x80 };
    for (unsigned i = 0; i < sizeof(vals); i++) {
        pic_write(&P, M_DATA, vals[i]);
        pic_write(&P, S_DATA, (uint8_t)~vals[i]);
        CHECK_EQ(pic_read(&P, M_DATA), vals[i]);
        CHECK_EQ(pic_read(&P, S_DATA), (uint8_t)~vals[i]);
    }
    /* OCW2/OCW3 on the command port do not disturb the mask. */
    pic_write(&P, M_DATA, 0xC3);
    pic_write(&P, M_CMD, EOI);
    pic_write(&P, M_CMD, OCW3_READ_ISR);
    pic_write(&P, M_CMD, SEOI(5));
    CHECK_EQ(pic_read(&P, M_DATA), 0xC3);
}

TEST(pic_edge_detection)
{
    linux_init_unmasked(0);
    pic_set_irq(&P, 4, false);
    CHECK(!pic_pending(&P)); /* a low line requests nothing */
    pic_set_irq(&P, 4, true);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x34);
    CHECK(!pic_pending(&P));
    pic_write(&P, M_CMD, EOI);
    /* Still high: no new edge, no new request. */
    pic_set_irq(&P, 4, true);
    pic_set_irq(&P, 4, true);
    CHECK(!pic_pending(&P));
    CHECK_EQ(read_irr(M_CMD), 0);
    /* Low then high again: a new edge. */
    pic_set_irq(&P, 4, false);
    CHECK(!pic_pending(&P));
    pic_set_irq(&P, 4, true);
    CHECK(pic_pending(&P));
    CHECK_EQ(read_irr(M_CMD), 0x10);
    CHECK_EQ(pic_ack(&P), 0x34);
    pic_write(&P, M_CMD, EOI);

    /* The same on the slave. */
    pic_set_irq(&P, 11, true);
    CHECK_EQ(pic_ack(&P), 0x3B);
    pic_write(&P, S_CMD, EOI);
    pic_write(&P, M_CMD, EOI);
    pic_set_irq(&P, 11, true);
    CHECK(!pic_pending(&P));
    pic_set_irq(&P, 11, false);
    pic_set_irq(&P, 11, true);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x3B);

    /* Two pulses before the ack are one request. */
    linux_init_unmasked(0);
    pulse(6);
    pulse(6);
    CHECK_EQ(pic_ack(&P), 0x36);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));
}

TEST(pic_priority_fixed)
{
    linux_init_unmasked(0);
    pulse(4);
    pulse(0);
    CHECK_EQ(read_irr(M_CMD), 0x11);
    CHECK_EQ(pic_ack(&P), 0x30); /* IRQ 0 beats IRQ 4 */
    /* IRQ 0 in service blocks IRQ 4 until its EOI. */
    CHECK(!pic_pending(&P));
    CHECK_EQ(read_isr(M_CMD), 0x01);
    CHECK_EQ(read_irr(M_CMD), 0x10);
    pic_write(&P, M_CMD, EOI);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x34);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));

    /* A lower-priority IRQ in service does not block a higher one. */
    pulse(4);
    CHECK_EQ(pic_ack(&P), 0x34);
    pulse(1);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x31);
    CHECK_EQ(read_isr(M_CMD), 0x12);
    /* Nor does it let an equal or lower one through. */
    pulse(4);
    pulse(6);
    CHECK(!pic_pending(&P));
    pic_write(&P, M_CMD, EOI); /* clears IRQ 1: IRQ 4 still in service */
    CHECK_EQ(read_isr(M_CMD), 0x10);
    CHECK(!pic_pending(&P));
    pic_write(&P, M_CMD, EOI); /* clears IRQ 4 */
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x34);
    pic_write(&P, M_CMD, EOI);
    CHECK_EQ(pic_ack(&P), 0x36);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));
}

TEST(pic_ack_moves_irr_to_isr)
{
    linux_init_unmasked(0);
    pulse(3);
    pulse(5);
    CHECK_EQ(read_irr(M_CMD), 0x28);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK_EQ(pic_ack(&P), 0x33);
    CHECK_EQ(read_irr(M_CMD), 0x20);
    CHECK_EQ(read_isr(M_CMD), 0x08);
}

TEST(pic_nonspecific_eoi_clears_highest)
{
    linux_init_unmasked(0);
    pulse(6);
    CHECK_EQ(pic_ack(&P), 0x36);
    pulse(3); /* IRQ 3 nests above IRQ 6 */
    CHECK_EQ(pic_ack(&P), 0x33);
    pulse(0);
    CHECK_EQ(pic_ack(&P), 0x30);
    CHECK_EQ(read_isr(M_CMD), 0x49);
    pic_write(&P, M_CMD, EOI);
    CHECK_EQ(read_isr(M_CMD), 0x48);
    pic_write(&P, M_CMD, EOI);
    CHECK_EQ(read_isr(M_CMD), 0x40);
    pic_write(&P, M_CMD, EOI);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    pic_write(&P, M_CMD, EOI); /* EOI with nothing in service is harmless */
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK(!pic_pending(&P));
}

TEST(pic_specific_eoi)
{
    linux_init_unmasked(0);
    pulse(4);
    CHECK_EQ(pic_ack(&P), 0x34);
    pulse(1);
    CHECK_EQ(pic_ack(&P), 0x31);
    CHECK_EQ(read_isr(M_CMD), 0x12);
    pic_write(&P, M_CMD, SEOI(4)); /* not the highest: only bit 4 goes */
    CHECK_EQ(read_isr(M_CMD), 0x02);
    pic_write(&P, M_CMD, SEOI(7)); /* not in service: no change */
    CHECK_EQ(read_isr(M_CMD), 0x02);
    pic_write(&P, M_CMD, SEOI(1));
    CHECK_EQ(read_isr(M_CMD), 0x00);
    /* Rotate-on-specific-EOI (0xE0|n) also clears that bit. */
    pulse(5);
    CHECK_EQ(pic_ack(&P), 0x35);
    pic_write(&P, M_CMD, 0xE5);
    CHECK_EQ(read_isr(M_CMD), 0x00);
}

TEST(pic_ocw3_selects_irr_isr)
{
    linux_init(0);
    pic_write(&P, M_DATA, 0xDF); /* only IRQ 5 unmasked */
    pulse(5);
    pulse(7);
    CHECK_EQ(pic_read(&P, M_CMD), 0xA0); /* IRR is the default after ICW1 */
    CHECK_EQ(pic_ack(&P), 0x35);
    pic_write(&P, M_CMD, OCW3_READ_ISR);
    CHECK_EQ(pic_read(&P, M_CMD), 0x20);
    CHECK_EQ(pic_read(&P, M_CMD), 0x20); /* the selection sticks */
    pic_write(&P, M_CMD, 0x08);          /* OCW3 without RR: no change */
    CHECK_EQ(pic_read(&P, M_CMD), 0x20);
    pic_write(&P, M_CMD, OCW3_READ_IRR);
    CHECK_EQ(pic_read(&P, M_CMD), 0x80);
    CHECK_EQ(pic_read(&P, M_CMD), 0x80);
    /* The data port always reads the IMR whatever OCW3 selected. */
    pic_write(&P, M_CMD, OCW3_READ_ISR);
    CHECK_EQ(pic_read(&P, M_DATA), 0xDF);
    /* The slave's selection is its own. */
    pic_write(&P, S_DATA, 0xFF);
    pulse(9);
    pic_write(&P, S_CMD, OCW3_READ_ISR);
    CHECK_EQ(pic_read(&P, S_CMD), 0x00);
    CHECK_EQ(pic_read(&P, M_CMD), 0x20);
    pic_write(&P, S_CMD, OCW3_READ_IRR);
    CHECK_EQ(pic_read(&P, S_CMD), 0x02);
    /* ICW1 resets the selection to IRR. */
    pic_write(&P, M_CMD, OCW3_READ_ISR);
    pic_write(&P, M_CMD, 0x11);
    pic_write(&P, M_DATA, 0x30);
    pic_write(&P, M_DATA, 0x04);
    pic_write(&P, M_DATA, 0x01);
    pic_write(&P, M_DATA, 0xDF);
    pulse(5);
    CHECK_EQ(pic_read(&P, M_CMD) & 0x7F, 0x20); /* IRR (whether ICW1 dropped the old IRQ 7 or not) */
    CHECK_EQ(pic_ack(&P), 0x35);
    CHECK_EQ(pic_read(&P, M_CMD) & 0x7F, 0x00);
}

TEST(pic_slave_cascade)
{
    linux_init_unmasked(0);
    pulse(12);
    CHECK(pic_pending(&P));
    CHECK_EQ(read_irr(M_CMD), 0x04); /* the slave's INT on master IR2 */
    CHECK_EQ(read_irr(S_CMD), 0x10);
    CHECK_EQ(pic_ack(&P), 0x3C);
    CHECK_EQ(read_isr(M_CMD), 0x04);
    CHECK_EQ(read_isr(S_CMD), 0x10);
    CHECK_EQ(read_irr(M_CMD), 0x00);
    CHECK_EQ(read_irr(S_CMD), 0x00);
    CHECK(!pic_pending(&P));

    /* Master IR2 in service: master IRQs 3-7 wait, IRQs 0-1 go through. */
    pulse(3);
    CHECK(!pic_pending(&P));
    pulse(1);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x31);
    pic_write(&P, M_CMD, EOI); /* clears IRQ 1, the highest */
    CHECK_EQ(read_isr(M_CMD), 0x04);
    CHECK(!pic_pending(&P));
    /* Fully nested mode: even a higher slave IRQ waits for the master's IR2 EOI. */
    pulse(8);
    CHECK(!pic_pending(&P));

    /* mask_and_ack_8259A's order: slave specific EOI, then master specific EOI for IR2. */
    pic_write(&P, S_CMD, SEOI(12 & 7));
    pic_write(&P, M_CMD, SEOI(2));
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK_EQ(read_isr(S_CMD), 0x00);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x38); /* IR2 (slave IRQ 8) beats IR3 */
    CHECK_EQ(read_isr(M_CMD), 0x04);
    CHECK_EQ(read_isr(S_CMD), 0x01);
    pic_write(&P, S_CMD, SEOI(0));
    pic_write(&P, M_CMD, SEOI(2));
    CHECK_EQ(pic_ack(&P), 0x33);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));

    /* Slave priority: IRQ 8 beats IRQ 12; both go through IR2 in turn. */
    pulse(12);
    pulse(8);
    CHECK_EQ(pic_ack(&P), 0x38);
    pic_write(&P, S_CMD, EOI);
    pic_write(&P, M_CMD, EOI);
    CHECK(pic_pending(&P));
    CHECK_EQ(read_irr(M_CMD), 0x04);
    CHECK_EQ(pic_ack(&P), 0x3C);
    pic_write(&P, S_CMD, EOI);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));
    CHECK_EQ(read_irr(M_CMD), 0x00);

    /* Master IR2 masked: slave requests wait. */
    pic_write(&P, M_DATA, 0x04);
    pulse(14);
    CHECK(!pic_pending(&P));
    pic_write(&P, M_DATA, 0x00);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x3E);
}

TEST(pic_masked_stays_pending)
{
    linux_init(0);
    pic_write(&P, M_DATA, 0x20); /* IRQ 5 masked */
    pic_write(&P, S_DATA, 0x10); /* IRQ 12 masked */
    pulse(5);
    pulse(12);
    CHECK(!pic_pending(&P));
    CHECK_EQ(read_irr(M_CMD), 0x20);
    CHECK_EQ(read_irr(S_CMD), 0x10);
    /* Meanwhile unmasked lines work. */
    pulse(6);
    CHECK_EQ(pic_ack(&P), 0x36);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));
    pic_write(&P, M_DATA, 0x00);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x35);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));
    pic_write(&P, S_DATA, 0x00);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x3C);
    pic_write(&P, S_CMD, EOI);
    pic_write(&P, M_CMD, EOI);
    CHECK(!pic_pending(&P));
    CHECK_EQ(read_irr(M_CMD), 0x00);
    CHECK_EQ(read_irr(S_CMD), 0x00);
    /* Masking a request that already latched withholds it again. */
    pulse(4);
    CHECK(pic_pending(&P));
    pic_write(&P, M_DATA, 0x10);
    CHECK(!pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x37);
    CHECK_EQ(read_irr(M_CMD), 0x10);
}

TEST(pic_auto_eoi)
{
    linux_init_unmasked(1);
    pulse(4);
    CHECK_EQ(pic_ack(&P), 0x34);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    /* Nothing in service: the same or a lower IRQ is deliverable at once. */
    pulse(6);
    CHECK(pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x36);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    /* Slave IRQ: the master's IR2 is auto-EOI'd, the slave (normal EOI) keeps its bit. */
    pulse(12);
    CHECK_EQ(pic_ack(&P), 0x3C);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK_EQ(read_isr(S_CMD), 0x10);
    pic_write(&P, S_CMD, EOI);
    CHECK_EQ(read_isr(S_CMD), 0x00);
    /* Re-initialising with ICW4 = 0x01 leaves auto-EOI. */
    linux_init_unmasked(0);
    pulse(4);
    CHECK_EQ(pic_ack(&P), 0x34);
    CHECK_EQ(read_isr(M_CMD), 0x10);
    /* And ICW1 without IC4 zeroes the ICW4 functions, AEOI included. */
    linux_init_unmasked(1);
    pic_write(&P, M_CMD, 0x10);
    pic_write(&P, M_DATA, 0x30);
    pic_write(&P, M_DATA, 0x04);
    pic_write(&P, M_DATA, 0x00); /* OCW1 now, not ICW4 */
    CHECK_EQ(pic_read(&P, M_DATA), 0x00);
    pulse(4);
    CHECK_EQ(pic_ack(&P), 0x34);
    CHECK_EQ(read_isr(M_CMD), 0x10);
}

TEST(pic_spurious_ack)
{
    linux_init_unmasked(0);
    CHECK(!pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x37);
    CHECK_EQ(read_isr(M_CMD), 0x00); /* a spurious IRQ 7 sets no ISR bit */
    CHECK_EQ(read_isr(S_CMD), 0x00);
    /* Only masked requests: still spurious. */
    pic_write(&P, M_DATA, 0x02);
    pulse(1);
    CHECK(!pic_pending(&P));
    CHECK_EQ(pic_ack(&P), 0x37);
    CHECK_EQ(read_irr(M_CMD), 0x02);
    /* Only requests blocked by a higher in-service one: still spurious, nothing changes. */
    pic_write(&P, M_DATA, 0x00);
    CHECK_EQ(pic_ack(&P), 0x31);
    pulse(5);
    CHECK_EQ(pic_ack(&P), 0x37);
    CHECK_EQ(read_isr(M_CMD), 0x02);
    CHECK_EQ(read_irr(M_CMD), 0x20);
}

TEST(pic_elcr)
{
    linux_init(0);
    CHECK_EQ(pic_read(&P, 0x4D0), 0x00);
    CHECK_EQ(pic_read(&P, 0x4D1), 0x00);
    pic_write(&P, 0x4D0, 0xFF);
    pic_write(&P, 0x4D1, 0xFF);
    CHECK_EQ(pic_read(&P, 0x4D0), 0xF8); /* IRQ 0, 1, 2 are always edge */
    CHECK_EQ(pic_read(&P, 0x4D1), 0xDE); /* IRQ 8 and 13 too */
    pic_write(&P, 0x4D0, 0x20); /* IRQ 5 level */
    pic_write(&P, 0x4D1, 0x0E); /* IRQ 9, 10, 11 level */
    CHECK_EQ(pic_read(&P, 0x4D0), 0x20);
    CHECK_EQ(pic_read(&P, 0x4D1), 0x0E);
    pic_write(&P, 0x4D0, 0x07);
    pic_write(&P, 0x4D1, 0x21);
    CHECK_EQ(pic_read(&P, 0x4D0), 0x00);
    CHECK_EQ(pic_read(&P, 0x4D1), 0x00);
    /* The ELCR is not the IMR. */
    pic_write(&P, M_DATA, 0x5A);
    pic_write(&P, 0x4D0, 0xA0);
    CHECK_EQ(pic_read(&P, M_DATA), 0x5A);
    CHECK_EQ(pic_read(&P, 0x4D0), 0xA0);
}
