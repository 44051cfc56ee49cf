/* The boot-information contract of hindsight.efi with the VMM: the same multiboot2 information
 * GRUB builds (vmm/mb2.c parses both), and the VMM image checked and placed where it is linked.
 * Pure C without libc or EFI types, so the host unit tests run it against vmm/mb2.c. */
#ifndef HS_EFI_BOOTINFO_H
#define HS_EFI_BOOTINFO_H
#include <stddef.h>
#include <stdint.h>

#define MB2_INFO_MAGIC 0x36D76289u
/* hindsight.elf carries this 8-byte marker followed by the address of its 64-bit entry
 * (boot/multiboot2.asm: _start64(magic, mbi), entered in long mode with boot services exited). */
#define HS_EFI64_MARKER 0x0134364946455348ull /* "HSEFI64\x01" little-endian */

/* A multiboot2 information block being written into buf (8-byte aligned, below 4 GiB). */
struct mb2b {
    uint8_t *buf;
    uint32_t cap, off;
    int overflow;
};

/* Starts a block in buf[0..cap). */
void mb2b_init(struct mb2b *b, void *buf, uint32_t cap);
/* Appends a string tag (1: command line, 2: boot loader name). */
void mb2b_string(struct mb2b *b, uint32_t type, const char *s);
/* Appends a module tag: [start, end) physical (below 4 GiB), named name (the VMM's lookup word). */
void mb2b_module(struct mb2b *b, uint32_t start, uint32_t end, const char *name);
/* Appends a tag with a raw payload (14/15: copies of the ACPI RSDP). */
void mb2b_raw(struct mb2b *b, uint32_t type, const void *p, uint32_t n);
/* Appends the memory map (tag 6) converted from a UEFI memory map (map_size bytes of desc_size
 * descriptors), adjacent ranges of one multiboot2 type merged, at most max_entries; returns
 * the entry count, or -1 if the map does not fit (after merging) or is malformed. */
int mb2b_mmap_from_efi(struct mb2b *b, const void *map, uint64_t map_size, uint64_t desc_size, unsigned max_entries);
/* Appends the end tag and writes the total size; returns it, or 0 if buf was too small. */
uint32_t mb2b_finish(struct mb2b *b);
/* The multiboot2 memory type for a UEFI memory type (1 available, 2 reserved, 3 ACPI, 4 NVS, 5 bad). */
uint32_t mb2_type_of_efi(uint32_t efi_type);

#define VMM_MAX_SEGS 8
struct vmm_image {
    uint64_t lo, hi;                /* physical range the loadable segments cover (page-aligned) */
    uint64_t entry64;               /* the 64-bit entry named by the marker */
    unsigned nseg;
    struct { uint64_t paddr, offset, filesz, memsz; } seg[VMM_MAX_SEGS];
};

/* Checks that img (size bytes) is hindsight.elf: ELF64 x86-64 executable, PT_LOAD segments inside
 * the file and between 1 MiB and 4 GiB, and a 64-bit entry marker; returns 0, or -1 and why. */
int vmm_image_check(const void *img, uint64_t size, struct vmm_image *out, char *err, size_t errlen);

#endif
