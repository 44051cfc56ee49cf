/* The recorder (replay/record.c) and the replayer (replay/replay.c) over a real ring: events of
 * every type round-trip with their positions and registers; the gate (the Primary's published
 * positions, the lag in events and in time, the nearly full ring, the Primary's end); every
 * mismatch the replayer reports; perturbation; the lag statistics; the Primary's stalls and its
 * switching off when the Backup is gone; the lag check; a two-thread run; the digest and hashes. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check.h"
#include "replay.h"

/* ---- fixture ------------------------------------------------------------------------------- */

struct fx {
    struct recorder rec; /* first: its ring handle is 64-byte aligned */
    struct replayer rp;
    struct hs_shared sh;
    void *mem;
    size_t size;
    uint64_t cap;
    struct hs_regs *regs;
};

/* The shared part over exactly-sized ring memory (an access past it is an ASan report), the
 * register slots, and both sides attached; no lag. Returns 0 or fails the test. */
static int fx_init(struct fx *f, uint64_t cap, uint64_t perturb)
{
    memset(f, 0, sizeof(*f));
    f->cap = cap;
    f->size = ring_bytes(HS_EVENT_SIZE, cap);
    if (!f->size || posix_memalign(&f->mem, RING_ALIGN, f->size)) {
        hs_fail(__FILE__, __LINE__, "no ring memory for %llu entries", (unsigned long long)cap);
        return -1;
    }
    memset(f->mem, 0xA5, f->size);
    f->regs = calloc(cap, sizeof(*f->regs));
    int st = hs_shared_init(&f->sh, f->mem, f->size, cap, f->regs);
    if (!st)
        st = rec_init(&f->rec, &f->sh);
    if (!st)
        st = rp_init(&f->rp, &f->sh, perturb);
    if (st) {
        hs_fail(__FILE__, __LINE__, "fixture: status %d (%s)", st, ring_strerror(st));
        return -1;
    }
    return 0;
}

static void fx_free(struct fx *f)
{
    free(f->mem);
    free(f->regs);
    f->mem = NULL;
    f->regs = NULL;
}

/* The Primary's registers at a position: every word distinct, RIP and RFLAGS plausible. */
static struct hs_regs regs_at(uint64_t exit_seq, unsigned window)
{
    struct hs_regs r;
    uint64_t *w = &r.rax;
    for (unsigned i = 0; i < sizeof(r) / 8; i++)
        w[i] = hs_mix64(exit_seq * 64 + i + (window ? 0x100000 : 0));
    r.rip = 0xffffffff81000000ull + exit_seq * 16 + window;
    r.rflags = 0x202;
    return r;
}

static struct hs_pos pos_at(uint64_t exit_seq, unsigned window)
{
    struct hs_regs r = regs_at(exit_seq, window);
    struct hs_pos p = { exit_seq, r.rip, hs_digest(&r), hs_fnv32(HS_FNV32_INIT, &exit_seq, sizeof(exit_seq)),
                        (uint8_t)window, 0, 0 };
    return p;
}

/* Records one event at exit_seq (not a window) with its registers. */
static void rec_at(struct fx *f, unsigned type, unsigned arg, uint64_t exit_seq, uint64_t value, uint64_t tsc)
{
    struct hs_pos p = pos_at(exit_seq, 0);
    struct hs_regs r = regs_at(exit_seq, 0);
    rec_event(&f->rec, type, 0, arg, &p, value, 0, tsc, &r);
}

/* Records n EV_TSC events at positions from..from+n-1, each published (value = exit_seq). */
static void rec_positions(struct fx *f, uint64_t from, uint64_t n, uint64_t tsc)
{
    for (uint64_t i = 0; i < n; i++) {
        rec_at(f, EV_TSC, 0, from + i, from + i, tsc);
        rec_publish(&f->rec, from + i, tsc);
    }
}

/* Takes the EV_TSC recorded by rec_positions at exit_seq. */
static bool take_at(struct fx *f, uint64_t exit_seq)
{
    struct hs_pos p = pos_at(exit_seq, 0);
    struct hs_event e;
    if (!rp_take(&f->rp, EV_TSC, &p, &e))
        return false;
    return e.value == exit_seq && e.exit_seq == exit_seq;
}

/* ---- round trip ---------------------------------------------------------------------------- */

/* The log leaving the machine: the compact encoding of every recorded event. */
static uint8_t sunk[16 * HS_COMPACT_MAX];
static size_t n_sunk_bytes;
static unsigned n_sunk;
static void sink(const uint8_t *b, size_t n)
{
    if (n_sunk_bytes + n <= sizeof(sunk))
        memcpy(sunk + n_sunk_bytes, b, n);
    n_sunk_bytes += n;
    n_sunk++;
}

/* One of every type, with every field recognisable; two share a position, one is at a window. */
static const struct {
    unsigned type, flags, arg;
    uint64_t exit_seq;
    unsigned window;
    uint64_t value, aux, tsc;
} trip[] = {
    { EV_TSC, 0, 0, 1, 0, 123456789012ull, 0, 1000 },
    { EV_RAND, 0, 3, 2, 0, 0xdeadbeefcafef00dull, 0, 2000 },
    { EV_PIO_IN, 0, 0x40, 3, 0, 0x12, 0, 3000 },
    { EV_IRQ, 0, 4, 4, 0, 0, 0, 4000 },
    { EV_RX, 0, 0, 4, 0, 'A', 0, 4001 },       /* same position as the IRQ */
    { EV_INTR, 0, 0x30, 4, 1, 0, 0, 4500 },    /* at the window after exit 4 */
    { EV_TSC, EVF_ASYNC, 0, 5, 0, 77, 0x123456789ull, 5000 },
    { EV_END, 0, 2, 6, 0, 4321, 0x0123456789abcdefull, 6000 },
};
#define N_TRIP (sizeof(trip) / sizeof(trip[0]))

/* Position numbers (exits + windows) of each trip entry: 1,2,3,4,4,5,6,7. */
static uint64_t trip_position(unsigned i)
{
    static const uint64_t p[N_TRIP] = { 1, 2, 3, 4, 4, 5, 6, 7 };
    return p[i];
}

TEST(replay_round_trip_every_type)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    n_sunk = 0;
    n_sunk_bytes = 0;
    f.rec.sink = sink;
    for (unsigned i = 0; i < N_TRIP; i++) {
        struct hs_pos p = pos_at(trip[i].exit_seq, trip[i].window);
        struct hs_regs r = regs_at(trip[i].exit_seq, trip[i].window);
        if (trip[i].flags & EVF_ASYNC) { /* a counter-mode position: the count goes in aux */
            p.async = 1;
            p.count = trip[i].aux;
        }
        rec_event(&f.rec, trip[i].type, trip[i].flags, trip[i].arg, &p, trip[i].value, trip[i].aux, trip[i].tsc, &r);
        if (i + 1 == N_TRIP || trip_position(i + 1) != trip_position(i))
            rec_publish(&f.rec, trip_position(i), trip[i].tsc + 7);
    }
    CHECK_EQ(f.rec.seq, N_TRIP);
    CHECK_EQ(f.rec.stalls, 0);
    CHECK_EQ(n_sunk, N_TRIP);
    CHECK_EQ(f.rec.log_bytes, n_sunk_bytes);
    CHECK(n_sunk_bytes < N_TRIP * HS_EVENT_SIZE);
    struct hs_compact dec;
    hs_compact_init(&dec);
    size_t off = 0;
    CHECK_EQ(f.sh.p_positions, 7);
    CHECK_EQ(f.sh.p_tsc, 6007);
    CHECK_EQ(rp_unconsumed(&f.rp), N_TRIP);
    for (unsigned i = 0; i < N_TRIP; i++) {
        struct hs_pos p = pos_at(trip[i].exit_seq, trip[i].window);
        struct hs_regs r = regs_at(trip[i].exit_seq, trip[i].window);
        if (trip[i].flags & EVF_ASYNC) { /* a counter-mode position: the count goes in aux */
            p.async = 1;
            p.count = trip[i].aux;
        }
        CHECK(rp_gate(&f.rp, trip_position(i)));
        CHECK(rp_check_passed(&f.rp, &p));
        CHECK(rp_next_is(&f.rp, trip[i].type, &p));
        const struct hs_regs *hr = rp_head_regs(&f.rp);
        CHECK(hr != NULL);
        if (hr)
            CHECK_MEM(hr, &r, sizeof(r));
        struct hs_event e;
        memset(&e, 0xEE, sizeof(e));
        CHECK(rp_take(&f.rp, trip[i].type, &p, &e));
        CHECK_EQ(e.type, trip[i].type);
        CHECK_EQ(e.flags, trip[i].flags | (trip[i].window ? EVF_WINDOW : 0));
        CHECK_EQ(e.arg, trip[i].arg);
        CHECK_EQ(e.con_hash, p.con_hash);
        CHECK_EQ(e.seq, i + 1);
        CHECK_EQ(e.exit_seq, trip[i].exit_seq);
        CHECK_EQ(e.rip, r.rip);
        CHECK_EQ(e.digest, hs_digest(&r));
        CHECK_EQ(e.value, trip[i].value);
        CHECK_EQ(e.tsc, trip[i].tsc);
        CHECK_EQ(e.aux, trip[i].aux);
        /* The log's compact bytes decode to the same event. */
        struct hs_event d;
        size_t used = 0;
        char err[120];
        CHECK_EQ(hs_compact_decode(&dec, sunk + off, n_sunk_bytes - off, &d, &used, err, sizeof(err)), 0);
        off += used;
        CHECK_MEM(&d, &e, sizeof(e));
    }
    CHECK(rp_head(&f.rp) == NULL);
    CHECK(rp_head_regs(&f.rp) == NULL);
    CHECK_EQ(rp_unconsumed(&f.rp), 0);
    CHECK_EQ(f.rp.consumed, N_TRIP);
    CHECK(!f.rp.diverged);
    CHECK_EQ(f.rp.waits, 0);
    fx_free(&f);
}

TEST(replay_head_regs_follow_the_ring_across_wraps)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    /* 300 events through a 64-entry ring, 20 ahead at a time: the register slot must follow the
     * event's ring slot on every lap. */
    uint64_t rec = 0, took = 0;
    while (took < 300) {
        while (rec < 300 && rec - took < 20) {
            rec++;
            rec_at(&f, EV_TSC, 0, rec, rec, 0);
            rec_publish(&f.rec, rec, 0);
        }
        struct hs_regs want = regs_at(took + 1, 0);
        const struct hs_regs *hr = rp_head_regs(&f.rp);
        if (!hr || memcmp(hr, &want, sizeof(want))) {
            hs_fail(__FILE__, __LINE__, "registers of event %llu wrong", (unsigned long long)(took + 1));
            break;
        }
        if (!take_at(&f, took + 1)) {
            hs_fail(__FILE__, __LINE__, "event %llu not taken", (unsigned long long)(took + 1));
            break;
        }
        took++;
    }
    CHECK_EQ(took, 300);
    CHECK_EQ(f.rp.consumed, 300);
    CHECK(!f.rp.diverged);
    fx_free(&f);
}

TEST(replay_shared_init_refuses_bad_memory)
{
    struct hs_shared sh;
    void *m = NULL;
    size_t size = ring_bytes(HS_EVENT_SIZE, 64);
    CHECK(size > 0);
    CHECK_EQ(posix_memalign(&m, RING_ALIGN, size + 64), 0);
    CHECK_EQ(hs_shared_init(&sh, NULL, size, 64, NULL), RING_E_NULL);
    CHECK_EQ(hs_shared_init(&sh, (char *)m + 8, size, 64, NULL), RING_E_ALIGN);
    CHECK_EQ(hs_shared_init(&sh, m, size - 1, 64, NULL), RING_E_SMALL);
    CHECK_EQ(hs_shared_init(&sh, m, size, 48, NULL), RING_E_CAPACITY);
    memset(&sh, 0x5A, sizeof(sh));
    CHECK_EQ(hs_shared_init(&sh, m, size, 64, NULL), RING_OK);
    CHECK(sh.ring_mem == m);
    CHECK_EQ(sh.ring_size, size);
    CHECK_EQ(sh.cap, 64);
    CHECK(sh.regs == NULL);
    CHECK_EQ(sh.p_positions, 0);
    CHECK_EQ(sh.p_tsc, 0);
    CHECK_EQ(sh.p_stopped, 0);
    CHECK_EQ(sh.b_stopped, 0);
    free(m);
}

/* ---- the gate ------------------------------------------------------------------------------ */

TEST(replay_gate_waits_for_the_primary)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    CHECK(!rp_gate(&f.rp, 1)); /* nothing published */
    CHECK_EQ(f.rp.waits, 1);
    rec_at(&f, EV_TSC, 0, 1, 1, 0);
    /* Recorded but the position is not complete: neither the event nor the position shows. */
    CHECK(rp_head(&f.rp) == NULL);
    CHECK(!rp_gate(&f.rp, 1));
    CHECK_EQ(f.rp.waits, 2);
    rec_publish(&f.rec, 1, 10);
    CHECK(rp_head(&f.rp) != NULL);
    CHECK(rp_gate(&f.rp, 1));
    CHECK(!rp_gate(&f.rp, 2));
    CHECK_EQ(f.rp.waits, 3);
    /* A position without events still counts. */
    rec_publish(&f.rec, 2, 20);
    CHECK(rp_gate(&f.rp, 2));
    CHECK(!rp_gate(&f.rp, 3));
    CHECK(take_at(&f, 1));
    CHECK_EQ(f.rp.waits, 4);
    fx_free(&f);
}

TEST(replay_gate_event_lag)
{
    static struct fx f;
    if (fx_init(&f, 256, 0))
        return;
    f.sh.lag_events = 10;
    rec_positions(&f, 1, 9, 0);
    CHECK_EQ(rp_unconsumed(&f.rp), 9);
    CHECK(!rp_gate(&f.rp, 1)); /* 9 < 10 */
    CHECK(!rp_gate(&f.rp, 9));
    CHECK_EQ(f.rp.waits, 2);
    rec_positions(&f, 10, 1, 0);
    CHECK(rp_gate(&f.rp, 1)); /* 10 */
    CHECK(take_at(&f, 1));
    CHECK(!rp_gate(&f.rp, 2)); /* 9 again */
    rec_positions(&f, 11, 5, 0);
    CHECK(rp_gate(&f.rp, 2));
    CHECK(rp_gate(&f.rp, 15));
    CHECK(!rp_gate(&f.rp, 16)); /* the Primary is not there, whatever the lag */
    fx_free(&f);
}

TEST(replay_gate_nearly_full_ring_overrides_the_lag)
{
    static struct fx f;
    if (fx_init(&f, 128, 0))
        return;
    f.sh.lag_events = 100; /* more than the lag check allows: only the override can open the gate */
    uint64_t full_at = 128 - 2 * HS_EVENTS_PER_EXIT + 1; /* cap - unconsumed < 2 * HS_EVENTS_PER_EXIT */
    rec_positions(&f, 1, full_at - 1, 0);
    CHECK(!rp_gate(&f.rp, 1));
    rec_positions(&f, full_at, 1, 0);
    CHECK_EQ(rp_unconsumed(&f.rp), full_at);
    CHECK(rp_gate(&f.rp, 1));
    /* Not for a position the Primary has not completed. */
    CHECK(!rp_gate(&f.rp, full_at + 1));
    CHECK(take_at(&f, 1));
    CHECK(!rp_gate(&f.rp, 2));
    fx_free(&f);

    /* The same with a time lag that is never reached. */
    if (fx_init(&f, 128, 0))
        return;
    f.sh.lag_tsc = 1000000;
    rec_positions(&f, 1, full_at - 1, 5);
    CHECK(!rp_gate(&f.rp, 1));
    rec_positions(&f, full_at, 1, 5);
    CHECK(rp_gate(&f.rp, 1));
    fx_free(&f);
}

TEST(replay_gate_runs_to_the_end_once_the_primary_stopped)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    f.sh.lag_events = 10;
    f.sh.lag_tsc = 1000000;
    rec_positions(&f, 1, 3, 100);
    CHECK(!rp_gate(&f.rp, 1));
    struct hs_pos end = pos_at(4, 0);
    rec_event(&f.rec, EV_END, 0, 1, &end, 0, 0, 200, NULL);
    rec_stop(&f.rec, 200);
    CHECK_EQ(f.sh.p_stopped, 1);
    CHECK_EQ(f.sh.p_tsc, 200);
    CHECK_EQ(rp_unconsumed(&f.rp), 4); /* rec_stop published the END */
    uint64_t waits = f.rp.waits;
    CHECK(rp_gate(&f.rp, 1));
    CHECK(rp_gate(&f.rp, 4));
    CHECK(rp_gate(&f.rp, 1000)); /* positions past the Primary's last one too: the END stops the Backup */
    CHECK_EQ(f.rp.waits, waits);
    for (uint64_t i = 1; i <= 3; i++)
        CHECK(take_at(&f, i));
    struct hs_event e;
    CHECK(rp_take(&f.rp, EV_END, &end, &e));
    CHECK_EQ(e.arg, 1);
    CHECK(rp_head(&f.rp) == NULL);
    fx_free(&f);
}

TEST(replay_gate_time_lag)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    f.sh.lag_tsc = 1000;
    /* An empty log holds nothing back. */
    rec_publish(&f.rec, 1, 4000);
    CHECK(rp_gate(&f.rp, 1));
    rec_at(&f, EV_TSC, 0, 2, 2, 5000);
    rec_publish(&f.rec, 2, 5000);
    CHECK(!rp_gate(&f.rp, 1)); /* the head event is 0 old */
    rec_publish(&f.rec, 3, 5999);
    CHECK(!rp_gate(&f.rp, 2)); /* 999 */
    rec_publish(&f.rec, 4, 6000);
    CHECK(rp_gate(&f.rp, 2)); /* 1000 */
    CHECK_EQ(f.rp.waits, 2);
    CHECK(take_at(&f, 2));
    /* The head decides: an older head opens, a younger one holds. */
    rec_at(&f, EV_TSC, 0, 5, 5, 6000);
    rec_publish(&f.rec, 5, 6500);
    CHECK(!rp_gate(&f.rp, 5));
    rec_publish(&f.rec, 6, 7000);
    CHECK(rp_gate(&f.rp, 5));
    fx_free(&f);
}

TEST(replay_gate_event_and_time_lag_both_hold)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    f.sh.lag_events = 2;
    f.sh.lag_tsc = 100;
    rec_at(&f, EV_TSC, 0, 1, 1, 1000);
    rec_publish(&f.rec, 1, 5000);
    CHECK(!rp_gate(&f.rp, 1)); /* old enough, too few */
    rec_at(&f, EV_TSC, 0, 2, 2, 4950);
    rec_publish(&f.rec, 2, 5000);
    CHECK(rp_gate(&f.rp, 1)); /* two, the head 4000 old */
    CHECK(take_at(&f, 1));
    rec_at(&f, EV_TSC, 0, 3, 3, 4990);
    rec_publish(&f.rec, 3, 5000);
    CHECK(!rp_gate(&f.rp, 2)); /* two, but the head is 50 old */
    rec_publish(&f.rec, 4, 5050);
    CHECK(rp_gate(&f.rp, 2));
    fx_free(&f);
}

/* ---- mismatches ---------------------------------------------------------------------------- */

static void check_not_consumed(struct fx *f, uint64_t seq, const char *file, int line)
{
    const struct hs_event *h = rp_head(&f->rp);
    if (!h || h->seq != seq)
        hs_fail(file, line, "the mismatching event %llu was consumed", (unsigned long long)seq);
}

TEST(replay_mismatch_no_event_left)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    rec_positions(&f, 1, 1, 0);
    CHECK(take_at(&f, 1));
    struct hs_pos p = pos_at(2, 0);
    struct hs_event e;
    CHECK(!rp_take(&f.rp, EV_RAND, &p, &e));
    CHECK(f.rp.diverged);
    CHECK_EQ(f.rp.mm.seq, 2);
    CHECK_CONTAINS(f.rp.mm.what, "never recorded");
    CHECK_EQ(f.rp.mm.expected.type, EV_NONE);
    CHECK_EQ(f.rp.mm.expected.seq, 0);
    CHECK_EQ(f.rp.mm.actual_type, EV_RAND);
    CHECK_MEM(&f.rp.mm.actual, &p, sizeof(p));
    CHECK_EQ(f.rp.consumed, 1);
    /* From an empty log the first event is missing. */
    fx_free(&f);
    if (fx_init(&f, 64, 0))
        return;
    CHECK(!rp_take(&f.rp, EV_TSC, &p, &e));
    CHECK_EQ(f.rp.mm.seq, 1);
    fx_free(&f);
}

TEST(replay_mismatch_wrong_type)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    rec_positions(&f, 1, 3, 0);
    CHECK(take_at(&f, 1));
    struct hs_pos p = pos_at(2, 0);
    struct hs_event e;
    CHECK(!rp_take(&f.rp, EV_RAND, &p, &e));
    CHECK(f.rp.diverged);
    CHECK_EQ(f.rp.mm.seq, 2);
    CHECK_CONTAINS(f.rp.mm.what, "another kind of input");
    CHECK_EQ(f.rp.mm.expected.type, EV_TSC);
    CHECK_EQ(f.rp.mm.expected.seq, 2);
    CHECK_EQ(f.rp.mm.expected.exit_seq, 2);
    CHECK_EQ(f.rp.mm.actual_type, EV_RAND);
    CHECK_EQ(f.rp.mm.actual.exit_seq, 2);
    CHECK_EQ(f.rp.consumed, 1);
    check_not_consumed(&f, 2, __FILE__, __LINE__);
    fx_free(&f);
}

/* Takes event 1 (an EV_TSC at exit 1) at a position that differs in one way; expects `what`. */
static void expect_position_mismatch(struct hs_pos p, const char *what, const char *file, int line)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    rec_positions(&f, 1, 1, 0);
    struct hs_event e;
    memset(&e, 0x77, sizeof(e));
    bool took = rp_take(&f.rp, EV_TSC, &p, &e);
    if (took)
        hs_fail(file, line, "a mismatching position was accepted");
    else if (!f.rp.diverged)
        hs_fail(file, line, "diverged not set");
    else if (f.rp.mm.seq != 1 || f.rp.mm.expected.seq != 1 || f.rp.mm.actual_type != EV_TSC ||
             memcmp(&f.rp.mm.actual, &p, sizeof(p)))
        hs_fail(file, line, "mismatch report: seq %llu, expected.seq %llu, actual_type %u",
                (unsigned long long)f.rp.mm.seq, (unsigned long long)f.rp.mm.expected.seq, f.rp.mm.actual_type);
    else if (!f.rp.mm.what || !strstr(f.rp.mm.what, what))
        hs_fail(file, line, "reason \"%s\" does not contain \"%s\"", f.rp.mm.what ? f.rp.mm.what : "(NULL)", what);
    if (f.rp.consumed != 0)
        hs_fail(file, line, "the event was consumed");
    check_not_consumed(&f, 1, file, line);
    fx_free(&f);
}
#define EXPECT_POS_MISMATCH(p, what) expect_position_mismatch((p), (what), __FILE__, __LINE__)

TEST(replay_mismatch_positions)
{
    struct hs_pos p;
    /* The event itself is accepted at its own position. */
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    rec_positions(&f, 1, 1, 0);
    CHECK(take_at(&f, 1));
    CHECK(!f.rp.diverged);
    fx_free(&f);

    p = pos_at(1, 0);
    p.exit_seq = 2;
    EXPECT_POS_MISMATCH(p, "another position");
    p = pos_at(1, 0);
    p.exit_seq = 0;
    EXPECT_POS_MISMATCH(p, "another position");
    p = pos_at(1, 0);
    p.rip += 1;
    EXPECT_POS_MISMATCH(p, "another position");
    p = pos_at(1, 0);
    p.digest ^= 1ull << 63;
    EXPECT_POS_MISMATCH(p, "another position");
    p = pos_at(1, 0);
    p.window = 1;
    EXPECT_POS_MISMATCH(p, "another position");
    p = pos_at(1, 0);
    p.con_hash ^= 0x100;
    EXPECT_POS_MISMATCH(p, "serial output differs");
}

TEST(replay_mismatch_window_event_at_plain_exit)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    struct hs_pos w = pos_at(3, 1);
    rec_event(&f.rec, EV_INTR, 0, 0x30, &w, 0, 0, 0, NULL);
    rec_publish(&f.rec, 4, 0);
    struct hs_pos p = w;
    p.window = 0;
    struct hs_event e;
    CHECK(!rp_take(&f.rp, EV_INTR, &p, &e));
    CHECK_CONTAINS(f.rp.mm.what, "another position");
    CHECK_EQ(f.rp.mm.expected.flags, EVF_WINDOW);
    fx_free(&f);
}

TEST(replay_next_is)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    struct hs_pos p3 = pos_at(3, 0), w3 = pos_at(3, 1);
    CHECK(!rp_next_is(&f.rp, EV_IRQ, &p3)); /* empty */
    rec_event(&f.rec, EV_IRQ, 0, 0, &p3, 0, 0, 0, NULL);
    rec_event(&f.rec, EV_INTR, 0, 0x30, &w3, 0, 0, 0, NULL);
    CHECK(!rp_next_is(&f.rp, EV_IRQ, &p3)); /* not published */
    rec_publish(&f.rec, 4, 0);
    CHECK(rp_next_is(&f.rp, EV_IRQ, &p3));
    CHECK(!rp_next_is(&f.rp, EV_RX, &p3));
    CHECK(!rp_next_is(&f.rp, EV_INTR, &p3));
    CHECK(!rp_next_is(&f.rp, EV_IRQ, &w3)); /* the window after exit 3 is another position */
    struct hs_pos p2 = pos_at(2, 0), p4 = pos_at(4, 0);
    CHECK(!rp_next_is(&f.rp, EV_IRQ, &p2));
    CHECK(!rp_next_is(&f.rp, EV_IRQ, &p4));
    /* Only the kind and the exit decide: a wrong RIP at the right exit is for rp_take to report,
     * not a reason to skip the event. */
    struct hs_pos off = p3;
    off.rip ^= 0x10;
    CHECK(rp_next_is(&f.rp, EV_IRQ, &off));
    struct hs_event e;
    CHECK(!rp_take(&f.rp, EV_IRQ, &off, &e));
    CHECK(f.rp.diverged);
    CHECK_CONTAINS(f.rp.mm.what, "another position");
    fx_free(&f);

    if (fx_init(&f, 64, 0))
        return;
    rec_event(&f.rec, EV_IRQ, 0, 0, &p3, 0, 0, 0, NULL);
    rec_event(&f.rec, EV_INTR, 0, 0x30, &w3, 0, 0, 0, NULL);
    rec_publish(&f.rec, 4, 0);
    CHECK(rp_take(&f.rp, EV_IRQ, &p3, &e));
    CHECK(rp_next_is(&f.rp, EV_INTR, &w3));
    CHECK(!rp_next_is(&f.rp, EV_INTR, &p3));
    CHECK(rp_take(&f.rp, EV_INTR, &w3, &e));
    CHECK_EQ(e.arg, 0x30);
    CHECK(!rp_next_is(&f.rp, EV_INTR, &w3)); /* consumed */
    CHECK(!f.rp.diverged);
    fx_free(&f);
}

TEST(replay_check_passed)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    struct hs_pos p2 = pos_at(2, 0), p3 = pos_at(3, 0), w3 = pos_at(3, 1), p4 = pos_at(4, 0);
    CHECK(rp_check_passed(&f.rp, &p4)); /* nothing in the log */
    rec_event(&f.rec, EV_TSC, 0, 0, &p3, 9, 0, 0, NULL);
    rec_publish(&f.rec, 3, 0);
    CHECK(rp_check_passed(&f.rp, &p2)); /* ahead of us */
    CHECK(rp_check_passed(&f.rp, &p3)); /* here: to be taken */
    CHECK(!f.rp.diverged);
    /* At the window after exit 3 the event of exit 3 itself was left behind. */
    CHECK(!rp_check_passed(&f.rp, &w3));
    CHECK(f.rp.diverged);
    CHECK_EQ(f.rp.mm.seq, 1);
    CHECK_CONTAINS(f.rp.mm.what, "went past");
    CHECK_EQ(f.rp.mm.expected.exit_seq, 3);
    CHECK_EQ(f.rp.mm.actual.exit_seq, 3);
    CHECK_EQ(f.rp.mm.actual.window, 1);
    CHECK_EQ(f.rp.mm.actual_type, EV_NONE);
    check_not_consumed(&f, 1, __FILE__, __LINE__);
    fx_free(&f);

    /* An event at an earlier exit. */
    if (fx_init(&f, 64, 0))
        return;
    rec_event(&f.rec, EV_TSC, 0, 0, &p3, 9, 0, 0, NULL);
    rec_publish(&f.rec, 3, 0);
    CHECK(!rp_check_passed(&f.rp, &p4));
    CHECK(f.rp.diverged);
    CHECK_EQ(f.rp.mm.seq, 1);
    CHECK_EQ(f.rp.mm.actual.exit_seq, 4);
    fx_free(&f);

    /* A window event: pending at the exit and at its window, passed at the next exit. */
    if (fx_init(&f, 64, 0))
        return;
    rec_event(&f.rec, EV_INTR, 0, 0x30, &w3, 0, 0, 0, NULL);
    rec_publish(&f.rec, 4, 0);
    CHECK(rp_check_passed(&f.rp, &p3));
    CHECK(rp_check_passed(&f.rp, &w3));
    CHECK(!f.rp.diverged);
    CHECK(!rp_check_passed(&f.rp, &p4));
    CHECK(f.rp.diverged);
    CHECK_EQ(f.rp.mm.expected.flags, EVF_WINDOW);
    fx_free(&f);
}

/* ---- perturbation -------------------------------------------------------------------------- */

TEST(replay_perturb_alters_exactly_one_event)
{
    static struct fx f;
    /* Each type in turn at event 3 of 5 (events 1, 2, 4, 5 are EV_RAND). */
    static const unsigned types[] = { EV_TSC, EV_RAND, EV_PIO_IN, EV_IRQ, EV_RX, EV_INTR, EV_END };
    for (unsigned t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        if (fx_init(&f, 64, 3))
            return;
        for (unsigned i = 0; i < 5; i++) {
            unsigned type = i == 2 ? types[t] : EV_RAND;
            struct hs_pos p = pos_at(i + 1, 0);
            rec_event(&f.rec, type, 0, 0x40 + i, &p, 0x1000 + i, 0x2000 + i, 0x3000 + i, NULL);
            rec_publish(&f.rec, i + 1, 0x3000 + i);
        }
        for (unsigned i = 0; i < 5; i++) {
            struct hs_pos p = pos_at(i + 1, 0);
            const struct hs_event *h = rp_head(&f.rp);
            if (!h)
                break;
            struct hs_event x = *h; /* the logged event, before the replayer delivers it */
            struct hs_event e;
            unsigned type = i == 2 ? types[t] : EV_RAND;
            if (!rp_take(&f.rp, type, &p, &e)) {
                hs_fail(__FILE__, __LINE__, "type %u: event %u not taken", types[t], i + 1);
                break;
            }
            CHECK_EQ(x.value, 0x1000 + i); /* the log itself is untouched */
            CHECK_EQ(x.arg, 0x40 + i);
            if (i == 2) {
                switch (types[t]) {
                case EV_IRQ:
                case EV_INTR: x.arg ^= 1; break;          /* another line, another vector */
                case EV_END: x.digest ^= 1; break;
                case EV_PIO_IN: x.value ^= 0xFF; break;   /* every bit of a byte-wide port */
                case EV_RX: x.value ^= 0x20; break;       /* another printable character */
                default: x.value = ~x.value; break;       /* TSC, RAND */
                }
            }
            if (memcmp(&e, &x, sizeof(e)))
                hs_fail(__FILE__, __LINE__, "type %u: event %u delivered value 0x%llx arg 0x%x digest %llx, expected "
                        "0x%llx 0x%x %llx", types[t], i + 1, (unsigned long long)e.value, e.arg,
                        (unsigned long long)e.digest, (unsigned long long)x.value, x.arg,
                        (unsigned long long)x.digest);
        }
        CHECK_EQ(f.rp.consumed, 5);
        CHECK(!f.rp.diverged);
        fx_free(&f);
    }
}

TEST(replay_perturb_zero_alters_nothing)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    for (uint64_t i = 1; i <= 10; i++) {
        rec_at(&f, EV_PIO_IN, 0x40, i, 0x100 + i, 0);
        rec_publish(&f.rec, i, 0);
    }
    for (uint64_t i = 1; i <= 10; i++) {
        struct hs_pos p = pos_at(i, 0);
        struct hs_event e;
        CHECK(rp_take(&f.rp, EV_PIO_IN, &p, &e));
        CHECK_EQ(e.value, 0x100 + i);
        CHECK_EQ(e.arg, 0x40);
    }
    fx_free(&f);
}

/* ---- lag statistics ------------------------------------------------------------------------ */

TEST(replay_lag_min_max)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    CHECK_EQ(f.rp.lag_min, UINT64_MAX);
    CHECK_EQ(f.rp.lag_max, 0);
    rec_positions(&f, 1, 10, 0);
    CHECK(take_at(&f, 1)); /* 10 unconsumed, this one included */
    CHECK(take_at(&f, 2));
    CHECK(take_at(&f, 3));
    CHECK_EQ(f.rp.lag_min, 8);
    CHECK_EQ(f.rp.lag_max, 10);
    rec_positions(&f, 11, 5, 0); /* 12 */
    CHECK(take_at(&f, 4));
    CHECK_EQ(f.rp.lag_min, 8);
    CHECK_EQ(f.rp.lag_max, 12);
    for (uint64_t i = 5; i <= 10; i++)
        CHECK(take_at(&f, i)); /* 11 .. 6 */
    CHECK_EQ(f.rp.lag_min, 6);
    /* A failed take changes nothing. */
    struct hs_pos bad = pos_at(99, 0);
    struct hs_event e;
    CHECK(!rp_take(&f.rp, EV_TSC, &bad, &e));
    CHECK_EQ(f.rp.lag_min, 6);
    CHECK_EQ(f.rp.lag_max, 12);
    f.rp.diverged = false;
    /* Once the Primary stopped, the run to the end is not lag. */
    rec_stop(&f.rec, 0);
    for (uint64_t i = 11; i <= 15; i++)
        CHECK(take_at(&f, i));
    CHECK_EQ(f.rp.lag_min, 6);
    CHECK_EQ(f.rp.lag_max, 12);
    CHECK_EQ(f.rp.consumed, 15);
    fx_free(&f);
}

/* ---- the Primary's room and stalls --------------------------------------------------------- */

TEST(replay_rec_room_and_stalls)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    CHECK(rec_room(&f.rec));
    rec_positions(&f, 1, 64 - HS_EVENTS_PER_EXIT, 0);
    CHECK(rec_room(&f.rec)); /* exactly HS_EVENTS_PER_EXIT free */
    CHECK_EQ(f.rec.stalls, 0);
    CHECK(!f.rec.stalled);
    rec_positions(&f, 64 - HS_EVENTS_PER_EXIT + 1, 1, 0);
    CHECK(!rec_room(&f.rec));
    CHECK_EQ(f.rec.stalls, 1);
    CHECK(f.rec.stalled);
    CHECK(!rec_room(&f.rec));
    CHECK(!rec_room(&f.rec));
    CHECK_EQ(f.rec.stalls, 1); /* one wait, one stall */
    CHECK(take_at(&f, 1));
    CHECK(rec_room(&f.rec));
    CHECK(!f.rec.stalled);
    CHECK_EQ(f.rec.stalls, 1);
    rec_positions(&f, 64 - HS_EVENTS_PER_EXIT + 2, 1, 0);
    CHECK(!rec_room(&f.rec));
    CHECK_EQ(f.rec.stalls, 2);
    fx_free(&f);
}

TEST(replay_rec_event_never_overwrites)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    rec_positions(&f, 1, 64, 0);
    CHECK_EQ(f.rec.seq, 64);
    /* A VMM bug (recording without room): the event is dropped and counted, the log is intact. */
    rec_at(&f, EV_TSC, 0, 65, 65, 0);
    rec_publish(&f.rec, 65, 0);
    CHECK_EQ(f.rec.seq, 64);
    CHECK_EQ(f.rec.stalls, 1);
    CHECK_EQ(rp_unconsumed(&f.rp), 64);
    for (uint64_t i = 1; i <= 64; i++)
        CHECK(take_at(&f, i));
    CHECK(rp_head(&f.rp) == NULL);
    fx_free(&f);
}

TEST(replay_recorder_off_after_backup_stops)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    rec_positions(&f, 1, 64, 0); /* full */
    CHECK(!rec_room(&f.rec));
    rp_stop(&f.rp);
    CHECK_EQ(f.sh.b_stopped, 1);
    /* The Primary never waits for a Backup that is gone. */
    CHECK(rec_room(&f.rec));
    CHECK(f.rec.off);
    uint64_t stalls = f.rec.stalls;
    CHECK(take_at(&f, 1)); /* (a Backup still draining would see nothing new) */
    rec_at(&f, EV_TSC, 0, 65, 65, 0);
    rec_publish(&f.rec, 65, 777);
    CHECK_EQ(f.rec.seq, 64);
    CHECK_EQ(f.rec.stalls, stalls);
    CHECK_EQ(f.sh.p_positions, 64);
    CHECK_EQ(rp_unconsumed(&f.rp), 63);
    CHECK(rec_room(&f.rec)); /* stays off */
    CHECK(f.rec.off);
    fx_free(&f);
}

TEST(replay_lag_check)
{
    char err[80];
    strcpy(err, "(untouched)");
    CHECK_EQ(hs_lag_check(65536, 1000, err, sizeof(err)), 0);
    CHECK_STREQ(err, "(untouched)");
    CHECK_EQ(hs_lag_check(65536, 0, err, sizeof(err)), 0);
    CHECK_EQ(hs_lag_check(1024, 1024 - 2 * HS_EVENTS_PER_EXIT, err, sizeof(err)), 0);
    CHECK_EQ(hs_lag_check(1024, 1024 - 2 * HS_EVENTS_PER_EXIT + 1, err, sizeof(err)), -1);
    CHECK_STREQ(err, "the ring cannot hold the lag");
    CHECK_EQ(hs_lag_check(1024, 1000, err, sizeof(err)), -1);
    CHECK_EQ(hs_lag_check(65536, 65536, NULL, 0), -1);
    CHECK_EQ(hs_lag_check(2 * HS_EVENTS_PER_EXIT, 0, NULL, 0), 0);
    CHECK_EQ(hs_lag_check(2 * HS_EVENTS_PER_EXIT - 1, 0, NULL, 0), -1);
    char small[5];
    CHECK_EQ(hs_lag_check(1024, 1000, small, sizeof(small)), -1);
    CHECK_STREQ(small, "the ");
}

/* Regression: lag_events + 2 * HS_EVENTS_PER_EXIT used to wrap for a huge lag, and the check
 * then accepted a lag no ring can hold (config.c caps lag at 2^30; the check must not rely on it). */
TEST(replay_lag_check_huge_lag_refused)
{
    CHECK_EQ(hs_lag_check(65536, UINT64_MAX - 10, NULL, 0), -1);
    CHECK_EQ(hs_lag_check(65536, UINT64_MAX - 2 * HS_EVENTS_PER_EXIT + 1, NULL, 0), -1);
    CHECK_EQ(hs_lag_check(65536, UINT64_MAX, NULL, 0), -1);
    CHECK_EQ(hs_lag_check(65536, 65537, NULL, 0), -1);
    CHECK_EQ(hs_lag_check(UINT64_MAX, UINT64_MAX - 2 * HS_EVENTS_PER_EXIT, NULL, 0), 0);
}

/* Regression: rp_init used to leave `ended` and `end` of an earlier run in place, so a replayer
 * attached again reported the previous run's END. */
TEST(replay_rp_init_clears_the_end)
{
    static struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    f.rp.ended = true;
    f.rp.end.seq = 42;
    CHECK_EQ(rp_init(&f.rp, &f.sh, 0), RING_OK);
    CHECK(!f.rp.ended);
    CHECK_EQ(f.rp.end.seq, 0);
    fx_free(&f);
}

/* ---- two threads ---------------------------------------------------------------------------- */

#define STRESS_EVENTS 200000u
#define STRESS_CAP 1024u
#define STRESS_DEADLINE_S 20.0

struct stress {
    struct fx f;
    uint64_t seed;
    uint64_t positions;  /* the Primary's positions before its END position */
    uint64_t events;     /* events before the END */
    struct timespec t0;
    int stop;            /* either side gave up (deadline): both return */
    int bad;             /* the consumer's first complaint */
    char msg[200];
    uint64_t stuck_p, stuck_c;
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Both threads derive the same script from the seed: events at each position, its exit and
 * whether it is a window exit, each event's type, argument and value. */
static unsigned s_batch(const struct stress *s, uint64_t p) { return (unsigned)(hs_mix64(s->seed ^ (p * 3 + 1)) % (HS_EVENTS_PER_EXIT + 1)); }
static unsigned s_window(const struct stress *s, uint64_t p) { return p > 1 && (hs_mix64(s->seed + p * 5) & 7) == 0; }
static unsigned s_type(const struct stress *s, uint64_t seq) { return 1 + (unsigned)(hs_mix64(s->seed ^ (seq << 1)) % 6); }
static uint64_t s_value(const struct stress *s, uint64_t seq) { return hs_mix64(s->seed + seq); }

static bool s_wait(struct stress *s, unsigned *spins)
{
    if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
        return false;
    if (++*spins % 64 == 0) {
        if (since(&s->t0) > STRESS_DEADLINE_S) {
            __atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
            return false;
        }
        sched_yield();
    }
    return true;
}

static void *stress_primary(void *arg)
{
    struct stress *s = arg;
    struct recorder *r = &s->f.rec;
    uint64_t exit_seq = 0, seq = 0;
    unsigned spins = 0;
    for (uint64_t p = 1; p <= s->positions + 1; p++) {
        unsigned w = s_window(s, p);
        exit_seq += !w;
        struct hs_pos pos = pos_at(exit_seq, w);
        struct hs_regs regs = regs_at(exit_seq, w);
        while (!rec_room(r))
            if (!s_wait(s, &spins)) {
                s->stuck_p = p;
                return NULL;
            }
        if (p == s->positions + 1) {
            regs.rax = ++seq;
            rec_event(r, EV_END, 0, 2, &pos, seq, 0, p, &regs);
            rec_stop(r, p);
            break;
        }
        for (unsigned k = s_batch(s, p); k; k--) {
            seq++;
            regs.rax = seq;
            rec_event(r, s_type(s, seq), 0, (unsigned)(seq & 0xFFFF), &pos, s_value(s, seq), 0, p, &regs);
        }
        rec_publish(r, p, p);
    }
    return NULL;
}

static void *stress_backup(void *arg)
{
    struct stress *s = arg;
    struct replayer *r = &s->f.rp;
    uint64_t exit_seq = 0, seq = 0;
    unsigned spins = 0;
    for (uint64_t p = 1; p <= s->positions + 1 && !s->bad; p++) {
        unsigned w = s_window(s, p);
        exit_seq += !w;
        struct hs_pos pos = pos_at(exit_seq, w);
        while (!rp_gate(r, p))
            if (!s_wait(s, &spins)) {
                s->stuck_c = p;
                return NULL;
            }
        if (!rp_check_passed(r, &pos)) {
            snprintf(s->msg, sizeof(s->msg), "position %llu: %s", (unsigned long long)p, r->mm.what);
            s->bad = 1;
            break;
        }
        unsigned n = p == s->positions + 1 ? 1 : s_batch(s, p);
        for (unsigned k = 0; k < n; k++) {
            seq++;
            unsigned type = p == s->positions + 1 ? EV_END : s_type(s, seq);
            uint64_t value = p == s->positions + 1 ? seq : s_value(s, seq);
            unsigned a = p == s->positions + 1 ? 2 : (unsigned)(seq & 0xFFFF);
            const struct hs_regs *hr = rp_head_regs(r);
            if (!hr || hr->rax != seq || hr->rip != pos.rip) {
                snprintf(s->msg, sizeof(s->msg), "event %llu: registers %s", (unsigned long long)seq,
                         hr ? "of another event" : "missing");
                s->bad = 1;
                break;
            }
            struct hs_event e;
            if (!rp_take(r, type, &pos, &e)) {
                snprintf(s->msg, sizeof(s->msg), "event %llu at position %llu: %s", (unsigned long long)seq,
                         (unsigned long long)p, r->mm.what);
                s->bad = 1;
                break;
            }
            if (e.seq != seq || e.exit_seq != exit_seq || e.value != value || e.arg != a ||
                !!(e.flags & EVF_WINDOW) != w || e.tsc != p) {
                snprintf(s->msg, sizeof(s->msg), "event %llu: got seq %llu exit %llu value %llx", (unsigned long long)seq,
                         (unsigned long long)e.seq, (unsigned long long)e.exit_seq, (unsigned long long)e.value);
                s->bad = 1;
                break;
            }
        }
    }
    if (!s->bad && rp_head(r)) {
        snprintf(s->msg, sizeof(s->msg), "event %llu left over", (unsigned long long)rp_head(r)->seq);
        s->bad = 1;
    }
    return NULL;
}

enum { LAG_NONE, LAG_EVENTS, LAG_TIME };

static void stress_run(uint64_t seed, int lag_kind, const char *file, int line)
{
    static struct stress s; /* static: the ring handles are 64-byte aligned */
    memset(&s, 0, sizeof(s));
    if (fx_init(&s.f, STRESS_CAP, 0))
        return;
    s.seed = seed;
    /* As many positions as make STRESS_EVENTS events. */
    for (uint64_t p = 1; s.events < STRESS_EVENTS; p++) {
        s.events += s_batch(&s, p);
        s.positions = p;
    }
    uint64_t lag = 0;
    if (lag_kind == LAG_TIME)
        s.f.sh.lag_tsc = 1 + hs_mix64(seed) % 50; /* in positions (the TSC is the position number): ~600 events, within the ring */
    else if (lag_kind == LAG_EVENTS)
        s.f.sh.lag_events = lag = hs_mix64(seed) % (STRESS_CAP - 2 * HS_EVENTS_PER_EXIT + 1);
    char err[80];
    if (hs_lag_check(STRESS_CAP, lag, err, sizeof(err)))
        hs_fail(file, line, "lag %llu refused: %s", (unsigned long long)lag, err);
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    pthread_t tp, tb;
    if (pthread_create(&tb, NULL, stress_backup, &s) || pthread_create(&tp, NULL, stress_primary, &s)) {
        hs_fail(file, line, "pthread_create");
        return;
    }
    pthread_join(tp, NULL);
    pthread_join(tb, NULL);
    double secs = since(&s.t0);
    if (s.stop)
        hs_fail(file, line, "seed %llu lag %llu/%llu: stuck after %.0f s (Primary at position %llu, Backup at %llu, "
                "%llu consumed)", (unsigned long long)seed, (unsigned long long)s.f.sh.lag_events,
                (unsigned long long)s.f.sh.lag_tsc, secs, (unsigned long long)s.stuck_p,
                (unsigned long long)s.stuck_c, (unsigned long long)s.f.rp.consumed);
    if (s.bad)
        hs_fail(file, line, "seed %llu: %s", (unsigned long long)seed, s.msg);
    hs_check_eq(file, line, "consumed", "events + 1", s.f.rp.consumed, s.events + 1);
    hs_check_eq(file, line, "recorded", "events + 1", s.f.rec.seq, s.events + 1);
    if (s.f.rp.diverged)
        hs_fail(file, line, "diverged: %s", s.f.rp.mm.what);
    /* The lag held: every take while the Primary ran left at least lag - (one position's events
     * taken after the gate opened) behind it. */
    if (s.f.rp.lag_max > STRESS_CAP || s.f.rp.lag_min > s.f.rp.lag_max)
        hs_fail(file, line, "lag_min %llu lag_max %llu", (unsigned long long)s.f.rp.lag_min,
                (unsigned long long)s.f.rp.lag_max);
    if (lag >= HS_EVENTS_PER_EXIT && s.f.rp.lag_min < lag - (HS_EVENTS_PER_EXIT - 1))
        hs_fail(file, line, "lag %llu, but the Backup came within %llu events", (unsigned long long)lag,
                (unsigned long long)s.f.rp.lag_min);
    if (secs > 10)
        hs_fail(file, line, "took %.1f s", secs);
    fx_free(&s.f);
}

TEST(replay_two_threads_event_lag)
{
    stress_run(20240601, LAG_EVENTS, __FILE__, __LINE__);
}

TEST(replay_two_threads_time_lag)
{
    stress_run(77, LAG_TIME, __FILE__, __LINE__);
}

TEST(replay_two_threads_no_lag)
{
    stress_run(5, LAG_NONE, __FILE__, __LINE__);
}

/* ---- digest and hashes --------------------------------------------------------------------- */

TEST(replay_digest_covers_every_register)
{
    struct hs_regs r = regs_at(12345, 0);
    uint64_t d0 = hs_digest(&r);
    CHECK_EQ(hs_digest(&r), d0); /* deterministic */
    for (unsigned i = 0; i < sizeof(r) / 8; i++)
        for (unsigned bit = 0; bit < 64; bit += 7) {
            struct hs_regs x = r;
            uint64_t *w = &x.rax;
            if (i == sizeof(r) / 8 - 1 && (bit == 8 || bit == 16))
                continue; /* TF, RF: below */
            w[i] ^= 1ull << bit;
            if (hs_digest(&x) == d0)
                hs_fail(__FILE__, __LINE__, "flipping bit %u of word %u leaves the digest", bit, i);
        }
    /* Two registers swapped is another state. */
    struct hs_regs x = r;
    x.rax = r.rbx;
    x.rbx = r.rax;
    CHECK_NE(hs_digest(&x), d0);
    /* IF is part of the state. */
    x = r;
    x.rflags ^= 1ull << 9;
    CHECK_NE(hs_digest(&x), d0);
}

TEST(replay_digest_ignores_rf_and_tf)
{
    struct hs_regs r = regs_at(7, 1);
    uint64_t d0 = hs_digest(&r);
    struct hs_regs x = r;
    x.rflags |= HS_RFLAGS_RF;
    CHECK_EQ(hs_digest(&x), d0);
    x.rflags |= HS_RFLAGS_TF;
    CHECK_EQ(hs_digest(&x), d0);
    x = r;
    x.rflags |= HS_RFLAGS_TF;
    CHECK_EQ(hs_digest(&x), d0);
    CHECK_EQ(HS_RFLAGS_RF, 0x10000);
    CHECK_EQ(HS_RFLAGS_TF, 0x100);
    /* ... but only those two. */
    x.rflags |= 1ull << 17; /* VM */
    CHECK_NE(hs_digest(&x), d0);
    /* In the other words, bits 8 and 16 count. */
    x = r;
    x.rip ^= HS_RFLAGS_RF;
    CHECK_NE(hs_digest(&x), d0);
    x = r;
    x.rax ^= HS_RFLAGS_TF;
    CHECK_NE(hs_digest(&x), d0);
}

TEST(replay_fnv32_and_mem_hash)
{
    CHECK_EQ(hs_fnv32(HS_FNV32_INIT, "a", 1), 0xe40c292cu);
    CHECK_EQ(hs_fnv32(HS_FNV32_INIT, "", 0), HS_FNV32_INIT);
    CHECK_EQ(hs_fnv32(HS_FNV32_INIT, "foobar", 6), 0xbf9cf968u);
    /* Incremental: the console hash is carried byte by byte. */
    CHECK_EQ(hs_fnv32(hs_fnv32(HS_FNV32_INIT, "foo", 3), "bar", 3), 0xbf9cf968u);
    uint64_t a[64], b[64];
    for (unsigned i = 0; i < 64; i++)
        a[i] = b[i] = hs_mix64(i);
    uint64_t h = hs_hash_mem(HS_FNV64_INIT, a, sizeof(a));
    CHECK_EQ(hs_hash_mem(HS_FNV64_INIT, b, sizeof(b)), h);
    CHECK_NE(h, HS_FNV64_INIT);
    for (unsigned i = 0; i < 64; i += 9) {
        b[i] ^= 1ull << (i % 64);
        CHECK_NE(hs_hash_mem(HS_FNV64_INIT, b, sizeof(b)), h);
        b[i] = a[i];
    }
    /* Two words swapped. */
    b[3] = a[4];
    b[4] = a[3];
    CHECK_NE(hs_hash_mem(HS_FNV64_INIT, b, sizeof(b)), h);
    /* Zero pages of different lengths differ. */
    static uint64_t z[512];
    CHECK_NE(hs_hash_mem(HS_FNV64_INIT, z, 2048), hs_hash_mem(HS_FNV64_INIT, z, 4096));
}

/* ---- counter modes: asynchronous positions ------------------------------------------------ */

static struct hs_pos async_at(uint64_t exit_seq, uint64_t count)
{
    struct hs_pos p = pos_at(exit_seq, 0);
    p.async = 1;
    p.count = count;
    p.rip += 1; /* somewhere after the synchronous exit */
    return p;
}

TEST(replay_async_event_carries_its_count_and_matches_only_there)
{
    struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    struct hs_pos a = async_at(5, 1000);
    struct hs_regs r = regs_at(5, 0);
    rec_event(&f.rec, EV_IRQ, 0, 0, &a, 0, 77 /* ignored: aux is the count */, 10, &r);
    rec_event(&f.rec, EV_INTR, 0, 0x30, &a, 0, 0, 10, &r);
    rec_publish(&f.rec, 6, 10);
    const struct hs_event *e = rp_head(&f.rp);
    CHECK(e != NULL);
    CHECK(e->flags & EVF_ASYNC);
    CHECK_EQ(e->aux, 1000u);
    /* The synchronous exit 5 itself is not this event's position, nor is another count. */
    struct hs_pos sync5 = pos_at(5, 0);
    CHECK(!rp_next_is(&f.rp, EV_IRQ, &sync5));
    CHECK(rp_check_passed(&f.rp, &sync5)); /* the event lies after exit 5: not passed */
    struct hs_pos early = async_at(5, 999);
    CHECK(!rp_next_is(&f.rp, EV_IRQ, &early));
    CHECK(rp_check_passed(&f.rp, &early));
    CHECK(rp_next_is(&f.rp, EV_IRQ, &a));
    struct hs_event got;
    CHECK(rp_take(&f.rp, EV_IRQ, &a, &got));
    CHECK(rp_take(&f.rp, EV_INTR, &a, &got));
    CHECK_EQ(got.arg, 0x30u);
    CHECK(!f.rp.diverged);
    fx_free(&f);
}

TEST(replay_async_event_passed_is_a_divergence)
{
    struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    struct hs_pos a = async_at(5, 1000);
    struct hs_regs r = regs_at(5, 0);
    rec_event(&f.rec, EV_IRQ, 0, 0, &a, 0, 0, 10, &r);
    rec_publish(&f.rec, 6, 10);
    /* The Backup reached the next synchronous exit without landing on it ... */
    struct hs_pos sync6 = pos_at(6, 0);
    CHECK(!rp_check_passed(&f.rp, &sync6));
    CHECK(f.rp.diverged);
    fx_free(&f);
    if (fx_init(&f, 64, 0))
        return;
    rec_event(&f.rec, EV_IRQ, 0, 0, &a, 0, 0, 10, &r);
    rec_publish(&f.rec, 6, 10);
    /* ... or landed at a later count. */
    struct hs_pos late = async_at(5, 1001);
    CHECK(!rp_check_passed(&f.rp, &late));
    /* A synchronous event left at exit 5 when the Backup is at a counted position after it. */
    fx_free(&f);
    if (fx_init(&f, 64, 0))
        return;
    rec_at(&f, EV_TSC, 0, 5, 1, 10);
    rec_publish(&f.rec, 5, 10);
    CHECK(!rp_check_passed(&f.rp, &a));
    fx_free(&f);
}

TEST(replay_async_event_at_wrong_registers_is_refused)
{
    struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    struct hs_pos a = async_at(5, 1000);
    struct hs_regs r = regs_at(5, 0);
    rec_event(&f.rec, EV_INTR, 0, 0x30, &a, 0, 0, 10, &r);
    rec_publish(&f.rec, 6, 10);
    struct hs_pos b = a;
    b.digest ^= 1;
    struct hs_event got;
    CHECK(!rp_take(&f.rp, EV_INTR, &b, &got));
    CHECK(f.rp.diverged);
    fx_free(&f);
}

TEST(replay_counts_beside_the_log_catch_a_drifted_counter)
{
    struct fx f;
    if (fx_init(&f, 64, 0))
        return;
    uint64_t counts[64];
    f.sh.counts = counts;
    struct hs_pos p = pos_at(3, 0);
    p.count = 1000;
    struct hs_regs r = regs_at(3, 0);
    rec_event(&f.rec, EV_TSC, 0, 0, &p, 5, 0, 10, &r);
    rec_event(&f.rec, EV_TSC, 0, 0, &p, 6, 0, 10, &r);
    rec_publish(&f.rec, 3, 10);
    CHECK_EQ(counts[0], 1000);
    struct hs_event e;
    CHECK(rp_take(&f.rp, EV_TSC, &p, &e)); /* same count: fine */
    p.count = 1001;                        /* the Backup counted one instruction more */
    CHECK(!rp_take(&f.rp, EV_TSC, &p, &e));
    CHECK(f.rp.diverged);
    CHECK_CONTAINS(f.rp.mm.what, "count differs");
    fx_free(&f);
}
