/* IN's result in RAX: byte and word merge, doubleword zero-extends (64-bit mode's rule). */
#include "check.h"
#include "io_result.h"

TEST(io_in_result_widths)
{
    uint64_t rax = 0x1122334455667788ull;
    CHECK_EQ(io_in_result(rax, 1, 0xAB), 0x11223344556677ABull);
    CHECK_EQ(io_in_result(rax, 2, 0xABCD), 0x112233445566ABCDull);
    CHECK_EQ(io_in_result(rax, 4, 0xDEADBEEF), 0xDEADBEEFull); /* upper half cleared, not kept */
    CHECK_EQ(io_in_result(~0ull, 4, 0), 0);
    /* A device value wider than the access is cut to it. */
    CHECK_EQ(io_in_result(0, 1, 0x1FF), 0xFF);
    CHECK_EQ(io_in_result(0, 2, 0x1FFFF), 0xFFFF);
}
