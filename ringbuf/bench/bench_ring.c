/* bench-ring: throughput of ringbuf/ring.h between two pinned cores, beside two baselines built
 * in the same binary and the seed paper's Table 2 (001, Xeon 5130 2.0 GHz, shared L2).
 *
 * (a) The seed's method: 4096-entry ring; the producer core times 1000 writes, then the
 *     consumer core times 1000 reads; each side's time gives MB/s and ns/entry. The seed
 *     averaged 10 runs; we take the median of REPS runs (a shared VM is noisy).
 * (b) Streaming: both sides run at once over STREAM_N entries; time from the producer's start
 *     to the consumer's last entry gives ns/entry and MB/s.
 * Baselines, with the same entry copy routine so only the synchronisation differs:
 *   naive  textbook ring: head and tail side by side, every operation reads both with seq_cst
 *          loads (no cached index), one seq_cst store per entry (no batching);
 *   mutex  head/tail/entries under one pthread mutex, one lock round trip per entry.
 * Every entry carries its sequence number and the consumer checks all of them (outside the
 * timed loop in (a), inside in (b)): a wrong entry aborts the run.
 *
 * Usage: bench_ring [--quick]   (--quick: fewer runs, for a smoke test) */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../ring.h"

#define CAP 4096u
#define SEED_OPS 1000u
#define MAX_ES 64u

static unsigned reps = 201;
static uint64_t stream_n = 2000000, stream_n_mutex = 500000;
static unsigned stream_reps = 7;

static const uint32_t sizes[] = { 4, 8, 16, 32, 64 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
/* Table 2 of seed 001, MB/s; 0 = not measured there. */
static const double seed_write[NSIZES] = { 406.30, 646.97, 812.23, 1202.38, 0 };
static const double seed_read[NSIZES] = { 439.57, 688.81, 913.37, 1216.66, 0 };

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void die(const char *msg)
{
    fprintf(stderr, "bench-ring: %s\n", msg);
    exit(1);
}

/* ---- the two baselines ---------------------------------------------------------------- */

struct naive_ring {
    uint64_t head, tail; /* same line: the textbook layout */
    uint32_t es;
    uint8_t *buf;
};

static bool naive_push(struct naive_ring *r, const void *e)
{
    uint64_t h = __atomic_load_n(&r->head, __ATOMIC_SEQ_CST);
    uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_SEQ_CST);
    if (h - t == CAP)
        return false;
    ring_copy_(r->buf + (h % CAP) * r->es, e, r->es);
    __atomic_store_n(&r->head, h + 1, __ATOMIC_SEQ_CST);
    return true;
}

static bool naive_pop(struct naive_ring *r, void *e)
{
    uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_SEQ_CST);
    uint64_t h = __atomic_load_n(&r->head, __ATOMIC_SEQ_CST);
    if (h == t)
        return false;
    ring_copy_(e, r->buf + (t % CAP) * r->es, r->es);
    __atomic_store_n(&r->tail, t + 1, __ATOMIC_SEQ_CST);
    return true;
}

struct mutex_ring {
    pthread_mutex_t m;
    uint64_t head, tail;
    uint32_t es;
    uint8_t *buf;
};

static bool mutex_push(struct mutex_ring *r, const void *e)
{
    pthread_mutex_lock(&r->m);
    bool ok = r->head - r->tail < CAP;
    if (ok) {
        ring_copy_(r->buf + (r->head % CAP) * r->es, e, r->es);
        r->head++;
    }
    pthread_mutex_unlock(&r->m);
    return ok;
}

static bool mutex_pop(struct mutex_ring *r, void *e)
{
    pthread_mutex_lock(&r->m);
    bool ok = r->head != r->tail;
    if (ok) {
        ring_copy_(e, r->buf + (r->tail % CAP) * r->es, r->es);
        r->tail++;
    }
    pthread_mutex_unlock(&r->m);
    return ok;
}

/* ---- one ring of any kind ------------------------------------------------------------- */

enum kind { OURS, OURS_BATCH, OURS_LAG, NAIVE, MUTEX, NKINDS };
/* OURS_LAG: per-entry push and pop, but the consumer stays LAG entries behind, as the Backup
 * does; it then never reads a line the producer is still filling. */
#define LAG 1024u

struct bench_ring {
    enum kind kind;
    uint32_t es;
    void *mem; /* ours: the shared part */
    struct ring_prod p;
    struct ring_cons c;
    struct naive_ring n __attribute__((aligned(128)));
    struct mutex_ring x __attribute__((aligned(128)));
};

static struct bench_ring *ring_new(enum kind k, uint32_t es)
{
    struct bench_ring *r;
    if (posix_memalign((void **)&r, 128, sizeof(*r)))
        die("out of memory");
    memset(r, 0, sizeof(*r));
    r->kind = k;
    r->es = es;
    size_t bytes = ring_bytes(es, CAP);
    if (posix_memalign(&r->mem, 4096, bytes))
        die("out of memory");
    memset(r->mem, 0, bytes);
    if (ring_init(r->mem, bytes, es, CAP) || ring_prod_attach(&r->p, r->mem, bytes) ||
        ring_cons_attach(&r->c, r->mem, bytes))
        die("ring_init failed");
    /* The baselines use the same entry array (ours is idle when they run). */
    r->n.es = r->x.es = es;
    r->n.buf = r->x.buf = (uint8_t *)r->mem + RING_HDR_SIZE;
    pthread_mutex_init(&r->x.m, NULL);
    return r;
}

static void ring_free_(struct bench_ring *r)
{
    pthread_mutex_destroy(&r->x.m);
    free(r->mem);
    free(r);
}

/* Hot loops, one per kind so each is compiled with its own calls inlined. They return the
 * number of operations that found the ring full/empty (0 in the seed method). */
#define LOOP(NAME, OP, RING)                                                                    \
    static uint64_t NAME(struct bench_ring *r, uint8_t *buf, uint64_t n, uint32_t es)          \
    {                                                                                           \
        uint64_t misses = 0;                                                                    \
        for (uint64_t i = 0; i < n; i++)                                                        \
            while (!OP(RING, buf + i * es))                                                     \
                misses++;                                                               \
        return misses;                                                                          \
    }
LOOP(ours_write, ring_try_push, &r->p)
LOOP(ours_read, ring_try_pop, &r->c)
LOOP(naive_write, naive_push, &r->n)
LOOP(naive_read, naive_pop, &r->n)
LOOP(mutex_write, mutex_push, &r->x)
LOOP(mutex_read, mutex_pop, &r->x)

static uint64_t do_write(struct bench_ring *r, uint8_t *buf, uint64_t n)
{
    switch (r->kind) {
    case OURS: return ours_write(r, buf, n, r->es);
    case NAIVE: return naive_write(r, buf, n, r->es);
    case MUTEX: return mutex_write(r, buf, n, r->es);
    default: die("bad kind");
    }
    return 0;
}

static uint64_t do_read(struct bench_ring *r, uint8_t *buf, uint64_t n)
{
    switch (r->kind) {
    case OURS: return ours_read(r, buf, n, r->es);
    case NAIVE: return naive_read(r, buf, n, r->es);
    case MUTEX: return mutex_read(r, buf, n, r->es);
    default: die("bad kind");
    }
    return 0;
}

/* The sequence number in an entry's first 4 or 8 bytes. */
static void put_seq(uint8_t *e, uint32_t es, uint64_t seq)
{
    if (es == 4) {
        uint32_t s = (uint32_t)seq;
        memcpy(e, &s, 4);
    } else {
        memcpy(e, &seq, 8);
    }
}

static uint64_t get_seq(const uint8_t *e, uint32_t es)
{
    if (es == 4) {
        uint32_t s;
        memcpy(&s, e, 4);
        return s;
    }
    uint64_t s;
    memcpy(&s, e, 8);
    return s;
}

static bool seq_ok(const uint8_t *e, uint32_t es, uint64_t want)
{
    return get_seq(e, es) == (es == 4 ? (uint32_t)want : want);
}

/* ---- threads, pinning --------------------------------------------------------------- */

static int cpu_a = -1, cpu_b = -1; /* the two CPUs used, -1 = unpinned */

static void pick_cpus(void)
{
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof(s), &s))
        return;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &s)) {
            if (cpu_a < 0)
                cpu_a = i;
            else if (cpu_b < 0)
                cpu_b = i;
        }
    if (cpu_b < 0)
        cpu_a = -1;
}

static void pin(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (pthread_setaffinity_np(pthread_self(), sizeof(s), &s))
        die("cannot pin a thread");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* (a) the seed's method -------------------------------------------------------------------
 * Two pinned threads take turns over every (kind, size) ring in each round, so all of them are
 * sampled across the whole run: the host moves this VM's vCPUs (a cache-line round trip between
 * them ranges from ~50 to ~550 ns over seconds), and interleaving keeps the ratios fair. Each
 * round also times 1000 cache-line round trips between the two threads, for context. */

#define SEED_KINDS 3 /* OURS, NAIVE, MUTEX: the batch variant is a streaming-only mode */
#define NCOMBOS (SEED_KINDS * NSIZES)
#define PINGPONG NCOMBOS /* the extra step of each round */

struct seed_state {
    struct bench_ring *r[NCOMBOS];
    unsigned turn;                        /* even: writer's step, odd: reader's */
    double *tw[NCOMBOS + 1], *tr[NCOMBOS];
    uint64_t ping __attribute__((aligned(128)));
    uint64_t pong __attribute__((aligned(128)));
    uint64_t bad;
};

static void wait_turn(unsigned *turn, unsigned want)
{
    while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != want)
        __builtin_ia32_pause();
}

static void *seed_writer(void *arg)
{
    struct seed_state *s = arg;
    pin(cpu_a);
    uint8_t *src = aligned_alloc(64, SEED_OPS * MAX_ES);
    unsigned step = 0;
    for (unsigned k = 0; k < reps; k++) {
        for (unsigned j = 0; j < NCOMBOS; j++, step += 2) {
            struct bench_ring *r = s->r[j];
            for (unsigned i = 0; i < SEED_OPS; i++)
                put_seq(src + i * r->es, r->es, (uint64_t)k * SEED_OPS + i);
            wait_turn(&s->turn, step);
            double t0 = now_ns();
            uint64_t miss = do_write(r, src, SEED_OPS);
            s->tw[j][k] = now_ns() - t0;
            if (miss)
                die("ring full in the seed method");
            __atomic_store_n(&s->turn, step + 1, __ATOMIC_RELEASE);
        }
        /* Cache-line round trips: ping, wait for the reader's pong. */
        wait_turn(&s->turn, step);
        uint64_t base = (uint64_t)k * SEED_OPS;
        double t0 = now_ns();
        for (uint64_t i = 1; i <= SEED_OPS; i++) {
            __atomic_store_n(&s->ping, base + i, __ATOMIC_RELEASE);
            while (__atomic_load_n(&s->pong, __ATOMIC_ACQUIRE) != base + i)
                ;
        }
        s->tw[PINGPONG][k] = now_ns() - t0;
        step += 2;
        __atomic_store_n(&s->turn, step, __ATOMIC_RELEASE);
    }
    free(src);
    return NULL;
}

static void *seed_reader(void *arg)
{
    struct seed_state *s = arg;
    pin(cpu_b);
    uint8_t *dst = aligned_alloc(64, SEED_OPS * MAX_ES);
    unsigned step = 0;
    for (unsigned k = 0; k < reps; k++) {
        for (unsigned j = 0; j < NCOMBOS; j++, step += 2) {
            struct bench_ring *r = s->r[j];
            wait_turn(&s->turn, step + 1);
            double t0 = now_ns();
            uint64_t miss = do_read(r, dst, SEED_OPS);
            s->tr[j][k] = now_ns() - t0;
            if (miss)
                die("ring empty in the seed method");
            for (unsigned i = 0; i < SEED_OPS; i++)
                if (!seq_ok(dst + i * r->es, r->es, (uint64_t)k * SEED_OPS + i))
                    s->bad++;
            __atomic_store_n(&s->turn, step + 2, __ATOMIC_RELEASE);
        }
        uint64_t base = (uint64_t)k * SEED_OPS;
        for (uint64_t i = 1; i <= SEED_OPS; i++) {
            while (__atomic_load_n(&s->ping, __ATOMIC_ACQUIRE) != base + i)
                ;
            __atomic_store_n(&s->pong, base + i, __ATOMIC_RELEASE);
        }
        step += 2;
    }
    free(dst);
    return NULL;
}

/* Median ns for 1000 writes and 1000 reads of every (kind, size), and of 1000 round trips. */
static void seed_method(double w[][NSIZES], double rd[][NSIZES], double *rtt_med, double *rtt_min,
                        double *rtt_max)
{
    static struct seed_state s;
    for (unsigned j = 0; j < NCOMBOS; j++) {
        s.r[j] = ring_new((enum kind[]){ OURS, NAIVE, MUTEX }[j / NSIZES], sizes[j % NSIZES]);
        s.tw[j] = calloc(reps, sizeof(double));
        s.tr[j] = calloc(reps, sizeof(double));
    }
    s.tw[PINGPONG] = calloc(reps, sizeof(double));
    pthread_t a, b;
    pthread_create(&b, NULL, seed_reader, &s);
    pthread_create(&a, NULL, seed_writer, &s);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (s.bad)
        die("wrong entries read in the seed method");
    for (unsigned j = 0; j < NCOMBOS; j++) {
        enum kind k = (enum kind[]){ OURS, NAIVE, MUTEX }[j / NSIZES];
        w[k][j % NSIZES] = median(s.tw[j], reps);
        rd[k][j % NSIZES] = median(s.tr[j], reps);
        free(s.tw[j]);
        free(s.tr[j]);
        ring_free_(s.r[j]);
    }
    *rtt_med = median(s.tw[PINGPONG], reps) / SEED_OPS;
    *rtt_min = s.tw[PINGPONG][0] / SEED_OPS;
    *rtt_max = s.tw[PINGPONG][reps - 1] / SEED_OPS;
    free(s.tw[PINGPONG]);
}

/* (b) streaming ----------------------------------------------------------------------------- */

struct stream_run {
    struct bench_ring *r;
    uint64_t n;
    int go;
    double t0, t1;
    uint64_t bad, full, empty;
};

static void *stream_producer(void *arg)
{
    struct stream_run *s = arg;
    struct bench_ring *r = s->r;
    pin(cpu_a);
    uint32_t es = r->es;
    uint8_t e[MAX_ES] __attribute__((aligned(64))) = { 0 };
    while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
        __builtin_ia32_pause();
    s->t0 = now_ns();
    uint64_t full = 0;
    if (r->kind == OURS_BATCH) {
        for (uint64_t i = 0; i < s->n;) {
            void *slot;
            uint64_t want = s->n - i < 32 ? s->n - i : 32;
            uint32_t got = ring_reserve(&r->p, (uint32_t)want, &slot);
            if (!got) {
                full++;
                __builtin_ia32_pause();
                continue;
            }
            for (uint32_t j = 0; j < got; j++) {
                put_seq(e, es, i + j);
                ring_copy_((uint8_t *)slot + j * es, e, es);
            }
            ring_commit(&r->p, got);
            ring_publish(&r->p);
            i += got;
        }
    } else {
        for (uint64_t i = 0; i < s->n; i++) {
            put_seq(e, es, i);
            switch (r->kind) {
            case OURS:
            case OURS_LAG: while (!ring_try_push(&r->p, e)) full++; break;
            case NAIVE: while (!naive_push(&r->n, e)) full++; break;
            default: while (!mutex_push(&r->x, e)) full++; break;
            }
        }
    }
    s->full = full;
    return NULL;
}

static void *stream_consumer(void *arg)
{
    struct stream_run *s = arg;
    struct bench_ring *r = s->r;
    pin(cpu_b);
    uint32_t es = r->es;
    uint8_t e[MAX_ES] __attribute__((aligned(64)));
    uint64_t bad = 0, empty = 0;
    __atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
    if (r->kind == OURS_BATCH) {
        for (uint64_t i = 0; i < s->n;) {
            const void *first;
            uint32_t got = ring_peek_batch(&r->c, 32, &first);
            if (!got) {
                empty++;
                __builtin_ia32_pause();
                continue;
            }
            for (uint32_t j = 0; j < got; j++) {
                ring_copy_(e, (const uint8_t *)first + j * es, es);
                bad += !seq_ok(e, es, i + j);
            }
            ring_release(&r->c, got);
            i += got;
        }
    } else if (r->kind == OURS_LAG) {
        for (uint64_t i = 0; i < s->n;) {
            uint64_t avail = r->c.prod_cache - r->c.tail;
            if (avail <= LAG && i + avail < s->n) {
                avail = ring_cons_avail(&r->c);
                if (avail <= LAG && i + avail < s->n) {
                    empty++;
                    __builtin_ia32_pause();
                    continue;
                }
            }
            if (!ring_try_pop(&r->c, e))
                die("lag consumer found the ring empty");
            bad += !seq_ok(e, es, i);
            i++;
        }
    } else {
        for (uint64_t i = 0; i < s->n; i++) {
            switch (r->kind) {
            case OURS: while (!ring_try_pop(&r->c, e)) empty++; break;
            case NAIVE: while (!naive_pop(&r->n, e)) empty++; break;
            default: while (!mutex_pop(&r->x, e)) empty++; break;
            }
            bad += !seq_ok(e, es, i);
        }
    }
    s->t1 = now_ns();
    s->bad = bad;
    s->empty = empty;
    return NULL;
}

/* One streaming run: ns per entry. */
static double stream(enum kind k, uint32_t es)
{
    struct stream_run s = { .r = ring_new(k, es), .n = k == MUTEX ? stream_n_mutex : stream_n };
    pthread_t a, b;
    pthread_create(&b, NULL, stream_consumer, &s);
    pthread_create(&a, NULL, stream_producer, &s);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (s.bad)
        die("wrong entries read while streaming");
    ring_free_(s.r);
    return (s.t1 - s.t0) / (double)s.n;
}

static double mbps(uint32_t es, double ns_per_entry) { return es / ns_per_entry * 1e3; }

static void cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                p += 2;
                p[strcspn(p, "\n")] = 0;
                snprintf(out, n, "%s", p);
            }
            break;
        }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--quick")) {
        reps = 21;
        stream_n = 400000;
        stream_n_mutex = 100000;
        stream_reps = 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    pick_cpus();
    char model[128];
    cpu_model(model, sizeof(model));
    double t_start = now_ns();

    double w[NKINDS][NSIZES], rd[NKINDS][NSIZES], st[NKINDS][NSIZES], rtt, rtt_min, rtt_max;
    seed_method(w, rd, &rtt, &rtt_min, &rtt_max);
    /* Streaming: rounds over every (size, kind), median per pair, for the same reason. */
    static double sv[NKINDS][NSIZES][16];
    for (unsigned rep = 0; rep < stream_reps; rep++)
        for (unsigned i = 0; i < NSIZES; i++)
            for (enum kind k = OURS; k < NKINDS; k++)
                sv[k][i][rep] = stream(k, sizes[i]);
    for (unsigned i = 0; i < NSIZES; i++)
        for (enum kind k = OURS; k < NKINDS; k++)
            st[k][i] = median(sv[k][i], stream_reps);

    printf("bench-ring: ringbuf/ring.h, %s, %ld CPUs online; ", model, sysconf(_SC_NPROCESSORS_ONLN));
    if (cpu_a >= 0)
        printf("producer pinned to CPU %d, consumer to CPU %d\n", cpu_a, cpu_b);
    else
        printf("UNPINNED (fewer than 2 CPUs allowed): figures are not comparable\n");
    printf("cache-line round trip between the two CPUs: median %.0f ns (min %.0f, max %.0f over the run; the host\n"
           "places the vCPUs, so absolute figures move between runs; ratios within a run are interleaved)\n",
           rtt, rtt_min, rtt_max);
    printf("seed 001 Table 2: Xeon 5130 2.0 GHz, 2 cores sharing L2, inside its VMM. MB/s = 10^6 bytes/s.\n\n");
    printf("(a) seed's method: 4096-entry ring, 1000 writes timed on the producer core, then 1000 reads on\n"
           "    the consumer core; median of %u runs (seed: mean of 10). MB/s: higher is better;\n"
           "    every ratio is ours / other, so > 1 means ours is faster.\n", reps);
    printf("  %-5s %-5s %10s %8s | %10s %10s %10s | %9s %9s %9s\n", "size", "side", "ours MB/s", "ns/entry",
           "naive MB/s", "mutex MB/s", "seed MB/s", "/seed", "/naive", "/mutex");
    for (unsigned i = 0; i < NSIZES; i++)
        for (int side = 0; side < 2; side++) {
            double (*t)[NSIZES] = side ? rd : w;
            double seed = side ? seed_read[i] : seed_write[i];
            double ours = mbps(sizes[i], t[OURS][i] / SEED_OPS);
            double naive = mbps(sizes[i], t[NAIVE][i] / SEED_OPS);
            double mutex = mbps(sizes[i], t[MUTEX][i] / SEED_OPS);
            char seeds[16] = "-", ratio[16] = "-";
            if (seed > 0) {
                snprintf(seeds, sizeof(seeds), "%.2f", seed);
                snprintf(ratio, sizeof(ratio), "%.2f", ours / seed);
            }
            printf("  %3uB  %-5s %10.1f %8.2f | %10.1f %10.1f %10s | %9s %9.2f %9.2f\n", sizes[i],
                   side ? "read" : "write", ours, t[OURS][i] / SEED_OPS, naive, mutex, seeds, ratio, ours / naive,
                   ours / mutex);
        }
    printf("\n(b) streaming: producer and consumer concurrent, %llu entries (mutex: %llu), median of %u runs;\n"
           "    ns/entry: lower is better, ratio = ours / naive so < 1 means ours is faster.\n",
           (unsigned long long)stream_n, (unsigned long long)stream_n_mutex, stream_reps);
    printf("    ours: one try_push / try_pop per entry; batch32: reserve/commit and peek_batch/release of up\n"
           "    to 32; lag%u: per entry, the consumer stays %u entries behind (as the Backup will).\n", LAG, LAG);
    printf("  %-5s %9s %9s %9s %9s %9s %9s | %10s %10s %10s\n", "size", "ours ns", "ours MB/s", "batch32", "lag1024",
           "naive ns", "mutex ns", "ours/naive", "batch/naive", "lag/naive");
    for (unsigned i = 0; i < NSIZES; i++)
        printf("  %3uB  %9.2f %9.1f %9.2f %9.2f %9.2f %9.2f | %10.3f %10.3f %10.3f\n", sizes[i], st[OURS][i],
               mbps(sizes[i], st[OURS][i]), st[OURS_BATCH][i], st[OURS_LAG][i], st[NAIVE][i], st[MUTEX][i],
               st[OURS][i] / st[NAIVE][i], st[OURS_BATCH][i] / st[NAIVE][i], st[OURS_LAG][i] / st[NAIVE][i]);
    printf("\n");
    for (unsigned i = 0; i < NSIZES; i++) {
        if (seed_write[i] <= 0)
            continue;
        double ow = mbps(sizes[i], w[OURS][i] / SEED_OPS), orr = mbps(sizes[i], rd[OURS][i] / SEED_OPS);
        printf("bench ring_write_%uB %.2f MB/s baseline seed_table2 %.2f ratio %.2f\n", sizes[i], ow, seed_write[i],
               ow / seed_write[i]);
        printf("bench ring_read_%uB %.2f MB/s baseline seed_table2 %.2f ratio %.2f\n", sizes[i], orr, seed_read[i],
               orr / seed_read[i]);
    }
    unsigned i64 = NSIZES - 1;
    printf("bench ring_stream_64B %.2f ns/entry baseline naive_ring %.2f ratio %.3f\n", st[OURS][i64],
           st[NAIVE][i64], st[OURS][i64] / st[NAIVE][i64]);
    printf("bench ring_stream_64B_batch32 %.2f ns/entry baseline naive_ring %.2f ratio %.3f\n",
           st[OURS_BATCH][i64], st[NAIVE][i64], st[OURS_BATCH][i64] / st[NAIVE][i64]);
    printf("bench ring_stream_64B_lag%u %.2f ns/entry baseline naive_ring %.2f ratio %.3f\n", LAG, st[OURS_LAG][i64],
           st[NAIVE][i64], st[OURS_LAG][i64] / st[NAIVE][i64]);
    fprintf(stderr, "bench-ring: %.1f s\n", (now_ns() - t_start) * 1e-9);
    return 0;
}
