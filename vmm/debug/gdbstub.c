/* GDB remote-serial-protocol stub (see gdbstub.h). */
#include "debug/gdbstub.h"
#include "lib.h"

enum { RX_IDLE, RX_DATA, RX_CSUM1, RX_CSUM2 };

#define TX_DATA_MAX (GDB_PACKET_SIZE - 4) /* "$" data "#xx" fits in PacketSize */
#define MEM_MAX (TX_DATA_MAX / 2)         /* bytes of an m reply / M or X write */
#define SIGINT_NR 2
#define SIGTRAP_NR 5

/* ---- target description -------------------------------------------------------------------- */

/* amd64 as gdb's i386_validate_tdesc_p/amd64_init_abi want it: org.gnu.gdb.i386.core with the 16
 * general registers, rip, eflags, 6 selectors, st0-7 and fctrl..fop; org.gnu.gdb.i386.sse with
 * xmm0-15 and mxcsr; org.gnu.gdb.i386.segments with fs_base and gs_base (and k_gs_base here);
 * control registers and EFER in a feature of their own, which gdb shows by name. */
static const char target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386:x86-64</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"i386_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>\n"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.sse\">\n"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "<union id=\"vec128\">\n"
    "<field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>\n"
    "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>\n"
    "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>\n"
    "<field name=\"uint128\" type=\"uint128\"/>\n"
    "</union>\n"
    "<flags id=\"i386_mxcsr\" size=\"4\">\n"
    "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>\n"
    "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>\n"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
    "</flags>\n"
    "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/>\n"
    "<reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.segments\">\n"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int64\" regnum=\"57\"/>\n"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"k_gs_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.sys\">\n"
    "<flags id=\"hs_cr0\" size=\"8\">\n"
    "<field name=\"PE\" start=\"0\" end=\"0\"/><field name=\"MP\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"EM\" start=\"2\" end=\"2\"/><field name=\"TS\" start=\"3\" end=\"3\"/>\n"
    "<field name=\"ET\" start=\"4\" end=\"4\"/><field name=\"NE\" start=\"5\" end=\"5\"/>\n"
    "<field name=\"WP\" start=\"16\" end=\"16\"/><field name=\"AM\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"NW\" start=\"29\" end=\"29\"/><field name=\"CD\" start=\"30\" end=\"30\"/>\n"
    "<field name=\"PG\" start=\"31\" end=\"31\"/>\n"
    "</flags>\n"
    "<flags id=\"hs_cr4\" size=\"8\">\n"
    "<field name=\"VME\" start=\"0\" end=\"0\"/><field name=\"PVI\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"TSD\" start=\"2\" end=\"2\"/><field name=\"DE\" start=\"3\" end=\"3\"/>\n"
    "<field name=\"PSE\" start=\"4\" end=\"4\"/><field name=\"PAE\" start=\"5\" end=\"5\"/>\n"
    "<field name=\"MCE\" start=\"6\" end=\"6\"/><field name=\"PGE\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"PCE\" start=\"8\" end=\"8\"/><field name=\"OSFXSR\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"OSXMMEXCPT\" start=\"10\" end=\"10\"/><field name=\"UMIP\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"LA57\" start=\"12\" end=\"12\"/><field name=\"VMXE\" start=\"13\" end=\"13\"/>\n"
    "<field name=\"SMXE\" start=\"14\" end=\"14\"/><field name=\"FSGSBASE\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"PCIDE\" start=\"17\" end=\"17\"/><field name=\"OSXSAVE\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"SMEP\" start=\"20\" end=\"20\"/><field name=\"SMAP\" start=\"21\" end=\"21\"/>\n"
    "<field name=\"PKE\" start=\"22\" end=\"22\"/><field name=\"CET\" start=\"23\" end=\"23\"/>\n"
    "<field name=\"PKS\" start=\"24\" end=\"24\"/>\n"
    "</flags>\n"
    "<flags id=\"hs_efer\" size=\"8\">\n"
    "<field name=\"SCE\" start=\"0\" end=\"0\"/><field name=\"LME\" start=\"8\" end=\"8\"/>\n"
    "<field name=\"LMA\" start=\"10\" end=\"10\"/><field name=\"NXE\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"SVME\" start=\"12\" end=\"12\"/><field name=\"LMSLE\" start=\"13\" end=\"13\"/>\n"
    "<field name=\"FFXSR\" start=\"14\" end=\"14\"/><field name=\"TCE\" start=\"15\" end=\"15\"/>\n"
    "</flags>\n"
    "<reg name=\"cr0\" bitsize=\"64\" type=\"hs_cr0\" regnum=\"60\" group=\"system\"/>\n"
    "<reg name=\"cr2\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
    "<reg name=\"cr3\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
    "<reg name=\"cr4\" bitsize=\"64\" type=\"hs_cr4\" group=\"system\"/>\n"
    "<reg name=\"cr8\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
    "<reg name=\"efer\" bitsize=\"64\" type=\"hs_efer\" group=\"system\"/>\n"
    "</feature>\n"
    "</target>\n";

const char *gdb_target_xml(void)
{
    return target_xml;
}

/* ---- registers -------------------------------------------------------------------------------- */

static const uint16_t gp_off[17] = {
    offsetof(struct dbg_regs, rax), offsetof(struct dbg_regs, rbx), offsetof(struct dbg_regs, rcx),
    offsetof(struct dbg_regs, rdx), offsetof(struct dbg_regs, rsi), offsetof(struct dbg_regs, rdi),
    offsetof(struct dbg_regs, rbp), offsetof(struct dbg_regs, rsp), offsetof(struct dbg_regs, r8),
    offsetof(struct dbg_regs, r9),  offsetof(struct dbg_regs, r10), offsetof(struct dbg_regs, r11),
    offsetof(struct dbg_regs, r12), offsetof(struct dbg_regs, r13), offsetof(struct dbg_regs, r14),
    offsetof(struct dbg_regs, r15), offsetof(struct dbg_regs, rip),
};
static const uint16_t seg_off[6] = {
    offsetof(struct dbg_regs, cs), offsetof(struct dbg_regs, ss), offsetof(struct dbg_regs, ds),
    offsetof(struct dbg_regs, es), offsetof(struct dbg_regs, fs), offsetof(struct dbg_regs, gs),
};
static const uint16_t sys_off[9] = {
    offsetof(struct dbg_regs, fs_base), offsetof(struct dbg_regs, gs_base), offsetof(struct dbg_regs, k_gs_base),
    offsetof(struct dbg_regs, cr0),     offsetof(struct dbg_regs, cr2),     offsetof(struct dbg_regs, cr3),
    offsetof(struct dbg_regs, cr4),     offsetof(struct dbg_regs, cr8),     offsetof(struct dbg_regs, efer),
};
/* FXSAVE offsets and widths of fctrl..fop (fiseg/foseg: the 16 bits above fioff/fooff, as gdb's
 * amd64 FXSAVE layout has them). */
static const uint8_t fx_off[8] = { 0, 2, 4, 12, 8, 20, 16, 6 };
static const uint8_t fx_len[8] = { 2, 2, 0, 2, 4, 2, 4, 2 };

static unsigned reg_bytes(unsigned n)
{
    if (n <= 16)
        return 8;
    if (n <= 23)
        return 4;
    if (n <= 31)
        return 10;
    if (n <= 39)
        return 4;
    if (n <= 55)
        return 16;
    if (n == 56)
        return 4;
    return 8;
}

static uint64_t le_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n && i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void le_put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(i < 8 ? v >> (8 * i) : 0);
}

static uint64_t *u64_at(struct dbg_regs *r, uint16_t off)
{
    return (uint64_t *)((uint8_t *)r + off);
}

static uint16_t *u16_at(struct dbg_regs *r, uint16_t off)
{
    return (uint16_t *)((uint8_t *)r + off);
}

/* The full x87 tag word (2 bits per physical register) from FXSAVE's abridged one. */
static unsigned full_tag(const uint8_t *fx)
{
    unsigned fsw = (unsigned)le_get(fx + 2, 2), top = (fsw >> 11) & 7, ftw = fx[4], tag = 0;
    for (unsigned phys = 0; phys < 8; phys++) {
        unsigned t;
        if (!(ftw & (1u << phys))) {
            t = 3; /* empty */
        } else {
            const uint8_t *st = fx + 32 + 16 * ((phys - top) & 7);
            unsigned exp = (unsigned)le_get(st + 8, 2) & 0x7FFF;
            uint64_t mant = le_get(st, 8);
            if (exp == 0x7FFF)
                t = 2;
            else if (exp == 0)
                t = mant ? 2 : 1;
            else
                t = (mant >> 63) ? 0 : 2;
        }
        tag |= t << (2 * phys);
    }
    return tag;
}

static void reg_get(struct dbg_regs *r, unsigned n, uint8_t *out)
{
    unsigned sz = reg_bytes(n);
    if (n <= 16)
        le_put(out, *u64_at(r, gp_off[n]), 8);
    else if (n == 17)
        le_put(out, r->rflags & 0xFFFFFFFFu, 4);
    else if (n <= 23)
        le_put(out, *u16_at(r, seg_off[n - 18]), 4);
    else if (n <= 31)
        memcpy(out, r->fxsave + 32 + 16 * (n - 24), 10);
    else if (n <= 39) {
        unsigned i = n - 32;
        uint64_t v = i == 2 ? full_tag(r->fxsave) : le_get(r->fxsave + fx_off[i], fx_len[i]);
        if (i == 7)
            v &= 0x7FF;
        le_put(out, v, 4);
    } else if (n <= 55)
        memcpy(out, r->fxsave + 160 + 16 * (n - 40), 16);
    else if (n == 56)
        memcpy(out, r->fxsave + 24, 4);
    else
        le_put(out, *u64_at(r, sys_off[n - 57]), sz);
}

static void reg_set(struct dbg_regs *r, unsigned n, const uint8_t *in)
{
    if (n <= 16)
        *u64_at(r, gp_off[n]) = le_get(in, 8);
    else if (n == 17)
        r->rflags = le_get(in, 4);
    else if (n <= 23)
        *u16_at(r, seg_off[n - 18]) = (uint16_t)le_get(in, 2);
    else if (n <= 31)
        memcpy(r->fxsave + 32 + 16 * (n - 24), in, 10);
    else if (n <= 39) {
        unsigned i = n - 32;
        uint64_t v = le_get(in, 4);
        if (i == 2) { /* abridged tag: valid unless the full tag says empty */
            unsigned ftw = 0;
            for (unsigned p = 0; p < 8; p++)
                if (((v >> (2 * p)) & 3) != 3)
                    ftw |= 1u << p;
            r->fxsave[4] = (uint8_t)ftw;
        } else {
            if (i == 7)
                v &= 0x7FF;
            le_put(r->fxsave + fx_off[i], v, fx_len[i]);
        }
    } else if (n <= 55)
        memcpy(r->fxsave + 160 + 16 * (n - 40), in, 16);
    else if (n == 56)
        memcpy(r->fxsave + 24, in, 4);
    else
        *u64_at(r, sys_off[n - 57]) = le_get(in, 8);
}

static unsigned regs_total_bytes(void)
{
    unsigned t = 0;
    for (unsigned n = 0; n < GDB_NUM_REGS; n++)
        t += reg_bytes(n);
    return t;
}

/* ---- transmit ---------------------------------------------------------------------------------- */

static const char hexdig[] = "0123456789abcdef";

static void send_raw(struct gdb_stub *s, const char *p, size_t n)
{
    if (s->out)
        s->out(s->out_ctx, (const uint8_t *)p, n);
}

static void tx_begin(struct gdb_stub *s)
{
    s->tx[0] = '$';
    s->tx_len = 1;
    s->tx_sum = 0;
    s->tx_full = false;
}

static size_t tx_room(const struct gdb_stub *s)
{
    size_t used = s->tx_len - 1;
    return used >= TX_DATA_MAX ? 0 : TX_DATA_MAX - used;
}

static void tx_byte(struct gdb_stub *s, uint8_t c)
{
    if (!tx_room(s)) {
        s->tx_full = true;
        return;
    }
    s->tx[s->tx_len++] = c;
    s->tx_sum = (uint8_t)(s->tx_sum + c);
}

static bool needs_escape(uint8_t c)
{
    return c == '#' || c == '$' || c == '}' || c == '*';
}

/* Binary data (qXfer): escaped. */
static void tx_bin(struct gdb_stub *s, uint8_t c)
{
    if (needs_escape(c)) {
        tx_byte(s, '}');
        tx_byte(s, c ^ 0x20);
    } else {
        tx_byte(s, c);
    }
}

static void tx_str(struct gdb_stub *s, const char *str)
{
    while (*str)
        tx_byte(s, (uint8_t)*str++);
}

static void tx_hex(struct gdb_stub *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tx_byte(s, (uint8_t)hexdig[p[i] >> 4]);
        tx_byte(s, (uint8_t)hexdig[p[i] & 15]);
    }
}

static void tx_end(struct gdb_stub *s)
{
    s->tx[s->tx_len++] = '#';
    s->tx[s->tx_len++] = (uint8_t)hexdig[s->tx_sum >> 4];
    s->tx[s->tx_len++] = (uint8_t)hexdig[s->tx_sum & 15];
    send_raw(s, (const char *)s->tx, s->tx_len);
}

static void reply(struct gdb_stub *s, const char *str)
{
    tx_begin(s);
    tx_str(s, str);
    tx_end(s);
}

/* ---- parsing ------------------------------------------------------------------------------------ */

struct cur {
    const uint8_t *p, *end;
};

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One to sixteen hex digits. */
static bool get_hex(struct cur *c, uint64_t *v)
{
    uint64_t x = 0;
    unsigned n = 0;
    while (c->p < c->end && hexval(*c->p) >= 0) {
        if (++n > 16)
            return false;
        x = x << 4 | (uint64_t)hexval(*c->p++);
    }
    *v = x;
    return n > 0;
}

static bool get_char(struct cur *c, char ch)
{
    if (c->p < c->end && *c->p == (uint8_t)ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool at_end(const struct cur *c)
{
    return c->p == c->end;
}

/* Hex pairs into out: exactly n bytes from exactly 2n digits up to the end. */
static bool get_hex_bytes(struct cur *c, uint8_t *out, size_t n)
{
    if ((size_t)(c->end - c->p) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(c->p[2 * i]), lo = hexval(c->p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    c->p = c->end;
    return true;
}

/* The packet is exactly str. */
static bool is(const struct gdb_stub *s, const char *str)
{
    size_t n = strlen(str);
    return s->rx_len == n && !memcmp(s->rx, str, n);
}

/* The packet starts with str: a cursor after it. */
static bool prefix(const struct gdb_stub *s, const char *str, struct cur *c)
{
    size_t n = strlen(str);
    if (s->rx_len < n || memcmp(s->rx, str, n))
        return false;
    c->p = s->rx + n;
    c->end = s->rx + s->rx_len;
    return true;
}

/* One id: -1 (all), 0 (any) or 1 ("ours" only matches 0, 1 and -1). */
static bool our_id(struct cur *c)
{
    uint64_t v;
    if (get_char(c, '-'))
        return get_char(c, '1');
    return get_hex(c, &v) && (v == 0 || v == 1);
}

/* A thread id, plain or in the multiprocess form pPID.TID: thread 1 of process 1, "all", "any". */
static bool our_thread(struct cur *c)
{
    if (get_char(c, 'p') && !(our_id(c) && get_char(c, '.')))
        return false;
    return our_id(c) && at_end(c);
}

/* ---- commands ----------------------------------------------------------------------------------- */

static bool get_regs(struct gdb_stub *s, struct dbg_regs *r)
{
    memset(r, 0, sizeof(*r));
    return s->t->get_regs && s->t->get_regs(s->t->ctx, r) == DBG_OK;
}

static bool put_regs(struct gdb_stub *s, const struct dbg_regs *r)
{
    return s->t->set_regs && s->t->set_regs(s->t->ctx, r) == DBG_OK;
}

static void send_stop(struct gdb_stub *s)
{
    char tmp[64];
    struct dbg_regs r;
    tx_begin(s);
    hs_snprintf(tmp, sizeof(tmp), "T%02x", s->stop_sig);
    tx_str(s, tmp);
    const char *kind = s->stop_reason == DBG_STOP_WATCH    ? "watch"
                       : s->stop_reason == DBG_STOP_RWATCH ? "rwatch"
                       : s->stop_reason == DBG_STOP_AWATCH ? "awatch"
                                                           : NULL;
    if (kind) {
        hs_snprintf(tmp, sizeof(tmp), "%s:%lx;", kind, s->stop_addr);
        tx_str(s, tmp);
    } else if (s->stop_reason == DBG_STOP_SWBREAK && s->gdb_swbreak) {
        tx_str(s, "swbreak:;");
    } else if (s->stop_reason == DBG_STOP_HWBREAK && s->gdb_hwbreak) {
        tx_str(s, "hwbreak:;");
    }
    tx_str(s, "thread:1;");
    if (get_regs(s, &r)) { /* rbp, rsp and rip (6, 7, 16) expedited: gdb's frame needs no 'g' */
        const struct {
            const char *num;
            uint64_t val;
        } ex[] = { { "06:", r.rbp }, { "07:", r.rsp }, { "10:", r.rip } };
        for (unsigned i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
            uint8_t b[8];
            le_put(b, ex[i].val, 8);
            tx_str(s, ex[i].num);
            tx_hex(s, b, 8);
            tx_byte(s, ';');
        }
    }
    tx_end(s);
}

static void cmd_g(struct gdb_stub *s)
{
    struct dbg_regs r;
    uint8_t b[16];
    if (!get_regs(s, &r)) {
        reply(s, "E22");
        return;
    }
    tx_begin(s);
    for (unsigned n = 0; n < GDB_NUM_REGS; n++) {
        reg_get(&r, n, b);
        tx_hex(s, b, reg_bytes(n));
    }
    tx_end(s);
}

static void cmd_G(struct gdb_stub *s)
{
    struct dbg_regs r;
    struct cur c = { s->rx + 1, s->rx + s->rx_len };
    unsigned total = regs_total_bytes();
    if ((size_t)(c.end - c.p) != 2 * (size_t)total || total > sizeof(s->mem) ||
        !get_hex_bytes(&c, s->mem, total)) {
        reply(s, "E01");
        return;
    }
    if (!get_regs(s, &r)) {
        reply(s, "E22");
        return;
    }
    const uint8_t *p = s->mem;
    for (unsigned n = 0; n < GDB_NUM_REGS; n++) {
        reg_set(&r, n, p);
        p += reg_bytes(n);
    }
    reply(s, put_regs(s, &r) ? "OK" : "E22");
}

static void cmd_p(struct gdb_stub *s)
{
    struct cur c = { s->rx + 1, s->rx + s->rx_len };
    uint64_t n;
    struct dbg_regs r;
    uint8_t b[16];
    if (!get_hex(&c, &n) || !at_end(&c) || n >= GDB_NUM_REGS) {
        reply(s, "E01");
        return;
    }
    if (!get_regs(s, &r)) {
        reply(s, "E22");
        return;
    }
    reg_get(&r, (unsigned)n, b);
    tx_begin(s);
    tx_hex(s, b, reg_bytes((unsigned)n));
    tx_end(s);
}

static void cmd_P(struct gdb_stub *s)
{
    struct cur c = { s->rx + 1, s->rx + s->rx_len };
    uint64_t n;
    struct dbg_regs r;
    uint8_t b[16];
    if (!get_hex(&c, &n) || n >= GDB_NUM_REGS || !get_char(&c, '=') ||
        !get_hex_bytes(&c, b, reg_bytes((unsigned)n))) {
        reply(s, "E01");
        return;
    }
    if (!get_regs(s, &r)) {
        reply(s, "E22");
        return;
    }
    reg_set(&r, (unsigned)n, b);
    reply(s, put_regs(s, &r) ? "OK" : "E22");
}

/* "ADDR,LEN" */
static bool get_addr_len(struct cur *c, uint64_t *addr, uint64_t *len)
{
    return get_hex(c, addr) && get_char(c, ',') && get_hex(c, len);
}

static void cmd_m(struct gdb_stub *s)
{
    struct cur c = { s->rx + 1, s->rx + s->rx_len };
    uint64_t addr, len;
    struct dbg_regs r;
    if (!get_addr_len(&c, &addr, &len) || !at_end(&c)) {
        reply(s, "E01");
        return;
    }
    if (!get_regs(s, &r)) {
        reply(s, "E22");
        return;
    }
    if (len > MEM_MAX)
        len = MEM_MAX; /* gdb takes a short read and asks for the rest */
    size_t got = dbg_read_virt(s->t, &r, addr, s->mem, (size_t)len, NULL, 0);
    if (!got && len) {
        reply(s, "E14");
        return;
    }
    tx_begin(s);
    tx_hex(s, s->mem, got);
    tx_end(s);
}

/* M (hex data) and X (binary data). */
static void cmd_write_mem(struct gdb_stub *s, bool binary)
{
    struct cur c = { s->rx + 1, s->rx + s->rx_len };
    uint64_t addr, len;
    struct dbg_regs r;
    if (!get_addr_len(&c, &addr, &len) || !get_char(&c, ':') || len > MEM_MAX) {
        reply(s, "E01");
        return;
    }
    if (binary) {
        if ((uint64_t)(c.end - c.p) != len) {
            reply(s, "E01");
            return;
        }
        memcpy(s->mem, c.p, (size_t)len);
    } else if (!get_hex_bytes(&c, s->mem, (size_t)len)) {
        reply(s, "E01");
        return;
    }
    if (!len) { /* gdb probes X support with a zero-length write */
        reply(s, "OK");
        return;
    }
    if (!get_regs(s, &r)) {
        reply(s, "E22");
        return;
    }
    size_t done = dbg_write_virt(s->t, &r, addr, s->mem, (size_t)len, NULL, 0);
    reply(s, done == len ? "OK" : "E14");
}

static enum dbg_action resume(struct gdb_stub *s, enum dbg_action act, bool has_addr, uint64_t addr)
{
    if (has_addr) {
        struct dbg_regs r;
        if (!get_regs(s, &r)) {
            reply(s, "E22");
            return DBG_ACT_NONE;
        }
        r.rip = addr;
        if (!put_regs(s, &r)) {
            reply(s, "E22");
            return DBG_ACT_NONE;
        }
    }
    s->running = true;
    return act;
}

/* c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR] (the signal is not delivered: a replayed guest
 * takes only what the Primary took). */
static enum dbg_action cmd_resume(struct gdb_stub *s, enum dbg_action act, bool with_sig)
{
    struct cur c = { s->rx + 1, s->rx + s->rx_len };
    uint64_t addr = 0, sig;
    bool has_addr = false;
    if (with_sig) {
        if (!get_hex(&c, &sig)) {
            reply(s, "E01");
            return DBG_ACT_NONE;
        }
        if (get_char(&c, ';')) {
            if (!get_hex(&c, &addr)) {
                reply(s, "E01");
                return DBG_ACT_NONE;
            }
            has_addr = true;
        }
    } else if (!at_end(&c)) {
        if (!get_hex(&c, &addr)) {
            reply(s, "E01");
            return DBG_ACT_NONE;
        }
        has_addr = true;
    }
    if (!at_end(&c)) {
        reply(s, "E01");
        return DBG_ACT_NONE;
    }
    s->range = false;
    return resume(s, act, has_addr, addr);
}

/* vCont;ACTION[:TID]...: the leftmost action that applies to thread 1 is taken. */
static enum dbg_action cmd_vcont(struct gdb_stub *s, struct cur *c)
{
    while (get_char(c, ';')) {
        const uint8_t *start = c->p;
        while (c->p < c->end && *c->p != ';')
            c->p++;
        struct cur a = { start, c->p }, tid = { c->p, c->p };
        bool has_tid = false;
        for (const uint8_t *q = a.p; q < a.end; q++)
            if (*q == ':') { /* ACTION:TID */
                tid.p = q + 1;
                a.end = q;
                has_tid = true;
                break;
            }
        if (a.p == a.end) {
            reply(s, "E01");
            return DBG_ACT_NONE;
        }
        uint8_t op = *a.p++;
        uint64_t v, start_pc = 0, end_pc = 0;
        bool ok;
        switch (op) {
        case 'c':
        case 's':
            ok = at_end(&a);
            break;
        case 'C':
        case 'S':
            ok = get_hex(&a, &v) && at_end(&a);
            break;
        case 'r':
            ok = get_hex(&a, &start_pc) && get_char(&a, ',') && get_hex(&a, &end_pc) && at_end(&a);
            break;
        default:
            ok = false; /* 't' (stop) has no meaning in all-stop mode */
        }
        if (!ok) {
            reply(s, "E01");
            return DBG_ACT_NONE;
        }
        if (has_tid && !our_thread(&tid))
            continue; /* for another thread */
        s->range = op == 'r';
        s->range_start = start_pc;
        s->range_end = end_pc;
        return resume(s, (op == 'c' || op == 'C') ? DBG_ACT_CONTINUE : DBG_ACT_STEP, false, 0);
    }
    reply(s, "E01");
    return DBG_ACT_NONE;
}

static void bp_remember(struct gdb_stub *s, unsigned type, uint64_t addr, uint64_t len)
{
    for (unsigned i = 0; i < GDB_MAX_BP; i++)
        if (!s->bp[i].used) {
            s->bp[i].used = true;
            s->bp[i].type = (uint8_t)type;
            s->bp[i].addr = addr;
            s->bp[i].len = len;
            return;
        }
}

static void bp_forget(struct gdb_stub *s, unsigned type, uint64_t addr, uint64_t len)
{
    for (unsigned i = 0; i < GDB_MAX_BP; i++)
        if (s->bp[i].used && s->bp[i].type == type && s->bp[i].addr == addr && s->bp[i].len == len) {
            s->bp[i].used = false;
            return;
        }
}

static bool bp_at(const struct gdb_stub *s, uint64_t pc)
{
    for (unsigned i = 0; i < GDB_MAX_BP; i++)
        if (s->bp[i].used && s->bp[i].type <= DBG_BP_HW && s->bp[i].addr == pc)
            return true;
    return false;
}

static void bp_clear_all(struct gdb_stub *s)
{
    for (unsigned i = 0; i < GDB_MAX_BP; i++)
        if (s->bp[i].used) {
            if (s->t->clear_break)
                s->t->clear_break(s->t->ctx, (enum dbg_bp_type)s->bp[i].type, s->bp[i].addr, s->bp[i].len);
            s->bp[i].used = false;
        }
}

/* Ztype,addr,kind[;cond...] and ztype,addr,kind. */
static void cmd_break(struct gdb_stub *s, bool set)
{
    struct cur c = { s->rx + 1, s->rx + s->rx_len };
    uint64_t type, addr, kind;
    if (!get_hex(&c, &type) || !get_char(&c, ',') || !get_addr_len(&c, &addr, &kind) ||
        !(at_end(&c) || (set && *c.p == ';'))) {
        reply(s, "E01");
        return;
    }
    int (*op)(void *, enum dbg_bp_type, uint64_t, uint64_t) = set ? s->t->set_break : s->t->clear_break;
    if (type > DBG_WP_ACCESS || !op) {
        reply(s, ""); /* not supported: gdb falls back (memory breakpoints, software watchpoints) */
        return;
    }
    int r = op(s->t->ctx, (enum dbg_bp_type)type, addr, kind);
    switch (r) {
    case DBG_OK:
        if (set)
            bp_remember(s, (unsigned)type, addr, kind);
        else
            bp_forget(s, (unsigned)type, addr, kind);
        reply(s, "OK");
        break;
    case DBG_UNSUPPORTED:
        reply(s, "");
        break;
    case DBG_NOSLOT:
        reply(s, "E28"); /* ENOSPC */
        break;
    default:
        reply(s, "E22");
    }
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH */
static void cmd_xfer_features(struct gdb_stub *s, struct cur *c)
{
    static const char annex[] = "target.xml:";
    size_t an = sizeof(annex) - 1;
    uint64_t off, len;
    if ((size_t)(c->end - c->p) < an || memcmp(c->p, annex, an)) {
        reply(s, "E00"); /* no such annex */
        return;
    }
    c->p += an;
    if (!get_addr_len(c, &off, &len) || !at_end(c)) {
        reply(s, "E01");
        return;
    }
    size_t total = sizeof(target_xml) - 1;
    if (off >= total) {
        reply(s, "l");
        return;
    }
    /* As many bytes as fit after escaping, at most len. */
    size_t room = TX_DATA_MAX - 1, n = 0, enc = 0;
    while (off + n < total && n < len) {
        size_t e = needs_escape((uint8_t)target_xml[off + n]) ? 2 : 1;
        if (enc + e > room)
            break;
        enc += e;
        n++;
    }
    tx_begin(s);
    tx_byte(s, off + n >= total ? 'l' : 'm');
    for (size_t i = 0; i < n; i++)
        tx_bin(s, (uint8_t)target_xml[off + i]);
    tx_end(s);
}

static void cmd_supported(struct gdb_stub *s, struct cur *c)
{
    s->gdb_swbreak = s->gdb_hwbreak = false;
    /* gdb's features: "swbreak+;hwbreak+;..." */
    while (c->p < c->end) {
        const uint8_t *f = c->p;
        while (c->p < c->end && *c->p != ';')
            c->p++;
        size_t n = (size_t)(c->p - f);
        if (n == 8 && !memcmp(f, "swbreak+", 8))
            s->gdb_swbreak = true;
        if (n == 8 && !memcmp(f, "hwbreak+", 8))
            s->gdb_hwbreak = true;
        get_char(c, ';');
    }
    char tmp[160];
    hs_snprintf(tmp, sizeof(tmp), "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+",
                GDB_PACKET_SIZE);
    reply(s, tmp);
}

static enum dbg_action handle_packet(struct gdb_stub *s)
{
    struct cur c;
    if (!s->rx_len) {
        reply(s, "");
        return DBG_ACT_NONE;
    }
    switch (s->rx[0]) {
    case '?':
        if (s->rx_len != 1)
            break;
        if (s->running) { /* a new gdb while the guest runs: stop it, the stop reply answers */
            s->defer_stop = true;
            return DBG_ACT_INTERRUPT;
        }
        send_stop(s);
        return DBG_ACT_NONE;
    case 'g':
        if (s->rx_len != 1)
            break;
        cmd_g(s);
        return DBG_ACT_NONE;
    case 'G':
        cmd_G(s);
        return DBG_ACT_NONE;
    case 'p':
        cmd_p(s);
        return DBG_ACT_NONE;
    case 'P':
        cmd_P(s);
        return DBG_ACT_NONE;
    case 'm':
        cmd_m(s);
        return DBG_ACT_NONE;
    case 'M':
        cmd_write_mem(s, false);
        return DBG_ACT_NONE;
    case 'X':
        cmd_write_mem(s, true);
        return DBG_ACT_NONE;
    case 'c':
        return cmd_resume(s, DBG_ACT_CONTINUE, false);
    case 's':
        return cmd_resume(s, DBG_ACT_STEP, false);
    case 'C':
        return cmd_resume(s, DBG_ACT_CONTINUE, true);
    case 'S':
        return cmd_resume(s, DBG_ACT_STEP, true);
    case 'Z':
    case 'z':
        cmd_break(s, s->rx[0] == 'Z');
        return DBG_ACT_NONE;
    case 'H':
        c.p = s->rx + 1;
        c.end = s->rx + s->rx_len;
        if (c.p < c.end && (*c.p == 'g' || *c.p == 'c')) {
            c.p++;
            reply(s, our_thread(&c) ? "OK" : "E01");
        } else {
            reply(s, "E01");
        }
        return DBG_ACT_NONE;
    case 'T':
        c.p = s->rx + 1;
        c.end = s->rx + s->rx_len;
        reply(s, our_thread(&c) ? "OK" : "E01");
        return DBG_ACT_NONE;
    case 'D':
        reply(s, "OK");
        bp_clear_all(s);
        s->noack = false;
        s->running = false;
        return DBG_ACT_DETACH;
    case 'k':
        if (s->rx_len != 1)
            break;
        bp_clear_all(s);
        s->noack = false;
        s->running = false;
        return DBG_ACT_KILL; /* no reply */
    case 'q':
        if (prefix(s, "qSupported", &c) && (at_end(&c) || get_char(&c, ':'))) {
            cmd_supported(s, &c);
            return DBG_ACT_NONE;
        }
        if (prefix(s, "qXfer:features:read:", &c)) {
            cmd_xfer_features(s, &c);
            return DBG_ACT_NONE;
        }
        if (is(s, "qAttached") || prefix(s, "qAttached:", &c)) {
            reply(s, "1"); /* attached to an existing process: quitting detaches */
            return DBG_ACT_NONE;
        }
        if (is(s, "qC")) {
            reply(s, "QC1");
            return DBG_ACT_NONE;
        }
        if (is(s, "qfThreadInfo")) {
            reply(s, "m1");
            return DBG_ACT_NONE;
        }
        if (is(s, "qsThreadInfo")) {
            reply(s, "l");
            return DBG_ACT_NONE;
        }
        if (prefix(s, "qSymbol:", &c)) {
            reply(s, "OK"); /* no symbols wanted */
            return DBG_ACT_NONE;
        }
        break;
    case 'Q':
        if (is(s, "QStartNoAckMode")) {
            reply(s, "OK"); /* still acknowledged by gdb; none after it */
            s->noack = true;
            return DBG_ACT_NONE;
        }
        break;
    case 'v':
        if (is(s, "vCont?")) {
            reply(s, "vCont;c;C;s;S;r");
            return DBG_ACT_NONE;
        }
        if (prefix(s, "vCont", &c) && c.p < c.end && *c.p == ';')
            return cmd_vcont(s, &c);
        if (prefix(s, "vKill", &c) && (at_end(&c) || *c.p == ';')) {
            reply(s, "OK");
            bp_clear_all(s);
            s->noack = false;
            s->running = false;
            return DBG_ACT_KILL;
        }
        break;
    default:
        break;
    }
    reply(s, ""); /* unknown: an empty reply */
    return DBG_ACT_NONE;
}

/* ---- receive ------------------------------------------------------------------------------------ */

static void rx_start(struct gdb_stub *s)
{
    s->rx_state = RX_DATA;
    s->rx_len = 0;
    s->rx_sum = 0;
    s->rx_escape = s->rx_rle = s->rx_overflow = s->rx_bad = false;
}

static void rx_store(struct gdb_stub *s, uint8_t c)
{
    if (s->rx_len < GDB_PACKET_SIZE)
        s->rx[s->rx_len++] = c;
    else
        s->rx_overflow = true;
}

static void nak(struct gdb_stub *s)
{
    s->bad_checksums++;
    if (!s->noack) {
        send_raw(s, "-", 1);
        s->naks_sent++;
    }
}

static enum dbg_action packet_done(struct gdb_stub *s)
{
    s->packets++;
    if (!s->noack)
        send_raw(s, "+", 1);
    if (s->rx_overflow) {
        s->oversize++;
        reply(s, "E01");
        return DBG_ACT_NONE;
    }
    if (s->rx_bad) {
        reply(s, "E01");
        return DBG_ACT_NONE;
    }
    s->rx[s->rx_len] = 0;
    return handle_packet(s);
}

enum dbg_action gdb_input(struct gdb_stub *s, uint8_t b)
{
    int v;
    switch (s->rx_state) {
    case RX_DATA:
        if (b == '$') { /* a new packet: the old one was truncated */
            rx_start(s);
            return DBG_ACT_NONE;
        }
        if (b == '#') {
            if (s->rx_escape || s->rx_rle)
                s->rx_bad = true;
            s->rx_state = RX_CSUM1;
            return DBG_ACT_NONE;
        }
        s->rx_sum = (uint8_t)(s->rx_sum + b);
        if (s->rx_rle) { /* run length: the previous byte repeated (b - 29) more times */
            s->rx_rle = false;
            if (b < 32 || b > 126 || !s->rx_len) {
                s->rx_bad = true;
            } else {
                uint8_t last = s->rx[s->rx_len - 1];
                for (int i = 0; i < b - 29; i++)
                    rx_store(s, last);
            }
        } else if (s->rx_escape) {
            s->rx_escape = false;
            rx_store(s, b ^ 0x20);
        } else if (b == '}') {
            s->rx_escape = true;
        } else if (b == '*') {
            s->rx_rle = true;
        } else {
            rx_store(s, b);
        }
        return DBG_ACT_NONE;
    case RX_CSUM1:
    case RX_CSUM2:
        if (b == '$') {
            nak(s);
            rx_start(s);
            return DBG_ACT_NONE;
        }
        v = hexval(b);
        if (v < 0) {
            nak(s);
            s->rx_state = RX_IDLE;
            return DBG_ACT_NONE;
        }
        if (s->rx_state == RX_CSUM1) {
            s->rx_csum = (uint8_t)(v << 4);
            s->rx_state = RX_CSUM2;
            return DBG_ACT_NONE;
        }
        s->rx_state = RX_IDLE;
        if ((uint8_t)(s->rx_csum | v) != s->rx_sum) {
            nak(s); /* gdb retransmits */
            return DBG_ACT_NONE;
        }
        return packet_done(s);
    default: /* RX_IDLE */
        if (b == '$') {
            rx_start(s);
        } else if (b == 0x03) {
            if (s->running)
                return DBG_ACT_INTERRUPT;
        } else if (b == '-' && !s->noack && s->tx_len) {
            s->retransmits++;
            send_raw(s, (const char *)s->tx, s->tx_len);
        }
        return DBG_ACT_NONE; /* '+' and anything else between packets */
    }
}

/* ---- session ------------------------------------------------------------------------------------ */

void gdb_init(struct gdb_stub *s, const struct dbg_target *t, gdb_out_fn out, void *out_ctx)
{
    memset(s, 0, sizeof(*s));
    s->t = t;
    s->out = out;
    s->out_ctx = out_ctx;
    s->rx_state = RX_IDLE;
    s->stop_sig = SIGTRAP_NR;
    s->stop_reason = DBG_STOP_STEP;
}

void gdb_running(struct gdb_stub *s)
{
    s->running = true;
}

bool gdb_is_running(const struct gdb_stub *s)
{
    return s->running;
}

bool gdb_between_packets(const struct gdb_stub *s)
{
    return s->rx_state == RX_IDLE;
}

enum dbg_action gdb_stopped(struct gdb_stub *s, const struct dbg_stop *st)
{
    if (s->running && s->range && st->reason == DBG_STOP_STEP && !s->defer_stop) {
        struct dbg_regs r;
        if (get_regs(s, &r) && r.rip >= s->range_start && r.rip < s->range_end && !bp_at(s, r.rip))
            return DBG_ACT_STEP; /* still inside the range: keep stepping, no reply */
    }
    s->stop_sig = st->reason == DBG_STOP_INTERRUPT ? SIGINT_NR : SIGTRAP_NR;
    s->stop_reason = st->reason;
    s->stop_addr = st->addr;
    s->range = false;
    s->defer_stop = false;
    if (!s->running)
        return DBG_ACT_NONE; /* nobody waits for a stop reply: '?' reports it */
    s->running = false;
    send_stop(s);
    return DBG_ACT_NONE;
}

void gdb_reset(struct gdb_stub *s)
{
    bp_clear_all(s);
    s->rx_state = RX_IDLE;
    s->rx_len = 0;
    s->tx_len = 0;
    s->noack = false;
    s->running = false;
    s->defer_stop = false;
    s->range = false;
    s->gdb_swbreak = s->gdb_hwbreak = false;
}
