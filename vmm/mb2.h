/* Multiboot2 boot information: the parts the VMM uses. */
#ifndef HS_MB2_H
#define HS_MB2_H
#include <stddef.h>
#include <stdint.h>

#define MB2_BOOTLOADER_MAGIC 0x36D76289u
#define MB2_MAX_MMAP 128
#define MB2_MAX_MODULES 16
#define MB2_MMAP_AVAILABLE 1

struct mb2_mmap_entry {
    uint64_t base, len;
    uint32_t type;
};

struct mb2_module {
    uint64_t start, end;     /* physical, end exclusive */
    const char *cmdline;     /* points into the boot information */
};

struct mb2_info {
    const char *cmdline;     /* the VMM's own command line, "" if none */
    const char *loader;      /* boot loader name, "" if none */
    unsigned n_mmap, n_modules;
    struct mb2_mmap_entry mmap[MB2_MAX_MMAP];
    struct mb2_module modules[MB2_MAX_MODULES];
    uint64_t total_size;     /* size of the boot information block */
    const void *rsdp;        /* the loader's copy of the ACPI RSDP (tag 15, else 14); NULL if none */
    uint32_t rsdp_len;
};

/* Parses the boot information at mbi; returns 0, or -1 with a reason in err. */
int mb2_parse(const void *mbi, struct mb2_info *out, char *err, size_t errlen);
/* Finds a module whose command line's first word is name; NULL if none. */
const struct mb2_module *mb2_find_module(const struct mb2_info *info, const char *name);

#endif
