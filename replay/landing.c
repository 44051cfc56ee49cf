/* The landing state machine: see landing.h. */
#include "landing.h"

void land_start(struct landing *l, uint64_t target, uint64_t rip, uint64_t digest, uint64_t margin,
                uint64_t max_steps)
{
    *l = (struct landing){ target, rip, digest, margin, max_steps, 0, false, true };
}

void land_end(struct landing *l) { l->active = false; }

enum land_action land_next(struct landing *l, uint64_t count, uint64_t rip, uint64_t digest, uint64_t *run_for)
{
    if (count > l->target)
        return l->stepped ? LAND_PASSED : LAND_OVERSHOT;
    if (count == l->target && rip == l->rip && digest == l->digest)
        return LAND_ARRIVED;
    /* Far enough away for the counter: run to a margin short of the target. At the target with no
     * match yet (pmc: instructions that share the count), only stepping can tell them apart. */
    if (count < l->target && l->target - count > l->margin) {
        *run_for = l->target - count - l->margin;
        return LAND_RUN;
    }
    if (l->max_steps && l->steps >= l->max_steps)
        return LAND_TOO_MANY;
    l->steps++;
    l->stepped = true;
    return LAND_STEP;
}

const char *land_why(enum land_action a)
{
    switch (a) {
    case LAND_OVERSHOT: return "the counter stopped past the recorded count (skid larger than the margin)";
    case LAND_PASSED: return "single-stepping went past the recorded count without matching RIP and registers";
    case LAND_TOO_MANY: return "too many single-steps without reaching the recorded position";
    default: return "no divergence";
    }
}
