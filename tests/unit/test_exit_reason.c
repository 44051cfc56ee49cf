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
