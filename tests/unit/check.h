/* A tiny self-registering unit-test framework for the hosted build of the VMM's pure logic.
 *
 *   TEST(mb2_cmdline) { CHECK(x); CHECK_EQ(a, b); CHECK_STREQ(s, "x"); }
 *
 * Each TEST registers itself from a constructor; main.c runs them in link order,
 * each in a forked child (so a crash, a sanitizer report or a hang fails only that
 * test), and prints one line per test: "PASS: unit/<name>" or
 * "FAIL: unit/<name>: <file:line: what>". Failed checks are recorded and the test
 * continues, so one run shows the first failure and how many more followed. */
#ifndef HS_UNIT_CHECK_H
#define HS_UNIT_CHECK_H
#include <stdint.h>
#include <stddef.h>

struct hs_test {
    const char *name;
    void (*fn)(void);
    const char *file;
    struct hs_test *next;
};

void hs_register(struct hs_test *t);
void hs_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void hs_check_eq(const char *file, int line, const char *a_expr, const char *b_expr, uint64_t a, uint64_t b);
void hs_check_streq(const char *file, int line, const char *a_expr, const char *b_expr, const char *a,
                    const char *b);
void hs_check_contains(const char *file, int line, const char *expr, const char *hay, const char *needle);
void hs_check_mem(const char *file, int line, const char *a_expr, const char *b_expr, const void *a, const void *b,
                  size_t n);
/* Number of failed checks so far in the running test (lets a test stop early when a
 * later step would only dereference garbage). */
unsigned hs_failures(void);

#define TEST(tname)                                                                                             \
    static void hs_test_fn_##tname(void);                                                                     \
    static struct hs_test hs_test_##tname = { #tname, hs_test_fn_##tname, __FILE__, NULL };                   \
    __attribute__((constructor)) static void hs_test_reg_##tname(void) { hs_register(&hs_test_##tname); }     \
    static void hs_test_fn_##tname(void)

#define CHECK(cond)                                                                                             \
    do {                                                                                                      \
        if (!(cond))                                                                                          \
            hs_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);                                           \
    } while (0)

/* Integer equality; both sides are converted to uint64_t and shown in decimal and hex. */
#define CHECK_EQ(a, b) hs_check_eq(__FILE__, __LINE__, #a, #b, (uint64_t)(a), (uint64_t)(b))
#define CHECK_NE(a, b)                                                                                          \
    do {                                                                                                      \
        uint64_t hs_a_ = (uint64_t)(a), hs_b_ = (uint64_t)(b);                                                \
        if (hs_a_ == hs_b_)                                                                                   \
            hs_fail(__FILE__, __LINE__, "CHECK_NE(%s, %s) failed: both are %llu (0x%llx)", #a, #b,           \
                    (unsigned long long)hs_a_, (unsigned long long)hs_a_);                                     \
    } while (0)
/* NUL-terminated strings (NULL allowed and shown as such). */
#define CHECK_STREQ(a, b) hs_check_streq(__FILE__, __LINE__, #a, #b, (a), (b))
/* hay contains needle as a substring: for error messages. */
#define CHECK_CONTAINS(hay, needle) hs_check_contains(__FILE__, __LINE__, #hay, (hay), (needle))
#define CHECK_MEM(a, b, n) hs_check_mem(__FILE__, __LINE__, #a, #b, (a), (b), (n))

#endif
