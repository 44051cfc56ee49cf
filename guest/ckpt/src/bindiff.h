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
    int rw_same;          /* writable data has the identical layout in both */
    char rw_why[512];     /* why not (first difference) */
};

/* Prepares a diff; MANUAL (comma list or NULL) replaces the automatic changed-function list. */
int bd_init(struct bindiff *d, const struct elfbin *o, const struct elfbin *n, const char *manual);
/* Whether old function symbol S differs in the new binary (or is gone). */
int bd_changed(struct bindiff *d, const struct esym *s);
/* Translates a code address; only unchanged functions translate at non-zero offsets. 0 on success. */
int bd_xlate_text(struct bindiff *d, uint64_t old, uint64_t *out);
/* Translates an address in the old image's data (rodata/data/bss) to the new image. 0 on success. */
int bd_xlate_data(struct bindiff *d, uint64_t old, uint64_t *out);
/* Prints the changed functions, one a line. */
void bd_print_changed(struct bindiff *d, FILE *f);
/* Frees the diff. */
void bd_free(struct bindiff *d);
#endif
