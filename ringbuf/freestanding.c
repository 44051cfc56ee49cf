/* Proves ring.h builds as the VMM builds it: compiled by check-freestanding.sh with the VMM's
 * flags plus -fno-builtin, every API instantiated, and the object must reference no symbol at
 * all (no memcpy/memset from a library). Not linked into anything. */
#include "ring.h"

int fs_init(void *m, size_t n) { return ring_init(m, n, RING_ENTRY_DEFAULT, 4096); }
int fs_check(const void *m, size_t n) { return ring_check(m, n); }
size_t fs_bytes(uint32_t e, uint64_t c) { return ring_bytes(e, c); }
const char *fs_strerror(int st) { return ring_strerror(st); }
int fs_pattach(struct ring_prod *p, void *m, size_t n) { return ring_prod_attach(p, m, n); }
int fs_cattach(struct ring_cons *c, void *m, size_t n) { return ring_cons_attach(c, m, n); }
bool fs_push(struct ring_prod *p, const void *e) { return ring_try_push(p, e); }
bool fs_pop(struct ring_cons *c, void *e) { return ring_try_pop(c, e); }
const void *fs_peek(struct ring_cons *c) { return ring_peek(c); }
void fs_popp(struct ring_cons *c) { ring_pop(c); }
/* A batched producer with a compile-time entry size, as the VMM's recorder would write it. */
uint32_t fs_push_batch(struct ring_prod *p, const uint64_t (*ev)[8], uint32_t n)
{
    void *slot;
    uint32_t got = ring_reserve(p, n, &slot);
    for (uint32_t i = 0; i < got; i++)
        __builtin_memcpy((uint8_t *)slot + 64 * i, ev[i], 64);
    ring_commit(p, got);
    ring_publish(p);
    return got;
}
uint32_t fs_pop_batch(struct ring_cons *c, uint64_t *sum, uint32_t max)
{
    const void *first;
    uint32_t n = ring_peek_batch(c, max, &first);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t w;
        __builtin_memcpy(&w, (const uint8_t *)first + ((size_t)i << c->shift), 8);
        *sum += w;
    }
    ring_release(c, n);
    return n;
}
uint64_t fs_occupancy(struct ring_prod *p, struct ring_cons *c, const struct ring_hdr *h)
{
    return ring_prod_free(p) + ring_cons_avail(c) + ring_used(h) + ring_free(h) + ring_prod_corrupt(p) +
           ring_cons_corrupt(c);
}
