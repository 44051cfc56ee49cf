/* The Backup's landing on asynchronous events in the counter modes (icount, pmc): the VMM side of
 * replay/landing.h. Before each entry it lets the guest run to a margin short of the next event's
 * recorded count (preemption timer in icount mode, counter overflow in pmc mode) or single-steps
 * it (MTF where the CPU offers it, else TF with every exception intercepted and the TF hidden);
 * at each exit it decides whether the guest is at the event's position. */
#ifndef HS_LAND_H
#define HS_LAND_H
#include <stdbool.h>
#include "vcpu.h"

/* The icount mode's default margin: the timer is exact, so the margin only makes every landing
 * finish with a few TF steps (the path pmc needs), cheaply. */
#define LANDING_MARGIN_ICOUNT 8u
/* Steps one landing may take before it is reported as a divergence. */
#define LANDING_MAX_STEPS 1000000u

/* After an exit of a counter-mode Backup (counted, position taken): ends a landing step; marks the
 * exit as the next event's position (v->async_pos, v->pos) when count, RIP and digest match, or
 * reports a divergence when the count went past it. */
void land_after_exit(struct vcpu *v);
/* An exception exit: true if it belongs to a landing step (the step's #DB, or an exception the
 * stepped instruction raised, then delivered to the guest as its own). */
bool land_exception(struct vcpu *v);
/* Before an entry of a counter-mode Backup: arms the run or the step toward the next event. False
 * if the Backup cannot go on (a divergence was reported). */
bool land_before_entry(struct vcpu *v);
/* May the Backup execute guest code now? Only once the Primary has completed the next
 * synchronous position, so every event before it is in the log (or the Primary has stopped). */
bool land_may_run(struct vcpu *v);

#endif
