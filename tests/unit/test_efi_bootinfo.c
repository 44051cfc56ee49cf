/* hindsight.efi's half of the boot contract: the multiboot2 block it builds is read back with
 * the VMM's own parser (vmm/mb2.c), the UEFI memory map is converted and merged, and the VMM
 * image is checked before anything jumps into it. */
#include <stdlib.h>
#include <string.h>
#include "bootinfo.h"
#include "check.h"
#include "mb2.h"

static _Alignas(8) uint8_t blk[8192];
static struct mb2_info mi;
static char err[160];

/* A UEFI memory descriptor (40 bytes, padded to dsize). */
static void desc(uint8_t *map, unsigned i, unsigned dsize, uint32_t type, uint64_t base, uint64_t pages)
{
    uint8_t *d = map + i * dsize;
    memset(d, 0, dsize);
    memcpy(d, &type, 4);
    memcpy(d + 8, &base, 8);
    memcpy(d + 24, &pages, 8);
}

TEST(efi_bootinfo_parsed_by_the_vmm)
{
    struct mb2b b;
    mb2b_init(&b, blk, sizeof(blk));
    mb2b_string(&b, 1, "");
    mb2b_string(&b, 2, "hindsight.efi");
    mb2b_module(&b, 0x2000000, 0x2010000, "kernel");
    mb2b_module(&b, 0x3000000, 0x3000020, "config");
    uint8_t rsdp[36] = "RSD PTR ";
    rsdp[15] = 2;
    mb2b_raw(&b, 15, rsdp, 36);
    uint8_t map[48 * 6];
    desc(map, 0, 48, 7, 0, 0x9F);          /* conventional */
    desc(map, 1, 48, 0, 0x9F000, 0x61);    /* reserved */
    desc(map, 2, 48, 2, 0x100000, 0x100);  /* loader data (the VMM), merged with ... */
    desc(map, 3, 48, 4, 0x200000, 0x100);  /* ... boot services data and ... */
    desc(map, 4, 48, 7, 0x300000, 0x1000); /* ... conventional: one available range */
    desc(map, 5, 48, 9, 0x1300000, 0x10);  /* ACPI reclaim */
    CHECK_EQ(mb2b_mmap_from_efi(&b, map, sizeof(map), 48, 128), 4);
    uint32_t total = mb2b_finish(&b);
    CHECK(total > 0);
    uint8_t *copy = malloc(total); /* exactly total bytes: ASan sees any read past the end */
    memcpy(copy, blk, total);
    CHECK_EQ(mb2_parse(copy, &mi, err, sizeof(err)), 0);
    CHECK_STREQ(mi.loader, "hindsight.efi");
    CHECK_EQ(mi.n_modules, 2);
    CHECK(mb2_find_module(&mi, "kernel") && mb2_find_module(&mi, "kernel")->start == 0x2000000);
    CHECK(mb2_find_module(&mi, "config") && mb2_find_module(&mi, "config")->end == 0x3000020);
    CHECK(mi.rsdp && mi.rsdp_len == 36);
    CHECK_EQ(mi.n_mmap, 4);
    CHECK_EQ(mi.mmap[0].type, 1);
    CHECK_EQ(mi.mmap[1].type, 2);
    CHECK_EQ(mi.mmap[2].base, 0x100000);
    CHECK_EQ(mi.mmap[2].len, 0x1200000);
    CHECK_EQ(mi.mmap[2].type, 1);
    CHECK_EQ(mi.mmap[3].type, 3);
    free(copy);
}

TEST(efi_memory_types)
{
    CHECK_EQ(mb2_type_of_efi(7), 1);  /* conventional */
    CHECK_EQ(mb2_type_of_efi(3), 1);  /* boot services code: free after ExitBootServices */
    CHECK_EQ(mb2_type_of_efi(5), 2);  /* runtime services code: never */
    CHECK_EQ(mb2_type_of_efi(6), 2);
    CHECK_EQ(mb2_type_of_efi(11), 2); /* MMIO */
    CHECK_EQ(mb2_type_of_efi(10), 4); /* NVS */
    CHECK_EQ(mb2_type_of_efi(8), 5);  /* unusable */
    CHECK_EQ(mb2_type_of_efi(14), 2); /* persistent memory: not the VMM's */
}

TEST(efi_bootinfo_limits)
{
    struct mb2b b;
    /* More distinct ranges than the VMM takes: refused, not truncated. */
    static uint8_t map[40 * 200];
    for (unsigned i = 0; i < 200; i++)
        desc(map, i, 40, i % 2 ? 0 : 7, (uint64_t)i << 20, 16);
    mb2b_init(&b, blk, sizeof(blk));
    CHECK_EQ(mb2b_mmap_from_efi(&b, map, sizeof(map), 40, 128), -1);
    /* Malformed descriptor sizes. */
    mb2b_init(&b, blk, sizeof(blk));
    CHECK_EQ(mb2b_mmap_from_efi(&b, map, 100, 40, 128), -1);
    CHECK_EQ(mb2b_mmap_from_efi(&b, map, 80, 8, 128), -1);
    /* A buffer too small for the block: finish says so. */
    mb2b_init(&b, blk, 64);
    mb2b_string(&b, 2, "a loader name far longer than the sixty-four bytes this block may take");
    CHECK_EQ(mb2b_finish(&b), 0);
}

/* A minimal hindsight.elf: one PT_LOAD at 1 MiB holding the marker and the entry. */
static size_t make_elf(uint8_t *f, size_t cap, uint64_t paddr, uint64_t entry, int marker)
{
    memset(f, 0, cap);
    memcpy(f, "\x7f" "ELF", 4);
    f[4] = 2, f[5] = 1, f[6] = 1;
    uint16_t type = 2, mach = 62, phentsize = 56, phnum = 1;
    uint64_t phoff = 64;
    memcpy(f + 16, &type, 2);
    memcpy(f + 18, &mach, 2);
    memcpy(f + 32, &phoff, 8);
    memcpy(f + 54, &phentsize, 2);
    memcpy(f + 56, &phnum, 2);
    uint8_t *ph = f + 64;
    uint32_t pt_load = 1;
    uint64_t off = 0x1000, filesz = 0x100, memsz = 0x3000;
    memcpy(ph, &pt_load, 4);
    memcpy(ph + 8, &off, 8);
    memcpy(ph + 24, &paddr, 8);
    memcpy(ph + 32, &filesz, 8);
    memcpy(ph + 40, &memsz, 8);
    if (marker) {
        uint64_t m = HS_EFI64_MARKER;
        memcpy(f + 0x1018, &m, 8);
        memcpy(f + 0x1020, &entry, 8);
    }
    return 0x1100;
}

TEST(efi_vmm_image_check)
{
    static uint8_t f[0x2000];
    struct vmm_image vi;
    size_t n = make_elf(f, sizeof(f), 0x100000, 0x100040, 1);
    CHECK_EQ(vmm_image_check(f, n, &vi, err, sizeof(err)), 0);
    CHECK_EQ(vi.entry64, 0x100040);
    CHECK_EQ(vi.lo, 0x100000);
    CHECK_EQ(vi.hi, 0x103000);
    CHECK_EQ(vi.nseg, 1);
    /* Truncated: the segment's bytes are not all there. */
    CHECK_EQ(vmm_image_check(f, n - 1, &vi, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "truncated");
    CHECK_EQ(vmm_image_check(f, 100, &vi, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "program headers lie outside the file");
    /* Not an ELF, the wrong machine, no marker, an entry outside, a segment below 1 MiB. */
    CHECK_EQ(vmm_image_check("MZ\x90\x00", 4, &vi, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "not an ELF file");
    make_elf(f, sizeof(f), 0x100000, 0x100040, 1);
    f[18] = 3;
    CHECK_EQ(vmm_image_check(f, n, &vi, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "x86-64");
    make_elf(f, sizeof(f), 0x100000, 0x100040, 0);
    CHECK_EQ(vmm_image_check(f, n, &vi, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "no 64-bit UEFI entry marker");
    make_elf(f, sizeof(f), 0x100000, 0x900000, 1);
    CHECK_EQ(vmm_image_check(f, n, &vi, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "outside the image");
    make_elf(f, sizeof(f), 0x1000, 0x1040, 1);
    CHECK_EQ(vmm_image_check(f, n, &vi, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "outside 1 MiB..4 GiB");
}
