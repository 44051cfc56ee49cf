/* Measure 2: time from the request to a running duplicate, against the process forking
 * itself, for 4 MB, 100 MB and 1 GB resident. Both are timed to the first instruction the
 * new process runs after its system call returns; native and rfork runs alternate, so both
 * see the same machine load. Goal: rfork <= 1.2 x fork + 100 us. */
#include "bench.h"
#include "rfork.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS 15

struct proc {
    pid_t pid;
    int cmd, res;
};

/* A process of the given size that forks itself on each command byte and reports
 * (t_child_first_ran, t_before_fork, t_fork_returned_in_parent). */
static struct proc native_start(size_t bytes)
{
    int c[2], r[2];
    if (pipe(c) || pipe(r))
        exit(1);
    pid_t p = fork();
    if (p == 0) {
        touched_memory(bytes);
        write_full(r[1], "r", 1);
        /* Polls instead of blocking, to be as hot on its CPU as the rfork target, which loops
         * on getpid: a vCPU woken from idle runs a 1 GB fork at half speed here. */
        fcntl(c[0], F_SETFL, O_NONBLOCK);
        char b;
        for (;;) {
            ssize_t got = read(c[0], &b, 1);
            if (got == 0)
                break;
            if (got < 0)
                continue;
            double t0 = now_ns();
            pid_t k = fork();
            if (k == 0) {
                double t1 = now_ns();
                write_full(r[1], &t1, sizeof t1);
                _exit(0);
            }
            double t2 = now_ns();
            waitpid(k, NULL, 0);
            write_full(r[1], &t0, sizeof t0);
            write_full(r[1], &t2, sizeof t2);
        }
        _exit(0);
    }
    char b;
    read_full(r[0], &b, 1);
    return (struct proc){ p, c[1], r[0] };
}

static double native_once(struct proc *n, double *call_us)
{
    double t1, t0, t2;
    write_full(n->cmd, "f", 1);
    read_full(n->res, &t1, sizeof t1);
    read_full(n->res, &t0, sizeof t0);
    read_full(n->res, &t2, sizeof t2);
    *call_us = (t2 - t0) / 1000;
    return (t1 - t0) / 1000;
}

/* A process of the given size in a tight getpid loop; each copy stamps the time it first ran. */
static struct proc target_start(size_t bytes)
{
    int r[2];
    if (pipe(r))
        exit(1);
    pid_t t = fork();
    if (t == 0) {
        touched_memory(bytes);
        long me = syscall(SYS_getpid);
        write_full(r[1], "r", 1);
        for (;;)
            if (syscall(SYS_getpid) != me) {
                double t1 = now_ns();
                write_full(r[1], &t1, sizeof t1);
                _exit(0);
            }
    }
    char b;
    read_full(r[0], &b, 1);
    return (struct proc){ t, -1, r[0] };
}

static double rfork_once(struct proc *t, double *call_us)
{
    struct rfork_result r;
    double t0 = now_ns();
    pid_t d = rfork_pid(t->pid, NULL, &r);
    double t2 = now_ns();
    if (d < 0) {
        fprintf(stderr, "bench: rfork failed: %s\n", r.error);
        exit(1);
    }
    double t1;
    read_full(t->res, &t1, sizeof t1);
    waitpid(d, NULL, 0); /* our child, being the target's parent */
    *call_us = (t2 - t0) / 1000;
    return (t1 - t0) / 1000;
}

static void switch_to(struct proc *run, struct proc *pause)
{
    kill(pause->pid, SIGSTOP);
    kill(run->pid, SIGCONT);
    struct timespec hot = { 0, 20000000 };
    nanosleep(&hot, NULL);
}

static void stop(struct proc *p)
{
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    close(p->res);
    if (p->cmd >= 0)
        close(p->cmd);
}

void bench_latency(void)
{
    static const struct { const char *name; size_t bytes; } sizes[] = {
        { "4MB", 4ul << 20 }, { "100MB", 100ul << 20 }, { "1GB", 1ul << 30 },
    };
    double nat[3], rf[3], call[3], ncall[3];
    for (int s = 0; s < 3; s++) {
        struct proc n = native_start(sizes[s].bytes), t = target_start(sizes[s].bytes);
        double v[REPS], w[REPS], x[REPS], y[REPS], dummy;
        for (int i = -1; i < REPS; i++) { /* round -1 warms both paths up */
            /* Only one of the two spins at a time, so each has a CPU like the other had. */
            switch_to(&n, &t);
            v[i < 0 ? 0 : i] = native_once(&n, &y[i < 0 ? 0 : i]);
            switch_to(&t, &n);
            w[i < 0 ? 0 : i] = rfork_once(&t, &x[i < 0 ? 0 : i]);
        }
        (void)dummy;
        nat[s] = best(v, REPS);
        rf[s] = best(w, REPS);
        call[s] = best(x, REPS);
        ncall[s] = best(y, REPS);
        stop(&n);
        stop(&t);
    }
    printf("\n2. request to duplicate, best of %d alternating runs (4 KiB pages; not in the seed)\n", REPS);
    printf("   runnable: fork() returned in the parent / rfork_pid() returned;\n"
           "   running: the new process ran its first instruction after the call (includes waiting for a CPU)\n");
    printf("   %-8s %12s %12s %12s %12s %16s %5s\n", "resident", "fork runnable", "rfork runnable",
           "fork running", "rfork running", "goal 1.2x+100us", "met");
    for (int i = 0; i < 3; i++) {
        double goal = 1.2 * nat[i] + 100;
        printf("   %-8s %12.1f %12.1f %12.1f %12.1f %16.1f %5s\n", sizes[i].name, ncall[i], call[i], nat[i], rf[i],
               goal, rf[i] <= goal ? "yes" : "NO");
    }
    char name[64], base[64];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "rfork_latency_%s", sizes[i].name);
        snprintf(base, sizeof base, "native_fork_%s", sizes[i].name);
        headline(name, rf[i], "us", base, nat[i]);
        snprintf(name, sizeof name, "rfork_runnable_%s", sizes[i].name);
        snprintf(base, sizeof base, "native_fork_returned_%s", sizes[i].name);
        headline(name, call[i], "us", base, ncall[i]);
    }
}
