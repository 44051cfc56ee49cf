#include "xlate.h"
#include <string.h>

static uint64_t rol(uint64_t v, int n) { return v << n | v >> (64 - n); }
static uint64_t ror(uint64_t v, int n) { return v >> n | v << (64 - n); }

int xlate_word(struct bindiff *d, uint64_t *w, uint64_t guard, int have_guard, struct xlate_stats *st)
{
    const struct elfbin *o = d->o;
    uint64_t v = *w, t, b = d->ob;
    if (v >= o->text_lo + b && v < o->text_hi + b) {
        if (bd_xlate_text(d, v, &t) == 0 && t != v) {
            *w = t;
            st->code++;
            return 1;
        }
        return 0;
    }
    if (v >= o->img_lo + b && v < o->img_hi + b) {
        if (bd_xlate_data(d, v, &t) == 0 && t != v) {
            *w = t;
            st->data++;
            return 1;
        }
        return 0;
    }
    if (have_guard) {
        /* glibc PTR_MANGLE: rol(p ^ guard, 17) */
        uint64_t p = ror(v, 17) ^ guard;
        if (p >= o->text_lo + b && p < o->text_hi + b && bd_xlate_text(d, p, &t) == 0 && t != p) {
            *w = rol(t ^ guard, 17);
            st->mangled++;
            return 1;
        }
    }
    return 0;
}

void xlate_region(struct bindiff *d, uint64_t start, const void *src, size_t len, uint64_t from, uint64_t guard,
                  int have_guard, struct xlate_stats *st, void *(*writable)(void *ctx), void *ctx)
{
    if (d->ident)
        return;
    uint64_t first = from > start ? (from - start + 7) & ~7ull : 0;
    const unsigned char *b = src;
    unsigned char *wb = NULL;
    /* Almost no word points into the executable: reject those with two compares, inline. */
    const uint64_t ilo = d->o->img_lo + d->ob, ispan = d->o->img_hi - d->o->img_lo;
    const uint64_t tlo = d->o->text_lo + d->ob, tspan = d->o->text_hi - d->o->text_lo;
    for (size_t i = first; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        if (w - ilo >= ispan && (!have_guard || ((ror(w, 17) ^ guard) - tlo) >= tspan))
            continue;
        if (xlate_word(d, &w, guard, have_guard, st)) {
            if (!wb) {
                wb = writable(ctx);
                b = wb;
            }
            memcpy(wb + i, &w, 8);
        }
    }
}
