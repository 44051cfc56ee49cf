/* Fixed-point factors turn TSC deltas into PIT ticks with one multiply, no division
 * on the exit path (and no 128-bit division, which would need libgcc). */
#include "vtime.h"
#include "console.h"
#include "dev/pit8254.h"
#include "platform.h"
#include "x86.h"

static uint64_t tsc0, tsc_hz, pit_per_tsc_fp, tsc_per_pit_fp;
#define FP 32

void vtime_init(void)
{
    uint64_t a = rdtsc();
    platform_udelay(50000);
    uint64_t b = rdtsc();
    tsc_hz = (b - a) * 20;
    if (tsc_hz < 1000000)
        tsc_hz = 1000000; /* a broken PIT must not divide by zero below */
    pit_per_tsc_fp = ((uint64_t)PIT_HZ << FP) / tsc_hz;
    tsc_per_pit_fp = (tsc_hz << 20) / PIT_HZ;
    tsc0 = rdtsc();
    kprintf("hindsight: TSC runs at %lu kHz\n", tsc_hz / 1000);
}

uint64_t vtime_tsc_hz(void) { return tsc_hz; }
uint64_t vtime_guest_tsc(uint64_t stolen) { return rdtsc() - stolen; }

uint64_t vtime_pit_now(uint64_t stolen)
{
    unsigned __int128 p = (unsigned __int128)(rdtsc() - stolen - tsc0) * pit_per_tsc_fp;
    return (uint64_t)(p >> FP);
}

uint64_t vtime_pit_to_tsc(uint64_t pit_ticks)
{
    unsigned __int128 p = (unsigned __int128)pit_ticks * tsc_per_pit_fp;
    return (uint64_t)(p >> 20);
}

uint64_t vtime_seconds(uint64_t stolen) { return vtime_pit_now(stolen) / PIT_HZ; }
