/* Bench program: the seed's Table 1 measurement (open + close of a file),
 * reported in microseconds per pair, after GOFILE appears. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Watched in the bench; never called during the measured loop. */
__attribute__((noinline)) int watched_fn(int x) { return x + 1; }

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    long iters = atol(argv[2]);
    struct stat st;
    watched_fn(0);
    while (stat(argv[1], &st) < 0)
        usleep(1000);
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < iters; i++) {
            int fd = open("/dev/null", O_RDONLY);
            close(fd);
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double us = ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3) / iters;
        if (us < best)
            best = us;
    }
    printf("%.3f\n", best);
    return watched_fn(0) == 1 ? 0 : 1;
}
