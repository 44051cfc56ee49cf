/* The text monitor (see monitor.h). */
#include "debug/monitor.h"
#include "debug/gva.h"
#include "lib.h"

static const char PROMPT[] = "(hindsight) ";

/* ---- output -------------------------------------------------------------------------------------- */

static void out_raw(struct monitor *m, const char *s, size_t n)
{
    if (m->out && n)
        m->out(m->out_ctx, (const uint8_t *)s, n);
}

/* printf to the terminal; '\n' goes out as "\r\n". */
static void say(struct monitor *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct monitor *m, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = hs_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, start = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n') {
            out_raw(m, buf + start, i - start);
            out_raw(m, "\r\n", 2);
            start = i + 1;
        }
    out_raw(m, buf + start, len - start);
    if ((size_t)n >= sizeof(buf))
        out_raw(m, "...\r\n", 5); /* truncated: still one whole line */
}

/* Appends to a line buffer (truncating). */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = hs_vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

void monitor_prompt(struct monitor *m)
{
    out_raw(m, PROMPT, sizeof(PROMPT) - 1);
    out_raw(m, m->line, m->len); /* what was typed so far, if output interrupted it */
}

/* " <sym+0x12>" for addr if the VMM has symbols, else "". */
static void sym_suffix(struct monitor *m, uint64_t addr, char *buf, size_t size)
{
    char name[96];
    uint64_t off = 0;
    buf[0] = 0;
    if (!m->t->sym_name || m->t->sym_name(m->t->ctx, addr, name, sizeof(name), &off) != DBG_OK)
        return;
    name[sizeof(name) - 1] = 0;
    if (off)
        hs_snprintf(buf, size, " <%s+0x%lx>", name, off);
    else
        hs_snprintf(buf, size, " <%s>", name);
}

/* ---- tokens and numbers ---------------------------------------------------------------------------- */

struct tok {
    const char *p;
    size_t n;
};

/* A token as a C string (for messages). */
static const char *tstr(char *buf, size_t size, const char *p, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

static bool tok_is(struct tok t, const char *s)
{
    return strlen(s) == t.n && !strncmp(t.p, s, t.n);
}

static bool get_regs(struct monitor *m, struct dbg_regs *r)
{
    memset(r, 0, sizeof(*r));
    if (m->t->get_regs && m->t->get_regs(m->t->ctx, r) == DBG_OK)
        return true;
    say(m, "error: cannot read the guest's registers\n");
    return false;
}

/* One term: a number, $register or symbol. */
static bool term(struct monitor *m, const char *p, size_t n, const char *whole, size_t wn, uint64_t *v)
{
    char a[MON_LINE_MAX + 1], b[MON_LINE_MAX + 1];
    if (!n) {
        say(m, "error: bad number '%s'\n", tstr(a, sizeof(a), whole, wn));
        return false;
    }
    if (p[0] == '$') {
        struct dbg_regs r;
        unsigned size = 0;
        if (!get_regs(m, &r))
            return false;
        void *reg = dbg_reg_by_name(&r, p + 1, n - 1, &size);
        if (!reg) {
            say(m, "error: unknown register '%s'\n", tstr(a, sizeof(a), p, n));
            return false;
        }
        *v = size == 2 ? *(uint16_t *)reg : *(uint64_t *)reg;
        return true;
    }
    if (p[0] >= '0' && p[0] <= '9') {
        if (!parse_u64(p, n, v)) {
            say(m, "error: bad number '%s'\n", tstr(a, sizeof(a), whole, wn));
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) {
            say(m, "error: bad number '%s'\n", tstr(a, sizeof(a), whole, wn));
            return false;
        }
    }
    if (!m->t->sym_lookup) {
        say(m, "error: no symbol table (the VMM has no kallsyms): cannot resolve '%s'\n", tstr(a, sizeof(a), p, n));
        return false;
    }
    if (m->t->sym_lookup(m->t->ctx, p, n, v) != DBG_OK) {
        say(m, "error: unknown symbol '%s'\n", tstr(b, sizeof(b), p, n));
        return false;
    }
    return true;
}

/* TERM {+|- TERM}: numbers (0x-hex, decimal), $registers, symbols. */
static bool eval(struct monitor *m, struct tok t, uint64_t *out)
{
    uint64_t acc = 0;
    bool neg = false;
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < t.n && t.p[j] != '+' && t.p[j] != '-')
            j++;
        uint64_t v;
        if (!term(m, t.p + i, j - i, t.p, t.n, &v))
            return false;
        acc = neg ? acc - v : acc + v;
        if (j == t.n)
            break;
        neg = t.p[j] == '-';
        i = j + 1;
    }
    *out = acc;
    return true;
}

/* ---- commands ------------------------------------------------------------------------------------- */

static void cmd_help(struct monitor *m)
{
    static const char *const lines[] = {
        "commands (numbers: 0x-hex, decimal, SYMBOL, $REG, and sums: panic+0x10):",
        "  help                  this list",
        "  regs                  the Backup's registers",
        "  x ADDR [LEN]          hex dump of guest-virtual memory (through the guest's page tables)",
        "  xp ADDR [LEN]         hex dump of guest-physical memory",
        "  v2p ADDR              translate a guest-virtual address (the page-table walk)",
        "  set REG VALUE         write a register (rax..r15, rip, rflags, cr0..efer, fs_base...)",
        "  step [N]              execute N instructions (1)",
        "  next-event            run until the next recorded event has been replayed",
        "  continue              run to a breakpoint or the end of the replay (Ctrl-C stops)",
        "  break ADDR|SYMBOL     set a breakpoint",
        "  delete N              delete breakpoint N",
        "  info break            list the breakpoints",
        "  panic                 run to the position where the Primary panicked and compare",
        "                        the Backup's registers and RAM with the Primary's (run-to-panic)",
        "  where                 the replay position: exit_seq, rip, events replayed",
        "  quit                  leave the debugger (detach): the run ends with its summary",
    };
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
        say(m, "%s\n", lines[i]);
}

static void flags_str(uint64_t f, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } fl[] = { { 0, "CF" },  { 2, "PF" },  { 4, "AF" },  { 6, "ZF" },  { 7, "SF" },  { 8, "TF" },
               { 9, "IF" },  { 10, "DF" }, { 11, "OF" }, { 14, "NT" }, { 16, "RF" }, { 17, "VM" },
               { 18, "AC" }, { 19, "VIF" }, { 20, "VIP" }, { 21, "ID" } };
    size_t len = 0;
    buf[0] = 0;
    append(buf, size, &len, "[");
    for (size_t i = 0; i < ARRAY_SIZE(fl); i++)
        if (f & (1ull << fl[i].bit))
            append(buf, size, &len, " %s", fl[i].name);
    append(buf, size, &len, " ]");
}

static void cmd_regs(struct monitor *m)
{
    struct dbg_regs r;
    if (!get_regs(m, &r))
        return;
    static const char *const names[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                           "r8 ", "r9 ", "r10", "r11", "r12", "r13", "r14", "r15" };
    const uint64_t v[16] = { r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp,
                             r.r8,  r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 };
    for (unsigned i = 0; i < 16; i += 4)
        say(m, "%s 0x%016lx  %s 0x%016lx  %s 0x%016lx  %s 0x%016lx\n", names[i], v[i], names[i + 1], v[i + 1],
            names[i + 2], v[i + 2], names[i + 3], v[i + 3]);
    char sym[128], fl[96];
    sym_suffix(m, r.rip, sym, sizeof(sym));
    flags_str(r.rflags, fl, sizeof(fl));
    say(m, "rip 0x%016lx%s  rflags 0x%lx %s\n", r.rip, sym, r.rflags, fl);
    say(m, "cs 0x%x  ss 0x%x  ds 0x%x  es 0x%x  fs 0x%x  gs 0x%x\n", r.cs, r.ss, r.ds, r.es, r.fs, r.gs);
    say(m, "fs_base 0x%lx  gs_base 0x%lx  k_gs_base 0x%lx\n", r.fs_base, r.gs_base, r.k_gs_base);
    say(m, "cr0 0x%lx  cr2 0x%lx  cr3 0x%lx  cr4 0x%lx  cr8 0x%lx  efer 0x%lx (paging: %s)\n", r.cr0, r.cr2, r.cr3,
        r.cr4, r.cr8, r.efer, gva_mode_name(r.cr4, r.efer, r.cr0));
}

static void dump(struct monitor *m, uint64_t addr, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t off = 0; off < n; off += 16) {
        char line[100];
        size_t k = 0;
        append(line, sizeof(line), &k, "%016lx:", addr + off);
        for (size_t i = 0; i < 16; i++) {
            line[k++] = ' ';
            line[k++] = off + i < n ? hex[b[off + i] >> 4] : ' ';
            line[k++] = off + i < n ? hex[b[off + i] & 15] : ' ';
        }
        line[k++] = ' ';
        line[k++] = ' ';
        line[k++] = '|';
        for (size_t i = 0; i < 16 && off + i < n; i++) {
            uint8_t c = b[off + i];
            line[k++] = (char)(c >= 0x20 && c < 0x7F ? c : '.');
        }
        line[k++] = '|';
        line[k] = 0;
        say(m, "%s\n", line);
    }
}

/* x/xp ADDR [LEN] */
static void cmd_dump(struct monitor *m, const struct tok *a, unsigned na, bool phys)
{
    uint64_t addr, len = 64;
    char why[200];
    if (na < 1 || na > 2) {
        say(m, "error: usage: %s ADDR [LEN]\n", phys ? "xp" : "x");
        return;
    }
    if (!eval(m, a[0], &addr) || (na == 2 && !eval(m, a[1], &len)))
        return;
    if (len == 0 || len > MON_MAX_DUMP) {
        say(m, "error: LEN must be 1..%u\n", MON_MAX_DUMP);
        return;
    }
    size_t got;
    if (phys) {
        got = dbg_read_phys(m->t, addr, m->mem, (size_t)len, why, sizeof(why));
    } else {
        struct dbg_regs r;
        if (!get_regs(m, &r))
            return;
        got = dbg_read_virt(m->t, &r, addr, m->mem, (size_t)len, why, sizeof(why));
    }
    dump(m, addr, m->mem, got);
    if (got < len)
        say(m, "error: cannot read 0x%lx: %s\n", addr + got, why[0] ? why : "unknown failure");
}

static void cmd_v2p(struct monitor *m, const struct tok *a, unsigned na)
{
    uint64_t va, pa;
    struct dbg_regs r;
    char why[200];
    if (na != 1) {
        say(m, "error: usage: v2p ADDR\n");
        return;
    }
    if (!eval(m, a[0], &va) || !get_regs(m, &r))
        return;
    struct gva_mem gm = { m->t->ctx, m->t->read_phys, m->t->ram_size, m->t->maxphyaddr };
    if (gva_translate(&gm, r.cr3, r.cr4, r.efer, r.cr0, va, &pa, why, sizeof(why)) != GVA_OK) {
        say(m, "error: %s\n", why);
        return;
    }
    say(m, "va 0x%lx -> pa 0x%lx (paging: %s, cr3 0x%lx)\n", va, pa, gva_mode_name(r.cr4, r.efer, r.cr0), r.cr3);
}

static void cmd_set(struct monitor *m, const struct tok *a, unsigned na)
{
    struct dbg_regs r;
    uint64_t v;
    unsigned size = 0;
    char b[MON_LINE_MAX + 1];
    if (na != 2) {
        say(m, "error: usage: set REG VALUE\n");
        return;
    }
    struct tok name = a[0];
    if (name.n && name.p[0] == '$') {
        name.p++;
        name.n--;
    }
    if (!eval(m, a[1], &v) || !get_regs(m, &r))
        return;
    void *reg = dbg_reg_by_name(&r, name.p, name.n, &size);
    if (!reg) {
        say(m, "error: unknown register '%s' (rax..r15, rip, rflags, cs..gs, fs_base, gs_base, k_gs_base, "
               "cr0, cr2, cr3, cr4, cr8, efer)\n",
            tstr(b, sizeof(b), name.p, name.n));
        return;
    }
    if (size == 2 && v > 0xFFFF) {
        say(m, "error: %s is 16 bits: 0x%lx does not fit\n", tstr(b, sizeof(b), name.p, name.n), v);
        return;
    }
    if (size == 2)
        *(uint16_t *)reg = (uint16_t)v;
    else
        *(uint64_t *)reg = v;
    if (!m->t->set_regs || m->t->set_regs(m->t->ctx, &r) != DBG_OK) {
        say(m, "error: the VMM refused to write %s\n", tstr(b, sizeof(b), name.p, name.n));
        return;
    }
    say(m, "%s = 0x%lx\n", tstr(b, sizeof(b), name.p, name.n), v);
}

static const char *bp_error(int r)
{
    switch (r) {
    case DBG_UNSUPPORTED:
        return "the VMM does not support breakpoints";
    case DBG_NOSLOT:
        return "no free breakpoint slot in the VMM";
    default:
        return "the VMM refused it";
    }
}

static void cmd_break(struct monitor *m, const struct tok *a, unsigned na)
{
    uint64_t addr;
    char sym[128];
    if (na != 1) {
        say(m, "error: usage: break ADDR|SYMBOL\n");
        return;
    }
    if (!eval(m, a[0], &addr))
        return;
    unsigned slot = MON_MAX_BP;
    for (unsigned i = 0; i < MON_MAX_BP; i++) {
        if (m->bp[i].used && m->bp[i].addr == addr) {
            say(m, "error: breakpoint %u is already at 0x%lx\n", i + 1, addr);
            return;
        }
        if (!m->bp[i].used && slot == MON_MAX_BP)
            slot = i;
    }
    if (slot == MON_MAX_BP) {
        say(m, "error: at most %u breakpoints (delete one first)\n", MON_MAX_BP);
        return;
    }
    int r = m->t->set_break ? m->t->set_break(m->t->ctx, DBG_BP_SW, addr, 1) : DBG_UNSUPPORTED;
    if (r != DBG_OK) {
        say(m, "error: cannot set a breakpoint at 0x%lx: %s\n", addr, bp_error(r));
        return;
    }
    m->bp[slot].used = true;
    m->bp[slot].addr = addr;
    sym_suffix(m, addr, sym, sizeof(sym));
    say(m, "breakpoint %u at 0x%lx%s\n", slot + 1, addr, sym);
}

static void cmd_delete(struct monitor *m, const struct tok *a, unsigned na)
{
    uint64_t n;
    char b[MON_LINE_MAX + 1];
    if (na != 1) {
        say(m, "error: usage: delete N (see info break)\n");
        return;
    }
    if (!parse_u64(a[0].p, a[0].n, &n)) {
        say(m, "error: bad number '%s'\n", tstr(b, sizeof(b), a[0].p, a[0].n));
        return;
    }
    if (n < 1 || n > MON_MAX_BP || !m->bp[n - 1].used) {
        say(m, "error: no breakpoint %lu\n", n);
        return;
    }
    if (m->t->clear_break)
        m->t->clear_break(m->t->ctx, DBG_BP_SW, m->bp[n - 1].addr, 1);
    m->bp[n - 1].used = false;
    say(m, "deleted breakpoint %lu\n", n);
}

static void cmd_info_break(struct monitor *m)
{
    char sym[128];
    unsigned any = 0;
    for (unsigned i = 0; i < MON_MAX_BP; i++)
        if (m->bp[i].used) {
            if (!any++)
                say(m, "Num  Address\n");
            sym_suffix(m, m->bp[i].addr, sym, sizeof(sym));
            say(m, "%u    0x%016lx%s\n", i + 1, m->bp[i].addr, sym);
        }
    if (!any)
        say(m, "no breakpoints\n");
}

static void cmd_where(struct monitor *m)
{
    struct dbg_pos p;
    char line[320], sym[128];
    size_t k = 0;
    memset(&p, 0, sizeof(p));
    if (m->t->position && m->t->position(m->t->ctx, &p) == DBG_OK) {
        sym_suffix(m, p.rip, sym, sizeof(sym));
        append(line, sizeof(line), &k, "exit_seq %lu, rip 0x%lx%s, events replayed %lu", p.exit_seq, p.rip, sym,
               p.events_replayed);
        if (p.events_total)
            append(line, sizeof(line), &k, " of %lu", p.events_total);
        if (p.has_panic)
            append(line, sizeof(line), &k, "; the Primary panicked at exit_seq %lu, rip 0x%lx", p.panic_exit_seq,
                   p.panic_rip);
        say(m, "%s\n", line);
        return;
    }
    struct dbg_regs r;
    if (!get_regs(m, &r))
        return;
    sym_suffix(m, r.rip, sym, sizeof(sym));
    say(m, "rip 0x%lx%s (the VMM reports no replay position)\n", r.rip, sym);
}

static void panic_report(struct monitor *m)
{
    struct dbg_panic_check c;
    memset(&c, 0, sizeof(c));
    if (!m->t->panic_check || m->t->panic_check(m->t->ctx, &c) != DBG_OK) {
        say(m, "error: the VMM cannot compare the Backup with the Primary\n");
        return;
    }
    bool regs_ok = c.backup_regs_hash == c.primary_regs_hash, ram_ok = c.backup_ram_hash == c.primary_ram_hash;
    if (c.at_panic)
        say(m, "at the Primary's panic position: exit_seq %lu, rip 0x%lx\n", c.backup_exit_seq, c.backup_rip);
    else
        say(m, "NOT at the Primary's panic position: Backup exit_seq %lu rip 0x%lx, Primary exit_seq %lu rip 0x%lx\n",
            c.backup_exit_seq, c.backup_rip, c.primary_exit_seq, c.primary_rip);
    say(m, "registers: Backup 0x%016lx, Primary 0x%016lx: %s\n", c.backup_regs_hash, c.primary_regs_hash,
        regs_ok ? "equal" : "DIFFERENT");
    say(m, "RAM hash:  Backup 0x%016lx, Primary 0x%016lx: %s\n", c.backup_ram_hash, c.primary_ram_hash,
        ram_ok ? "equal" : "DIFFERENT");
    if (c.at_panic && regs_ok && ram_ok)
        say(m, "confirmed: the Backup stands where the Primary panicked, with the same registers and RAM\n");
    else
        say(m, "MISMATCH: the Backup does not reproduce the Primary's panic state\n");
}

static enum dbg_action run(struct monitor *m, enum dbg_action act, uint64_t steps)
{
    m->running = true;
    m->running_act = act;
    m->steps_left = steps;
    m->steps_done = 0;
    return act;
}

static void clear_breakpoints(struct monitor *m)
{
    for (unsigned i = 0; i < MON_MAX_BP; i++)
        if (m->bp[i].used) {
            if (m->t->clear_break)
                m->t->clear_break(m->t->ctx, DBG_BP_SW, m->bp[i].addr, 1);
            m->bp[i].used = false;
        }
}

#define MAX_ARGS 4

static enum dbg_action execute(struct monitor *m)
{
    struct tok t[MAX_ARGS + 2];
    unsigned n = 0;
    char b[MON_LINE_MAX + 1];
    for (size_t i = 0; i < m->len;) {
        while (i < m->len && (m->line[i] == ' ' || m->line[i] == '\t'))
            i++;
        if (i == m->len)
            break;
        size_t s = i;
        while (i < m->len && m->line[i] != ' ' && m->line[i] != '\t')
            i++;
        if (n < ARRAY_SIZE(t)) {
            t[n].p = m->line + s;
            t[n].n = i - s;
        }
        n++;
    }
    if (!n)
        return DBG_ACT_NONE;
    if (n > ARRAY_SIZE(t)) {
        say(m, "error: too many arguments\n");
        return DBG_ACT_NONE;
    }
    struct tok c = t[0];
    const struct tok *a = t + 1;
    unsigned na = n - 1;
    if (tok_is(c, "help") || tok_is(c, "h") || tok_is(c, "?")) {
        cmd_help(m);
    } else if (tok_is(c, "regs") || tok_is(c, "r")) {
        if (na)
            say(m, "error: usage: regs\n");
        else
            cmd_regs(m);
    } else if (tok_is(c, "x")) {
        cmd_dump(m, a, na, false);
    } else if (tok_is(c, "xp")) {
        cmd_dump(m, a, na, true);
    } else if (tok_is(c, "v2p")) {
        cmd_v2p(m, a, na);
    } else if (tok_is(c, "set")) {
        cmd_set(m, a, na);
    } else if (tok_is(c, "step") || tok_is(c, "s") || tok_is(c, "si")) {
        uint64_t steps = 1;
        if (na > 1) {
            say(m, "error: usage: step [N]\n");
        } else if (na == 1 && !parse_u64(a[0].p, a[0].n, &steps)) {
            say(m, "error: bad number '%s'\n", tstr(b, sizeof(b), a[0].p, a[0].n));
        } else if (steps < 1 || steps > MON_MAX_STEPS) {
            say(m, "error: N must be 1..%u\n", MON_MAX_STEPS);
        } else {
            return run(m, DBG_ACT_STEP, steps);
        }
    } else if (tok_is(c, "next-event") || tok_is(c, "ne")) {
        if (na) {
            say(m, "error: usage: next-event\n");
        } else {
            say(m, "running to the next recorded event...\n");
            return run(m, DBG_ACT_NEXT_EVENT, 0);
        }
    } else if (tok_is(c, "continue") || tok_is(c, "c") || tok_is(c, "cont")) {
        if (na) {
            say(m, "error: usage: continue\n");
        } else {
            say(m, "continuing (Ctrl-C stops)...\n");
            return run(m, DBG_ACT_CONTINUE, 0);
        }
    } else if (tok_is(c, "break") || tok_is(c, "b")) {
        cmd_break(m, a, na);
    } else if (tok_is(c, "delete") || tok_is(c, "d")) {
        cmd_delete(m, a, na);
    } else if (tok_is(c, "info")) {
        if (na == 1 && (tok_is(a[0], "break") || tok_is(a[0], "breakpoints") || tok_is(a[0], "b")))
            cmd_info_break(m);
        else if (na == 1 && (tok_is(a[0], "regs") || tok_is(a[0], "registers")))
            cmd_regs(m);
        else
            say(m, "error: usage: info break | info regs\n");
    } else if (tok_is(c, "panic") || tok_is(c, "run-to-panic")) {
        struct dbg_pos p;
        if (na) {
            say(m, "error: usage: panic\n");
        } else if (m->t->position && m->t->position(m->t->ctx, &p) == DBG_OK && !p.has_panic) {
            say(m, "error: the Primary has no panic position (it has not panicked)\n");
        } else {
            say(m, "running to the Primary's panic position...\n");
            return run(m, DBG_ACT_RUN_TO_PANIC, 0);
        }
    } else if (tok_is(c, "where")) {
        if (na)
            say(m, "error: usage: where\n");
        else
            cmd_where(m);
    } else if (tok_is(c, "quit") || tok_is(c, "q") || tok_is(c, "detach") || tok_is(c, "exit")) {
        clear_breakpoints(m);
        say(m, "detached: the run ends with its summary\n");
        return DBG_ACT_DETACH;
    } else {
        say(m, "error: unknown command '%s' (try 'help')\n", tstr(b, sizeof(b), c.p, c.n));
    }
    return DBG_ACT_NONE;
}

/* ---- input ---------------------------------------------------------------------------------------- */

static enum dbg_action end_line(struct monitor *m)
{
    enum dbg_action act;
    out_raw(m, "\r\n", 2);
    if (m->overflow) {
        say(m, "error: line too long (at most %u characters)\n", MON_LINE_MAX);
        act = DBG_ACT_NONE;
    } else {
        act = execute(m);
    }
    m->len = 0;
    m->overflow = false;
    if (act == DBG_ACT_NONE)
        monitor_prompt(m);
    return act;
}

enum dbg_action monitor_input(struct monitor *m, uint8_t b)
{
    if (m->running) /* only Ctrl-C means something while the guest runs */
        return b == 0x03 ? DBG_ACT_INTERRUPT : DBG_ACT_NONE;
    if (m->esc) { /* skip ESC [ ... final byte (arrow keys and the like) */
        if (m->esc == 1)
            m->esc = b == '[' ? 2 : 0;
        else if (b >= 0x40 && b <= 0x7E)
            m->esc = 0;
        return DBG_ACT_NONE;
    }
    if (b == '\t')
        b = ' ';
    bool after_cr = m->last_cr;
    m->last_cr = b == '\r';
    switch (b) {
    case '\n':
        if (after_cr)
            return DBG_ACT_NONE; /* CR LF: one line end */
        /* fall through */
    case '\r':
        return end_line(m);
    case 0x08:
    case 0x7F:
        if (m->len) {
            m->len--;
            out_raw(m, "\b \b", 3);
        } else if (m->overflow) {
            m->overflow = false;
        }
        return DBG_ACT_NONE;
    case 0x15: /* Ctrl-U: erase the line */
        while (m->len) {
            m->len--;
            out_raw(m, "\b \b", 3);
        }
        m->overflow = false;
        return DBG_ACT_NONE;
    case 0x03: /* Ctrl-C: drop the line */
        out_raw(m, "^C\r\n", 4);
        m->len = 0;
        m->overflow = false;
        monitor_prompt(m);
        return DBG_ACT_NONE;
    case 0x1B:
        m->esc = 1;
        return DBG_ACT_NONE;
    default:
        break;
    }
    if (b < 0x20 || b > 0x7E)
        return DBG_ACT_NONE; /* other control bytes and non-ASCII are ignored */
    if (m->len < MON_LINE_MAX) {
        m->line[m->len++] = (char)b;
        out_raw(m, (const char *)&b, 1);
    } else {
        m->overflow = true;
    }
    return DBG_ACT_NONE;
}

enum dbg_action monitor_stopped(struct monitor *m, const struct dbg_stop *st)
{
    char sym[128];
    struct dbg_regs r;
    if (m->running && m->running_act == DBG_ACT_STEP && st->reason == DBG_STOP_STEP) {
        m->steps_done++;
        if (--m->steps_left)
            return DBG_ACT_STEP;
    }
    bool was_running = m->running;
    m->running = false;
    if (!was_running)
        out_raw(m, "\r\n", 2); /* an unsolicited report: off the prompt's line */
    memset(&r, 0, sizeof(r));
    bool have_regs = m->t->get_regs && m->t->get_regs(m->t->ctx, &r) == DBG_OK;
    sym_suffix(m, r.rip, sym, sizeof(sym));
    switch (st->reason) {
    case DBG_STOP_STEP:
        say(m, "stepped %lu instruction%s\n", m->steps_done, m->steps_done == 1 ? "" : "s");
        break;
    case DBG_STOP_SWBREAK:
    case DBG_STOP_HWBREAK: {
        unsigned num = 0;
        for (unsigned i = 0; i < MON_MAX_BP; i++)
            if (m->bp[i].used && m->bp[i].addr == st->addr)
                num = i + 1;
        if (num)
            say(m, "breakpoint %u at 0x%lx\n", num, st->addr);
        else
            say(m, "breakpoint at 0x%lx\n", st->addr);
        break;
    }
    case DBG_STOP_WATCH:
    case DBG_STOP_RWATCH:
    case DBG_STOP_AWATCH:
        say(m, "watchpoint (%s) on 0x%lx\n",
            st->reason == DBG_STOP_WATCH ? "write" : st->reason == DBG_STOP_RWATCH ? "read" : "access", st->addr);
        break;
    case DBG_STOP_EVENT:
        say(m, "replayed the next event%s%s\n", st->msg ? ": " : "", st->msg ? st->msg : "");
        break;
    case DBG_STOP_PANIC:
        panic_report(m);
        break;
    case DBG_STOP_END:
        say(m, "end of the replay%s%s\n", st->msg ? ": " : "", st->msg ? st->msg : "");
        break;
    case DBG_STOP_INTERRUPT:
        say(m, "interrupted\n");
        break;
    default:
        say(m, "error: the guest stopped%s%s\n", st->msg ? ": " : "", st->msg ? st->msg : "");
        break;
    }
    if (st->reason != DBG_STOP_PANIC)
        cmd_where(m);
    else if (have_regs)
        say(m, "rip 0x%lx%s\n", r.rip, sym);
    monitor_prompt(m);
    return DBG_ACT_NONE;
}

bool monitor_is_running(const struct monitor *m)
{
    return m->running;
}

void monitor_init(struct monitor *m, const struct dbg_target *t, mon_out_fn out, void *out_ctx)
{
    memset(m, 0, sizeof(*m));
    m->t = t;
    m->out = out;
    m->out_ctx = out_ctx;
}

void monitor_reset(struct monitor *m)
{
    clear_breakpoints(m);
    m->len = 0;
    m->overflow = false;
    m->last_cr = false;
    m->esc = 0;
    m->running = false;
    m->steps_left = m->steps_done = 0;
}
