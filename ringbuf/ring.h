/* hindsight's single-producer / single-consumer ring of fixed-size entries.
 *
 * One header, no .c: it is compiled freestanding into the VMM (the Primary's core produces
 * recorded events, the Backup's core consumes them) and hosted into the unit tests and the
 * benchmark. It uses only <stdint.h>, <stddef.h>, <stdbool.h> and GCC's __atomic builtins; no
 * libc call, not even memcpy (entries are copied by ring_copy_ below).
 *
 * Shape (after Xen's io/ring.h, own code): a SHARED part placed by the caller in memory both
 * cores see -- struct ring_hdr followed by the entries -- and one PRIVATE handle per side
 * (struct ring_prod, struct ring_cons) kept in that side's own memory. The shared part holds
 * only what the other side must see: the immutable configuration and the two published
 * indices, each on its own 128-byte block. Each handle holds that side's working index and its
 * cached copy of the other side's index, so the common case touches no line the other core
 * writes.
 *
 * Indices are free-running uint64_t counters of entries ever produced / consumed; the slot of
 * index i is i & (capacity - 1). prod - cons (unsigned) is the number of published unconsumed
 * entries whatever the counters' values, so wrap-around needs no special case (2^64 entries
 * will not be produced anyway; the tests start near 2^64 to prove the arithmetic).
 *
 * Memory ordering (see ringbuf/README.md): the producer writes entries, then publishes prod
 * with a release store; the consumer reads prod with an acquire load, then reads the entries.
 * Symmetrically the consumer releases cons after it has finished reading the slots, and the
 * producer acquires cons before it overwrites them. Nothing else is shared, so nothing
 * stronger (no seq_cst, no fence, no lock) is needed.
 *
 * Usage:
 *   ring_init(mem, size, 64, 4096);                 // once, before either side runs
 *   ring_prod_attach(&p, mem, size);  ring_cons_attach(&c, mem, size);
 *   producer: if (!ring_try_push(&p, &ev)) stall;    or ring_reserve / fill / ring_commit / ring_publish
 *   consumer: if (ring_try_pop(&c, &ev)) use(ev);    or ring_peek_batch / read / ring_release
 */
#ifndef HS_RINGBUF_RING_H
#define HS_RINGBUF_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "HSRINGv1" as bytes in a memory dump. */
#define RING_MAGIC 0x3176474e49525348ull
#define RING_VERSION 1u
/* Spacing of the shared header's blocks: two cache lines, because Intel's L2 spatial
 * prefetcher fetches 64-byte lines in aligned pairs, so indices 64 bytes apart still ping-pong. */
#define RING_BLOCK 128u
#define RING_HDR_SIZE (3u * RING_BLOCK)
/* Entries: a power of two in [4, 4096] bytes; 64 (one cache line) is the intended default. */
#define RING_ENTRY_MIN 4u
#define RING_ENTRY_MAX 4096u
#define RING_ENTRY_DEFAULT 64u
/* Capacity: a power of two in [2, 2^30] entries, so batch counts fit in uint32_t. */
#define RING_CAP_MIN 2ull
#define RING_CAP_MAX (1ull << 30)
/* The shared part must start on a cache line (the index blocks rely on it). */
#define RING_ALIGN 64u

/* Results of ring_init / ring_check / ring_*_attach; ring_strerror names them. */
enum ring_status {
    RING_OK = 0,
    RING_E_NULL,       /* no memory given */
    RING_E_ALIGN,      /* memory not RING_ALIGN-aligned */
    RING_E_SMALL,      /* memory smaller than the header, or than header + entries */
    RING_E_MAGIC,      /* no ring here (or its first line was overwritten) */
    RING_E_VERSION,    /* a ring of another layout version */
    RING_E_ENTRY_SIZE, /* entry size not a power of two in [RING_ENTRY_MIN, RING_ENTRY_MAX] */
    RING_E_CAPACITY,   /* capacity not a power of two in [RING_CAP_MIN, RING_CAP_MAX] */
    RING_E_LAYOUT,     /* entries offset or total size disagree with entry size and capacity */
    RING_E_INDICES,    /* prod - cons > capacity: the consumer is ahead or the producer overran */
    RING_E_BUSY,       /* indices kept moving while being checked (check a quiescent ring) */
};

/* The shared part, at the start of the caller's memory; the entries follow at RING_HDR_SIZE. */
struct ring_hdr {
    /* Block 0: written once by ring_init (magic last), read-only afterwards. */
    uint64_t magic;
    uint32_t version;
    uint32_t entry_size;   /* bytes per entry */
    uint64_t capacity;     /* entries */
    uint64_t entries_off;  /* bytes from the header to entry 0 (RING_HDR_SIZE) */
    uint64_t total_size;   /* entries_off + capacity * entry_size */
    uint8_t pad0[RING_BLOCK - 40];
    /* Block 1: written only by the producer. Entries [cons, prod) are published. */
    uint64_t prod;
    uint8_t pad1[RING_BLOCK - 8];
    /* Block 2: written only by the consumer. Entries before cons may be overwritten. */
    uint64_t cons;
    uint8_t pad2[RING_BLOCK - 8];
};
_Static_assert(sizeof(struct ring_hdr) == RING_HDR_SIZE, "ring_hdr layout");
_Static_assert(offsetof(struct ring_hdr, prod) == RING_BLOCK, "prod on its own block");
_Static_assert(offsetof(struct ring_hdr, cons) == 2 * RING_BLOCK, "cons on its own block");

/* The producer's private handle. The geometry is copied from the checked header at attach so a
 * later stray write to the shared header cannot redirect the producer's stores. Aligned so that
 * two handles declared side by side do not share a line. */
struct ring_prod {
    struct ring_hdr *hdr;
    uint8_t *ent;          /* entry 0 */
    uint64_t cap;          /* capacity, a power of two */
    uint64_t mask;         /* cap - 1 */
    uint32_t shift;        /* log2(entry size) */
    uint32_t entry_size;
    uint64_t head;         /* next index to fill; entries below head are committed */
    uint64_t pub;          /* the value last stored into hdr->prod */
    uint64_t cons_cache;   /* last hdr->cons seen; at least cap - (head - cons_cache) slots are free */
    bool corrupt;          /* hdr->cons was seen outside [cons_cache, head]: stop, report */
} __attribute__((aligned(RING_ALIGN)));

/* The consumer's private handle (same reasons as ring_prod). */
struct ring_cons {
    struct ring_hdr *hdr;
    const uint8_t *ent;
    uint64_t cap;
    uint64_t mask;
    uint32_t shift;
    uint32_t entry_size;
    uint64_t tail;         /* next index to read; entries below tail are released */
    uint64_t prod_cache;   /* last hdr->prod seen; at least prod_cache - tail entries are readable */
    bool corrupt;          /* hdr->prod was seen outside [prod_cache, tail + cap]: stop, report */
} __attribute__((aligned(RING_ALIGN)));

/* ---- internal helpers ---------------------------------------------------------------- */

static inline bool ring_pow2_(uint64_t x) { return x && !(x & (x - 1)); }

static inline uint32_t ring_log2_(uint64_t x)
{
    uint32_t s = 0;
    while ((1ull << s) < x)
        s++;
    return s;
}

static inline uint64_t ring_min_(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Copies one entry (size a power of two >= 4) word by word. Not memcpy: the VMM has no libc and
 * the size is a runtime value, for which GCC would emit a library call. The empty asm keeps GCC
 * from recognising the loop as memcpy and emitting that call anyway. */
static inline void ring_copy_(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (n & 7) {
        uint32_t w;
        __builtin_memcpy(&w, s, 4);
        __builtin_memcpy(d, &w, 4);
        return; /* n == 4: the only power of two >= 4 that is not a multiple of 8 */
    }
    for (uint32_t i = 0; i < n; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, s + i, 8);
        __asm__("" : "+r"(w));
        __builtin_memcpy(d + i, &w, 8);
    }
}

/* ---- set-up and validation ------------------------------------------------------------- */

/* Bytes a ring of this geometry needs (header + entries), 0 if the geometry is invalid: lets
 * the VMM size its allocation and refuse a bad configuration before touching memory. */
static inline size_t ring_bytes(uint32_t entry_size, uint64_t capacity)
{
    if (!ring_pow2_(entry_size) || entry_size < RING_ENTRY_MIN || entry_size > RING_ENTRY_MAX)
        return 0;
    if (!ring_pow2_(capacity) || capacity < RING_CAP_MIN || capacity > RING_CAP_MAX)
        return 0;
    uint64_t total = RING_HDR_SIZE + capacity * entry_size; /* <= 2^42: no overflow */
    if (total > (uint64_t)(size_t)-1)
        return 0;
    return (size_t)total;
}

/* Names a ring_status for console messages, so a refused ring says why. */
static inline const char *ring_strerror(int st)
{
    switch (st) {
    case RING_OK: return "ok";
    case RING_E_NULL: return "no memory";
    case RING_E_ALIGN: return "memory not 64-byte aligned";
    case RING_E_SMALL: return "memory too small for the ring";
    case RING_E_MAGIC: return "bad magic (no ring here)";
    case RING_E_VERSION: return "unknown ring version";
    case RING_E_ENTRY_SIZE: return "entry size not a power of two in [4, 4096]";
    case RING_E_CAPACITY: return "capacity not a power of two in [2, 2^30]";
    case RING_E_LAYOUT: return "entries offset or total size inconsistent";
    case RING_E_INDICES: return "indices inconsistent (prod - cons > capacity)";
    case RING_E_BUSY: return "indices kept moving during the check";
    default: return "unknown ring status";
    }
}

/* Lays out an empty ring in [mem, mem+size) with both indices at start: tests start near 2^64
 * to prove the index arithmetic wraps; entry contents are left as they are. Call before either
 * side attaches; magic is stored last (release) so a side that sees it sees the geometry. */
static inline int ring_init_at(void *mem, size_t size, uint32_t entry_size, uint64_t capacity, uint64_t start)
{
    if (!mem)
        return RING_E_NULL;
    if ((uintptr_t)mem % RING_ALIGN)
        return RING_E_ALIGN;
    size_t need = ring_bytes(entry_size, capacity);
    if (!need)
        return ring_pow2_(entry_size) && entry_size >= RING_ENTRY_MIN && entry_size <= RING_ENTRY_MAX
                   ? RING_E_CAPACITY
                   : RING_E_ENTRY_SIZE;
    if (size < need)
        return RING_E_SMALL;
    struct ring_hdr *h = (struct ring_hdr *)mem;
    __atomic_store_n(&h->magic, 0, __ATOMIC_RELAXED);
    h->version = RING_VERSION;
    h->entry_size = entry_size;
    h->capacity = capacity;
    h->entries_off = RING_HDR_SIZE;
    h->total_size = need;
    __atomic_store_n(&h->prod, start, __ATOMIC_RELAXED);
    __atomic_store_n(&h->cons, start, __ATOMIC_RELAXED);
    __atomic_store_n(&h->magic, RING_MAGIC, __ATOMIC_RELEASE);
    return RING_OK;
}

/* Lays out an empty ring with both indices at 0 (see ring_init_at). */
static inline int ring_init(void *mem, size_t size, uint32_t entry_size, uint64_t capacity)
{
    return ring_init_at(mem, size, entry_size, capacity, 0);
}

/* Validates a ring header found in memory (magic, version, geometry, layout, prod - cons <=
 * capacity) before anyone follows its offsets: a corrupted ring is reported, not used. Safe
 * while both sides run: the indices are read cons, prod, cons and re-read if cons moved. */
static inline int ring_check(const void *mem, size_t size)
{
    if (!mem)
        return RING_E_NULL;
    if ((uintptr_t)mem % RING_ALIGN)
        return RING_E_ALIGN;
    if (size < RING_HDR_SIZE)
        return RING_E_SMALL;
    const struct ring_hdr *h = (const struct ring_hdr *)mem;
    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != RING_MAGIC)
        return RING_E_MAGIC;
    if (h->version != RING_VERSION)
        return RING_E_VERSION;
    uint32_t es = h->entry_size;
    uint64_t cap = h->capacity;
    if (!ring_pow2_(es) || es < RING_ENTRY_MIN || es > RING_ENTRY_MAX)
        return RING_E_ENTRY_SIZE;
    if (!ring_pow2_(cap) || cap < RING_CAP_MIN || cap > RING_CAP_MAX)
        return RING_E_CAPACITY;
    size_t need = ring_bytes(es, cap);
    if (h->entries_off != RING_HDR_SIZE || h->total_size != need)
        return RING_E_LAYOUT;
    if (size < need)
        return RING_E_SMALL;
    for (int tries = 0; tries < 64; tries++) {
        uint64_t c1 = __atomic_load_n(&h->cons, __ATOMIC_ACQUIRE);
        uint64_t p = __atomic_load_n(&h->prod, __ATOMIC_ACQUIRE);
        uint64_t c2 = __atomic_load_n(&h->cons, __ATOMIC_ACQUIRE);
        if (c1 != c2)
            continue;
        return p - c1 > cap ? RING_E_INDICES : RING_OK;
    }
    return RING_E_BUSY;
}

/* Checks the ring, then takes the producer's private copy of its geometry and indices. */
static inline int ring_prod_attach(struct ring_prod *p, void *mem, size_t size)
{
    int st = ring_check(mem, size);
    if (st != RING_OK)
        return st;
    struct ring_hdr *h = (struct ring_hdr *)mem;
    p->hdr = h;
    p->ent = (uint8_t *)mem + RING_HDR_SIZE;
    p->cap = h->capacity;
    p->mask = h->capacity - 1;
    p->entry_size = h->entry_size;
    p->shift = ring_log2_(h->entry_size);
    p->head = p->pub = __atomic_load_n(&h->prod, __ATOMIC_RELAXED);
    p->cons_cache = __atomic_load_n(&h->cons, __ATOMIC_ACQUIRE);
    p->corrupt = false;
    return RING_OK;
}

/* Checks the ring, then takes the consumer's private copy of its geometry and indices. */
static inline int ring_cons_attach(struct ring_cons *c, void *mem, size_t size)
{
    int st = ring_check(mem, size);
    if (st != RING_OK)
        return st;
    struct ring_hdr *h = (struct ring_hdr *)mem;
    c->hdr = h;
    c->ent = (const uint8_t *)mem + RING_HDR_SIZE;
    c->cap = h->capacity;
    c->mask = h->capacity - 1;
    c->entry_size = h->entry_size;
    c->shift = ring_log2_(h->entry_size);
    c->tail = __atomic_load_n(&h->cons, __ATOMIC_RELAXED);
    c->prod_cache = __atomic_load_n(&h->prod, __ATOMIC_ACQUIRE);
    c->corrupt = false;
    return RING_OK;
}

/* ---- producer -------------------------------------------------------------------------- */

/* Makes every committed entry visible to the consumer with one release store (the batching
 * point: many commits, one cache-line transfer). Skips the store when nothing is new. */
static inline void ring_publish(struct ring_prod *p)
{
    if (p->pub != p->head) {
        p->pub = p->head;
        __atomic_store_n(&p->hdr->prod, p->head, __ATOMIC_RELEASE);
    }
}

/* Re-reads the consumer's index (acquire: its reads of the slots we are about to reuse are
 * done) and returns the free slots; a cons outside [cons_cache, head] marks the ring corrupt. */
static inline uint64_t ring_prod_refresh_(struct ring_prod *p)
{
    uint64_t c = __atomic_load_n(&p->hdr->cons, __ATOMIC_ACQUIRE);
    if (c - p->cons_cache > p->head - p->cons_cache) {
        p->corrupt = true;
        return 0;
    }
    p->cons_cache = c;
    return p->cap - (p->head - c);
}

/* Finds up to max free slots, contiguous in memory from *slot, without making them visible;
 * returns how many (0 = full or corrupt). Reads the consumer's line only when the cached index
 * cannot satisfy max. When the ring is full it publishes pending commits first, so a producer
 * that batches lazily can never deadlock against a consumer waiting for them. */
static inline uint32_t ring_reserve(struct ring_prod *p, uint32_t max, void **slot)
{
    uint64_t free_ = p->cap - (p->head - p->cons_cache);
    if (free_ < max) {
        free_ = ring_prod_refresh_(p);
        if (!free_) {
            ring_publish(p);
            return 0;
        }
    }
    uint64_t idx = p->head & p->mask;
    *slot = p->ent + (idx << p->shift);
    return (uint32_t)ring_min_(ring_min_(max, free_), p->cap - idx);
}

/* Marks n reserved slots as filled (n <= what ring_reserve returned); they stay invisible to
 * the consumer until ring_publish, so several commits cost one publication. */
static inline void ring_commit(struct ring_prod *p, uint32_t n)
{
    p->head += n;
}

/* Copies one entry in and publishes it; false when the ring is full (the VMM then stalls the
 * Primary and counts the stall: nothing is ever dropped) or corrupt. */
static inline bool ring_try_push(struct ring_prod *p, const void *entry)
{
    void *slot;
    if (!ring_reserve(p, 1, &slot))
        return false;
    ring_copy_(slot, entry, p->entry_size);
    ring_commit(p, 1);
    ring_publish(p);
    return true;
}

/* Free slots as of now (refreshes the cached consumer index): for lag control and boot checks. */
static inline uint64_t ring_prod_free(struct ring_prod *p)
{
    return ring_prod_refresh_(p);
}

/* Whether the consumer's index was ever seen inconsistent: the VMM stops and reports. */
static inline bool ring_prod_corrupt(const struct ring_prod *p) { return p->corrupt; }

/* ---- consumer -------------------------------------------------------------------------- */

/* Re-reads the producer's index (acquire: the entries it covers are written) and returns the
 * readable entries; a prod outside [prod_cache, tail + cap] marks the ring corrupt. */
static inline uint64_t ring_cons_refresh_(struct ring_cons *c)
{
    uint64_t pr = __atomic_load_n(&c->hdr->prod, __ATOMIC_ACQUIRE);
    if (pr - c->prod_cache > c->tail + c->cap - c->prod_cache) {
        c->corrupt = true;
        return 0;
    }
    c->prod_cache = pr;
    return pr - c->tail;
}

/* Finds up to max published entries, contiguous in memory from *first, without consuming them;
 * returns how many (0 = empty or corrupt). Reads the producer's line only when the cached index
 * cannot satisfy max, so a consumer that is behind reads no shared index at all. */
static inline uint32_t ring_peek_batch(struct ring_cons *c, uint32_t max, const void **first)
{
    uint64_t avail = c->prod_cache - c->tail;
    if (avail < max) {
        avail = ring_cons_refresh_(c);
        if (!avail)
            return 0;
    }
    uint64_t idx = c->tail & c->mask;
    *first = c->ent + (idx << c->shift);
    return (uint32_t)ring_min_(ring_min_(max, avail), c->cap - idx);
}

/* The oldest unconsumed entry, or NULL when empty: the Backup inspects an event (its position)
 * before deciding to act on it, and consumes it only then. */
static inline const void *ring_peek(struct ring_cons *c)
{
    const void *e;
    return ring_peek_batch(c, 1, &e) ? e : NULL;
}

/* Consumes n peeked entries (n <= what ring_peek_batch returned) and hands their slots back to
 * the producer with one release store (our reads of them are done before it). */
static inline void ring_release(struct ring_cons *c, uint32_t n)
{
    c->tail += n;
    __atomic_store_n(&c->hdr->cons, c->tail, __ATOMIC_RELEASE);
}

/* Consumes the entry ring_peek returned. */
static inline void ring_pop(struct ring_cons *c)
{
    ring_release(c, 1);
}

/* Copies the oldest entry out and consumes it; false when empty or corrupt. */
static inline bool ring_try_pop(struct ring_cons *c, void *out)
{
    const void *e;
    if (!ring_peek_batch(c, 1, &e))
        return false;
    ring_copy_(out, e, c->entry_size);
    ring_release(c, 1);
    return true;
}

/* Published unconsumed entries as of now (refreshes the cached producer index): the Backup's
 * lag in events, which it keeps at the configured distance. */
static inline uint64_t ring_cons_avail(struct ring_cons *c)
{
    return ring_cons_refresh_(c);
}

/* Whether the producer's index was ever seen inconsistent: the VMM stops and reports. */
static inline bool ring_cons_corrupt(const struct ring_cons *c) { return c->corrupt; }

/* ---- observers (either core, a debugger, the panic path) ------------------------------- */

/* Published unconsumed entries from the shared indices alone, clamped to [0, capacity]: for a
 * third party that owns neither handle (status line, panic report). cons is read first, so
 * prod >= cons; the clamp covers the producer lapping ahead between the two loads. */
static inline uint64_t ring_used(const struct ring_hdr *h)
{
    uint64_t c = __atomic_load_n(&h->cons, __ATOMIC_ACQUIRE);
    uint64_t p = __atomic_load_n(&h->prod, __ATOMIC_ACQUIRE);
    uint64_t u = p - c;
    return u > h->capacity ? h->capacity : u;
}

/* Free slots from the shared indices alone (capacity - ring_used). */
static inline uint64_t ring_free(const struct ring_hdr *h)
{
    return h->capacity - ring_used(h);
}

#endif
