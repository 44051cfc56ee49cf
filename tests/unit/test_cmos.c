/* The MC146818 RTC and CMOS RAM at ports 0x70/0x71, read as Linux's mc146818_get_time
 * does (index, then data; BCD unless register B says binary). Time is Unix seconds. */
#include <string.h>
#include "check.h"
#include "dev/cmos.h"

#define IDX 0x70
#define DATA 0x71
#define REG_A 0x0A
#define REG_B 0x0B
#define REG_C 0x0C
#define REG_D 0x0D
#define CENTURY 0x32

static struct cmos C;

static void setup(void)
{
    memset(&C, 0x5A, sizeof(C));
    cmos_init(&C);
}

static uint8_t rd(uint8_t reg, uint64_t now)
{
    cmos_write(&C, IDX, reg);
    return cmos_read(&C, DATA, now);
}

static void wr(uint8_t reg, uint8_t v)
{
    cmos_write(&C, IDX, reg);
    cmos_write(&C, DATA, v);
}

struct civil {
    uint64_t t;
    unsigned y, mo, d, h, mi, s, wd;
};

static void check_civil(const struct civil *c)
{
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, wd = 0;
    cmos_civil(c->t, &y, &mo, &d, &h, &mi, &s, &wd);
    if (y != c->y || mo != c->mo || d != c->d || h != c->h || mi != c->mi || s != c->s || wd != c->wd)
        hs_fail(__FILE__, __LINE__, "cmos_civil(%llu) = %04u-%02u-%02u %02u:%02u:%02u wd %u, want %04u-%02u-%02u "
                "%02u:%02u:%02u wd %u", (unsigned long long)c->t, y, mo, d, h, mi, s, wd, c->y, c->mo, c->d, c->h,
                c->mi, c->s, c->wd);
}

TEST(cmos_civil_known_dates)
{
    /* Weekday 1 = Sunday ... 7 = Saturday, as the RTC's register 6. */
    static const struct civil dates[] = {
        { 0, 1970, 1, 1, 0, 0, 0, 5 },                  /* a Thursday */
        { 86399, 1970, 1, 1, 23, 59, 59, 5 },
        { 86400, 1970, 1, 2, 0, 0, 0, 6 },
        { 951782400, 2000, 2, 29, 0, 0, 0, 3 },         /* leap day of a /400 year */
        { 951782400 - 1, 2000, 2, 28, 23, 59, 59, 2 },
        { 951782400 + 86400, 2000, 3, 1, 0, 0, 0, 4 },
        { 978220800, 2000, 12, 31, 0, 0, 0, 1 },        /* day 366 */
        { 978307200, 2001, 1, 1, 0, 0, 0, 2 },
        { 1709164800, 2024, 2, 29, 0, 0, 0, 5 },
        { 1735689599, 2024, 12, 31, 23, 59, 59, 3 },    /* end of a leap year */
        { 1735689600, 2025, 1, 1, 0, 0, 0, 4 },
        { 1767225600, 2026, 1, 1, 0, 0, 0, 5 },
        { 1767225600 + 13 * 3600 + 45 * 60 + 7, 2026, 1, 1, 13, 45, 7, 5 },
        { 2174500136, 2038, 11, 27, 19, 48, 56, 7 },    /* past the 32-bit time_t end */
        { 4102444798, 2099, 12, 31, 23, 59, 58, 5 },
        { 4102444800, 2100, 1, 1, 0, 0, 0, 6 },
        { 4107542399, 2100, 2, 28, 23, 59, 59, 1 },     /* 2100 is not a leap year */
        { 4107542400, 2100, 3, 1, 0, 0, 0, 2 },
    };
    for (unsigned i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
        check_civil(&dates[i]);
}

TEST(cmos_civil_days_are_consecutive)
{
    /* Day by day over 1970-2200: the date advances by exactly one, the weekday cycles. */
    static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    unsigned py = 1969, pmo = 12, pd = 31, pwd = 4;
    for (uint64_t day = 0; day < 84000; day++) {
        unsigned y, mo, d, h, mi, s, wd;
        cmos_civil(day * 86400 + 43200, &y, &mo, &d, &h, &mi, &s, &wd);
        unsigned leap = (py % 4 == 0 && py % 100 != 0) || py % 400 == 0;
        unsigned last = mdays[pmo - 1] + (pmo == 2 && leap);
        unsigned ey = py, emo = pmo, ed = pd + 1;
        if (ed > last) {
            ed = 1;
            if (++emo > 12) {
                emo = 1;
                ey++;
            }
        }
        if (y != ey || mo != emo || d != ed || h != 12 || wd != pwd % 7 + 1) {
            hs_fail(__FILE__, __LINE__, "day %llu: %u-%u-%u wd %u, want %u-%u-%u wd %u", (unsigned long long)day, y,
                    mo, d, wd, ey, emo, ed, pwd % 7 + 1);
            return;
        }
        py = y, pmo = mo, pd = d, pwd = wd;
    }
}

TEST(cmos_power_on)
{
    setup();
    CHECK_EQ(rd(REG_A, 0), 0x26);
    CHECK_EQ(rd(REG_B, 0), 0x02); /* 24-hour, BCD, no interrupts */
    CHECK_EQ(rd(REG_C, 0), 0x00);
    CHECK_EQ(rd(REG_D, 0), 0x80); /* valid RAM and time */
}

TEST(cmos_time_bcd)
{
    setup();
    const uint64_t t = 2174500136; /* 2038-11-27 19:48:56, a Saturday */
    CHECK_EQ(rd(0x00, t), 0x56);
    CHECK_EQ(rd(0x02, t), 0x48);
    CHECK_EQ(rd(0x04, t), 0x19);
    CHECK_EQ(rd(0x06, t), 0x07);
    CHECK_EQ(rd(0x07, t), 0x27);
    CHECK_EQ(rd(0x08, t), 0x11);
    CHECK_EQ(rd(0x09, t), 0x38);
    CHECK_EQ(rd(CENTURY, t), 0x20);
    /* The clock follows now. */
    CHECK_EQ(rd(0x00, t + 1), 0x57);
    CHECK_EQ(rd(0x00, t + 4), 0x00);
    CHECK_EQ(rd(0x02, t + 4), 0x49);
    CHECK_EQ(rd(0x09, 4102444800), 0x00); /* 2100 */
    CHECK_EQ(rd(CENTURY, 4102444800), 0x21);
    CHECK_EQ(rd(CENTURY, 4102444799), 0x20);
    CHECK_EQ(rd(0x09, 4102444799), 0x99);
    CHECK_EQ(rd(CENTURY, 0), 0x19);
    CHECK_EQ(rd(0x09, 0), 0x70);
}

TEST(cmos_time_binary)
{
    setup();
    const uint64_t t = 2174500136;
    wr(REG_B, 0x02 | 0x04); /* DM: binary */
    CHECK_EQ(rd(REG_B, t), 0x06);
    CHECK_EQ(rd(0x00, t), 56);
    CHECK_EQ(rd(0x02, t), 48);
    CHECK_EQ(rd(0x04, t), 19);
    CHECK_EQ(rd(0x06, t), 7);
    CHECK_EQ(rd(0x07, t), 27);
    CHECK_EQ(rd(0x08, t), 11);
    CHECK_EQ(rd(0x09, t), 38);
    CHECK_EQ(rd(CENTURY, t), 20);
    /* And back to BCD. */
    wr(REG_B, 0x02);
    CHECK_EQ(rd(0x00, t), 0x56);
}

TEST(cmos_time_12_hour)
{
    setup();
    const uint64_t midnight = 1767225600; /* 2026-01-01 00:00:00 */
    wr(REG_B, 0x00); /* 12-hour, BCD */
    CHECK_EQ(rd(0x04, midnight), 0x12);              /* 12 AM */
    CHECK_EQ(rd(0x04, midnight + 1 * 3600), 0x01);
    CHECK_EQ(rd(0x04, midnight + 11 * 3600), 0x11);
    CHECK_EQ(rd(0x04, midnight + 12 * 3600), 0x92); /* 12 PM */
    CHECK_EQ(rd(0x04, midnight + 13 * 3600), 0x81);
    CHECK_EQ(rd(0x04, midnight + 19 * 3600), 0x87);
    CHECK_EQ(rd(0x04, midnight + 23 * 3600 + 3599), 0x91);
    CHECK_EQ(rd(0x02, midnight + 23 * 3600 + 3599), 0x59); /* minutes are unaffected */
    wr(REG_B, 0x04); /* 12-hour, binary */
    CHECK_EQ(rd(0x04, midnight), 12);
    CHECK_EQ(rd(0x04, midnight + 12 * 3600), 0x80 | 12);
    CHECK_EQ(rd(0x04, midnight + 23 * 3600), 0x80 | 11);
    CHECK_EQ(rd(0x04, midnight + 10 * 3600), 10);
    wr(REG_B, 0x06); /* 24-hour, binary */
    CHECK_EQ(rd(0x04, midnight + 23 * 3600), 23);
}

TEST(cmos_reg_a_uip)
{
    setup();
    /* UIP never shows, whenever the guest looks: Linux's polling loop ends at once. */
    for (uint64_t t = 1767225600 - 5; t < 1767225600 + 5; t++)
        CHECK_EQ(rd(REG_A, t) & 0x80, 0);
    /* UIP is read-only; the divider and rate bits are the guest's. */
    wr(REG_A, 0xA6);
    CHECK_EQ(rd(REG_A, 0), 0x26);
    wr(REG_A, 0xFF);
    CHECK_EQ(rd(REG_A, 0), 0x7F);
    wr(REG_A, 0x2F);
    CHECK_EQ(rd(REG_A, 0), 0x2F);
}

TEST(cmos_reg_c_clears_on_read)
{
    setup();
    C.ram[REG_C] = 0x90; /* IRQF and PF, as if a periodic interrupt had flagged */
    CHECK_EQ(rd(REG_C, 0), 0x90);
    CHECK_EQ(rd(REG_C, 0), 0x00);
    /* Read-only: a guest write does not set it. */
    wr(REG_C, 0xF0);
    CHECK_EQ(rd(REG_C, 0), 0x00);
}

TEST(cmos_reg_d_valid)
{
    setup();
    CHECK_EQ(rd(REG_D, 0), 0x80);
    CHECK_EQ(rd(REG_D, 0), 0x80); /* not cleared by reading */
    wr(REG_D, 0x00);
    CHECK_EQ(rd(REG_D, 0), 0x80);
}

TEST(cmos_nvram_round_trip)
{
    setup();
    for (unsigned i = 0x0E; i < 0x80; i++)
        if (i != CENTURY)
            wr((uint8_t)i, (uint8_t)(i * 7 + 3));
    for (unsigned i = 0x0E; i < 0x80; i++)
        if (i != CENTURY)
            CHECK_EQ(rd((uint8_t)i, 0), (uint8_t)(i * 7 + 3));
    /* Bit 7 of the index is the NMI mask: the address is the low seven bits. */
    wr(0x80 | 0x20, 0xC4);
    CHECK_EQ(rd(0x20, 0), 0xC4);
    CHECK_EQ(rd(0x80 | 0x20, 0), 0xC4);
    wr(0x20, 0x3B);
    CHECK_EQ(rd(0xA0, 0), 0x3B);
    /* The alarm registers are plain RAM too. */
    wr(0x01, 0x30);
    wr(0x03, 0x15);
    wr(0x05, 0x08);
    CHECK_EQ(rd(0x01, 0), 0x30);
    CHECK_EQ(rd(0x03, 0), 0x15);
    CHECK_EQ(rd(0x05, 0), 0x08);
    /* The index is remembered between data accesses. */
    cmos_write(&C, IDX, 0x40);
    cmos_write(&C, DATA, 0x11);
    CHECK_EQ(cmos_read(&C, DATA, 0), 0x11);
    cmos_write(&C, DATA, 0x22);
    CHECK_EQ(cmos_read(&C, DATA, 0), 0x22);
    CHECK_EQ(rd(0x41, 0), (uint8_t)(0x41 * 7 + 3));
}

TEST(cmos_time_writes_ignored)
{
    setup();
    const uint64_t t = 2174500136;
    /* mc146818_set_time: SET in register B, write the time, clear SET. */
    wr(REG_B, 0x82);
    wr(0x00, 0x01);
    wr(0x02, 0x02);
    wr(0x04, 0x03);
    wr(0x06, 0x01);
    wr(0x07, 0x04);
    wr(0x08, 0x05);
    wr(0x09, 0x06);
    wr(CENTURY, 0x19);
    wr(REG_B, 0x02);
    CHECK_EQ(rd(0x00, t), 0x56);
    CHECK_EQ(rd(0x02, t), 0x48);
    CHECK_EQ(rd(0x04, t), 0x19);
    CHECK_EQ(rd(0x06, t), 0x07);
    CHECK_EQ(rd(0x07, t), 0x27);
    CHECK_EQ(rd(0x08, t), 0x11);
    CHECK_EQ(rd(0x09, t), 0x38);
    CHECK_EQ(rd(CENTURY, t), 0x20);
    /* And a second later it is a second later. */
    CHECK_EQ(rd(0x00, t + 1), 0x57);
}
