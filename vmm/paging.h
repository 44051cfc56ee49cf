/* The VMM's own identity-mapped page tables. */
#ifndef HS_PAGING_H
#define HS_PAGING_H
#include <stdint.h>
#include "mb2.h"
#include "palloc.h"

/* Identity-maps all memory up to max(4 GiB, end of RAM) with 2 MiB pages, RAM write-back and
 * the rest uncached, and switches CR3; returns the root (below 4 GiB, for the AP trampoline). */
uint64_t paging_init(struct palloc *pa, const struct mb2_info *mb);
/* The end of the identity map paging_init built (0 before it ran). */
uint64_t paging_mapped_top(void);

#endif
