/* Host interrupts and NMIs on a real machine.
 *
 * Interrupts: every VM exit clears RFLAGS.IF, so the VMM never takes an interrupt in VMX root;
 * in a guest, "external-interrupt exiting" turns one into a VM exit. Without acknowledging it,
 * the interrupt stays pending and the guest exits again at once, for ever. So the exit controls
 * ask the CPU to acknowledge it on exit ("acknowledge interrupt on exit"), and the VMM ends it
 * at the controller that has it in service (hostirq_class.c) and counts it. First the sources
 * are silenced: the 8259As remapped to 0x20-0x2F and masked, the local APIC's LVTs masked (a
 * timer the firmware left armed is stopped), the I/O APICs the MADT lists masked.
 *
 * NMIs: "NMI exiting" makes one that arrives in a guest a VM exit (the guests have no NMI
 * source, and one delivered to a guest would differ between the Primary and the Backup); in
 * VMX root the IDT's vector 2 takes it on its own stack. An NMI VM exit leaves NMIs blocked
 * until the next IRET; the VMM would otherwise keep them blocked until the next VM entry, and
 * a second NMI meanwhile would be held, a third lost. So the exit handler executes an IRET to
 * itself at once, and every NMI is taken and counted (host.nmis). Virtual NMIs are not needed:
 * nothing injects NMIs into the guests; so the guest's "blocking by NMI" bit, which an NMI exit
 * may leave set, is cleared (hostirq_nmi_exit). */
#include "hostirq.h"
#include "console.h"
#include "cpu.h"
#include "hostirq_class.h"
#include "lapic.h"
#include "lib.h"
#include "platform.h"
#include "vmcs.h"
#include "vmx.h"
#include "x86.h"

#define SIM_TIMER_VECTOR 0x40   /* simulate=lapic-timer: the "firmware's" timer */
#define SIM_STRAY_VECTOR 0x41   /* simulate=stray-irq: a source the VMM does not know about */
#define SIM_TIMER_COUNT 2000000 /* periods in APIC timer ticks (divide by 1) */
#define SIM_STRAY_COUNT 200000
#define SIM_NMIS 3              /* simulate=host-nmi: NMIs sent in root, and again in a guest */

static uint64_t irqs, spurious, nmis_root, nmis_guest, lvt_masked, eoi_left, ioapic_pins;
static bool sim_nmi, core1_running;
static uint32_t core0_apic;
static unsigned sim_nmi_guest_sent;
static volatile int first_reported;

static uint8_t pic_isr(uint16_t cmd)
{
    outb(cmd, 0x0B); /* OCW3: read the in-service register */
    return inb(cmd);
}

static void pic_remap_and_mask(void)
{
    /* ICW1-4: edge, cascade, vectors 0x20 / 0x28, slave on IRQ 2, 8086 mode; then all masked. */
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, HOSTIRQ_PIC_BASE);
    outb(0xA1, HOSTIRQ_PIC_BASE + 8);
    outb(0x21, 0x04);
    outb(0xA1, 0x02);
    outb(0x21, 0x01);
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

static void mask_lvt(uint32_t reg)
{
    uint32_t v = lapic_read(reg);
    if (!(v & LVT_MASKED))
        lvt_masked++;
    lapic_write(reg, v | LVT_MASKED);
}

static void arm_timer(uint32_t vector, uint32_t count)
{
    lapic_write(LAPIC_TIMER_DIVIDE, 0xB); /* divide by 1 */
    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | vector);
    lapic_write(LAPIC_TIMER_INITIAL, count);
}

static void own_lapic(unsigned core, const struct config *cfg)
{
    if (core == 0 && cfg->sim_lapic_timer)
        arm_timer(SIM_TIMER_VECTOR, SIM_TIMER_COUNT); /* as a firmware that forgot its timer would */
    unsigned maxlvt = (lapic_read(LAPIC_VERSION) >> 16) & 0xFF;
    uint32_t t = lapic_read(LAPIC_LVT_TIMER), count = lapic_read(LAPIC_TIMER_INITIAL);
    if (hostirq_lapic_timer_armed(t, count))
        kprintf("hindsight: core %u: the local APIC timer was left running (vector 0x%x, %s, count %u): stopped\n",
                core, t & 0xFF, t & LVT_PERIODIC ? "periodic" : "one-shot", count);
    mask_lvt(LAPIC_LVT_TIMER);
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    mask_lvt(LAPIC_LVT_LINT0); /* ExtINT from the 8259As */
    uint32_t l1 = lapic_read(LAPIC_LVT_LINT1);
    if ((l1 & (7u << 8)) != LVT_DELIVERY_NMI)
        mask_lvt(LAPIC_LVT_LINT1); /* LINT1 wired as NMI stays: the platform's NMIs are handled */
    mask_lvt(LAPIC_LVT_ERROR);
    if (maxlvt >= 4)
        mask_lvt(LAPIC_LVT_PERF);
    if (maxlvt >= 5)
        mask_lvt(LAPIC_LVT_THERMAL);
    if (maxlvt >= 6)
        mask_lvt(LAPIC_LVT_CMCI);
    uint32_t svr = lapic_read(LAPIC_SVR);
    lapic_write(LAPIC_SVR, (svr & ~0xFFu) | HOSTIRQ_SPURIOUS_VECTOR);
    /* Interrupts the firmware left in service would hold back every lower-priority one. */
    unsigned left = 0;
    for (int i = 7; i >= 0; i--)
        for (uint32_t isr = lapic_read(LAPIC_ISR + (uint32_t)i * 0x10); isr; isr &= isr - 1)
            left++;
    for (unsigned i = 0; i < left; i++)
        lapic_write(LAPIC_EOI, 0);
    __atomic_add_fetch(&eoi_left, left, __ATOMIC_RELAXED);
}

/* IRETQ to the next instruction: the only way to lift the NMI blocking an NMI exit leaves. */
static inline void nmi_unblock(void)
{
    __asm__ volatile("mov %%ss, %%eax\n\t"
                     "pushq %%rax\n\t"
                     "pushq %%rsp\n\t"
                     "addq $8, (%%rsp)\n\t"
                     "pushfq\n\t"
                     "mov %%cs, %%eax\n\t"
                     "pushq %%rax\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "iretq\n"
                     "1:"
                     ::: "rax", "memory", "cc");
}

void hostirq_init(unsigned core, const struct config *cfg)
{
    if (core == 0)
        pic_remap_and_mask();
    if (!lapic_enabled()) {
        if (core == 0)
            kprintf("hindsight: host interrupts: 8259As masked; the local APIC is disabled\n");
        return;
    }
    own_lapic(core, cfg);
    if (core == 0)
        kprintf("hindsight: host interrupts: 8259As remapped to 0x%x and masked, %lu local APIC LVT(s) masked, "
                "%lu left in service ended\n", HOSTIRQ_PIC_BASE, lvt_masked, eoi_left);
    if (core == 0 && cfg->sim_host_nmi) {
        /* NMIs in VMX root, one at a time (each must be counted before the next: none lost). */
        uint32_t me = core0_apic = lapic_id();
        for (unsigned i = 0; i < SIM_NMIS; i++) {
            uint64_t before = __atomic_load_n(&nmis_root, __ATOMIC_ACQUIRE);
            lapic_send_ipi(me, LVT_DELIVERY_NMI);
            for (int k = 0; k < 1000000 && __atomic_load_n(&nmis_root, __ATOMIC_ACQUIRE) == before; k++)
                cpu_relax();
        }
        nmi_unblock(); /* with nothing blocked a no-op: runs the NMI-exit path's IRET once in every test */
        kprintf("hindsight: simulate=host-nmi: %u NMIs sent in VMX root, %lu taken\n", SIM_NMIS, nmis_root);
        sim_nmi = true;
    }
    if (core == 0 && cfg->sim_stray_irq) {
        arm_timer(SIM_STRAY_VECTOR, SIM_STRAY_COUNT);
        kprintf("hindsight: simulate=stray-irq: local APIC timer left running (vector 0x%x, periodic)\n",
                SIM_STRAY_VECTOR);
    }
}

unsigned hostirq_mask_ioapic(uint64_t base)
{
    volatile uint32_t *sel = (volatile uint32_t *)(uintptr_t)base, *win = (volatile uint32_t *)(uintptr_t)(base + 0x10);
    *sel = 1;
    unsigned n = ((*win >> 16) & 0xFF) + 1; /* version register: maximum redirection entry */
    for (unsigned i = 0; i < n; i++) {
        *sel = 0x10 + 2 * i;
        *win = *win | LVT_MASKED; /* same bit 16 as the LVTs */
    }
    __atomic_add_fetch(&ioapic_pins, n, __ATOMIC_RELAXED);
    return n;
}

static void end_interrupt(uint8_t vector)
{
    bool at_lapic = false;
    if (lapic_enabled())
        at_lapic = (lapic_read(LAPIC_ISR + (vector / 32u) * 0x10) >> (vector % 32)) & 1;
    uint8_t p1 = 0, p2 = 0;
    if (!at_lapic && vector >= HOSTIRQ_PIC_BASE && vector < HOSTIRQ_PIC_BASE + 16) {
        p1 = pic_isr(0x20);
        p2 = pic_isr(0xA0);
    }
    enum hostirq_action a = hostirq_classify(vector, at_lapic, p1, p2);
    switch (a) {
    case HOSTIRQ_EOI_LAPIC: lapic_write(LAPIC_EOI, 0); break;
    case HOSTIRQ_EOI_PIC2: outb(0xA0, 0x20); outb(0x20, 0x20); break;
    case HOSTIRQ_EOI_PIC1:
    case HOSTIRQ_SPURIOUS_PIC2: outb(0x20, 0x20); break;
    case HOSTIRQ_SPURIOUS: break;
    }
    if (a == HOSTIRQ_SPURIOUS || a == HOSTIRQ_SPURIOUS_PIC2)
        __atomic_add_fetch(&spurious, 1, __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(&irqs, 1, __ATOMIC_RELAXED);
    if (!__atomic_exchange_n(&first_reported, 1, __ATOMIC_RELAXED))
        kprintf("hindsight: host interrupt vector 0x%x arrived (%s): ended and counted (host.irqs); later ones "
                "are only counted\n", vector, hostirq_action_name(a));
}

void hostirq_root(uint32_t vector) { end_interrupt((uint8_t)vector); }

void hostirq_exit(struct vcpu *v, uint32_t info)
{
    (void)v;
    if (info & INTR_INFO_VALID) {
        end_interrupt((uint8_t)info);
        return;
    }
    /* No acknowledge-on-exit: let the IDT take it (vectors 32-255 call hostirq_root). */
    __asm__ volatile("sti; nop; cli" ::: "memory");
}

void hostirq_nmi(void) { __atomic_add_fetch(&nmis_root, 1, __ATOMIC_RELAXED); }

void hostirq_nmi_exit(struct vcpu *v)
{
    /* The guest never saw this NMI, but the CPU may save "blocking by NMI" in its
     * interruptibility state (Bochs does); without virtual NMIs that bit would block NMIs in the
     * guest after every entry, and the guest's IRETs cannot lift it ("NMI exiting": IRET leaves
     * NMI blocking alone): every later NMI would be held for ever, and the Primary's state
     * would differ from the Backup's. The VMM injects no NMIs, so the bit is always cleared. */
    uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);
    if (intr & INTERRUPTIBILITY_NMI)
        vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~(uint64_t)INTERRUPTIBILITY_NMI);
    v->host_nmis++;
    __atomic_add_fetch(&nmis_guest, 1, __ATOMIC_RELAXED);
    nmi_unblock();
}

void hostirq_before_entry(struct vcpu *v)
{
    /* simulate=host-nmi, guest phase: with a second core running, it sends core 0 the NMIs, which
     * mostly find core 0 in a guest (NMI exits); alone, core 0 sends itself one before an entry
     * (taken in root by Bochs, possibly at VMRESUME on hardware). Each must be counted exactly
     * once: the sender waits for the count to move before the next. */
    if (!sim_nmi || sim_nmi_guest_sent >= SIM_NMIS)
        return;
    struct cpu *c = this_cpu();
    static unsigned entries;
    if (c->id == 1)
        __atomic_store_n(&core1_running, true, __ATOMIC_RELEASE);
    else if (__atomic_load_n(&core1_running, __ATOMIC_ACQUIRE) || ++entries < 100)
        return;
    if (c->id == 1 && ++entries % 8)
        return;
    /* Aim at core 0 while its vCPU runs in the guest: in the guest and no exit for a while. */
    if (c->id == 1 && v->peer) {
        uint64_t seen = __atomic_load_n(&v->peer->exits_total, __ATOMIC_ACQUIRE);
        for (int k = 0; k < 1000; k++)
            cpu_relax();
        if (__atomic_load_n(&v->peer->stage, __ATOMIC_ACQUIRE) != STAGE_IN_GUEST || !v->peer->launched ||
            __atomic_load_n(&v->peer->exits_total, __ATOMIC_ACQUIRE) != seen)
            return;
    }
    uint64_t before = __atomic_load_n(&nmis_root, __ATOMIC_ACQUIRE) + __atomic_load_n(&nmis_guest, __ATOMIC_ACQUIRE);
    sim_nmi_guest_sent++;
    lapic_send_ipi(c->id == 1 ? core0_apic : lapic_id(), LVT_DELIVERY_NMI);
    int k = 0;
    for (; c->id == 1 && k < 10000000; k++) {
        if (__atomic_load_n(&nmis_root, __ATOMIC_ACQUIRE) + __atomic_load_n(&nmis_guest, __ATOMIC_ACQUIRE) != before)
            break;
        cpu_relax();
    }
    if (c->id == 1)
        kprintf("hindsight: simulate=host-nmi: NMI %u sent from core 1 to core 0 while its guest ran: %s\n",
                sim_nmi_guest_sent, k < 10000000 ? "taken" : "NOT TAKEN");
}

size_t hostirq_summary(char *buf, size_t cap)
{
    return (size_t)hs_snprintf(buf, cap, " host.irqs=%lu host.spurious_irqs=%lu host.nmis=%lu host.nmis_in_guest=%lu",
                               irqs, spurious, nmis_root + nmis_guest, nmis_guest);
}
