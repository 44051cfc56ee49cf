/* Measure 1: what a getpid costs with rfork around. The seed's kernel check added 0.04 us
 * (6 %) to every system call of every process; a ptrace tool adds nothing unless it is
 * tracing that very process, which this shows for a process that was duplicated before and
 * for one running while a request is pending on another process. */
#include "bench.h"
#include "rfork.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLS 2000000
#define ROUNDS 11

/* A child that times CALLS getpid calls each time it is poked, and answers ns per call. */
struct meter {
    pid_t pid;
    int cmd, ans;
};

static struct meter meter_start(void)
{
    int c[2], a[2];
    if (pipe(c) || pipe(a))
        exit(1);
    pid_t p = fork();
    if (p == 0) {
        char b;
        /* Blocked in read between rounds: where rfork finds it for the "duplicated" meter. */
        while (read(c[0], &b, 1) == 1) {
            double t0 = now_ns();
            for (int i = 0; i < CALLS; i++)
                syscall(SYS_getpid);
            double ns = (now_ns() - t0) / CALLS;
            write_full(a[1], &ns, sizeof ns);
        }
        _exit(0);
    }
    return (struct meter){ p, c[1], a[0] };
}

static double meter_read(struct meter *m)
{
    double ns;
    write_full(m->cmd, "x", 1);
    read_full(m->ans, &ns, sizeof ns);
    return ns;
}

/* A process that never makes a system call, so a request on it stays pending. */
static pid_t spinner(void)
{
    pid_t p = fork();
    if (p == 0) {
        volatile unsigned long n = 0;
        for (;;)
            n++;
    }
    return p;
}

/* A child blocked in rfork_pid(target) until SIGTERM cancels it. */
static pid_t pending_request(pid_t target)
{
    pid_t h = fork();
    if (h == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGTERM);
        sigprocmask(SIG_BLOCK, &s, NULL);
        struct rfork_opts o;
        rfork_opts_init(&o);
        o.timeout_ms = -1;
        rfork_pid(target, &o, NULL);
        _exit(0);
    }
    /* Wait until it is attached, so the measurement really runs with the request pending. */
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)target);
    for (int attached = 0; !attached;) {
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "TracerPid: %d", &attached) == 1)
                break;
        if (f)
            fclose(f);
        attached = attached == h;
        if (!attached)
            usleep(1000);
    }
    return h;
}

static void pin(pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(pid, sizeof set, &set); /* best effort: unpinned only adds noise */
}

void bench_getpid(void)
{
    /* Both meters on the same CPU and the spinner on another, so the processes differ only
     * in what rfork did to them; the rounds alternate, so they share the machine's load. */
    int last = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
    struct meter plain = meter_start(), duped = meter_start();
    pid_t spin = spinner();
    pin(plain.pid, last);
    pin(duped.pid, last);
    pin(spin, 0);
    struct rfork_opts o;
    rfork_opts_init(&o);
    o.flags = RFORK_START_STOPPED; /* the copy must not compete for the meter's commands */
    struct rfork_result r;
    pid_t d = rfork_pid(duped.pid, &o, &r);
    if (d < 0) {
        fprintf(stderr, "bench: rfork of the meter failed: %s\n", r.error);
        exit(1);
    }
    kill(d, SIGKILL);
    waitpid(d, NULL, 0);
    meter_read(&plain); /* warm-up */
    meter_read(&duped);
    double a[ROUNDS], b[ROUNDS], c[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        a[i] = meter_read(&plain);
        b[i] = meter_read(&duped);
        pid_t h = pending_request(spin);
        c[i] = meter_read(&plain);
        kill(h, SIGTERM);
        waitpid(h, NULL, 0);
    }
    double ma = best(a, ROUNDS) / 1000, mb = best(b, ROUNDS) / 1000, mc = best(c, ROUNDS) / 1000;
    printf("\n1. getpid() cost, no duplication pending for the caller (best of %d rounds of %d calls)\n", ROUNDS, CALLS);
    printf("   %-52s %8s %8s\n", "", "us", "added");
    printf("   %-52s %8.3f %8s\n", "seed: kernel without the feature", 0.74, "");
    printf("   %-52s %8.3f %+8.3f (+5.4%%, \"about 6%%\" in the seed)\n", "seed: kernel with the feature", 0.78, 0.04);
    printf("   %-52s %8.3f %8s\n", "hindsight: no rfork anywhere", ma, "");
    printf("   %-52s %8.3f %+8.3f\n", "hindsight: a process rfork duplicated before", mb, mb - ma);
    printf("   %-52s %8.3f %+8.3f\n", "hindsight: while an rfork request waits on another", mc, mc - ma);
    printf("   (a spinning process runs throughout, so every row shares the same load)\n");
    headline("getpid_after_rfork", mb, "us", "getpid_no_rfork", ma);
    headline("getpid_request_pending_elsewhere", mc, "us", "getpid_no_rfork", ma);
    kill(spin, SIGKILL);
    kill(plain.pid, SIGKILL);
    kill(duped.pid, SIGKILL);
    waitpid(spin, NULL, 0);
    waitpid(plain.pid, NULL, 0);
    waitpid(duped.pid, NULL, 0);
}
