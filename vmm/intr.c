/* Interrupts reach the guest only through the virtual 8259A: devices raise lines, and before a
 * VM entry the highest-priority request is injected if the guest can take it, otherwise an
 * interrupt window is requested.
 *
 * Plain mode does this at every exit, for the lowest latency. Record and replay modes do it only
 * at positions (instruction-synchronous exits, and the window exits armed at them), so the Backup
 * makes the same decisions at the same instructions: a timer that expires while the guest
 * computes is delivered at its next position (DESIGN.md, the `exit` replay mode). */
#include "intr.h"
#include "console.h"
#include "dev/pit8254.h"
#include "latency.h"
#include "nd.h"
#include "vmcs.h"
#include "vmx.h"
#include "vtime.h"
#include "x86.h"

#define IRQ_PIT 0
#define IRQ_COM1 4
#define CTRL_RIGHT_BRACKET 0x1D /* Ctrl-]: the user ends the run */
#define RX_PER_POLL 8

void intr_requeue_interrupted(struct vcpu *v)
{
    uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
    if (!(info & INTR_INFO_VALID))
        return;
    vmwrite(VMCS_ENTRY_INTR_INFO, info & ~(1u << 12)); /* bit 12 is undefined on entry */
    if (info & INTR_INFO_DELIVER_ERROR)
        vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
    vmwrite(VMCS_ENTRY_INSTR_LEN, vmread(VMCS_EXIT_INSTR_LEN));
}

/* Moves time and input forward in the devices and updates the interrupt lines (plain, record). */
static void poll_devices(struct vcpu *v, bool poll_input)
{
    if (v->stop_request && v->at_position) {
        vcpu_stop(v, v->stop_request);
        return;
    }
    uint64_t now = vtime_pit_now(v->stolen), due = pit_next_irq0(&v->pit, now);
    if (pit_irq0_due(&v->pit, now)) {
        nd_irq_edge(v, IRQ_PIT);
        v->timer_irqs++;
        if (!v->irq0_due)
            v->irq0_due = due ? due : 1;
        poll_input = true;
    }
    if (poll_input && v->id == 0) { /* only the Primary owns the physical console's input */
        int c;
        for (unsigned n = 0; n < RX_PER_POLL && v->com1.rx_count < UART_FIFO && (c = console_getc()) >= 0; n++) {
            if (c == CTRL_RIGHT_BRACKET) {
                kprintf("\nhindsight: the user ended the run (Ctrl-])\n");
                /* The end is logged at a synchronous position, where the Backup can find it. */
                if (v->mode == VCPU_RECORD && !v->at_position)
                    v->stop_request = "user-stop";
                else
                    vcpu_stop(v, "user-stop");
                return;
            }
            nd_rx(v, (uint8_t)c);
        }
    }
}

static void set_window(struct vcpu *v, bool on)
{
    uint32_t want = on ? v->proc_ctls | PROC_INTR_WINDOW_EXITING : v->proc_ctls & ~PROC_INTR_WINDOW_EXITING;
    if (want != v->proc_ctls) {
        v->proc_ctls = want;
        vmwrite(VMCS_PROC_CONTROLS, want);
    }
}

/* A counter-mode Backup finds its injections by the count (land.c): an interrupt window would
 * only make it exit (and, never injecting there, exit again at once). */
static bool backup_lands(const struct vcpu *v) { return v->mode == VCPU_REPLAY && v->counter != CNT_EXIT; }

void intr_arm_timer(struct vcpu *v, uint64_t slice_tsc)
{
    if (!v->has_preemption_timer)
        return;
    uint64_t t = slice_tsc ? slice_tsc : 0xFFFFFFFFull << v->preemption_shift;
    /* Plain mode and a counter-mode Primary deliver a timer interrupt at an asynchronous exit: they
     * need the deadline. */
    if (v->mode == VCPU_PLAIN || (v->mode == VCPU_RECORD && v->counter != CNT_EXIT)) {
        uint64_t now = vtime_pit_now(v->stolen), next = pit_next_irq0(&v->pit, now);
        if (next != PIT_NEVER) {
            uint64_t d = next > now ? vtime_pit_to_tsc(next - now) : 0;
            if (d < t)
                t = d;
        }
    }
    t >>= v->preemption_shift;
    vmwrite(VMCS_PREEMPTION_TIMER, t > 0xFFFFFFFFull ? 0xFFFFFFFFull : t);
}

enum exit_result intr_before_entry(struct vcpu *v)
{
    bool positioned = v->mode == VCPU_PLAIN || v->at_position || v->async_pos;
    uint64_t rx_before = v->rx_bytes;
    if (positioned) {
        if (v->mode == VCPU_REPLAY) {
            nd_replay_devices(v);
            if (rp_next_is(v->rp, EV_END, &v->pos))
                return EXIT_RESUME; /* the Primary stopped here, before it delivered anything */
        } else {
            if (v->halted && v->mode == VCPU_RECORD && !rec_room(v->rec))
                return EXIT_WAIT; /* the next edge could not be logged */
            poll_devices(v, v->halted || (++v->poll_count & 63) == 0);
        }
        if (v->stopping)
            return EXIT_RESUME;
        /* The UART's line follows its own state, which only guest I/O (at synchronous exits) and
         * received bytes (logged) change: updated only where one of them happened, so that a
         * counter-mode Primary's unlogged asynchronous exits never latch an edge the Backup,
         * which stops only where something was logged, would not. */
        if (v->mode == VCPU_PLAIN || v->at_position || v->rx_bytes != rx_before)
            pic_set_irq(&v->pic, IRQ_COM1, uart_irq_pending(&v->com1));
    }
    bool pending = pic_pending(&v->pic);
    enum intr_action a =
        intr_decide(pending, vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID, vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF,
                    vmread(VMCS_GUEST_INTERRUPTIBILITY) & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS),
                    positioned);
    if (a == INTR_INJECT) {
        uint8_t vec = pic_ack(&v->pic);
        if (!nd_inject(v, vec))
            return EXIT_RESUME; /* diverged: the Backup stops */
        vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vec);
        v->injected++;
        v->halted = false;
        if (v->irq0_due && vec == v->pic.master.base) {
            latency_add(vtime_pit_now(v->stolen) - v->irq0_due);
            v->irq0_due = 0;
        }
        set_window(v, pic_pending(&v->pic) && !backup_lands(v));
    } else if (positioned) {
        set_window(v, a == INTR_WINDOW && !backup_lands(v));
    }
    if (v->halted) {
        if (v->mode == VCPU_REPLAY) {
            /* The Primary left this HLT only with an interrupt, which the log has just given us,
             * unless it stopped here. */
            if (!v->rp->diverged && !rp_next_is(v->rp, EV_END, &v->pos)) {
                v->rp->mm = (struct hs_mismatch){ 0, "the Backup halts where the Primary went on", { 0 }, v->pos,
                                                  EV_NONE };
                const struct hs_event *h = rp_head(v->rp);
                if (h) {
                    v->rp->mm.seq = h->seq;
                    v->rp->mm.expected = *h;
                }
                v->rp->diverged = true;
                nd_diverged(v);
            }
            return EXIT_RESUME;
        }
        return EXIT_WAIT;
    }
    return EXIT_RESUME;
}
