#include "ept.h"

#define ADDR_MASK 0x000FFFFFFFFFF000ull
#define SIZE_2M (2ull << 20)

int ept_init(struct ept *e, const struct ept_ops *ops)
{
    e->ops = *ops;
    e->table_pages = 1;
    e->changed = true; /* a new root: whatever the TLBs hold for this address is stale */
    e->pml4 = ops->alloc_page(ops->ctx);
    return e->pml4 ? 0 : -1;
}

/* Returns the next-level table for entry idx of table, creating it if needed. */
static uint64_t *next_table(struct ept *e, uint64_t *table, unsigned idx)
{
    if (!(table[idx] & EPT_RWX)) {
        uint64_t pa = e->ops.alloc_page(e->ops.ctx);
        if (!pa)
            return 0;
        e->table_pages++;
        /* Non-leaf entries grant everything; the leaf decides. */
        table[idx] = pa | EPT_RWX;
    } else if (table[idx] & EPT_LARGE) {
        return 0; /* would have to split a large page: callers never overlap maps */
    }
    return e->ops.phys_to_virt(e->ops.ctx, table[idx] & ADDR_MASK);
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms)
{
    /* A 4-level walk covers 48 bits: anything above would silently alias lower addresses. */
    if ((gpa | hpa | size) & 0xFFF || gpa >= (1ull << 48) || size > (1ull << 48) - gpa || (perms & EPT_RWX) == EPT_W ||
        (perms & EPT_RWX) == (EPT_W | EPT_X))
        return -1;
    e->changed = true;
    while (size) {
        uint64_t *pml4 = e->ops.phys_to_virt(e->ops.ctx, e->pml4);
        uint64_t *pdpt = next_table(e, pml4, (gpa >> 39) & 511);
        if (!pdpt)
            return -1;
        uint64_t *pd = next_table(e, pdpt, (gpa >> 30) & 511);
        if (!pd)
            return -1;
        unsigned pdi = (gpa >> 21) & 511;
        if (e->ops.large_2m && !((gpa | hpa) & (SIZE_2M - 1)) && size >= SIZE_2M && !(pd[pdi] & EPT_RWX)) {
            pd[pdi] = hpa | perms | EPT_MT_WB | EPT_LARGE;
            gpa += SIZE_2M, hpa += SIZE_2M, size -= SIZE_2M;
            continue;
        }
        uint64_t *pt = next_table(e, pd, pdi);
        if (!pt)
            return -1;
        pt[(gpa >> 12) & 511] = hpa | perms | EPT_MT_WB;
        gpa += 4096, hpa += 4096, size -= 4096;
    }
    return 0;
}

int ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint64_t *perms)
{
    uint64_t table = e->pml4;
    for (int level = 3; level >= 0; level--) {
        uint64_t *t = e->ops.phys_to_virt(e->ops.ctx, table);
        uint64_t ent = t[(gpa >> (12 + 9 * level)) & 511];
        if (!(ent & EPT_RWX))
            return -1;
        if (level == 0 || (level == 1 && (ent & EPT_LARGE))) {
            uint64_t page = level ? SIZE_2M : 4096;
            *hpa = (ent & ADDR_MASK & ~(page - 1)) | (gpa & (page - 1));
            *perms = ent & EPT_RWX;
            return 0;
        }
        table = ent & ADDR_MASK;
    }
    return -1;
}

uint64_t ept_pointer(const struct ept *e) { return e->pml4 | (3ull << 3) | 6ull; }
