/* Names of basic VM-exit reasons. */
#include "check.h"
#include "exit_reason.h"

TEST(exit_reason_names)
{
    CHECK_STREQ(exit_reason_name(EXIT_EXCEPTION_NMI), "exception");
    CHECK_STREQ(exit_reason_name(EXIT_CPUID), "cpuid");
    CHECK_STREQ(exit_reason_name(EXIT_HLT), "hlt");
    CHECK_STREQ(exit_reason_name(EXIT_IO_INSTRUCTION), "io");
    CHECK_STREQ(exit_reason_name(EXIT_EPT_VIOLATION), "ept_violation");
    CHECK_STREQ(exit_reason_name(EXIT_XRSTORS), "xrstors");
    CHECK_STREQ(exit_reason_name(EXIT_RDTSCP), "rdtscp");
}

TEST(exit_reason_unknown)
{
    CHECK_STREQ(exit_reason_name(35), "unknown"); /* reserved */
    CHECK_STREQ(exit_reason_name(EXIT_REASON_MAX), "unknown");
    CHECK_STREQ(exit_reason_name(EXIT_REASON_MAX + 1), "unknown");
    CHECK_STREQ(exit_reason_name(0xFFFF), "unknown");
    CHECK_STREQ(exit_reason_name(EXIT_REASON_ENTRY_FAILURE | EXIT_INVALID_GUEST_STATE), "unknown");
    /* Every reason up to the maximum has a name or "unknown", never NULL. */
    for (unsigned r = 0; r <= EXIT_REASON_MAX + 5; r++)
        CHECK(exit_reason_name(r) != 0);
}

/* The instruction-synchronous exits: the positions (exit_seq) of every replay mode. */
TEST(exit_is_synchronous_positions)
{
    static const unsigned sync[] = {
        EXIT_CPUID, EXIT_IO_INSTRUCTION, EXIT_HLT, EXIT_RDTSC, EXIT_RDTSCP, EXIT_RDMSR, EXIT_WRMSR,
        EXIT_CR_ACCESS, EXIT_DR_ACCESS, EXIT_RDRAND, EXIT_RDSEED, EXIT_EPT_VIOLATION, EXIT_TRIPLE_FAULT,
        EXIT_RDPMC, EXIT_VMCALL, EXIT_XSETBV, EXIT_INVLPG, EXIT_WBINVD,
    };
    for (unsigned i = 0; i < sizeof(sync) / sizeof(sync[0]); i++)
        if (!exit_is_synchronous(sync[i]))
            hs_fail(__FILE__, __LINE__, "exit %u (%s) is not synchronous", sync[i], exit_reason_name(sync[i]));
    /* Where the VMM or the outside world decides: never a position. */
    static const unsigned async[] = {
        EXIT_EXTERNAL_INTERRUPT, EXIT_INTERRUPT_WINDOW, EXIT_PREEMPTION_TIMER, EXIT_EXCEPTION_NMI,
        EXIT_MONITOR_TRAP_FLAG, EXIT_NMI_WINDOW, EXIT_INIT, EXIT_SIPI, EXIT_SMI, EXIT_OTHER_SMI,
        EXIT_MACHINE_CHECK, EXIT_APIC_ACCESS, EXIT_PML_FULL,
    };
    for (unsigned i = 0; i < sizeof(async) / sizeof(async[0]); i++)
        if (exit_is_synchronous(async[i]))
            hs_fail(__FILE__, __LINE__, "exit %u (%s) is synchronous", async[i], exit_reason_name(async[i]));
    /* Out of range, and the entry-failure bit on top of a synchronous reason. */
    CHECK(!exit_is_synchronous(35));
    CHECK(!exit_is_synchronous(EXIT_REASON_MAX));
    CHECK(!exit_is_synchronous(EXIT_REASON_MAX + 1));
    CHECK(!exit_is_synchronous(0xFFFF));
    CHECK(!exit_is_synchronous(0xFFFFFFFFu));
    CHECK(!exit_is_synchronous(EXIT_REASON_ENTRY_FAILURE | EXIT_CPUID));
}

/* intr_decide (vmm/intr.h): the injection decision before a VM entry, over all 32 inputs. */
#include "intr.h"

TEST(intr_decide_truth_table)
{
    unsigned inject = 0, window = 0;
    for (unsigned bits = 0; bits < 32; bits++) {
        bool pending = bits & 1, busy = bits & 2, guest_if = bits & 4, blocked = bits & 8, may = bits & 16;
        enum intr_action want;
        if (!may || !pending)
            want = INTR_NONE;
        else if (!busy && guest_if && !blocked)
            want = INTR_INJECT;
        else
            want = INTR_WINDOW;
        enum intr_action got = intr_decide(pending, busy, guest_if, blocked, may);
        if (got != want)
            hs_fail(__FILE__, __LINE__,
                    "pending=%d busy=%d if=%d blocked=%d may_inject=%d: %d, expected %d", pending, busy, guest_if,
                    blocked, may, got, want);
        inject += got == INTR_INJECT;
        window += got == INTR_WINDOW;
    }
    CHECK_EQ(inject, 1);
    CHECK_EQ(window, 7);
    /* The cases by name. */
    CHECK_EQ(intr_decide(true, false, true, false, true), INTR_INJECT);
    CHECK_EQ(intr_decide(true, false, true, false, false), INTR_NONE);  /* not at a position */
    CHECK_EQ(intr_decide(false, false, true, false, true), INTR_NONE);  /* nothing pending */
    CHECK_EQ(intr_decide(true, true, true, false, true), INTR_WINDOW);  /* an event already queued */
    CHECK_EQ(intr_decide(true, false, false, false, true), INTR_WINDOW); /* IF clear */
    CHECK_EQ(intr_decide(true, false, true, true, true), INTR_WINDOW);  /* STI / MOV SS shadow */
    CHECK(INTR_NONE != INTR_INJECT && INTR_INJECT != INTR_WINDOW && INTR_NONE != INTR_WINDOW);
}
