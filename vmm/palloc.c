#include "palloc.h"
#include "lib.h"

static inline int test(const struct palloc *p, uint64_t i) { return (p->bits[i / 64] >> (i % 64)) & 1; }
static inline void set_used(struct palloc *p, uint64_t i)
{
    if (!test(p, i)) {
        p->bits[i / 64] |= 1ull << (i % 64);
        p->free_pages--;
    }
}
static inline void set_free(struct palloc *p, uint64_t i)
{
    if (test(p, i)) {
        p->bits[i / 64] &= ~(1ull << (i % 64));
        p->free_pages++;
    }
}

void palloc_init(struct palloc *p, uint64_t *bits, uint64_t npages)
{
    p->bits = bits;
    p->npages = npages;
    p->free_pages = 0;
    p->lock.locked = 0;
    memset(bits, 0xFF, (size_t)((npages + 63) / 64 * 8));
}

void palloc_add_free(struct palloc *p, uint64_t base, uint64_t len)
{
    if (base + len < base)
        len = UINT64_MAX - base;
    /* Round base up without computing base + PAGE_SIZE - 1, which wraps near 2^64. */
    uint64_t first = base / PAGE_SIZE + (base % PAGE_SIZE != 0), end = (base + len) / PAGE_SIZE;
    if (end > p->npages)
        end = p->npages;
    for (uint64_t i = first; i < end; i++)
        if (i != 0) /* physical 0 doubles as "no page" */
            set_free(p, i);
}

void palloc_reserve(struct palloc *p, uint64_t base, uint64_t len)
{
    if (len == 0)
        return;
    uint64_t first = base / PAGE_SIZE, end = (base + len - 1) / PAGE_SIZE + 1;
    if (base + len - 1 < base) /* runs to the top of the address space */
        end = p->npages;
    if (end > p->npages)
        end = p->npages;
    for (uint64_t i = first; i < end; i++)
        set_used(p, i);
}

uint64_t palloc_alloc(struct palloc *p, uint64_t n, uint64_t align)
{
    uint64_t step = align > PAGE_SIZE ? align / PAGE_SIZE : 1, found = 0;
    if (n == 0 || n > p->npages) /* also keeps start + n below from wrapping */
        return 0;
    spin_lock(&p->lock);
    for (uint64_t start = step; start + n <= p->npages; start += step) {
        uint64_t i = 0;
        while (i < n && !test(p, start + i))
            i++;
        if (i == n) {
            for (i = 0; i < n; i++)
                set_used(p, start + i);
            found = start * PAGE_SIZE;
            break;
        }
        /* Skip past the used page, keeping alignment. */
        start = ALIGN_DOWN(start + i, step);
    }
    spin_unlock(&p->lock);
    return found;
}

void palloc_free(struct palloc *p, uint64_t addr, uint64_t n)
{
    spin_lock(&p->lock);
    for (uint64_t i = 0; i < n; i++)
        if (addr / PAGE_SIZE + i < p->npages)
            set_free(p, addr / PAGE_SIZE + i);
    spin_unlock(&p->lock);
}

uint64_t palloc_largest_free(struct palloc *p)
{
    uint64_t best = 0, run = 0;
    for (uint64_t i = 0; i < p->npages; i++) {
        run = test(p, i) ? 0 : run + 1;
        if (run > best)
            best = run;
    }
    return best * PAGE_SIZE;
}
