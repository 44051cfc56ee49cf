#include "bindiff.h"
#include "util.h"
#include <elf.h>
#include <stdlib.h>
#include <string.h>

static int is_pcrel(uint32_t t)
{
    return t == R_X86_64_PC32 || t == R_X86_64_PLT32 || t == R_X86_64_GOTPCREL || t == R_X86_64_GOTPCRELX ||
           t == R_X86_64_REX_GOTPCRELX || t == R_X86_64_GOTTPOFF || t == R_X86_64_TLSGD || t == R_X86_64_TLSLD;
}

/* Same target in both binaries: same named symbol and addend, or the same
 * bytes at the referenced place (anonymous literals such as strings). */
static const char *real_name(const char *n)
{
    /* assembler-local labels (.LC0, .L12) are renumbered freely between builds */
    if (!n)
        return NULL;
    const char *c = strrchr(n, ':');
    return strncmp(c ? c + 1 : n, ".L", 2) ? n : NULL;
}

static int same_target(struct bindiff *d, const struct erel *a, const struct erel *b);
static int shallow_same(struct bindiff *d, const struct erel *a, const struct erel *b);

/* Data compared byte for byte, except fields that carry relocations (jump
 * tables, pointer tables): those must refer to the same place in both. */
static int same_data(struct bindiff *d, const uint8_t *pa, const uint8_t *pb, uint64_t ta, uint64_t tb, uint64_t l,
                     int depth)
{
    size_t io = elf_rel_from(d->o, ta), in = elf_rel_from(d->n, tb);
    for (uint64_t k = 0; k < l;) {
        int ro = io < d->o->nrel && d->o->rels[io].addr == ta + k;
        int rn = in < d->n->nrel && d->n->rels[in].addr == tb + k;
        if (ro != rn)
            return 0;
        if (ro) {
            const struct erel *x = &d->o->rels[io++], *y = &d->n->rels[in++];
            int w = elf_rel_width(x->type);
            if (x->type != y->type || w <= 0 || !(depth > 0 ? shallow_same(d, x, y) : same_target(d, x, y)))
                return 0;
            k += w;
            continue;
        }
        if (pa[k] != pb[k])
            return 0;
        k++;
        while (io < d->o->nrel && d->o->rels[io].addr < ta + k)
            io++;
        while (in < d->n->nrel && d->n->rels[in].addr < tb + k)
            in++;
    }
    return 1;
}

/* The parts of two relocations' target comparison that need no content: returns 0 or 1 when
 * the names decide, -1 otherwise, with the targets and their symbols filled in (functions looked
 * up first when funcs_first, data objects first otherwise). */
static int target_by_name(struct bindiff *d, const struct erel *a, const struct erel *b, int funcs_first,
                          uint64_t *ta, uint64_t *tb, const struct esym **sa, const struct esym **sb)
{
    const char *na = real_name(a->symname), *nb = real_name(b->symname);
    if (na && nb)
        return !strcmp(na, nb) && a->addend == b->addend;
    if (!!na != !!nb)
        return 0;
    *ta = a->target + (is_pcrel(a->type) ? 4 : 0);
    *tb = b->target + (is_pcrel(b->type) ? 4 : 0);
    *sa = elf_sym_at(d->o, *ta, funcs_first);
    *sb = elf_sym_at(d->n, *tb, funcs_first);
    if (!*sa)
        *sa = elf_sym_at(d->o, *ta, !funcs_first);
    if (!*sb)
        *sb = elf_sym_at(d->n, *tb, !funcs_first);
    return -1;
}

/* Same place by name only (no content comparison): used for relocations inside data. */
static int shallow_same(struct bindiff *d, const struct erel *a, const struct erel *b)
{
    uint64_t ta, tb;
    const struct esym *sa, *sb;
    int r = target_by_name(d, a, b, 1, &ta, &tb, &sa, &sb);
    if (r >= 0)
        return r;
    return sa && sb && !strcmp(sa->name, sb->name) && ta - sa->addr == tb - sb->addr;
}

static int same_target(struct bindiff *d, const struct erel *a, const struct erel *b)
{
    uint64_t ta, tb;
    const struct esym *sa, *sb;
    int r = target_by_name(d, a, b, 0, &ta, &tb, &sa, &sb);
    if (r >= 0)
        return r;
    if (sa || sb)
        return sa && sb && !strcmp(sa->name, sb->name) && ta - sa->addr == tb - sb->addr;
    const struct esec *xa = elf_sec_at(d->o, ta), *xb = elf_sec_at(d->n, tb);
    if (!xa || !xb)
        return ta == tb;
    if (strcmp(xa->name, xb->name))
        return 0;
    if (!xa->data || !xb->data)
        return ta - xa->addr == tb - xb->addr;
    uint64_t la = xa->addr + xa->size - ta, lb = xb->addr + xb->size - tb;
    const uint8_t *pa = xa->data + (ta - xa->addr), *pb = xb->data + (tb - xb->addr);
    /* A string literal is compared up to its NUL; other anonymous data (SIMD
     * constants, tables) over 16 bytes, since its true extent is unknown. */
    uint64_t l = la < lb ? la : lb;
    const uint8_t *nul = memchr(pa, 0, l < 256 ? l : 256);
    if (nul && nul - pa >= 1)
        l = nul - pa + 1;
    else if (l > 16)
        l = 16;
    return same_data(d, pa, pb, ta, tb, l, 1);
}

static void build_anchors(struct bindiff *d);

static const uint8_t *code_of(const struct elfbin *b, const struct esym *s)
{
    if (s->sec <= 0 || (size_t)s->sec >= b->nsec)
        return NULL;
    const struct esec *x = &b->secs[s->sec];
    if (!x->data || s->addr < x->addr || s->addr + s->size > x->addr + x->size)
        return NULL;
    return x->data + (s->addr - x->addr);
}

/* The assembler resolves calls/jumps to functions in the same section itself,
 * leaving no relocation: such a rel32 matches if both point at the same
 * function + offset. Returns the field length matched at/around K, or 0. */
static int same_branch(struct bindiff *d, const struct esym *so, const struct esym *sn, const uint8_t *co,
                       const uint8_t *cn, uint64_t k, uint64_t lo)
{
    for (uint64_t back = 1; back <= 5 && back <= k; back++) {
        uint64_t op = k - back, f;
        if (op < lo)
            break;
        if (co[op] == 0xe8 || co[op] == 0xe9)
            f = op + 1;
        else if (op >= 1 && co[op - 1] == 0x0f && (co[op] & 0xf0) == 0x80)
            f = op + 1;
        else
            continue;
        if (co[op] != cn[op] || f > k || f + 4 <= k || f + 4 > so->size)
            continue;
        int32_t da, db;
        memcpy(&da, co + f, 4);
        memcpy(&db, cn + f, 4);
        uint64_t ta = so->addr + f + 4 + (int64_t)da, tb = sn->addr + f + 4 + (int64_t)db;
        const struct esym *xa = elf_sym_at(d->o, ta, 1), *xb = elf_sym_at(d->n, tb, 1);
        if (xa && xb && !strcmp(xa->name, xb->name) && ta - xa->addr == tb - xb->addr)
            return (int)(f + 4 - k);
    }
    return 0;
}

static int compare_func(struct bindiff *d, const struct esym *so, const struct esym *sn)
{
    if (so->size != sn->size)
        return 2;
    const uint8_t *co = code_of(d->o, so), *cn = code_of(d->n, sn);
    if (!co || !cn)
        return 2;
    if (!d->precise)
        return memcmp(co, cn, so->size) ? 2 : 1;
    size_t io = elf_rel_from(d->o, so->addr), in = elf_rel_from(d->n, sn->addr);
    uint64_t pos = 0;
    for (;;) {
        int mo = io < d->o->nrel && d->o->rels[io].addr < so->addr + so->size;
        int mn = in < d->n->nrel && d->n->rels[in].addr < sn->addr + sn->size;
        if (mo != mn)
            return 2;
        uint64_t end = mo ? d->o->rels[io].addr - so->addr : so->size;
        if (mo && end != d->n->rels[in].addr - sn->addr)
            return 2;
        if (end < pos) {
            ck_info("%s differs: overlapping relocations", so->name);
            return 2;
        }
        for (uint64_t k = pos; k < end; k++) {
            if (co[k] == cn[k])
                continue;
            int skip = same_branch(d, so, sn, co, cn, k, pos);
            if (!skip || k + skip > end) {
                ck_info("%s differs: code bytes at +%#lx", so->name, (unsigned long)k);
                return 2;
            }
            k += skip - 1;
        }
        if (!mo)
            return 1;
        const struct erel *ro = &d->o->rels[io], *rn = &d->n->rels[in];
        int w = elf_rel_width(ro->type);
        if (ro->type != rn->type || w < 0 || !same_target(d, ro, rn)) {
            ck_info("%s differs: relocation at +%#lx (%s%+ld)", so->name, (unsigned long)end,
                    ro->symname ? ro->symname : "section", (long)ro->addend);
            return 2;
        }
        pos = end + w;
        io++;
        in++;
    }
}

int bd_init(struct bindiff *d, const struct elfbin *o, const struct elfbin *n, const char *manual)
{
    memset(d, 0, sizeof *d);
    d->o = o;
    d->n = n;
    d->same = o->crc == n->crc && o->size == n->size;
    d->ident = d->same;
    d->precise = o->nrel > 0 && n->nrel > 0;
    d->chg = calloc(o->nsym ? o->nsym : 1, 1);
    if (manual) {
        size_t cnt = 1;
        for (const char *p = manual; *p; p++)
            cnt += *p == ',';
        d->manual = calloc(cnt + 1, sizeof *d->manual);
        char *cp = ck_xstrdup(manual), *save = NULL;
        size_t k = 0;
        for (char *t = strtok_r(cp, ",", &save); t; t = strtok_r(NULL, ",", &save))
            d->manual[k++] = ck_xstrdup(t);
        free(cp);
    }
    if (!d->same && d->precise)
        build_anchors(d);
    /* Writable data layout: every writable section and data object must sit at the same place. */
    d->rw_same = 1;
    for (size_t i = 0; i < o->nsec && d->rw_same; i++) {
        const struct esec *s = &o->secs[i];
        if (!(s->flags & SHF_ALLOC) || !(s->flags & SHF_WRITE))
            continue;
        int found = 0;
        for (size_t k = 0; k < n->nsec; k++)
            if (!strcmp(n->secs[k].name, s->name) && (n->secs[k].flags & SHF_ALLOC)) {
                found = 1;
                if (n->secs[k].addr != s->addr || n->secs[k].size != s->size) {
                    d->rw_same = 0;
                    snprintf(d->rw_why, sizeof d->rw_why, "section %s moved or resized (%#lx+%#lx -> %#lx+%#lx)",
                             s->name, (unsigned long)s->addr, (unsigned long)s->size,
                             (unsigned long)n->secs[k].addr, (unsigned long)n->secs[k].size);
                }
            }
        if (!found) {
            d->rw_same = 0;
            snprintf(d->rw_why, sizeof d->rw_why, "section %s is missing in the new binary", s->name);
        }
    }
    for (size_t i = 0; i < o->nsym && d->rw_same; i++) {
        const struct esym *s = &o->syms[i];
        if (s->type != STT_OBJECT || s->addr < o->rw_lo || s->addr >= o->rw_hi)
            continue;
        const struct esym *t = elf_sym_named(n, s->name);
        if (!t || t->addr != s->addr || t->size != s->size) {
            d->rw_same = 0;
            snprintf(d->rw_why, sizeof d->rw_why, "data object %s %s", s->name,
                     !t ? "is missing in the new binary" : "moved or changed size");
        }
    }
    return 0;
}

static int cmp_anchor(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return *x < *y ? -1 : *x > *y;
}

/* Literals and tables have no symbol, but unchanged code refers to them through
 * corresponding relocations: each such pair tells where the literal went. */
static void build_anchors(struct bindiff *d)
{
    size_t cap = 0;
    for (size_t i = 0; i < d->o->nsym; i++) {
        const struct esym *s = &d->o->syms[i];
        if (s->type != STT_FUNC || !s->size || bd_changed(d, s))
            continue;
        const struct esym *t = elf_sym_named(d->n, s->name);
        size_t io = elf_rel_from(d->o, s->addr), in = elf_rel_from(d->n, t->addr);
        for (; io < d->o->nrel && d->o->rels[io].addr < s->addr + s->size; io++, in++) {
            const struct erel *a = &d->o->rels[io], *b = &d->n->rels[in];
            if (real_name(a->symname))
                continue;
            uint64_t ta = a->target + (is_pcrel(a->type) ? 4 : 0), tb = b->target + (is_pcrel(b->type) ? 4 : 0);
            if (ta == tb || ta < d->o->img_lo || ta >= d->o->img_hi || (ta >= d->o->text_lo && ta < d->o->text_hi))
                continue;
            if (d->nanchors == cap)
                d->anchors = ck_xrealloc(d->anchors, (cap = cap ? cap * 2 : 1024) * sizeof *d->anchors);
            d->anchors[d->nanchors].from = ta;
            d->anchors[d->nanchors].to = tb;
            d->nanchors++;
        }
    }
    qsort(d->anchors, d->nanchors, sizeof *d->anchors, cmp_anchor);
}

static int manual_has(const struct bindiff *d, const char *name)
{
    const char *base = strrchr(name, ':');
    base = base ? base + 1 : name;
    for (char **m = d->manual; *m; m++)
        if (!strcmp(*m, name) || !strcmp(*m, base))
            return 1;
    return 0;
}

int bd_changed(struct bindiff *d, const struct esym *s)
{
    size_t idx = s - d->o->syms;
    if (d->chg[idx])
        return d->chg[idx] == 2;
    int r;
    const struct esym *t = elf_sym_named(d->n, s->name);
    if (d->manual)
        r = (!t || manual_has(d, s->name)) ? 2 : 1;
    else if (d->same)
        r = 1;
    else if (!t || s->dup)
        r = 2;
    else
        r = compare_func(d, s, t);
    d->chg[idx] = r;
    return r == 2;
}

void bd_set_bias(struct bindiff *d, uint64_t ob, uint64_t nb)
{
    d->ob = ob;
    d->nb = nb;
    d->ident = d->same && ob == nb;
}

static int in_old(const struct bindiff *d, uint64_t a) { return a >= d->o->img_lo + d->ob && a < d->o->img_hi + d->ob; }

static int xlate_text_link(struct bindiff *d, uint64_t old, uint64_t *out);
static int xlate_data_link(struct bindiff *d, uint64_t old, uint64_t *out);

int bd_xlate_text(struct bindiff *d, uint64_t old, uint64_t *out)
{
    uint64_t t = 0;
    if (!in_old(d, old)) {
        *out = old;
        return 0;
    }
    if (xlate_text_link(d, old - d->ob, &t) < 0)
        return -1;
    *out = t + d->nb;
    return 0;
}

int bd_xlate_data(struct bindiff *d, uint64_t old, uint64_t *out)
{
    uint64_t t = 0;
    if (!in_old(d, old)) {
        *out = old;
        return 0;
    }
    if (xlate_data_link(d, old - d->ob, &t) < 0)
        return -1;
    *out = t + d->nb;
    return 0;
}

static int xlate_text_link(struct bindiff *d, uint64_t old, uint64_t *out)
{
    if (d->same) {
        *out = old;
        return 0;
    }
    const struct esym *s = elf_sym_at(d->o, old, 1);
    if (!s && (s = elf_sym_exact(d->o, old))) {
        const struct esym *t = elf_sym_named(d->n, s->name);
        if (!t)
            return ck_err("code label %s does not exist in the new binary", s->name);
        *out = t->addr;
        return 0;
    }
    if (!s) {
        /* Unsymbolled code (PLT stubs): identical bytes at the identical place translate to themselves. */
        const struct esec *a = elf_sec_at(d->o, old), *b = elf_sec_at(d->n, old);
        if (a && b && a->data && b->data && !strcmp(a->name, b->name) && old + 16 <= a->addr + a->size &&
            old + 16 <= b->addr + b->size && !memcmp(a->data + (old - a->addr), b->data + (old - b->addr), 16)) {
            *out = old;
            return 0;
        }
        return ck_err("code address %#lx is in no function of the old binary", (unsigned long)old);
    }
    const struct esym *t = elf_sym_named(d->n, s->name);
    if (!t)
        return ck_err("function %s (address %#lx) does not exist in the new binary", s->name, (unsigned long)old);
    if (old != s->addr && bd_changed(d, s))
        return ck_err("address %#lx is inside function %s, which changed", (unsigned long)old, s->name);
    *out = t->addr + (old - s->addr);
    return 0;
}

static int xlate_data_link(struct bindiff *d, uint64_t old, uint64_t *out)
{
    if (d->same) {
        *out = old;
        return 0;
    }
    const struct esym *s = elf_sym_at(d->o, old, 0);
    if (s) {
        const struct esym *t = elf_sym_named(d->n, s->name);
        if (!t || t->size != s->size)
            return ck_err("data object %s %s", s->name, t ? "changed size" : "is missing in the new binary");
        *out = t->addr + (old - s->addr);
        return 0;
    }
    size_t lo = 0, hi = d->nanchors;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->anchors[mid].from < old)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < d->nanchors && d->anchors[lo].from == old) {
        *out = d->anchors[lo].to;
        return 0;
    }
    const struct esym *lab = elf_sym_exact(d->o, old);
    if (lab) {
        const struct esym *t = elf_sym_named(d->n, lab->name);
        if (t) {
            *out = t->addr;
            return 0;
        }
    }
    const struct esec *a = elf_sec_at(d->o, old), *b = elf_sec_at(d->n, old);
    if (a) {
        /* same offset in the same-named section with the same bytes (e.g. .eh_frame start) */
        for (size_t k = 0; k < d->n->nsec; k++) {
            const struct esec *c = &d->n->secs[k];
            uint64_t off = old - a->addr;
            if (strcmp(c->name, a->name) || !a->data || !c->data || off + 16 > a->size || off + 16 > c->size)
                continue;
            if (!memcmp(a->data + off, c->data + off, 16)) {
                *out = c->addr + off;
                return 0;
            }
        }
    }
    if (!a || !b || strcmp(a->name, b->name))
        return ck_err("address %#lx is in no data object that exists in the new binary", (unsigned long)old);
    if (a->data && b->data) {
        uint64_t l = 16;
        if (old + l > a->addr + a->size) l = a->addr + a->size - old;
        if (old + l > b->addr + b->size) return ck_err("anonymous data at %#lx moved", (unsigned long)old);
        if (memcmp(a->data + (old - a->addr), b->data + (old - b->addr), l))
            return ck_err("anonymous data at %#lx (%s) differs in the new binary", (unsigned long)old, a->name);
    } else if (a->addr != b->addr) {
        return ck_err("anonymous data at %#lx (%s) moved", (unsigned long)old, a->name);
    }
    *out = old;
    return 0;
}

void bd_print_changed(struct bindiff *d, FILE *f)
{
    for (size_t i = 0; i < d->o->nsym; i++) {
        const struct esym *s = &d->o->syms[i];
        if (s->type == STT_FUNC && s->size && bd_changed(d, s))
            fprintf(f, "%s%s\n", s->name, elf_sym_named(d->n, s->name) ? "" : " (removed)");
    }
    for (size_t i = 0; i < d->n->nsym; i++) {
        const struct esym *s = &d->n->syms[i];
        if (s->type == STT_FUNC && s->size && !elf_sym_named(d->o, s->name))
            fprintf(f, "%s (added)\n", s->name);
    }
}

void bd_free(struct bindiff *d)
{
    free(d->chg);
    free(d->anchors);
    if (d->manual) {
        for (char **m = d->manual; *m; m++)
            free(*m);
        free(d->manual);
    }
    memset(d, 0, sizeof *d);
}
