/* Ports without a device read as all-ones and swallow writes, like an empty ISA
 * bus; they are counted so that a guest probing for hardware shows up in the summary. */
#include "io.h"

#define COM1_BASE 0x3F8
#define DEBUG_PORT 0xE9

uint32_t io_access(struct vcpu *v, uint16_t port, unsigned size, int is_in, uint32_t value)
{
    if (port >= COM1_BASE && port < COM1_BASE + 8 && size == 1) {
        if (is_in)
            return uart_read(&v->com1, port - COM1_BASE);
        uart_write(&v->com1, port - COM1_BASE, (uint8_t)value);
        return 0;
    }
    if (port == DEBUG_PORT && size == 1) {
        /* Bochs-style debug console: guest output without UART emulation cost. */
        if (is_in)
            return 0xE9;
        vcpu_console_byte(v, (uint8_t)value);
        return 0;
    }
    v->io_other++;
    return is_in ? (size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1) : 0;
}
