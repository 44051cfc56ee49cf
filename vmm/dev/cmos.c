/* The clock never shows "update in progress": reads are consistent because the time
 * only changes between guest instructions, so Linux's UIP polling ends at once. */
#include "cmos.h"

#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define REG_D 0x0D
#define B_24H 0x02
#define B_BINARY 0x04

void cmos_init(struct cmos *c)
{
    *c = (struct cmos){ 0 };
    c->ram[REG_A] = 0x26; /* 32.768 kHz base, 1024 Hz rate */
    c->ram[REG_B] = B_24H;
    c->ram[REG_D] = 0x80; /* valid RAM and time */
}

void cmos_civil(uint64_t t, unsigned *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi, unsigned *s,
                unsigned *wd)
{
    uint64_t days = t / 86400, rem = t % 86400;
    *h = (unsigned)(rem / 3600);
    *mi = (unsigned)(rem / 60 % 60);
    *s = (unsigned)(rem % 60);
    *wd = (unsigned)((days + 4) % 7) + 1; /* 1970-01-01 was a Thursday */
    /* Howard Hinnant's days-to-civil algorithm. */
    int64_t z = (int64_t)days + 719468;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *mo = mp < 10 ? mp + 3 : mp - 9;
    *y = (unsigned)(yoe + era * 400) + (*mo <= 2);
}

static uint8_t enc(const struct cmos *c, unsigned v)
{
    if (c->ram[REG_B] & B_BINARY)
        return (uint8_t)v;
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

uint8_t cmos_read(struct cmos *c, uint16_t port, uint64_t now)
{
    if (port == 0x70)
        return 0xFF;
    unsigned y, mo, d, h, mi, s, wd, i = c->index & 0x7F;
    cmos_civil(now, &y, &mo, &d, &h, &mi, &s, &wd);
    switch (i) {
    case 0x00: return enc(c, s);
    case 0x02: return enc(c, mi);
    case 0x04:
        if (!(c->ram[REG_B] & B_24H)) { /* 12-hour mode: bit 7 marks PM */
            unsigned h12 = h % 12 ? h % 12 : 12;
            return (uint8_t)(enc(c, h12) | (h >= 12 ? 0x80 : 0));
        }
        return enc(c, h);
    case 0x06: return enc(c, wd);
    case 0x07: return enc(c, d);
    case 0x08: return enc(c, mo);
    case 0x09: return enc(c, y % 100);
    case 0x32: return enc(c, y / 100);
    case REG_C: {
        uint8_t v = c->ram[REG_C];
        c->ram[REG_C] = 0; /* reading C acknowledges */
        return v;
    }
    default: return c->ram[i];
    }
}

void cmos_write(struct cmos *c, uint16_t port, uint8_t v)
{
    if (port == 0x70) {
        c->index = v; /* bit 7 is the NMI mask: there are no NMIs to mask */
        return;
    }
    unsigned i = c->index & 0x7F;
    if (i == REG_C || i == REG_D)
        return; /* read-only */
    if (i == REG_A)
        v &= 0x7F; /* UIP is read-only */
    /* Writes to the time registers are accepted and forgotten: guest time follows the VMM's clock. */
    c->ram[i] = v;
}
