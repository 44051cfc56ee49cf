/* Bench program: holds MB megabytes of touched, non-zero heap memory and idles.
 * With a second argument T, only the first T megabytes are written (the rest is never touched).
 * SIGUSR1 checks every word (pattern, zero past T) and prints "verified ok" or "verified BAD". */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; also when built with plain `gcc -O2 -g` */
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t check;
static void on_usr1(int s) { (void)s; check = 1; }

__attribute__((noinline)) void tick(volatile unsigned long *p) { p[0]++; }

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
    size_t n = mb << 20, t = argc > 2 ? strtoul(argv[2], NULL, 10) << 20 : n;
    unsigned long *p = malloc(n);
    if (!p || t > n)
        return 1;
    for (size_t i = 0; i < t / sizeof *p; i++)
        p[i] = i * 0x9e3779b97f4a7c15ul;
    signal(SIGUSR1, on_usr1);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        tick(p);
        if (check) {
            check = 0;
            size_t bad = 0;
            for (size_t i = 1; i < n / sizeof *p; i++)
                bad += p[i] != (i < t / sizeof *p ? i * 0x9e3779b97f4a7c15ul : 0);
            printf("verified %s (%zu MB, %zu words differ)\n", bad ? "BAD" : "ok", mb, bad);
            fflush(stdout);
        }
        usleep(1000);
    }
}
