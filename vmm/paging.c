#include "paging.h"
#include "console.h"
#include "lib.h"
#include "x86.h"

#define P (1ull << 0)
#define W (1ull << 1)
#define PWT (1ull << 3)
#define PCD (1ull << 4)
#define PS (1ull << 7)
#define SIZE_2M (2ull << 20)

static uint64_t zpage(struct palloc *pa)
{
    uint64_t p = palloc_alloc(pa, 1, PAGE_SIZE);
    if (!p || p >= (4ull << 30)) {
        kprintf("hindsight: FATAL: no memory below 4 GiB for page tables\n");
        halt_forever();
    }
    memset((void *)(uintptr_t)p, 0, PAGE_SIZE);
    return p;
}

static int is_ram(const struct mb2_info *mb, uint64_t base, uint64_t len)
{
    for (unsigned i = 0; i < mb->n_mmap; i++) {
        const struct mb2_mmap_entry *e = &mb->mmap[i];
        if (e->type == MB2_MMAP_AVAILABLE && e->base < base + len && base < e->base + e->len)
            return 1;
    }
    return 0;
}

static uint64_t mapped_top;

uint64_t paging_mapped_top(void) { return mapped_top; }

uint64_t paging_init(struct palloc *pa, const struct mb2_info *mb)
{
    uint64_t top = 4ull << 30;
    for (unsigned i = 0; i < mb->n_mmap; i++)
        if (mb->mmap[i].type == MB2_MMAP_AVAILABLE && mb->mmap[i].base + mb->mmap[i].len > top)
            top = mb->mmap[i].base + mb->mmap[i].len;
    top = ALIGN_UP(top, 1ull << 30);
    if (top > (512ull << 30))
        top = 512ull << 30; /* one PML4 slot; the allocator never hands out more */
    uint64_t pml4 = zpage(pa), pdpt = zpage(pa);
    ((uint64_t *)(uintptr_t)pml4)[0] = pdpt | P | W;
    for (uint64_t gb = 0; gb < top >> 30; gb++) {
        uint64_t pd = zpage(pa);
        ((uint64_t *)(uintptr_t)pdpt)[gb] = pd | P | W;
        for (unsigned i = 0; i < 512; i++) {
            uint64_t a = (gb << 30) + i * SIZE_2M;
            uint64_t attr = P | W | PS;
            if (!is_ram(mb, a, SIZE_2M) && a >= (1ull << 20))
                attr |= PCD | PWT;
            ((uint64_t *)(uintptr_t)pd)[i] = a | attr;
        }
    }
    write_cr3(pml4);
    mapped_top = top;
    return pml4;
}
