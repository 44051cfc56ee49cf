/* CMOS RAM and MC146818 real-time clock at ports 0x70/0x71. Pure: the time comes in as Unix seconds. */
#ifndef HS_CMOS_H
#define HS_CMOS_H
#include <stdint.h>

struct cmos {
    uint8_t index;
    uint8_t ram[128];
};

/* Power-on state: 24-hour BCD clock, battery good. */
void cmos_init(struct cmos *c);
/* Guest read of port 0x70 or 0x71 at Unix time now. */
uint8_t cmos_read(struct cmos *c, uint16_t port, uint64_t now);
/* Guest write of port 0x70 or 0x71. */
void cmos_write(struct cmos *c, uint16_t port, uint8_t v);
/* Splits Unix seconds into year, month (1-12), day, hour, minute, second, weekday (1=Sunday). */
void cmos_civil(uint64_t t, unsigned *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi, unsigned *s,
                unsigned *wd);

#endif
