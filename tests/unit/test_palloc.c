/* The physical page allocator. Bitmaps are heap-allocated at their exact size so an
 * access past npages is an ASan report. */
#include <stdlib.h>
#include "check.h"
#include "palloc.h"

#define MiB (1ull << 20)

static struct palloc pa;
static uint64_t *bits;

static void setup(uint64_t npages)
{
    free(bits);
    bits = malloc((size_t)((npages + 63) / 64 * 8));
    palloc_init(&pa, bits, npages);
}
static void teardown(void)
{
    free(bits);
    bits = NULL;
}

/* Whether the page is in use, read straight from the bitmap. */
static int used(uint64_t page) { return (int)((bits[page / 64] >> (page % 64)) & 1); }

TEST(palloc_init_all_unusable)
{
    setup(100);
    CHECK_EQ(pa.npages, 100);
    CHECK_EQ(pa.free_pages, 0);
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), 0);
    CHECK_EQ(palloc_largest_free(&pa), 0);
    for (uint64_t i = 0; i < 100; i++)
        CHECK(used(i));
    teardown();
}

TEST(palloc_add_free_whole_pages_only)
{
    setup(64);
    /* 0x1800..0x5800 covers pages 2, 3, 4 entirely and pages 1 and 5 partly. */
    palloc_add_free(&pa, 0x1800, 0x4000);
    CHECK_EQ(pa.free_pages, 3);
    CHECK(used(1));
    CHECK(!used(2) && !used(3) && !used(4));
    CHECK(used(5));
    /* Adding the same range again does not double count. */
    palloc_add_free(&pa, 0x1800, 0x4000);
    CHECK_EQ(pa.free_pages, 3);
    /* A range smaller than a page frees nothing. */
    palloc_add_free(&pa, 0x10100, 0x800);
    CHECK_EQ(pa.free_pages, 3);
    teardown();
}

TEST(palloc_add_free_clamped_to_npages)
{
    setup(70);
    palloc_add_free(&pa, 0, 1ull << 40);
    CHECK_EQ(pa.free_pages, 69); /* every page but 0 */
    CHECK_EQ(palloc_largest_free(&pa), 69 * PAGE_SIZE);
    /* A range that wraps around the address space is clamped, not wrapped. */
    setup(70);
    palloc_add_free(&pa, 0x10000, UINT64_MAX);
    CHECK_EQ(pa.free_pages, 70 - 16);
    CHECK(used(15) && !used(16) && !used(69));
    teardown();
}

TEST(palloc_add_free_near_top_of_address_space)
{
    /* A (bogus) map entry near 2^64 is far above npages and must free nothing; rounding
     * its base up to a page must not wrap around to page 0. */
    setup(64);
    palloc_add_free(&pa, UINT64_MAX - 0xFFE, 0x10);
    CHECK_EQ(pa.free_pages, 0);
    palloc_add_free(&pa, UINT64_MAX - 0x7FF, 0x400);
    CHECK_EQ(pa.free_pages, 0);
    palloc_add_free(&pa, 0xFFFFFFFFFFFFF000ull, 0x1000);
    CHECK_EQ(pa.free_pages, 0);
    teardown();
}

TEST(palloc_page_zero_never_handed_out)
{
    setup(8);
    palloc_add_free(&pa, 0, 8 * PAGE_SIZE);
    CHECK(used(0));
    CHECK_EQ(pa.free_pages, 7);
    for (int i = 1; i < 8; i++)
        CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), (uint64_t)i * PAGE_SIZE);
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), 0);
    /* Even explicitly freeing page 0 does not make it allocatable. */
    palloc_free(&pa, 0, 1);
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), 0);
    CHECK_EQ(palloc_alloc(&pa, 1, 0), 0);
    teardown();
}

TEST(palloc_reserve_touching_pages)
{
    setup(64);
    palloc_add_free(&pa, 0, 64 * PAGE_SIZE);
    CHECK_EQ(pa.free_pages, 63);
    /* 0x3FFF..0x5001 touches pages 3, 4 and 5. */
    palloc_reserve(&pa, 0x3FFF, 0x1002);
    CHECK(!used(2));
    CHECK(used(3) && used(4) && used(5));
    CHECK(!used(6));
    CHECK_EQ(pa.free_pages, 60);
    /* Zero length reserves nothing; reserving twice does not double count. */
    palloc_reserve(&pa, 0x9000, 0);
    CHECK(!used(9));
    palloc_reserve(&pa, 0x3000, 0x1000);
    CHECK_EQ(pa.free_pages, 60);
    /* Past npages is ignored. */
    palloc_reserve(&pa, 63 * PAGE_SIZE, 100 * PAGE_SIZE);
    CHECK(used(63));
    CHECK_EQ(pa.free_pages, 59);
    teardown();
}

TEST(palloc_reserve_to_top_of_address_space)
{
    /* A reservation whose end rounds up past 2^64 must still cover everything above base. */
    setup(64);
    palloc_add_free(&pa, 0, 64 * PAGE_SIZE);
    palloc_reserve(&pa, 10 * PAGE_SIZE, UINT64_MAX - 10 * PAGE_SIZE);
    CHECK(!used(9));
    CHECK(used(10) && used(40) && used(63));
    CHECK_EQ(pa.free_pages, 9);
    teardown();
}

TEST(palloc_alloc_first_fit_and_runs)
{
    setup(64);
    palloc_add_free(&pa, 0, 64 * PAGE_SIZE);
    palloc_reserve(&pa, 3 * PAGE_SIZE, PAGE_SIZE); /* a hole at page 3 */
    CHECK_EQ(palloc_alloc(&pa, 2, PAGE_SIZE), 1 * PAGE_SIZE);
    /* 3 pages do not fit before the reserved page 3 any more. */
    CHECK_EQ(palloc_alloc(&pa, 3, PAGE_SIZE), 4 * PAGE_SIZE);
    CHECK(used(4) && used(5) && used(6) && !used(7));
    CHECK_EQ(pa.free_pages, 63 - 1 - 2 - 3);
    CHECK_EQ(palloc_alloc(&pa, 0, PAGE_SIZE), 0);
    teardown();
}

TEST(palloc_alloc_aligned)
{
    setup(64);
    palloc_add_free(&pa, 0, 64 * PAGE_SIZE);
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), 0x1000);
    /* 16 KiB aligned: page 4. */
    CHECK_EQ(palloc_alloc(&pa, 2, 4 * PAGE_SIZE), 0x4000);
    /* 32 KiB aligned, 3 pages: page 8. */
    CHECK_EQ(palloc_alloc(&pa, 3, 8 * PAGE_SIZE), 0x8000);
    /* Page 2 is still the first free single page. */
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), 0x2000);
    /* A used page in the middle of an aligned candidate moves to the next aligned start. */
    palloc_reserve(&pa, 0x11000, 0x1000);
    CHECK_EQ(palloc_alloc(&pa, 4, 16 * PAGE_SIZE), 0x20000);
    teardown();
}

TEST(palloc_alloc_2mib_aligned)
{
    uint64_t npages = 16 * MiB / PAGE_SIZE;
    setup(npages);
    palloc_add_free(&pa, 0, 16 * MiB);
    palloc_reserve(&pa, 0, MiB); /* as main.c does */
    /* The low 2 MiB are partly reserved: the first 2 MiB-aligned run is at 2 MiB. */
    uint64_t a = palloc_alloc(&pa, 2 * MiB / PAGE_SIZE, 2 * MiB);
    CHECK_EQ(a, 2 * MiB);
    /* A single used page at 5 MiB blocks the 4 MiB slot for 4 MiB runs. */
    palloc_reserve(&pa, 5 * MiB, PAGE_SIZE);
    uint64_t b = palloc_alloc(&pa, 4 * MiB / PAGE_SIZE, 2 * MiB);
    CHECK_EQ(b, 6 * MiB);
    CHECK_EQ(b % (2 * MiB), 0);
    /* 8 MiB more does not fit (10..16 is 6 MiB). */
    CHECK_EQ(palloc_alloc(&pa, 8 * MiB / PAGE_SIZE, 2 * MiB), 0);
    /* But 6 MiB does, at 10 MiB. */
    CHECK_EQ(palloc_alloc(&pa, 6 * MiB / PAGE_SIZE, 2 * MiB), 10 * MiB);
    /* Small allocations still fill the low gaps. */
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), MiB);
    teardown();
}

TEST(palloc_free_and_realloc)
{
    setup(32);
    palloc_add_free(&pa, 0, 32 * PAGE_SIZE);
    uint64_t a = palloc_alloc(&pa, 4, PAGE_SIZE);
    uint64_t b = palloc_alloc(&pa, 4, PAGE_SIZE);
    CHECK_EQ(a, 0x1000);
    CHECK_EQ(b, 0x5000);
    CHECK_EQ(pa.free_pages, 31 - 8);
    palloc_free(&pa, a, 4);
    CHECK_EQ(pa.free_pages, 31 - 4);
    CHECK(!used(1) && !used(4) && used(5));
    /* Freed pages are reused first. */
    CHECK_EQ(palloc_alloc(&pa, 3, PAGE_SIZE), a);
    CHECK_EQ(palloc_alloc(&pa, 2, PAGE_SIZE), 9 * PAGE_SIZE); /* one page left at 4: too small */
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), 4 * PAGE_SIZE);
    /* Double free does not inflate the count; freeing past npages is ignored. */
    palloc_free(&pa, b, 4);
    palloc_free(&pa, b, 4);
    CHECK_EQ(pa.free_pages, 31 - 3 - 2 - 1);
    palloc_free(&pa, 30 * PAGE_SIZE, 10);
    CHECK_EQ(pa.free_pages, 31 - 3 - 2 - 1);
    teardown();
}

TEST(palloc_exhaustion_returns_zero)
{
    setup(17);
    palloc_add_free(&pa, 0, 17 * PAGE_SIZE);
    for (int i = 0; i < 4; i++)
        CHECK_NE(palloc_alloc(&pa, 4, PAGE_SIZE), 0);
    CHECK_EQ(pa.free_pages, 0);
    CHECK_EQ(palloc_alloc(&pa, 1, PAGE_SIZE), 0);
    CHECK_EQ(palloc_alloc(&pa, 1, 2 * MiB), 0);
    /* Never more than exist, and a failed allocation changes nothing. */
    setup(17);
    palloc_add_free(&pa, 0, 17 * PAGE_SIZE);
    CHECK_EQ(palloc_alloc(&pa, 17, PAGE_SIZE), 0);
    CHECK_EQ(pa.free_pages, 16);
    CHECK_EQ(palloc_alloc(&pa, 16, PAGE_SIZE), PAGE_SIZE);
    teardown();
}

TEST(palloc_alloc_huge_count)
{
    /* n so large that start + n wraps: must fail, not scan past the bitmap. */
    setup(64);
    palloc_add_free(&pa, 0, 64 * PAGE_SIZE);
    CHECK_EQ(palloc_alloc(&pa, UINT64_MAX, PAGE_SIZE), 0);
    CHECK_EQ(palloc_alloc(&pa, UINT64_MAX - 2, PAGE_SIZE), 0);
    CHECK_EQ(palloc_alloc(&pa, UINT64_MAX / PAGE_SIZE, 2 * MiB), 0);
    CHECK_EQ(pa.free_pages, 63);
    teardown();
}

TEST(palloc_largest_free)
{
    setup(100);
    CHECK_EQ(palloc_largest_free(&pa), 0);
    palloc_add_free(&pa, 10 * PAGE_SIZE, 5 * PAGE_SIZE);
    palloc_add_free(&pa, 50 * PAGE_SIZE, 12 * PAGE_SIZE);
    palloc_add_free(&pa, 90 * PAGE_SIZE, 10 * PAGE_SIZE);
    CHECK_EQ(palloc_largest_free(&pa), 12 * PAGE_SIZE);
    palloc_reserve(&pa, 55 * PAGE_SIZE, 1);
    CHECK_EQ(palloc_largest_free(&pa), 10 * PAGE_SIZE); /* the run that reaches the last page */
    palloc_reserve(&pa, 99 * PAGE_SIZE, 1);
    CHECK_EQ(palloc_largest_free(&pa), 9 * PAGE_SIZE);
    teardown();
}
