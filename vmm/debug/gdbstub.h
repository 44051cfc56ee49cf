/* GDB remote-serial-protocol stub for the stopped Backup: a byte-driven state machine.
 *
 *   gdb_init(&stub, &target, out, out_ctx);
 *   for each byte received on COM2:  act = gdb_input(&stub, byte);  carry out act;
 *   when the guest stops again:      act = gdb_stopped(&stub, &why); carry out act (NONE, or
 *                                    STEP again while a vCont range step is in progress).
 *
 * Replies go out through out(). Nothing here blocks or resumes the guest: resume requests are
 * returned as enum dbg_action (target.h). One thread (id 1). Registers are numbered as in the
 * target.xml the stub serves (gdb_target_xml): 0-15 rax rbx rcx rdx rsi rdi rbp rsp r8-r15,
 * 16 rip, 17 eflags, 18-23 cs ss ds es fs gs, 24-31 st0-7, 32-39 fctrl fstat ftag fiseg fioff
 * foseg fooff fop, 40-55 xmm0-15, 56 mxcsr, 57 fs_base, 58 gs_base, 59 k_gs_base, 60-65 cr0 cr2
 * cr3 cr4 cr8 efer. Memory (m, M, X) is guest-virtual, through the guest's page tables.
 *
 * Packets: qSupported (PacketSize, qXfer:features:read, QStartNoAckMode, swbreak, hwbreak),
 * qXfer:features:read:target.xml, QStartNoAckMode, ?, g, G, p, P, m, M, X, c, C, s, S, vCont?,
 * vCont (c C s S r), Z0-4/z0-4, H, T, qAttached, qC, qfThreadInfo, qsThreadInfo, qSymbol, D, k,
 * vKill, 0x03; an empty reply for anything else. The receiver undoes '}' escapes and '*'
 * run-lengths; a bad checksum is NAKed ('-', in ack mode) and the packet dropped; a packet longer
 * than the buffer is answered E01; a '$' always starts a new packet, so nothing wedges it. */
#ifndef HS_DEBUG_GDBSTUB_H
#define HS_DEBUG_GDBSTUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "debug/target.h"

#define GDB_PACKET_SIZE 4096 /* advertised PacketSize: the largest packet gdb sends, framing included */
#define GDB_NUM_REGS 66
#define GDB_MAX_BP 64        /* breakpoints/watchpoints the stub remembers (for range steps, cleanup) */

typedef void (*gdb_out_fn)(void *ctx, const uint8_t *buf, size_t n);

struct gdb_bp {
    bool used;
    uint8_t type;
    uint64_t addr, len;
};

struct gdb_stub {
    const struct dbg_target *t;
    gdb_out_fn out;
    void *out_ctx;

    /* Receiver. */
    uint8_t rx_state;
    uint8_t rx[GDB_PACKET_SIZE + 1]; /* the decoded packet data (NUL after it) */
    size_t rx_len;
    uint8_t rx_sum, rx_csum;
    bool rx_escape, rx_rle, rx_overflow, rx_bad;

    /* The last packet sent (resent on '-'). */
    uint8_t tx[GDB_PACKET_SIZE + 8];
    size_t tx_len;
    uint8_t tx_sum;
    bool tx_full;

    bool noack;          /* QStartNoAckMode accepted */
    bool running;        /* a resume was returned and the stop not reported yet */
    bool defer_stop;     /* '?' arrived while running: answer it with the stop reply */
    bool gdb_swbreak, gdb_hwbreak; /* gdb understands swbreak/hwbreak stop reasons */
    bool range;          /* vCont;r in progress: step while start <= rip < end */
    uint64_t range_start, range_end;

    /* The last stop. */
    uint8_t stop_sig;
    enum dbg_stop_reason stop_reason;
    uint64_t stop_addr;

    struct gdb_bp bp[GDB_MAX_BP];
    uint8_t mem[GDB_PACKET_SIZE / 2]; /* memory and register data of one packet */

    /* Counters (for tests and the VMM's summary). */
    uint64_t packets, bad_checksums, naks_sent, retransmits, oversize;
};

void gdb_init(struct gdb_stub *s, const struct dbg_target *t, gdb_out_fn out, void *out_ctx);
/* Consumes one received byte; returns what the VMM must do. */
enum dbg_action gdb_input(struct gdb_stub *s, uint8_t byte);
/* The VMM resumed the guest on its own: a 0x03 now means DBG_ACT_INTERRUPT. */
void gdb_running(struct gdb_stub *s);
/* The guest stopped: sends the stop reply (T05/T02 with thread, swbreak/hwbreak, watch:ADDR).
 * Returns DBG_ACT_STEP instead (and sends nothing) while a vCont range step continues. */
enum dbg_action gdb_stopped(struct gdb_stub *s, const struct dbg_stop *st);
bool gdb_is_running(const struct gdb_stub *s);
/* The receiver is between packets (not inside "$...#xx"). */
bool gdb_between_packets(const struct gdb_stub *s);
/* Ends the session: clears the breakpoints the stub set, back to ack mode and the idle receiver. */
void gdb_reset(struct gdb_stub *s);

/* The target description the stub serves as target.xml. */
const char *gdb_target_xml(void);

#endif
