/* Output is serialised by one lock so that lines from the two cores never interleave. */
#include "console.h"
#include "lib.h"
#include "msr.h"
#include "spinlock.h"
#include "x86.h"

#define COM1 0x3F8

static unsigned sinks = CONSOLE_COM1;
static spinlock_t lock;
static volatile uint64_t fault_owner; /* the core reporting a VMM fault writes without the lock */

/* This core's token: its GS base (its struct cpu once set up) plus one, never 0. */
static uint64_t core_token(void) { return rdmsr(MSR_IA32_GS_BASE) + 1; }

void serial_init(uint16_t base)
{
    outb(base + 1, 0x00); /* no interrupts: the VMM polls */
    outb(base + 3, 0x80); /* DLAB */
    outb(base + 0, 0x01); /* divisor 1: 115200 baud */
    outb(base + 1, 0x00);
    outb(base + 3, 0x03); /* 8N1 */
    outb(base + 2, 0xC7); /* FIFO on, cleared */
    outb(base + 4, 0x03); /* DTR, RTS */
}

void serial_write(uint16_t base, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        /* Bound the wait: a machine without this UART must not hang the VMM. */
        for (int k = 0; k < 100000 && !(inb(base + 5) & 0x20); k++)
            __asm__ volatile("pause");
        outb(base, b[i]);
    }
}

int serial_getc(uint16_t base)
{
    if (inb(base + 5) & 0x01)
        return inb(base);
    return -1;
}

void console_init(unsigned s)
{
    serial_init(COM1);
    sinks = s;
}

void console_set_sinks(unsigned s) { sinks = s; }

static void com1_putc(char c) { serial_write(COM1, &c, 1); }

static void putc_raw(char c)
{
    if (sinks & CONSOLE_COM1)
        com1_putc(c);
    if (sinks & CONSOLE_E9)
        outb(0xE9, (uint8_t)c);
}

static void emit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            putc_raw('\r');
        putc_raw(s[i]);
    }
}

void console_write(const char *s, size_t n)
{
    uint64_t me = core_token();
    if (fault_owner == me) {
        emit(s, n); /* the report of a fault: this core owns the console for good */
        return;
    }
    spin_lock_owned(&lock, me);
    emit(s, n);
    spin_unlock(&lock);
}

/* About a second of spinning on real hardware: a holder on another core that does not let go
 * within it is taken to be dead (it faulted too, or hangs). */
#define FAULT_SPINS 50000000ul

void console_fault_begin(void)
{
    uint64_t me = core_token();
    if (fault_owner == me)
        return;
    int how = spin_lock_for_fault(&lock, me, FAULT_SPINS);
    fault_owner = me;
    if (how == SPIN_BROKEN_OWN)
        emit("\n[console lock held by this core at the fault: taken over]", 58);
    else if (how == SPIN_BROKEN_STUCK)
        emit("\n[console lock held by another core that did not let go: taken over]", 68);
}

void console_sim_fault_locked(void)
{
    spin_lock_owned(&lock, core_token());
    emit("hindsight: simulating a VMM fault with the console lock held\n", 61);
    *(volatile uint64_t *)0xFFFF800000000000ull = 1; /* unmapped: a page fault */
}

void kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = hs_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    console_write(buf, (size_t)n);
}

int console_getc(void)
{
    if (inb(COM1 + 5) & 0x01)
        return inb(COM1);
    return -1;
}
