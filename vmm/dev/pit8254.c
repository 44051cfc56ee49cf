/* Counting is computed from elapsed ticks rather than simulated tick by tick, so the
 * VMM only does work when the guest looks at the timer or an interrupt is due. */
#include "pit8254.h"

void pit_init(struct pit8254 *p)
{
    *p = (struct pit8254){ 0 };
    for (int i = 0; i < 3; i++) {
        p->ch[i].count = 65536;
        p->ch[i].access = 3;
        p->ch[i].gate = i != 2; /* channels 0 and 1 are hard-wired on; 2 follows port 0x61 */
    }
}

static bool periodic(const struct pit_channel *c) { return c->mode == 2 || c->mode == 3; }

static uint64_t elapsed(const struct pit_channel *c, uint64_t now) { return now > c->start ? now - c->start : 0; }

static uint16_t value(const struct pit_channel *c, uint64_t now)
{
    if (!c->armed)
        return (uint16_t)c->count;
    uint64_t e = elapsed(c, now);
    if (c->mode == 3) /* square wave: reloads at each half period and counts down by two */
        return (uint16_t)(c->count - (2 * e) % c->count);
    if (periodic(c))
        return (uint16_t)(c->count - e % c->count);
    return (uint16_t)(c->count - e); /* mode 0/1/4/5: wraps through 0xFFFF after terminal count */
}

static bool out(const struct pit_channel *c, uint64_t now)
{
    if (!c->armed)
        return c->mode != 0;
    uint64_t e = elapsed(c, now);
    switch (c->mode) {
    case 0:
    case 1:
        return e >= c->count;
    case 2:
        return e % c->count != c->count - 1;
    case 3:
        return e % c->count < (c->count + 1) / 2;
    default: /* 4, 5: a one-tick low pulse at terminal count */
        return e != c->count;
    }
}

/* Status bit 6: a control word or count was written and the count is not yet in the counting
 * element, which takes it on the first clock after the write (modes 0, 2, 3, 4) or after the
 * gate trigger (1, 5); until then reads still show the old value. */
static bool null_count(const struct pit_channel *c, uint64_t now)
{
    return c->null_count && (c->load_tick == PIT_NEVER || now <= c->load_tick);
}

static void start(struct pit8254 *p, int i, uint64_t now)
{
    struct pit_channel *c = &p->ch[i];
    c->armed = c->gate;
    c->start = now;
    c->fired = now;
    if (c->armed)
        c->load_tick = now;
}

uint8_t pit_read(struct pit8254 *p, uint16_t port, uint64_t now)
{
    if (port == 0x61) {
        uint8_t refresh = (uint8_t)(((now * 4) / 71) & 1) << 4; /* toggles every ~15 us */
        return (uint8_t)((p->port61 & 3) | refresh | (out(&p->ch[2], now) ? 0x20 : 0));
    }
    if (port == 0x43)
        return 0xFF;
    struct pit_channel *c = &p->ch[port & 3];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v = c->latched ? c->latch : value(c, now);
    uint8_t r;
    switch (c->access) {
    case 1:
        r = (uint8_t)v;
        c->latched = false;
        break;
    case 2:
        r = (uint8_t)(v >> 8);
        c->latched = false;
        break;
    default:
        r = c->read_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
        if (c->read_msb)
            c->latched = false;
        c->read_msb = !c->read_msb;
    }
    return r;
}

static void latch(struct pit_channel *c, uint64_t now)
{
    if (!c->latched) {
        c->latched = true;
        c->latch = value(c, now);
        c->read_msb = false;
    }
}

void pit_write(struct pit8254 *p, uint16_t port, uint8_t v, uint64_t now)
{
    if (port == 0x61) {
        bool was = p->ch[2].gate;
        p->port61 = v & 3;
        p->ch[2].gate = v & 1;
        struct pit_channel *c2 = &p->ch[2];
        if (c2->gate && !was && (c2->mode == 1 || c2->mode == 5 || !c2->armed))
            start(p, 2, now); /* a rising gate (re)starts the count */
        else if (!c2->gate && was && c2->armed) {
            uint64_t e = elapsed(c2, now);
            if (c2->mode == 2 || c2->mode == 3) {
                c2->armed = false; /* stops with OUT high; the rising gate reloads */
            } else if ((c2->mode == 0 || c2->mode == 4) && e < c2->count) {
                /* Suspended where it is: the rest of the count runs once the gate rises
                 * (mode 0 and 4 never reload, so the remainder can stand in for the count). */
                c2->count -= (uint32_t)e;
                c2->armed = false;
            } /* modes 1 and 5 ignore a low gate; past terminal count the gate does not affect OUT */
        }
        return;
    }
    if (port == 0x43) {
        unsigned sel = v >> 6;
        if (sel == 3) { /* read-back */
            for (int i = 0; i < 3; i++) {
                if (!(v & (2u << i)))
                    continue;
                struct pit_channel *c = &p->ch[i];
                if (!(v & 0x20))
                    latch(c, now);
                if (!(v & 0x10) && !c->status_latched) {
                    c->status_latched = true;
                    c->status = (uint8_t)((out(c, now) ? 0x80 : 0) | (null_count(c, now) ? 0x40 : 0) |
                                          (c->access << 4) | (c->mode << 1) | c->bcd);
                }
            }
            return;
        }
        struct pit_channel *c = &p->ch[sel];
        unsigned access = (v >> 4) & 3;
        if (access == 0) {
            latch(c, now);
            return;
        }
        c->access = (uint8_t)access;
        c->mode = (v >> 1) & 7;
        if (c->mode > 5)
            c->mode -= 4; /* 6 and 7 alias 2 and 3 */
        c->bcd = v & 1;
        c->armed = false;
        c->null_count = true;
        c->load_tick = PIT_NEVER;
        c->write_msb = false;
        c->read_msb = false;
        c->latched = false;
        return;
    }
    struct pit_channel *c = &p->ch[port & 3];
    uint32_t n;
    switch (c->access) {
    case 1:
        n = v;
        break;
    case 2:
        n = (uint32_t)v << 8;
        break;
    default:
        if (!c->write_msb) {
            c->partial = v;
            c->write_msb = true;
            return;
        }
        c->write_msb = false;
        n = c->partial | ((uint32_t)v << 8);
    }
    c->count = n ? n : 65536;
    c->null_count = true;
    c->load_tick = PIT_NEVER;
    if (c->mode == 1 || c->mode == 5) /* gate-triggered: waits for a rising gate */
        return;
    start(p, port & 3, now);
}

uint64_t pit_next_irq0(const struct pit8254 *p, uint64_t now)
{
    const struct pit_channel *c = &p->ch[0];
    if (!c->armed)
        return PIT_NEVER;
    if (periodic(c)) {
        uint64_t k = (c->fired - c->start) / c->count + 1;
        return c->start + k * c->count;
    }
    uint64_t t = c->start + c->count;
    return c->fired < t ? t : PIT_NEVER;
}

unsigned pit_irq0_due(struct pit8254 *p, uint64_t now)
{
    struct pit_channel *c = &p->ch[0];
    uint64_t next = pit_next_irq0(p, now);
    if (next == PIT_NEVER || next > now)
        return 0;
    unsigned n = 1;
    if (periodic(c))
        n = (unsigned)((now - c->start) / c->count - (c->fired - c->start) / c->count);
    /* Deliver one edge for any number of missed periods, as a busy CPU would see. */
    c->fired = now;
    return n ? n : 1;
}
