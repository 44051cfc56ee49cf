/* The guest platform's port map. Ports without a device read as all-ones and
 * swallow writes, like an empty ISA bus; they are counted so that a guest probing
 * for hardware shows up in the summary. */
#include "io.h"
#include "console.h"
#include "nd.h"
#include "vtime.h"

#define COM1_BASE 0x3F8
#define DEBUG_PORT 0xE9

static void reset_request(struct vcpu *v, const char *how)
{
    kprintf("hindsight: %s requested a reset (%s)\n", v->name, how);
    vcpu_stop(v, "reboot");
}

/* The devices whose reads depend on time: read through nd_port_in(), so they are logged. */
static uint32_t pit_live(struct vcpu *v, uint16_t port) { return pit_read(&v->pit, port, vtime_pit_now(v->stolen)); }
static uint32_t rtc_live(struct vcpu *v, uint16_t port)
{
    return cmos_read(&v->cmos, port, v->rtc_epoch + vtime_seconds(v->stolen));
}

static uint32_t pci(struct vcpu *v, uint16_t port, unsigned size, int is_in, uint32_t value)
{
    if (port == 0xCF8 && size == 4) {
        if (is_in)
            return v->pci_addr;
        v->pci_addr = value;
        return 0;
    }
    if (port == 0xCF9 && size == 1) {
        if (!is_in && (value & 0x04))
            reset_request(v, "port 0xCF9");
        return 0;
    }
    /* Configuration data: no device answers on any bus. */
    return is_in ? 0xFFFFFFFFu : 0;
}

uint32_t io_access(struct vcpu *v, uint16_t port, unsigned size, int is_in, uint32_t value)
{
    uint8_t b = (uint8_t)value;
    switch (port) {
    case COM1_BASE ... COM1_BASE + 7:
        if (size != 1)
            break;
        if (is_in)
            return uart_read(&v->com1, port - COM1_BASE);
        uart_write(&v->com1, port - COM1_BASE, b);
        return 0;
    case 0x20: case 0x21: case 0xA0: case 0xA1: case 0x4D0: case 0x4D1:
        if (is_in)
            return pic_read(&v->pic, port);
        pic_write(&v->pic, port, b);
        return 0;
    case 0x40 ... 0x43: case 0x61:
        if (is_in)
            return nd_port_in(v, port, pit_live);
        pit_write(&v->pit, port, b, vtime_pit_now(v->stolen));
        return 0;
    case 0x70: case 0x71:
        if (is_in)
            return port == 0x70 ? cmos_read(&v->cmos, port, 0) : nd_port_in(v, port, rtc_live);
        cmos_write(&v->cmos, port, b);
        return 0;
    case 0x64:
        if (!is_in && b == 0xFE)
            reset_request(v, "keyboard controller pulse");
        break; /* no i8042: status reads all-ones, which Linux takes as "no controller" */
    case 0x92:
        if (!is_in && (b & 1))
            reset_request(v, "port 0x92 fast reset");
        if (is_in)
            return 0x02; /* A20 on */
        return 0;
    case 0x80:
        v->port80++; /* POST codes and I/O delays */
        return is_in ? 0xFF : 0;
    case 0xCF8 ... 0xCFF:
        return pci(v, port, size, is_in, value);
    case DEBUG_PORT:
        if (size != 1)
            break;
        /* Bochs-style debug console: guest output without UART emulation cost. */
        if (is_in)
            return 0xE9;
        vcpu_console_byte(v, b);
        return 0;
    default:
        break;
    }
    v->io_other++;
    return is_in ? (size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1) : 0;
}
