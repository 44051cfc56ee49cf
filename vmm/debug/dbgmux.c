/* GDB stub or monitor on COM2 (see dbgmux.h). */
#include "debug/dbgmux.h"
#include "lib.h"

void dbgmux_init(struct dbgmux *x, struct gdb_stub *gdb, struct monitor *mon)
{
    x->mode = DBGMUX_UNDECIDED;
    x->gdb = gdb;
    x->mon = mon;
}

void dbgmux_start(struct dbgmux *x)
{
    static const char banner[] =
        "\r\nhindsight: the Backup is stopped. Type 'help' for the monitor, or attach gdb "
        "(gdb vmlinux, then target remote) to this port.\r\n";
    if (x->mon->out)
        x->mon->out(x->mon->out_ctx, (const uint8_t *)banner, sizeof(banner) - 1);
    monitor_prompt(x->mon);
}

void dbgmux_reset(struct dbgmux *x)
{
    gdb_reset(x->gdb);
    monitor_reset(x->mon);
    x->mode = DBGMUX_UNDECIDED;
}

/* A session ended: undecided again (the stub's last reply has been sent). */
static enum dbg_action ended(struct dbgmux *x, enum dbg_action act)
{
    if (act == DBG_ACT_DETACH || act == DBG_ACT_KILL)
        dbgmux_reset(x);
    return act;
}

enum dbg_action dbgmux_input(struct dbgmux *x, uint8_t b)
{
    if (x->mode == DBGMUX_UNDECIDED) {
        if (b == '$' || b == '+' || b == 0x03) {
            x->mode = DBGMUX_GDB;
        } else if (b == 0 || b == 0xFF || b == ' ' || b == '\t' || b == '\n') {
            return DBG_ACT_NONE;
        } else if (b == '\r') {
            if (x->mon->out)
                x->mon->out(x->mon->out_ctx, (const uint8_t *)"\r\n", 2);
            monitor_prompt(x->mon);
            return DBG_ACT_NONE;
        } else {
            x->mode = DBGMUX_MONITOR;
        }
    }
    if (x->mode == DBGMUX_GDB) {
        if (b == '\r' && gdb_between_packets(x->gdb)) {
            /* gdb never sends a CR between packets: a person at a terminal after gdb went away
             * without detaching. Over to the monitor. */
            bool running = gdb_is_running(x->gdb);
            gdb_reset(x->gdb);
            x->mode = DBGMUX_MONITOR;
            if (x->mon->out)
                x->mon->out(x->mon->out_ctx, (const uint8_t *)"\r\n", 2);
            if (running) { /* the guest still runs: Ctrl-C stops it, then the stop is reported */
                static const char msg[] = "the guest is running: Ctrl-C stops it\r\n";
                x->mon->running = true;
                x->mon->running_act = DBG_ACT_CONTINUE;
                if (x->mon->out)
                    x->mon->out(x->mon->out_ctx, (const uint8_t *)msg, sizeof(msg) - 1);
            } else {
                monitor_prompt(x->mon);
            }
            return DBG_ACT_NONE;
        }
        return ended(x, gdb_input(x->gdb, b));
    }
    return ended(x, monitor_input(x->mon, b));
}

enum dbg_action dbgmux_stopped(struct dbgmux *x, const struct dbg_stop *st)
{
    if (x->mode == DBGMUX_GDB)
        return ended(x, gdb_stopped(x->gdb, st));
    if (x->mode == DBGMUX_MONITOR)
        return ended(x, monitor_stopped(x->mon, st));
    return DBG_ACT_NONE;
}
