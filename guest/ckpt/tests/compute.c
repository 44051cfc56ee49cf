/* Test program: a deterministic long computation. Built in variants:
 *   (none)      the checkpointed build
 *   V2_REPORT   report() changed (not on the stack at the checkpoint)
 *   V2_LOOP     run_steps() changed (on the stack at the checkpoint: restore must refuse)
 *   V2_NEWVAR   like V2_REPORT plus a new data object (data layout moves)
 *   V2_RESIZE   a data object changes size (restore must refuse)
 *   V2_EXPORTS  with V2_REPORT, 40 more exported functions (with -rdynamic: the .gnu.hash of
 *               the executable changes shape); report looks one up with dlsym, which reads
 *               the dynamic linker's record of the executable
 * Usage: compute WORKDIR STEPS   (writes WORKDIR/out.txt progress and WORKDIR/final.txt) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; also when built with plain `gcc -O2 -g` */
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long hist[64];
#ifdef V2_RESIZE
static char note[64] = "resized";
#else
static char note[32] = "original";
#endif
static volatile sig_atomic_t usr1_count;
static unsigned long (*mixer)(unsigned long, unsigned long);
#ifdef V2_NEWVAR
static char banner[48] = "compute v2 with a new data object";
#endif

#ifdef V2_EXPORTS
#include <dlfcn.h>
/* 40 more exported functions (built with -rdynamic): the update's .gnu.hash has another shape */
#define X(n) void exported_##n(void); void exported_##n(void) {}
#define X8(a) X(a##0) X(a##1) X(a##2) X(a##3) X(a##4) X(a##5) X(a##6) X(a##7)
X8(1) X8(2) X8(3) X8(4) X8(5)
#endif

__attribute__((noinline)) static void report(FILE *f, unsigned long h, long steps)
{
#ifdef V2_REPORT
    fprintf(f, "result %016lx steps %ld usr1 %d (report v2: %s)\n", h, steps, (int)usr1_count,
            "the updated build printed this");
#ifdef V2_NEWVAR
    fprintf(f, "%s\n", banner);
#endif
#ifdef V2_EXPORTS
    fprintf(f, "dlsym %s\n", dlsym(RTLD_DEFAULT, "exported_37") == (void *)exported_37 ? "ok" : "wrong");
#endif
#else
    fprintf(f, "result %016lx steps %ld usr1 %d\n", h, steps, (int)usr1_count);
#endif
    if (steps < 0)
        fprintf(f, "%s\n", note);
}

static void on_usr1(int sig)
{
    (void)sig;
    usr1_count++;
}

__attribute__((noinline)) static unsigned long mix(unsigned long a, unsigned long b)
{
    a ^= b + 0x9e3779b97f4a7c15ul + (a << 6) + (a >> 2);
    return a * 0xff51afd7ed558ccdul;
}

/* The watched function: returns once per step batch. */
__attribute__((noinline)) void checkpoint_here(long step) { __asm__ volatile("" ::"r"(step) : "memory"); }

__attribute__((noinline)) static unsigned long run_steps(unsigned long *heap, size_t n, long steps, FILE *out)
{
    unsigned long h = 1469598103934665603ul;
    for (long s = 0; s < steps; s++) {
        for (size_t i = 0; i < n; i++) {
            heap[i] = mixer(heap[i], h + i);
            h ^= heap[i];
        }
#ifdef V2_LOOP
        h += 1;
#endif
        hist[h % (sizeof hist / sizeof hist[0])]++;
        if (s % 50 == 0) {
            fprintf(out, "step %ld h %016lx\n", s, h);
            fflush(out);
        }
        checkpoint_here(s);
    }
    for (size_t i = 0; i < sizeof hist / sizeof hist[0]; i++)
        h = mix(h, hist[i]);
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: compute WORKDIR STEPS\n");
        return 2;
    }
    if (chdir(argv[1]) < 0) {
        perror("chdir");
        return 1;
    }
    long steps = atol(argv[2]);
    signal(SIGUSR1, on_usr1);
    mixer = mix;
    FILE *out = fopen("out.txt", "w");
    if (!out) {
        perror("out.txt");
        return 1;
    }
    size_t n = 1 << 16;
    unsigned long *heap = malloc(n * sizeof *heap);
    for (size_t i = 0; i < n; i++)
        heap[i] = i * 2654435761u;
    unsigned long h = run_steps(heap, n, steps, out);
    /* give a SIGUSR1 sent right after the run a moment to land */
    for (int i = 0; i < 50 && !usr1_count && getenv("WAIT_USR1"); i++)
        usleep(10000);
    FILE *fin = fopen("final.txt", "w");
    if (!fin) {
        perror("final.txt");
        return 1;
    }
    report(fin, h, steps);
    fclose(fin);
    fprintf(out, "done\n");
    fclose(out);
    return 0;
}
