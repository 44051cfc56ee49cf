#include "elfbin.h"
#include "crc32c.h"
#include "decode.h"
#include "util.h"
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int file_crc(const char *path, uint32_t *crc, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ck_errno("open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return ck_errno("stat %s", path);
    }
    *size = st.st_size;
    *crc = 0;
    if (st.st_size) {
        void *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return ck_errno("mmap %s", path);
        }
        *crc = crc32c(0, m, st.st_size);
        munmap(m, st.st_size);
    }
    close(fd);
    return 0;
}

static int cmp_addr(const void *a, const void *b)
{
    const struct esym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    /* larger first so containment lookups find the enclosing symbol */
    return x->size > y->size ? -1 : x->size < y->size;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(struct esym *const *)a)->name, (*(struct esym *const *)b)->name);
}

static int cmp_rel(const void *a, const void *b)
{
    const struct erel *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int elf_rel_width(uint32_t t)
{
    switch (t) {
    case R_X86_64_64: case R_X86_64_PC64: case R_X86_64_GOTOFF64: case R_X86_64_GOTPC64:
    case R_X86_64_DTPOFF64: case R_X86_64_TPOFF64: case R_X86_64_SIZE64:
        return 8;
    case R_X86_64_PC32: case R_X86_64_PLT32: case R_X86_64_GOTPCREL: case R_X86_64_32:
    case R_X86_64_32S: case R_X86_64_TPOFF32: case R_X86_64_GOTTPOFF: case R_X86_64_GOTPCRELX:
    case R_X86_64_REX_GOTPCRELX: case R_X86_64_DTPOFF32: case R_X86_64_TLSGD: case R_X86_64_TLSLD:
    case R_X86_64_GOTPC32: case R_X86_64_GOT32: case R_X86_64_SIZE32: case R_X86_64_GOTPC32_TLSDESC:
        return 4;
    case R_X86_64_16: case R_X86_64_PC16:
        return 2;
    case R_X86_64_8: case R_X86_64_PC8:
        return 1;
    case R_X86_64_NONE: case R_X86_64_TLSDESC_CALL:
        return 0;
    }
    return -1;
}

int elf_load(struct elfbin *b, const char *path)
{
    memset(b, 0, sizeof *b);
    b->fd = -1;
    b->dy.fd = -1;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ck_err("libelf: %s", elf_errmsg(-1));
    if (file_crc(path, &b->crc, &b->size) < 0)
        return -1;
    b->path = ck_xstrdup(path);
    b->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (b->fd < 0)
        return ck_errno("open %s", path);
    Elf *e = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        if (e)
            elf_end(e);
        close(b->fd);
        b->fd = -1;
        return ck_err("%s is not an ELF file", path);
    }
    b->elf = e;
    GElf_Ehdr eh;
    if (!gelf_getehdr(e, &eh) || eh.e_machine != EM_X86_64 || gelf_getclass(e) != ELFCLASS64) {
        elf_free(b);
        return ck_err("%s is not an x86-64 ELF executable", path);
    }
    b->entry = eh.e_entry;
    b->is_exec = eh.e_type == ET_EXEC;
    size_t phnum;
    elf_getphdrnum(e, &phnum);
    b->img_lo = b->text_lo = b->rw_lo = UINT64_MAX;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, i, &ph) || ph.p_type != PT_LOAD)
            continue;
        uint64_t lo = ph.p_vaddr, hi = ph.p_vaddr + ph.p_memsz;
        if (lo < b->img_lo) b->img_lo = lo;
        if (hi > b->img_hi) b->img_hi = hi;
        if ((ph.p_flags & PF_X) && lo < b->text_lo) b->text_lo = lo;
        if ((ph.p_flags & PF_X) && hi > b->text_hi) b->text_hi = hi;
        if ((ph.p_flags & PF_W) && lo < b->rw_lo) b->rw_lo = lo;
        if ((ph.p_flags & PF_W) && hi > b->rw_hi) b->rw_hi = hi;
    }
    size_t shnum, shstr;
    elf_getshdrnum(e, &shnum);
    elf_getshdrstrndx(e, &shstr);
    b->secs = calloc(shnum, sizeof *b->secs);
    b->nsec = shnum;
    Elf_Scn *symscn = NULL;
    GElf_Shdr symsh;
    for (size_t i = 0; i < shnum; i++) {
        Elf_Scn *s = elf_getscn(e, i);
        GElf_Shdr sh;
        if (!s || !gelf_getshdr(s, &sh))
            continue;
        struct esec *es = &b->secs[i];
        const char *nm = elf_strptr(e, shstr, sh.sh_name);
        es->name = ck_xstrdup(nm ? nm : "");
        es->addr = sh.sh_addr;
        es->size = sh.sh_size;
        es->flags = sh.sh_flags;
        es->type = sh.sh_type;
        if (sh.sh_type != SHT_NOBITS && (sh.sh_flags & SHF_ALLOC)) {
            Elf_Data *d = elf_rawdata(s, NULL);
            es->data = d ? d->d_buf : NULL;
        }
        if (sh.sh_type == SHT_SYMTAB) {
            symscn = s;
            symsh = sh;
        }
    }
    if (!symscn) {
        elf_free(b);
        return ck_err("%s has no symbol table (.symtab; stripped?): ckpt finds functions and data objects by "
                      "name: keep the symbol table (do not strip, do not link with -s)", path);
    }
    Elf_Data *sd = elf_getdata(symscn, NULL);
    size_t nsyms = symsh.sh_size / symsh.sh_entsize;
    b->syms = calloc(nsyms, sizeof *b->syms);
    const char *file = "";
    char **symnames = calloc(nsyms, sizeof *symnames); /* by symtab index, for relocations */
    for (size_t i = 0; i < nsyms; i++) {
        GElf_Sym s;
        if (!gelf_getsym(sd, i, &s))
            continue;
        const char *nm = elf_strptr(e, symsh.sh_link, s.st_name);
        int t = GELF_ST_TYPE(s.st_info);
        if (t == STT_FILE) {
            file = nm ? nm : "";
            continue;
        }
        if (!nm || !*nm || t == STT_SECTION)
            continue;
        char *q;
        if (GELF_ST_BIND(s.st_info) == STB_LOCAL) {
            q = ck_xmalloc(strlen(file) + strlen(nm) + 2);
            sprintf(q, "%s:%s", file, nm);
        } else {
            q = ck_xstrdup(nm);
        }
        symnames[i] = q;
        if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE || (t != STT_FUNC && t != STT_OBJECT &&
                                                                        t != STT_TLS && t != STT_NOTYPE && t != STT_GNU_IFUNC))
            continue;
        /* size-0 labels are kept: glibc's __restore_rt, crtbegin's __EH_FRAME_BEGIN__ are pointed at */
        struct esym *y = &b->syms[b->nsym++];
        y->name = q;
        y->addr = s.st_value;
        y->size = s.st_size;
        y->type = t == STT_GNU_IFUNC ? STT_FUNC : t;
        y->sec = s.st_shndx;
    }
    qsort(b->syms, b->nsym, sizeof *b->syms, cmp_addr);
    b->byname = ck_xmalloc(b->nsym * sizeof *b->byname);
    for (size_t i = 0; i < b->nsym; i++)
        b->byname[i] = &b->syms[i];
    qsort(b->byname, b->nsym, sizeof *b->byname, cmp_name);
    for (size_t i = 1; i < b->nsym; i++)
        if (!strcmp(b->byname[i]->name, b->byname[i - 1]->name)) {
            /* aliases at the same place are harmless; distinct objects are ambiguous */
            if (b->byname[i]->addr != b->byname[i - 1]->addr)
                b->byname[i]->dup = b->byname[i - 1]->dup = 1;
        }

    /* Relocations that --emit-relocs kept, for sections that are loaded. */
    size_t cap = 0;
    for (size_t i = 0; i < shnum; i++) {
        Elf_Scn *s = elf_getscn(e, i);
        GElf_Shdr sh;
        if (!s || !gelf_getshdr(s, &sh) || sh.sh_type != SHT_RELA || sh.sh_info == 0 || sh.sh_info >= shnum)
            continue;
        if (!(b->secs[sh.sh_info].flags & SHF_ALLOC) || (sh.sh_flags & SHF_ALLOC))
            continue; /* .rela.plt (IRELATIVE) is loaded and handled by pointer translation */
        Elf_Data *rd = elf_getdata(s, NULL);
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t k = 0; k < n; k++) {
            GElf_Rela r;
            if (!gelf_getrela(rd, k, &r))
                continue;
            if (b->nrel == cap)
                b->rels = ck_xrealloc(b->rels, (cap = cap ? cap * 2 : 4096) * sizeof *b->rels);
            struct erel *x = &b->rels[b->nrel++];
            size_t si = GELF_R_SYM(r.r_info);
            GElf_Sym s;
            uint64_t sv = 0;
            if (si < nsyms && gelf_getsym(sd, si, &s)) {
                sv = s.st_value;
                if (GELF_ST_TYPE(s.st_info) == STT_SECTION && s.st_shndx < shnum)
                    sv = b->secs[s.st_shndx].addr;
            }
            x->addr = r.r_offset;
            x->type = GELF_R_TYPE(r.r_info);
            x->addend = r.r_addend;
            x->target = sv + r.r_addend;
            x->symname = si < nsyms ? symnames[si] : NULL;
        }
    }
    qsort(b->rels, b->nrel, sizeof *b->rels, cmp_rel);
    /* Names stay allocated for the life of the tool: relocations point at them. */
    free(symnames);
    if (dynelf_load(&b->dy, path) < 0) {
        elf_free(b);
        return -1;
    }
    if (b->nrel == 0 && decode_relocs(b) < 0) {
        elf_free(b);
        return -1;
    }
    return 0;
}

void elf_free(struct elfbin *b)
{
    if (b->elf)
        elf_end(b->elf);
    if (b->fd >= 0)
        close(b->fd);
    for (size_t i = 0; i < b->nsec; i++)
        free(b->secs[i].name);
    free(b->secs);
    free(b->syms);
    free(b->byname);
    free(b->rels);
    free(b->path);
    dynelf_free(&b->dy);
    memset(b, 0, sizeof *b);
    b->fd = -1;
    b->dy.fd = -1;
}

const struct esym *elf_sym_at(const struct elfbin *b, uint64_t addr, int funcs)
{
    /* last symbol starting at or before addr */
    size_t lo = 0, hi = b->nsym;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->syms[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* walk back a little: nested/overlapping symbols are rare but exist */
    for (size_t i = lo, steps = 0; i-- > 0 && steps < 64; steps++) {
        const struct esym *s = &b->syms[i];
        int isf = s->type == STT_FUNC;
        if (isf != !!funcs || s->size == 0 || s->type == STT_TLS)
            continue;
        if (addr >= s->addr && addr < s->addr + s->size)
            return s;
        if (funcs && isf)
            return NULL; /* functions do not nest */
    }
    return NULL;
}

const struct esym *elf_sym_exact(const struct elfbin *b, uint64_t addr)
{
    size_t lo = 0, hi = b->nsym;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->syms[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < b->nsym && b->syms[lo].addr == addr; lo++)
        if (!b->syms[lo].dup && b->syms[lo].type != STT_TLS)
            return &b->syms[lo];
    return NULL;
}

static const struct esym *sym_named_exact(const struct elfbin *b, const char *name);

const struct esym *elf_sym_named(const struct elfbin *b, const char *name)
{
    const struct esym *s = sym_named_exact(b, name);
    if (s || strchr(name, ':'))
        return s;
    /* a user may name a static function without its file: accept it when unique */
    size_t n = strlen(name);
    const struct esym *found = NULL;
    for (size_t i = 0; i < b->nsym; i++) {
        const char *q = b->syms[i].name, *c = strrchr(q, ':');
        if (c && !strcmp(c + 1, name) && (size_t)(c + 1 - q) + n == strlen(q)) {
            if (found && found->addr != b->syms[i].addr)
                return NULL;
            found = &b->syms[i];
        }
    }
    return found;
}

static const struct esym *sym_named_exact(const struct elfbin *b, const char *name)
{
    size_t lo = 0, hi = b->nsym;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(b->byname[mid]->name, name);
        if (c == 0)
            return b->byname[mid]->dup ? NULL : b->byname[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct esec *elf_sec_at(const struct elfbin *b, uint64_t addr)
{
    for (size_t i = 0; i < b->nsec; i++) {
        const struct esec *s = &b->secs[i];
        if ((s->flags & SHF_ALLOC) && addr >= s->addr && addr < s->addr + s->size && s->type != SHT_NULL)
            return s;
    }
    return NULL;
}

size_t elf_rel_from(const struct elfbin *b, uint64_t addr)
{
    size_t lo = 0, hi = b->nrel;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (b->rels[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
