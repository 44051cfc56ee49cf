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
static int same_target(struct bindiff *d, const struct erel *a, const struct erel *b)
{
    if (a->symname && b->symname)
        return !strcmp(a->symname, b->symname) && a->addend == b->addend;
    if (!!a->symname != !!b->symname)
        return 0;
    uint64_t ta = a->target + (is_pcrel(a->type) ? 4 : 0), tb = b->target + (is_pcrel(b->type) ? 4 : 0);
    const struct esym *sa = elf_sym_at(d->o, ta, 0), *sb = elf_sym_at(d->n, tb, 0);
    if (!sa)
        sa = elf_sym_at(d->o, ta, 1);
    if (!sb)
        sb = elf_sym_at(d->n, tb, 1);
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
    uint64_t l = la < lb ? la : lb;
    if (l > 32)
        l = 32;
    return la >= l && lb >= l && !memcmp(xa->data + (ta - xa->addr), xb->data + (tb - xb->addr), l);
}

static const uint8_t *code_of(const struct elfbin *b, const struct esym *s)
{
    if (s->sec <= 0 || (size_t)s->sec >= b->nsec)
        return NULL;
    const struct esec *x = &b->secs[s->sec];
    if (!x->data || s->addr < x->addr || s->addr + s->size > x->addr + x->size)
        return NULL;
    return x->data + (s->addr - x->addr);
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
        if (end < pos || memcmp(co + pos, cn + pos, end - pos))
            return 2;
        if (!mo)
            return 1;
        const struct erel *ro = &d->o->rels[io], *rn = &d->n->rels[in];
        int w = elf_rel_width(ro->type);
        if (ro->type != rn->type || w < 0 || !same_target(d, ro, rn))
            return 2;
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

int bd_xlate_text(struct bindiff *d, uint64_t old, uint64_t *out)
{
    if (d->same) {
        *out = old;
        return 0;
    }
    const struct esym *s = elf_sym_at(d->o, old, 1);
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

int bd_xlate_data(struct bindiff *d, uint64_t old, uint64_t *out)
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
    const struct esec *a = elf_sec_at(d->o, old), *b = elf_sec_at(d->n, old);
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
    if (d->manual) {
        for (char **m = d->manual; *m; m++)
            free(*m);
        free(d->manual);
    }
    memset(d, 0, sizeof *d);
}
