/* Comparing the checkpointed ("old") binary with the updated ("new") one:
 * which functions changed, and how an address in the old image translates to
 * the new one (function + offset for code, object + offset for data), which
 * is the paper's return-address / signal-handler translation generalised. */
#ifndef CKPT_BINDIFF_H
#define CKPT_BINDIFF_H
#include "elfbin.h"
#include <stdio.h>

struct bindiff {
    const struct elfbin *o, *n;
    int same;             /* byte-identical files: every translation is the identity */
    int precise;          /* both have relocations: moved-but-unchanged code is recognised */
    unsigned char *chg;   /* per old symbol: 0 unknown, 1 unchanged, 2 changed */
    char **manual;        /* user-given changed function names (NULL-terminated), or NULL */
    struct { uint64_t from, to; } *anchors; /* anonymous data referenced by unchanged code: old -> new */
    size_t nanchors;
    uint64_t ob, nb;      /* load biases of the old and new executable (0 unless PIE) */
    int ident;            /* same binary at the same bias: every translation is the identity */
    int rw_same;          /* writable data has the identical layout in both */
    char rw_why[512];     /* why not (first difference) */
};

/* Prepares a diff; MANUAL (comma list or NULL) replaces the automatic changed-function list. */
int bd_init(struct bindiff *d, const struct elfbin *o, const struct elfbin *n, const char *manual);
/* Sets the runtime load biases (PIE): the translations below take and return runtime addresses. */
void bd_set_bias(struct bindiff *d, uint64_t ob, uint64_t nb);
/* Whether old function symbol S differs in the new binary (or is gone). */
int bd_changed(struct bindiff *d, const struct esym *s);
/* Translates a runtime code address; only unchanged functions translate at non-zero offsets;
 * addresses outside the old executable (shared libraries) are kept. 0 on success. */
int bd_xlate_text(struct bindiff *d, uint64_t old, uint64_t *out);
/* Translates a runtime address in the old executable's data (rodata/data/bss) to the new one;
 * addresses outside the old executable are kept. 0 on success. */
int bd_xlate_data(struct bindiff *d, uint64_t old, uint64_t *out);
/* Prints the changed functions, one a line. */
void bd_print_changed(struct bindiff *d, FILE *f);
/* Frees the diff. */
void bd_free(struct bindiff *d);
#endif
