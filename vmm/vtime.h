/* Guest time: derived from the host TSC, calibrated against the PIT at boot. */
#ifndef HS_VTIME_H
#define HS_VTIME_H
#include <stdint.h>

/* Measures the host TSC rate against the physical PIT (about 50 ms) and starts guest time at 0. */
void vtime_init(void);
/* Host TSC ticks per second. */
uint64_t vtime_tsc_hz(void);
/* A guest's clock is the host TSC less the ticks `stolen` from it (the time its core ran the other
 * guest while this one could have run), so a guest sharing a core sees no time pass while it is
 * not running, as on a core of its own; unshifted otherwise, so that time stamps compare with bare boots. */
/* The guest's TSC. */
uint64_t vtime_guest_tsc(uint64_t stolen);
/* PIT clock ticks (1,193,182 Hz) of the guest's clock since vtime_init(). */
uint64_t vtime_pit_now(uint64_t stolen);
/* Host TSC ticks covering a span of PIT ticks. */
uint64_t vtime_pit_to_tsc(uint64_t pit_ticks);
/* Seconds of the guest's time since vtime_init(). */
uint64_t vtime_seconds(uint64_t stolen);

#endif
