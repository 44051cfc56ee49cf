#include "platform.h"
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
