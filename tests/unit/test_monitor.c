/* The text monitor (vmm/debug/monitor.c) and the COM2 mux (dbgmux.c) against the fake target:
 * every command, line editing, and bad input (unknown command, bad number, address outside RAM,
 * unmapped virtual address...) answered with one "error: " line and a working prompt after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dbg_fake.h"
#include "debug/dbgmux.h"
#include "debug/monitor.h"

#define MiB (1ull << 20)
#define PROMPT "(hindsight) "

struct sink {
    char buf[1 << 17];
    size_t n;
};

static void sink_out(void *ctx, const uint8_t *b, size_t n)
{
    struct sink *s = ctx;
    if (s->n + n >= sizeof(s->buf)) {
        hs_fail(__FILE__, __LINE__, "output sink overflow");
        return;
    }
    memcpy(s->buf + s->n, b, n);
    s->n += n;
    s->buf[s->n] = 0;
}

static struct fake F;
static struct monitor M;
static struct sink O;

static void setup(void)
{
    fake_init(&F, 32 * MiB);
    memset(&O, 0, sizeof(O));
    monitor_init(&M, &F.t, sink_out, &O);
}

static enum dbg_action type(const char *s)
{
    enum dbg_action act = DBG_ACT_NONE;
    for (; *s; s++) {
        enum dbg_action a = monitor_input(&M, (uint8_t)*s);
        if (a != DBG_ACT_NONE)
            act = a;
    }
    return act;
}

/* Types line and Enter; returns the output after the echoed line, and the action in *act. */
static const char *cmd_act(const char *line, enum dbg_action *act)
{
    O.n = 0;
    O.buf[0] = 0;
    type(line);
    enum dbg_action a = monitor_input(&M, '\r');
    if (act)
        *act = a;
    size_t echo = strlen(line) + 2;
    if (O.n < echo || strncmp(O.buf, line, strlen(line)) || strncmp(O.buf + strlen(line), "\r\n", 2)) {
        hs_fail(__FILE__, __LINE__, "'%s' not echoed: '%s'", line, O.buf);
        return O.buf;
    }
    return O.buf + echo;
}

static const char *cmd(const char *line)
{
    return cmd_act(line, NULL);
}

static bool ends_with_prompt(const char *out)
{
    size_t n = strlen(out), p = strlen(PROMPT);
    return n >= p && !strcmp(out + n - p, PROMPT);
}

/* line gets exactly one line, "error: ..." containing what, then the prompt. */
static void expect_error(const char *line, const char *what)
{
    const char *out = cmd(line);
    if (strncmp(out, "error: ", 7) || !strstr(out, what) || !ends_with_prompt(out))
        hs_fail(__FILE__, __LINE__, "'%s' gave '%s', expected one error line with '%s'", line, out, what);
    const char *nl = strstr(out, "\r\n");
    if (!nl || strcmp(nl + 2, PROMPT))
        hs_fail(__FILE__, __LINE__, "'%s': not exactly one line before the prompt: '%s'", line, out);
}

TEST(mon_help_lists_every_command)
{
    setup();
    const char *out = cmd("help");
    static const char *const cmds[] = { "help", "regs", "x ADDR [LEN]", "xp ADDR [LEN]", "v2p ADDR", "set REG VALUE",
                                        "step [N]", "next-event", "continue", "break ADDR|SYMBOL", "delete N",
                                        "info break", "panic", "run-to-panic", "where", "quit", "detach" };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        CHECK_CONTAINS(out, cmds[i]);
    CHECK(ends_with_prompt(out));
    CHECK(!strstr(out, "\n\n"));
    /* Every line ends with CR LF. */
    for (const char *p = strchr(out, '\n'); p; p = strchr(p + 1, '\n'))
        CHECK_EQ(p[-1], '\r');
}

TEST(mon_line_editing)
{
    setup();
    monitor_prompt(&M);
    CHECK_STREQ(O.buf, PROMPT);
    O.n = 0;
    type("wherx");
    CHECK_STREQ(O.buf, "wherx");
    O.n = 0;
    type("\x7f" "e");
    CHECK_STREQ(O.buf, "\b \be");
    O.n = 0;
    monitor_input(&M, '\r');
    CHECK_CONTAINS(O.buf, "exit_seq 1000");
    /* CR LF is one Enter; a lone LF is one too. */
    O.n = 0;
    type("\r\n\n");
    CHECK_STREQ(O.buf, "\r\n" PROMPT "\r\n" PROMPT);
    /* Ctrl-U erases, Ctrl-C drops the line, backspace on an empty line does nothing. */
    O.n = 0;
    type("abc\x15");
    CHECK_STREQ(O.buf, "abc\b \b\b \b\b \b");
    O.n = 0;
    type("abc\x03");
    CHECK_STREQ(O.buf, "abc^C\r\n" PROMPT);
    O.n = 0;
    type("\x08\x7f");
    CHECK_EQ(O.n, 0);
    /* Arrow keys and other control bytes are ignored; non-ASCII too. */
    O.n = 0;
    type("\x1b[A\x1b[1;5D\x01\x80\xffwhere");
    CHECK_STREQ(O.buf, "where");
    O.n = 0;
    monitor_input(&M, '\r');
    CHECK_CONTAINS(O.buf, "exit_seq 1000");
    /* A line too long: one error, and the monitor still works. */
    char longline[MON_LINE_MAX + 50];
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = 0;
    O.n = 0;
    type(longline);
    monitor_input(&M, '\r');
    CHECK_CONTAINS(O.buf, "error: line too long");
    CHECK(ends_with_prompt(O.buf));
    CHECK_CONTAINS(cmd("where"), "exit_seq");
}

TEST(mon_regs)
{
    setup();
    F.regs.rax = 0x1234;
    F.regs.r15 = 0xdeadbeef;
    const char *out = cmd("regs");
    CHECK_CONTAINS(out, "rax 0x0000000000001234");
    CHECK_CONTAINS(out, "r15 0x00000000deadbeef");
    CHECK_CONTAINS(out, "rip 0xffffffff81000000 <startup_64>");
    CHECK_CONTAINS(out, "rflags 0x246 [ PF ZF IF ]");
    CHECK_CONTAINS(out, "cs 0x10  ss 0x18");
    CHECK_CONTAINS(out, "k_gs_base 0x0");
    CHECK_CONTAINS(out, "cr0 0x80050033");
    CHECK_CONTAINS(out, "efer 0xd01 (paging: 4-level)");
    CHECK(ends_with_prompt(out));
    CHECK_CONTAINS(cmd("info regs"), "rax 0x0000000000001234");
    expect_error("regs now", "usage: regs");
    F.t.get_regs = NULL;
    expect_error("regs", "cannot read the guest's registers");
}

TEST(mon_x_virtual)
{
    setup();
    const char *out = cmd("x linux_banner 16");
    CHECK_CONTAINS(out, "ffffffff81200000: 4c 69 6e 75 78 20 76 65 72 73 69 6f 6e 20 36 2e  |Linux version 6.|");
    CHECK(ends_with_prompt(out));
    /* Default length 64: four lines. */
    out = cmd("x 0xffffffff81000000");
    unsigned lines = 0;
    for (const char *p = out; (p = strstr(p, "|\r\n")); p++)
        lines++;
    CHECK_EQ(lines, 4);
    /* Symbol+offset, $register, decimal, a short last line. */
    out = cmd("x linux_banner+0x6 7");
    CHECK_CONTAINS(out, "ffffffff81200006: 76 65 72 73 69 6f 6e"
                        "                             |version|");
    out = cmd("x $rip 4");
    CHECK_CONTAINS(out, "ffffffff81000000: 90 90 90 90");
    out = cmd("x 4096 2");
    CHECK_CONTAINS(out, "0000000000001000: 00 00");
    out = cmd("x $rsp-0x10 1");
    CHECK_CONTAINS(out, "ffffffff813ffff0: 90");
    /* The end of the mapping: what could be read, then one error. */
    out = cmd("x 0xffffffff817ffff8 16");
    CHECK_CONTAINS(out, "ffffffff817ffff8: 90 90 90 90 90 90 90 90 ");
    CHECK_CONTAINS(out, "error: cannot read 0xffffffff81800000");
    CHECK_CONTAINS(out, "not present");
    CHECK(ends_with_prompt(out));
    /* Errors. */
    expect_error("x 0xffff888000000000", "not present");
    expect_error("x 0x800000000000 4", "not canonical");
    expect_error("x 12zz", "bad number '12zz'");
    expect_error("x 0x", "bad number '0x'");
    expect_error("x nosuchsym", "unknown symbol 'nosuchsym'");
    expect_error("x $nosuchreg", "unknown register '$nosuchreg'");
    expect_error("x linux_banner+", "bad number 'linux_banner+'");
    expect_error("x a@b", "bad number 'a@b'");
    expect_error("x", "usage: x ADDR [LEN]");
    expect_error("x 1 2 3", "usage: x ADDR [LEN]");
    expect_error("x 0 0", "LEN must be 1..4096");
    expect_error("x 0 5000", "LEN must be 1..4096");
    expect_error("x 0 99999999999999999999999", "bad number");
    CHECK_CONTAINS(cmd("x linux_banner 5"), "|Linux|");
}

TEST(mon_xp_physical)
{
    setup();
    const char *out = cmd("xp 0x1200000 13");
    CHECK_CONTAINS(out, "0000000001200000: 4c 69 6e 75 78 20 76 65 72 73 69 6f 6e");
    expect_error("xp 0x2000000", "outside guest RAM");
    expect_error("xp 0xffffffffffffffff 16", "outside guest RAM");
    out = cmd("xp 0x1fffff8 16");
    CHECK_CONTAINS(out, "0000000001fffff8: 00 00 00 00 00 00 00 00 ");
    CHECK_CONTAINS(out, "error: cannot read 0x2000000: pa 0x2000000 is outside guest RAM");
    expect_error("xp", "usage: xp ADDR [LEN]");
}

TEST(mon_v2p)
{
    setup();
    CHECK_CONTAINS(cmd("v2p linux_banner+3"), "va 0xffffffff81200003 -> pa 0x1200003 (paging: 4-level");
    expect_error("v2p 0xffff888000000000", "PML4E[273]");
    expect_error("v2p", "usage: v2p ADDR");
}

TEST(mon_set)
{
    setup();
    CHECK_CONTAINS(cmd("set rax 0x1234"), "rax = 0x1234");
    CHECK_EQ(F.regs.rax, 0x1234);
    CHECK_CONTAINS(cmd("set $rbx 10"), "rbx = 0xa");
    CHECK_EQ(F.regs.rbx, 10);
    CHECK_CONTAINS(cmd("set rip panic+4"), "rip = 0xffffffff81001004");
    CHECK_EQ(F.regs.rip, 0xffffffff81001004ull);
    CHECK_CONTAINS(cmd("set cs 0x33"), "cs = 0x33");
    CHECK_EQ(F.regs.cs, 0x33);
    CHECK_CONTAINS(cmd("set cr3 $cr3+0x1000-0x1000"), "cr3 = 0x10000");
    expect_error("set cs 0x10000", "16 bits");
    expect_error("set foo 1", "unknown register 'foo'");
    expect_error("set rax", "usage: set REG VALUE");
    expect_error("set rax zz9", "unknown symbol 'zz9'");
    F.regs_readonly = true;
    expect_error("set rax 1", "refused");
}

TEST(mon_step)
{
    setup();
    enum dbg_action act;
    const char *out = cmd_act("step", &act);
    CHECK_EQ(act, DBG_ACT_STEP);
    CHECK(!ends_with_prompt(out)); /* no prompt while the guest runs */
    CHECK(monitor_is_running(&M));
    fake_step(&F);
    O.n = 0;
    struct dbg_stop st = { DBG_STOP_STEP, 0, NULL };
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_NONE);
    CHECK_CONTAINS(O.buf, "stepped 1 instruction\r\n");
    CHECK_CONTAINS(O.buf, "rip 0xffffffff81000001 <startup_64+0x1>");
    CHECK(ends_with_prompt(O.buf));
    /* step N: the monitor asks for the next step itself. */
    cmd_act("step 3", &act);
    CHECK_EQ(act, DBG_ACT_STEP);
    fake_step(&F);
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_STEP);
    fake_step(&F);
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_STEP);
    fake_step(&F);
    O.n = 0;
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_NONE);
    CHECK_CONTAINS(O.buf, "stepped 3 instructions");
    CHECK_EQ(F.regs.rip, 0xffffffff81000004ull);
    /* A breakpoint during step N ends it. */
    cmd_act("s 10", &act);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_SWBREAK, 0xffffffff81000005ull, NULL };
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_NONE);
    CHECK_CONTAINS(O.buf, "breakpoint at 0xffffffff81000005");
    expect_error("step 0", "N must be 1..1000000");
    expect_error("step 1000001", "N must be 1..1000000");
    expect_error("step abc", "bad number 'abc'");
    expect_error("step 1 2", "usage: step [N]");
}

TEST(mon_next_event_continue_interrupt)
{
    setup();
    enum dbg_action act;
    const char *out = cmd_act("next-event", &act);
    CHECK_EQ(act, DBG_ACT_NEXT_EVENT);
    CHECK_CONTAINS(out, "running to the next recorded event");
    O.n = 0;
    struct dbg_stop st = { DBG_STOP_EVENT, 0, "event 43: io-in port 0x3f8 value 0x41" };
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_NONE);
    CHECK_CONTAINS(O.buf, "replayed the next event: event 43: io-in port 0x3f8 value 0x41");
    CHECK(ends_with_prompt(O.buf));
    /* continue; typing while the guest runs does nothing but Ctrl-C. */
    cmd_act("continue", &act);
    CHECK_EQ(act, DBG_ACT_CONTINUE);
    O.n = 0;
    CHECK_EQ(type("regs\r"), DBG_ACT_NONE);
    CHECK_EQ(O.n, 0);
    CHECK_EQ(monitor_input(&M, 0x03), DBG_ACT_INTERRUPT);
    st = (struct dbg_stop){ DBG_STOP_INTERRUPT, 0, NULL };
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_NONE);
    CHECK_CONTAINS(O.buf, "interrupted");
    CHECK(ends_with_prompt(O.buf));
    /* The end of the replay, an error stop. */
    cmd_act("c", &act);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_END, 0, "the log ended" };
    monitor_stopped(&M, &st);
    CHECK_CONTAINS(O.buf, "end of the replay: the log ended");
    cmd_act("c", &act);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_ERROR, 0, "divergence at event 44" };
    monitor_stopped(&M, &st);
    CHECK_CONTAINS(O.buf, "error: the guest stopped: divergence at event 44");
    cmd_act("continue", &act);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_WATCH, 0x1000, NULL };
    monitor_stopped(&M, &st);
    CHECK_CONTAINS(O.buf, "watchpoint (write) on 0x1000");
    expect_error("continue now", "usage: continue");
    expect_error("next-event 2", "usage: next-event");
}

TEST(mon_breakpoints)
{
    setup();
    CHECK_CONTAINS(cmd("break panic"), "breakpoint 1 at 0xffffffff81001000 <panic>");
    CHECK(F.bp[0].used && F.bp[0].type == DBG_BP_SW && F.bp[0].addr == 0xffffffff81001000ull);
    CHECK_CONTAINS(cmd("b 0xffffffff81000010"), "breakpoint 2 at 0xffffffff81000010 <startup_64+0x10>");
    expect_error("break panic", "breakpoint 1 is already at 0xffffffff81001000");
    const char *out = cmd("info break");
    CHECK_CONTAINS(out, "1    0xffffffff81001000 <panic>");
    CHECK_CONTAINS(out, "2    0xffffffff81000010 <startup_64+0x10>");
    /* Continue to breakpoint 2. */
    enum dbg_action act;
    cmd_act("continue", &act);
    CHECK_EQ(act, DBG_ACT_CONTINUE);
    struct dbg_stop st = fake_continue(&F, 100000);
    O.n = 0;
    monitor_stopped(&M, &st);
    CHECK_CONTAINS(O.buf, "breakpoint 2 at 0xffffffff81000010");
    /* delete */
    CHECK_CONTAINS(cmd("delete 1"), "deleted breakpoint 1");
    CHECK(!F.bp[0].used);
    expect_error("delete 1", "no breakpoint 1");
    expect_error("delete 0", "no breakpoint 0");
    expect_error("delete 99", "no breakpoint 99");
    expect_error("delete x", "bad number 'x'");
    expect_error("delete", "usage: delete N");
    /* The target's slots run out (the fake has 4). */
    cmd("break 1");
    cmd("break 2");
    cmd("break 3");
    expect_error("break 4", "no free breakpoint slot");
    /* The VMM without breakpoints. */
    F.t.set_break = NULL;
    expect_error("break 5", "does not support breakpoints");
    expect_error("break", "usage: break ADDR|SYMBOL");
    expect_error("info", "usage: info break");
    /* quit clears them in the target. */
    CHECK_EQ(type("quit\r"), DBG_ACT_DETACH);
    for (unsigned i = 0; i < FAKE_MAX_BP; i++)
        CHECK(!F.bp[i].used);
    CHECK_CONTAINS(cmd("info break"), "no breakpoints");
}

TEST(mon_breakpoint_table_full)
{
    setup();
    /* A target with unlimited slots: the monitor's own table (16) is the limit. */
    for (unsigned i = 0; i < MON_MAX_BP; i++) {
        char line[32];
        snprintf(line, sizeof(line), "break %u", i + 100);
        F.bp[0].used = F.bp[1].used = F.bp[2].used = F.bp[3].used = false;
        CHECK_CONTAINS(cmd(line), "breakpoint ");
    }
    F.bp[0].used = false;
    expect_error("break 1", "at most 16 breakpoints");
}

TEST(mon_panic_where)
{
    setup();
    CHECK_CONTAINS(cmd("where"), "exit_seq 1000, rip 0xffffffff81000000 <startup_64>, events replayed 42 of 50; "
                                 "the Primary panicked at exit_seq 1234, rip 0xffffffff81001000");
    enum dbg_action act;
    cmd_act("panic", &act);
    CHECK_EQ(act, DBG_ACT_RUN_TO_PANIC);
    F.regs.rip = 0xffffffff81001000ull;
    F.panic = (struct dbg_panic_check){ true, 1234, 1234, 0xffffffff81001000ull, 0xffffffff81001000ull, 0xabc, 0xabc,
                                        0x1234, 0x1234 };
    O.n = 0;
    struct dbg_stop st = { DBG_STOP_PANIC, 0, NULL };
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_NONE);
    CHECK_CONTAINS(O.buf, "at the Primary's panic position: exit_seq 1234, rip 0xffffffff81001000");
    CHECK_CONTAINS(O.buf, "registers: Backup 0x0000000000000abc, Primary 0x0000000000000abc: equal");
    CHECK_CONTAINS(O.buf, "RAM hash:  Backup 0x0000000000001234, Primary 0x0000000000001234: equal");
    CHECK_CONTAINS(O.buf, "confirmed");
    CHECK_CONTAINS(O.buf, "rip 0xffffffff81001000 <panic>");
    CHECK(ends_with_prompt(O.buf));
    /* A RAM difference, and not at the position. */
    cmd_act("run-to-panic", &act);
    CHECK_EQ(act, DBG_ACT_RUN_TO_PANIC);
    F.panic.backup_ram_hash = 0x9999;
    F.panic.at_panic = false;
    F.panic.backup_exit_seq = 1200;
    O.n = 0;
    monitor_stopped(&M, &st);
    CHECK_CONTAINS(O.buf, "NOT at the Primary's panic position: Backup exit_seq 1200");
    CHECK_CONTAINS(O.buf, "DIFFERENT");
    CHECK_CONTAINS(O.buf, "MISMATCH");
    CHECK(!strstr(O.buf, "confirmed"));
    /* No panic known; no comparison available; no position. */
    F.pos.has_panic = false;
    expect_error("panic", "has not panicked");
    F.t.position = NULL;
    CHECK_CONTAINS(cmd("where"), "rip 0xffffffff81001000 <panic> (the VMM reports no replay position)");
    cmd_act("panic", &act);
    CHECK_EQ(act, DBG_ACT_RUN_TO_PANIC);
    F.t.panic_check = NULL;
    O.n = 0;
    monitor_stopped(&M, &st);
    CHECK_CONTAINS(O.buf, "error: the VMM cannot compare the Backup with the Primary");
    expect_error("where x", "usage: where");
    expect_error("panic now", "usage: panic");
}

TEST(mon_errors_keep_working)
{
    setup();
    expect_error("foo", "unknown command 'foo' (try 'help')");
    expect_error("x 0xffff888000000000 16", "not present");
    expect_error("xp 0x80000000", "outside guest RAM");
    expect_error("x 0x1z", "bad number");
    expect_error("a b c d e f g h", "too many arguments");
    /* Still working: */
    CHECK_CONTAINS(cmd("x linux_banner 5"), "|Linux|");
    /* Without symbols: a clear error naming what is missing. */
    F.t.sym_lookup = NULL;
    F.t.sym_name = NULL;
    expect_error("break panic", "no symbol table (the VMM has no kallsyms): cannot resolve 'panic'");
    expect_error("x linux_banner", "no symbol table");
    CHECK_CONTAINS(cmd("break 0xffffffff81001000"), "breakpoint 1 at 0xffffffff81001000\r\n");
    CHECK_CONTAINS(cmd("regs"), "rip 0xffffffff81000000  rflags");
    /* Empty and blank lines: just a prompt. */
    CHECK_STREQ(cmd(""), PROMPT);
    CHECK_STREQ(cmd("     "), PROMPT);
}

TEST(mon_unsolicited_stop_and_reset)
{
    setup();
    type("whe");
    O.n = 0;
    struct dbg_stop st = { DBG_STOP_INTERRUPT, 0, NULL };
    CHECK_EQ(monitor_stopped(&M, &st), DBG_ACT_NONE);
    CHECK_CONTAINS(O.buf, "interrupted");
    CHECK(strlen(O.buf) > 3 && !strcmp(O.buf + strlen(O.buf) - strlen(PROMPT "whe"), PROMPT "whe"));
    CHECK_CONTAINS(cmd("re"), "exit_seq"); /* "whe" + "re" */
    cmd("break panic");
    monitor_reset(&M);
    CHECK(!F.bp[0].used);
    CHECK_EQ(M.len, 0);
}

/* ---- the mux -------------------------------------------------------------------------------------- */

static struct gdb_stub G;
static struct dbgmux X;

static void mux_setup(void)
{
    setup();
    gdb_init(&G, &F.t, sink_out, &O);
    dbgmux_init(&X, &G, &M);
}

static enum dbg_action mux_feed(const char *s)
{
    enum dbg_action act = DBG_ACT_NONE;
    for (; *s; s++) {
        enum dbg_action a = dbgmux_input(&X, (uint8_t)*s);
        if (a != DBG_ACT_NONE)
            act = a;
    }
    return act;
}

TEST(mux_gdb_first)
{
    mux_setup();
    dbgmux_start(&X);
    CHECK_CONTAINS(O.buf, "Type 'help' for the monitor, or attach gdb");
    CHECK(ends_with_prompt(O.buf));
    /* Noise first, then gdb's '+' and a packet. */
    O.n = 0;
    mux_feed("\n \t");
    CHECK_EQ(X.mode, DBGMUX_UNDECIDED);
    CHECK_EQ(O.n, 0);
    mux_feed("+$qC#b4");
    CHECK_EQ(X.mode, DBGMUX_GDB);
    CHECK_STREQ(O.buf, "+$QC1#c5");
    /* Detach: undecided again; now the monitor. */
    CHECK_EQ(mux_feed("$D#44"), DBG_ACT_DETACH);
    CHECK_EQ(X.mode, DBGMUX_UNDECIDED);
    O.n = 0;
    mux_feed("where\r");
    CHECK_EQ(X.mode, DBGMUX_MONITOR);
    CHECK_CONTAINS(O.buf, "where\r\nexit_seq 1000");
}

TEST(mux_monitor_first)
{
    mux_setup();
    /* A carriage return alone reprints the prompt without deciding. */
    O.n = 0;
    mux_feed("\r");
    CHECK_STREQ(O.buf, "\r\n" PROMPT);
    CHECK_EQ(X.mode, DBGMUX_UNDECIDED);
    /* The first letter goes to the monitor (echoed). */
    O.n = 0;
    enum dbg_action act = mux_feed("step\r");
    CHECK_EQ(act, DBG_ACT_STEP);
    CHECK_EQ(X.mode, DBGMUX_MONITOR);
    CHECK_STREQ(O.buf, "step\r\n");
    /* A '$' now is the monitor's (echoed), not gdb's. */
    fake_step(&F);
    struct dbg_stop st = { DBG_STOP_STEP, 0, NULL };
    CHECK_EQ(dbgmux_stopped(&X, &st), DBG_ACT_NONE);
    O.n = 0;
    mux_feed("$");
    CHECK_STREQ(O.buf, "$");
    mux_feed("\x15quit\r");
    CHECK_EQ(X.mode, DBGMUX_UNDECIDED);
    /* Ctrl-C first selects gdb. */
    mux_feed("\x03");
    CHECK_EQ(X.mode, DBGMUX_GDB);
    /* Stops go nowhere while undecided. */
    dbgmux_reset(&X);
    O.n = 0;
    CHECK_EQ(dbgmux_stopped(&X, &st), DBG_ACT_NONE);
    CHECK_EQ(O.n, 0);
}

TEST(mux_gdb_gone_person_types)
{
    mux_setup();
    mux_feed("+$c#63");
    CHECK(gdb_is_running(&G));
    /* gdb vanished mid-continue; someone presses Enter: the monitor takes over, the guest still
     * runs, Ctrl-C stops it, and the stop is reported in words. */
    O.n = 0;
    CHECK_EQ(mux_feed("\r"), DBG_ACT_NONE);
    CHECK_EQ(X.mode, DBGMUX_MONITOR);
    CHECK_CONTAINS(O.buf, "the guest is running: Ctrl-C stops it");
    CHECK_EQ(mux_feed("\x03"), DBG_ACT_INTERRUPT);
    O.n = 0;
    struct dbg_stop st = { DBG_STOP_INTERRUPT, 0, NULL };
    dbgmux_stopped(&X, &st);
    CHECK_CONTAINS(O.buf, "interrupted");
    CHECK(ends_with_prompt(O.buf));
    /* A CR inside a gdb packet is data, not a person. */
    dbgmux_reset(&X);
    mux_feed("$m0,\r");
    CHECK_EQ(X.mode, DBGMUX_GDB);
}
