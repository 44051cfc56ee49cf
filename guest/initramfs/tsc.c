/* tsc [LABEL]: print "tsc-LABEL=<time-stamp counter>" on stdout. Used by the init script
 * to mark when /init is reached, so that benchmarks can compare emulator ticks of a
 * boot under the VMM with a bare boot. No libc: it must run before anything is set up.
 * tsc rdrand: print "tsc-rdrand=<RDRAND value>" instead (the replay tests' random input). */
#include "nolibc.h"

static u64 rdtsc(void)
{
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

void start_c(long *sp)
{
    u64 t = rdtsc();
    int argc = (int)sp[0];
    const char *label = argc > 1 ? (const char *)sp[2] : "now";
    const char *r = "rdrand";
    int is_rand = 1;
    for (int i = 0; i < 7; i++)
        if (label[i] != r[i])
            is_rand = 0;
    if (is_rand) {
        unsigned char ok = 0;
        for (int tries = 0; tries < 10 && !ok; tries++)
            __asm__ volatile("rdrand %0; setc %1" : "=r"(t), "=q"(ok)::"cc");
    }
    char buf[96];
    int n = 0;
    for (const char *p = "tsc-"; *p; p++)
        buf[n++] = *p;
    for (const char *p = label; *p && n < 60; p++)
        buf[n++] = *p;
    buf[n++] = '=';
    n = put_u64(buf, n, t);
    buf[n++] = '\n';
    sys_write(1, buf, (u64)n);
    sys_exit(0);
}

