/* The Primary's side of the log. Events go into the ring as they happen during an exit and are
 * published together when the exit's handling is complete, followed by the position count: the
 * Backup reads p_positions with acquire, so it never sees a position whose events are missing. */
#include "replay.h"

int hs_shared_init(struct hs_shared *sh, void *ring_mem, size_t ring_size, uint64_t cap, struct hs_regs *regs)
{
    int st = ring_init(ring_mem, ring_size, HS_EVENT_SIZE, cap);
    if (st)
        return st;
    sh->ring_mem = ring_mem;
    sh->ring_size = ring_size;
    sh->cap = cap;
    sh->regs = regs;
    sh->counts = 0;
    sh->p_positions = 0;
    sh->p_tsc = 0;
    sh->p_stopped = 0;
    sh->p_outcome = 0;
    sh->p_end_seq = 0;
    sh->p_end_tsc = 0;
    sh->b_stopped = 0;
    return 0;
}

int hs_lag_check(uint64_t cap, uint64_t lag_events, char *err, size_t errlen)
{
    /* The Primary needs room for one exit's events on top of the lag, or it would stall with the
     * Backup held back: a deadlock. Twice that keeps the Primary from stalling at every exit. */
    if (lag_events <= cap && cap - lag_events >= 2 * HS_EVENTS_PER_EXIT) /* no overflow for any lag */
        return 0;
    if (err && errlen) {
        /* Freestanding: no snprintf here; the caller prints the numbers. */
        const char *m = "the ring cannot hold the lag";
        size_t i = 0;
        for (; m[i] && i + 1 < errlen; i++)
            err[i] = m[i];
        err[i] = 0;
    }
    return -1;
}

int rec_init(struct recorder *r, struct hs_shared *sh)
{
    r->sh = sh;
    r->seq = 0;
    r->stalls = 0;
    r->stalled = false;
    r->off = false;
    r->sink = 0;
    r->log_bytes = 0;
    hs_compact_init(&r->compact);
    return ring_prod_attach(&r->prod, sh->ring_mem, sh->ring_size);
}

bool rec_room(struct recorder *r)
{
    if (r->off || __atomic_load_n(&r->sh->b_stopped, __ATOMIC_ACQUIRE)) {
        r->off = true;
        return true;
    }
    if (ring_prod_free(&r->prod) >= HS_EVENTS_PER_EXIT) {
        r->stalled = false;
        return true;
    }
    if (!r->stalled)
        r->stalls++;
    r->stalled = true;
    return false;
}

void rec_event(struct recorder *r, unsigned type, unsigned flags, unsigned arg, const struct hs_pos *pos,
               uint64_t value, uint64_t aux, uint64_t tsc, const struct hs_regs *regs)
{
    if (r->off)
        return;
    struct hs_event e = {
        .type = (uint8_t)type,
        .flags = (uint8_t)(flags | (pos->window ? EVF_WINDOW : 0) | (pos->async ? EVF_ASYNC : 0)),
        .arg = (uint16_t)arg,
        .con_hash = pos->con_hash,
        .seq = ++r->seq,
        .exit_seq = pos->exit_seq,
        .rip = pos->rip,
        .digest = pos->digest,
        .value = value,
        .tsc = tsc,
        .aux = pos->async ? pos->count : aux,
    };
    /* rec_room() guaranteed the space: a failure here is a VMM bug, and losing the event would
     * make the Backup diverge, which is reported; never overwrite. */
    void *slot;
    if (ring_reserve(&r->prod, 1, &slot) != 1) {
        r->seq--;
        r->stalls++;
        return;
    }
    struct hs_event *dst = slot;
    *dst = e;
    if (regs && r->sh->regs)
        r->sh->regs[(e.seq - 1) & (r->sh->cap - 1)] = *regs;
    if (r->sh->counts)
        r->sh->counts[(e.seq - 1) & (r->sh->cap - 1)] = pos->count;
    ring_commit(&r->prod, 1);
    /* The ring carries fixed cache-line events; the log that leaves the machine, and its size,
     * is the compact encoding of the same events. */
    uint8_t buf[HS_COMPACT_MAX];
    size_t n = hs_compact_encode(&r->compact, &e, buf);
    r->log_bytes += n;
    if (r->sink)
        r->sink(buf, n);
}

void rec_publish(struct recorder *r, uint64_t positions, uint64_t tsc)
{
    if (r->off)
        return;
    ring_publish(&r->prod);
    __atomic_store_n(&r->sh->p_tsc, tsc, __ATOMIC_RELAXED);
    __atomic_store_n(&r->sh->p_positions, positions, __ATOMIC_RELEASE);
}

void rec_stop(struct recorder *r, uint64_t tsc)
{
    ring_publish(&r->prod);
    __atomic_store_n(&r->sh->p_tsc, tsc, __ATOMIC_RELAXED);
    __atomic_store_n(&r->sh->p_stopped, 1, __ATOMIC_RELEASE);
}
