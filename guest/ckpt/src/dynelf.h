/* The dynamic-linking view of an ELF file (executable or shared library), read with libelf:
 * build-id, soname, DT_NEEDED, PT_INTERP, dynamic relocations with their symbol versions,
 * and the dynamic symbol table for symbol lookup by name and version. */
#ifndef CKPT_DYNELF_H
#define CKPT_DYNELF_H
#include <stddef.h>
#include <stdint.h>

struct dsym {
    const char *name, *version; /* version: from .gnu.version_d (NULL if none) */
    uint64_t value;
    int type, bind, defined, hidden; /* hidden: a non-default version (name@VER, not @@) */
};

struct drel {
    uint64_t addr;       /* link-time address of the field */
    uint32_t type;       /* R_X86_64_* */
    int64_t addend;
    const struct dsym *sym; /* NULL for R_X86_64_RELATIVE and friends */
    const char *need;    /* version the reference requires (.gnu.version_r), or NULL */
};

struct dynelf {
    char *path;
    int fd;
    void *elf;            /* Elf * */
    int type;             /* ET_EXEC / ET_DYN */
    uint64_t entry;       /* e_entry */
    uint8_t build_id[64];
    size_t build_id_len;
    char soname[256], interp[256];
    char **needed;
    size_t nneeded;
    struct dsym *syms;
    size_t nsym;
    struct drel *rels;
    size_t nrel;
    uint32_t gnu_hash[4]; /* nbuckets, symoffset, bloom words, bloom shift (all 0 without .gnu.hash) */
    uint64_t load_lo;     /* lowest PT_LOAD vaddr, page-aligned: runtime base = mapping start - load_lo */
    uint64_t span;        /* page-aligned extent of the PT_LOAD segments */
    uint64_t rw_lo, rw_hi; /* page-aligned extent of the writable PT_LOAD segment(s) */
    uint64_t tls_memsz, tls_align;
    int phnum;
    int has_symtab;       /* a .symtab section (not stripped) */
};

/* Loads the dynamic view of PATH; a file without PT_DYNAMIC loads with empty tables. */
int dynelf_load(struct dynelf *d, const char *path);
/* Frees what dynelf_load allocated. */
void dynelf_free(struct dynelf *d);
/* Finds a defined symbol NAME (with version VER, or the default version when VER is NULL);
 * 0 and its link-time value and type, or -1 (no reason recorded: not finding is normal). */
int dynelf_lookup(const struct dynelf *d, const char *name, const char *ver, uint64_t *value, int *type);
/* The relocation at link-time address ADDR, or NULL. */
const struct drel *dynelf_rel_at(const struct dynelf *d, uint64_t addr);
/* Build-id as hex into BUF (LEN >= 129); "" when the file has none. */
void dynelf_build_id_hex(const struct dynelf *d, char *buf, size_t len);
#endif
