/* Guest-virtual to guest-physical translation through the guest's own page tables, for the
 * debugger (never for emulation: accessed/dirty bits are not set, protection is not checked).
 *
 * Every table the walk reads is checked against the guest's RAM before it is read (the VMM's
 * memory is identity-mapped: an unchecked guest pointer would reach the other guest or the VMM),
 * and so is the final physical address. The walk has a fixed number of levels, so a hostile
 * table (an entry pointing back at its own table, or at an ancestor) cannot make it loop.
 *
 * Modes, chosen from CR0.PG, CR4.PAE, CR4.LA57 and EFER.LMA as the processor does:
 *   paging off             identity (the address is taken as it is)
 *   32-bit, no PAE         2 levels, 4K pages; 4M pages with CR4.PSE (PSE-36 high bits)
 *   32-bit PAE             PDPT + 2 levels, 4K and 2M pages
 *   long mode, 4-level     PML4, PDPT, PD, PT: 4K, 2M, 1G pages; 48-bit canonical addresses
 *   long mode, 5-level     PML5 first (CR4.LA57); 57-bit canonical addresses
 * Reserved bits reported: physical-address bits at or above MAXPHYADDR, PS in a PML5E or PML4E,
 * the reserved low bits of a large-page entry, XD (bit 63) without EFER.NXE, the PDPTE
 * reserved bits in PAE mode. */
#ifndef HS_DEBUG_GVA_H
#define HS_DEBUG_GVA_H
#include <stddef.h>
#include <stdint.h>

/* Guest-physical memory as the walker sees it. */
struct gva_mem {
    void *ctx;
    /* Reads len bytes of guest-physical memory at pa into buf: returns the number of bytes read
     * (len on success) or a negative number. The walker only calls it for ranges it has already
     * checked against ram_size; the implementation checks again. */
    long (*read_phys)(void *ctx, uint64_t pa, void *buf, size_t len);
    uint64_t ram_size;   /* guest-physical RAM is [0, ram_size) */
    unsigned maxphyaddr; /* physical-address width in bits (e.g. 46); 0 or > 52 means 52 */
};

enum gva_status {
    GVA_OK = 0,
    GVA_NOT_PRESENT = -1,   /* an entry on the walk has P=0 */
    GVA_RESERVED = -2,      /* an entry on the walk has a reserved bit set */
    GVA_NONCANONICAL = -3,  /* the address is not canonical for the paging mode */
    GVA_OUTSIDE_RAM = -4,   /* a table, or the translated address, is outside guest RAM */
    GVA_READ_FAILED = -5,   /* read_phys failed */
};

/* Control-register bits the walker reads. */
#define GVA_CR0_PG (1ull << 31)
#define GVA_CR4_PSE (1ull << 4)
#define GVA_CR4_PAE (1ull << 5)
#define GVA_CR4_LA57 (1ull << 12)
#define GVA_EFER_LMA (1ull << 10)
#define GVA_EFER_NXE (1ull << 11)

/* Translates va; on success stores the guest-physical address in *pa and returns GVA_OK (0).
 * On failure returns a negative enum gva_status and writes one line (no newline) saying which
 * entry, where, and why into why (if whylen > 0). */
int gva_translate(const struct gva_mem *m, uint64_t cr3, uint64_t cr4, uint64_t efer, uint64_t cr0, uint64_t va,
                  uint64_t *pa, char *why, size_t whylen);

/* A short name of the paging mode the control registers select ("4-level", "5-level", "PAE",
 * "32-bit", "off"). */
const char *gva_mode_name(uint64_t cr4, uint64_t efer, uint64_t cr0);

#endif
