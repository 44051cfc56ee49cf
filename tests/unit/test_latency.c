/* The Primary's timer-interrupt latency statistics (vmm/latency.c). */
#include "check.h"
#include "dev/pit8254.h"
#include "latency.h"

TEST(latency_median_and_max)
{
    CHECK_EQ(latency_count(), 0);
    CHECK_EQ(latency_median_ns(), 0);
    /* 1..101 PIT ticks in a scrambled order: median 51 ticks, max 101. */
    for (unsigned i = 0; i < 101; i++)
        latency_add((i * 37) % 101 + 1);
    CHECK_EQ(latency_count(), 101);
    CHECK_EQ(latency_median_ns(), 51ull * 1000000000ull / PIT_HZ);
    CHECK_EQ(latency_max_ns(), 101ull * 1000000000ull / PIT_HZ);
    /* Many equal values (the common case: every tick delivered at once). */
    for (unsigned i = 0; i < 5000; i++)
        latency_add(3);
    CHECK_EQ(latency_median_ns(), 3ull * 1000000000ull / PIT_HZ);
}

TEST(latency_keeps_the_last_samples_and_the_overall_max)
{
    latency_add(1000000);
    for (unsigned i = 0; i < LATENCY_KEPT; i++)
        latency_add(i & 1 ? 10 : 20);
    CHECK_EQ(latency_count(), LATENCY_KEPT + 1);
    CHECK_EQ(latency_max_ns(), 1000000ull * 1000000000ull / PIT_HZ); /* gone from the kept ones, still the max */
    uint64_t m = latency_median_ns();
    CHECK(m == 10ull * 1000000000ull / PIT_HZ || m == 20ull * 1000000000ull / PIT_HZ);
}
