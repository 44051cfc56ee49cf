/* Transmission is instantaneous: the byte goes to the sink at THR write time and the
 * transmitter is empty again at once, which Linux handles like a very fast line. */
#include "uart16550.h"

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDA 0x01
#define IER_THRE 0x02
#define IER_RLS 0x04
#define IER_MS 0x08
#define MCR_LOOP 0x10
#define LCR_DLAB 0x80

void uart_init(struct uart16550 *u, void (*tx)(void *, uint8_t), void *ctx)
{
    *u = (struct uart16550){ 0 };
    u->lsr = LSR_THRE | LSR_TEMT;
    u->msr = 0xB0; /* DCD, DSR, CTS asserted: a cable is present */
    u->tx = tx;
    u->ctx = ctx;
}

static unsigned ident(const struct uart16550 *u)
{
    /* Interrupt identification by priority: line status, data, THR empty, modem status. */
    if ((u->ier & IER_RLS) && (u->lsr & LSR_OE))
        return 0x06;
    if ((u->ier & IER_RDA) && u->rx_count)
        return 0x04;
    if ((u->ier & IER_THRE) && u->thre_pending)
        return 0x02;
    if ((u->ier & IER_MS) && (u->msr & 0x0F))
        return 0x00;
    return 0x01;
}

bool uart_irq_pending(const struct uart16550 *u)
{
    /* OUT2 gates the interrupt line on PC hardware; Linux sets it. */
    return !(ident(u) & 1) && (u->mcr & 0x08) && !(u->mcr & MCR_LOOP);
}

static uint8_t rx_pop(struct uart16550 *u)
{
    if (!u->rx_count)
        return 0;
    uint8_t b = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART_FIFO;
    if (--u->rx_count == 0)
        u->lsr &= (uint8_t)~LSR_DR;
    return b;
}

bool uart_receive(struct uart16550 *u, uint8_t byte)
{
    if (u->rx_count == UART_FIFO) {
        u->lsr |= LSR_OE;
        return false;
    }
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = byte;
    u->rx_count++;
    u->lsr |= LSR_DR;
    return true;
}

uint8_t uart_read(struct uart16550 *u, unsigned off)
{
    switch (off & 7) {
    case 0:
        if (u->lcr & LCR_DLAB)
            return u->dll;
        return rx_pop(u);
    case 1:
        if (u->lcr & LCR_DLAB)
            return u->dlm;
        return u->ier;
    case 2: {
        unsigned id = ident(u);
        if (id == 0x02)
            u->thre_pending = false; /* reading IIR clears a THRE interrupt */
        return (uint8_t)(id | u->iir_fifo);
    }
    case 3:
        return u->lcr;
    case 4:
        return u->mcr;
    case 5: {
        uint8_t v = u->lsr;
        u->lsr &= (uint8_t)~LSR_OE;
        return v;
    }
    case 6:
        if (u->mcr & MCR_LOOP) {
            /* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
            uint8_t m = u->mcr;
            return (uint8_t)(((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) | ((m & 0x08) << 4));
        }
        return u->msr;
    default:
        return u->scr;
    }
}

void uart_write(struct uart16550 *u, unsigned off, uint8_t v)
{
    switch (off & 7) {
    case 0:
        if (u->lcr & LCR_DLAB) {
            u->dll = v;
        } else if (u->mcr & MCR_LOOP) {
            uart_receive(u, v);
        } else {
            if (u->tx)
                u->tx(u->ctx, v);
            u->thre_pending = true;
        }
        break;
    case 1:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
        } else {
            /* Enabling THRE interrupts with an empty transmitter raises one at once. */
            if ((v & IER_THRE) && !(u->ier & IER_THRE))
                u->thre_pending = true;
            u->ier = v & 0x0F;
        }
        break;
    case 2:
        u->fcr = v;
        u->iir_fifo = (v & 1) ? 0xC0 : 0;
        if (v & 0x02) {
            u->rx_count = 0;
            u->lsr &= (uint8_t)~LSR_DR;
        }
        break;
    case 3:
        u->lcr = v;
        break;
    case 4:
        u->mcr = v & 0x1F;
        break;
    case 5:
    case 6:
        break; /* read-only on a 16550 */
    default:
        u->scr = v;
    }
}
