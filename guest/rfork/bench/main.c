/* rfork benchmark: syscall overhead, request-to-running latency, copy-on-write cost,
 * each beside the seed paper's figures. */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

double best(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double median(const double *v, int n)
{
    double s[64];
    if (n > 64)
        n = 64;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double worst(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

void headline(const char *name, double value, const char *unit, const char *base, double base_value)
{
    printf("bench %s %.4g %s baseline %s %.4g ratio %.3f\n", name, value, unit, base, base_value,
           base_value != 0 ? value / base_value : NAN);
}

void *touched_memory(size_t bytes)
{
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    madvise(p, bytes, MADV_NOHUGEPAGE);
    memset(p, 1, bytes);
    return p;
}

void read_full(int fd, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) {
            perror("bench: read");
            exit(1);
        }
        got += (size_t)r;
    }
}

void write_full(int fd, const void *buf, size_t n)
{
    if (write(fd, buf, n) != (ssize_t)n) {
        perror("bench: write");
        exit(1);
    }
}

/* Runs the measures named on the command line (getpid, latency, cow), all by default. */
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("rfork benchmark (seed: Suzuki, Nomura, Taniguchi; Linux 3.0.8, Core i7 2.93 GHz)\n");
    double load[3];
    if (getloadavg(load, 3) == 3) /* other work on the machine makes the latencies noisy */
        printf("machine: %ld CPUs online, load average %.2f %.2f %.2f\n", sysconf(_SC_NPROCESSORS_ONLN),
               load[0], load[1], load[2]);
    int all = argc < 2;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "getpid") && strcmp(argv[i], "latency") && strcmp(argv[i], "cow")) {
            fprintf(stderr, "usage: rfork-bench [getpid|latency|cow]...\n");
            return 2;
        }
    for (int i = 1; i <= argc; i++) {
        const char *m = i < argc ? argv[i] : NULL;
        if ((all && i == 1) || (m && !strcmp(m, "getpid")))
            bench_getpid();
        if ((all && i == 1) || (m && !strcmp(m, "latency")))
            bench_latency();
        if ((all && i == 1) || (m && !strcmp(m, "cow")))
            bench_cow();
    }
    return 0;
}
