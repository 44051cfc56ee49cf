/* Extended page tables: guest-physical to host-physical translation per guest. */
#ifndef HS_EPT_H
#define HS_EPT_H
#include <stdbool.h>
#include <stdint.h>

#define EPT_R (1ull << 0)
#define EPT_W (1ull << 1)
#define EPT_X (1ull << 2)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)
#define EPT_MT_WB (6ull << 3)
#define EPT_LARGE (1ull << 7)

/* Where the EPT code gets zeroed table pages and how it reaches them. */
struct ept_ops {
    uint64_t (*alloc_page)(void *ctx);     /* physical address of a zeroed 4 KiB page, 0 if none */
    void *(*phys_to_virt)(void *ctx, uint64_t pa);
    void *ctx;
    bool large_2m;                         /* the CPU accepts 2 MiB leaves (IA32_VMX_EPT_VPID_CAP bit 16) */
};

struct ept {
    uint64_t pml4;            /* physical address of the root */
    struct ept_ops ops;
    uint64_t table_pages;     /* pages used by the tables */
    bool changed;             /* entries changed since the last INVEPT (tlb.c clears it) */
};

/* Allocates an empty root; returns 0 or -1 when out of memory. */
int ept_init(struct ept *e, const struct ept_ops *ops);
/* Maps [gpa, gpa+size) to [hpa, hpa+size) with perms, using 2 MiB pages where both sides and the
 * CPU (ops->large_2m) allow, 4 KiB pages otherwise; marks the tables changed. */
int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms);
/* Walks the tables: host-physical address for gpa and its permissions, or -1 if unmapped. */
int ept_translate(const struct ept *e, uint64_t gpa, uint64_t *hpa, uint64_t *perms);
/* The EPT pointer for the VMCS: WB tables, 4-level walk. */
uint64_t ept_pointer(const struct ept *e);

#endif
