/* The landing state machine (replay/landing.c) against a simulated CPU.
 *
 * The CPU runs a small program: ALU ops, conditional branches (taken or not), unconditional
 * jumps, a REP string instruction (one step per iteration, RIP stays until the last), a load that
 * faults (#PF through the IDT into a handler that maps the page and IRETs), a halt. It keeps two
 * counters, as the two counter modes see the guest:
 *   icount: every completed instruction, every REP iteration (a REP with RCX=0 counts 1), +1 for
 *           each exception taken through the IDT (TESTBED.md, Bochs' preemption timer);
 *   rcb:    retired conditional branches only (the pmc mode's BR_INST_RETIRED.CONDITIONAL).
 * A counter-overflow interrupt arrives `skid` steps (instructions, REP iterations) late.
 *
 * The Primary runs from an initial state and, at chosen instruction boundaries, records {count,
 * RIP, register digest} and delivers an event (a register change). The Backup starts from the
 * same state and, for each recorded position, drives land_next (LAND_RUN: arm the counter for
 * run_for counts and stop skid steps after it overflows; LAND_STEP: one step) until it returns a
 * verdict; an arrival must be at exactly the Primary's boundary (the whole simulated state,
 * hidden counters and the page's mapping included), and a divergence verdict must never be an
 * arrival somewhere else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "digest.h"
#include "landing.h"

/* ---- the simulated CPU --------------------------------------------------------------------- */

enum op { OP_MOV, OP_ADDI, OP_ADD, OP_MUL, OP_XOR, OP_DEC, OP_JNZ, OP_JMP, OP_REP, OP_LOAD, OP_MAP, OP_IRET, OP_HALT };

struct insn {
    enum op op;
    unsigned a, b;   /* registers */
    uint64_t imm;
    unsigned target; /* jumps */
};

#define NREG 8
#define RAX 0
#define RCX 1
#define R6 6  /* bumped at every backward-jump target of the random programs */
#define RDI 7
#define MAXCODE 128

struct program {
    struct insn code[MAXCODE];
    unsigned n;
    unsigned handler; /* the #PF handler's first instruction */
};

/* Everything the CPU has; all 64-bit so a memcmp compares exactly the state. */
struct cpu {
    uint64_t r[NREG];
    uint64_t rip;
    uint64_t mapped;    /* the page OP_LOAD reads: a load unmaps it again, so each load faults first */
    uint64_t saved_rip; /* the exception frame's return address */
    uint64_t icount, rcb;
};

enum sem { SEM_ICOUNT, SEM_PMC };

static uint64_t counter(const struct cpu *c, enum sem s) { return s == SEM_ICOUNT ? c->icount : c->rcb; }

static uint64_t digest(const struct cpu *c)
{
    uint64_t h = 0x6c616e64696e67ull;
    for (unsigned i = 0; i < NREG; i++)
        h = hs_mix64(h ^ c->r[i]) + i;
    return h;
}

/* One step: an instruction, one REP iteration, or a fault's delivery (the step ends at the
 * handler's first instruction, as MTF does). False at OP_HALT, which ends the program: it never
 * executes, so a skid cannot run past it. */
static bool step(const struct program *p, struct cpu *c)
{
    const struct insn *i = &p->code[c->rip];
    uint64_t next = c->rip + 1;
    switch (i->op) {
    case OP_MOV: c->r[i->a] = i->imm; break;
    case OP_ADDI: c->r[i->a] += i->imm; break;
    case OP_ADD: c->r[i->a] += c->r[i->b]; break;
    case OP_MUL: c->r[i->a] = c->r[i->a] * (c->r[i->b] | 1) + 7; break;
    case OP_XOR: c->r[i->a] ^= c->r[i->b] + 0x9e37; break;
    case OP_DEC: c->r[i->a]--; break;
    case OP_JNZ:
        c->rcb++;
        if (c->r[i->a])
            next = i->target;
        break;
    case OP_JMP: next = i->target; break;
    case OP_REP:
        if (c->r[RCX]) {
            c->r[RDI] += c->r[RAX];
            if (--c->r[RCX])
                next = c->rip; /* RIP stays on the REP until the last iteration */
        }
        break;
    case OP_LOAD:
        if (!c->mapped) {
            c->saved_rip = c->rip;
            c->rip = p->handler;
            c->icount++; /* the exception, taken through the IDT; the load does not complete */
            return true;
        }
        c->r[i->a] = c->r[i->a] * 3 + 0x1000;
        c->mapped = 0;
        break;
    case OP_MAP: c->mapped = 1; break;
    case OP_IRET: next = c->saved_rip; break;
    case OP_HALT: return false;
    }
    c->rip = next;
    c->icount++;
    return true;
}

/* The Backup's free run: the counter overflows after run_for counts and the interrupt arrives
 * skid steps later. Returns the counts that passed (less than run_for only if the CPU halted). */
static uint64_t run(const struct program *p, struct cpu *c, enum sem s, uint64_t run_for, uint64_t skid)
{
    uint64_t start = counter(c, s);
    while (counter(c, s) - start < run_for)
        if (!step(p, c))
            return counter(c, s) - start;
    for (uint64_t i = 0; i < skid && step(p, c); i++)
        ;
    return counter(c, s) - start;
}

/* ---- programs ------------------------------------------------------------------------------ */

static unsigned emit(struct program *p, enum op op, unsigned a, unsigned b, uint64_t imm, unsigned target)
{
    p->code[p->n] = (struct insn){ op, a, b, imm, target };
    return p->n++;
}

/* Appends the #PF handler: map the page, a conditional branch (a real handler has many; without
 * one a pmc position before the fault and after the IRET would look the same), IRET. */
static void emit_handler(struct program *p)
{
    p->handler = p->n;
    emit(p, OP_MAP, 0, 0, 0, 0);
    emit(p, OP_JNZ, 5, 0, 0, p->n + 1);
    emit(p, OP_IRET, 0, 0, 0, 0);
}

/* A bit of everything: straight-line ALU code, a counted loop with a REP and a faulting load in
 * it, a data-dependent branch, then a halt. Boundaries: a few hundred. */
static void prog_mixed(struct program *p)
{
    memset(p, 0, sizeof(*p));
    emit(p, OP_MOV, 2, 0, 12, 0);     /* r2: outer loop counter */
    emit(p, OP_MOV, RAX, 0, 5, 0);
    emit(p, OP_ADDI, 3, 0, 17, 0);
    unsigned top = emit(p, OP_MUL, 3, 2, 0, 0);
    emit(p, OP_MOV, RCX, 0, 7, 0);
    emit(p, OP_REP, 0, 0, 0, 0);
    emit(p, OP_LOAD, 4, 0, 0, 0);     /* faults, then completes after the handler's IRET */
    emit(p, OP_XOR, 5, 3, 0, 0);
    emit(p, OP_MOV, 0, 0, 0, 0);      /* placeholder: a forward branch over the next ADDI */
    unsigned skip = p->n - 1;
    emit(p, OP_ADDI, 4, 0, 100, 0);
    p->code[skip] = (struct insn){ OP_JNZ, 5, 0, 0, p->n }; /* taken when r5 != 0 */
    emit(p, OP_MOV, RCX, 0, 0, 0);
    emit(p, OP_REP, 0, 0, 0, 0);      /* RCX = 0: one count, no iteration */
    emit(p, OP_DEC, 2, 0, 0, 0);
    emit(p, OP_JNZ, 2, 0, 0, top);
    emit(p, OP_HALT, 0, 0, 0, 0);
    emit_handler(p);
}

/* A loop with no conditional branch in it, only a JMP: in pmc mode every boundary of it has the
 * same count, and only RIP and the digest tell them apart. */
static void prog_branch_free(struct program *p)
{
    memset(p, 0, sizeof(*p));
    emit(p, OP_MOV, 2, 0, 3, 0);
    unsigned t = emit(p, OP_DEC, 2, 0, 0, 0);
    emit(p, OP_JNZ, 2, 0, 0, t);      /* three conditional branches first */
    unsigned top = emit(p, OP_ADDI, 3, 0, 1, 0);
    emit(p, OP_ADDI, 4, 0, 3, 0);
    emit(p, OP_JMP, 0, 0, 0, top);
    emit_handler(p);
}

/* A tight loop: every other instruction is a conditional branch (to make skid overshoot in pmc). */
static void prog_branchy(struct program *p)
{
    memset(p, 0, sizeof(*p));
    emit(p, OP_MOV, 2, 0, 1000000, 0);
    unsigned top = emit(p, OP_DEC, 2, 0, 0, 0);
    emit(p, OP_JNZ, 2, 0, 0, top);
    emit(p, OP_HALT, 0, 0, 0, 0);
    emit_handler(p);
}

/* ---- Primary and Backup -------------------------------------------------------------------- */

struct pos {
    uint64_t count, rip, digest;
    struct cpu at; /* the Primary's whole state there, to check the landing */
};

/* The event the Primary delivers (and the Backup after landing): an interrupt's visible effect. */
static void deliver(struct cpu *c, unsigned k) { c->r[RAX] += 0x1111u * (k + 1); }

/* The Primary: runs from init, delivering an event after each of the (ascending) step counts in
 * at[]; records each position. Returns false if it halted before one of them. */
static bool primary(const struct program *p, const struct cpu *init, enum sem s, const uint64_t *at, unsigned n,
                    struct pos *out)
{
    struct cpu c = *init;
    uint64_t steps = 0;
    for (unsigned k = 0; k < n; k++) {
        while (steps < at[k]) {
            if (!step(p, &c))
                return false;
            steps++;
        }
        out[k] = (struct pos){ counter(&c, s), c.rip, digest(&c), c };
        deliver(&c, k);
    }
    return true;
}

struct opts {
    enum sem sem;
    uint64_t margin, skid, max_steps;
};

struct stats {
    uint64_t runs, steps, same_count_rip; /* stops at the target count and RIP with another digest */
    uint64_t count_after_run;             /* the counter where the last run stopped */
};

/* The Backup lands one position. Returns the verdict; fails the test on a misbehaving machine. */
static enum land_action land(const struct program *p, struct cpu *c, const struct pos *t, const struct opts *o,
                             struct stats *st)
{
    struct landing l;
    memset(st, 0, sizeof(*st));
    land_start(&l, t->count, t->rip, t->digest, o->margin, o->max_steps);
    for (unsigned guard = 0; guard < 10000000; guard++) {
        uint64_t run_for = 0, count = counter(c, o->sem);
        uint64_t d = digest(c);
        if (count == t->count && c->rip == t->rip && d != t->digest)
            st->same_count_rip++;
        enum land_action a = land_next(&l, count, c->rip, d, &run_for);
        switch (a) {
        case LAND_RUN:
            if (!run_for || count + run_for + o->margin != t->count) {
                hs_fail(__FILE__, __LINE__, "LAND_RUN at count %llu for %llu (target %llu, margin %llu)",
                        (unsigned long long)count, (unsigned long long)run_for, (unsigned long long)t->count,
                        (unsigned long long)o->margin);
                return a;
            }
            if (st->steps) {
                hs_fail(__FILE__, __LINE__, "LAND_RUN after %llu steps", (unsigned long long)st->steps);
                return a;
            }
            st->runs++;
            if (run(p, c, o->sem, run_for, o->skid) < run_for) {
                hs_fail(__FILE__, __LINE__, "the Backup halted before the counter reached %llu", (unsigned long long)run_for);
                return a;
            }
            st->count_after_run = counter(c, o->sem);
            break;
        case LAND_STEP:
            st->steps++;
            if (l.steps != st->steps) {
                hs_fail(__FILE__, __LINE__, "landing counted %llu steps, %llu taken", (unsigned long long)l.steps,
                        (unsigned long long)st->steps);
                return a;
            }
            if (!step(p, c)) {
                hs_fail(__FILE__, __LINE__, "LAND_STEP on a halted CPU");
                return a;
            }
            break;
        default:
            land_end(&l);
            if (l.active)
                hs_fail(__FILE__, __LINE__, "land_end left the landing active");
            return a;
        }
    }
    hs_fail(__FILE__, __LINE__, "no verdict after 10000000 actions");
    return LAND_TOO_MANY;
}

static bool same_state(const struct cpu *a, const struct cpu *b) { return !memcmp(a, b, sizeof(*a)); }

/* Records events after each step count in at[], then lands each on the Backup. Every landing must
 * arrive at exactly the Primary's state. Returns the number that arrived exactly; st[] (if given)
 * gets each landing's figures. */
static unsigned record_and_land(const struct program *p, const struct cpu *init, const struct opts *o,
                                const uint64_t *at, unsigned n, struct stats *st_out)
{
    struct pos pos[16];
    if (n > 16 || !primary(p, init, o->sem, at, n, pos)) {
        hs_fail(__FILE__, __LINE__, "the Primary halted before its last event");
        return 0;
    }
    struct cpu b = *init;
    unsigned exact = 0;
    for (unsigned k = 0; k < n; k++) {
        struct stats st;
        enum land_action a = land(p, &b, &pos[k], o, &st);
        if (st_out)
            st_out[k] = st;
        if (a != LAND_ARRIVED) {
            hs_fail(__FILE__, __LINE__, "%s: event %u at step %llu (count %llu, rip %llu), margin %llu skid %llu: %s",
                    o->sem == SEM_ICOUNT ? "icount" : "pmc", k, (unsigned long long)at[k],
                    (unsigned long long)pos[k].count, (unsigned long long)pos[k].rip, (unsigned long long)o->margin,
                    (unsigned long long)o->skid, land_why(a));
            return exact;
        }
        if (!same_state(&b, &pos[k].at)) {
            hs_fail(__FILE__, __LINE__, "%s: event %u at step %llu arrived at the wrong boundary (icount %llu, want %llu)",
                    o->sem == SEM_ICOUNT ? "icount" : "pmc", k, (unsigned long long)at[k],
                    (unsigned long long)b.icount, (unsigned long long)pos[k].at.icount);
            return exact;
        }
        exact++;
        deliver(&b, k);
    }
    return exact;
}

/* The boundaries (step counts) of a program's whole run, up to max. */
static uint64_t run_length(const struct program *p, const struct cpu *init, uint64_t max)
{
    struct cpu c = *init;
    uint64_t n = 0;
    while (n < max && step(p, &c))
        n++;
    return n;
}

/* Steps from init until pred holds; the step count, or UINT64_MAX. */
static uint64_t find_boundary(const struct program *p, const struct cpu *init, bool (*pred)(const struct program *, const struct cpu *),
                              uint64_t from)
{
    struct cpu c = *init;
    for (uint64_t n = 0; n < 1000000; n++) {
        if (n >= from && pred(p, &c))
            return n;
        if (!step(p, &c))
            return UINT64_MAX;
    }
    return UINT64_MAX;
}

static const char *sem_name(enum sem s) { return s == SEM_ICOUNT ? "icount" : "pmc"; }

/* ---- cases --------------------------------------------------------------------------------- */

/* Every boundary of the mixed program, each alone, with skid 0..margin: all land exactly. In
 * icount mode the steps are exactly margin - skid (or the target, if it is within the margin). */
static void skid_within_margin(enum sem s)
{
    struct program p;
    prog_mixed(&p);
    struct cpu init = { 0 };
    uint64_t len = run_length(&p, &init, 100000);
    CHECK(len > 200);
    static const uint64_t margins[] = { 1, 5, 20, 100 };
    unsigned landed = 0;
    for (unsigned mi = 0; mi < 4; mi++)
        for (uint64_t skid = 0; skid <= margins[mi]; skid += margins[mi] > 10 ? 7 : 1) {
            struct opts o = { s, margins[mi], skid, 0 };
            for (uint64_t at = 0; at <= len && !hs_failures(); at++) {
                struct stats st;
                landed += record_and_land(&p, &init, &o, &at, 1, &st);
                if (hs_failures())
                    return;
                struct pos rec;
                primary(&p, &init, s, &at, 1, &rec);
                if (s == SEM_ICOUNT) {
                    uint64_t want = rec.count > o.margin ? o.margin - skid : rec.count;
                    if (st.steps != want)
                        hs_fail(__FILE__, __LINE__, "icount: %llu steps to count %llu, margin %llu skid %llu; want %llu",
                                (unsigned long long)st.steps, (unsigned long long)rec.count,
                                (unsigned long long)o.margin, (unsigned long long)skid, (unsigned long long)want);
                }
                CHECK(st.runs <= 1);
            }
        }
    CHECK(landed > 1000);
    printf("  landing/%s: %u landings within the margin, all exact\n", sem_name(s), landed);
}
TEST(landing_icount_skid_within_margin) { skid_within_margin(SEM_ICOUNT); }
TEST(landing_pmc_skid_within_margin) { skid_within_margin(SEM_PMC); }

/* Skid beyond the margin: the counter can stop past the target. The verdict is LAND_OVERSHOT
 * then (the counter is past the target when the landing first looks), and never an arrival
 * anywhere but the recorded boundary. In a loop that is half conditional branches the overshoot
 * is certain in both modes once the skid exceeds twice the margin. */
static void skid_beyond_margin(enum sem s)
{
    struct program p;
    prog_branchy(&p);
    struct cpu init = { 0 };
    unsigned overshot = 0, arrived = 0;
    for (uint64_t margin = 0; margin <= 40; margin += 8)
        for (uint64_t at = 2 * margin + 10; at < 400; at += 13) {
            struct opts o = { s, margin, 2 * margin + 2 + (at % 5), 0 };
            struct pos rec;
            CHECK(primary(&p, &init, s, &at, 1, &rec));
            struct cpu b = init;
            struct stats st;
            enum land_action a = land(&p, &b, &rec, &o, &st);
            if (a == LAND_ARRIVED) {
                arrived++;
                CHECK(same_state(&b, &rec.at));
            } else {
                CHECK_EQ(a, LAND_OVERSHOT);
                CHECK(st.count_after_run > rec.count);
                CHECK_EQ(st.steps, 0);
                overshot++;
            }
        }
    CHECK_EQ(arrived, 0);
    CHECK(overshot > 100);

    /* The mixed program with every skid above the margin: overshoots or exact arrivals only. */
    prog_mixed(&p);
    uint64_t len = run_length(&p, &init, 100000);
    unsigned mixed_over = 0;
    for (uint64_t at = 0; at <= len; at++)
        for (uint64_t margin = 0; margin < 6; margin++) {
            struct opts o = { s, margin, margin + 1 + at % 9, 0 };
            struct pos rec;
            CHECK(primary(&p, &init, s, &at, 1, &rec));
            struct cpu b = init;
            struct stats st;
            enum land_action a = land(&p, &b, &rec, &o, &st);
            if (a == LAND_ARRIVED)
                CHECK(same_state(&b, &rec.at));
            else if (s == SEM_ICOUNT || a == LAND_OVERSHOT) {
                CHECK_EQ(a, LAND_OVERSHOT);
                mixed_over++;
            } else {
                /* pmc: the skid can stop the counter at exactly the target count but past the
                 * recorded instruction (the rest of its count's group); stepping then passes it. */
                CHECK_EQ(a, LAND_PASSED);
            }
            /* icount: every step counts, so a skid past the margin always overshoots (unless the
             * program's end stops the skid, or the target is within the margin: no run at all) */
            if (s == SEM_ICOUNT && rec.count > margin && at < len)
                CHECK_EQ(a, LAND_OVERSHOT);
        }
    CHECK(mixed_over > 0);
    CHECK_STREQ(land_why(LAND_OVERSHOT), "the counter stopped past the recorded count (skid larger than the margin)");
}
TEST(landing_icount_skid_beyond_margin_overshoots) { skid_beyond_margin(SEM_ICOUNT); }
TEST(landing_pmc_skid_beyond_margin_overshoots) { skid_beyond_margin(SEM_PMC); }

/* A loop without a conditional branch: in pmc mode thousands of boundaries share the count, and
 * the Backup steps through the loop until RIP and digest match; in icount mode it is like any code. */
static void branch_free_loop(enum sem s)
{
    struct program p;
    prog_branch_free(&p);
    struct cpu init = { 0 };
    static const uint64_t ats[] = { 7, 8, 9, 10, 11, 12, 500, 3001, 3002, 3003 };
    for (unsigned i = 0; i < sizeof(ats) / sizeof(ats[0]); i++)
        for (uint64_t skid = 0; skid <= 100; skid += 50) {
            struct opts o = { s, 100, skid, 0 };
            struct stats st;
            CHECK_EQ(record_and_land(&p, &init, &o, &ats[i], 1, &st), 1);
            if (s == SEM_PMC && ats[i] > 100) {
                CHECK(st.steps >= ats[i] - 100);   /* the loop is walked by steps: no count moves */
                CHECK(st.same_count_rip >= 10);    /* same count and RIP, earlier iteration: the digest decided */
            }
            if (s == SEM_ICOUNT)
                CHECK(st.steps <= 100);
        }
    /* Several events in the loop, one after the other. */
    uint64_t many[] = { 20, 21, 200, 201, 1000, 5000 };
    struct opts o = { s, 100, 30, 0 };
    CHECK_EQ(record_and_land(&p, &init, &o, many, 6, NULL), 6);
}
TEST(landing_icount_branch_free_loop) { branch_free_loop(SEM_ICOUNT); }
TEST(landing_pmc_branch_free_loop) { branch_free_loop(SEM_PMC); }

static bool at_rep_midway(const struct program *p, const struct cpu *c)
{
    return p->code[c->rip].op == OP_REP && c->r[RCX] > 1 && c->r[RCX] < 7;
}
static bool at_rep_first(const struct program *p, const struct cpu *c)
{
    return p->code[c->rip].op == OP_REP && c->r[RCX] == 7;
}

/* An event recorded in the middle of a REP string instruction (RIP on the REP, RCX part-way)
 * lands on the same iteration. */
static void rep_midway(enum sem s)
{
    struct program p;
    prog_mixed(&p);
    struct cpu init = { 0 };
    unsigned n = 0;
    for (uint64_t from = 0;; from++) {
        uint64_t at = find_boundary(&p, &init, at_rep_midway, from);
        if (at == UINT64_MAX)
            break;
        for (uint64_t margin = 0; margin <= 30; margin += 3) {
            struct opts o = { s, margin, margin / 2, 0 };
            CHECK_EQ(record_and_land(&p, &init, &o, &at, 1, NULL), 1);
        }
        struct pos rec;
        primary(&p, &init, s, &at, 1, &rec);
        CHECK_EQ(p.code[rec.rip].op, OP_REP);
        CHECK(rec.at.r[RCX] > 1 && rec.at.r[RCX] < 7);
        n++;
        from = at;
    }
    CHECK(n >= 12 * 5); /* five mid-way boundaries in each of the twelve REPs */
    /* Two events in one REP, on consecutive iterations. */
    uint64_t at = find_boundary(&p, &init, at_rep_first, 40);
    uint64_t two[] = { at + 1, at + 2 };
    struct opts o = { s, 10, 3, 0 };
    CHECK_EQ(record_and_land(&p, &init, &o, two, 2, NULL), 2);
}
TEST(landing_icount_rep_midway) { rep_midway(SEM_ICOUNT); }
TEST(landing_pmc_rep_midway) { rep_midway(SEM_PMC); }

static bool at_faulting_load(const struct program *p, const struct cpu *c)
{
    return p->code[c->rip].op == OP_LOAD && !c->mapped;
}
static bool at_handler(const struct program *p, const struct cpu *c) { return c->rip == p->handler; }

/* An event recorded right before a load that faults lands before it (the fault not yet
 * delivered: no exception frame, RIP on the load), and one recorded at the handler's first
 * instruction lands there, after the delivery. */
static void before_fault(enum sem s)
{
    struct program p;
    prog_mixed(&p);
    struct cpu init = { 0 };
    unsigned n = 0;
    for (uint64_t from = 0;; from++) {
        uint64_t at = find_boundary(&p, &init, at_faulting_load, from);
        if (at == UINT64_MAX)
            break;
        for (uint64_t margin = 0; margin <= 20; margin += 4)
            for (uint64_t skid = 0; skid <= margin; skid += 2) {
                struct opts o = { s, margin, skid, 0 };
                struct pos rec;
                primary(&p, &init, s, &at, 1, &rec);
                struct cpu b = init;
                struct stats st;
                CHECK_EQ(land(&p, &b, &rec, &o, &st), LAND_ARRIVED);
                CHECK(same_state(&b, &rec.at));
                CHECK_EQ(p.code[b.rip].op, OP_LOAD);
                CHECK_EQ(b.mapped, 0);
                CHECK(b.rip != p.handler);
                /* the next step delivers the fault */
                step(&p, &b);
                CHECK_EQ(b.rip, p.handler);
                uint64_t after = at + 1;
                CHECK_EQ(record_and_land(&p, &init, &o, &after, 1, NULL), 1);
            }
        n++;
        from = at;
    }
    CHECK_EQ(n, 12); /* the load faults once in each of the twelve iterations */
    uint64_t h = find_boundary(&p, &init, at_handler, 0);
    uint64_t both[] = { h - 1, h, h + 1, h + 3 };
    struct opts o = { s, 2, 2, 0 };
    CHECK_EQ(record_and_land(&p, &init, &o, both, 4, NULL), 4);
}
TEST(landing_icount_before_fault) { before_fault(SEM_ICOUNT); }
TEST(landing_pmc_before_fault) { before_fault(SEM_PMC); }

/* An event at the very start (count 0) arrives with no run and no step; in pmc mode the
 * boundaries before the first conditional branch share count 0 and are found by steps. */
static void at_start(enum sem s)
{
    struct program p;
    prog_mixed(&p);
    struct cpu init = { 0 };
    uint64_t zero = 0;
    struct opts o = { s, 100, 0, 0 };
    struct stats st;
    CHECK_EQ(record_and_land(&p, &init, &o, &zero, 1, &st), 1);
    CHECK_EQ(st.runs, 0);
    CHECK_EQ(st.steps, 0);
    for (uint64_t at = 1; at < 4; at++) {
        CHECK_EQ(record_and_land(&p, &init, &o, &at, 1, &st), 1);
        CHECK_EQ(st.runs, 0);
        CHECK_EQ(st.steps, at);
    }
    /* Two events at the same boundary (count 0, then count 0 again after the first delivery). */
    uint64_t twice[] = { 0, 0 };
    CHECK_EQ(record_and_land(&p, &init, &o, twice, 2, NULL), 2);
}
TEST(landing_icount_at_start) { at_start(SEM_ICOUNT); }
TEST(landing_pmc_at_start) { at_start(SEM_PMC); }

/* Whether {count, rip, digest} of t is some boundary of the program's run (up to its end). */
static bool occurs(const struct program *p, const struct cpu *init, enum sem s, const struct pos *t)
{
    struct cpu c = *init;
    do
        if (counter(&c, s) == t->count && c.rip == t->rip && digest(&c) == t->digest)
            return true;
    while (step(p, &c));
    return false;
}

/* A recorded position whose digest (or RIP, or count) was corrupted is never arrived at: the
 * count moves past it (LAND_PASSED) or, in a loop without conditional branches in pmc mode, the
 * step limit ends it (LAND_TOO_MANY). */
static void corrupt(enum sem s)
{
    struct program p;
    prog_mixed(&p);
    struct cpu init = { 0 };
    uint64_t len = run_length(&p, &init, 100000);
    unsigned passed = 0, real = 0;
    for (uint64_t at = 0; at < len - 8; at += 3)
        for (unsigned what = 0; what < 3; what++) {
            struct pos rec;
            primary(&p, &init, s, &at, 1, &rec);
            if (what == 0)
                rec.digest ^= 1;
            else if (what == 1)
                rec.rip = p.handler + 2; /* the IRET: never reached with this count and digest */
            else if (rec.count)
                rec.count--; /* the count of an earlier boundary, with this one's RIP and digest */
            else
                continue;
            if (occurs(&p, &init, s, &rec)) {
                real++; /* the "corruption" names another real boundary (e.g. the IRET itself) */
                continue;
            }
            struct opts o = { s, 10, 5, 0 };
            struct cpu b = init;
            struct stats st;
            enum land_action a = land(&p, &b, &rec, &o, &st);
            CHECK(a != LAND_ARRIVED);
            CHECK_EQ(a, LAND_PASSED);
            CHECK(counter(&b, s) == rec.count + 1);
            passed++;
        }
    CHECK(passed > 100);
    CHECK(real < passed / 10);
    CHECK_STREQ(land_why(LAND_PASSED),
                "single-stepping went past the recorded count without matching RIP and registers");

    /* The branch-free loop: in pmc mode the count never moves again, so only a step limit ends it. */
    prog_branch_free(&p);
    uint64_t at = 2000;
    struct pos rec;
    primary(&p, &init, s, &at, 1, &rec);
    rec.digest ^= 0x100;
    struct opts o = { s, 100, 50, 5000 };
    struct cpu b = init;
    struct stats st;
    enum land_action a = land(&p, &b, &rec, &o, &st);
    if (s == SEM_PMC) {
        CHECK_EQ(a, LAND_TOO_MANY);
        CHECK_EQ(st.steps, 5000);
    } else {
        CHECK_EQ(a, LAND_PASSED);
    }
    CHECK_STREQ(land_why(LAND_TOO_MANY), "too many single-steps without reaching the recorded position");
    /* With a limit high enough the right digest still arrives. */
    primary(&p, &init, s, &at, 1, &rec);
    b = init;
    CHECK_EQ(land(&p, &b, &rec, &o, &st), LAND_ARRIVED);
    CHECK(same_state(&b, &rec.at));
}
TEST(landing_icount_corrupt_digest_never_arrives) { corrupt(SEM_ICOUNT); }
TEST(landing_pmc_corrupt_digest_never_arrives) { corrupt(SEM_PMC); }

/* Margin 0 and skid 0: the counter stops exactly at the target, no steps. In pmc mode that is
 * the first boundary with the target count (right after a conditional branch retires). */
static void margin0(enum sem s)
{
    struct program p;
    prog_mixed(&p);
    struct cpu init = { 0 };
    uint64_t len = run_length(&p, &init, 100000);
    unsigned zero_steps = 0;
    for (uint64_t at = 0; at <= len; at++) {
        struct opts o = { s, 0, 0, 0 };
        struct stats st;
        CHECK_EQ(record_and_land(&p, &init, &o, &at, 1, &st), 1);
        if (s == SEM_ICOUNT) {
            CHECK_EQ(st.steps, 0);
            CHECK_EQ(st.runs, at ? 1 : 0);
        }
        if (!st.steps)
            zero_steps++;
    }
    /* Both: the boundaries right after a conditional branch are reached without a step. */
    struct cpu c = init;
    for (uint64_t at = 0; at < len; at++) {
        bool branch = p.code[c.rip].op == OP_JNZ;
        step(&p, &c);
        if (branch) {
            uint64_t next = at + 1;
            struct opts o = { s, 0, 0, 0 };
            struct stats st;
            CHECK_EQ(record_and_land(&p, &init, &o, &next, 1, &st), 1);
            CHECK_EQ(st.steps, 0);
        }
    }
    if (s == SEM_ICOUNT)
        CHECK_EQ(zero_steps, len + 1);
    else
        CHECK(zero_steps > 20);
}
TEST(landing_icount_margin0_skid0_no_steps) { margin0(SEM_ICOUNT); }
TEST(landing_pmc_margin0_skid0_no_steps) { margin0(SEM_PMC); }

/* ---- randomized ---------------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void) { return hs_mix64(rng_state += 0x9e3779b97f4a7c15ull); }
static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

/* A random program that never halts: backward jumps go only to "anchors" (ADDI r6,1), so no two
 * boundaries have the same RIP, registers and conditional-branch count — except a REP's
 * iterations, told apart by RCX, and a fault's return, told apart by the handler's branch.
 * (A real guest could return from an exception handler that retired no conditional branch and
 * restored every register: in pmc mode that boundary and the one before the fault look the same.) */
static void prog_random(struct program *p)
{
    memset(p, 0, sizeof(*p));
    unsigned n = 6 + (unsigned)rnd_below(40);
    bool anchor[MAXCODE] = { true };
    for (unsigned i = 1; i < n; i++)
        anchor[i] = rnd_below(4) == 0;
    static const unsigned alu_regs[] = { 0, 2, 3, 4, 5 };
    for (unsigned i = 0; i < n; i++) {
        if (anchor[i]) {
            emit(p, OP_ADDI, R6, 0, 1, 0);
            continue;
        }
        unsigned a = alu_regs[rnd_below(5)], b = (unsigned)rnd_below(NREG);
        unsigned back;
        do
            back = (unsigned)rnd_below(i + 1);
        while (!anchor[back]);
        unsigned fwd = i + 1 + (unsigned)rnd_below(n - i); /* may be n: the closing JMP */
        switch (rnd_below(12)) {
        case 0: emit(p, OP_MOV, a, 0, rnd_below(4), 0); break;
        case 1: emit(p, OP_ADDI, a, 0, rnd_below(1000), 0); break;
        case 2: emit(p, OP_ADD, a, b, 0, 0); break;
        case 3: emit(p, OP_MUL, a, b, 0, 0); break;
        case 4: emit(p, OP_XOR, a, b, 0, 0); break;
        case 5: emit(p, OP_DEC, a, 0, 0, 0); break;
        case 6: emit(p, OP_JNZ, a, 0, 0, rnd_below(2) ? back : fwd); break;
        case 7: emit(p, OP_JNZ, a, 0, 0, fwd); break;
        case 8: emit(p, OP_JMP, 0, 0, 0, rnd_below(3) ? fwd : back); break;
        case 9: emit(p, OP_MOV, RCX, 0, rnd_below(12), 0); break;
        case 10: emit(p, OP_REP, 0, 0, 0, 0); break;
        default: emit(p, OP_LOAD, a, 0, 0, 0); break;
        }
    }
    unsigned back;
    do
        back = (unsigned)rnd_below(n);
    while (!anchor[back]);
    emit(p, OP_JMP, 0, 0, 0, back);
    emit_handler(p);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Random programs, initial registers, event positions (one to five events per run), margins and
 * skids up to the margin: every landing is exact. */
static void randomized(enum sem s)
{
    rng_state = 0x5eed0000u + s;
    unsigned trials = 3000, landings = 0;
    uint64_t steps = 0;
    for (unsigned t = 0; t < trials && !hs_failures(); t++) {
        struct program p;
        prog_random(&p);
        struct cpu init = { 0 };
        for (unsigned i = 0; i < NREG; i++)
            init.r[i] = rnd_below(3) ? rnd_below(8) : rnd();
        init.r[RCX] = rnd_below(8);
        init.mapped = rnd_below(2);
        unsigned n = 1 + (unsigned)rnd_below(5);
        uint64_t at[5];
        for (unsigned k = 0; k < n; k++)
            at[k] = rnd_below(3000);
        qsort(at, n, sizeof(at[0]), cmp_u64);
        uint64_t margin = rnd_below(4) ? rnd_below(200) : rnd_below(4);
        struct opts o = { s, margin, rnd_below(margin + 1), 0 };
        struct stats st[5];
        unsigned ok = record_and_land(&p, &init, &o, at, n, st);
        if (ok != n)
            hs_fail(__FILE__, __LINE__, "trial %u: %u of %u events landed", t, ok, n);
        landings += ok;
        for (unsigned k = 0; k < ok; k++)
            steps += st[k].steps;
    }
    printf("  landing/%s: %u random trials, %u landings, all exact, %.1f steps per landing\n", sem_name(s), trials,
           landings, landings ? (double)steps / landings : 0.0);
    CHECK(landings >= trials);
}
TEST(landing_icount_random) { randomized(SEM_ICOUNT); }
TEST(landing_pmc_random) { randomized(SEM_PMC); }

/* Random programs with a skid beyond the margin: overshoots, never a wrong arrival. */
static void randomized_skid(enum sem s)
{
    rng_state = 0xbad5c1du + s;
    unsigned over = 0, passed = 0, exact = 0;
    for (unsigned t = 0; t < 2000 && !hs_failures(); t++) {
        struct program p;
        prog_random(&p);
        struct cpu init = { 0 };
        for (unsigned i = 0; i < NREG; i++)
            init.r[i] = rnd_below(8);
        uint64_t at = rnd_below(3000), margin = rnd_below(30);
        struct opts o = { s, margin, margin + 1 + rnd_below(50), 0 };
        struct pos rec;
        if (!primary(&p, &init, s, &at, 1, &rec))
            continue;
        struct cpu b = init;
        struct stats st;
        enum land_action a = land(&p, &b, &rec, &o, &st);
        if (a == LAND_ARRIVED) {
            CHECK(same_state(&b, &rec.at));
            exact++;
        } else if (s == SEM_PMC && a == LAND_PASSED) {
            passed++; /* stopped at the target count, past the recorded instruction */
        } else {
            CHECK_EQ(a, LAND_OVERSHOT);
            over++;
        }
    }
    printf("  landing/%s: skid beyond the margin: %u overshot, %u passed, %u exact, 0 wrong\n", sem_name(s), over,
           passed, exact);
    CHECK(over > 100);
}
TEST(landing_icount_random_skid_beyond_margin) { randomized_skid(SEM_ICOUNT); }
TEST(landing_pmc_random_skid_beyond_margin) { randomized_skid(SEM_PMC); }

/* The machine's own rules: run_for is never 0, a landing that is already past its target on the
 * first look is an overshoot, land_why names each divergence. */
TEST(landing_rules)
{
    struct landing l;
    uint64_t run_for = 0;
    land_start(&l, 1000, 0x40, 0xd1, 0, 0);
    CHECK(l.active);
    CHECK_EQ(land_next(&l, 999, 0x40, 0xd1, &run_for), LAND_RUN);
    CHECK_EQ(run_for, 1);
    CHECK_EQ(land_next(&l, 1000, 0x40, 0xd1, &run_for), LAND_ARRIVED);
    land_start(&l, 1000, 0x40, 0xd1, 100, 0);
    CHECK_EQ(land_next(&l, 1001, 0x40, 0xd1, &run_for), LAND_OVERSHOT);
    CHECK_EQ(land_next(&l, 900, 0x40, 0xd1, &run_for), LAND_STEP);
    CHECK_EQ(land_next(&l, 1001, 0x40, 0xd1, &run_for), LAND_PASSED);
    land_start(&l, 1000, 0x40, 0xd1, 100, 2);
    CHECK_EQ(land_next(&l, 1000, 0x41, 0xd1, &run_for), LAND_STEP);
    CHECK_EQ(land_next(&l, 1000, 0x42, 0xd1, &run_for), LAND_STEP);
    CHECK_EQ(land_next(&l, 1000, 0x43, 0xd1, &run_for), LAND_TOO_MANY);
    CHECK_EQ(land_next(&l, 1000, 0x40, 0xd1, &run_for), LAND_ARRIVED); /* at the limit, a match still wins */
    land_start(&l, UINT64_MAX, 0x40, 0xd1, 100, 0);
    CHECK_EQ(land_next(&l, 0, 0, 0, &run_for), LAND_RUN);
    CHECK_EQ(run_for, UINT64_MAX - 100);
    land_end(&l);
    CHECK(!l.active);
    CHECK_STREQ(land_why(LAND_ARRIVED), "no divergence");
    CHECK(strcmp(land_why(LAND_OVERSHOT), land_why(LAND_PASSED)) && strcmp(land_why(LAND_PASSED), land_why(LAND_TOO_MANY)));
}
