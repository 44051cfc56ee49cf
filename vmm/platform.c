#include "platform.h"
#include <stdbool.h>
#include "x86.h"

void platform_exit(void)
{
    /* Bochs: "Shutdown" on port 0x8900. QEMU: isa-debug-exit (if configured) and
     * the PIIX4 ACPI power-off ports. Real hardware without these simply halts. */
    static const char s[] = "Shutdown";
    for (const char *p = s; *p; p++)
        outb(0x8900, (uint8_t)*p);
    outb(0xF4, 0x00);
    outw(0xB004, 0x2000);
    outw(0x604, 0x2000);
    halt_forever();
    __builtin_unreachable();
}

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

uint64_t platform_read_rtc(void)
{
    /* Wait out an update in progress so that the fields belong to one second. */
    for (int i = 0; i < 100000 && (cmos(0x0A) & 0x80); i++)
        cpu_relax();
    uint8_t b = cmos(0x0B), f[7] = { cmos(0x00), cmos(0x02), cmos(0x04), cmos(0x07), cmos(0x08), cmos(0x09), cmos(0x32) };
    bool pm = !(b & 0x02) && (f[2] & 0x80);
    f[2] &= 0x7F;
    if (!(b & 0x04))
        for (int i = 0; i < 7; i++)
            f[i] = (uint8_t)((f[i] >> 4) * 10 + (f[i] & 15));
    if (!(b & 0x02))
        f[2] = (uint8_t)(f[2] % 12 + (pm ? 12 : 0));
    unsigned year = (f[6] >= 19 && f[6] <= 30 ? f[6] : 20) * 100u + f[5];
    unsigned mon = f[4], day = f[3];
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || f[2] > 23 || f[1] > 59 || f[0] > 59 || year < 1970)
        return 0;
    /* Days from civil (Howard Hinnant's algorithm). */
    unsigned y = year - (mon <= 2), era = y / 400, yoe = y - era * 400;
    unsigned doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    uint64_t days = (uint64_t)era * 146097 + doe - 719468;
    return days * 86400 + f[2] * 3600u + f[1] * 60u + f[0];
}

void platform_mask_pic(void)
{
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

void platform_udelay(unsigned us)
{
    /* PIT channel 2 in mode 0, gate via port 0x61; OUT2 (bit 5) rises at terminal count. */
    while (us) {
        unsigned chunk = us > 50000 ? 50000 : us;
        uint32_t count = (uint32_t)((uint64_t)chunk * 1193182 / 1000000);
        if (count == 0)
            count = 1;
        uint8_t p61 = inb(0x61);
        outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01)); /* gate on, speaker off */
        outb(0x43, 0xB0);                             /* ch2, lo/hi, mode 0 */
        outb(0x42, (uint8_t)count);
        outb(0x42, (uint8_t)(count >> 8));
        for (long spins = 0; !(inb(0x61) & 0x20) && spins < 100000000L; spins++)
            cpu_relax();
        outb(0x61, p61);
        us -= chunk;
    }
}
