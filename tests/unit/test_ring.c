/* The SPSC ring (ringbuf/ring.h): geometry and validation, empty/full boundaries, indices
 * wrapping past 2^64, batching and lazy publication, occupancy, corruption caught at run time,
 * every entry size, a two-thread stress test, and the header building freestanding. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check.h"
#include "../../ringbuf/ring.h"

/* Ring memory of exactly the bytes the geometry needs (rounded up for aligned_alloc), so an
 * access past the last entry is an ASan report. */
static void *ring_mem(uint32_t es, uint64_t cap, size_t *size)
{
    size_t need = ring_bytes(es, cap);
    void *m = NULL;
    if (!need || posix_memalign(&m, RING_ALIGN, need))
        return NULL;
    memset(m, 0xA5, need);
    *size = need;
    return m;
}

struct ring_fixture {
    void *mem;
    size_t size;
    struct ring_prod p;
    struct ring_cons c;
};

static int fixture(struct ring_fixture *f, uint32_t es, uint64_t cap, uint64_t start)
{
    f->mem = ring_mem(es, cap, &f->size);
    if (!f->mem)
        return -1;
    int st = ring_init_at(f->mem, f->size, es, cap, start);
    if (st == RING_OK)
        st = ring_prod_attach(&f->p, f->mem, f->size);
    if (st == RING_OK)
        st = ring_cons_attach(&f->c, f->mem, f->size);
    return st;
}

/* Entries of the first tests: one uint64_t. */
static bool push64(struct ring_prod *p, uint64_t v) { return ring_try_push(p, &v); }
static bool pop64(struct ring_cons *c, uint64_t *v) { return ring_try_pop(c, v); }

TEST(ring_geometry)
{
    CHECK_EQ(ring_bytes(64, 4096), RING_HDR_SIZE + 64 * 4096);
    CHECK_EQ(ring_bytes(4, 2), RING_HDR_SIZE + 8);
    CHECK_EQ(ring_bytes(4096, RING_CAP_MAX), RING_HDR_SIZE + 4096ull * RING_CAP_MAX);
    CHECK_EQ(ring_bytes(0, 4096), 0);
    CHECK_EQ(ring_bytes(2, 4096), 0);
    CHECK_EQ(ring_bytes(48, 4096), 0);
    CHECK_EQ(ring_bytes(8192, 4096), 0);
    CHECK_EQ(ring_bytes(64, 0), 0);
    CHECK_EQ(ring_bytes(64, 1), 0);
    CHECK_EQ(ring_bytes(64, 4095), 0);
    CHECK_EQ(ring_bytes(64, RING_CAP_MAX * 2), 0);

    size_t size;
    uint8_t *m = ring_mem(64, 16, &size);
    CHECK_EQ(ring_init(NULL, size, 64, 16), RING_E_NULL);
    CHECK_EQ(ring_init(m + 8, size - 8, 64, 16), RING_E_ALIGN);
    CHECK_EQ(ring_init(m, size - 1, 64, 16), RING_E_SMALL);
    CHECK_EQ(ring_init(m, size, 24, 16), RING_E_ENTRY_SIZE);
    CHECK_EQ(ring_init(m, size, 64, 12), RING_E_CAPACITY);
    CHECK_EQ(ring_init(m, size, 64, 16), RING_OK);
    CHECK_EQ(ring_check(m, size), RING_OK);
    const struct ring_hdr *h = (const void *)m;
    CHECK_EQ(h->magic, RING_MAGIC);
    CHECK_EQ(h->entry_size, 64);
    CHECK_EQ(h->capacity, 16);
    CHECK_EQ(h->total_size, size);
    CHECK_EQ(h->prod, 0);
    CHECK_EQ(h->cons, 0);
    /* A memory dump shows the magic as text. */
    CHECK_MEM(m, "HSRINGv1", 8);
    for (int st = RING_OK; st <= RING_E_BUSY; st++)
        CHECK(strcmp(ring_strerror(st), "unknown ring status") != 0);
    CHECK_STREQ(ring_strerror(99), "unknown ring status");
    free(m);
}

TEST(ring_empty_full_boundaries)
{
    struct ring_fixture f;
    CHECK_EQ(fixture(&f, 8, 8, 0), RING_OK);
    uint64_t v = 0;
    /* Empty: nothing to peek or pop, everything free. */
    CHECK(ring_peek(&f.c) == NULL);
    CHECK(!pop64(&f.c, &v));
    CHECK_EQ(ring_used(f.p.hdr), 0);
    CHECK_EQ(ring_free(f.p.hdr), 8);
    /* Fill exactly to capacity; the next push is refused and changes nothing. */
    for (uint64_t i = 0; i < 8; i++)
        CHECK(push64(&f.p, 100 + i));
    CHECK(!push64(&f.p, 999));
    CHECK(!push64(&f.p, 999));
    CHECK_EQ(f.p.hdr->prod, 8);
    CHECK_EQ(ring_used(f.p.hdr), 8);
    CHECK_EQ(ring_free(f.p.hdr), 0);
    /* One pop frees exactly one slot. */
    CHECK(pop64(&f.c, &v));
    CHECK_EQ(v, 100);
    CHECK(push64(&f.p, 108));
    CHECK(!push64(&f.p, 999));
    /* Drain in order, then empty again. */
    for (uint64_t i = 1; i <= 8; i++) {
        const uint64_t *e = ring_peek(&f.c);
        CHECK(e != NULL);
        if (!e)
            break;
        CHECK_EQ(*e, 100 + i);
        /* Peek does not consume. */
        CHECK(ring_peek(&f.c) == e);
        ring_pop(&f.c);
    }
    CHECK(ring_peek(&f.c) == NULL);
    CHECK(!pop64(&f.c, &v));
    CHECK_EQ(ring_used(f.p.hdr), 0);
    CHECK(!ring_prod_corrupt(&f.p) && !ring_cons_corrupt(&f.c));
    free(f.mem);
}

/* Many laps of a small ring with the indices starting just below 2^64: every burst size from
 * 1 to capacity, so full and empty are hit on both sides of the wrap of the counters. */
TEST(ring_wrap_past_2pow64)
{
    struct ring_fixture f;
    const uint64_t cap = 16, start = UINT64_MAX - 5 * cap + 3;
    CHECK_EQ(fixture(&f, 8, cap, start), RING_OK);
    uint64_t next_in = 0, next_out = 0, v;
    for (int lap = 0; lap < 4000; lap++) {
        uint64_t burst = 1 + (uint64_t)lap % cap;
        for (uint64_t i = 0; i < burst; i++)
            if (push64(&f.p, next_in))
                next_in++;
        /* Occupancy is exact across the wrap of the counters. */
        CHECK_EQ(ring_used(f.p.hdr), next_in - next_out);
        CHECK_EQ(ring_cons_avail(&f.c), next_in - next_out);
        CHECK_EQ(ring_prod_free(&f.p), cap - (next_in - next_out));
        if (next_in - next_out == cap)
            CHECK(!push64(&f.p, 0));
        uint64_t take = 1 + (uint64_t)(lap * 7) % cap;
        for (uint64_t i = 0; i < take && pop64(&f.c, &v); i++) {
            CHECK_EQ(v, next_out);
            next_out++;
        }
        if (hs_failures())
            break;
    }
    while (pop64(&f.c, &v))
        CHECK_EQ(v, next_out++);
    CHECK_EQ(next_out, next_in);
    CHECK(next_in > 20 * cap);
    /* The counters really did pass 2^64 and the ring stayed consistent. */
    CHECK(f.p.hdr->prod < start);
    CHECK_EQ(f.p.hdr->prod, start + next_in);
    CHECK_EQ(f.p.hdr->cons, start + next_in);
    CHECK_EQ(ring_check(f.mem, f.size), RING_OK);
    CHECK(!ring_prod_corrupt(&f.p) && !ring_cons_corrupt(&f.c));
    free(f.mem);
}

/* A full ring whose prod sits exactly on 2^64 - 1 and 0: used = capacity, not wrapped garbage. */
TEST(ring_full_straddling_2pow64)
{
    struct ring_fixture f;
    CHECK_EQ(fixture(&f, 8, 8, UINT64_MAX - 3), RING_OK);
    for (uint64_t i = 0; i < 8; i++)
        CHECK(push64(&f.p, i));
    CHECK_EQ(f.p.hdr->prod, 4);
    CHECK_EQ(f.p.hdr->cons, UINT64_MAX - 3);
    CHECK_EQ(ring_used(f.p.hdr), 8);
    CHECK_EQ(ring_check(f.mem, f.size), RING_OK);
    CHECK(!push64(&f.p, 8));
    uint64_t v;
    for (uint64_t i = 0; i < 8; i++) {
        CHECK(pop64(&f.c, &v));
        CHECK_EQ(v, i);
    }
    CHECK(!pop64(&f.c, &v));
    CHECK_EQ(ring_used(f.p.hdr), 0);
    free(f.mem);
}

TEST(ring_batch_reserve_commit_publish)
{
    struct ring_fixture f;
    CHECK_EQ(fixture(&f, 16, 8, 5), RING_OK); /* slot of index 5 is 5: runs stop at the end */
    void *slot;
    const void *first;
    /* A run is contiguous: from slot 5 only 3 slots remain before the array's end. */
    CHECK_EQ(ring_reserve(&f.p, 8, &slot), 3);
    CHECK(slot == f.p.ent + 5 * 16);
    for (int i = 0; i < 3; i++)
        memset((uint8_t *)slot + 16 * i, 'a' + i, 16);
    ring_commit(&f.p, 3);
    /* Committed but not published: invisible to the consumer, shared prod untouched. */
    CHECK_EQ(f.p.hdr->prod, 5);
    CHECK_EQ(ring_cons_avail(&f.c), 0);
    CHECK(ring_peek(&f.c) == NULL);
    /* The next run starts at slot 0. */
    CHECK_EQ(ring_reserve(&f.p, 8, &slot), 5);
    CHECK(slot == f.p.ent);
    for (int i = 0; i < 4; i++)
        memset((uint8_t *)slot + 16 * i, 'd' + i, 16);
    ring_commit(&f.p, 4);
    /* One publication makes all seven visible with one store. */
    ring_publish(&f.p);
    CHECK_EQ(f.p.hdr->prod, 12);
    CHECK_EQ(ring_cons_avail(&f.c), 7);
    /* Consumer batches are contiguous too; a release publishes cons once. */
    CHECK_EQ(ring_peek_batch(&f.c, 100, &first), 3);
    CHECK(first == f.c.ent + 5 * 16);
    CHECK_EQ(((const uint8_t *)first)[0], 'a');
    CHECK_EQ(((const uint8_t *)first)[47], 'c');
    ring_release(&f.c, 2);
    CHECK_EQ(f.c.hdr->cons, 7);
    CHECK_EQ(ring_peek_batch(&f.c, 100, &first), 1);
    CHECK_EQ(((const uint8_t *)first)[0], 'c');
    ring_release(&f.c, 1);
    CHECK_EQ(ring_peek_batch(&f.c, 2, &first), 2);
    CHECK(first == f.c.ent);
    CHECK_EQ(((const uint8_t *)first)[16], 'e');
    ring_release(&f.c, 2);
    CHECK_EQ(ring_peek_batch(&f.c, 100, &first), 2);
    CHECK_EQ(((const uint8_t *)first)[31], 'g');
    ring_release(&f.c, 2);
    CHECK_EQ(ring_peek_batch(&f.c, 100, &first), 0);
    CHECK_EQ(f.c.hdr->cons, 12);
    /* max 0 reserves nothing and is not "full". */
    CHECK_EQ(ring_reserve(&f.p, 0, &slot), 0);
    free(f.mem);
}

/* A producer that commits without publishing until the ring is full must not deadlock: the
 * reserve that finds the ring full publishes what is pending, so the consumer can drain it. */
TEST(ring_lazy_publish_cannot_deadlock)
{
    struct ring_fixture f;
    CHECK_EQ(fixture(&f, 8, 8, 0), RING_OK);
    void *slot;
    for (uint64_t i = 0; i < 8; i++) {
        CHECK_EQ(ring_reserve(&f.p, 1, &slot), 1);
        memcpy(slot, &i, 8);
        ring_commit(&f.p, 1);
    }
    CHECK_EQ(f.p.hdr->prod, 0);
    CHECK_EQ(ring_reserve(&f.p, 1, &slot), 0); /* full: publishes the 8 */
    CHECK_EQ(f.p.hdr->prod, 8);
    CHECK_EQ(ring_cons_avail(&f.c), 8);
    free(f.mem);
}

/* Each side reads the other's index only when its cached copy says full (producer) or empty
 * (consumer): the cache-line transfers the design is about. */
TEST(ring_cached_indices)
{
    struct ring_fixture f;
    CHECK_EQ(fixture(&f, 8, 4, 0), RING_OK);
    uint64_t v;
    for (uint64_t i = 0; i < 4; i++)
        CHECK(push64(&f.p, i));
    CHECK_EQ(f.p.cons_cache, 0);
    /* The consumer reads prod once (cache empty), then serves 4 entries from its cache. */
    CHECK(pop64(&f.c, &v));
    CHECK_EQ(f.c.prod_cache, 4);
    CHECK(push64(&f.p, 4) == true); /* full by the cache: refreshes, sees cons = 1 */
    CHECK_EQ(f.p.cons_cache, 1);
    /* Poke the shared prod with a value the consumer would accept; it must not look while it
     * still has cached entries. */
    uint64_t real = f.c.hdr->prod;
    f.c.hdr->prod = 2;   /* would be "corrupt" (behind its cache) if it were read */
    for (int i = 0; i < 3; i++)
        CHECK(pop64(&f.c, &v));
    CHECK(!ring_cons_corrupt(&f.c));
    f.c.hdr->prod = real;
    CHECK(pop64(&f.c, &v)); /* cache empty: reads prod = 5 */
    CHECK_EQ(v, 4);
    CHECK_EQ(f.c.prod_cache, 5);
    free(f.mem);
}

TEST(ring_occupancy)
{
    struct ring_fixture f;
    CHECK_EQ(fixture(&f, 32, 64, 1000), RING_OK);
    uint8_t e[32] = { 0 };
    for (int i = 0; i < 40; i++)
        CHECK(ring_try_push(&f.p, e));
    CHECK_EQ(ring_used(f.p.hdr), 40);
    CHECK_EQ(ring_free(f.p.hdr), 24);
    CHECK_EQ(ring_prod_free(&f.p), 24);
    CHECK_EQ(ring_cons_avail(&f.c), 40);
    for (int i = 0; i < 15; i++)
        CHECK(ring_try_pop(&f.c, e));
    CHECK_EQ(ring_used(f.p.hdr), 25);
    CHECK_EQ(ring_prod_free(&f.p), 39);
    CHECK_EQ(ring_cons_avail(&f.c), 25);
    /* Unpublished commits count as used for the producer, not for the consumer or observers. */
    void *slot;
    CHECK_EQ(ring_reserve(&f.p, 10, &slot), 10);
    ring_commit(&f.p, 10);
    CHECK_EQ(ring_prod_free(&f.p), 29);
    CHECK_EQ(ring_used(f.p.hdr), 25);
    CHECK_EQ(ring_cons_avail(&f.c), 25);
    ring_publish(&f.p);
    CHECK_EQ(ring_used(f.p.hdr), 35);
    CHECK_EQ(ring_cons_avail(&f.c), 35);
    free(f.mem);
}

TEST(ring_check_rejects_bad_headers)
{
    size_t size;
    uint8_t *m = ring_mem(64, 16, &size);
    struct ring_hdr *h = (void *)m;
    struct ring_prod p;
    struct ring_cons c;
#define RESET() CHECK_EQ(ring_init_at(m, size, 64, 16, 40), RING_OK)
    RESET();
    CHECK_EQ(ring_check(m, size), RING_OK);
    CHECK_EQ(ring_check(NULL, size), RING_E_NULL);
    CHECK_EQ(ring_check(m + 64, size - 64), RING_E_MAGIC);
    CHECK_EQ(ring_check(m + 4, size), RING_E_ALIGN);
    CHECK_EQ(ring_check(m, RING_HDR_SIZE - 1), RING_E_SMALL);
    CHECK_EQ(ring_check(m, size - 64), RING_E_SMALL); /* header fits, entries do not */
    h->magic ^= 1;
    CHECK_EQ(ring_check(m, size), RING_E_MAGIC);
    RESET();
    h->version = 2;
    CHECK_EQ(ring_check(m, size), RING_E_VERSION);
    RESET();
    h->entry_size = 48;
    CHECK_EQ(ring_check(m, size), RING_E_ENTRY_SIZE);
    h->entry_size = 2;
    CHECK_EQ(ring_check(m, size), RING_E_ENTRY_SIZE);
    h->entry_size = 1u << 20;
    CHECK_EQ(ring_check(m, size), RING_E_ENTRY_SIZE);
    RESET();
    h->capacity = 17;
    CHECK_EQ(ring_check(m, size), RING_E_CAPACITY);
    h->capacity = 0;
    CHECK_EQ(ring_check(m, size), RING_E_CAPACITY);
    h->capacity = 1ull << 40;
    CHECK_EQ(ring_check(m, size), RING_E_CAPACITY);
    RESET();
    h->capacity = 32; /* valid geometry but more entries than total_size and memory hold */
    CHECK_EQ(ring_check(m, size), RING_E_LAYOUT);
    RESET();
    h->entries_off = 64;
    CHECK_EQ(ring_check(m, size), RING_E_LAYOUT);
    RESET();
    h->total_size += 64;
    CHECK_EQ(ring_check(m, size), RING_E_LAYOUT);
    /* Indices: full is fine, overfull or consumer ahead of producer is not. */
    RESET();
    h->prod = 56;
    CHECK_EQ(ring_check(m, size), RING_OK);
    h->prod = 57;
    CHECK_EQ(ring_check(m, size), RING_E_INDICES);
    h->prod = 39;
    CHECK_EQ(ring_check(m, size), RING_E_INDICES);
    h->prod = 5;
    h->cons = UINT64_MAX - 10; /* full across 2^64: 16 entries */
    CHECK_EQ(ring_check(m, size), RING_OK);
    h->cons = UINT64_MAX - 11;
    CHECK_EQ(ring_check(m, size), RING_E_INDICES);
    /* attach refuses what check refuses, and leaves the handle alone. */
    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    CHECK_EQ(ring_prod_attach(&p, m, size), RING_E_INDICES);
    CHECK_EQ(ring_cons_attach(&c, m, size), RING_E_INDICES);
    CHECK(p.hdr == NULL && c.hdr == NULL);
    RESET();
    CHECK_EQ(ring_prod_attach(&p, m, size), RING_OK);
    CHECK_EQ(p.head, 40);
    CHECK_EQ(p.entry_size, 64);
    CHECK_EQ(p.shift, 6);
#undef RESET
    free(m);
}

/* Indices scribbled after attach are caught when a side next reads them: the side stops
 * (returns nothing) and reports, instead of reading or overwriting slots it does not own. */
TEST(ring_corrupt_indices_at_run_time)
{
    struct ring_fixture f;
    CHECK_EQ(fixture(&f, 8, 8, 100), RING_OK);
    uint64_t v;
    for (uint64_t i = 0; i < 3; i++)
        CHECK(push64(&f.p, i));
    /* prod jumps more than a ring ahead of the consumer. */
    f.p.hdr->prod = 100 + 9;
    CHECK(ring_peek(&f.c) == NULL);
    CHECK(ring_cons_corrupt(&f.c));
    CHECK(!pop64(&f.c, &v));
    /* prod moves backwards. */
    struct ring_fixture g;
    CHECK_EQ(fixture(&g, 8, 8, 100), RING_OK);
    for (uint64_t i = 0; i < 3; i++)
        CHECK(push64(&g.p, i));
    CHECK(pop64(&g.c, &v));
    g.p.hdr->prod = 99;
    CHECK(pop64(&g.c, &v) && pop64(&g.c, &v)); /* cached entries are still valid */
    CHECK(!pop64(&g.c, &v));
    CHECK(ring_cons_corrupt(&g.c));
    /* cons runs ahead of what the producer produced. */
    struct ring_fixture k;
    CHECK_EQ(fixture(&k, 8, 8, 0), RING_OK);
    for (uint64_t i = 0; i < 8; i++)
        CHECK(push64(&k.p, i));
    k.p.hdr->cons = 9;
    CHECK(!push64(&k.p, 8));
    CHECK(ring_prod_corrupt(&k.p));
    /* cons moves backwards (after a legitimate advance to 4 the producer refilled the ring). */
    struct ring_fixture b;
    CHECK_EQ(fixture(&b, 8, 8, 0), RING_OK);
    for (uint64_t i = 0; i < 8; i++)
        CHECK(push64(&b.p, i));
    b.p.hdr->cons = 4;
    for (uint64_t i = 8; i < 12; i++)
        CHECK(push64(&b.p, i));
    CHECK_EQ(b.p.cons_cache, 4);
    CHECK(!ring_prod_corrupt(&b.p));
    b.p.hdr->cons = 2;
    CHECK(!push64(&b.p, 12));
    CHECK(ring_prod_corrupt(&b.p));
    free(b.mem);
    free(f.mem);
    free(g.mem);
    free(k.mem);
}

/* Round trip of every entry size with a distinct byte pattern per entry (the 4-byte path and
 * the word loop), each over more than one lap. */
TEST(ring_entry_sizes)
{
    for (uint32_t es = RING_ENTRY_MIN; es <= RING_ENTRY_MAX; es *= 2) {
        struct ring_fixture f;
        CHECK_EQ(fixture(&f, es, 4, 0), RING_OK);
        uint8_t in[RING_ENTRY_MAX], out[RING_ENTRY_MAX];
        for (uint32_t n = 0; n < 10; n++) {
            for (uint32_t i = 0; i < es; i++)
                in[i] = (uint8_t)(n * 31 + i * 7 + es);
            memset(out, 0, sizeof(out));
            CHECK(ring_try_push(&f.p, in));
            CHECK(ring_try_pop(&f.c, out));
            CHECK_MEM(out, in, es);
            /* The copy writes exactly one entry. */
            if (es < RING_ENTRY_MAX)
                CHECK_EQ(out[es], 0);
        }
        free(f.mem);
        if (hs_failures())
            break;
    }
}

/* ---- two threads ----------------------------------------------------------------------------
 * The producer sends 10 million 64-byte entries {seq, hash(seq), ...} through a 64-entry ring
 * whose indices start just below 2^64, mixing single pushes with batches that are published
 * only every other time; the consumer mixes pops, peek+pop and batches released in two parts,
 * and checks every entry: no loss, no duplicate, no reordering, no torn entry, same checksum. */

#define STRESS_N 10000000ull
/* A hang guard, not a speed test: the two threads share the machine's cores with whatever else
 * runs (emulators of the e2e suite, sanitizers), which has stretched a 2 s run past 5 s. It stays
 * under the runner's per-test alarm (TEST_TIMEOUT_S) so that a hang still reports its progress. */
#define STRESS_DEADLINE_S 25.0

struct stress {
    struct ring_fixture f;
    uint64_t sent_sum, recv_sum, received, bad, first_bad_seq, first_bad_got;
    int stop; /* set when the deadline passes */
    struct timespec t0;
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static void make_entry(uint64_t *e, uint64_t seq)
{
    e[0] = seq;
    e[1] = mix64(seq);
    for (int i = 2; i < 8; i++)
        e[i] = e[1] + (uint64_t)i;
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* Spin politely: yield now and then (two busy threads may share one CPU on a loaded host) and
 * watch the deadline. Returns false when the test must stop. */
static bool wait_turn(struct stress *s, unsigned *spins)
{
    if (++*spins % 64 == 0) {
        sched_yield();
        if (since(&s->t0) > STRESS_DEADLINE_S)
            __atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
    }
    return !__atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

static void *stress_producer(void *arg)
{
    struct stress *s = arg;
    struct ring_prod *p = &s->f.p;
    uint64_t seq = 0, sum = 0, rnd = 1;
    unsigned spins = 0, batches = 0;
    uint64_t e[8];
    while (seq < STRESS_N) {
        rnd = mix64(rnd + seq);
        if (rnd % 3 == 0) {
            make_entry(e, seq);
            if (ring_try_push(p, e)) {
                sum += e[1];
                seq++;
            } else if (!wait_turn(s, &spins)) {
                break;
            }
            continue;
        }
        void *slot;
        uint32_t want = (uint32_t)(1 + rnd % 37);
        if (want > STRESS_N - seq)
            want = (uint32_t)(STRESS_N - seq);
        uint32_t n = ring_reserve(p, want, &slot);
        if (!n) {
            if (!wait_turn(s, &spins))
                break;
            continue;
        }
        for (uint32_t i = 0; i < n; i++) {
            make_entry(e, seq + i);
            memcpy((uint8_t *)slot + 64 * i, e, 64);
            sum += e[1];
        }
        seq += n;
        ring_commit(p, n);
        if (++batches % 2 == 0)
            ring_publish(p);
    }
    ring_publish(p);
    s->sent_sum = sum;
    return NULL;
}

static void check_entry(struct stress *s, const uint64_t *e, uint64_t want)
{
    uint64_t h = mix64(want);
    bool ok = e[0] == want && e[1] == h;
    for (int i = 2; i < 8; i++)
        ok = ok && e[i] == h + (uint64_t)i;
    if (!ok && s->bad++ == 0) {
        s->first_bad_seq = want;
        s->first_bad_got = e[0];
    }
    s->recv_sum += e[1];
}

static void *stress_consumer(void *arg)
{
    struct stress *s = arg;
    struct ring_cons *c = &s->f.c;
    uint64_t got = 0, rnd = 7, e[8];
    unsigned spins = 0;
    while (got < STRESS_N) {
        rnd = mix64(rnd + got);
        unsigned mode = (unsigned)(rnd % 4);
        if (mode == 0) {
            if (ring_try_pop(c, e)) {
                check_entry(s, e, got++);
                continue;
            }
        } else if (mode == 1) {
            const uint64_t *pe = ring_peek(c);
            if (pe) {
                check_entry(s, pe, got++);
                ring_pop(c);
                continue;
            }
        } else {
            const void *first;
            uint32_t n = ring_peek_batch(c, (uint32_t)(1 + rnd % 50), &first);
            if (n) {
                for (uint32_t i = 0; i < n; i++)
                    check_entry(s, (const uint64_t *)((const uint8_t *)first + 64 * i), got + i);
                got += n;
                ring_release(c, n / 2); /* release in two parts */
                ring_release(c, n - n / 2);
                continue;
            }
        }
        if (!wait_turn(s, &spins))
            break;
    }
    s->received = got;
    return NULL;
}

TEST(ring_two_thread_stress)
{
    static struct stress s; /* static: the handles are 64-byte aligned */
    memset(&s, 0, sizeof(s));
    CHECK_EQ(fixture(&s.f, 64, 64, UINT64_MAX - 1000), RING_OK);
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    pthread_t tp, tc;
    CHECK_EQ(pthread_create(&tc, NULL, stress_consumer, &s), 0);
    CHECK_EQ(pthread_create(&tp, NULL, stress_producer, &s), 0);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    double secs = since(&s.t0);
    if (s.stop)
        hs_fail(__FILE__, __LINE__, "not done within %.0f s: %llu of %llu entries received", STRESS_DEADLINE_S,
                (unsigned long long)s.received, (unsigned long long)STRESS_N);
    CHECK_EQ(s.received, STRESS_N);
    if (s.bad)
        hs_fail(__FILE__, __LINE__, "%llu bad entries; first: expected seq %llu, got %llu", (unsigned long long)s.bad,
                (unsigned long long)s.first_bad_seq, (unsigned long long)s.first_bad_got);
    CHECK_EQ(s.recv_sum, s.sent_sum);
    CHECK_EQ(s.f.p.hdr->prod, UINT64_MAX - 1000 + STRESS_N);
    CHECK_EQ(s.f.p.hdr->cons, UINT64_MAX - 1000 + STRESS_N);
    CHECK(!ring_prod_corrupt(&s.f.p) && !ring_cons_corrupt(&s.f.c));
    CHECK(secs < STRESS_DEADLINE_S);
    free(s.f.mem);
}

/* ring.h must build as the VMM builds it (-ffreestanding -fno-builtin -mgeneral-regs-only, no
 * libc) and reference no symbol: ringbuf/check-freestanding.sh compiles every API that way.
 * Found from this file's path, as compiled from the repository root by make. */
TEST(ring_builds_freestanding)
{
    const char *me = __FILE__, *suffix = "tests/unit/test_ring.c";
    size_t root_len = strlen(me) - strlen(suffix);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%.*sringbuf/check-freestanding.sh >/dev/null", (int)root_len, me);
    int st = system(cmd);
    if (st != 0)
        hs_fail(__FILE__, __LINE__, "'%s' failed with status %d (run from the repository root)", cmd, st);
}
