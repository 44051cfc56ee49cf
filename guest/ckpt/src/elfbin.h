/* What ckpt needs to know about an executable, read with libelf: sections,
 * symbols (locals qualified by source file so they can be matched across
 * builds) and, when linked with --emit-relocs, the relocations. */
#ifndef CKPT_ELFBIN_H
#define CKPT_ELFBIN_H
#include "dynelf.h"
#include <stddef.h>
#include <stdint.h>

struct esec {
    char *name;
    uint64_t addr, size, flags;
    uint32_t type;
    const uint8_t *data; /* file contents; NULL for NOBITS */
};

struct esym {
    char *name;   /* "file.c:sym" for locals, "sym" for globals */
    uint64_t addr, size;
    int type;     /* STT_FUNC / STT_OBJECT / STT_TLS / STT_NOTYPE */
    int sec;
    int dup;      /* qualified name not unique: never matched across binaries */
};

struct erel {
    uint64_t addr;       /* where the field is */
    uint32_t type;
    int64_t addend;
    uint64_t target;     /* S + A */
    const char *symname; /* named (non-section) target symbol, else NULL */
};

struct elfbin {
    char *path;
    int fd;
    void *elf;           /* Elf * */
    uint64_t entry, size;
    uint32_t crc;        /* CRC-32C of the file: "is this the same binary" */
    int is_exec;         /* ET_EXEC (non-PIE) */
    int synth;           /* rels decoded from the code (no --emit-relocs) */
    struct dynelf dy;    /* dynamic-linking view: PT_INTERP, DT_NEEDED, dynamic relocations */
    struct esec *secs;
    size_t nsec;
    struct esym *syms;   /* sorted by address */
    size_t nsym;
    struct esym **byname; /* sorted by name */
    struct erel *rels;   /* sorted by address */
    size_t nrel;
    uint64_t text_lo, text_hi, img_lo, img_hi, rw_lo, rw_hi;
};

/* Loads PATH; fails with a reason for non-ELF, non-x86-64 or symbol-less files. Without
 * --emit-relocs relocations, they are recovered by decoding the code (decode.h). */
int elf_load(struct elfbin *b, const char *path);
/* Frees everything elf_load allocated. */
void elf_free(struct elfbin *b);
/* The sized symbol containing ADDR (functions if FUNCS, else data objects), or NULL. */
const struct esym *elf_sym_at(const struct elfbin *b, uint64_t addr, int funcs);
/* A (non-TLS) symbol starting exactly at ADDR, sized or not (e.g. glibc's __restore_rt), or NULL. */
const struct esym *elf_sym_exact(const struct elfbin *b, uint64_t addr);
/* The unique symbol with qualified NAME, or NULL. */
const struct esym *elf_sym_named(const struct elfbin *b, const char *name);
/* The allocated section containing ADDR, or NULL. */
const struct esec *elf_sec_at(const struct elfbin *b, uint64_t addr);
/* Index of the first relocation at or after ADDR. */
size_t elf_rel_from(const struct elfbin *b, uint64_t addr);
/* Width in bytes of the field a relocation type patches (0 = unknown type). */
int elf_rel_width(uint32_t type);
/* CRC-32C of a whole file, used to recognise the checkpointed binary. */
int file_crc(const char *path, uint32_t *crc, uint64_t *size);
#endif
