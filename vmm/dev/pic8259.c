/* Modelled on the datasheet's fully nested mode, which is all Linux uses: fixed
 * priority (IRQ 0 highest), normal or automatic EOI, the slave on master IRQ 2. */
#include "pic8259.h"

void pic_init(struct pic_pair *p)
{
    *p = (struct pic_pair){ 0 };
    p->master.imr = p->slave.imr = 0xFF;
    p->master.base = 0x08;
    p->slave.base = 0x70;
}

/* Highest-priority bit set in mask, or 8. */
static unsigned prio(uint8_t mask)
{
    for (unsigned i = 0; i < 8; i++)
        if (mask & (1u << i))
            return i;
    return 8;
}

/* The IRQ (0-7) this chip would raise now, or 8 if none. */
static unsigned chip_pending(const struct pic8259 *c)
{
    unsigned req = prio(c->irr & ~c->imr);
    if (req == 8)
        return 8;
    return req < prio(c->isr) ? req : 8;
}

static void cascade(struct pic_pair *p)
{
    /* The slave's INT output drives master IRQ 2 as a level. */
    if (chip_pending(&p->slave) != 8)
        p->master.irr |= 1u << 2;
    else
        p->master.irr &= (uint8_t)~(1u << 2);
}

void pic_set_irq(struct pic_pair *p, unsigned irq, bool level)
{
    struct pic8259 *c = irq < 8 ? &p->master : &p->slave;
    uint8_t bit = (uint8_t)(1u << (irq & 7));
    if (level && !(c->lines & bit))
        c->irr |= bit;
    if (level)
        c->lines |= bit;
    else
        c->lines &= (uint8_t)~bit;
    cascade(p);
}

bool pic_pending(const struct pic_pair *p) { return chip_pending(&p->master) != 8; }

static void in_service(struct pic8259 *c, unsigned irq)
{
    c->irr &= (uint8_t)~(1u << irq);
    if (!c->auto_eoi)
        c->isr |= (uint8_t)(1u << irq);
}

uint8_t pic_ack(struct pic_pair *p)
{
    unsigned m = chip_pending(&p->master);
    if (m == 8)
        return (uint8_t)(p->master.base + 7); /* spurious */
    if (m != 2) {
        in_service(&p->master, m);
        cascade(p);
        return (uint8_t)(p->master.base + m);
    }
    unsigned s = chip_pending(&p->slave);
    if (!p->master.auto_eoi)
        p->master.isr |= 1u << 2;
    if (s == 8) {
        cascade(p);
        return (uint8_t)(p->slave.base + 7);
    }
    in_service(&p->slave, s);
    cascade(p);
    return (uint8_t)(p->slave.base + s);
}

static uint8_t chip_read(struct pic8259 *c, bool data)
{
    if (data)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void chip_write(struct pic8259 *c, bool data, uint8_t v)
{
    if (!data) {
        if (v & 0x10) { /* ICW1 */
            c->init_step = 2;
            c->need_icw4 = v & 1;
            c->single = v & 2;
            c->imr = c->isr = c->irr = 0;
            c->auto_eoi = false;
            c->read_isr = false;
        } else if ((v & 0x18) == 0x08) { /* OCW3 */
            if (v & 2)
                c->read_isr = v & 1;
        } else if ((v & 0x18) == 0) { /* OCW2 */
            unsigned cmd = v >> 5;
            if (cmd == 1 || cmd == 5) /* non-specific EOI (with rotation: priorities stay fixed here) */
                c->isr &= (uint8_t)~((1u << prio(c->isr)) & 0xFF); /* prio 8 (none in service): no-op */
            else if (cmd == 3 || cmd == 7) /* specific EOI */
                c->isr &= (uint8_t)~(1u << (v & 7));
        }
        return;
    }
    switch (c->init_step) {
    case 2:
        c->base = v & 0xF8;
        c->init_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
        break;
    case 3:
        c->init_step = c->need_icw4 ? 4 : 0;
        break;
    case 4:
        c->auto_eoi = v & 2;
        c->init_step = 0;
        break;
    default:
        c->imr = v;
    }
}

uint8_t pic_read(struct pic_pair *p, uint16_t port)
{
    switch (port) {
    case 0x20: case 0x21: return chip_read(&p->master, port & 1);
    case 0xA0: case 0xA1: return chip_read(&p->slave, port & 1);
    case 0x4D0: return p->master.elcr;
    case 0x4D1: return p->slave.elcr;
    default: return 0xFF;
    }
}

void pic_write(struct pic_pair *p, uint16_t port, uint8_t v)
{
    switch (port) {
    case 0x20: case 0x21: chip_write(&p->master, port & 1, v); break;
    case 0xA0: case 0xA1: chip_write(&p->slave, port & 1, v); break;
    case 0x4D0: p->master.elcr = v & 0xF8; break; /* IRQ 0-2 are always edge */
    case 0x4D1: p->slave.elcr = v & 0xDE; break;  /* IRQ 8 and 13 too */
    default: break;
    }
    cascade(p);
}
