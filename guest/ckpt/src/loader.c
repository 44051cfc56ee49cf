#include "loader.h"
#include "inject.h"
#include "libs.h"
#include "util.h"
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ld_read_new(pid_t pid, const struct dynelf *ldso, struct ld_new *nw)
{
    memset(nw, 0, sizeof *nw);
    uint64_t rdv;
    int type;
    if (proc_auxv(pid, AT_BASE, &nw->base) < 0)
        return -1;
    if (dynelf_lookup(ldso, "_r_debug", NULL, &rdv, &type) < 0)
        return ck_err("%s exports no _r_debug: cannot find the dynamic linker's link_map chain", ldso->path);
    if (pt_read(pid, nw->base + rdv + 8, &nw->main_map, 8) < 0)
        return -1;
    /* The map may sit near the end of a mapping: read what can be read. */
    for (nw->maplen = LD_MAP_BYTES; nw->maplen >= 512; nw->maplen /= 2)
        if (pt_read(pid, nw->main_map, nw->map, nw->maplen) == 0)
            break;
    if (nw->maplen < 512)
        return ck_err("cannot read the new process's main link_map at %#lx", (unsigned long)nw->main_map);
    size_t n = ldso->rw_hi - ldso->rw_lo;
    nw->rw = ck_xmalloc(n ? n : 1);
    return n ? pt_read(pid, nw->base + ldso->rw_lo, nw->rw, n) : 0;
}

void ld_free_new(struct ld_new *nw)
{
    free(nw->rw);
    nw->rw = NULL;
}

static int in_span(struct ld_span s, uint64_t v) { return v >= s.lo && v <= s.hi; }

/* Word-by-word rule over LEN bytes of old memory at OLDADDR against NEWB. */
static void patch_words(uint64_t oldaddr, const uint8_t *newb, size_t len, struct ld_span os, struct ld_span ns,
                        ld_read_fn rd, ld_write_fn wr, void *ctx, int *n)
{
    for (size_t k = 0; k + 8 <= len; k += 8) {
        const uint8_t *o = rd(ctx, oldaddr + k, 8);
        uint64_t ov, nv;
        if (!o)
            continue;
        memcpy(&ov, o, 8);
        memcpy(&nv, newb + k, 8);
        if (in_span(os, ov) && in_span(ns, nv) && ov != nv) {
            uint8_t *w = wr(ctx, oldaddr + k, 8);
            if (w) {
                ck_info("loader word at %#lx: %#lx -> %#lx", (unsigned long)(oldaddr + k), (unsigned long)ov,
                        (unsigned long)nv);
                memcpy(w, &nv, 8);
                (*n)++;
            }
        }
    }
}

int ld_patch(const struct ld_new *nw, const struct ck_exe *exe, const struct dynelf *ldso, const struct dynelf *odyn,
             const struct dynelf *ndyn, struct ld_span os, struct ld_span ns, ld_read_fn rd, ld_write_fn wr, void *ctx,
             int *n)
{
    *n = 0;
    const uint8_t *p = rd(ctx, exe->r_debug + 8, 8);
    uint64_t om;
    if (!exe->r_debug || !p)
        return ck_err("the image has no saved _r_debug of the dynamic linker");
    memcpy(&om, p, 8);
    size_t len = nw->maplen;
    while (len >= 8 && !rd(ctx, om, len))
        len -= 8;
    if (len < 512)
        return ck_err("the saved main link_map at %#lx is not in the image", (unsigned long)om);
    ck_info("main link_map: old %#lx, new %#lx (%zu bytes compared)", (unsigned long)om, (unsigned long)nw->main_map, len);
    patch_words(om, nw->map, len, os, ns, rd, wr, ctx, n);
    patch_words(exe->ldso_base + ldso->rw_lo, nw->rw, ldso->rw_hi - ldso->rw_lo, os, ns, rd, wr, ctx, n);
    /* l_nbuckets, l_gnu_bitmask_idxbits, l_gnu_shift: three consecutive 32-bit fields. */
    uint32_t og[3] = {odyn->gnu_hash[0], odyn->gnu_hash[2] - 1, odyn->gnu_hash[3]};
    uint32_t ng[3] = {ndyn->gnu_hash[0], ndyn->gnu_hash[2] - 1, ndyn->gnu_hash[3]};
    if (memcmp(og, ng, sizeof og)) {
        int done = 0;
        for (size_t k = 0; k + 12 <= len && !done; k += 4) {
            const uint8_t *o = rd(ctx, om + k, 12);
            uint8_t *w = o && !memcmp(o, og, 12) && !memcmp(nw->map + k, ng, 12) ? wr(ctx, om + k, 12) : NULL;
            if (w) {
                memcpy(w, ng, 12);
                done = 1;
            }
        }
        if (!done)
            return ck_err("refusing to restore: the new build's dynamic symbol hash table has another shape and its "
                          "place in the dynamic linker's record was not found");
    }
    if (odyn->phnum != ndyn->phnum)
        return ck_err("refusing to restore: the new build has %d program headers, the checkpointed one %d",
                      ndyn->phnum, odyn->phnum);
    return 0;
}

int ld_scope(const struct ck_exe *exe, const struct ck_image *img, ld_read_fn rd, void *ctx, struct ld_scope *sc)
{
    memset(sc, 0, sizeof *sc);
    const uint8_t *p = rd(ctx, exe->r_debug + 8, 8);
    if (!p)
        return ck_err("the image has no saved _r_debug of the dynamic linker");
    uint64_t m;
    memcpy(&m, p, 8);
    for (int hops = 0; m && hops < 4096; hops++) {
        const uint8_t *lm = rd(ctx, m, 32);
        if (!lm)
            return ck_err("the saved link_map chain leaves the image at %#lx", (unsigned long)m);
        uint64_t addr, next;
        memcpy(&addr, lm, 8);
        memcpy(&next, lm + 24, 8);
        if (hops > 0) { /* the first is the executable */
            for (size_t i = 0; i < img->nrec; i++) {
                const struct ck_lib *l = img->recs[i].data;
                if (img->recs[i].type != CK_REC_LIB || !l->is_elf || l->base != addr)
                    continue;
                sc->lib = ck_xrealloc(sc->lib, (sc->n + 1) * sizeof *sc->lib);
                sc->lib[sc->n].base = addr;
                if (dynelf_load(&sc->lib[sc->n].d, l->path) < 0) {
                    dynelf_free(&sc->lib[sc->n].d);
                    return -1;
                }
                sc->n++;
                break;
            }
        }
        m = next;
    }
    return 0;
}

void ld_scope_free(struct ld_scope *sc)
{
    for (size_t i = 0; i < sc->n; i++)
        dynelf_free(&sc->lib[i].d);
    free(sc->lib);
    memset(sc, 0, sizeof *sc);
}

int ld_fix_got(const struct dynelf *ndyn, uint64_t nb, const struct ld_scope *sc, uint8_t *buf, uint64_t lo, size_t len,
               ld_call_fn call, void *cctx, int *n)
{
    *n = 0;
    for (size_t i = 0; i < ndyn->nrel; i++) {
        const struct drel *r = &ndyn->rels[i];
        if (r->type != R_X86_64_GLOB_DAT && r->type != R_X86_64_JUMP_SLOT && r->type != R_X86_64_64)
            continue;
        if (!r->sym || r->addr < lo || r->addr + 8 > lo + len)
            continue;
        uint64_t v = 0;
        int found = 0, type = 0;
        if (r->sym->defined) { /* the executable comes first in the lookup scope */
            v = nb + r->sym->value;
            type = r->sym->type;
            found = 1;
        }
        for (size_t k = 0; k < sc->n && !found; k++) {
            uint64_t val;
            if (dynelf_lookup(&sc->lib[k].d, r->sym->name, r->need, &val, &type) == 0) {
                v = sc->lib[k].base + val;
                found = 1;
            }
        }
        if (!found) {
            if (r->sym->bind != STB_WEAK)
                return ck_err("refusing to restore: the new build uses %s%s%s, which none of the checkpointed process's "
                              "libraries defines", r->sym->name, r->need ? "@" : "", r->need ? r->need : "");
        } else if (type == STT_GNU_IFUNC) {
            uint64_t t = call(cctx, v);
            if (!t)
                return ck_err("refusing to restore: the resolver of %s failed in the new process", r->sym->name);
            v = t;
        }
        if (r->type == R_X86_64_64)
            v += r->addend;
        memcpy(buf + (r->addr - lo), &v, 8);
        (*n)++;
    }
    return 0;
}
