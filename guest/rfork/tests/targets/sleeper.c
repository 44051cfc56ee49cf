/* Test target: sleeps argv[1] ms (one clock_nanosleep, restarted by the kernel through
 * restart_syscall if interrupted) argv[2] times, printing how long each sleep really took.
 * An EINTR leaking out of the duplication is reported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 1000, times = argc > 2 ? atol(argv[2]) : 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (long i = 0; i < times; i++) {
        struct timespec t0, t1, d = { ms / 1000, (ms % 1000) * 1000000L };
        printf("sleeping %ld\n", i);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int e = clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (e) {
            printf("ERROR clock_nanosleep: %s\n", strerror(e));
            return 3;
        }
        printf("slept %ld ms\n", (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    }
    return 0;
}
