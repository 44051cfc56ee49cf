/* The text monitor for the stopped Backup: line-based over the same byte interface as the GDB
 * stub (echo, backspace, Ctrl-U, Ctrl-C; prompt "(hindsight) ").
 *
 *   monitor_init(&mon, &target, out, out_ctx);  monitor_prompt(&mon);
 *   for each byte received:        act = monitor_input(&mon, byte);   carry out act;
 *   when the guest stops again:    act = monitor_stopped(&mon, &why); carry out act (STEP again
 *                                  while a `step N` is in progress, else NONE and a prompt).
 *
 * Commands (`help` lists them): regs, x ADDR [LEN] (guest-virtual hex dump with ASCII), xp ADDR
 * [LEN] (guest-physical), v2p ADDR (the page walk), set REG VALUE, step [N], next-event,
 * continue, break ADDR|SYMBOL, delete N, info break, panic (run-to-panic), where, quit (detach).
 * Numbers: 0x-hex, decimal, a symbol, $register, and sums/differences of those (panic+0x10).
 * Every error is one line starting "error: " and the monitor keeps working. */
#ifndef HS_DEBUG_MONITOR_H
#define HS_DEBUG_MONITOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "debug/target.h"

#define MON_LINE_MAX 160
#define MON_MAX_BP 16
#define MON_MAX_DUMP 4096    /* bytes an x/xp command shows at most */
#define MON_MAX_STEPS 1000000

typedef void (*mon_out_fn)(void *ctx, const uint8_t *buf, size_t n);

struct mon_bp {
    bool used;
    uint64_t addr;
};

struct monitor {
    const struct dbg_target *t;
    mon_out_fn out;
    void *out_ctx;

    char line[MON_LINE_MAX + 1];
    size_t len;
    bool overflow, last_cr;
    uint8_t esc; /* inside a terminal escape sequence (arrow keys): 1 after ESC, 2 after ESC [ */

    bool running;            /* an action was returned and the stop not reported yet */
    enum dbg_action running_act;
    uint64_t steps_left, steps_done;

    struct mon_bp bp[MON_MAX_BP]; /* breakpoint n is bp[n - 1] */
    uint8_t mem[MON_MAX_DUMP];
};

void monitor_init(struct monitor *m, const struct dbg_target *t, mon_out_fn out, void *out_ctx);
/* Prints the prompt. */
void monitor_prompt(struct monitor *m);
/* Consumes one received byte; returns what the VMM must do. */
enum dbg_action monitor_input(struct monitor *m, uint8_t byte);
/* The guest stopped: reports where and why (at the panic position: the comparison with the
 * Primary), then the prompt. Returns DBG_ACT_STEP while a `step N` has steps left. */
enum dbg_action monitor_stopped(struct monitor *m, const struct dbg_stop *st);
bool monitor_is_running(const struct monitor *m);
/* Ends the session: clears the monitor's breakpoints in the target and the line. */
void monitor_reset(struct monitor *m);

#endif
