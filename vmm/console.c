/* Output is serialised by one lock so that lines from the two cores never interleave. */
#include "console.h"
#include "lib.h"
#include "spinlock.h"
#include "x86.h"

#define COM1 0x3F8

static unsigned sinks = CONSOLE_COM1;
static spinlock_t lock;

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

void console_write(const char *s, size_t n)
{
    spin_lock(&lock);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            putc_raw('\r');
        putc_raw(s[i]);
    }
    spin_unlock(&lock);
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
