/* The Backup's side of the log. Every input the Backup's guest asks for is taken from the head
 * of the ring and only if it was recorded at exactly the Backup's position; anything else is a
 * divergence, described in r->mm and never guessed past. */
#include "replay.h"

int rp_init(struct replayer *r, struct hs_shared *sh, uint64_t perturb)
{
    r->sh = sh;
    r->consumed = 0;
    r->lag_min = UINT64_MAX;
    r->lag_max = 0;
    r->waits = 0;
    r->perturb = perturb;
    r->diverged = false;
    r->mm = (struct hs_mismatch){ 0 };
    r->ended = false;
    r->end = (struct hs_event){ 0 };
    return ring_cons_attach(&r->cons, sh->ring_mem, sh->ring_size);
}

uint64_t rp_unconsumed(struct replayer *r) { return ring_cons_avail(&r->cons); }

const struct hs_event *rp_head(struct replayer *r) { return ring_peek(&r->cons); }

const struct hs_regs *rp_head_regs(struct replayer *r)
{
    const struct hs_event *e = rp_head(r);
    if (!e || !r->sh->regs)
        return 0;
    return &r->sh->regs[(e->seq - 1) & (r->sh->cap - 1)];
}

bool rp_gate(struct replayer *r, uint64_t positions)
{
    struct hs_shared *sh = r->sh;
    if (__atomic_load_n(&sh->p_stopped, __ATOMIC_ACQUIRE))
        return true; /* run to the end: the Primary's last position is in the log */
    if (__atomic_load_n(&sh->p_positions, __ATOMIC_ACQUIRE) < positions) {
        r->waits++;
        return false; /* the Primary has not completed this position: its events may be missing */
    }
    uint64_t un = rp_unconsumed(r);
    /* A nearly full ring overrides the lag: the Primary must never wait for a Backup that waits
     * for it. The lag then reads as less than configured, in lag_min. */
    if (sh->cap - un < 2 * HS_EVENTS_PER_EXIT)
        return true;
    if (sh->lag_events && un < sh->lag_events) {
        r->waits++;
        return false;
    }
    if (sh->lag_tsc) {
        const struct hs_event *e = rp_head(r);
        uint64_t now = __atomic_load_n(&sh->p_tsc, __ATOMIC_RELAXED);
        if (e && now - e->tsc < sh->lag_tsc) {
            r->waits++;
            return false;
        }
    }
    return true;
}

/* Same exit (synchronous exit, window after it, or counter value before the next one). */
static bool same_exit(const struct hs_event *e, const struct hs_pos *p)
{
    if (e->exit_seq != p->exit_seq || !!(e->flags & EVF_WINDOW) != !!p->window || !!(e->flags & EVF_ASYNC) != !!p->async)
        return false;
    return !p->async || e->aux == p->count;
}

static bool same_pos(const struct hs_event *e, const struct hs_pos *p)
{
    return same_exit(e, p) && e->rip == p->rip && e->digest == p->digest;
}

static bool mismatch(struct replayer *r, const char *what, const struct hs_event *e, unsigned type,
                     const struct hs_pos *pos)
{
    r->diverged = true;
    r->mm.what = what;
    r->mm.seq = e ? e->seq : r->consumed + 1;
    r->mm.expected = e ? *e : (struct hs_event){ 0 };
    r->mm.actual = *pos;
    r->mm.actual_type = type;
    return false;
}

bool rp_next_is(struct replayer *r, unsigned type, const struct hs_pos *pos)
{
    const struct hs_event *e = rp_head(r);
    return e && e->type == type && same_exit(e, pos);
}

bool rp_take(struct replayer *r, unsigned type, const struct hs_pos *pos, struct hs_event *out)
{
    const struct hs_event *e = rp_head(r);
    if (!e)
        return mismatch(r, "the guest needs an input the Primary never recorded", 0, type, pos);
    if (e->type != type)
        return mismatch(r, "the guest needs another kind of input than the Primary's", e, type, pos);
    if (!same_pos(e, pos))
        return mismatch(r, "the input is needed at another position than the Primary's", e, type, pos);
    if (e->con_hash != pos->con_hash)
        return mismatch(r, "the serial output differs from the Primary's", e, type, pos);
    /* Beside the log (the same machine): the count the Primary had here, so that a counter that
     * drifted is caught at the first event after it drifted, not at the next asynchronous one. */
    if (r->sh->counts && r->sh->counts[(e->seq - 1) & (r->sh->cap - 1)] != pos->count)
        return mismatch(r, "the instruction or branch count differs from the Primary's", e, type, pos);
    *out = *e;
    uint64_t un = rp_unconsumed(r);
    if (!__atomic_load_n(&r->sh->p_stopped, __ATOMIC_ACQUIRE)) {
        if (un < r->lag_min)
            r->lag_min = un;
        if (un > r->lag_max)
            r->lag_max = un;
    }
    ring_pop(&r->cons);
    r->consumed++;
    if (out->seq == r->perturb) {
        /* Test aid: deliver something the Primary never saw, so the checker must find it. */
        switch (out->type) {
        case EV_IRQ: out->arg ^= 1; break;
        case EV_INTR: out->arg ^= 1; break;
        case EV_END: out->digest ^= 1; break;
        case EV_PIO_IN: out->value ^= 0xFF; break;  /* all bits of a byte-wide register */
        case EV_RX: out->value ^= 0x20; break;      /* another printable character */
        default: out->value = ~out->value; break;   /* TSC, RAND: far from anything the Primary saw */
        }
    }
    return true;
}

bool rp_check_passed(struct replayer *r, const struct hs_pos *pos)
{
    const struct hs_event *e = rp_head(r);
    if (!e)
        return true;
    /* An event recorded at an earlier exit than the Backup's is one it went past: at an earlier
     * synchronous exit, at that exit itself when the Backup is already at its window or at a counted
     * position after it, or at a lower count. */
    bool e_async = e->flags & EVF_ASYNC;
    bool past = e->exit_seq < pos->exit_seq ||
                (e->exit_seq == pos->exit_seq && !(e->flags & EVF_WINDOW) && !e_async && (pos->window || pos->async)) ||
                (e->exit_seq == pos->exit_seq && e_async && pos->async && e->aux < pos->count);
    if (past)
        return mismatch(r, "the Backup went past a position where the Primary took an input", e, EV_NONE, pos);
    return true;
}

void rp_stop(struct replayer *r) { __atomic_store_n(&r->sh->b_stopped, 1, __ATOMIC_RELEASE); }
