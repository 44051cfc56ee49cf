/* The 8254 PIT and port 0x61, driven as Linux does: the i8253 clockevent (mode 2
 * periodic, mode 4 one-shot), pit_calibrate_tsc / quick_pit_calibrate on channel 2
 * through port 0x61, counter latch and read-back. Time is in PIT ticks. */
#include <string.h>
#include "check.h"
#include "dev/pit8254.h"

#define CH0 0x40
#define CH1 0x41
#define CH2 0x42
#define MODE 0x43
#define PORT61 0x61
#define LATCH_HZ250 4773u /* (PIT_HZ + 125) / 250, Linux's PIT_LATCH for HZ=250 */

static struct pit8254 T;

static void setup(void)
{
    memset(&T, 0x5A, sizeof(T));
    pit_init(&T);
}

/* Control word then a lo/hi count, as Linux programs a channel. */
static void program(unsigned ch, unsigned mode, uint32_t count, uint64_t now)
{
    pit_write(&T, MODE, (uint8_t)((ch << 6) | 0x30 | (mode << 1)), now);
    pit_write(&T, (uint16_t)(CH0 + ch), (uint8_t)count, now);
    pit_write(&T, (uint16_t)(CH0 + ch), (uint8_t)(count >> 8), now);
}

/* Counter latch command, then the two bytes (lo/hi access). */
static uint16_t latched_count(unsigned ch, uint64_t now)
{
    pit_write(&T, MODE, (uint8_t)(ch << 6), now);
    uint8_t lo = pit_read(&T, (uint16_t)(CH0 + ch), now);
    uint8_t hi = pit_read(&T, (uint16_t)(CH0 + ch), now);
    return (uint16_t)(lo | hi << 8);
}

/* Read-back of one channel's status alone. */
static uint8_t status(unsigned ch, uint64_t now)
{
    pit_write(&T, MODE, (uint8_t)(0xC0 | 0x20 | (2u << ch)), now);
    return pit_read(&T, (uint16_t)(CH0 + ch), now);
}

static bool out2(uint64_t now) { return pit_read(&T, PORT61, now) & 0x20; }

TEST(pit_power_on)
{
    setup();
    CHECK_EQ(pit_next_irq0(&T, 0), PIT_NEVER);
    CHECK_EQ(pit_irq0_due(&T, 1000000), 0);
    CHECK_EQ(pit_read(&T, PORT61, 0) & 0x03, 0); /* gate and speaker off */
    CHECK_EQ(T.ch[2].gate, false);
    CHECK_EQ(T.ch[0].gate, true);
}

TEST(pit_mode0_one_shot)
{
    setup();
    const uint64_t t0 = 123456;
    pit_write(&T, MODE, 0x30, t0); /* channel 0, lo/hi, mode 0, binary */
    CHECK_EQ(status(0, t0) & 0x80, 0); /* OUT low once the mode word is written */
    pit_write(&T, CH0, 1000 & 0xFF, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), PIT_NEVER); /* half a count: not started */
    pit_write(&T, CH0, 1000 >> 8, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 1000);
    CHECK_EQ(latched_count(0, t0 + 1), 999);
    CHECK_EQ(latched_count(0, t0 + 100), 900);
    CHECK_EQ(latched_count(0, t0 + 999), 1);
    CHECK_EQ(pit_irq0_due(&T, t0 + 500), 0);
    CHECK_EQ(pit_irq0_due(&T, t0 + 999), 0);
    CHECK_EQ(status(0, t0 + 999) & 0x80, 0);
    CHECK_EQ(pit_next_irq0(&T, t0 + 999), t0 + 1000);
    CHECK_EQ(pit_irq0_due(&T, t0 + 1000), 1);
    CHECK_EQ(status(0, t0 + 1000) & 0x80, 0x80); /* OUT high at terminal count, and stays */
    CHECK_EQ(status(0, t0 + 70000) & 0x80, 0x80);
    /* Once only. */
    CHECK_EQ(pit_next_irq0(&T, t0 + 1000), PIT_NEVER);
    CHECK_EQ(pit_irq0_due(&T, t0 + 1001), 0);
    CHECK_EQ(pit_irq0_due(&T, t0 + 10000000), 0);
    CHECK_EQ(pit_next_irq0(&T, t0 + 10000000), PIT_NEVER);
    /* After terminal count the counter wraps on down through 0xFFFF. */
    CHECK_EQ(latched_count(0, t0 + 1001), 0xFFFF);

    /* Late check: a call long after terminal count still gets its one edge. */
    const uint64_t t1 = t0 + 20000000;
    program(0, 0, 50, t1);
    CHECK_EQ(pit_irq0_due(&T, t1 + 5000), 1);
    CHECK_EQ(pit_irq0_due(&T, t1 + 5001), 0);
}

TEST(pit_mode4_linux_oneshot)
{
    /* Linux's PIT clockevent in one-shot mode: 0x38 (mode 4), then each event writes lo/hi. */
    setup();
    const uint64_t t0 = 5000;
    pit_write(&T, MODE, 0x38, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), PIT_NEVER);
    pit_write(&T, CH0, 200, t0);
    pit_write(&T, CH0, 0, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 200);
    CHECK_EQ(pit_irq0_due(&T, t0 + 199), 0);
    CHECK(pit_irq0_due(&T, t0 + 201) == 1);
    CHECK_EQ(pit_next_irq0(&T, t0 + 201), PIT_NEVER);
    /* The next event: a new count re-arms it. */
    const uint64_t t1 = t0 + 300;
    pit_write(&T, CH0, 0x10, t1);
    pit_write(&T, CH0, 0x02, t1);
    CHECK_EQ(pit_next_irq0(&T, t1), t1 + 0x210);
    CHECK_EQ(pit_irq0_due(&T, t1 + 0x210 + 1), 1);
    CHECK_EQ(status(0, t1 + 5) & 0x3F, 0x38);
}

TEST(pit_mode2_periodic)
{
    setup();
    const uint64_t t0 = 50000;
    program(0, 2, LATCH_HZ250, t0); /* 0x34, as the i8253 clockevent's periodic mode */
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + LATCH_HZ250);
    CHECK_EQ(pit_irq0_due(&T, t0 + LATCH_HZ250 - 1), 0);
    CHECK_EQ(pit_irq0_due(&T, t0 + LATCH_HZ250), 1);
    CHECK_EQ(pit_irq0_due(&T, t0 + LATCH_HZ250), 0); /* consumed */
    CHECK_EQ(pit_next_irq0(&T, t0 + LATCH_HZ250), t0 + 2 * LATCH_HZ250);
    /* Each period, one interrupt, on time. */
    for (unsigned k = 2; k < 50; k++) {
        uint64_t due = t0 + k * LATCH_HZ250;
        CHECK_EQ(pit_next_irq0(&T, due - 10), due);
        CHECK_EQ(pit_irq0_due(&T, due - 1), 0);
        CHECK_EQ(pit_irq0_due(&T, due + 3), 1);
    }
    if (hs_failures())
        return;
    /* Missed periods collapse into one call that reports at least one event. */
    uint64_t late = t0 + 60 * LATCH_HZ250 + 17;
    unsigned n = pit_irq0_due(&T, late);
    CHECK(n >= 1);
    CHECK(n <= 11); /* periods 50..60 */
    CHECK_EQ(pit_irq0_due(&T, late), 0);
    CHECK_EQ(pit_irq0_due(&T, t0 + 61 * LATCH_HZ250 - 1), 0);
    CHECK_EQ(pit_next_irq0(&T, late), t0 + 61 * LATCH_HZ250);
    CHECK_EQ(pit_irq0_due(&T, t0 + 61 * LATCH_HZ250), 1);
    /* The counter runs down from the count and reloads each period. */
    CHECK_EQ(latched_count(0, t0 + 10), LATCH_HZ250 - 10);
    CHECK_EQ(latched_count(0, t0 + 7 * LATCH_HZ250 + 100), LATCH_HZ250 - 100);
    CHECK_EQ(latched_count(0, t0 + 7 * LATCH_HZ250 + LATCH_HZ250 - 1), 1);
    /* OUT is high except for the tick where the count is 1. */
    CHECK_EQ(status(0, t0 + 5) & 0x80, 0x80);
    CHECK_EQ(status(0, t0 + LATCH_HZ250 - 1) & 0x80, 0);
    CHECK_EQ(status(0, t0 + LATCH_HZ250) & 0x80, 0x80);
}

TEST(pit_mode6_is_mode2)
{
    setup();
    const uint64_t t0 = 7;
    pit_write(&T, MODE, 0x3C, t0); /* mode "6" = x10 = rate generator */
    pit_write(&T, CH0, 100, t0);
    pit_write(&T, CH0, 0, t0);
    CHECK_EQ(pit_irq0_due(&T, t0 + 100), 1);
    CHECK_EQ(pit_next_irq0(&T, t0 + 100), t0 + 200);
}

TEST(pit_byte_access_modes)
{
    setup();
    const uint64_t t0 = 1000;
    /* LSB only (0x10): one write is the whole count, each read is the low byte. */
    pit_write(&T, MODE, 0x10, t0);
    pit_write(&T, CH0, 100, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 100);
    CHECK_EQ(pit_read(&T, CH0, t0 + 10), 90);
    CHECK_EQ(pit_read(&T, CH0, t0 + 20), 80);
    CHECK_EQ(pit_read(&T, CH0, t0 + 30), 70);
    CHECK_EQ(status(0, t0 + 30) & 0x30, 0x10);
    /* MSB only (0x20): the write is the high byte, each read is the high byte. */
    pit_write(&T, MODE, 0x20, t0);
    pit_write(&T, CH0, 0x02, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 0x200);
    CHECK_EQ(pit_read(&T, CH0, t0), 0x02);
    CHECK_EQ(pit_read(&T, CH0, t0 + 1), 0x01);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x101), 0x00);
    CHECK_EQ(status(0, t0) & 0x30, 0x20);
    /* LSB then MSB (0x30): two writes, reads alternate low, high, low, high. */
    pit_write(&T, MODE, 0x30, t0);
    pit_write(&T, CH0, 0x34, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), PIT_NEVER);
    pit_write(&T, CH0, 0x12, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 0x1234);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x10), 0x24);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x10), 0x12);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x20), 0x14);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x20), 0x12);
    /* quick_pit_calibrate's pit_verify_msb: two unlatched reads of channel 2, keep the MSB. */
    pit_write(&T, PORT61, 0x01, t0);
    pit_write(&T, MODE, 0xB0, t0);
    pit_write(&T, CH2, 0xFF, t0);
    pit_write(&T, CH2, 0xFF, t0);
    for (unsigned d = 0; d < 0x4000; d += 0x3FF) {
        (void)pit_read(&T, CH2, t0 + d);
        CHECK_EQ(pit_read(&T, CH2, t0 + d), (0xFFFF - d) >> 8);
    }
}

TEST(pit_counter_latch)
{
    setup();
    const uint64_t t0 = 0x10000;
    program(0, 2, 0x1234, t0);
    pit_write(&T, MODE, 0x00, t0 + 0x10); /* latch channel 0 */
    /* The latched value holds however late the bytes are read. */
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x100), 0x24);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x200), 0x12);
    /* Both bytes read: the next reads follow the counter again. */
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x300), 0x34);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x300), 0x0F);
    /* A second latch before the first is read is ignored. */
    pit_write(&T, MODE, 0x00, t0 + 0x20);
    pit_write(&T, MODE, 0x00, t0 + 0x40);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x50), 0x14);
    pit_write(&T, MODE, 0x00, t0 + 0x60); /* half read: still ignored */
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x70), 0x12);
    CHECK_EQ(latched_count(0, t0 + 0x80), 0x1234 - 0x80);
    /* Channels latch independently. */
    program(2, 0, 0x4000, t0);
    pit_write(&T, PORT61, 0x01, t0);
    program(2, 0, 0x4000, t0);
    pit_write(&T, MODE, 0x80, t0 + 0x100); /* latch channel 2 */
    pit_write(&T, MODE, 0x00, t0 + 0x200); /* latch channel 0 */
    CHECK_EQ(pit_read(&T, CH2, t0 + 0x900), 0x00);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x900), (0x1234 - 0x200) & 0xFF);
    CHECK_EQ(pit_read(&T, CH2, t0 + 0x900), 0x3F);
    CHECK_EQ(pit_read(&T, CH0, t0 + 0x900), (0x1234 - 0x200) >> 8);
    /* LSB-only access: one read releases the latch. */
    pit_write(&T, MODE, 0x50, t0); /* channel 1, LSB, mode 0 */
    pit_write(&T, CH1, 0xF0, t0);
    pit_write(&T, MODE, 0x40, t0 + 0x10);
    CHECK_EQ(pit_read(&T, CH1, t0 + 0x50), 0xE0);
    CHECK_EQ(pit_read(&T, CH1, t0 + 0x50), 0xA0);
}

TEST(pit_read_back)
{
    setup();
    const uint64_t t0 = 100;
    pit_write(&T, PORT61, 0x01, t0);
    program(2, 0, 1000, t0); /* 0xB0 */
    /* Status only (COUNT bit set): OUT=0, access lo/hi, mode 0, binary. */
    CHECK_EQ(status(2, t0 + 10), 0x30);
    CHECK_EQ(status(2, t0 + 1000), 0xB0); /* OUT high after terminal count */
    /* Count only (STATUS bit set). */
    pit_write(&T, MODE, 0xD8, t0 + 40); /* 11 0 1 100 0: latch count of channel 2 */
    CHECK_EQ(pit_read(&T, CH2, t0 + 500), (1000 - 40) & 0xFF);
    CHECK_EQ(pit_read(&T, CH2, t0 + 600), (1000 - 40) >> 8);
    /* Both: status first, then the latched count. */
    pit_write(&T, MODE, 0xC8, t0 + 50);
    CHECK_EQ(pit_read(&T, CH2, t0 + 700), 0x30);
    CHECK_EQ(pit_read(&T, CH2, t0 + 700), (1000 - 50) & 0xFF);
    CHECK_EQ(pit_read(&T, CH2, t0 + 800), (1000 - 50) >> 8);
    /* Several channels in one command; each gets its own status. */
    program(0, 2, LATCH_HZ250, t0);
    pit_write(&T, MODE, 0x77, t0); /* channel 1, lo/hi, mode 3, BCD */
    pit_write(&T, MODE, 0xEE, t0 + 1); /* status of channels 0, 1, 2 */
    CHECK_EQ(pit_read(&T, CH0, t0 + 2), 0xB4); /* OUT high, lo/hi, mode 2, binary */
    CHECK_EQ(pit_read(&T, CH1, t0 + 2) & 0x3F, 0x37);
    CHECK_EQ(pit_read(&T, CH2, t0 + 2), 0x30);
    /* After the status byte, reads are counts again. */
    CHECK_EQ(pit_read(&T, CH0, t0 + 3), (LATCH_HZ250 - 3) & 0xFF);
    CHECK_EQ(pit_read(&T, CH0, t0 + 3), (LATCH_HZ250 - 3) >> 8);
    /* A second status latch before the first is read is ignored. */
    pit_write(&T, MODE, 0xE2, t0 + 4);                 /* OUT high here */
    pit_write(&T, MODE, 0xE2, t0 + LATCH_HZ250 - 1);   /* OUT low here: ignored */
    CHECK_EQ(pit_read(&T, CH0, t0 + LATCH_HZ250 - 1), 0xB4);
    CHECK_EQ(status(0, t0 + LATCH_HZ250 - 1), 0x34);   /* a fresh latch sees OUT low */
}

TEST(pit_ch2_calibrate_tsc_pattern)
{
    /* arch/x86/kernel/tsc.c pit_calibrate_tsc(): gate on, speaker off, channel 2 mode 0,
     * a 10 ms count, then poll port 0x61 bit 5 until OUT2 rises. */
    setup();
    const uint64_t t0 = 999999;
    const uint32_t latch = PIT_HZ / (1000 / 10);
    pit_write(&T, PORT61, (uint8_t)((pit_read(&T, PORT61, t0) & ~0x02) | 0x01), t0);
    CHECK_EQ(pit_read(&T, PORT61, t0) & 0x03, 0x01);
    pit_write(&T, MODE, 0xB0, t0);
    pit_write(&T, CH2, latch & 0xFF, t0);
    pit_write(&T, CH2, latch >> 8, t0);
    CHECK(!out2(t0));
    CHECK(!out2(t0 + latch / 2));
    CHECK(!out2(t0 + latch - 1));
    CHECK(out2(t0 + latch));
    CHECK(out2(t0 + latch + 1));
    CHECK(out2(t0 + 10 * latch)); /* mode 0: OUT stays high */
    /* Polling finds the edge within a tick. */
    uint64_t t = t0;
    unsigned polls = 0;
    while (!out2(t) && polls < 1000000) {
        t += 3;
        polls++;
    }
    CHECK(t >= t0 + latch && t < t0 + latch + 3);
    /* Channel 2 is not IRQ 0. */
    CHECK_EQ(pit_next_irq0(&T, t0), PIT_NEVER);
    CHECK_EQ(pit_irq0_due(&T, t0 + 10 * latch), 0);
    /* The speaker bit reads back as written; bits 4 and 5 are read-only. */
    pit_write(&T, PORT61, 0x33, t0);
    CHECK_EQ(pit_read(&T, PORT61, t0) & 0x03, 0x03);
    CHECK(!out2(t0 + latch - 1)); /* writing bit 5 did not set OUT2 */
}

TEST(pit_ch2_gate)
{
    setup();
    const uint64_t t0 = 5000;
    /* Gate low: the count is loaded but does not run. */
    pit_write(&T, PORT61, 0x00, t0);
    program(2, 0, 100, t0);
    CHECK(!out2(t0 + 1000));
    CHECK_EQ(latched_count(2, t0 + 1000), 100);
    /* Gate high: counting starts now. */
    const uint64_t t1 = t0 + 2000;
    pit_write(&T, PORT61, 0x01, t1);
    CHECK_EQ(latched_count(2, t1 + 30), 70);
    CHECK(!out2(t1 + 99));
    CHECK(out2(t1 + 100));
    /* Mode 2 on channel 2: gate low stops it with OUT high, gate high reloads. */
    program(2, 2, 50, t1);
    CHECK(out2(t1 + 10));
    CHECK(!out2(t1 + 49));
    pit_write(&T, PORT61, 0x00, t1 + 60);
    CHECK(out2(t1 + 99)); /* would be the low tick if still counting */
    CHECK_EQ(latched_count(2, t1 + 200), 50);
    pit_write(&T, PORT61, 0x01, t1 + 1000);
    CHECK_EQ(latched_count(2, t1 + 1010), 40);
    CHECK(!out2(t1 + 1049));
    CHECK(out2(t1 + 1050));
    /* Mode 1 (hardware one-shot) waits for a rising gate even with the count written. */
    pit_write(&T, PORT61, 0x01, t1);
    program(2, 1, 100, t1);
    CHECK(out2(t1 + 500)); /* OUT high until triggered */
    pit_write(&T, PORT61, 0x00, t1 + 600);
    pit_write(&T, PORT61, 0x01, t1 + 700);
    CHECK(!out2(t1 + 701));
    /* In mode 1 a falling gate does not stop the count (only a rising one retriggers). */
    pit_write(&T, PORT61, 0x00, t1 + 750);
    CHECK(!out2(t1 + 760));
    CHECK(!out2(t1 + 799));
    CHECK(out2(t1 + 800));
    CHECK_EQ(latched_count(2, t1 + 790), 10);

    /* Mode 0 (datasheet: GATE=0 disables counting, GATE=1 enables it): a low gate
     * suspends the count where it is; raising it resumes from there, no reload. */
    const uint64_t t2 = t1 + 5000;
    pit_write(&T, PORT61, 0x01, t2);
    program(2, 0, 100, t2);
    CHECK_EQ(latched_count(2, t2 + 40), 60);
    pit_write(&T, PORT61, 0x00, t2 + 40);
    CHECK_EQ(latched_count(2, t2 + 1000), 60);
    CHECK(!out2(t2 + 1000));
    CHECK_EQ(status(2, t2 + 1000) & 0x3F, 0x30); /* still mode 0, lo/hi */
    pit_write(&T, PORT61, 0x01, t2 + 2000);
    CHECK_EQ(latched_count(2, t2 + 2010), 50);
    CHECK(!out2(t2 + 2059));
    CHECK(out2(t2 + 2060));
    /* After terminal count the gate has no effect on OUT. */
    pit_write(&T, PORT61, 0x00, t2 + 3000);
    CHECK(out2(t2 + 3001));
    pit_write(&T, PORT61, 0x01, t2 + 4000);
    CHECK(out2(t2 + 4001));
    /* Mode 4 likewise suspends and resumes (OUT stays high until the strobe). */
    const uint64_t t3 = t2 + 10000;
    program(2, 4, 100, t3);
    pit_write(&T, PORT61, 0x00, t3 + 30);
    CHECK_EQ(latched_count(2, t3 + 500), 70);
    CHECK(out2(t3 + 500));
    pit_write(&T, PORT61, 0x01, t3 + 600);
    CHECK_EQ(latched_count(2, t3 + 610), 60);
}

TEST(pit_port61_refresh_toggles)
{
    setup();
    /* Bit 4 (refresh request) toggles about every 15 us: ~18 PIT ticks. */
    unsigned toggles = 0, longest = 0, run = 0;
    uint8_t prev = pit_read(&T, PORT61, 0) & 0x10;
    for (uint64_t t = 1; t <= 71 * 20; t++) {
        uint8_t b = pit_read(&T, PORT61, t) & 0x10;
        run++;
        if (b != prev) {
            toggles++;
            if (run > longest)
                longest = run;
            run = 0;
        }
        prev = b;
    }
    CHECK(toggles >= 70 && toggles <= 90); /* 1420 ticks / 17.75 = 80 */
    CHECK(longest <= 19);
    /* Only bits 0, 1, 4, 5 are driven. */
    pit_write(&T, PORT61, 0xFF, 0);
    for (uint64_t t = 0; t < 100; t++)
        CHECK_EQ(pit_read(&T, PORT61, t) & 0xCC, 0);
}

TEST(pit_count_zero_is_65536)
{
    setup();
    const uint64_t t0 = 42;
    program(0, 2, 0, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 65536);
    CHECK_EQ(pit_irq0_due(&T, t0 + 65535), 0);
    CHECK_EQ(pit_irq0_due(&T, t0 + 65536), 1);
    CHECK_EQ(pit_next_irq0(&T, t0 + 65536), t0 + 2 * 65536);
    CHECK_EQ(latched_count(0, t0 + 1), 0xFFFF);
    CHECK_EQ(latched_count(0, t0 + 65536 + 0x100), 0xFF00);
    /* Channel 2, mode 0, count 0 (Linux's pit_shutdown writes 0x30, 0, 0). */
    pit_write(&T, PORT61, 0x01, t0);
    program(2, 0, 0, t0);
    CHECK(!out2(t0 + 65535));
    CHECK(out2(t0 + 65536));
    /* MSB-only write of 0 is 65536 too. */
    pit_write(&T, MODE, 0x24, t0); /* channel 0, MSB, mode 2 */
    pit_write(&T, CH0, 0, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 65536);
    /* LSB-only write of 0 likewise. */
    pit_write(&T, MODE, 0x14, t0);
    pit_write(&T, CH0, 0, t0);
    CHECK_EQ(pit_next_irq0(&T, t0), t0 + 65536);
}

TEST(pit_mode_word_stops_channel)
{
    setup();
    const uint64_t t0 = 10;
    program(0, 2, LATCH_HZ250, t0);
    unsigned n = pit_irq0_due(&T, t0 + 3 * LATCH_HZ250);
    CHECK(n >= 1 && n <= 3);
    const uint64_t t1 = t0 + 3 * LATCH_HZ250 + 5;
    pit_write(&T, MODE, 0x34, t1);
    CHECK_EQ(pit_next_irq0(&T, t1), PIT_NEVER);
    CHECK_EQ(pit_irq0_due(&T, t1 + 100 * LATCH_HZ250), 0);
    /* Half the count: still stopped. */
    pit_write(&T, CH0, 100, t1 + 10);
    CHECK_EQ(pit_next_irq0(&T, t1 + 10), PIT_NEVER);
    /* The full count starts it from the moment of the write. */
    const uint64_t t2 = t1 + 200 * LATCH_HZ250;
    pit_write(&T, CH0, 0, t2);
    CHECK_EQ(pit_next_irq0(&T, t2), t2 + 100);
    CHECK_EQ(pit_irq0_due(&T, t2 + 99), 0);
    CHECK_EQ(pit_irq0_due(&T, t2 + 100), 1);
    /* Mode 0 on channel 2: writing the mode word drops OUT even after it fired. */
    pit_write(&T, PORT61, 0x01, t0);
    program(2, 0, 10, t0);
    CHECK(out2(t0 + 20));
    pit_write(&T, MODE, 0xB0, t0 + 30);
    CHECK(!out2(t0 + 31));
    CHECK(!out2(t0 + 100000));
    pit_write(&T, CH2, 10, t0 + 200);
    pit_write(&T, CH2, 0, t0 + 200);
    CHECK(!out2(t0 + 209));
    CHECK(out2(t0 + 210));
    /* A shutdown in the style of Linux's pit_shutdown (mode 0, count 0) fires once, 65536 ticks later. */
    program(0, 0, 0, t2);
    CHECK_EQ(pit_next_irq0(&T, t2), t2 + 65536);
}

TEST(pit_mode3_square_wave_reads)
{
    /* Mode 3 counts down by two and reloads at every half period: a read at a reload shows
     * the full count (it used to show 0), every other read an even step below it. */
    setup();
    const uint64_t t0 = 5000;
    pit_write(&T, PORT61, 0x01, t0); /* gate 2 on */
    program(2, 3, 100, t0);
    CHECK_EQ(latched_count(2, t0), 100);
    CHECK_EQ(latched_count(2, t0 + 1), 98);
    CHECK_EQ(latched_count(2, t0 + 49), 2);
    CHECK_EQ(latched_count(2, t0 + 50), 100); /* second half period reloads */
    CHECK_EQ(latched_count(2, t0 + 51), 98);
    CHECK_EQ(latched_count(2, t0 + 100), 100);
    CHECK(out2(t0 + 49));
    CHECK(!out2(t0 + 50));
    CHECK(!out2(t0 + 99));
    CHECK(out2(t0 + 100));
    /* Every read lies in 1..count, never 0, over several periods of an odd count. */
    program(2, 3, 7, t0);
    bool sane = true;
    for (uint64_t e = 0; e < 70; e++) {
        uint16_t v = latched_count(2, t0 + e);
        sane = sane && v >= 1 && v <= 7;
    }
    CHECK(sane);
}

TEST(pit_null_count_status)
{
    /* Read-back status bit 6: set by a control word or a count write, clear once the counting
     * element has taken the count (the clock after the write, or after the gate trigger). */
    setup();
    const uint64_t t0 = 777;
    pit_write(&T, PORT61, 0x01, t0);
    pit_write(&T, MODE, 0xB0, t0); /* channel 2, lo/hi, mode 0 */
    CHECK(status(2, t0) & 0x40);
    pit_write(&T, CH2, 0x10, t0 + 5);
    CHECK(status(2, t0 + 5) & 0x40); /* half a count is no count */
    pit_write(&T, CH2, 0x00, t0 + 6);
    CHECK(status(2, t0 + 6) & 0x40); /* loads on the next clock */
    CHECK(!(status(2, t0 + 7) & 0x40));
    CHECK(!(status(2, t0 + 500) & 0x40));
    /* A new count while counting: null again until loaded. */
    pit_write(&T, CH2, 0x20, t0 + 600);
    pit_write(&T, CH2, 0x00, t0 + 600);
    CHECK(status(2, t0 + 600) & 0x40);
    CHECK(!(status(2, t0 + 601) & 0x40));
    /* Mode 1 waits for the gate: null until the rising gate has clocked the count in. */
    pit_write(&T, PORT61, 0x00, t0 + 700);
    program(2, 1, 300, t0 + 700);
    CHECK(status(2, t0 + 800) & 0x40);
    pit_write(&T, PORT61, 0x01, t0 + 900);
    CHECK(status(2, t0 + 900) & 0x40);
    CHECK(!(status(2, t0 + 901) & 0x40));
    /* Once loaded, a low gate does not bring it back (mode 2 stops counting). */
    program(2, 2, 300, t0 + 1000);
    CHECK(!(status(2, t0 + 1001) & 0x40));
    pit_write(&T, PORT61, 0x00, t0 + 1100);
    CHECK(!(status(2, t0 + 1200) & 0x40));
}
