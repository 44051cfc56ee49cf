#include "dynelf.h"
#include "util.h"
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PGDN(x) ((x) & ~0xfffull)
#define PGUP(x) (((x) + 0xfff) & ~0xfffull)

static int cmp_rel(const void *a, const void *b)
{
    const struct drel *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Version index -> name, from .gnu.version_d (definitions) or .gnu.version_r (requirements). */
static void version_names(Elf *e, Elf_Scn *s, GElf_Shdr *sh, const char **names, size_t nnames)
{
    Elf_Data *d = elf_getdata(s, NULL);
    if (!d)
        return;
    size_t off = 0;
    for (size_t i = 0; i < sh->sh_info; i++) {
        if (sh->sh_type == SHT_GNU_verdef) {
            GElf_Verdef vd;
            GElf_Verdaux va;
            if (!gelf_getverdef(d, off, &vd) || !gelf_getverdaux(d, off + vd.vd_aux, &va))
                return;
            if (vd.vd_ndx < nnames)
                names[vd.vd_ndx] = elf_strptr(e, sh->sh_link, va.vda_name);
            if (!vd.vd_next)
                return;
            off += vd.vd_next;
        } else {
            GElf_Verneed vn;
            if (!gelf_getverneed(d, off, &vn))
                return;
            size_t ao = off + vn.vn_aux;
            for (size_t k = 0; k < vn.vn_cnt; k++) {
                GElf_Vernaux va;
                if (!gelf_getvernaux(d, ao, &va))
                    return;
                if (va.vna_other < nnames)
                    names[va.vna_other] = elf_strptr(e, sh->sh_link, va.vna_name);
                if (!va.vna_next)
                    break;
                ao += va.vna_next;
            }
            if (!vn.vn_next)
                return;
            off += vn.vn_next;
        }
    }
}

int dynelf_load(struct dynelf *d, const char *path)
{
    memset(d, 0, sizeof *d);
    d->fd = -1;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ck_err("libelf: %s", elf_errmsg(-1));
    d->path = ck_xstrdup(path);
    d->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (d->fd < 0)
        return ck_errno("open %s", path);
    Elf *e = elf_begin(d->fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || eh.e_machine != EM_X86_64) {
        if (e)
            elf_end(e);
        return ck_err("%s is not an x86-64 ELF file", path);
    }
    d->elf = e;
    d->type = eh.e_type;
    d->entry = eh.e_entry;
    d->phnum = eh.e_phnum;
    size_t phnum = 0;
    elf_getphdrnum(e, &phnum);
    d->load_lo = UINT64_MAX;
    d->rw_lo = UINT64_MAX;
    uint64_t hi = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, i, &ph))
            continue;
        if (ph.p_type == PT_LOAD) {
            if (PGDN(ph.p_vaddr) < d->load_lo) d->load_lo = PGDN(ph.p_vaddr);
            if (PGUP(ph.p_vaddr + ph.p_memsz) > hi) hi = PGUP(ph.p_vaddr + ph.p_memsz);
            if (ph.p_flags & PF_W) {
                if (PGDN(ph.p_vaddr) < d->rw_lo) d->rw_lo = PGDN(ph.p_vaddr);
                if (PGUP(ph.p_vaddr + ph.p_memsz) > d->rw_hi) d->rw_hi = PGUP(ph.p_vaddr + ph.p_memsz);
            }
        } else if (ph.p_type == PT_TLS) {
            d->tls_memsz = ph.p_memsz;
            d->tls_align = ph.p_align;
        } else if (ph.p_type == PT_INTERP) {
            size_t n;
            char *raw = elf_rawfile(e, &n);
            if (raw && ph.p_offset + ph.p_filesz <= n && ph.p_filesz > 0)
                snprintf(d->interp, sizeof d->interp, "%.*s", (int)ph.p_filesz, raw + ph.p_offset);
        }
    }
    if (d->load_lo == UINT64_MAX)
        d->load_lo = 0;
    if (d->rw_lo == UINT64_MAX)
        d->rw_lo = d->rw_hi = 0;
    d->span = hi > d->load_lo ? hi - d->load_lo : 0;
    size_t shnum = 0;
    elf_getshdrnum(e, &shnum);
    Elf_Scn *dynsym = NULL, *versym = NULL;
    GElf_Shdr dsh = {0};
    const char *vnames[1024] = {0};
    for (size_t i = 0; i < shnum; i++) {
        Elf_Scn *s = elf_getscn(e, i);
        GElf_Shdr sh;
        if (!s || !gelf_getshdr(s, &sh))
            continue;
        if (sh.sh_type == SHT_SYMTAB)
            d->has_symtab = 1;
        if (sh.sh_type == SHT_DYNSYM) {
            dynsym = s;
            dsh = sh;
        } else if (sh.sh_type == SHT_GNU_versym) {
            versym = s;
        } else if (sh.sh_type == SHT_GNU_verdef || sh.sh_type == SHT_GNU_verneed) {
            version_names(e, s, &sh, vnames, 1024);
        } else if (sh.sh_type == SHT_NOTE) {
            Elf_Data *nd = elf_getdata(s, NULL);
            size_t off = 0, no, doff;
            GElf_Nhdr nh;
            while (nd && (off = gelf_getnote(nd, off, &nh, &no, &doff)) > 0)
                if (nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz <= sizeof d->build_id && !d->build_id_len) {
                    memcpy(d->build_id, (char *)nd->d_buf + doff, nh.n_descsz);
                    d->build_id_len = nh.n_descsz;
                }
        } else if (sh.sh_type == SHT_GNU_HASH) {
            Elf_Data *hd = elf_rawdata(s, NULL);
            if (hd && hd->d_size >= 16)
                memcpy(d->gnu_hash, hd->d_buf, 16);
        } else if (sh.sh_type == SHT_DYNAMIC) {
            Elf_Data *dd = elf_getdata(s, NULL);
            size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
            for (size_t k = 0; dd && k < n; k++) {
                GElf_Dyn dy;
                if (!gelf_getdyn(dd, k, &dy))
                    continue;
                const char *str = (dy.d_tag == DT_NEEDED || dy.d_tag == DT_SONAME)
                                      ? elf_strptr(e, sh.sh_link, dy.d_un.d_val) : NULL;
                if (!str)
                    continue;
                if (dy.d_tag == DT_SONAME) {
                    snprintf(d->soname, sizeof d->soname, "%s", str);
                } else {
                    d->needed = ck_xrealloc(d->needed, (d->nneeded + 1) * sizeof *d->needed);
                    d->needed[d->nneeded++] = ck_xstrdup(str);
                }
            }
        }
    }
    if (!dynsym)
        return 0;
    Elf_Data *sd = elf_getdata(dynsym, NULL), *vd = versym ? elf_getdata(versym, NULL) : NULL;
    size_t n = dsh.sh_entsize ? dsh.sh_size / dsh.sh_entsize : 0;
    d->syms = calloc(n ? n : 1, sizeof *d->syms);
    d->nsym = n;
    for (size_t i = 0; sd && i < n; i++) {
        GElf_Sym s;
        if (!gelf_getsym(sd, i, &s))
            continue;
        struct dsym *y = &d->syms[i];
        y->name = elf_strptr(e, dsh.sh_link, s.st_name);
        y->value = s.st_value;
        y->type = GELF_ST_TYPE(s.st_info);
        y->bind = GELF_ST_BIND(s.st_info);
        y->defined = s.st_shndx != SHN_UNDEF;
        GElf_Versym v;
        if (vd && gelf_getversym(vd, i, &v)) {
            y->hidden = (v & 0x8000) != 0;
            if ((v & 0x7fff) >= 2 && (v & 0x7fff) < 1024)
                y->version = vnames[v & 0x7fff];
        }
    }
    for (size_t i = 0; i < shnum; i++) {
        Elf_Scn *s = elf_getscn(e, i);
        GElf_Shdr sh;
        if (!s || !gelf_getshdr(s, &sh) || sh.sh_type != SHT_RELA || !(sh.sh_flags & SHF_ALLOC) ||
            elf_ndxscn(dynsym) != sh.sh_link)
            continue;
        Elf_Data *rd = elf_getdata(s, NULL);
        size_t nr = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        d->rels = ck_xrealloc(d->rels, (d->nrel + nr + 1) * sizeof *d->rels);
        for (size_t k = 0; rd && k < nr; k++) {
            GElf_Rela r;
            if (!gelf_getrela(rd, k, &r))
                continue;
            struct drel *x = &d->rels[d->nrel++];
            size_t si = GELF_R_SYM(r.r_info);
            x->addr = r.r_offset;
            x->type = GELF_R_TYPE(r.r_info);
            x->addend = r.r_addend;
            x->sym = si && si < n ? &d->syms[si] : NULL;
            x->need = x->sym && !x->sym->defined ? x->sym->version : NULL;
        }
    }
    qsort(d->rels, d->nrel, sizeof *d->rels, cmp_rel);
    return 0;
}

void dynelf_free(struct dynelf *d)
{
    if (d->elf)
        elf_end(d->elf);
    if (d->fd >= 0)
        close(d->fd);
    for (size_t i = 0; i < d->nneeded; i++)
        free(d->needed[i]);
    free(d->needed);
    free(d->syms);
    free(d->rels);
    free(d->path);
    memset(d, 0, sizeof *d);
    d->fd = -1;
}

int dynelf_lookup(const struct dynelf *d, const char *name, const char *ver, uint64_t *value, int *type)
{
    const struct dsym *best = NULL;
    for (size_t i = 0; i < d->nsym; i++) {
        const struct dsym *s = &d->syms[i];
        if (!s->defined || !s->name || strcmp(s->name, name) || s->bind == STB_LOCAL)
            continue;
        if (ver && s->version) {
            if (strcmp(ver, s->version))
                continue;
        } else if (s->hidden) {
            continue; /* an unversioned reference binds to the default version only */
        }
        best = s;
        break;
    }
    if (!best)
        return -1;
    *value = best->value;
    *type = best->type;
    return 0;
}

const struct drel *dynelf_rel_at(const struct dynelf *d, uint64_t addr)
{
    size_t lo = 0, hi = d->nrel;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->rels[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->nrel && d->rels[lo].addr == addr ? &d->rels[lo] : NULL;
}

void dynelf_build_id_hex(const struct dynelf *d, char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < d->build_id_len && 2 * i + 2 < len; i++)
        snprintf(buf + 2 * i, 3, "%02x", d->build_id[i]);
}
