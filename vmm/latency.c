/* See latency.h. The last LATENCY_KEPT samples are kept; the median is found once, at the end. */
#include "latency.h"
#include "dev/pit8254.h"

static uint32_t kept[LATENCY_KEPT], work[LATENCY_KEPT];
static uint64_t n, max;

static uint64_t to_ns(uint64_t pit) { return pit * 1000000000ull / PIT_HZ; }

void latency_add(uint64_t pit_ticks)
{
    if (pit_ticks > max)
        max = pit_ticks;
    kept[n % LATENCY_KEPT] = pit_ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)pit_ticks;
    n++;
}

uint64_t latency_count(void) { return n; }
uint64_t latency_max_ns(void) { return to_ns(max); }

/* The k-th smallest of a[0..m) (Hoare's selection; a is reordered). */
static uint32_t select_kth(uint32_t *a, uint64_t m, uint64_t k)
{
    uint64_t lo = 0, hi = m - 1;
    while (lo < hi) {
        uint32_t pivot = a[lo + (hi - lo) / 2];
        uint64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

uint64_t latency_median_ns(void)
{
    uint64_t m = n < LATENCY_KEPT ? n : LATENCY_KEPT;
    if (!m)
        return 0;
    for (uint64_t i = 0; i < m; i++)
        work[i] = kept[i];
    return to_ns(select_kth(work, m, m / 2));
}
