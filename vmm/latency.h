/* Timer-interrupt latency of the Primary: guest time from the moment its PIT interrupt was due to
 * the moment it was injected (the price of `exit` mode, which can deliver only at a position). */
#ifndef HS_LATENCY_H
#define HS_LATENCY_H
#include <stdint.h>

/* Adds one latency, in PIT ticks. */
void latency_add(uint64_t pit_ticks);
/* Latencies added so far. */
uint64_t latency_count(void);
/* The largest latency, in nanoseconds of guest time. */
uint64_t latency_max_ns(void);
/* The median of the last LATENCY_KEPT latencies, in nanoseconds (0 if none). */
uint64_t latency_median_ns(void);

#define LATENCY_KEPT 16384u

#endif
