/* The Backup's debugger on COM2 (DESIGN.md "Panic, freeze, debug"): after the Primary panics, the
 * Backup is held the configured lag before the panic, and COM2 serves the text monitor or the GDB
 * stub of vmm/debug/ over it. This file carries out what they ask: registers and memory through
 * the VMCS and the guest's page tables, single steps (TF with #DB intercepted, TF hidden from the
 * guest), breakpoints and watchpoints in the VMM's own debug registers (guest RAM is never
 * patched), and running on through the log. */
#ifndef HS_DBG_H
#define HS_DBG_H
#include <stdbool.h>
#include <stddef.h>
#include "vcpu.h"

struct dbgctl;

/* Attaches a debugger to the Backup (config debugger=com2); where: how the user reaches COM2;
 * map: the guest kernel's System.map (the `symbols` module), or NULL. */
void dbg_attach(struct vcpu *v, const char *where, const char *map, size_t map_len);
/* At a position of the Backup, before it is handled: true if the Backup stops here (the hold
 * before the panic, a next-event request, a break-in). */
bool dbg_stop_at_position(struct vcpu *v);
/* True while the debugger keeps the Backup stopped (the run loop then calls dbg_serve). */
bool dbg_stopped(const struct vcpu *v);
/* Serves COM2 while the Backup is stopped; carries out the action. */
enum exit_result dbg_serve(struct vcpu *v);
/* Before a VM entry of the Backup: arms stepping, breakpoints, the preemption timer for a step. */
void dbg_before_entry(struct vcpu *v);
/* An exception exit of the Backup (#DB of a step or a breakpoint, an exception during a step):
 * true if the debugger took it. */
bool dbg_exception(struct vcpu *v);
/* A preemption-timer exit: true if it ended a step (the one after an injected event). */
bool dbg_timer(struct vcpu *v);
/* After a position's handling (the exit's instruction has executed): ends a step over it. */
void dbg_after_position(struct vcpu *v, bool injected);
/* The Backup reached the end of the log (the Primary's final position) or would stop: true if
 * the debugger keeps it (stopped there) instead of ending it. */
bool dbg_reached_end(struct vcpu *v);
/* True while the engaged debugger single-steps v (it owns TF and the timer for the step). */
bool dbg_stepping(const struct vcpu *v);
/* True when a debugger is attached to v and engaged (the Primary panicked). */
bool dbg_engaged(const struct vcpu *v);

#endif
