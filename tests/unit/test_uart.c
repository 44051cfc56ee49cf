/* The 16550A UART model, driven through its register interface as the 8250 driver would. */
#include <string.h>
#include "check.h"
#include "dev/uart16550.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

struct sink {
    uint8_t bytes[256];
    unsigned n;
};

static void sink_tx(void *ctx, uint8_t b)
{
    struct sink *s = ctx;
    if (s->n < sizeof(s->bytes))
        s->bytes[s->n] = b;
    s->n++;
}

static struct uart16550 U;
static struct sink S;

static void setup(void)
{
    memset(&S, 0, sizeof(S));
    memset(&U, 0x5A, sizeof(U)); /* init must not depend on prior contents */
    uart_init(&U, sink_tx, &S);
}

TEST(uart_power_on_state)
{
    setup();
    CHECK_EQ(uart_read(&U, IER), 0);
    CHECK_EQ(uart_read(&U, IIR_FCR), 0x01); /* no interrupt, FIFOs off */
    CHECK_EQ(uart_read(&U, LCR), 0);
    CHECK_EQ(uart_read(&U, MCR), 0);
    CHECK_EQ(uart_read(&U, LSR), LSR_THRE | LSR_TEMT);
    CHECK_EQ(uart_read(&U, MSR) & 0xB0, 0xB0); /* DCD, DSR, CTS */
    CHECK_EQ(uart_read(&U, RBR_THR), 0);        /* empty receiver reads 0 */
    CHECK(!uart_irq_pending(&U));
}

TEST(uart_scratch_register)
{
    setup();
    static const uint8_t vals[] = { 0x55, 0xAA, 0x00, 0xFF, 0x5A };
    for (unsigned i = 0; i < sizeof(vals); i++) {
        uart_write(&U, SCR, vals[i]);
        CHECK_EQ(uart_read(&U, SCR), vals[i]);
    }
    /* Offsets are taken modulo 8. */
    uart_write(&U, 8 + SCR, 0x42);
    CHECK_EQ(uart_read(&U, SCR), 0x42);
}

TEST(uart_dlab_divisor_latch)
{
    setup();
    uart_write(&U, IER, 0x00);
    uart_write(&U, LCR, 0x83); /* DLAB + 8N1 */
    uart_write(&U, RBR_THR, 0x01);
    uart_write(&U, IER, 0x00);
    CHECK_EQ(uart_read(&U, RBR_THR), 0x01);
    CHECK_EQ(uart_read(&U, IER), 0x00);
    uart_write(&U, RBR_THR, 0x0C);
    uart_write(&U, IER, 0x03);
    CHECK_EQ(uart_read(&U, RBR_THR), 0x0C); /* DLL */
    CHECK_EQ(uart_read(&U, IER), 0x03);     /* DLM */
    CHECK_EQ(S.n, 0);                       /* divisor writes are not transmitted */
    CHECK_EQ(U.ier, 0);                     /* and do not reach IER */
    uart_write(&U, LCR, 0x03);
    CHECK_EQ(uart_read(&U, LCR), 0x03);
    CHECK_EQ(uart_read(&U, IER), 0x00);     /* IER again */
    uart_write(&U, RBR_THR, 'A');
    CHECK_EQ(S.n, 1);
    /* The latch keeps its value across DLAB toggles. */
    uart_write(&U, LCR, 0x80);
    CHECK_EQ(uart_read(&U, RBR_THR), 0x0C);
    CHECK_EQ(uart_read(&U, IER), 0x03);
}

TEST(uart_tx_sink_receives_bytes)
{
    setup();
    const char *msg = "Linux version 6.x\r\n";
    for (const char *p = msg; *p; p++)
        uart_write(&U, RBR_THR, (uint8_t)*p);
    CHECK_EQ(S.n, strlen(msg));
    CHECK_MEM(S.bytes, msg, strlen(msg));
    /* Transmission is instant: the transmitter is always empty. */
    CHECK_EQ(uart_read(&U, LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
    /* No sink: writes are dropped without crashing. */
    uart_init(&U, NULL, NULL);
    uart_write(&U, RBR_THR, 'x');
    CHECK_EQ(uart_read(&U, LSR) & LSR_THRE, LSR_THRE);
}

TEST(uart_iir_fifo_bits_after_fcr)
{
    setup();
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0xC0, 0);
    uart_write(&U, IIR_FCR, 0x01); /* enable FIFOs */
    CHECK_EQ(uart_read(&U, IIR_FCR), 0xC1);
    uart_write(&U, IIR_FCR, 0xC7); /* enable, clear both, trigger 14 */
    CHECK_EQ(uart_read(&U, IIR_FCR), 0xC1);
    uart_write(&U, IIR_FCR, 0x00);
    CHECK_EQ(uart_read(&U, IIR_FCR), 0x01);
    /* The FIFO bits combine with an interrupt id. */
    uart_write(&U, IIR_FCR, 0x01);
    uart_write(&U, IER, 0x02);
    CHECK_EQ(uart_read(&U, IIR_FCR), 0xC2);
}

TEST(uart_thre_interrupt)
{
    setup();
    uart_write(&U, MCR, MCR_OUT2 | MCR_DTR | MCR_RTS);
    CHECK(!uart_irq_pending(&U));
    /* Enabling THRE interrupts with an empty transmitter raises one at once. */
    uart_write(&U, IER, 0x02);
    CHECK(uart_irq_pending(&U));
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x02);
    /* Reading IIR cleared it. */
    CHECK(!uart_irq_pending(&U));
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x01);
    /* Writing THR: the byte leaves at once and THRE is signalled again. */
    uart_write(&U, RBR_THR, 'z');
    CHECK(uart_irq_pending(&U));
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x02);
    CHECK(!uart_irq_pending(&U));
    /* Re-writing IER with THRE already enabled does not raise another. */
    uart_write(&U, IER, 0x02);
    CHECK(!uart_irq_pending(&U));
    /* Toggling it off and on does. */
    uart_write(&U, IER, 0x00);
    uart_write(&U, IER, 0x02);
    CHECK(uart_irq_pending(&U));
    /* Disabling THRE interrupts drops the line. */
    uart_write(&U, IER, 0x00);
    CHECK(!uart_irq_pending(&U));
    CHECK_EQ(uart_read(&U, IER), 0);
}

TEST(uart_ier_upper_bits_masked)
{
    setup();
    uart_write(&U, IER, 0xFF);
    CHECK_EQ(uart_read(&U, IER), 0x0F);
}

TEST(uart_rx_fifo_and_interrupt)
{
    setup();
    uart_write(&U, MCR, MCR_OUT2);
    uart_write(&U, IER, 0x01); /* RX data available */
    CHECK(!uart_irq_pending(&U));
    CHECK(uart_receive(&U, 'a'));
    CHECK(uart_receive(&U, 'b'));
    CHECK(uart_receive(&U, 'c'));
    CHECK_EQ(uart_read(&U, LSR) & LSR_DR, LSR_DR);
    CHECK(uart_irq_pending(&U));
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x04);
    CHECK(uart_irq_pending(&U)); /* reading IIR does not clear RX data */
    CHECK_EQ(uart_read(&U, RBR_THR), 'a');
    CHECK_EQ(uart_read(&U, RBR_THR), 'b');
    CHECK_EQ(uart_read(&U, LSR) & LSR_DR, LSR_DR);
    CHECK_EQ(uart_read(&U, RBR_THR), 'c');
    CHECK_EQ(uart_read(&U, LSR) & LSR_DR, 0);
    CHECK(!uart_irq_pending(&U));
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x01);
    /* RX data takes priority over THRE. */
    uart_write(&U, IER, 0x03);
    uart_receive(&U, 'd');
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x04);
    CHECK_EQ(uart_read(&U, RBR_THR), 'd');
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x02);
}

TEST(uart_rx_fifo_wraps_in_order)
{
    setup();
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 40; i++)
            CHECK(uart_receive(&U, (uint8_t)(round * 40 + i)));
        for (int i = 0; i < 40; i++)
            CHECK_EQ(uart_read(&U, RBR_THR), (uint8_t)(round * 40 + i));
    }
    CHECK_EQ(uart_read(&U, LSR) & LSR_DR, 0);
}

TEST(uart_rx_fifo_clear)
{
    setup();
    uart_receive(&U, 'x');
    uart_receive(&U, 'y');
    uart_write(&U, IIR_FCR, 0x03); /* enable + clear RX */
    CHECK_EQ(uart_read(&U, LSR) & LSR_DR, 0);
    CHECK_EQ(uart_read(&U, RBR_THR), 0);
    uart_receive(&U, 'z');
    CHECK_EQ(uart_read(&U, RBR_THR), 'z');
}

TEST(uart_overrun)
{
    setup();
    uart_write(&U, MCR, MCR_OUT2);
    for (int i = 0; i < UART_FIFO; i++)
        CHECK(uart_receive(&U, (uint8_t)i));
    CHECK_EQ(uart_read(&U, LSR) & LSR_OE, 0);
    CHECK(!uart_receive(&U, 0xEE)); /* dropped */
    /* Line-status interrupt, highest priority, when enabled. */
    uart_write(&U, IER, 0x05);
    CHECK(uart_irq_pending(&U));
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x06);
    uint8_t lsr = uart_read(&U, LSR);
    CHECK_EQ(lsr & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
    /* Reading LSR clears OE. */
    CHECK_EQ(uart_read(&U, LSR) & LSR_OE, 0);
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x04);
    /* The first 64 bytes are intact; the overflowing one is gone. */
    for (int i = 0; i < UART_FIFO; i++)
        CHECK_EQ(uart_read(&U, RBR_THR), (uint8_t)i);
    CHECK_EQ(uart_read(&U, LSR) & LSR_DR, 0);
}

TEST(uart_loopback_mcr_to_msr)
{
    setup();
    uart_write(&U, MCR, MCR_LOOP);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0x00);
    uart_write(&U, MCR, MCR_LOOP | MCR_DTR);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0x20); /* DSR */
    uart_write(&U, MCR, MCR_LOOP | MCR_RTS);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0x10); /* CTS */
    uart_write(&U, MCR, MCR_LOOP | MCR_OUT1);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0x40); /* RI */
    uart_write(&U, MCR, MCR_LOOP | MCR_OUT2);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0x80); /* DCD */
    uart_write(&U, MCR, MCR_LOOP | 0x0F);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0xF0);
    /* Leaving loopback restores the real modem lines. */
    uart_write(&U, MCR, MCR_DTR);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0xB0);
    /* MCR keeps only its five bits. */
    uart_write(&U, MCR, 0xFF);
    CHECK_EQ(uart_read(&U, MCR), 0x1F);
}

TEST(uart_loopback_data)
{
    setup();
    uart_write(&U, MCR, MCR_LOOP | MCR_OUT2);
    uart_write(&U, RBR_THR, 0x5A);
    CHECK_EQ(S.n, 0); /* not transmitted */
    CHECK_EQ(uart_read(&U, LSR) & LSR_DR, LSR_DR);
    CHECK_EQ(uart_read(&U, RBR_THR), 0x5A);
    /* The interrupt line stays quiet in loopback even with RX enabled. */
    uart_write(&U, IER, 0x01);
    uart_write(&U, RBR_THR, 0x33);
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x04);
    CHECK(!uart_irq_pending(&U));
}

TEST(uart_irq_gated_by_out2)
{
    setup();
    uart_write(&U, IER, 0x02);
    CHECK_EQ(uart_read(&U, IIR_FCR) & 0x0F, 0x02); /* pending internally (and cleared by this read)... */
    uart_write(&U, IER, 0x00);
    uart_write(&U, IER, 0x03);
    uart_receive(&U, 'q');
    CHECK(!uart_irq_pending(&U)); /* ...but OUT2 is off: no IRQ */
    uart_write(&U, MCR, MCR_OUT2);
    CHECK(uart_irq_pending(&U));
    uart_write(&U, MCR, MCR_DTR | MCR_RTS);
    CHECK(!uart_irq_pending(&U));
    uart_write(&U, MCR, MCR_OUT2 | MCR_DTR);
    CHECK(uart_irq_pending(&U));
}

TEST(uart_read_only_registers)
{
    setup();
    uart_write(&U, LSR, 0x00);
    CHECK_EQ(uart_read(&U, LSR), LSR_THRE | LSR_TEMT);
    uart_write(&U, MSR, 0x00);
    CHECK_EQ(uart_read(&U, MSR) & 0xF0, 0xB0);
    /* No modem-status interrupt: the delta bits never set. */
    uart_write(&U, MCR, MCR_OUT2);
    uart_write(&U, IER, 0x08);
    CHECK(!uart_irq_pending(&U));
}
