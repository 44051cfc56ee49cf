/* A 16550A UART model: enough for Linux's 8250 driver (FIFO, loopback, THRE and RX interrupts). */
#ifndef HS_UART16550_H
#define HS_UART16550_H
#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO 64

struct uart16550 {
    uint8_t ier, iir_fifo, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
    bool thre_pending;                 /* THR-empty interrupt armed until IIR read or THR write */
    uint8_t rx[UART_FIFO];
    unsigned rx_head, rx_count;
    void (*tx)(void *ctx, uint8_t byte); /* where transmitted bytes go */
    void *ctx;
};

/* Resets the UART to its power-on state with a transmit sink. */
void uart_init(struct uart16550 *u, void (*tx)(void *, uint8_t), void *ctx);
/* Guest read of register off (0-7). */
uint8_t uart_read(struct uart16550 *u, unsigned off);
/* Guest write of register off (0-7). */
void uart_write(struct uart16550 *u, unsigned off, uint8_t v);
/* Queues a received byte; false if the FIFO is full (the byte is dropped, as on hardware). */
bool uart_receive(struct uart16550 *u, uint8_t byte);
/* Level of the interrupt line (IRQ 4 for COM1): true while an enabled condition is pending. */
bool uart_irq_pending(const struct uart16550 *u);

#endif
