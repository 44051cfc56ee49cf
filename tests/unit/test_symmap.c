/* The debugger's System.map reader (vmm/symmap.c). */
#include <string.h>
#include "check.h"
#include "symmap.h"

static const char map[] =
    "0000000000000000 A fixed_percpu_data\n"
    "ffffffff81000000 T _stext\n"
    "ffffffff81000000 T startup_64\n"
    "ffffffff81a01cb0 t panic\n"          /* a local of the same name first ... */
    "ffffffff81a01cb0 T panic\n"          /* ... the global is preferred */
    "ffffffff81a02000 T after_panic\r\n"
    "not a line\n"
    "ffffffff82161900 D linux_banner\n"
    "ffffffff82161a00 d";                 /* truncated last line */

TEST(symmap_lookup)
{
    struct symmap m = { map, sizeof(map) - 1 };
    uint64_t a = 0;
    CHECK_EQ(symmap_lookup(&m, "linux_banner", 12, &a), 0);
    CHECK_EQ(a, 0xffffffff82161900ull);
    CHECK_EQ(symmap_lookup(&m, "panic", 5, &a), 0);
    CHECK_EQ(a, 0xffffffff81a01cb0ull);
    CHECK_EQ(symmap_lookup(&m, "after_panic", 11, &a), 0);
    CHECK_EQ(a, 0xffffffff81a02000ull);
    CHECK(symmap_lookup(&m, "pani", 4, &a) != 0);
    CHECK(symmap_lookup(&m, "nosuch", 6, &a) != 0);
    struct symmap empty = { 0, 0 };
    CHECK(symmap_lookup(&empty, "panic", 5, &a) != 0);
}

TEST(symmap_name)
{
    struct symmap m = { map, sizeof(map) - 1 };
    char n[32];
    uint64_t off = 99;
    CHECK_EQ(symmap_name(&m, 0xffffffff81a01cb5ull, n, sizeof(n), &off), 0);
    CHECK_STREQ(n, "panic");
    CHECK_EQ(off, 5);
    CHECK_EQ(symmap_name(&m, 0xffffffff82161900ull, n, sizeof(n), &off), 0);
    CHECK_STREQ(n, "linux_banner");
    CHECK_EQ(off, 0);
    CHECK_EQ(symmap_name(&m, 0xffffffff81a02001ull, n, 6, &off), 0);
    CHECK_STREQ(n, "after"); /* cut to the buffer */
    CHECK_EQ(off, 1);
}
