/* Measure 3: the seed's table 3. A target zero-fills 4 MB, times 1024 x 1024 4-byte writes
 * (sequential, or random within the 4 MB), is duplicated while blocked at a system call, then
 * times the same writes again: the increase is the copy-on-write the duplicate causes. The
 * duplicate is kept (stopped) meanwhile, so every page is still shared when written. */
#include "bench.h"
#include "rfork.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define AREA (4u << 20)
#define WRITES (1024 * 1024)
#define REPS 9

static double write_pass(volatile uint32_t *buf, int random)
{
    uint64_t x = 88172645463325252ull; /* same xorshift sequence before and after */
    double t0 = now_ns();
    if (random) {
        for (uint32_t i = 0; i < WRITES; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[x & (AREA / 4 - 1)] = i;
        }
    } else {
        for (uint32_t i = 0; i < WRITES; i++)
            buf[i] = i;
    }
    return (now_ns() - t0) / 1e6;
}

/* One target run: before/after times in ms; duplicate=0 is the control without rfork. */
static void one_run(int random, int duplicate, double *before, double *after)
{
    int go[2], res[2];
    if (pipe(go) || pipe(res))
        exit(1);
    pid_t t = fork();
    if (t == 0) {
        volatile uint32_t *buf = touched_memory(AREA);
        memset((void *)buf, 0, AREA);
        double b = write_pass(buf, random);
        write_full(res[1], &b, sizeof b);
        char c;
        read_full(go[0], &c, 1); /* the system call at which the duplication happens */
        double a = write_pass(buf, random);
        write_full(res[1], &a, sizeof a);
        _exit(0);
    }
    read_full(res[0], before, sizeof *before);
    pid_t d = -1;
    if (duplicate) {
        struct rfork_opts o;
        rfork_opts_init(&o);
        o.flags = RFORK_START_STOPPED;
        struct rfork_result r;
        d = rfork_pid(t, &o, &r);
        if (d < 0) {
            fprintf(stderr, "bench: rfork failed: %s\n", r.error);
            exit(1);
        }
    }
    write_full(go[1], "g", 1);
    read_full(res[0], after, sizeof *after);
    waitpid(t, NULL, 0);
    if (d > 0) {
        kill(d, SIGKILL);
        waitpid(d, NULL, 0);
    }
    close(go[0]);
    close(go[1]);
    close(res[0]);
    close(res[1]);
}

void bench_cow(void)
{
    static const char *kind[2] = { "sequential", "random" };
    static const double seed_before[2] = { 17.3, 18.9 }, seed_after[2] = { 19.2, 21.1 };
    double before[2], after[2], ctl_before[2], ctl_after[2];
    for (int k = 0; k < 2; k++) {
        double b[REPS], a[REPS], cb[REPS], ca[REPS];
        for (int i = 0; i < REPS; i++) {
            one_run(k, 1, &b[i], &a[i]);
            one_run(k, 0, &cb[i], &ca[i]);
        }
        before[k] = best(b, REPS);
        after[k] = best(a, REPS);
        ctl_before[k] = best(cb, REPS);
        ctl_after[k] = best(ca, REPS);
    }
    printf("\n3. 4 MB, 1024x1024 writes of 4 B, before/after duplication (ms, best of %d; seed table 3)\n", REPS);
    printf("   %-34s %10s %10s %10s %10s\n", "", "before", "after", "added", "increase");
    for (int k = 0; k < 2; k++) {
        printf("   %-34s %10.2f %10.2f %10.2f %9.1f%%\n", k ? "seed, random" : "seed, sequential",
               seed_before[k], seed_after[k], seed_after[k] - seed_before[k],
               100 * (seed_after[k] / seed_before[k] - 1));
        printf("   hindsight, %-23s %10.2f %10.2f %10.2f %9.1f%%\n", kind[k], before[k], after[k],
               after[k] - before[k], 100 * (after[k] / before[k] - 1));
        printf("   hindsight, %-23s %10.2f %10.2f %10.2f %9.1f%%\n", k ? "random, no rfork" : "sequential, no rfork",
               ctl_before[k], ctl_after[k], ctl_after[k] - ctl_before[k], 100 * (ctl_after[k] / ctl_before[k] - 1));
    }
    printf("   (the added time is 1024 page copies; the seed's per-write time was ~16 ns, ours is far\n"
           "    smaller, so the same copies weigh more in percent: compare the added ms)\n");
    headline("cow_sequential_after_dup", after[0], "ms", "cow_sequential_before_dup", before[0]);
    headline("cow_random_after_dup", after[1], "ms", "cow_random_before_dup", before[1]);
    headline("cow_sequential_added", after[0] - before[0], "ms", "seed_cow_sequential_added", seed_after[0] - seed_before[0]);
    headline("cow_random_added", after[1] - before[1], "ms", "seed_cow_random_added", seed_after[1] - seed_before[1]);
}
