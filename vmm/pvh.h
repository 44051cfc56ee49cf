/* Loading an ELF kernel for the PVH boot ABI and building its start_info. */
#ifndef HS_PVH_H
#define HS_PVH_H
#include <stddef.h>
#include <stdint.h>

/* Guest-physical layout of what the VMM writes below 1 MiB for the guest. */
#define GUEST_START_INFO_GPA 0x7000ull   /* hvm_start_info, modlist, memmap */
#define GUEST_CMDLINE_GPA    0x8000ull   /* kernel command line, up to 4 KiB */
#define GUEST_CMDLINE_MAX    4096u
#define GUEST_LOW_RESERVED   0x9FC00ull  /* start of the reserved legacy area */

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336EC578u

struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};
#define E820_RAM 1
#define E820_RESERVED 2

struct pvh_kernel {
    uint32_t entry;            /* 32-bit physical entry point from the PVH note */
    uint64_t lo, hi;           /* guest-physical range the segments occupy */
};

/* Loads an ELF32/ELF64 x86 image's PT_LOAD segments into guest memory and finds its PVH entry.
 * Returns 0, or -1 with the reason in err; guest memory may be partly written on failure. */
int pvh_load_elf(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gmem_size,
                 struct pvh_kernel *out, char *err, size_t errlen);
/* Builds the e820 map for a guest of mem bytes; returns the number of entries (at most max). */
unsigned e820_build(uint64_t mem, struct hvm_memmap_entry *map, unsigned max);
/* Writes start_info, memory map, command line and the optional initrd module entry into guest
 * memory; returns 0, or -1 with a reason (command line too long). */
int pvh_write_start_info(uint8_t *gmem, uint64_t gmem_size, const char *cmdline, uint64_t initrd_gpa,
                         uint64_t initrd_size, char *err, size_t errlen);

#endif
