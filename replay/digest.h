/* Register digest and byte hashes shared by the recorder, the replayer and hosted tools. */
#ifndef HS_REPLAY_DIGEST_H
#define HS_REPLAY_DIGEST_H
#include <stddef.h>
#include <stdint.h>

#define HS_RFLAGS_RF (1ull << 16)
#define HS_RFLAGS_TF (1ull << 8)
#define HS_FNV32_INIT 0x811c9dc5u
#define HS_FNV64_INIT 0xcbf29ce484222325ull

/* The register file a position is checked against, in one fixed order. */
struct hs_regs {
    uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rsp, rip, rflags;
};

/* A 64-bit mixer (splitmix64's finaliser): every input bit reaches every output bit. */
static inline uint64_t hs_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* Digest of a register file. RFLAGS.RF is masked (Bochs 2.7 saves it differently from hardware
 * on some exits) and so is TF (the VMM's single-stepping, hidden from the guest). */
static inline uint64_t hs_digest(const struct hs_regs *r)
{
    const uint64_t *w = &r->rax;
    uint64_t h = 0x68696e6473696768ull; /* "hindsigh" */
    for (unsigned i = 0; i < sizeof(*r) / 8; i++) {
        uint64_t v = w[i];
        if (i == sizeof(*r) / 8 - 1)
            v &= ~(HS_RFLAGS_RF | HS_RFLAGS_TF);
        h = hs_mix64(h ^ v) + i;
    }
    return h;
}

/* FNV-1a over bytes, 32-bit (the console hash carried by every event). */
static inline uint32_t hs_fnv32(uint32_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

/* Hash of a memory range, 8 bytes at a time (n a multiple of 8): the RAM comparison. */
static inline uint64_t hs_hash_mem(uint64_t h, const void *p, size_t n)
{
    const uint64_t *w = p;
    for (size_t i = 0; i < n / 8; i++)
        h = (h ^ w[i]) * 0x100000001b3ull + (h >> 29);
    return h;
}

#endif
