/* Guest time: derived from the host TSC, calibrated against the PIT at boot. */
#ifndef HS_VTIME_H
#define HS_VTIME_H
#include <stdint.h>

/* Measures the host TSC rate against the physical PIT (about 50 ms) and starts guest time at 0. */
void vtime_init(void);
/* Host TSC ticks per second. */
uint64_t vtime_tsc_hz(void);
/* The guest's TSC: the host's, unshifted, so that time stamps compare across runs and with bare boots. */
uint64_t vtime_guest_tsc(void);
/* PIT clock ticks (1,193,182 Hz) since vtime_init(). */
uint64_t vtime_pit_now(void);
/* Host TSC ticks covering a span of PIT ticks. */
uint64_t vtime_pit_to_tsc(uint64_t pit_ticks);
/* Seconds of guest time since vtime_init(). */
uint64_t vtime_seconds(void);

#endif
