/* The COM2 debugger (dbgmux: GDB stub or monitor) served over TCP on 127.0.0.1 with the fake
 * target of dbg_fake.h, for tests/host/gdb_stub.py: the real gdb (or a script playing a person at
 * the monitor) talks to it exactly as it would to the Backup's COM2.
 *
 *   build/gdbstub_server [--port N] [--limit SECONDS] [--no-banner]
 *
 * Prints "port N" once it listens (N chosen by the kernel if --port is 0 or absent), serves one
 * connection, and prints "session ended: detach|kill|eof, steps N" when it ends. The simulated
 * CPU executes one-byte instructions (rip += 1); continue runs until a breakpoint, a write or
 * access watchpoint (which the fake "hits" three instructions later by incrementing the watched
 * byte), Ctrl-C, or --limit seconds (then: the end of the replay). next-event runs 3 instructions;
 * run-to-panic jumps to the symbol panic, where the Backup equals the Primary.
 *
 * Only built with -DHS_GDBSTUB_SERVER (make build/gdbstub_server); the unit-test build sees an
 * empty file. */
#ifdef HS_GDBSTUB_SERVER
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "dbg_fake.h"
#include "debug/dbgmux.h"

static int conn = -1;
static bool conn_eof;
static struct fake F;
static struct gdb_stub G;
static struct monitor M;
static struct dbgmux X;
static double limit_s = 30;

static void out(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    while (n && conn >= 0) {
        ssize_t w = write(conn, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        b += w;
        n -= (size_t)w;
    }
}

/* One received byte: >= 0, -1 on timeout, -2 at the end of the connection. */
static int get_byte(int timeout_ms)
{
    struct pollfd p = { conn, POLLIN, 0 };
    int r = poll(&p, 1, timeout_ms);
    if (r == 0)
        return -1;
    if (r < 0)
        return errno == EINTR ? -1 : -2;
    uint8_t b;
    ssize_t n = read(conn, &b, 1);
    if (n == 1)
        return b;
    conn_eof = true;
    return -2;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The write/access watchpoint the fake will "hit", if any. */
static const struct fake_bp *watched(void)
{
    for (unsigned i = 0; i < FAKE_MAX_BP; i++)
        if (F.bp[i].used && (F.bp[i].type == DBG_WP_WRITE || F.bp[i].type == DBG_WP_ACCESS))
            return &F.bp[i];
    return NULL;
}

static enum dbg_action session_end = DBG_ACT_NONE;

/* Runs the guest for act; returns why it stopped. Bytes arriving meanwhile go to the mux
 * (Ctrl-C interrupts). */
static struct dbg_stop execute(enum dbg_action act)
{
    if (act == DBG_ACT_STEP) {
        fake_step(&F);
        return (struct dbg_stop){ DBG_STOP_STEP, 0, NULL };
    }
    if (act == DBG_ACT_NEXT_EVENT) {
        for (int i = 0; i < 3; i++)
            fake_step(&F);
        F.pos.events_replayed++;
        static char msg[64];
        snprintf(msg, sizeof(msg), "event %llu: io-in port 0x3f8 value 0x41",
                 (unsigned long long)F.pos.events_replayed);
        return (struct dbg_stop){ DBG_STOP_EVENT, 0, msg };
    }
    if (act == DBG_ACT_RUN_TO_PANIC) {
        F.regs.rip = F.pos.panic_rip;
        F.pos.exit_seq = F.pos.panic_exit_seq;
        F.pos.events_replayed = F.pos.events_total;
        F.panic = (struct dbg_panic_check){ true, F.pos.panic_exit_seq, F.pos.panic_exit_seq, F.pos.panic_rip,
                                            F.pos.panic_rip, 0x5eed, 0x5eed, 0xfeedface, 0xfeedface };
        return (struct dbg_stop){ DBG_STOP_PANIC, 0, NULL };
    }
    /* CONTINUE */
    double end = now() + limit_s;
    const struct fake_bp *w = watched();
    unsigned n = 0;
    for (;;) {
        for (int i = 0; i < 1000; i++) {
            fake_step(&F);
            n++;
            if (fake_bp_at(&F, F.regs.rip)) {
                for (unsigned k = 0; k < FAKE_MAX_BP; k++)
                    if (F.bp[k].used && F.bp[k].type <= DBG_BP_HW && F.bp[k].addr == F.regs.rip)
                        return (struct dbg_stop){ F.bp[k].type == DBG_BP_SW ? DBG_STOP_SWBREAK : DBG_STOP_HWBREAK,
                                                  F.regs.rip, NULL };
            }
            if (w && n == 3) {
                uint8_t b = 0;
                dbg_read_virt(&F.t, &F.regs, w->addr, &b, 1, NULL, 0);
                b++;
                dbg_write_virt(&F.t, &F.regs, w->addr, &b, 1, NULL, 0);
                return (struct dbg_stop){ w->type == DBG_WP_WRITE ? DBG_STOP_WATCH : DBG_STOP_AWATCH, w->addr, NULL };
            }
        }
        int c;
        while ((c = get_byte(1)) >= 0) {
            enum dbg_action a = dbgmux_input(&X, (uint8_t)c);
            if (a == DBG_ACT_INTERRUPT)
                return (struct dbg_stop){ DBG_STOP_INTERRUPT, 0, NULL };
            if (a == DBG_ACT_DETACH || a == DBG_ACT_KILL) {
                session_end = a;
                return (struct dbg_stop){ DBG_STOP_INTERRUPT, 0, NULL };
            }
        }
        if (c == -2)
            return (struct dbg_stop){ DBG_STOP_END, 0, "connection closed" };
        if (now() > end)
            return (struct dbg_stop){ DBG_STOP_END, 0, "the end of the log" };
    }
}

int main(int argc, char **argv)
{
    int port = 0;
    bool banner = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--limit") && i + 1 < argc)
            limit_s = atof(argv[++i]);
        else if (!strcmp(argv[i], "--no-banner"))
            banner = false;
        else {
            fprintf(stderr, "usage: gdbstub_server [--port N] [--limit SECONDS] [--no-banner]\n");
            return 2;
        }
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
        getsockname(ls, (struct sockaddr *)&a, &al)) {
        perror("gdbstub_server: listen");
        return 1;
    }
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    conn = accept(ls, NULL, NULL);
    if (conn < 0) {
        perror("gdbstub_server: accept");
        return 1;
    }
    setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    close(ls);

    fake_init(&F, 32ull << 20);
    F.hw_supported = true;
    gdb_init(&G, &F.t, out, NULL);
    monitor_init(&M, &F.t, out, NULL);
    dbgmux_init(&X, &G, &M);
    if (banner)
        dbgmux_start(&X);

    const char *how = "eof";
    while (session_end == DBG_ACT_NONE) {
        int c = get_byte(60000);
        if (c == -1) {
            how = "idle";
            break;
        }
        if (c < 0)
            break;
        enum dbg_action act = dbgmux_input(&X, (uint8_t)c);
        while (act != DBG_ACT_NONE && act != DBG_ACT_INTERRUPT) {
            if (act == DBG_ACT_DETACH || act == DBG_ACT_KILL) {
                session_end = act;
                break;
            }
            struct dbg_stop st = execute(act);
            if (session_end != DBG_ACT_NONE || conn_eof)
                break;
            act = dbgmux_stopped(&X, &st);
        }
        if (conn_eof)
            break;
    }
    if (session_end == DBG_ACT_DETACH)
        how = "detach";
    else if (session_end == DBG_ACT_KILL)
        how = "kill";
    printf("session ended: %s, steps %llu, packets %llu, bad checksums %llu\n", how, (unsigned long long)F.steps,
           (unsigned long long)G.packets, (unsigned long long)G.bad_checksums);
    fflush(stdout);
    close(conn);
    fake_free(&F);
    return 0;
}
#else
typedef int hs_gdbstub_server_not_built; /* keeps the translation unit non-empty */
#endif
