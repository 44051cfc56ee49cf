/* EPT construction with a fake allocator: table pages come from aligned_alloc and
 * physical == virtual, so the tables can be inspected directly. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ept.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

struct fake_mem {
    void *pages[4096];
    unsigned n, limit;
};

static uint64_t fake_alloc(void *ctx)
{
    struct fake_mem *m = ctx;
    if (m->n >= m->limit)
        return 0;
    void *p = aligned_alloc(4096, 4096);
    if (!p)
        return 0;
    memset(p, 0, 4096);
    m->pages[m->n++] = p;
    return (uint64_t)(uintptr_t)p;
}

static void *fake_p2v(void *ctx, uint64_t pa)
{
    struct fake_mem *m = ctx;
    /* Every address the EPT code follows must be one of its own table pages. */
    for (unsigned i = 0; i < m->n; i++)
        if ((uint64_t)(uintptr_t)m->pages[i] == pa)
            return m->pages[i];
    hs_fail(__FILE__, __LINE__, "phys_to_virt(0x%llx): not a table page", (unsigned long long)pa);
    abort();
}

static void fake_init(struct fake_mem *m, unsigned limit)
{
    m->n = 0;
    m->limit = limit;
}

static void fake_free(struct fake_mem *m)
{
    for (unsigned i = 0; i < m->n; i++)
        free(m->pages[i]);
    m->n = 0;
}

static struct fake_mem M, M2;

static int setup_caps(struct ept *e, struct fake_mem *m, unsigned limit, bool large_2m)
{
    fake_init(m, limit);
    struct ept_ops ops = { fake_alloc, fake_p2v, m, large_2m };
    return ept_init(e, &ops);
}

/* A CPU with 2 MiB EPT leaves (IA32_VMX_EPT_VPID_CAP bit 16), as the tests below assume. */
static int setup(struct ept *e, struct fake_mem *m, unsigned limit) { return setup_caps(e, m, limit, true); }

/* The raw leaf entry for gpa, and its level (0 = 4K PTE, 1 = 2M PDE); 0 if not present. */
static uint64_t leaf(const struct ept *e, uint64_t gpa, int *level)
{
    uint64_t *t = (uint64_t *)(uintptr_t)e->pml4;
    for (int l = 3; l >= 0; l--) {
        uint64_t ent = t[(gpa >> (12 + 9 * l)) & 511];
        if (!(ent & EPT_RWX))
            return 0;
        if (l == 0 || (ent & EPT_LARGE)) {
            *level = l;
            return ent;
        }
        t = (uint64_t *)(uintptr_t)(ent & 0x000FFFFFFFFFF000ull);
    }
    return 0;
}

static int xlate(const struct ept *e, uint64_t gpa, uint64_t *hpa)
{
    uint64_t perms;
    return ept_translate(e, gpa, hpa, &perms);
}

TEST(ept_init_and_pointer)
{
    struct ept e;
    CHECK_EQ(setup(&e, &M, 10), 0);
    CHECK_EQ(e.table_pages, 1);
    CHECK_EQ(M.n, 1);
    CHECK_EQ(e.pml4, (uint64_t)(uintptr_t)M.pages[0]);
    uint64_t p = ept_pointer(&e);
    CHECK_EQ(p & 7, 6);             /* write-back paging-structure memory type */
    CHECK_EQ((p >> 3) & 7, 3);      /* page-walk length minus one: 4 levels */
    CHECK_EQ(p & (1ull << 6), 0);   /* no accessed/dirty flags */
    CHECK_EQ(p & ~0xFFFull, e.pml4);
    CHECK_EQ(p & 0xF80, 0);         /* reserved bits 11:7 */
    uint64_t hpa;
    CHECK_EQ(xlate(&e, 0, &hpa), -1); /* nothing mapped yet */
    fake_free(&M);
}

TEST(ept_large_pages_when_aligned)
{
    struct ept e;
    uint64_t hpa_base = 0x40000000ull;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, 0, hpa_base, 64 * MiB, EPT_RWX), 0);
    /* PML4 + PDPT + PD, and no page tables: all 32 entries are 2 MiB pages. */
    CHECK_EQ(e.table_pages, 3);
    CHECK_EQ(M.n, 3);
    for (uint64_t g = 0; g < 64 * MiB; g += 2 * MiB) {
        int level = -1;
        uint64_t ent = leaf(&e, g, &level);
        CHECK_EQ(level, 1);
        CHECK_EQ(ent & 0x000FFFFFFFFFF000ull, hpa_base + g);
        CHECK(ent & EPT_LARGE);
        CHECK_EQ((ent >> 3) & 7, 6); /* WB */
        CHECK_EQ(ent & EPT_RWX, EPT_RWX);
    }
    uint64_t hpa, perms;
    CHECK_EQ(ept_translate(&e, 0x123456, &hpa, &perms), 0);
    CHECK_EQ(hpa, hpa_base + 0x123456);
    CHECK_EQ(perms, EPT_RWX);
    CHECK_EQ(ept_translate(&e, 64 * MiB - 1, &hpa, &perms), 0);
    CHECK_EQ(hpa, hpa_base + 64 * MiB - 1);
    fake_free(&M);
}

TEST(ept_4k_pages_when_unaligned)
{
    struct ept e;
    uint64_t hpa_base = 0x40001000ull; /* 4 KiB aligned only */
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, 0, hpa_base, 4 * MiB, EPT_RWX), 0);
    CHECK_EQ(e.table_pages, 3 + 2); /* two page tables of 512 entries */
    int level = -1;
    uint64_t ent = leaf(&e, 0x200000, &level);
    CHECK_EQ(level, 0);
    CHECK_EQ(ent & EPT_LARGE, 0);
    CHECK_EQ(ent & 0x000FFFFFFFFFF000ull, hpa_base + 0x200000);
    CHECK_EQ((ent >> 3) & 7, 6);
    uint64_t hpa;
    for (uint64_t g = 0; g < 4 * MiB; g += 0x1000) {
        if (xlate(&e, g + 0x10, &hpa) || hpa != hpa_base + g + 0x10) {
            hs_fail(__FILE__, __LINE__, "gpa 0x%llx maps to 0x%llx", (unsigned long long)g, (unsigned long long)hpa);
            break;
        }
    }
    fake_free(&M);
}

TEST(ept_mixed_head_large_tail)
{
    /* gpa 1 MiB .. 7 MiB + 4 KiB: 4K pages up to 2 MiB, large pages for 2..6 MiB, then 4K. */
    const uint64_t H = 0x80100000ull;
    struct ept e;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, 1 * MiB, H, 6 * MiB + 0x1000, EPT_RWX), 0);
    int level = -1;
    leaf(&e, 1 * MiB, &level);
    CHECK_EQ(level, 0);
    leaf(&e, 2 * MiB, &level);
    CHECK_EQ(level, 1);
    leaf(&e, 4 * MiB, &level);
    CHECK_EQ(level, 1);
    leaf(&e, 6 * MiB, &level);
    CHECK_EQ(level, 0);
    CHECK_EQ(e.table_pages, 3 + 2);
    uint64_t hpa;
    CHECK_EQ(xlate(&e, 3 * MiB + 5, &hpa), 0);
    CHECK_EQ(hpa, H + 2 * MiB + 5);
    CHECK_EQ(xlate(&e, 7 * MiB + 0xFFF, &hpa), 0);
    CHECK_EQ(hpa, H + 6 * MiB + 0xFFF);
    CHECK_EQ(xlate(&e, 7 * MiB + 0x1000, &hpa), -1);
    CHECK_EQ(xlate(&e, 1 * MiB - 1, &hpa), -1);
    /* A tail shorter than 2 MiB after an aligned start is mapped with 4K pages. */
    CHECK_EQ(ept_map(&e, 8 * MiB, 0x90000000ull, 1 * MiB, EPT_RWX), 0);
    leaf(&e, 8 * MiB, &level);
    CHECK_EQ(level, 0);
    fake_free(&M);
}

TEST(ept_translate_misses)
{
    struct ept e;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 4 * MiB, EPT_RWX), 0);
    uint64_t hpa = 0xDEAD, perms = 0xDEAD;
    CHECK_EQ(ept_translate(&e, 4 * MiB, &hpa, &perms), -1);   /* beyond the size */
    CHECK_EQ(ept_translate(&e, 1 * GiB, &hpa, &perms), -1);   /* another PD */
    CHECK_EQ(ept_translate(&e, 512 * GiB, &hpa, &perms), -1); /* another PML4 slot */
    CHECK_EQ(hpa, 0xDEAD);
    CHECK_EQ(perms, 0xDEAD);
    CHECK_EQ(ept_translate(&e, 4 * MiB - 1, &hpa, &perms), 0);
    fake_free(&M);
}

TEST(ept_permissions)
{
    struct ept e;
    uint64_t hpa, perms;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 2 * MiB, EPT_R | EPT_X), 0);         /* large */
    CHECK_EQ(ept_map(&e, 2 * MiB, 0x40200000ull, 0x3000, EPT_R), 0);            /* 4K */
    CHECK_EQ(ept_map(&e, 4 * MiB, 0x40400000ull, 0x1000, EPT_R | EPT_W), 0);    /* 4K */
    CHECK_EQ(ept_translate(&e, 0x1000, &hpa, &perms), 0);
    CHECK_EQ(perms, EPT_R | EPT_X);
    CHECK_EQ(ept_translate(&e, 2 * MiB + 0x2000, &hpa, &perms), 0);
    CHECK_EQ(perms, EPT_R);
    CHECK_EQ(ept_translate(&e, 4 * MiB, &hpa, &perms), 0);
    CHECK_EQ(perms, EPT_R | EPT_W);
    /* The non-leaf entries grant everything: the leaf alone restricts. */
    uint64_t *pml4 = (uint64_t *)(uintptr_t)e.pml4;
    CHECK_EQ(pml4[0] & EPT_RWX, EPT_RWX);
    fake_free(&M);
}

TEST(ept_two_guests_same_gpa_different_hpa)
{
    /* Primary at P, Backup at P + OFFSET: the same guest-physical address must reach
     * different host memory, and the tables must be separate. */
    const uint64_t P = 0x100000000ull, OFFSET = 256 * MiB, SIZE = 256 * MiB;
    struct ept a, b;
    CHECK_EQ(setup(&a, &M, 64), 0);
    CHECK_EQ(setup(&b, &M2, 64), 0);
    CHECK_EQ(ept_map(&a, 0, P, SIZE, EPT_RWX), 0);
    CHECK_EQ(ept_map(&b, 0, P + OFFSET, SIZE, EPT_RWX), 0);
    CHECK_NE(a.pml4, b.pml4);
    static const uint64_t probes[] = { 0, 0x1234, 0x7000, 0x100000, 0x1FFFFF, 0x200000, 0xFFFFFFF };
    for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        uint64_t ha = 0, hb = 0;
        CHECK_EQ(xlate(&a, probes[i], &ha), 0);
        CHECK_EQ(xlate(&b, probes[i], &hb), 0);
        CHECK_EQ(ha, P + probes[i]);
        CHECK_EQ(hb, P + OFFSET + probes[i]);
    }
    uint64_t h;
    CHECK_EQ(xlate(&a, SIZE, &h), -1);
    CHECK_EQ(xlate(&b, SIZE, &h), -1);
    fake_free(&M);
    fake_free(&M2);
}

TEST(ept_high_gpa_uses_all_levels)
{
    struct ept e;
    uint64_t gpa = (3ull << 39) | (5ull << 30) | (7ull << 21), hpa;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, gpa, 0x7FE00000ull, 2 * MiB, EPT_RWX), 0);
    uint64_t *pml4 = (uint64_t *)(uintptr_t)e.pml4;
    CHECK(pml4[3] & EPT_RWX);
    CHECK_EQ(pml4[0], 0);
    CHECK_EQ(xlate(&e, gpa + 0x42, &hpa), 0);
    CHECK_EQ(hpa, 0x7FE00042ull);
    CHECK_EQ(xlate(&e, gpa - 0x1000, &hpa), -1);
    CHECK_EQ(xlate(&e, (5ull << 30) | (7ull << 21), &hpa), -1); /* same low bits, other PML4 slot */
    fake_free(&M);
}

TEST(ept_misaligned_args_rejected)
{
    struct ept e;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, 0x800, 0x40000000ull, 0x1000, EPT_RWX), -1);
    CHECK_EQ(ept_map(&e, 0, 0x40000010ull, 0x1000, EPT_RWX), -1);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 0x1001, EPT_RWX), -1);
    CHECK_EQ(ept_map(&e, 1, 1, 1, EPT_RWX), -1);
    CHECK_EQ(e.table_pages, 1); /* nothing was built */
    uint64_t hpa;
    CHECK_EQ(xlate(&e, 0, &hpa), -1);
    /* Size 0 maps nothing and succeeds. */
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 0, EPT_RWX), 0);
    CHECK_EQ(xlate(&e, 0, &hpa), -1);
    fake_free(&M);
}

TEST(ept_no_split_of_large_page)
{
    struct ept e;
    uint64_t hpa;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 2 * MiB, EPT_RWX), 0);
    /* A 4K map inside the large page would need a split: refused, mapping unchanged. */
    CHECK_EQ(ept_map(&e, 0x1000, 0x50000000ull, 0x1000, EPT_R), -1);
    CHECK_EQ(xlate(&e, 0x1000, &hpa), 0);
    CHECK_EQ(hpa, 0x40001000ull);
    /* An aligned 2 MiB map over a slot that already has a page table goes through it in 4K. */
    CHECK_EQ(ept_map(&e, 2 * MiB, 0x60001000ull, 0x1000, EPT_RWX), 0);
    CHECK_EQ(ept_map(&e, 2 * MiB, 0x60000000ull, 2 * MiB, EPT_RWX), 0);
    int level = -1;
    leaf(&e, 2 * MiB + 0x5000, &level);
    CHECK_EQ(level, 0);
    CHECK_EQ(xlate(&e, 2 * MiB + 0x5000, &hpa), 0);
    CHECK_EQ(hpa, 0x60005000ull);
    fake_free(&M);
}

TEST(ept_out_of_memory)
{
    struct ept e;
    CHECK_EQ(setup(&e, &M, 0), -1); /* no root */
    fake_free(&M);
    /* Root and PDPT only: the PD allocation fails. */
    CHECK_EQ(setup(&e, &M, 2), 0);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 2 * MiB, EPT_RWX), -1);
    CHECK_EQ(e.table_pages, 2);
    fake_free(&M);
    /* Enough for the directories but not for a page table. */
    CHECK_EQ(setup(&e, &M, 3), 0);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 2 * MiB, EPT_RWX), 0);
    CHECK_EQ(ept_map(&e, 2 * MiB, 0x40201000ull, 0x1000, EPT_RWX), -1);
    uint64_t hpa;
    CHECK_EQ(xlate(&e, 2 * MiB, &hpa), -1);
    CHECK_EQ(xlate(&e, 0, &hpa), 0);
    fake_free(&M);
    /* Running out half-way through a big map fails the map. */
    CHECK_EQ(setup(&e, &M, 4), 0);
    CHECK_EQ(ept_map(&e, 0, 0x1000, 8 * MiB, EPT_RWX), -1);
    fake_free(&M);
}

/* Without the 2 MiB capability every leaf is a 4 KiB page, even where both sides are aligned. */
TEST(ept_4k_only_without_2m_capability)
{
    struct ept e;
    CHECK_EQ(setup_caps(&e, &M, 64, false), 0);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 8 * MiB, EPT_RWX), 0);
    /* PML4 + PDPT + PD + four page tables. */
    CHECK_EQ(e.table_pages, 7);
    for (uint64_t gpa = 0; gpa < 8 * MiB; gpa += 0x1000) {
        int level = -1;
        uint64_t ent = leaf(&e, gpa, &level);
        if (level != 0 || (ent & EPT_LARGE) || (ent & 0x000FFFFFFFFFF000ull) != 0x40000000ull + gpa) {
            hs_fail(__FILE__, __LINE__, "gpa 0x%llx: level %d entry 0x%llx", (unsigned long long)gpa, level,
                    (unsigned long long)ent);
            break;
        }
    }
    uint64_t hpa;
    CHECK_EQ(xlate(&e, 5 * MiB + 0x123, &hpa), 0);
    CHECK_EQ(hpa, 0x40000000ull + 5 * MiB + 0x123);
    fake_free(&M);
    /* The same map with the capability: one PD of 2 MiB leaves, no page tables. */
    CHECK_EQ(setup_caps(&e, &M, 64, true), 0);
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 8 * MiB, EPT_RWX), 0);
    CHECK_EQ(e.table_pages, 3);
    fake_free(&M);
}

/* Every change marks the tables for an INVEPT before the next entry (tlb.c clears the mark). */
TEST(ept_changes_marked_for_invept)
{
    struct ept e;
    CHECK_EQ(setup(&e, &M, 64), 0);
    CHECK(e.changed); /* a fresh root */
    e.changed = false;
    CHECK_EQ(ept_map(&e, 0, 0x40000000ull, 2 * MiB, EPT_RWX), 0);
    CHECK(e.changed);
    e.changed = false;
    uint64_t hpa;
    CHECK_EQ(xlate(&e, 0x1000, &hpa), 0);
    CHECK(!e.changed); /* a walk changes nothing */
    fake_free(&M);
}
