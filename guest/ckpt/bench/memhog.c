/* Bench program: holds MB megabytes of touched, non-zero heap memory and idles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) void tick(volatile unsigned long *p) { p[0]++; }

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
    size_t n = mb << 20;
    unsigned long *p = malloc(n);
    if (!p)
        return 1;
    for (size_t i = 0; i < n / sizeof *p; i++)
        p[i] = i * 0x9e3779b97f4a7c15ul;
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        tick(p);
        usleep(1000);
    }
}
