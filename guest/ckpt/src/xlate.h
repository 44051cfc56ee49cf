/* Rewriting saved memory for the new binary: words that point into the old
 * image (code, read-only data, data objects), including pointers that glibc
 * mangles with its pointer guard (atexit, setjmp), are translated by
 * function/object + offset. Untranslatable words are left alone: they are
 * either plain numbers or stale values in dead memory. */
#ifndef CKPT_XLATE_H
#define CKPT_XLATE_H
#include "bindiff.h"
#include <stddef.h>
#include <stdint.h>

struct xlate_stats {
    uint64_t code, data, mangled;  /* words rewritten */
};

/* Translates one word; returns 1 if it was rewritten. */
int xlate_word(struct bindiff *d, uint64_t *w, uint64_t guard, int have_guard, struct xlate_stats *st);
/* Translates every aligned word of SRC (mapped at START) from address FROM on; the first word
 * that changes asks WRITABLE(CTX) for a writable copy of SRC (which may be SRC itself), so a
 * region with nothing to translate is never copied. */
void xlate_region(struct bindiff *d, uint64_t start, const void *src, size_t len, uint64_t from, uint64_t guard,
                  int have_guard, struct xlate_stats *st, void *(*writable)(void *ctx), void *ctx);
#endif
