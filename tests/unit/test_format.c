/* hs_snprintf and parse_u64 from vmm/format.c (the VMM's own printf and number parser). */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "lib.h"

static char buf[256];

/* No format attribute: for formats the compiler would (rightly) reject at compile time. */
static int fmt_unchecked(char *b, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = hs_vsnprintf(b, n, fmt, ap);
    va_end(ap);
    return r;
}

#define FMT(want, ...)                                                                                           \
    do {                                                                                                       \
        memset(buf, 0x7E, sizeof(buf));                                                                        \
        int n_ = hs_snprintf(buf, sizeof(buf), __VA_ARGS__);                                                   \
        CHECK_STREQ(buf, want);                                                                                \
        CHECK_EQ(n_, strlen(want));                                                                            \
    } while (0)

TEST(format_integers)
{
    FMT("0", "%d", 0);
    FMT("42 -42", "%d %d", 42, -42);
    FMT("2147483647 -2147483648", "%d %d", INT32_MAX, INT32_MIN);
    FMT("4294967295", "%u", 0xFFFFFFFFu);
    FMT("deadbeef", "%x", 0xDEADBEEFu);
    FMT("0", "%x", 0u);
    FMT("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
    FMT("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
    FMT("-1", "%ld", -1L);
    FMT("1234567890123", "%ld", 1234567890123L);
    FMT("9223372036854775807", "%ld", (long)INT64_MAX);
    FMT("123456789abcdef0", "%llx", 0x123456789ABCDEF0ull);
    FMT("100", "%zu", (size_t)100);
}

TEST(format_int64_min)
{
    /* Negating INT64_MIN is undefined behaviour: the magnitude must be computed unsigned. */
    FMT("-9223372036854775808", "%ld", (long)INT64_MIN);
    FMT("[-9223372036854775808]", "[%ld]", (long)INT64_MIN);
}

TEST(format_strings_chars_percent)
{
    FMT("hello world", "%s %s", "hello", "world");
    const char *volatile null_str = NULL;
    FMT("(null)", "%s", null_str);
    FMT("", "%s", "");
    FMT("x=A!", "x=%c%c", 'A', '!');
    FMT("100%", "%d%%", 100);
    FMT("%", "%%");
    FMT("plain text", "plain text");
}

TEST(format_pointer)
{
    FMT("0x00000000deadbeef", "%p", (void *)(uintptr_t)0xDEADBEEF);
    FMT("0x0000000000000000", "%p", (void *)0);
}

TEST(format_width_and_zero_pad)
{
    FMT("   42", "%5d", 42);
    FMT("00042", "%05d", 42);
    FMT("  -42", "%5d", -42);
    FMT("-0042", "%05d", -42); /* the sign goes before zero padding, as in C */
    FMT("-42", "%03d", -42);
    FMT("-42", "%02d", -42);
    FMT("-0000000000000000005", "%020ld", -5L);
    FMT("000000ff", "%08x", 0xFFu);
    FMT("0000000000001000", "%016lx", 0x1000UL);
    FMT("123456", "%3d", 123456); /* width is a minimum */
    FMT("   ab", "%5s", "ab");
    FMT("abcdef", "%2s", "abcdef");
    FMT("   7|", "%4u|", 7u);
}

TEST(format_truncation_returns_full_length)
{
    char small[8];
    memset(small, 0x7E, sizeof(small));
    int n = hs_snprintf(small, sizeof(small), "%s-%d", "abcdefgh", 12345);
    CHECK_EQ(n, 14);
    CHECK_STREQ(small, "abcdefg");
    n = hs_snprintf(small, sizeof(small), "%08x", 0x1234u);
    CHECK_EQ(n, 8);
    CHECK_STREQ(small, "0000123");
    /* Size 1: only the terminator. */
    small[0] = 'Z';
    n = hs_snprintf(small, 1, "hello");
    CHECK_EQ(n, 5);
    CHECK_EQ(small[0], 0);
    /* Size 0: nothing written at all, even through a NULL buffer. */
    n = hs_snprintf(NULL, 0, "%d items", 1000);
    CHECK_EQ(n, 10);
    small[0] = 'Z';
    n = hs_snprintf(small, 0, "abc");
    CHECK_EQ(n, 3);
    CHECK_EQ(small[0], 'Z');
    /* Exactly fitting. */
    n = hs_snprintf(small, sizeof(small), "1234567");
    CHECK_EQ(n, 7);
    CHECK_STREQ(small, "1234567");
    /* Nothing written past size. */
    char guard[16];
    memset(guard, 0x7E, sizeof(guard));
    hs_snprintf(guard, 4, "%s", "abcdefghijkl");
    CHECK_STREQ(guard, "abc");
    CHECK_EQ(guard[4], 0x7E);
}

TEST(format_unknown_conversion)
{
    int n = fmt_unchecked(buf, sizeof(buf), "%q");
    CHECK_STREQ(buf, "%q");
    CHECK_EQ(n, 2);
    n = fmt_unchecked(buf, sizeof(buf), "a%");
    CHECK_STREQ(buf, "a%");
    CHECK_EQ(n, 2);
    n = fmt_unchecked(buf, sizeof(buf), "b%05");
    CHECK_STREQ(buf, "b%");
    CHECK_EQ(n, 2);
}

static int p64(const char *s, uint64_t *v)
{
    *v = 0xABABABABABABABABull;
    return parse_u64(s, strlen(s), v);
}

TEST(parse_u64_decimal_hex_suffix)
{
    uint64_t v;
    CHECK(p64("0", &v));
    CHECK_EQ(v, 0);
    CHECK(p64("12345", &v));
    CHECK_EQ(v, 12345);
    CHECK(p64("18446744073709551615", &v));
    CHECK_EQ(v, UINT64_MAX);
    CHECK(p64("0x0", &v));
    CHECK_EQ(v, 0);
    CHECK(p64("0xdeadBEEF", &v));
    CHECK_EQ(v, 0xDEADBEEF);
    CHECK(p64("0XFFFFFFFFFFFFFFFF", &v));
    CHECK_EQ(v, UINT64_MAX);
    CHECK(p64("4K", &v));
    CHECK_EQ(v, 4096);
    CHECK(p64("4k", &v));
    CHECK_EQ(v, 4096);
    CHECK(p64("256M", &v));
    CHECK_EQ(v, 256ull << 20);
    CHECK(p64("3G", &v));
    CHECK_EQ(v, 3ull << 30);
    CHECK(p64("0G", &v));
    CHECK_EQ(v, 0);
    CHECK(p64("007", &v));
    CHECK_EQ(v, 7);
    /* Only len bytes are looked at. */
    CHECK(parse_u64("123456", 3, &v));
    CHECK_EQ(v, 123);
    CHECK(parse_u64("2Mxyz", 2, &v));
    CHECK_EQ(v, 2ull << 20);
}

TEST(parse_u64_overflow)
{
    uint64_t v;
    CHECK(!p64("18446744073709551616", &v));
    CHECK(!p64("99999999999999999999", &v));
    CHECK(!p64("0x10000000000000000", &v));
    CHECK(!p64("17179869184G", &v)); /* 2^34 G = 2^64 */
    CHECK(p64("17179869183G", &v));
    CHECK_EQ(v, 17179869183ull << 30);
    CHECK(!p64("18014398509481984K", &v)); /* 2^54 K */
    CHECK_EQ(v, 0xABABABABABABABABull);    /* untouched on failure */
}

TEST(parse_u64_junk_and_empty)
{
    uint64_t v;
    CHECK(!p64("", &v));
    CHECK(!p64("K", &v));
    CHECK(!p64("M", &v));
    CHECK(!p64("0x", &v));
    CHECK(!p64("0xg", &v));
    CHECK(!p64("0x1K", &v)); /* no suffix on hex */
    CHECK(!p64("12a", &v));
    CHECK(!p64("-1", &v));
    CHECK(!p64("+1", &v));
    CHECK(!p64(" 1", &v));
    CHECK(!p64("1 ", &v));
    CHECK(!p64("1KB", &v));
    CHECK(!p64("1T", &v));
    CHECK(!p64("1.5G", &v));
    CHECK(!p64("ff", &v));
    CHECK(!parse_u64("", 0, &v));
    CHECK(!parse_u64("5", 0, &v));
    CHECK_EQ(v, 0xABABABABABABABABull);
}
