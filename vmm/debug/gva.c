/* Guest page-table walker for the debugger (see gva.h). */
#include "debug/gva.h"
#include "lib.h"

#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)

static unsigned phys_bits(const struct gva_mem *m)
{
    unsigned b = m->maxphyaddr;
    if (b == 0 || b > 52)
        return 52;
    return b < 32 ? 32 : b;
}

static void say(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || !whylen)
        return;
    va_list ap;
    va_start(ap, fmt);
    hs_vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* One walk: the request and where the answer and the message go. */
struct walk {
    const struct gva_mem *m;
    uint64_t va;
    char *why;
    size_t whylen;
};

/* Reads the size-byte entry at pa (a table entry), after checking that it lies inside RAM. */
static int read_entry(const struct walk *w, const char *name, uint64_t pa, unsigned size, uint64_t *entry)
{
    uint64_t ram = w->m->ram_size;
    if (ram < size || pa > ram - size) {
        say(w->why, w->whylen, "va 0x%lx: %s at pa 0x%lx is outside guest RAM (0x%lx bytes)", w->va, name, pa, ram);
        return GVA_OUTSIDE_RAM;
    }
    uint8_t b[8] = { 0 };
    if (!w->m->read_phys || w->m->read_phys(w->m->ctx, pa, b, size) != (long)size) {
        say(w->why, w->whylen, "va 0x%lx: cannot read %s at pa 0x%lx", w->va, name, pa);
        return GVA_READ_FAILED;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)b[i] << (8 * i);
    *entry = v;
    return GVA_OK;
}

static int not_present(const struct walk *w, const char *name, unsigned idx, uint64_t pa, uint64_t e)
{
    say(w->why, w->whylen, "va 0x%lx: %s[%u] at pa 0x%lx = 0x%lx: not present", w->va, name, idx, pa, e);
    return GVA_NOT_PRESENT;
}

static int reserved(const struct walk *w, const char *name, unsigned idx, uint64_t pa, uint64_t e, const char *what)
{
    say(w->why, w->whylen, "va 0x%lx: %s[%u] at pa 0x%lx = 0x%lx: reserved bits set (%s)", w->va, name, idx, pa, e,
        what);
    return GVA_RESERVED;
}

static int in_ram(const struct walk *w, uint64_t pa, uint64_t *out)
{
    if (pa >= w->m->ram_size) {
        say(w->why, w->whylen, "va 0x%lx maps to pa 0x%lx, outside guest RAM (0x%lx bytes)", w->va, pa,
            w->m->ram_size);
        return GVA_OUTSIDE_RAM;
    }
    *out = pa;
    return GVA_OK;
}

static const char *const long_names[] = { "", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };

/* IA-32e paging, 4 or 5 levels. */
static int walk_long(const struct walk *w, uint64_t cr3, bool la57, bool nxe, uint64_t *pa)
{
    unsigned levels = la57 ? 5 : 4, vbits = la57 ? 57 : 48, mp = phys_bits(w->m);
    uint64_t top = w->va >> (vbits - 1);
    if (top != 0 && top != (~0ull >> (vbits - 1))) {
        say(w->why, w->whylen, "va 0x%lx is not canonical (%u-bit addresses, %u-level paging)", w->va, vbits, levels);
        return GVA_NONCANONICAL;
    }
    uint64_t phys_mask = (mp == 64 ? ~0ull : (1ull << mp) - 1);
    uint64_t addr_mask = phys_mask & ~0xFFFull;
    uint64_t rsv_hi = ((1ull << 52) - 1) & ~phys_mask; /* bits [51:MAXPHYADDR] */
    cr3 &= (1ull << 52) - 1;                          /* 63 (no-flush) and LAM bits are not addresses */
    if (cr3 & rsv_hi) {
        say(w->why, w->whylen, "va 0x%lx: CR3 0x%lx has bits above MAXPHYADDR (%u)", w->va, cr3, mp);
        return GVA_RESERVED;
    }
    uint64_t table = cr3 & addr_mask;
    for (unsigned lvl = levels; lvl >= 1; lvl--) {
        const char *name = long_names[lvl];
        unsigned shift = 12 + 9 * (lvl - 1);
        unsigned idx = (unsigned)((w->va >> shift) & 511);
        uint64_t epa = table + idx * 8ull, e;
        int r = read_entry(w, name, epa, 8, &e);
        if (r)
            return r;
        if (!(e & PTE_P))
            return not_present(w, name, idx, epa, e);
        if (e & rsv_hi)
            return reserved(w, name, idx, epa, e, "address bits above MAXPHYADDR");
        if (!nxe && (e & PTE_XD))
            return reserved(w, name, idx, epa, e, "XD without EFER.NXE");
        if (lvl >= 4 && (e & PTE_PS))
            return reserved(w, name, idx, epa, e, lvl == 5 ? "PS in a PML5E" : "PS in a PML4E");
        if ((lvl == 3 || lvl == 2) && (e & PTE_PS)) {
            uint64_t page = 1ull << shift;
            if (e & (page - 1) & ~0x1FFFull) /* bits [shift-1:13]; bit 12 is PAT */
                return reserved(w, name, idx, epa, e, lvl == 3 ? "1G page, bits 29:13" : "2M page, bits 20:13");
            return in_ram(w, (e & addr_mask & ~(page - 1)) | (w->va & (page - 1)), pa);
        }
        if (lvl == 1)
            return in_ram(w, (e & addr_mask) | (w->va & 0xFFF), pa);
        table = e & addr_mask;
    }
    return GVA_NOT_PRESENT; /* not reached: level 1 always returns */
}

/* 32-bit PAE paging: a 4-entry PDPT, then PD and PT with 8-byte entries. */
static int walk_pae(const struct walk *w, uint64_t cr3, bool nxe, uint64_t *pa)
{
    unsigned mp = phys_bits(w->m);
    uint64_t phys_mask = (1ull << mp) - 1, addr_mask = phys_mask & ~0xFFFull;
    uint64_t rsv_hi = ~phys_mask & ~PTE_XD; /* bits [62:MAXPHYADDR] */
    unsigned idx = (unsigned)((w->va >> 30) & 3);
    uint64_t epa = (cr3 & 0xFFFFFFE0ull) + idx * 8ull, e;
    int r = read_entry(w, "PDPTE", epa, 8, &e);
    if (r)
        return r;
    if (!(e & PTE_P))
        return not_present(w, "PDPTE", idx, epa, e);
    if (e & (~phys_mask | 0x1E6ull))
        return reserved(w, "PDPTE", idx, epa, e, "PAE PDPTE reserved bits");
    uint64_t table = e & addr_mask;
    for (unsigned lvl = 2; lvl >= 1; lvl--) {
        const char *name = lvl == 2 ? "PDE" : "PTE";
        unsigned shift = lvl == 2 ? 21 : 12;
        idx = (unsigned)((w->va >> shift) & 511);
        epa = table + idx * 8ull;
        r = read_entry(w, name, epa, 8, &e);
        if (r)
            return r;
        if (!(e & PTE_P))
            return not_present(w, name, idx, epa, e);
        if (e & rsv_hi)
            return reserved(w, name, idx, epa, e, "address bits above MAXPHYADDR");
        if (!nxe && (e & PTE_XD))
            return reserved(w, name, idx, epa, e, "XD without EFER.NXE");
        if (lvl == 2 && (e & PTE_PS)) {
            if (e & 0x1FE000ull)
                return reserved(w, name, idx, epa, e, "2M page, bits 20:13");
            return in_ram(w, (e & addr_mask & ~0x1FFFFFull) | (w->va & 0x1FFFFF), pa);
        }
        if (lvl == 1)
            return in_ram(w, (e & addr_mask) | (w->va & 0xFFF), pa);
        table = e & addr_mask;
    }
    return GVA_NOT_PRESENT;
}

/* 32-bit paging: PD and PT with 4-byte entries, 4M pages with CR4.PSE. */
static int walk_32(const struct walk *w, uint64_t cr3, bool pse, uint64_t *pa)
{
    unsigned idx = (unsigned)((w->va >> 22) & 1023);
    uint64_t epa = (cr3 & 0xFFFFF000ull) + idx * 4ull, e;
    int r = read_entry(w, "PDE", epa, 4, &e);
    if (r)
        return r;
    if (!(e & PTE_P))
        return not_present(w, "PDE", idx, epa, e);
    if (pse && (e & PTE_PS)) {
        unsigned mp = phys_bits(w->m);
        uint64_t hi = (e >> 13) & 0xFF; /* PSE-36: physical bits 39:32 */
        unsigned hibits = mp >= 40 ? 8 : mp - 32;
        if ((e & (1ull << 21)) || (hi >> hibits))
            return reserved(w, "PDE", idx, epa, e, "4M page, bits 21:13");
        return in_ram(w, (hi << 32) | (e & 0xFFC00000ull) | (w->va & 0x3FFFFF), pa);
    }
    uint64_t table = e & 0xFFFFF000ull;
    idx = (unsigned)((w->va >> 12) & 1023);
    epa = table + idx * 4ull;
    r = read_entry(w, "PTE", epa, 4, &e);
    if (r)
        return r;
    if (!(e & PTE_P))
        return not_present(w, "PTE", idx, epa, e);
    return in_ram(w, (e & 0xFFFFF000ull) | (w->va & 0xFFF), pa);
}

int gva_translate(const struct gva_mem *m, uint64_t cr3, uint64_t cr4, uint64_t efer, uint64_t cr0, uint64_t va,
                  uint64_t *pa, char *why, size_t whylen)
{
    struct walk w = { m, va, why, whylen };
    uint64_t out = 0;
    int r;
    if (why && whylen)
        why[0] = 0;
    if (!(cr0 & GVA_CR0_PG)) {
        r = in_ram(&w, va, &out);
    } else if (efer & GVA_EFER_LMA) {
        r = walk_long(&w, cr3, (cr4 & GVA_CR4_LA57) != 0, (efer & GVA_EFER_NXE) != 0, &out);
    } else if (va >> 32) {
        say(why, whylen, "va 0x%lx is above 4 GiB in 32-bit paging", va);
        r = GVA_NONCANONICAL;
    } else if (cr4 & GVA_CR4_PAE) {
        r = walk_pae(&w, cr3, (efer & GVA_EFER_NXE) != 0, &out);
    } else {
        r = walk_32(&w, cr3, (cr4 & GVA_CR4_PSE) != 0, &out);
    }
    if (r == GVA_OK && pa)
        *pa = out;
    return r;
}

const char *gva_mode_name(uint64_t cr4, uint64_t efer, uint64_t cr0)
{
    if (!(cr0 & GVA_CR0_PG))
        return "off";
    if (efer & GVA_EFER_LMA)
        return (cr4 & GVA_CR4_LA57) ? "5-level" : "4-level";
    return (cr4 & GVA_CR4_PAE) ? "PAE" : "32-bit";
}
