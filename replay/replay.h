/* Recorder (the Primary's side) and replayer (the Backup's side) of the event log, over the SPSC
 * ring of ringbuf/ring.h. Pure logic: positions come in as values, so the same code runs in the
 * VMM and in the hosted unit tests. The VMM glue that reads positions from the VMCS and applies
 * values to the guest is vmm/nd.c. */
#ifndef HS_REPLAY_H
#define HS_REPLAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../ringbuf/ring.h"
#include "digest.h"
#include "event.h"
#include "codec.h"

/* The most events one exit can record (an input, a timer edge, received bytes, an injection, the
 * end): the Primary handles an exit only when the ring has this much room, so it never stalls
 * half-way through one. */
#define HS_EVENTS_PER_EXIT 24u

/* A position: where in the guest's execution an event happened. */
struct hs_pos {
    uint64_t exit_seq;
    uint64_t rip;
    uint64_t digest;
    uint32_t con_hash;
    uint8_t window; /* at an interrupt-window exit after exit_seq */
    uint8_t async;  /* counter modes: between exit_seq and the next synchronous exit, at `count` */
    uint64_t count; /* the counter there (guest instructions, or retired conditional branches) */
};

/* State both cores see (VMM memory, outside both guests). */
struct hs_shared {
    void *ring_mem;
    size_t ring_size;
    uint64_t cap;               /* ring capacity in events */
    struct hs_regs *regs;       /* cap slots: the Primary's registers for the event in that ring slot */
    uint64_t *counts;           /* cap slots or NULL: the Primary's counter at that event (counter modes),
                                 * checked by the Backup at every event, synchronous ones included */
    uint64_t lag_events;        /* hold this many events back (0: none) */
    uint64_t lag_tsc;           /* or this much of the Primary's time */
    /* Written by the Primary, read by the Backup. */
    uint64_t p_positions;       /* positions the Primary has completed (events published first) */
    uint64_t p_tsc;             /* the Primary's TSC at that publication */
    int p_stopped;              /* the Primary recorded its EV_END (the fields below first) */
    unsigned p_outcome;         /* its outcome code (HS_OUTCOMES) */
    uint64_t p_end_seq;         /* the EV_END's event number */
    uint64_t p_end_tsc;         /* the Primary's clock at its end */
    uint64_t p_end_exit_seq;    /* its final position */
    uint64_t p_end_rip;
    uint64_t p_end_digest;
    /* Written by the Backup, read by the Primary. */
    int b_stopped;              /* the Backup stopped (replayed to the end, or diverged): record no more */
};

struct recorder {
    struct ring_prod prod;
    struct hs_shared *sh;
    uint64_t seq;               /* events recorded */
    uint64_t stalls;            /* times the Primary waited for room in the ring */
    bool stalled;               /* waiting now (counted once per wait) */
    bool off;                   /* the Backup is gone: nothing is recorded any more */
    struct hs_compact compact;  /* the log's compact encoding (docs/replay-log.md) */
    uint64_t log_bytes;         /* bytes of the log in that encoding */
    void (*sink)(const uint8_t *bytes, size_t n); /* optional: the log leaves the machine */
};

/* Why the Backup stopped believing the log. */
struct hs_mismatch {
    uint64_t seq;               /* event number concerned (0: none left) */
    const char *what;           /* short reason */
    struct hs_event expected;   /* the event at the head of the log (type EV_NONE if none) */
    struct hs_pos actual;       /* the Backup's position */
    unsigned actual_type;       /* the kind of input the Backup asked for */
};

struct replayer {
    struct ring_cons cons;
    struct hs_shared *sh;
    uint64_t consumed;          /* events replayed */
    uint64_t lag_min, lag_max;  /* unconsumed events when the Backup took one, while the Primary ran */
    uint64_t waits;             /* times the Backup waited for the Primary or the lag */
    uint64_t perturb;           /* event number whose value is altered (0: none) */
    bool diverged;
    struct hs_mismatch mm;
    bool ended;                 /* replayed the Primary's EV_END ... */
    struct hs_event end;        /* ... this one (its state hash and console length, for the summary) */
};

/* Sets up the shared part: the ring in ring_mem (ring_bytes(HS_EVENT_SIZE, cap) bytes) and cap
 * register slots; returns 0 or a RING_E_* status. */
int hs_shared_init(struct hs_shared *sh, void *ring_mem, size_t ring_size, uint64_t cap, struct hs_regs *regs);
/* Checks that a lag fits the ring: 0, or -1 with a message. */
int hs_lag_check(uint64_t cap, uint64_t lag_events, char *err, size_t errlen);

/* Attaches the Primary's recorder. */
int rec_init(struct recorder *r, struct hs_shared *sh);
/* True if an exit may be handled now: room for HS_EVENTS_PER_EXIT events (else counts a stall). */
bool rec_room(struct recorder *r);
/* Records one event at pos (regs: the full register file kept beside it for divergence reports). */
void rec_event(struct recorder *r, unsigned type, unsigned flags, unsigned arg, const struct hs_pos *pos,
               uint64_t value, uint64_t aux, uint64_t tsc, const struct hs_regs *regs);
/* Publishes the events of a completed position (positions: the count so far) with the time. */
void rec_publish(struct recorder *r, uint64_t positions, uint64_t tsc);
/* Publishes the end (after rec_event(EV_END)); the Backup then runs to it without holding back. */
void rec_stop(struct recorder *r, uint64_t tsc);

/* Attaches the Backup's replayer. */
int rp_init(struct replayer *r, struct hs_shared *sh, uint64_t perturb);
/* May the Backup handle its position number `positions` now? False: wait (the Primary has not
 * got there, or the lag holds the Backup back). */
bool rp_gate(struct replayer *r, uint64_t positions);
/* The next unreplayed event, or NULL. */
const struct hs_event *rp_head(struct replayer *r);
/* True if the next event is of `type` at this exit (exit_seq and window; rp_take checks RIP and digest). */
bool rp_next_is(struct replayer *r, unsigned type, const struct hs_pos *pos);
/* Takes the next event, which must be of `type` at pos; fills *out (value perturbed if asked).
 * On a mismatch records why in r->mm, sets r->diverged and returns false. */
bool rp_take(struct replayer *r, unsigned type, const struct hs_pos *pos, struct hs_event *out);
/* Checks that no event was left behind before pos (called at every position); false = diverged. */
bool rp_check_passed(struct replayer *r, const struct hs_pos *pos);
/* The Primary's register file for the event at the head (for the divergence report), or NULL. */
const struct hs_regs *rp_head_regs(struct replayer *r);
/* Events published and not yet replayed. */
uint64_t rp_unconsumed(struct replayer *r);
/* Marks the Backup stopped, so that the Primary stops recording. */
void rp_stop(struct replayer *r);

#endif
