/* COM2's debugger: the GDB stub or the text monitor, whichever talks first.
 *
 * Until a session starts, the first meaningful byte decides: '$', '+' or 0x03 (what gdb sends
 * first) select the GDB stub, anything else the monitor (and is fed to it). NUL, 0xFF, spaces,
 * tabs and line feeds are noise before a session; a carriage return reprints the prompt. A
 * carriage return between gdb packets (gdb never sends one) means gdb went away without detaching
 * and a person is typing: the monitor takes over. When the
 * session ends (gdb detach/kill, monitor quit) the mux is undecided again, so gdb can attach after
 * the monitor and the other way round. */
#ifndef HS_DEBUG_DBGMUX_H
#define HS_DEBUG_DBGMUX_H
#include <stdint.h>
#include "debug/gdbstub.h"
#include "debug/monitor.h"

enum dbgmux_mode { DBGMUX_UNDECIDED = 0, DBGMUX_GDB, DBGMUX_MONITOR };

struct dbgmux {
    enum dbgmux_mode mode;
    struct gdb_stub *gdb;
    struct monitor *mon;
};

/* gdb and mon are initialised by the caller (gdb_init, monitor_init) over the same target and
 * output. */
void dbgmux_init(struct dbgmux *x, struct gdb_stub *gdb, struct monitor *mon);
/* The greeting on COM2 (through the monitor's output): what is there, and the prompt. */
void dbgmux_start(struct dbgmux *x);
/* One received byte; returns what the VMM must do. */
enum dbg_action dbgmux_input(struct dbgmux *x, uint8_t byte);
/* The guest stopped (after STEP, CONTINUE, NEXT_EVENT, RUN_TO_PANIC, INTERRUPT). */
enum dbg_action dbgmux_stopped(struct dbgmux *x, const struct dbg_stop *st);
/* Ends the session (also done on DETACH/KILL): both sides reset, undecided again. */
void dbgmux_reset(struct dbgmux *x);

#endif
