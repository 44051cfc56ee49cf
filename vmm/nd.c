/* One choke point per non-deterministic input; see nd.h. */
#include "nd.h"
#include "../replay/codec.h"
#include "console.h"
#include "lib.h"
#include "vmcs.h"
#include "vmx.h"
#include "vtime.h"
#include "x86.h"

static const struct hs_pos *here(struct vcpu *v)
{
    v->pos.con_hash = v->con_hash; /* the serial output up to now, this exit's included */
    return &v->pos;
}

static void record(struct vcpu *v, unsigned type, unsigned arg, uint64_t value)
{
    struct hs_regs regs;
    vcpu_regs(v, &regs);
    rec_event(v->rec, type, 0, arg, here(v), value, 0, vtime_guest_tsc(v->stolen), &regs);
}

/* Takes the next logged event of `type` here; on a mismatch the Backup stops. */
static bool take(struct vcpu *v, unsigned type, struct hs_event *e)
{
    if (v->rp->diverged)
        return false;
    if (rp_take(v->rp, type, here(v), e))
        return true;
    nd_diverged(v);
    return false;
}

uint64_t nd_tsc(struct vcpu *v)
{
    struct hs_event e;
    switch (v->mode) {
    case VCPU_REPLAY: return take(v, EV_TSC, &e) ? e.value : 0;
    case VCPU_RECORD: {
        uint64_t t = vtime_guest_tsc(v->stolen);
        record(v, EV_TSC, 0, t);
        return t;
    }
    default: return vtime_guest_tsc(v->stolen);
    }
}

uint64_t nd_rand(struct vcpu *v, bool seed, bool *ok)
{
    struct hs_event e;
    if (v->mode == VCPU_REPLAY) {
        if (!take(v, EV_RAND, &e)) {
            *ok = false;
            return 0;
        }
        *ok = e.arg & 1;
        return e.value;
    }
    uint64_t val;
    uint8_t cf;
    if (seed)
        __asm__ volatile("rdseed %0; setc %1" : "=r"(val), "=q"(cf)::"cc");
    else
        __asm__ volatile("rdrand %0; setc %1" : "=r"(val), "=q"(cf)::"cc");
    *ok = cf;
    if (v->mode == VCPU_RECORD)
        record(v, EV_RAND, (cf ? 1u : 0u) | (seed ? 2u : 0u), val);
    return val;
}

uint32_t nd_port_in(struct vcpu *v, uint16_t port, uint32_t (*live)(struct vcpu *, uint16_t))
{
    struct hs_event e;
    if (v->mode == VCPU_REPLAY) {
        if (!take(v, EV_PIO_IN, &e))
            return 0xFFFFFFFFu;
        if (e.arg != port) {
            v->rp->diverged = true;
            v->rp->mm = (struct hs_mismatch){ e.seq, "the guest reads another port than the Primary did", e,
                                              v->pos, EV_PIO_IN };
            nd_diverged(v);
        }
        return (uint32_t)e.value;
    }
    uint32_t val = live(v, port);
    if (v->mode == VCPU_RECORD)
        record(v, EV_PIO_IN, port, val);
    return val;
}

void nd_irq_edge(struct vcpu *v, unsigned irq)
{
    struct pic8259 *chip = irq < 8 ? &v->pic.master : &v->pic.slave;
    /* An edge on a line whose request is already latched changes nothing: not worth a record (and
     * a guest halted with the line masked would otherwise fill the ring). */
    bool changes = !(chip->irr & (1u << (irq & 7)));
    pic_set_irq(&v->pic, irq, true);
    pic_set_irq(&v->pic, irq, false);
    if (v->mode == VCPU_RECORD && changes)
        record(v, EV_IRQ, irq, 0);
}

void nd_rx(struct vcpu *v, uint8_t byte)
{
    uart_receive(&v->com1, byte);
    v->rx_bytes++;
    if (v->mode == VCPU_RECORD)
        record(v, EV_RX, 0, byte);
}

void nd_replay_devices(struct vcpu *v)
{
    struct hs_event e;
    for (;;) {
        if (v->rp->diverged)
            return;
        const struct hs_pos *p = here(v);
        if (rp_next_is(v->rp, EV_IRQ, p)) {
            if (take(v, EV_IRQ, &e)) {
                pic_set_irq(&v->pic, e.arg & 15, true);
                pic_set_irq(&v->pic, e.arg & 15, false);
                v->timer_irqs++;
            }
        } else if (rp_next_is(v->rp, EV_RX, p)) {
            if (take(v, EV_RX, &e)) {
                uart_receive(&v->com1, (uint8_t)e.value);
                v->rx_bytes++;
            }
        } else {
            return;
        }
    }
}

bool nd_inject(struct vcpu *v, uint8_t vec)
{
    struct hs_event e;
    if (v->mode == VCPU_RECORD) {
        record(v, EV_INTR, vec, 0);
        return true;
    }
    if (v->mode != VCPU_REPLAY)
        return true;
    if (!take(v, EV_INTR, &e))
        return false;
    if (e.arg != vec) {
        v->rp->diverged = true;
        v->rp->mm = (struct hs_mismatch){ e.seq, "the Backup's interrupt controller delivers another vector", e,
                                          v->pos, EV_INTR };
        nd_diverged(v);
        return false;
    }
    return true;
}

static void print_regs(const char *who, const struct hs_regs *r)
{
    kprintf("  %s: rip=%016lx rsp=%016lx rflags=%016lx\n", who, r->rip, r->rsp, r->rflags);
    kprintf("    rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    kprintf("    rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
    kprintf("    r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", r->r9, r->r10, r->r11, r->r12);
    kprintf("    r13=%016lx r14=%016lx r15=%016lx\n", r->r13, r->r14, r->r15);
}

void nd_diverged(struct vcpu *v)
{
    struct replayer *r = v->rp;
    if (v->stopping && !strcmp(v->stopping, "divergence"))
        return;
    const struct hs_mismatch *m = &r->mm;
    const struct hs_event *x = &m->expected;
    kprintf("hindsight: DIVERGENCE at event %lu: %s\n", m->seq, m->what);
    char xc[32] = "", ac[32] = "";
    if (x->flags & EVF_ASYNC)
        hs_snprintf(xc, sizeof(xc), " count %lu", x->aux);
    if (m->actual.async || v->counter != CNT_EXIT)
        hs_snprintf(ac, sizeof(ac), " count %lu", v->count);
    if (x->type)
        kprintf("  expected (Primary): event %lu %s at exit_seq %lu%s%s rip 0x%lx digest %016lx console %08x\n",
                x->seq, hs_event_type_name(x->type), x->exit_seq, x->flags & EVF_WINDOW ? "+window" : "", xc, x->rip,
                x->digest, x->con_hash);
    else
        kprintf("  expected (Primary): no further event\n");
    kprintf("  actual (Backup):    %s at exit_seq %lu%s%s rip 0x%lx digest %016lx console %08x\n",
            hs_event_type_name(m->actual_type), m->actual.exit_seq, m->actual.window ? "+window" : "", ac,
            m->actual.rip, m->actual.digest, m->actual.con_hash);
    const struct hs_regs *pr = rp_head_regs(r);
    const struct hs_event *h = rp_head(r);
    if (pr && h && h->seq == x->seq && x->type)
        print_regs("Primary registers at that event", pr);
    struct hs_regs br;
    vcpu_regs(v, &br);
    print_regs("Backup registers now", &br);
    r->diverged = true;
    rp_stop(r);
    vcpu_stop(v, "divergence");
}

void nd_end(struct vcpu *v, unsigned outcome_code)
{
    struct hs_regs regs;
    vcpu_regs(v, &regs);
    struct hs_pos end = v->pos;
    end.async = 0; /* the end is always at a synchronous position (stop_request) */
    end.count = v->count;
    end.rip = regs.rip;
    end.digest = hs_digest(&regs);
    end.con_hash = v->con_hash;
    if (v->mode == VCPU_RECORD) {
        uint64_t now = vtime_guest_tsc(v->stolen);
        v->rec->sh->p_outcome = outcome_code;
        v->rec->sh->p_end_seq = v->rec->seq + 1;
        v->rec->sh->p_end_tsc = now;
        v->rec->sh->p_end_exit_seq = end.exit_seq;
        v->rec->sh->p_end_rip = end.rip;
        v->rec->sh->p_end_digest = end.digest;
        rec_event(v->rec, EV_END, 0, outcome_code, &end, v->console_bytes, vcpu_state_hash(v), now, &regs);
        rec_stop(v->rec, now);
        return;
    }
    if (v->mode != VCPU_REPLAY || v->rp->diverged || v->end_taken)
        return;
    v->end_taken = true;
    struct hs_event e;
    if (!rp_take(v->rp, EV_END, &end, &e)) {
        nd_diverged(v);
        return;
    }
    /* Same position, same registers: what is left to compare (RAM, the rest of the state, the
     * console's length) goes into the summary's ram_match and console_match. */
    v->rp->ended = true;
    v->rp->end = e;
}
