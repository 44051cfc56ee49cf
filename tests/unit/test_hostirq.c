/* Which controller gets the EOI for a host interrupt acknowledged on a VM exit. */
#include "check.h"
#include "hostirq_class.h"

TEST(hostirq_lapic_vector_in_service)
{
    /* A firmware-left LAPIC timer, vector 0xEF: in service at the APIC. */
    CHECK_EQ(hostirq_classify(0xEF, true, 0, 0), HOSTIRQ_EOI_LAPIC);
    /* The APIC's answer wins even for a vector in the PIC's range. */
    CHECK_EQ(hostirq_classify(0x21, true, 0x02, 0), HOSTIRQ_EOI_LAPIC);
    CHECK_STREQ(hostirq_action_name(HOSTIRQ_EOI_LAPIC), "local APIC");
}

TEST(hostirq_pic_master_and_slave)
{
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 0, false, 0x01, 0), HOSTIRQ_EOI_PIC1);
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 4, false, 0x10, 0), HOSTIRQ_EOI_PIC1);
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 12, false, 0x04, 0x10), HOSTIRQ_EOI_PIC2);
    CHECK_STREQ(hostirq_action_name(HOSTIRQ_EOI_PIC2), "8259A slave");
}

TEST(hostirq_spurious_interrupts_get_no_eoi)
{
    /* IRQ 7 without its in-service bit: the master's spurious interrupt. */
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 7, false, 0, 0), HOSTIRQ_SPURIOUS);
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 7, false, 0x80, 0), HOSTIRQ_EOI_PIC1);
    /* IRQ 15 spurious at the slave: the master still needs its EOI for the cascade. */
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 15, false, 0x04, 0), HOSTIRQ_SPURIOUS_PIC2);
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 15, false, 0, 0), HOSTIRQ_SPURIOUS);
    /* The APIC's spurious vector, and a vector nobody has in service. */
    CHECK_EQ(hostirq_classify(HOSTIRQ_SPURIOUS_VECTOR, false, 0xFF, 0xFF), HOSTIRQ_SPURIOUS);
    CHECK_EQ(hostirq_classify(0x80, false, 0xFF, 0xFF), HOSTIRQ_SPURIOUS);
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE - 1, false, 0xFF, 0xFF), HOSTIRQ_SPURIOUS);
    CHECK_EQ(hostirq_classify(HOSTIRQ_PIC_BASE + 16, false, 0xFF, 0xFF), HOSTIRQ_SPURIOUS);
}

TEST(hostirq_lapic_timer_armed_state)
{
    CHECK(hostirq_lapic_timer_armed(0x000200EF, 100000)); /* periodic, vector 0xEF, counting */
    CHECK(!hostirq_lapic_timer_armed(0x000100EF, 100000)); /* masked */
    CHECK(!hostirq_lapic_timer_armed(0x000200EF, 0));      /* stopped */
    CHECK(!hostirq_lapic_timer_armed(0x00010000, 0));      /* reset state */
}
