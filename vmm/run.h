/* The whole run: both guests, and its end. */
#ifndef HS_RUN_H
#define HS_RUN_H
#include "cpu.h"

/* Called by a core whose guest has stopped; core 0 waits for the others, prints the summary
 * and powers off; other cores halt. Never returns. */
void run_core_finished(struct cpu *c) __attribute__((noreturn));

#endif
