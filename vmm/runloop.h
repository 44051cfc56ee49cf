/* The per-core run loop: enters guests, hands exits to exit.c, and shares one core between the
 * Primary and the Backup when they run on the same core. */
#ifndef HS_RUNLOOP_H
#define HS_RUNLOOP_H
#include "cpu.h"

/* Time slice of a vCPU sharing a core, in TSC ticks (Bochs: instructions). */
#define SCHED_SLICE_TSC 2000000ull

/* Makes the initial FPU/SSE image every guest starts from (call once, on core 0). */
void sched_init_fpu_template(void);
/* Runs the core's vCPUs until all have stopped, then reports (core 0) or halts. Never returns. */
void sched_run(struct cpu *c) __attribute__((noreturn));

#endif
