/* The GDB remote-serial-protocol stub (vmm/debug/gdbstub.c) against the fake target: framing,
 * checksums, acknowledgements and NoAck mode, escapes and run-lengths, oversize and garbage
 * input, qXfer paging of target.xml, registers (g/G/p/P), guest-virtual memory (m/M/X), resume
 * (c/s/C/S/vCont, range steps), breakpoints (Z/z), stop replies, threads, detach and kill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dbg_fake.h"
#include "debug/gdbstub.h"

#define MiB (1ull << 20)
#define KTEXT 0xffffffff81000000ull
#define BANNER 0xffffffff81200000ull

struct sink {
    uint8_t buf[1 << 17];
    size_t n;
};

static void sink_out(void *ctx, const uint8_t *b, size_t n)
{
    struct sink *s = ctx;
    if (s->n + n > sizeof(s->buf)) {
        hs_fail(__FILE__, __LINE__, "output sink overflow");
        return;
    }
    memcpy(s->buf + s->n, b, n);
    s->n += n;
}

static struct fake F;
static struct gdb_stub S;
static struct sink O;

static void setup(void)
{
    fake_init(&F, 32 * MiB);
    F.hw_supported = true;
    memset(&O, 0, sizeof(O));
    gdb_init(&S, &F.t, sink_out, &O);
}

static enum dbg_action feed(const void *bytes, size_t n)
{
    enum dbg_action act = DBG_ACT_NONE;
    const uint8_t *b = bytes;
    for (size_t i = 0; i < n; i++) {
        enum dbg_action a = gdb_input(&S, b[i]);
        if (a != DBG_ACT_NONE) {
            if (act != DBG_ACT_NONE)
                hs_fail(__FILE__, __LINE__, "two actions from one packet");
            act = a;
        }
    }
    return act;
}

static uint8_t csum(const void *data, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + ((const uint8_t *)data)[i]);
    return s;
}

/* Sends "$data#cs" (data raw, n bytes); the output sink is cleared first. */
static enum dbg_action send_n(const void *data, size_t n)
{
    static uint8_t pkt[3 * GDB_PACKET_SIZE];
    O.n = 0;
    pkt[0] = '$';
    memcpy(pkt + 1, data, n);
    snprintf((char *)pkt + 1 + n, 4, "#%02x", csum(data, n));
    return feed(pkt, n + 4);
}

static enum dbg_action send(const char *data)
{
    return send_n(data, strlen(data));
}

/* The data of the one packet in the output (after the '+' in ack mode), checksum checked;
 * NULL if there is none. */
static char R[GDB_PACKET_SIZE * 2];
static const char *reply_data(void)
{
    size_t i = 0;
    if (i < O.n && O.buf[i] == '+')
        i++;
    if (i >= O.n || O.buf[i] != '$')
        return NULL;
    size_t start = ++i;
    while (i < O.n && O.buf[i] != '#')
        i++;
    if (i + 3 != O.n) {
        hs_fail(__FILE__, __LINE__, "reply not one whole packet (%zu bytes)", O.n);
        return NULL;
    }
    unsigned cs;
    char hex[3] = { (char)O.buf[i + 1], (char)O.buf[i + 2], 0 };
    sscanf(hex, "%x", &cs);
    if (cs != csum(O.buf + start, i - start))
        hs_fail(__FILE__, __LINE__, "bad checksum in the reply");
    memcpy(R, O.buf + start, i - start);
    R[i - start] = 0;
    return R;
}

/* Sends data and returns the reply's data ("" for an empty reply). */
static const char *ask(const char *data)
{
    send(data);
    const char *r = reply_data();
    return r ? r : "(no reply)";
}

static void hex_le(char *out, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        sprintf(out + 2 * i, "%02x", (unsigned)((v >> (8 * i)) & 0xff));
}

static const char *const reg_names[GDB_NUM_REGS] = {
    "rax",   "rbx",   "rcx",   "rdx",   "rsi",   "rdi",   "rbp",   "rsp",   "r8",    "r9",    "r10",
    "r11",   "r12",   "r13",   "r14",   "r15",   "rip",   "eflags", "cs",   "ss",    "ds",    "es",
    "fs",    "gs",    "st0",   "st1",   "st2",   "st3",   "st4",   "st5",   "st6",   "st7",   "fctrl",
    "fstat", "ftag",  "fiseg", "fioff", "foseg", "fooff", "fop",   "xmm0",  "xmm1",  "xmm2",  "xmm3",
    "xmm4",  "xmm5",  "xmm6",  "xmm7",  "xmm8",  "xmm9",  "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
    "xmm15", "mxcsr", "fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer",
};

/* Byte offset of register n in the g packet, from target.xml's bitsizes. */
static unsigned xml_bits[GDB_NUM_REGS];
static void parse_xml_regs(void)
{
    const char *x = gdb_target_xml(), *p = x;
    unsigned n = 0;
    while ((p = strstr(p, "<reg name=\""))) {
        p += 11;
        const char *q = strchr(p, '"');
        if (n < GDB_NUM_REGS) {
            if ((size_t)(q - p) != strlen(reg_names[n]) || strncmp(p, reg_names[n], (size_t)(q - p)))
                hs_fail(__FILE__, __LINE__, "target.xml register %u is %.*s, expected %s", n, (int)(q - p), p,
                        reg_names[n]);
            const char *b = strstr(q, "bitsize=\"");
            xml_bits[n] = (unsigned)atoi(b + 9);
            const char *end = strchr(q, '>'), *rn = strstr(q, "regnum=\"");
            if (rn && rn < end && (unsigned)atoi(rn + 8) != n)
                hs_fail(__FILE__, __LINE__, "target.xml %s has regnum %d, is number %u", reg_names[n], atoi(rn + 8),
                        n);
        }
        n++;
    }
    CHECK_EQ(n, GDB_NUM_REGS);
}

static unsigned g_off(unsigned reg)
{
    unsigned off = 0;
    for (unsigned i = 0; i < reg; i++)
        off += xml_bits[i] / 8;
    return off;
}

/* Field by field (the struct has padding). */
static bool regs_equal(const struct dbg_regs *a, const struct dbg_regs *b)
{
    return a->rax == b->rax && a->rbx == b->rbx && a->rcx == b->rcx && a->rdx == b->rdx && a->rsi == b->rsi &&
           a->rdi == b->rdi && a->rbp == b->rbp && a->rsp == b->rsp && a->r8 == b->r8 && a->r9 == b->r9 &&
           a->r10 == b->r10 && a->r11 == b->r11 && a->r12 == b->r12 && a->r13 == b->r13 && a->r14 == b->r14 &&
           a->r15 == b->r15 && a->rip == b->rip && a->rflags == b->rflags && a->cs == b->cs && a->ss == b->ss &&
           a->ds == b->ds && a->es == b->es && a->fs == b->fs && a->gs == b->gs && a->fs_base == b->fs_base &&
           a->gs_base == b->gs_base && a->k_gs_base == b->k_gs_base && a->cr0 == b->cr0 && a->cr2 == b->cr2 &&
           a->cr3 == b->cr3 && a->cr4 == b->cr4 && a->cr8 == b->cr8 && a->efer == b->efer &&
           !memcmp(a->fxsave, b->fxsave, sizeof(a->fxsave));
}

/* ---- framing ------------------------------------------------------------------------------------- */

TEST(gdb_ack_and_checksum)
{
    setup();
    CHECK_EQ(send("?"), DBG_ACT_NONE);
    CHECK_EQ(O.buf[0], '+');
    CHECK(reply_data() && !strncmp(R, "T05thread:1;", 12));
    /* A bad checksum: NAK, nothing processed; the retransmission is answered. */
    O.n = 0;
    feed("$g#00", 5);
    CHECK_EQ(O.n, 1);
    CHECK_EQ(O.buf[0], '-');
    CHECK_EQ(S.naks_sent, 1);
    CHECK_EQ(S.bad_checksums, 1);
    send("g");
    CHECK(reply_data() && strlen(R) == 2 * 608);
    /* A non-hex checksum digit. */
    O.n = 0;
    feed("$g#z0", 5);
    CHECK_EQ(O.n, 1);
    CHECK_EQ(O.buf[0], '-');
    /* Upper-case checksum digits are fine. */
    O.n = 0;
    feed("$qC#B4", 6);
    CHECK(reply_data() && !strcmp(R, "QC1"));
}

TEST(gdb_nak_retransmits_last_reply)
{
    setup();
    send("qC");
    uint8_t first[64];
    size_t n = O.n - 1; /* without the '+' */
    memcpy(first, O.buf + 1, n);
    O.n = 0;
    feed("-", 1);
    CHECK_EQ(O.n, n);
    CHECK_MEM(O.buf, first, n);
    feed("-", 1);
    CHECK_EQ(S.retransmits, 2);
    /* '+' between packets is just an acknowledgement. */
    O.n = 0;
    feed("+", 1);
    CHECK_EQ(O.n, 0);
}

TEST(gdb_noack_mode)
{
    setup();
    CHECK_STREQ(ask("QStartNoAckMode"), "OK");
    CHECK(S.noack);
    CHECK_EQ(O.buf[0], '+'); /* the request itself is still acknowledged */
    send("qC");
    CHECK_EQ(O.buf[0], '$'); /* no '+' any more */
    CHECK(reply_data() && !strcmp(R, "QC1"));
    /* A bad checksum is dropped silently; '-' does not retransmit. */
    O.n = 0;
    feed("$qC#00", 6);
    feed("-", 1);
    CHECK_EQ(O.n, 0);
    /* Detach ends the session: ack mode again. */
    CHECK_EQ(send("D"), DBG_ACT_DETACH);
    CHECK(!S.noack);
}

TEST(gdb_escapes_and_run_length)
{
    setup();
    /* X with every byte that needs escaping, and a few that do not. */
    const uint8_t want[8] = { '#', '$', '}', '*', 0x03, 0x00, 0xff, 'A' };
    char pkt[128];
    int n = snprintf(pkt, sizeof(pkt), "X%llx,8:", (unsigned long long)BANNER);
    for (unsigned i = 0; i < 8; i++) {
        if (want[i] == '#' || want[i] == '$' || want[i] == '}' || want[i] == '*') {
            pkt[n++] = '}';
            pkt[n++] = (char)(want[i] ^ 0x20);
        } else {
            pkt[n++] = (char)want[i];
        }
    }
    send_n(pkt, (size_t)n);
    CHECK(reply_data() && !strcmp(R, "OK"));
    CHECK_MEM(F.ram + 0x1200000, want, 8);
    /* Run-length encoding in the input: "c*!" is c and 4 more. */
    n = snprintf(pkt, sizeof(pkt), "M%llx,4:abc*!d", (unsigned long long)BANNER);
    send_n(pkt, (size_t)n);
    CHECK(reply_data() && !strcmp(R, "OK"));
    const uint8_t rle[4] = { 0xab, 0xcc, 0xcc, 0xcd };
    CHECK_MEM(F.ram + 0x1200000, rle, 4);
    /* Malformed: an escape or a run-length at the end, a run-length with nothing before it,
     * a count outside the printable range. */
    CHECK_STREQ(ask("qC}"), "E01");
    CHECK_STREQ(ask("qC*"), "E01");
    CHECK_STREQ(ask("*!qC"), "E01");
    CHECK_STREQ(ask("q*\x01"), "E01");
    CHECK_STREQ(ask("qC"), "QC1");
}

TEST(gdb_oversize_and_garbage)
{
    setup();
    static char big[GDB_PACKET_SIZE + 1000];
    memset(big, 'a', sizeof(big) - 1);
    big[0] = 'M';
    CHECK_STREQ(ask(big), "E01");
    CHECK_EQ(S.oversize, 1);
    CHECK_STREQ(ask("qC"), "QC1");
    /* Run-length past the buffer. */
    static char rle[GDB_PACKET_SIZE];
    size_t n = 0;
    rle[n++] = 'M';
    while (n + 3 < sizeof(rle) - 1) {
        rle[n++] = '0';
        rle[n++] = '*';
        rle[n++] = '~';
    }
    rle[n] = 0;
    CHECK_STREQ(ask(rle), "E01");
    /* Garbage between packets, a '#' without '$', a truncated packet then a new one. */
    O.n = 0;
    feed("hello\r\n#12\x80\xff", 11);
    CHECK_EQ(O.n, 0);
    feed("$m123", 5);
    CHECK_STREQ(ask("qC"), "QC1");
    /* A '$' in the checksum: the old packet is NAKed and a new one starts. */
    O.n = 0;
    feed("$qC#$qC#b4", 10);
    CHECK_EQ(O.buf[0], '-');
    /* An empty packet gets an empty reply. */
    CHECK_STREQ(ask(""), "");
}

TEST(gdb_unknown_packets_empty_reply)
{
    setup();
    static const char *const unknown[] = { "vMustReplyEmpty", "qTStatus", "!", "Qfoo", "vFile:open:x,0,0",
                                           "qRcmd,68656c70", "b", "qOffsets", "vCont", "vContX", "gg", "??",
                                           "qSupportedX", "k1", "QStartNoAckModeX", "qXfer:auxv:read::0,10" };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        const char *r = ask(unknown[i]);
        if (strcmp(r, ""))
            hs_fail(__FILE__, __LINE__, "'%s' answered '%s'", unknown[i], r);
    }
}

/* ---- queries --------------------------------------------------------------------------------------- */

TEST(gdb_qsupported)
{
    setup();
    const char *r = ask("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;xmlRegisters=i386");
    CHECK_CONTAINS(r, "PacketSize=1000");
    CHECK_CONTAINS(r, "qXfer:features:read+");
    CHECK_CONTAINS(r, "QStartNoAckMode+");
    CHECK_CONTAINS(r, "swbreak+");
    CHECK(S.gdb_swbreak && S.gdb_hwbreak);
    r = ask("qSupported");
    CHECK_CONTAINS(r, "PacketSize=");
    CHECK(!S.gdb_swbreak);
}

TEST(gdb_qxfer_target_xml_paging)
{
    setup();
    const char *xml = gdb_target_xml();
    static char got[65536];
    size_t n = 0;
    unsigned rounds = 0;
    for (;;) {
        char q[96];
        snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,%x", n, 0x100);
        const char *r = ask(q);
        CHECK(r[0] == 'm' || r[0] == 'l');
        for (const char *p = r + 1; *p; p++)
            got[n++] = *p == '}' ? (char)(*++p ^ 0x20) : *p;
        if (r[0] == 'l' || ++rounds > 200)
            break;
        CHECK_EQ(n % 0x100, 0);
    }
    got[n] = 0;
    CHECK_EQ(n, strlen(xml));
    CHECK_STREQ(got, xml);
    /* One large read; a read past the end; a bad annex; malformed numbers. */
    const char *r = ask("qXfer:features:read:target.xml:0,ffb");
    CHECK_EQ(r[0], strlen(xml) <= 0xffb ? 'l' : 'm');
    CHECK(strlen(r) - 1 <= 0xffb);
    char q[96];
    snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,10", strlen(xml));
    CHECK_STREQ(ask(q), "l");
    CHECK_STREQ(ask("qXfer:features:read:target.xml:ffffffffffffffff,ffffffffffffffff"), "l");
    CHECK_STREQ(ask("qXfer:features:read:i386.xml:0,10"), "E00");
    CHECK_STREQ(ask("qXfer:features:read:target.xml:0"), "E01");
    CHECK_STREQ(ask("qXfer:features:read:target.xml:,10"), "E01");
    CHECK_STREQ(ask("qXfer:features:read:target.xml:0,10x"), "E01");
    r = ask("qXfer:features:read:target.xml:0,0");
    CHECK_STREQ(r, "m");
}

TEST(gdb_target_xml_matches_registers)
{
    const char *x = gdb_target_xml();
    CHECK_CONTAINS(x, "<architecture>i386:x86-64</architecture>");
    CHECK_CONTAINS(x, "<feature name=\"org.gnu.gdb.i386.core\">");
    CHECK_CONTAINS(x, "<feature name=\"org.gnu.gdb.i386.sse\">");
    CHECK_CONTAINS(x, "<feature name=\"org.gnu.gdb.i386.segments\">");
    CHECK_CONTAINS(x, "<feature name=\"org.gnu.gdb.i386.sys\">");
    parse_xml_regs();
    unsigned bytes = 0;
    for (unsigned i = 0; i < GDB_NUM_REGS; i++)
        bytes += xml_bits[i] / 8;
    CHECK_EQ(bytes, 608);
    /* Characters that would need escaping in qXfer: none expected, but the count must hold. */
    setup();
    send("g");
    CHECK(reply_data() && strlen(R) == 2 * bytes);
}

TEST(gdb_threads)
{
    setup();
    CHECK_STREQ(ask("Hg0"), "OK");
    CHECK_STREQ(ask("Hg1"), "OK");
    CHECK_STREQ(ask("Hc-1"), "OK");
    CHECK_STREQ(ask("Hg2"), "E01");
    CHECK_STREQ(ask("Hx1"), "E01");
    CHECK_STREQ(ask("H"), "E01");
    CHECK_STREQ(ask("T1"), "OK");
    CHECK_STREQ(ask("T2"), "E01");
    CHECK_STREQ(ask("T"), "E01");
    CHECK_STREQ(ask("qC"), "QC1");
    CHECK_STREQ(ask("qfThreadInfo"), "m1");
    CHECK_STREQ(ask("qsThreadInfo"), "l");
    CHECK_STREQ(ask("qAttached"), "1");
    CHECK_STREQ(ask("qAttached:1"), "1");
    CHECK_STREQ(ask("qSymbol::"), "OK");
}

/* ---- registers ------------------------------------------------------------------------------------- */

TEST(gdb_registers_g)
{
    setup();
    parse_xml_regs();
    F.regs.rax = 0x1122334455667788ull;
    F.regs.r15 = 0xdeadbeefcafef00dull;
    F.regs.rflags = 0x10246;
    F.regs.gs = 0x2b;
    F.regs.fs_base = 0x7f0000001000ull;
    F.regs.k_gs_base = 0xffff888007c00000ull;
    F.regs.cr3 = 0x1234000;
    F.regs.efer = 0xd01;
    memcpy(F.regs.fxsave + 160 + 16 * 15, "0123456789abcdef", 16); /* xmm15 */
    send("g");
    CHECK(reply_data() != NULL);
    char want[40];
    struct {
        unsigned reg;
        uint64_t v;
        unsigned bytes;
    } cases[] = { { 0, F.regs.rax, 8 },          { 15, F.regs.r15, 8 },  { 16, KTEXT, 8 },
                  { 17, 0x10246, 4 },            { 18, 0x10, 4 },        { 23, 0x2b, 4 },
                  { 32, 0x37f, 4 },              { 56, 0x1f80, 4 },      { 57, F.regs.fs_base, 8 },
                  { 59, F.regs.k_gs_base, 8 },   { 60, 0x80050033, 8 },  { 62, 0x1234000, 8 },
                  { 65, 0xd01, 8 } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hex_le(want, cases[i].v, cases[i].bytes);
        if (strncmp(R + 2 * g_off(cases[i].reg), want, 2 * cases[i].bytes))
            hs_fail(__FILE__, __LINE__, "register %s: %.*s, expected %s", reg_names[cases[i].reg],
                    2 * cases[i].bytes, R + 2 * g_off(cases[i].reg), want);
    }
    CHECK(!strncmp(R + 2 * g_off(55), "30313233343536373839616263646566", 32));
    /* The registers cannot be read: an error. */
    F.t.get_regs = NULL;
    CHECK_STREQ(ask("g"), "E22");
}

TEST(gdb_registers_G_roundtrip)
{
    setup();
    parse_xml_regs();
    F.regs.rbx = 0x42;
    memcpy(F.regs.fxsave + 32, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10); /* st0 */
    struct dbg_regs before = F.regs;
    send("g");
    static char g[2048];
    strcpy(g, reply_data());
    /* Unchanged registers written back: nothing changes (FXSAVE padding included). */
    static char pkt[2100];
    snprintf(pkt, sizeof(pkt), "G%s", g);
    CHECK_STREQ(ask(pkt), "OK");
    CHECK(regs_equal(&F.regs, &before));
    /* rbx := 0x1122, rip := 0x5000. */
    hex_le(pkt + 1 + 2 * g_off(1), 0x1122, 8);
    pkt[1 + 2 * g_off(1) + 16] = g[2 * g_off(1) + 16];
    hex_le(pkt + 1 + 2 * g_off(16), 0x5000, 8);
    pkt[1 + 2 * g_off(16) + 16] = g[2 * g_off(16) + 16];
    CHECK_STREQ(ask(pkt), "OK");
    CHECK_EQ(F.regs.rbx, 0x1122);
    CHECK_EQ(F.regs.rip, 0x5000);
    CHECK_EQ(F.regs.cr3, before.cr3);
    CHECK_MEM(F.regs.fxsave + 32, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10);
    /* Wrong length, bad hex, read-only target. */
    pkt[strlen(pkt) - 2] = 0;
    CHECK_STREQ(ask(pkt), "E01");
    snprintf(pkt, sizeof(pkt), "G%s", g);
    pkt[5] = 'x';
    CHECK_STREQ(ask(pkt), "E01");
    snprintf(pkt, sizeof(pkt), "G%s", g);
    F.regs_readonly = true;
    CHECK_STREQ(ask(pkt), "E22");
}

TEST(gdb_registers_p_P)
{
    setup();
    char want[40], pkt[96];
    hex_le(want, KTEXT, 8);
    CHECK_STREQ(ask("p10"), want);
    CHECK_STREQ(ask("p11"), "46020000"); /* eflags */
    CHECK_STREQ(ask("p41"), "010d000000000000"); /* efer */
    CHECK_STREQ(ask("p42"), "E01");
    CHECK_STREQ(ask("p"), "E01");
    CHECK_STREQ(ask("pzz"), "E01");
    CHECK_STREQ(ask("p10x"), "E01");
    /* Write rip, a selector, cr8, st0 (10 bytes), xmm3 (16), mxcsr, fop (11 bits). */
    hex_le(want, 0xffffffff81000123ull, 8);
    snprintf(pkt, sizeof(pkt), "P10=%s", want);
    CHECK_STREQ(ask(pkt), "OK");
    CHECK_EQ(F.regs.rip, 0xffffffff81000123ull);
    CHECK_STREQ(ask("P16=33000000"), "OK"); /* fs */
    CHECK_EQ(F.regs.fs, 0x33);
    CHECK_STREQ(ask("P40=0f00000000000000"), "OK");
    CHECK_EQ(F.regs.cr8, 0xf);
    CHECK_STREQ(ask("P18=0000000000000080ff3f"), "OK"); /* st0 = 1.0 */
    CHECK_MEM(F.regs.fxsave + 32, "\x00\x00\x00\x00\x00\x00\x00\x80\xff\x3f", 10);
    CHECK_STREQ(ask("P2b=00112233445566778899aabbccddeeff"), "OK");
    CHECK_EQ(F.regs.fxsave[160 + 16 * 3 + 15], 0xff);
    CHECK_STREQ(ask("P38=a01f0000"), "OK");
    CHECK_EQ(F.regs.fxsave[24], 0xa0);
    CHECK_STREQ(ask("P27=ffff0000"), "OK");
    CHECK_STREQ(ask("p27"), "ff070000");
    /* Wrong size, no '=', bad register, read-only target. */
    CHECK_STREQ(ask("P10=1234"), "E01");
    CHECK_STREQ(ask("P10"), "E01");
    CHECK_STREQ(ask("P42=00000000"), "E01");
    F.regs_readonly = true;
    CHECK_STREQ(ask("P16=33000000"), "E22");
}

TEST(gdb_registers_x87_tag)
{
    setup();
    uint8_t *fx = F.regs.fxsave;
    /* TOP = 6; physical registers 6 and 7 valid: ST0 = phys 6 = 1.0 (valid), ST1 = phys 7 = 0.0
     * (zero); the rest empty. */
    fx[2] = 0x00;
    fx[3] = 6 << 3; /* FSW.TOP in bits 13:11 */
    fx[4] = 0xC0;
    memcpy(fx + 32, "\x00\x00\x00\x00\x00\x00\x00\x80\xff\x3f", 10);
    memset(fx + 48, 0, 10);
    /* tag: phys 0-5 empty (3), phys 6 valid (0), phys 7 zero (1) */
    CHECK_STREQ(ask("p22"), "ff4f0000");
    /* A denormal (exponent 0, mantissa != 0) and an infinity are "special" (2). */
    fx[48] = 1;
    CHECK_STREQ(ask("p22"), "ff8f0000");
    memcpy(fx + 32, "\x00\x00\x00\x00\x00\x00\x00\x80\xff\x7f", 10);
    CHECK_STREQ(ask("p22"), "ffaf0000");
    /* Writing the tag sets the abridged form: valid unless empty. */
    CHECK_STREQ(ask("P22=ff3f0000"), "OK");
    CHECK_EQ(F.regs.fxsave[4], 0x80); /* only physical register 7 is not empty */
}

/* ---- memory -------------------------------------------------------------------------------------- */

TEST(gdb_memory_read)
{
    setup();
    char q[64];
    snprintf(q, sizeof(q), "m%llx,d", (unsigned long long)BANNER);
    CHECK_STREQ(ask(q), "4c696e75782076657273696f6e"); /* "Linux version" */
    /* Unmapped: E14. Not canonical: E14. */
    CHECK_STREQ(ask("mffff888000000000,4"), "E14");
    CHECK_STREQ(ask("m800000000000,4"), "E14");
    /* A read running off the end of the mapping returns what it could. */
    snprintf(q, sizeof(q), "m%llx,10", (unsigned long long)(KTEXT + (8 << 20) - 4));
    CHECK_STREQ(ask(q), "90909090");
    /* A huge length is cut to what a reply can hold. */
    snprintf(q, sizeof(q), "m%llx,100000", (unsigned long long)KTEXT);
    CHECK_EQ(strlen(ask(q)), GDB_PACKET_SIZE - 4);
    /* Malformed. */
    CHECK_STREQ(ask("m"), "E01");
    CHECK_STREQ(ask("m1234"), "E01");
    CHECK_STREQ(ask("mzz,4"), "E01");
    CHECK_STREQ(ask("m1234,"), "E01");
    CHECK_STREQ(ask("m1234,4,"), "E01");
    CHECK_STREQ(ask("m11112222333344445,4"), "E01"); /* 17 digits */
    /* Identity-mapped low memory, and paging off (CR0.PG = 0): physical. */
    memcpy(F.ram + 0x100, "\xde\xad", 2);
    CHECK_STREQ(ask("m100,2"), "dead");
    F.regs.cr0 = 0x11;
    CHECK_STREQ(ask("m100,2"), "dead");
    CHECK_STREQ(ask("m2000000,2"), "E14"); /* past the end of RAM */
}

TEST(gdb_memory_write)
{
    setup();
    char q[128];
    snprintf(q, sizeof(q), "M%llx,4:01020304", (unsigned long long)(BANNER + 0x10));
    CHECK_STREQ(ask(q), "OK");
    CHECK_MEM(F.ram + 0x1200010, "\x01\x02\x03\x04", 4);
    /* Unmapped, wrong length of data, bad hex, missing colon. */
    CHECK_STREQ(ask("Mffff888000000000,1:00"), "E14");
    snprintf(q, sizeof(q), "M%llx,4:010203", (unsigned long long)BANNER);
    CHECK_STREQ(ask(q), "E01");
    snprintf(q, sizeof(q), "M%llx,2:01zz", (unsigned long long)BANNER);
    CHECK_STREQ(ask(q), "E01");
    snprintf(q, sizeof(q), "M%llx,2", (unsigned long long)BANNER);
    CHECK_STREQ(ask(q), "E01");
    /* A write that runs off the mapping writes the mapped part and fails. */
    snprintf(q, sizeof(q), "M%llx,4:aabbccdd", (unsigned long long)(KTEXT + (8 << 20) - 2));
    CHECK_STREQ(ask(q), "E14");
    CHECK_MEM(F.ram + 0x1800000 - 2, "\xaa\xbb", 2);
    /* X: zero-length probe, binary length mismatch. */
    CHECK_STREQ(ask("X0,0:"), "OK");
    snprintf(q, sizeof(q), "X%llx,3:ab", (unsigned long long)BANNER);
    CHECK_STREQ(ask(q), "E01");
    CHECK_STREQ(ask("Xffff888000000000,1:a"), "E14");
}

/* ---- execution ----------------------------------------------------------------------------------- */

TEST(gdb_continue_interrupt_step)
{
    setup();
    CHECK_EQ(send("c"), DBG_ACT_CONTINUE);
    CHECK(gdb_is_running(&S));
    CHECK_EQ(O.n, 1); /* just the '+': the reply is the stop */
    O.n = 0;
    CHECK_EQ(feed("\x03", 1), DBG_ACT_INTERRUPT);
    struct dbg_stop st = { DBG_STOP_INTERRUPT, 0, NULL };
    CHECK_EQ(gdb_stopped(&S, &st), DBG_ACT_NONE);
    CHECK(reply_data() && !strncmp(R, "T02thread:1;06:", 15) && strstr(R, ";07:") && strstr(R, ";10:"));
    CHECK(!gdb_is_running(&S));
    /* 0x03 while stopped means nothing. */
    O.n = 0;
    CHECK_EQ(feed("\x03", 1), DBG_ACT_NONE);
    CHECK_EQ(O.n, 0);
    /* Step; the stop reply carries rip. */
    CHECK_EQ(send("s"), DBG_ACT_STEP);
    fake_step(&F);
    O.n = 0;
    st.reason = DBG_STOP_STEP;
    gdb_stopped(&S, &st);
    char want[128], rip[17], rbp[17], rsp[17];
    hex_le(rip, KTEXT + 1, 8);
    hex_le(rbp, F.regs.rbp, 8);
    hex_le(rsp, F.regs.rsp, 8);
    snprintf(want, sizeof(want), "T05thread:1;06:%s;07:%s;10:%s;", rbp, rsp, rip);
    CHECK(reply_data() && !strcmp(R, want));
    /* '?' repeats the last stop. */
    CHECK_STREQ(ask("?"), want);
    /* c/s with an address set rip first; C/S take a signal (ignored). */
    CHECK_EQ(send("cffffffff81000040"), DBG_ACT_CONTINUE);
    CHECK_EQ(F.regs.rip, KTEXT + 0x40);
    gdb_stopped(&S, &st);
    CHECK_EQ(send("sffffffff81000080"), DBG_ACT_STEP);
    CHECK_EQ(F.regs.rip, KTEXT + 0x80);
    gdb_stopped(&S, &st);
    CHECK_EQ(send("C05"), DBG_ACT_CONTINUE);
    gdb_stopped(&S, &st);
    CHECK_EQ(send("S0b;ffffffff81000100"), DBG_ACT_STEP);
    CHECK_EQ(F.regs.rip, KTEXT + 0x100);
    gdb_stopped(&S, &st);
    /* Malformed resumes do not resume. */
    CHECK_STREQ(ask("cxyz"), "E01");
    CHECK_STREQ(ask("C"), "E01");
    CHECK_STREQ(ask("S05;"), "E01");
    CHECK_STREQ(ask("s12 "), "E01");
    CHECK(!gdb_is_running(&S));
    /* The target refuses the new rip. */
    F.regs_readonly = true;
    CHECK_STREQ(ask("c1000"), "E22");
    CHECK(!gdb_is_running(&S));
}

TEST(gdb_vcont)
{
    setup();
    struct dbg_stop st = { DBG_STOP_STEP, 0, NULL };
    CHECK_STREQ(ask("vCont?"), "vCont;c;C;s;S;r");
    CHECK_EQ(send("vCont;s:1"), DBG_ACT_STEP);
    gdb_stopped(&S, &st);
    CHECK_EQ(send("vCont;c"), DBG_ACT_CONTINUE);
    gdb_stopped(&S, &st);
    CHECK_EQ(send("vCont;s:2;c"), DBG_ACT_CONTINUE); /* thread 2 is not ours: the next action */
    gdb_stopped(&S, &st);
    CHECK_EQ(send("vCont;S05:-1"), DBG_ACT_STEP);
    gdb_stopped(&S, &st);
    CHECK_EQ(send("vCont;C0b:1;c"), DBG_ACT_CONTINUE);
    gdb_stopped(&S, &st);
    CHECK_STREQ(ask("vCont;s:2"), "E01"); /* nothing for thread 1 */
    CHECK_STREQ(ask("vCont;t"), "E01");
    CHECK_STREQ(ask("vCont;x"), "E01");
    CHECK_STREQ(ask("vCont;"), "E01");
    CHECK_STREQ(ask("vCont;;c"), "E01");
    CHECK_STREQ(ask("vCont;s:zz"), "E01");
    CHECK_STREQ(ask("vCont;r10"), "E01");
    CHECK(!gdb_is_running(&S));
}

TEST(gdb_vcont_range_step)
{
    setup();
    char q[96];
    struct dbg_stop st = { DBG_STOP_STEP, 0, NULL };
    snprintf(q, sizeof(q), "vCont;r%llx,%llx:1", (unsigned long long)KTEXT, (unsigned long long)(KTEXT + 5));
    CHECK_EQ(send(q), DBG_ACT_STEP);
    unsigned steps = 1;
    O.n = 0;
    for (;;) {
        fake_step(&F);
        if (gdb_stopped(&S, &st) != DBG_ACT_STEP)
            break;
        CHECK_EQ(O.n, 0); /* nothing sent while inside the range */
        if (++steps > 10)
            break;
    }
    CHECK_EQ(steps, 5);
    CHECK_EQ(F.regs.rip, KTEXT + 5);
    CHECK(reply_data() && !strncmp(R, "T05", 3));
    /* A breakpoint inside the range stops the range step. */
    F.regs.rip = KTEXT;
    snprintf(q, sizeof(q), "Z0,%llx,1", (unsigned long long)(KTEXT + 2));
    CHECK_STREQ(ask(q), "OK");
    snprintf(q, sizeof(q), "vCont;r%llx,%llx", (unsigned long long)KTEXT, (unsigned long long)(KTEXT + 5));
    CHECK_EQ(send(q), DBG_ACT_STEP);
    fake_step(&F);
    CHECK_EQ(gdb_stopped(&S, &st), DBG_ACT_STEP);
    fake_step(&F);
    CHECK_EQ(gdb_stopped(&S, &st), DBG_ACT_NONE);
    CHECK_EQ(F.regs.rip, KTEXT + 2);
    /* Any other stop reason ends it too. */
    snprintf(q, sizeof(q), "vCont;r%llx,%llx", (unsigned long long)KTEXT, (unsigned long long)(KTEXT + 50));
    CHECK_EQ(send(q), DBG_ACT_STEP);
    st.reason = DBG_STOP_END;
    CHECK_EQ(gdb_stopped(&S, &st), DBG_ACT_NONE);
    CHECK(!S.range);
}

TEST(gdb_breakpoints_and_watchpoints)
{
    setup();
    char q[96];
    snprintf(q, sizeof(q), "Z0,%llx,1", (unsigned long long)(KTEXT + 0x10));
    CHECK_STREQ(ask(q), "OK");
    CHECK(F.bp[0].used && F.bp[0].type == DBG_BP_SW && F.bp[0].addr == KTEXT + 0x10);
    snprintf(q, sizeof(q), "Z1,%llx,1", (unsigned long long)(KTEXT + 0x20));
    CHECK_STREQ(ask(q), "OK");
    CHECK_STREQ(ask("Z2,ffffffff81200000,4"), "OK");
    CHECK_STREQ(ask("Z4,ffffffff81200008,8;X2,0a"), "OK"); /* conditions after ';' ignored */
    CHECK_STREQ(ask("Z3,ffffffff81200010,8"), "E28");        /* the fake has 4 slots */
    CHECK_STREQ(ask("Z5,0,1"), "");                          /* unknown type: unsupported */
    CHECK_STREQ(ask("Z0,zz,1"), "E01");
    CHECK_STREQ(ask("Z0,1234"), "E01");
    CHECK_STREQ(ask("z0,1234,1;X"), "E01");
    CHECK_STREQ(ask("Z"), "E01");
    /* Continue to the software breakpoint; the stop says swbreak if gdb asked for it. */
    ask("qSupported:swbreak+;hwbreak+");
    CHECK_EQ(send("c"), DBG_ACT_CONTINUE);
    struct dbg_stop st = fake_continue(&F, 1000);
    CHECK_EQ(st.reason, DBG_STOP_SWBREAK);
    O.n = 0;
    gdb_stopped(&S, &st);
    CHECK(reply_data() && !strncmp(R, "T05swbreak:;thread:1;", 21));
    /* A watchpoint stop names the data address. */
    CHECK_EQ(send("c"), DBG_ACT_CONTINUE);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_WATCH, BANNER, NULL };
    gdb_stopped(&S, &st);
    CHECK(reply_data() && !strncmp(R, "T05watch:ffffffff81200000;thread:1;", 35));
    CHECK_EQ(send("c"), DBG_ACT_CONTINUE);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_AWATCH, BANNER + 8, NULL };
    gdb_stopped(&S, &st);
    CHECK(reply_data() && !strncmp(R, "T05awatch:ffffffff81200008;", 27));
    CHECK_EQ(send("c"), DBG_ACT_CONTINUE);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_HWBREAK, KTEXT + 0x20, NULL };
    gdb_stopped(&S, &st);
    CHECK(reply_data() && !strncmp(R, "T05hwbreak:;", 12));
    /* Remove them; removing one that is not there is an error from the target. */
    snprintf(q, sizeof(q), "z0,%llx,1", (unsigned long long)(KTEXT + 0x10));
    CHECK_STREQ(ask(q), "OK");
    CHECK(!F.bp[0].used);
    CHECK_STREQ(ask(q), "E22");
    /* Hardware types unsupported by the target: an empty reply (gdb falls back). */
    F.hw_supported = false;
    CHECK_STREQ(ask("Z1,ffffffff81000030,1"), "");
    CHECK_STREQ(ask("Z2,ffffffff81000030,1"), "");
    /* No breakpoint operations at all. */
    F.t.set_break = NULL;
    CHECK_STREQ(ask("Z0,ffffffff81000030,1"), "");
    /* Without swbreak+ from gdb the stop reply has no swbreak. */
    ask("qSupported");
    CHECK_EQ(send("c"), DBG_ACT_CONTINUE);
    O.n = 0;
    st = (struct dbg_stop){ DBG_STOP_SWBREAK, KTEXT + 0x10, NULL };
    gdb_stopped(&S, &st);
    CHECK(reply_data() && !strncmp(R, "T05thread:1;", 12));
}

TEST(gdb_detach_kill_clear_breakpoints)
{
    setup();
    CHECK_STREQ(ask("Z0,ffffffff81000010,1"), "OK");
    CHECK_STREQ(ask("Z2,ffffffff81200000,4"), "OK");
    CHECK_EQ(send("D"), DBG_ACT_DETACH);
    CHECK(reply_data() && !strcmp(R, "OK"));
    CHECK(!F.bp[0].used && !F.bp[1].used); /* gdb went away with breakpoints set: cleared */
    CHECK_EQ(send("D;1"), DBG_ACT_DETACH);
    CHECK_STREQ(ask("Z0,ffffffff81000010,1"), "OK");
    CHECK_EQ(send("k"), DBG_ACT_KILL);
    CHECK_EQ(O.n, 1); /* just the '+': k has no reply */
    CHECK(!F.bp[0].used);
    CHECK_EQ(send("vKill;1"), DBG_ACT_KILL);
    CHECK(reply_data() && !strcmp(R, "OK"));
    /* gdb_reset clears too. */
    CHECK_STREQ(ask("Z1,ffffffff81000010,1"), "OK");
    gdb_reset(&S);
    CHECK(!F.bp[0].used);
}

TEST(gdb_question_while_running_and_unsolicited_stops)
{
    setup();
    /* A stop with nobody waiting: recorded, not sent; '?' reports it. */
    struct dbg_stop st = { DBG_STOP_INTERRUPT, 0, NULL };
    O.n = 0;
    CHECK_EQ(gdb_stopped(&S, &st), DBG_ACT_NONE);
    CHECK_EQ(O.n, 0);
    CHECK(!strncmp(ask("?"), "T02", 3));
    /* A new gdb asks '?' while the guest runs: the guest is stopped, the stop reply answers. */
    CHECK_EQ(send("c"), DBG_ACT_CONTINUE);
    CHECK_EQ(send("qSupported:swbreak+"), DBG_ACT_NONE);
    CHECK_EQ(send("?"), DBG_ACT_INTERRUPT);
    CHECK_EQ(O.n, 1);
    O.n = 0;
    CHECK_EQ(gdb_stopped(&S, &st), DBG_ACT_NONE);
    CHECK(reply_data() && !strncmp(R, "T02", 3));
    /* gdb_running: the VMM resumed on its own; 0x03 interrupts. */
    gdb_running(&S);
    CHECK_EQ(feed("\x03", 1), DBG_ACT_INTERRUPT);
}

TEST(gdb_handshake_like_gdb)
{
    /* The opening of a real gdb 13 session, byte for byte as gdb sends it. */
    setup();
    static const char *const seq[] = {
        "qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;"
        "vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+",
        "vMustReplyEmpty", "QStartNoAckMode", "Hgp0.0", "qXfer:features:read:target.xml:0,ffb", "qTStatus", "?",
        "qfThreadInfo", "qsThreadInfo", "qAttached", "Hc-1", "qC", "qOffsets", "g", "qSymbol::",
    };
    feed("+", 1);
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        CHECK_EQ(send(seq[i]), DBG_ACT_NONE);
        if (!reply_data())
            hs_fail(__FILE__, __LINE__, "no reply to %s", seq[i]);
    }
    CHECK(S.noack);
    CHECK_EQ(S.packets, sizeof(seq) / sizeof(seq[0]));
    CHECK_EQ(S.bad_checksums, 0);
}
