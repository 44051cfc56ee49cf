/* Landing an asynchronous event on the Backup (DESIGN.md "Positions", icount and pmc modes).
 *
 * The Primary delivered an interrupt (or took an input) at an arbitrary instruction and recorded
 * where: the value of a guest-mode counter there (instructions in icount mode, retired conditional
 * branches in pmc mode), RIP and the register digest. The Backup finds that instruction again: it
 * lets the guest run until the counter is a margin short of the target (the counter's interrupt
 * may skid past the programmed point: rr measured up to about 100 branches on Intel), then
 * single-steps until count, RIP and digest all match. A count that is already past the target, or
 * that moves past it while no instruction matched, is a divergence: never guessed past.
 *
 * In icount mode every instruction (and every REP iteration) has its own count, so a match is
 * decided at the first step that reaches the target. In pmc mode many instructions share a count
 * (straight-line code, loops without conditional branches, REP iterations): the Backup steps
 * through all of them and the digest (RCX for a REP) decides.
 *
 * Pure logic: the VMM (vmm/land.c) and the hosted tests (a simulated CPU with skid) drive it. */
#ifndef HS_REPLAY_LANDING_H
#define HS_REPLAY_LANDING_H
#include <stdbool.h>
#include <stdint.h>

/* What the Backup does next on its way to a recorded position. */
enum land_action {
    LAND_RUN,      /* let the guest run: program the counter to stop `run_for` counts from now */
    LAND_STEP,     /* execute exactly one instruction (one REP iteration) and ask again */
    LAND_ARRIVED,  /* count, RIP and digest match: deliver the event now */
    LAND_OVERSHOT, /* the counter stopped past the target (skid beyond the margin): divergence */
    LAND_PASSED,   /* stepping moved the count past the target with no match: divergence */
    LAND_TOO_MANY, /* more single-steps than the limit without a match: divergence */
};

/* One landing in progress. */
struct landing {
    uint64_t target;     /* the recorded counter value */
    uint64_t rip;        /* the recorded RIP ... */
    uint64_t digest;     /* ... and register digest */
    uint64_t margin;     /* stop the free run this many counts short of the target */
    uint64_t max_steps;  /* give up (divergence) after this many steps (0: no limit) */
    uint64_t steps;      /* single-steps taken so far */
    bool stepped;        /* at least one step taken (an overshoot after it is LAND_PASSED) */
    bool active;
};

/* Starts a landing at a recorded position. */
void land_start(struct landing *l, uint64_t target, uint64_t rip, uint64_t digest, uint64_t margin,
                uint64_t max_steps);
/* The next action given where the Backup is now (its counter, RIP and digest); for LAND_RUN,
 * *run_for is how many counts to let pass before stopping (always at least 1). A LAND_STEP
 * result counts one step: call it once per stop. */
enum land_action land_next(struct landing *l, uint64_t count, uint64_t rip, uint64_t digest, uint64_t *run_for);
/* Ends the landing (arrived or abandoned). */
void land_end(struct landing *l);
/* A sentence for a divergence action (LAND_OVERSHOT, LAND_PASSED, LAND_TOO_MANY). */
const char *land_why(enum land_action a);

#endif
