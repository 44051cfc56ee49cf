/* The CPUID the guests see: identical on both cores, hiding what the VMM does not virtualise. */
#ifndef HS_CPUID_FILTER_H
#define HS_CPUID_FILTER_H
#include <stdbool.h>
#include <stdint.h>

#define HINDSIGHT_CPUID_BASE 0x40000000u

/* Sets the TSC rate that leaves 0x15/0x16 report (0: hide them). */
void cpuid_filter_set_tsc_hz(uint64_t hz);
/* Hides RDRAND / RDSEED when the CPU cannot make them exit (their values could not be replayed). */
void cpuid_filter_set_random_exits(bool rdrand_exits, bool rdseed_exits);
/* Leaf 0x15 for a TSC of hz: EAX=1, EBX=k, ECX=hz/k with ECX*EBX/EAX = hz (within k Hz). */
void cpuid_filter_leaf15(uint64_t hz, uint32_t r[4]);
/* Rewrites the host's answer r[0..3] (eax..edx) for leaf/subleaf in place. */
void cpuid_filter(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);

#endif
