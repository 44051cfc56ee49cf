/* Interrupts reach the guest only through the virtual 8259A: devices raise lines,
 * and just before each VM entry the highest-priority request is injected if the
 * guest can take it, otherwise an interrupt window is requested. */
#include "intr.h"
#include "console.h"
#include "dev/pit8254.h"
#include "vmcs.h"
#include "vmx.h"
#include "vtime.h"
#include "x86.h"

#define IRQ_PIT 0
#define IRQ_COM1 4

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

/* Moves time and input forward in the devices and updates the interrupt lines. */
static void poll_devices(struct vcpu *v, bool poll_input)
{
    uint64_t now = vtime_pit_now();
    if (pit_irq0_due(&v->pit, now)) {
        pic_set_irq(&v->pic, IRQ_PIT, true);
        pic_set_irq(&v->pic, IRQ_PIT, false);
        v->timer_irqs++;
        poll_input = true;
    }
    if (poll_input && v->id == 0) { /* only the Primary owns the physical console's input */
        int c;
        while (v->com1.rx_count < UART_FIFO && (c = console_getc()) >= 0)
            uart_receive(&v->com1, (uint8_t)c);
    }
    pic_set_irq(&v->pic, IRQ_COM1, uart_irq_pending(&v->com1));
}

static void set_window(struct vcpu *v, bool on)
{
    uint32_t want = on ? v->proc_ctls | PROC_INTR_WINDOW_EXITING : v->proc_ctls & ~PROC_INTR_WINDOW_EXITING;
    if (want != v->proc_ctls) {
        v->proc_ctls = want;
        vmwrite(VMCS_PROC_CONTROLS, want);
    }
}

void intr_before_entry(struct vcpu *v)
{
    poll_devices(v, (++v->poll_count & 63) == 0);
    if (pic_pending(&v->pic)) {
        bool busy = vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
        bool open = (vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
                    !(vmread(VMCS_GUEST_INTERRUPTIBILITY) & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
        if (!busy && open) {
            uint8_t vec = pic_ack(&v->pic);
            vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vec);
            v->injected++;
            set_window(v, pic_pending(&v->pic));
        } else {
            set_window(v, true);
        }
    } else {
        set_window(v, false);
    }
    if (v->has_preemption_timer) {
        uint64_t now = vtime_pit_now(), next = pit_next_irq0(&v->pit, now);
        uint64_t t = 0xFFFFFFFFull;
        if (next != PIT_NEVER) {
            uint64_t tsc = next > now ? vtime_pit_to_tsc(next - now) : 0;
            t = tsc >> v->preemption_shift;
            if (t > 0xFFFFFFFFull)
                t = 0xFFFFFFFFull;
        }
        vmwrite(VMCS_PREEMPTION_TIMER, t);
    }
}

void intr_idle(struct vcpu *v)
{
    /* Spin until a device raises an interrupt. A guest with no timer armed and no
     * input waits here as long as it would on hardware. */
    while (!pic_pending(&v->pic)) {
        poll_devices(v, true);
        if (!pic_pending(&v->pic))
            for (int i = 0; i < 64; i++)
                cpu_relax();
    }
}
