/* Physical page allocator: one bit per 4 KiB page, first fit, aligned runs. */
#ifndef HS_PALLOC_H
#define HS_PALLOC_H
#include <stdint.h>
#include "spinlock.h"

#define PAGE_SIZE 4096ul

struct palloc {
    uint64_t *bits;          /* 1 = in use or not RAM */
    uint64_t npages;
    uint64_t free_pages;
    spinlock_t lock;
};

/* Starts with every page marked unusable; bits must hold npages bits. */
void palloc_init(struct palloc *p, uint64_t *bits, uint64_t npages);
/* Marks the whole pages inside [base, base+len) free (RAM from the memory map). */
void palloc_add_free(struct palloc *p, uint64_t base, uint64_t len);
/* Marks every page touching [base, base+len) used (image, modules, firmware). */
void palloc_reserve(struct palloc *p, uint64_t base, uint64_t len);
/* Allocates n contiguous pages aligned to align bytes; returns 0 when none fit. */
uint64_t palloc_alloc(struct palloc *p, uint64_t n, uint64_t align);
/* Returns n pages starting at addr. */
void palloc_free(struct palloc *p, uint64_t addr, uint64_t n);
/* Size in bytes of the largest free run (for error messages). */
uint64_t palloc_largest_free(struct palloc *p);

#endif
