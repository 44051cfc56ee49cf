/* Ending the run on whatever machine or emulator we are on. */
#ifndef HS_PLATFORM_H
#define HS_PLATFORM_H
#include <stdint.h>

/* Powers the machine off (Bochs, QEMU, ACPI-less real hardware: halts). Never returns. */
void platform_exit(void) __attribute__((noreturn));
/* Masks the legacy PIC so that no stray interrupt reaches a core with VMX on. */
void platform_mask_pic(void);
/* Reads the machine's CMOS real-time clock as Unix seconds (UTC assumed); 0 if it makes no sense. */
uint64_t platform_read_rtc(void);
/* Busy-waits about us microseconds using PIT channel 2 (no interrupts needed). */
void platform_udelay(unsigned us);

#endif
