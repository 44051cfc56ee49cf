/* The dynamic linker's view of the executable, for a restore into a new build of a dynamically
 * linked program. The restored process keeps the checkpointed process's libraries and ld.so at
 * their addresses with their data, so ld.so's record of the *executable* (the main link_map, and
 * the words of ld.so's own data that point into the executable) must be made to describe the new
 * build; and the new build's GOT must point into those libraries. */
#ifndef CKPT_LOADER_H
#define CKPT_LOADER_H
#include "dynelf.h"
#include "image.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads old (checkpointed) memory: LEN bytes at ADDR, or NULL if not saved. */
typedef const uint8_t *(*ld_read_fn)(void *ctx, uint64_t addr, size_t len);
/* The same, writable (the bytes that will be restored). */
typedef uint8_t *(*ld_write_fn)(void *ctx, uint64_t addr, size_t len);
/* Calls the function at FN in the restored process (an IFUNC resolver); its result, or 0 on failure. */
typedef uint64_t (*ld_call_fn)(void *ctx, uint64_t fn);

enum { LD_MAP_BYTES = 4096 }; /* how much of a link_map is compared (glibc's is ~1.2 KB) */

/* The new process's loader state, read while it still has its own ld.so. */
struct ld_new {
    uint64_t main_map;               /* its _r_debug.r_map: the main link_map */
    uint8_t map[LD_MAP_BYTES];
    size_t maplen;
    uint64_t base;                   /* ld.so load base (AT_BASE) */
    uint8_t *rw;                     /* ld.so's writable segment, [base + ldso.rw_lo, base + ldso.rw_hi) */
};

/* Reads PID's main link_map and ld.so data (LDSO describes the dynamic linker file). */
int ld_read_new(pid_t pid, const struct dynelf *ldso, struct ld_new *nw);
/* Frees what ld_read_new allocated. */
void ld_free_new(struct ld_new *nw);

/* Where each executable lies at run time: [lo, hi] (hi inclusive: a link_map keeps the end). */
struct ld_span {
    uint64_t lo, hi;
};

/* Rewrites, in the old memory, every word of the main link_map and of ld.so's data that points
 * into the old executable to the word at the same place in the new process (same ld.so build),
 * which points into the new one; likewise the .gnu.hash geometry. *N counts rewritten words. */
int ld_patch(const struct ld_new *nw, const struct ck_exe *exe, const struct dynelf *ldso, const struct dynelf *odyn,
             const struct dynelf *ndyn, struct ld_span os, struct ld_span ns, ld_read_fn rd, ld_write_fn wr, void *ctx,
             int *n);

/* The checkpointed process's libraries in lookup order (its link_map chain). */
struct ld_scope {
    size_t n;
    struct { uint64_t base; struct dynelf d; } *lib;
};
/* Builds the scope from the saved _r_debug chain and the image's CK_REC_LIB records. */
int ld_scope(const struct ck_exe *exe, const struct ck_image *img, ld_read_fn rd, void *ctx, struct ld_scope *sc);
/* Frees a scope. */
void ld_scope_free(struct ld_scope *sc);
/* Resolves every symbol relocation of the new executable NDYN (bias NB) against the scope and
 * writes the values into BUF, which holds its writable segment [NB + LO, NB + LO + LEN);
 * IFUNC resolvers are run with CALL. *N counts resolved slots. */
int ld_fix_got(const struct dynelf *ndyn, uint64_t nb, const struct ld_scope *sc, uint8_t *buf, uint64_t lo, size_t len,
               ld_call_fn call, void *cctx, int *n);
#endif
