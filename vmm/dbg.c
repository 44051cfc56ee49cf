/* The Backup's debugger: see dbg.h. The protocol side (monitor, GDB stub) is vmm/debug/; this is
 * the machine side.
 *
 * Stepping keeps the replay exact: a step sets RFLAGS.TF and intercepts every exception, and
 * every trace of that TF is removed before the guest can keep it (the flags PUSHF stored, the
 * R11 of SYSCALL, the RFLAGS of the next instruction); an exception raised by the stepped
 * instruction is delivered by the VMM with the guest's own TF and the step ends at its handler
 * (preemption timer at 0 after the delivery), as does a step across an injected interrupt.
 * INT n/INT3/INTO are not stepped (their frames would carry TF). Breakpoints and watchpoints use
 * the core's DR0-3, which the guests never reach (their debug registers are virtual), so guest
 * memory and the RAM hash never see them. */
#include "dbg.h"
#include "console.h"
#include "cpuid_table.h"
#include "debug/dbgmux.h"
#include "debug/gdbstub.h"
#include "debug/gva.h"
#include "debug/monitor.h"
#include "debug/target.h"
#include "lib.h"
#include "msr.h"
#include "nd.h"
#include "symmap.h"
#include "tfstep.h"
#include "vmcs.h"
#include "vmx.h"
#include "vtime.h"
#include "x86.h"

#define COM2 0x2F8
#define RFLAGS_RF (1ull << 16)
#define POLL_EVERY 16

enum run { R_IDLE, R_STOPPED, R_STEP, R_CONT, R_EVENT, R_PANIC, R_OVER };

struct dbgctl {
    struct vcpu *v;
    enum run run;
    bool engaged;           /* the Primary panicked and the Backup reached the hold */
    bool at_end;            /* the Backup cannot go further (the Primary's end, or it diverged) */
    bool stop_pending;      /* break-in requested while running */
    const char *where;
    struct tfstep ts;       /* the step in progress (TF hidden from the guest) */
    bool timer0, rf_next;
    uint64_t event_target;
    struct {
        bool used;
        enum dbg_bp_type type;
        uint64_t addr, len;
    } bp[4];
    unsigned poll;
    bool pc_valid;
    struct dbg_panic_check pc;
    struct dbg_target t;
    struct gdb_stub gdb;
    struct monitor mon;
    struct dbgmux mux;
};

static struct dbgctl the_dbg;
static struct symmap syms;

static int t_sym_lookup(void *ctx, const char *name, size_t len, uint64_t *addr)
{
    (void)ctx;
    return symmap_lookup(&syms, name, len, addr) ? DBG_ERR : DBG_OK;
}

static int t_sym_name(void *ctx, uint64_t addr, char *name, size_t size, uint64_t *off)
{
    (void)ctx;
    return symmap_name(&syms, addr, name, size, off) ? DBG_ERR : DBG_OK;
}

static void out(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    serial_write(COM2, b, n);
}

static struct hs_shared *shared_of(const struct vcpu *v) { return v->rp->sh; }

/* The Primary's endings that are a crash worth debugging (HS_OUTCOMES codes): a panic, a reset
 * request (a kernel rebooting itself after an oops), a triple fault. */
static bool crashed(unsigned outcome) { return outcome == 2 || outcome == 3 || outcome == 4; }

/* ---- the target: the Backup as the debugger sees it (read-only: it must stay a replay) ---- */

static int t_get_regs(void *ctx, struct dbg_regs *r)
{
    struct vcpu *v = ctx;
    struct dbgctl *d = v->dbg;
    const struct guest_regs *g = &v->regs;
    memset(r, 0, sizeof(*r));
    r->rax = g->rax, r->rbx = g->rbx, r->rcx = g->rcx, r->rdx = g->rdx;
    r->rsi = g->rsi, r->rdi = g->rdi, r->rbp = g->rbp, r->rsp = vmread(VMCS_GUEST_RSP);
    r->r8 = g->r8, r->r9 = g->r9, r->r10 = g->r10, r->r11 = g->r11;
    r->r12 = g->r12, r->r13 = g->r13, r->r14 = g->r14, r->r15 = g->r15;
    r->rip = vmread(VMCS_GUEST_RIP);
    r->rflags = vmread(VMCS_GUEST_RFLAGS) & ~RFLAGS_RF;
    if (d->ts.armed)
        r->rflags = (r->rflags & ~RFLAGS_TF) | (d->ts.guest_tf ? RFLAGS_TF : 0);
    r->cs = (uint16_t)vmread(VMCS_GUEST_CS_SEL), r->ss = (uint16_t)vmread(VMCS_GUEST_SS_SEL);
    r->ds = (uint16_t)vmread(VMCS_GUEST_DS_SEL), r->es = (uint16_t)vmread(VMCS_GUEST_ES_SEL);
    r->fs = (uint16_t)vmread(VMCS_GUEST_FS_SEL), r->gs = (uint16_t)vmread(VMCS_GUEST_GS_SEL);
    r->fs_base = vmread(VMCS_GUEST_FS_BASE), r->gs_base = vmread(VMCS_GUEST_GS_BASE);
    r->k_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE); /* the Backup's, loaded on this core */
    r->cr0 = vmread(VMCS_CR0_SHADOW), r->cr2 = read_cr2(), r->cr3 = vmread(VMCS_GUEST_CR3);
    r->cr4 = vmread(VMCS_CR4_SHADOW), r->cr8 = v->cr8, r->efer = vmread(VMCS_GUEST_IA32_EFER);
    __asm__ volatile("fxsave64 %0" : "=m"(r->fxsave));
    return DBG_OK;
}

static int t_set_regs(void *ctx, const struct dbg_regs *r)
{
    (void)ctx, (void)r;
    return DBG_UNSUPPORTED; /* a changed register would make the Backup leave the Primary's path */
}

static long t_read_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct vcpu *v = ctx;
    return dbg_ram_read((const uint8_t *)(uintptr_t)v->ram_hpa, v->ram_size, pa, buf, len);
}

static long t_write_phys(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    (void)ctx, (void)pa, (void)buf, (void)len;
    return -1; /* guest memory is the replay's: never written by the debugger */
}

static int t_set_break(void *ctx, enum dbg_bp_type type, uint64_t addr, uint64_t len)
{
    struct vcpu *v = ctx;
    struct dbgctl *d = v->dbg;
    if (type > DBG_WP_ACCESS)
        return DBG_UNSUPPORTED;
    if (type >= DBG_WP_WRITE && (len != 1 && len != 2 && len != 4 && len != 8))
        return DBG_ERR;
    if (type >= DBG_WP_WRITE && (addr & (len - 1)))
        return DBG_ERR; /* debug registers watch aligned ranges only */
    for (unsigned i = 0; i < 4; i++)
        if (d->bp[i].used && d->bp[i].type == type && d->bp[i].addr == addr)
            return DBG_OK;
    for (unsigned i = 0; i < 4; i++)
        if (!d->bp[i].used) {
            d->bp[i].used = true;
            d->bp[i].type = type;
            d->bp[i].addr = addr;
            d->bp[i].len = type >= DBG_WP_WRITE ? len : 1;
            return DBG_OK;
        }
    return DBG_NOSLOT;
}

static int t_clear_break(void *ctx, enum dbg_bp_type type, uint64_t addr, uint64_t len)
{
    struct vcpu *v = ctx;
    (void)len;
    for (unsigned i = 0; i < 4; i++)
        if (v->dbg->bp[i].used && v->dbg->bp[i].type == type && v->dbg->bp[i].addr == addr) {
            v->dbg->bp[i].used = false;
            return DBG_OK;
        }
    return DBG_ERR;
}

static int t_position(void *ctx, struct dbg_pos *p)
{
    struct vcpu *v = ctx;
    const struct hs_shared *sh = shared_of(v);
    memset(p, 0, sizeof(*p));
    p->exit_seq = v->exit_seq;
    p->rip = vmread(VMCS_GUEST_RIP);
    p->events_replayed = v->rp->consumed;
    p->events_total = sh->p_end_seq;
    p->has_panic = sh->p_stopped && crashed(sh->p_outcome);
    p->panic_exit_seq = sh->p_end_exit_seq;
    p->panic_rip = sh->p_end_rip;
    return DBG_OK;
}

static int t_panic_check(void *ctx, struct dbg_panic_check *c)
{
    struct vcpu *v = ctx;
    if (!v->dbg->pc_valid)
        return DBG_ERR;
    *c = v->dbg->pc;
    return DBG_OK;
}

/* ---- stepping ---------------------------------------------------------------------------- */

static void untrace(struct vcpu *v) { tfstep_untrace(v, &v->dbg->ts); }

static void stop(struct vcpu *v, enum dbg_stop_reason why, uint64_t addr, const char *msg);

static void start(struct vcpu *v, enum dbg_action a)
{
    struct dbgctl *d = v->dbg;
    switch (a) {
    case DBG_ACT_STEP:
    case DBG_ACT_CONTINUE:
    case DBG_ACT_NEXT_EVENT:
    case DBG_ACT_RUN_TO_PANIC:
        if (d->at_end && a == DBG_ACT_RUN_TO_PANIC && d->pc_valid && d->pc.at_panic) {
            stop(v, DBG_STOP_PANIC, 0, 0); /* already there: compare again */
            return;
        }
        if (d->at_end) {
            stop(v, DBG_STOP_END, 0, "the Backup is at the end of the Primary's log: nothing more was recorded");
            return;
        }
        break;
    default:
        break;
    }
    switch (a) {
    case DBG_ACT_STEP:
        d->timer0 = false;
        d->ts.kind = TF_OTHER;
        if (v->stage == STAGE_IN_GUEST) {
            d->ts.kind = tfstep_decode(v);
            if (d->ts.kind == TF_SOFTINT) {
                stop(v, DBG_STOP_ERROR, 0, "stepping over INT n/INT3/INTO is not supported (its frame would carry "
                                           "the VMM's trap flag): set a breakpoint after it and continue");
                return;
            }
        }
        d->run = R_STEP;
        break;
    case DBG_ACT_CONTINUE: d->run = R_CONT; break;
    case DBG_ACT_NEXT_EVENT:
        d->run = R_EVENT;
        d->event_target = v->rp->consumed + 1;
        break;
    case DBG_ACT_RUN_TO_PANIC: d->run = R_PANIC; break;
    case DBG_ACT_INTERRUPT: break;
    case DBG_ACT_DETACH:
    case DBG_ACT_KILL: d->run = R_OVER; break;
    default: break;
    }
}

static void stop(struct vcpu *v, enum dbg_stop_reason why, uint64_t addr, const char *msg)
{
    struct dbgctl *d = v->dbg;
    untrace(v);
    d->run = R_STOPPED;
    d->timer0 = false;
    d->stop_pending = false;
    struct dbg_stop st = { why, addr, msg };
    enum dbg_action a = dbgmux_stopped(&d->mux, &st);
    if (a != DBG_ACT_NONE)
        start(v, a);
}

/* ---- the hooks the exit path calls -------------------------------------------------------- */

void dbg_attach(struct vcpu *v, const char *where, const char *map, size_t map_len)
{
    syms = (struct symmap){ map, map_len };
    struct dbgctl *d = &the_dbg;
    memset(d, 0, sizeof(*d));
    d->v = v;
    d->where = where && *where ? where : "COM2";
    uint32_t r[4];
    cpuid_table_get(0x80000008u, 0, r);
    d->t = (struct dbg_target){ .ctx = v, .ram_size = v->ram_size, .maxphyaddr = (r[0] & 0xFF) ? (r[0] & 0xFF) : 46,
                                .get_regs = t_get_regs, .set_regs = t_set_regs, .read_phys = t_read_phys,
                                .write_phys = t_write_phys, .set_break = t_set_break,
                                .clear_break = t_clear_break, .position = t_position,
                                .panic_check = t_panic_check,
                                .sym_lookup = map ? t_sym_lookup : 0, .sym_name = map ? t_sym_name : 0 };
    gdb_init(&d->gdb, &d->t, out, d);
    monitor_init(&d->mon, &d->t, out, d);
    dbgmux_init(&d->mux, &d->gdb, &d->mon);
    v->dbg = d;
}

bool dbg_engaged(const struct vcpu *v) { return v->dbg && v->dbg->engaged; }

bool dbg_stepping(const struct vcpu *v) { return v->dbg && v->dbg->engaged && v->dbg->run == R_STEP; }

bool dbg_stopped(const struct vcpu *v) { return v->dbg && (v->dbg->run == R_STOPPED || v->dbg->run == R_OVER); }

static void engage(struct vcpu *v)
{
    struct dbgctl *d = v->dbg;
    const struct hs_shared *sh = shared_of(v);
    const struct hs_event *h = rp_head(v->rp);
    uint64_t left = sh->p_end_seq - v->rp->consumed - 1; /* recorded inputs still ahead of the Backup */
    uint64_t ms = h ? (sh->p_end_tsc - h->tsc) / (vtime_tsc_hz() / 1000) : 0;
    d->engaged = true;
    d->run = R_STOPPED;
    serial_init(COM2);
    kprintf("hindsight: debugger ready on %s: the Backup is stopped %lu events and %lu ms of the Primary's time "
            "before the Primary's panic (exit_seq %lu rip 0x%lx; the panic is at exit_seq %lu rip 0x%lx); attach "
            "with gdb (target remote) or a terminal; tick=%lu backup.exits=%lu\n",
            d->where, left, ms, v->exit_seq, vmread(VMCS_GUEST_RIP), sh->p_end_exit_seq, sh->p_end_rip, rdtsc(),
            v->exits_total);
    dbgmux_start(&d->mux);
}

bool dbg_stop_at_position(struct vcpu *v)
{
    struct dbgctl *d = v->dbg;
    if (!d || d->run == R_OVER)
        return false;
    if (d->run == R_IDLE) {
        const struct hs_shared *sh = shared_of(v);
        if (!v->at_position || !__atomic_load_n(&sh->p_stopped, __ATOMIC_ACQUIRE) || !crashed(sh->p_outcome))
            return false;
        bool hold;
        if (sh->lag_tsc) {
            const struct hs_event *h = rp_head(v->rp);
            hold = !h || sh->p_end_tsc - h->tsc < sh->lag_tsc;
        } else {
            hold = sh->p_end_seq - v->rp->consumed <= sh->lag_events + 1;
        }
        if (!hold)
            return false;
        engage(v);
        return true;
    }
    if (d->stop_pending) {
        stop(v, DBG_STOP_INTERRUPT, 0, 0);
        return true;
    }
    if (d->run == R_EVENT && v->at_position && v->rp->consumed >= d->event_target) {
        stop(v, DBG_STOP_EVENT, 0, "the next recorded event has been replayed");
        return true;
    }
    return false;
}

enum exit_result dbg_serve(struct vcpu *v)
{
    struct dbgctl *d = v->dbg;
    int c;
    for (unsigned n = 0; n < 256 && d->run == R_STOPPED && (c = serial_getc(COM2)) >= 0; n++) {
        enum dbg_action a = dbgmux_input(&d->mux, (uint8_t)c);
        if (a != DBG_ACT_NONE)
            start(v, a);
    }
    if (d->run == R_OVER) {
        kprintf("hindsight: the debugger ended the session\n");
        vcpu_stop(v, d->at_end && v->stopping ? v->stopping : "debugged");
        vcpu_finish(v);
        return EXIT_STOPPED;
    }
    if (d->run != R_STOPPED)
        gdb_running(&d->gdb);
    return EXIT_WAIT;
}

static uint64_t dr7_for(const struct dbgctl *d)
{
    uint64_t dr7 = 0x400 | (1ull << 8); /* LE: exact data breakpoints */
    static const uint8_t lens[9] = { 0, 0, 1, 0, 3, 0, 0, 0, 2 };
    for (unsigned i = 0; i < 4; i++) {
        if (!d->bp[i].used)
            continue;
        unsigned rw = d->bp[i].type == DBG_WP_WRITE ? 1 : d->bp[i].type >= DBG_WP_READ ? 3 : 0;
        unsigned len = rw ? lens[d->bp[i].len] : 0;
        dr7 |= (1ull << (2 * i)) | ((uint64_t)rw << (16 + 4 * i)) | ((uint64_t)len << (18 + 4 * i));
    }
    return dr7;
}

void dbg_before_entry(struct vcpu *v)
{
    struct dbgctl *d = v->dbg;
    if (!d || !d->engaged)
        return;
    uint32_t bitmap = 0;
    uint64_t dr7 = 0x400;
    if (d->run == R_STEP) {
        bool event = vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
        if (event && !d->ts.armed)
            d->timer0 = true; /* the event is delivered first: the step ends at its handler */
        if (d->timer0) {
            vmwrite(VMCS_PREEMPTION_TIMER, 0);
        } else {
            if (!d->ts.armed)
                tfstep_arm(v, &d->ts, d->ts.kind);
            bitmap = 0xFFFFFFFFu;
        }
    } else if (d->run == R_CONT || d->run == R_EVENT) {
        for (unsigned i = 0; i < 4; i++)
            if (d->bp[i].used) {
                uint64_t a = d->bp[i].addr;
                switch (i) {
                case 0: __asm__ volatile("mov %0, %%db0" ::"r"(a)); break;
                case 1: __asm__ volatile("mov %0, %%db1" ::"r"(a)); break;
                case 2: __asm__ volatile("mov %0, %%db2" ::"r"(a)); break;
                default: __asm__ volatile("mov %0, %%db3" ::"r"(a)); break;
                }
            }
        dr7 = dr7_for(d);
        if (dr7 != 0x400 + (1ull << 8))
            bitmap = 1u << VEC_DB;
        else
            dr7 = 0x400;
    }
    if (d->rf_next) { /* resume past the instruction breakpoint just reported */
        vmwrite(VMCS_GUEST_RFLAGS, vmread(VMCS_GUEST_RFLAGS) | RFLAGS_RF);
        d->rf_next = false;
    }
    vmwrite(VMCS_EXCEPTION_BITMAP, bitmap);
    vmwrite(VMCS_GUEST_DR7, dr7);
    /* Break-in (Ctrl-C, the monitor's interrupt) while the guest runs. */
    if (d->run != R_STOPPED && (++d->poll % POLL_EVERY) == 0) {
        int c;
        while ((c = serial_getc(COM2)) >= 0) {
            enum dbg_action a = dbgmux_input(&d->mux, (uint8_t)c);
            if (a == DBG_ACT_INTERRUPT)
                d->stop_pending = true;
            else if (a == DBG_ACT_DETACH || a == DBG_ACT_KILL)
                d->run = R_OVER; /* the debugger left while the guest ran: end at the next exit */
        }
    }
}

bool dbg_exception(struct vcpu *v)
{
    struct dbgctl *d = v->dbg;
    if (!d || !d->engaged)
        return false;
    uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);
    unsigned vec = info & 0xFF;
    if (((info >> 8) & 7) == 2)
        return false; /* an NMI: the platform's */
    if (vec == VEC_DB) {
        uint64_t q = v->exit_qual;
        if (d->run == R_STEP && (q & DB_BS)) {
            stop(v, DBG_STOP_STEP, 0, 0);
            return true;
        }
        if (q & 0xF) {
            unsigned i = 0;
            while (!(q & (1u << i)))
                i++;
            static const enum dbg_stop_reason why[] = { DBG_STOP_SWBREAK, DBG_STOP_HWBREAK, DBG_STOP_WATCH,
                                                        DBG_STOP_RWATCH, DBG_STOP_AWATCH };
            enum dbg_bp_type t = d->bp[i].type;
            if (t <= DBG_BP_HW)
                d->rf_next = true;
            stop(v, why[t], d->bp[i].addr, 0);
            return true;
        }
    }
    if (d->run == R_STEP && d->ts.armed) {
        /* The stepped instruction raised an exception: deliver it as the guest's own (without the
         * VMM's TF in the frame) and end the step at the handler. */
        untrace(v);
        tfstep_reinject(v, info);
        d->timer0 = true;
        return true;
    }
    tfstep_reinject(v, info); /* the guest's own (its TF, ICEBP): as if never intercepted */
    return true;
}

bool dbg_timer(struct vcpu *v)
{
    struct dbgctl *d = v->dbg;
    if (!d || d->run != R_STEP || !d->timer0)
        return false;
    stop(v, DBG_STOP_STEP, 0, 0);
    return true;
}

void dbg_after_position(struct vcpu *v, bool injected)
{
    struct dbgctl *d = v->dbg;
    if (!d || d->run != R_STEP || d->timer0)
        return;
    untrace(v);
    if (injected) {
        d->timer0 = true;
        return;
    }
    stop(v, DBG_STOP_STEP, 0, 0);
}

bool dbg_reached_end(struct vcpu *v)
{
    struct dbgctl *d = v->dbg;
    if (!d || !d->engaged || d->run == R_OVER)
        return false;
    const struct hs_shared *sh = shared_of(v);
    const char *why = v->stopping;
    bool diverged = v->rp->diverged;
    if (!diverged)
        nd_end(v, 0); /* the Primary's end, checked as at any end (a mismatch is a divergence) */
    diverged = v->rp->diverged;
    struct hs_regs r;
    vcpu_regs(v, &r);
    while (!__atomic_load_n(&v->peer->done, __ATOMIC_ACQUIRE))
        cpu_relax(); /* the Primary's RAM hash (two cores: it may still be hashing) */
    d->pc = (struct dbg_panic_check){
        .at_panic = !diverged && v->exit_seq == sh->p_end_exit_seq && r.rip == sh->p_end_rip,
        .primary_exit_seq = sh->p_end_exit_seq, .backup_exit_seq = v->exit_seq,
        .primary_rip = sh->p_end_rip, .backup_rip = r.rip,
        .primary_regs_hash = sh->p_end_digest, .backup_regs_hash = hs_digest(&r),
        .primary_ram_hash = v->peer->ram_hash,
        .backup_ram_hash = hs_hash_mem(HS_FNV64_INIT, (const void *)(uintptr_t)v->ram_hpa, v->ram_size),
    };
    d->pc_valid = true;
    d->at_end = true;
    kprintf("hindsight: the Backup reached %s (%s)\n", diverged ? "a divergence" : "the Primary's final position",
            why ? why : "end of the log");
    stop(v, diverged ? DBG_STOP_ERROR : DBG_STOP_PANIC, 0, diverged ? "the Backup diverged from the log" : 0);
    return true;
}
