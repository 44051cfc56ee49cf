/* The debugger's page-table walker (vmm/debug/gva.c) over hand-built tables in a fake RAM:
 * 4-level and 5-level long mode, 4K/2M/1G pages, PAE and 32-bit paging, paging off; non-present
 * and reserved entries, non-canonical addresses, tables and pages outside RAM (never read), a
 * self-referencing table; and guest-virtual reads across pages (dbg_read_virt). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dbg_fake.h"
#include "debug/gva.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define P 0x1ull
#define W 0x2ull
#define PS 0x80ull
#define XD (1ull << 63)

#define CR0_PG (1ull << 31)
#define CR0_LONG 0x80000011ull
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LONG 0x500ull /* LME LMA */
#define EFER_NXE (1ull << 11)

struct mem {
    uint8_t *ram;
    uint64_t size;
    unsigned reads;
    bool fail;
};

static long mem_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct mem *m = ctx;
    m->reads++;
    if (pa >= m->size || len > m->size - pa) {
        hs_fail(__FILE__, __LINE__, "walker read outside RAM: pa 0x%llx len %zu", (unsigned long long)pa, len);
        return -1;
    }
    if (m->fail)
        return -1;
    memcpy(buf, m->ram + pa, len);
    return (long)len;
}

static struct mem M;
static struct gva_mem G;

static void setup(uint64_t size)
{
    free(M.ram);
    M.ram = calloc(1, size);
    M.size = size;
    M.reads = 0;
    M.fail = false;
    G = (struct gva_mem){ &M, mem_read, size, 46 };
}

static void put64(uint64_t pa, uint64_t v)
{
    memcpy(M.ram + pa, &v, 8);
}

static void put32(uint64_t pa, uint32_t v)
{
    memcpy(M.ram + pa, &v, 4);
}

static unsigned idx(uint64_t va, unsigned lvl)
{
    return (unsigned)((va >> (12 + 9 * (lvl - 1))) & 511);
}

/* Long-mode tables for one va: table pages at t[levels-1..0] (t[levels-1] is the root), leaf at
 * level leaf pointing to pa. */
static void chain(const uint64_t *t, unsigned levels, unsigned leaf, uint64_t va, uint64_t pa)
{
    for (unsigned lvl = levels; lvl > leaf; lvl--)
        put64(t[lvl - 1] + idx(va, lvl) * 8, t[lvl - 2] | P | W);
    put64(t[leaf - 1] + idx(va, leaf) * 8, pa | P | W | (leaf > 1 ? PS : 0));
}

static int tr(uint64_t cr3, uint64_t cr4, uint64_t efer, uint64_t cr0, uint64_t va, uint64_t *pa, char *why)
{
    return gva_translate(&G, cr3, cr4, efer, cr0, va, pa, why, 200);
}

static int tr64(uint64_t cr3, uint64_t va, uint64_t *pa, char *why)
{
    return tr(cr3, CR4_PAE, EFER_LONG, CR0_LONG, va, pa, why);
}

TEST(gva_4level_4k)
{
    setup(4 * MiB);
    const uint64_t t[4] = { 0x4000, 0x3000, 0x2000, 0x1000 }; /* PT PD PDPT PML4 */
    uint64_t va = 0xffffffff81234000ull, pa = 0;
    char why[200];
    chain(t, 4, 1, va, 0x10000);
    CHECK_EQ(tr64(0x1000, va + 0x123, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x10123);
    CHECK_STREQ(why, "");
    CHECK_EQ(M.reads, 4); /* one entry per level, no more */
    /* CR3's low bits (PCID, PWT/PCD) and bit 63 are not part of the address. */
    CHECK_EQ(tr64(0x1000 | 0x18 | 0x5 | (1ull << 63), va + 7, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x10007);
    /* The next page is not mapped: the PTE says so. */
    CHECK_EQ(tr64(0x1000, va + 0x1000, &pa, why), GVA_NOT_PRESENT);
    CHECK_CONTAINS(why, "PTE[53]");
    CHECK_CONTAINS(why, "not present");
    CHECK_CONTAINS(why, "0xffffffff81235000");
}

TEST(gva_4level_2m_1g)
{
    setup(8 * MiB);
    const uint64_t t[4] = { 0, 0x3000, 0x2000, 0x1000 };
    uint64_t pa;
    char why[200];
    /* 2M page at va 0xffffffff80000000 -> 0x200000. */
    chain(t, 4, 2, 0xffffffff80000000ull, 0x200000);
    CHECK_EQ(tr64(0x1000, 0xffffffff800fedcbull, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x2fedcb);
    CHECK_EQ(M.reads, 3);
    /* 1G page at va 0x40000000 -> 0 (its PDPT is another table page). */
    const uint64_t t2[4] = { 0, 0, 0x5000, 0x1000 };
    chain(t2, 4, 3, 0x40000000, 0);
    CHECK_EQ(tr64(0x1000, 0x40345678, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x345678);
    /* Bit 12 of a large-page entry is PAT, not address. */
    put64(0x5000 + 8, 0 | P | PS | (1ull << 12));
    CHECK_EQ(tr64(0x1000, 0x40000010, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x10);
    put64(0x3000 + idx(0xffffffff80000000ull, 2) * 8, 0x200000 | P | PS | (1ull << 12));
    CHECK_EQ(tr64(0x1000, 0xffffffff80000020ull, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x200020);
    /* A 1G page whose target is beyond RAM: an error, not a pointer. */
    CHECK_EQ(tr64(0x1000, 0x40000000 + 9 * MiB, &pa, why), GVA_OUTSIDE_RAM);
    CHECK_CONTAINS(why, "outside guest RAM");
}

TEST(gva_5level)
{
    setup(4 * MiB);
    const uint64_t t[5] = { 0x5000, 0x4000, 0x3000, 0x2000, 0x1000 };
    uint64_t va = 0xff12345678abc000ull, pa;
    char why[200];
    chain(t, 5, 1, va, 0x20000);
    CHECK_EQ(tr(0x1000, CR4_PAE | CR4_LA57, EFER_LONG, CR0_LONG, va + 0x42, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x20042);
    CHECK_EQ(M.reads, 5);
    /* Not canonical for 4-level paging. */
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_NONCANONICAL);
    CHECK_CONTAINS(why, "not canonical");
    /* Not canonical for 5-level paging either: bit 56 differs from bit 63. */
    CHECK_EQ(tr(0x1000, CR4_PAE | CR4_LA57, EFER_LONG, CR0_LONG, 0x0100000000000000ull, &pa, why), GVA_NONCANONICAL);
    CHECK_CONTAINS(why, "57-bit");
    /* 2M and 1G pages under 5 levels. */
    const uint64_t t2[5] = { 0, 0x6000, 0x7000, 0x8000, 0x1000 };
    uint64_t va2 = 0x00fe000000000000ull;
    chain(t2, 5, 3, va2, 0);
    CHECK_EQ(tr(0x1000, CR4_PAE | CR4_LA57, EFER_LONG, CR0_LONG, va2 + 0x1234, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x1234);
    /* PS in a PML5E is reserved. */
    put64(0x1000 + idx(va2, 5) * 8, 0x8000 | P | W | PS);
    CHECK_EQ(tr(0x1000, CR4_PAE | CR4_LA57, EFER_LONG, CR0_LONG, va2, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "PS in a PML5E");
}

TEST(gva_not_present_each_level)
{
    setup(4 * MiB);
    const uint64_t t[4] = { 0x4000, 0x3000, 0x2000, 0x1000 };
    uint64_t va = 0x7f0012345000ull, pa;
    char why[200];
    static const char *const names[] = { "", "PTE", "PDE", "PDPTE", "PML4E" };
    for (unsigned lvl = 4; lvl >= 1; lvl--) {
        chain(t, 4, 1, va, 0x9000);
        uint64_t e_pa = t[lvl - 1] + idx(va, lvl) * 8, e;
        memcpy(&e, M.ram + e_pa, 8);
        put64(e_pa, e & ~P); /* everything else stays: only P decides */
        CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_NOT_PRESENT);
        CHECK_CONTAINS(why, names[lvl]);
        CHECK_CONTAINS(why, "not present");
    }
    /* An empty PML4: not present at the top. */
    setup(64 * KiB);
    CHECK_EQ(tr64(0x1000, 0, &pa, why), GVA_NOT_PRESENT);
    CHECK_CONTAINS(why, "PML4E[0]");
}

TEST(gva_reserved_bits)
{
    setup(4 * MiB);
    const uint64_t t[4] = { 0x4000, 0x3000, 0x2000, 0x1000 };
    uint64_t va = 0x12345000, pa;
    char why[200];
    /* An address bit at MAXPHYADDR (46) in a PDE. */
    chain(t, 4, 1, va, 0x9000);
    put64(0x3000 + idx(va, 2) * 8, 0x4000 | P | W | (1ull << 46));
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "MAXPHYADDR");
    /* With MAXPHYADDR 52 the same bit is an address bit: the table is then outside RAM. */
    G.maxphyaddr = 52;
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_OUTSIDE_RAM);
    G.maxphyaddr = 46;
    /* PS in a PML4E. */
    chain(t, 4, 1, va, 0x9000);
    put64(0x1000 + idx(va, 4) * 8, 0x2000 | P | W | PS);
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "PS in a PML4E");
    /* A 2M page with bit 13 set. */
    chain(t, 4, 2, va, 0x200000);
    put64(0x3000 + idx(va, 2) * 8, 0x200000 | P | PS | (1ull << 13));
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "2M page");
    /* A 1G page with bit 20 set. */
    chain(t, 4, 3, va, 0);
    put64(0x2000 + idx(va, 3) * 8, P | PS | (1ull << 20));
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "1G page");
    /* XD is reserved without EFER.NXE, fine with it. */
    chain(t, 4, 1, va, 0x9000);
    put64(0x4000 + idx(va, 1) * 8, 0x9000 | P | XD);
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "XD without EFER.NXE");
    CHECK_EQ(tr(0x1000, CR4_PAE, EFER_LONG | EFER_NXE, CR0_LONG, va, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x9000);
    /* Software-available bits 62:52 and 11:9 are not reserved. */
    put64(0x4000 + idx(va, 1) * 8, 0x9000 | P | (0x7FFull << 52) | 0xE00);
    CHECK_EQ(tr64(0x1000, va, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x9000);
    /* CR3 with an address bit above MAXPHYADDR. */
    CHECK_EQ(tr64(0x1000 | (1ull << 47), va, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "CR3");
}

TEST(gva_tables_outside_ram_never_read)
{
    setup(64 * KiB);
    uint64_t pa;
    char why[200];
    /* CR3 itself outside RAM. */
    CHECK_EQ(tr64(0x100000, 0, &pa, why), GVA_OUTSIDE_RAM);
    CHECK_EQ(M.reads, 0);
    CHECK_CONTAINS(why, "PML4E");
    CHECK_CONTAINS(why, "outside guest RAM");
    /* A PML4E pointing past the end of RAM, one pointing at the last few bytes. */
    put64(0x1000, 0x7fff0000000ull | P | W);
    M.reads = 0;
    CHECK_EQ(tr64(0x1000, 0, &pa, why), GVA_OUTSIDE_RAM);
    CHECK_EQ(M.reads, 1);
    CHECK_CONTAINS(why, "PDPTE");
    put64(0x1000, 0xF000 | P | W); /* table page ends at RAM's end: entry 511 at 0xFFF8 is inside */
    put64(0xFFF8, 0x3000 | P | W);
    M.reads = 0;
    CHECK_EQ(tr64(0x1000, 511ull << 30, &pa, why), GVA_NOT_PRESENT);
    CHECK_EQ(M.reads, 3);
    /* The page itself beyond RAM. */
    put64(0x3000, 0x4000 | P | W);
    put64(0x4000, 0x123000 | P | W);
    CHECK_EQ(tr64(0x1000, 511ull << 30, &pa, why), GVA_OUTSIDE_RAM);
    CHECK_CONTAINS(why, "maps to pa 0x123000");
    /* A read error from the implementation. */
    M.fail = true;
    CHECK_EQ(tr64(0x1000, 0, &pa, why), GVA_READ_FAILED);
    CHECK_CONTAINS(why, "cannot read");
}

TEST(gva_self_referencing_tables)
{
    setup(64 * KiB);
    uint64_t pa;
    char why[200];
    /* Every entry of the PML4 points at the PML4: a walk still has four levels, and ends in the
     * table page itself. */
    for (unsigned i = 0; i < 512; i++)
        put64(0x1000 + i * 8, 0x1000 | P | W);
    M.reads = 0;
    CHECK_EQ(tr64(0x1000, 0x123, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x1123);
    CHECK_EQ(M.reads, 4);
    M.reads = 0;
    CHECK_EQ(tr(0x1000, CR4_PAE | CR4_LA57, EFER_LONG, CR0_LONG, 0xffffffffffffffffull, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x1fff);
    CHECK_EQ(M.reads, 5);
    /* Two tables pointing at each other, PS set on the way back: that PDPTE is a 1G page. */
    for (unsigned i = 0; i < 512; i++) {
        put64(0x1000 + i * 8, 0x2000 | P | W);
        put64(0x2000 + i * 8, 0x1000 | P | W | PS);
    }
    CHECK_EQ(tr64(0x1000, 0, &pa, why), GVA_OK); /* the PDPTE is a 1G page at 0: bits 29:13 clear */
    CHECK_EQ(pa, 0);
}

TEST(gva_paging_off_and_32bit)
{
    setup(8 * MiB);
    uint64_t pa;
    char why[200];
    /* Paging off: identity, checked against RAM. */
    CHECK_EQ(tr(0, 0, 0, 0x11, 0x123456, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x123456);
    CHECK_EQ(tr(0, 0, 0, 0x11, 8 * MiB, &pa, why), GVA_OUTSIDE_RAM);
    CHECK_EQ(M.reads, 0);
    /* 32-bit paging: 4K page and 4M page (PSE). */
    put32(0x1000 + (0xC0000000u >> 22) * 4, 0x2000 | P | W);
    put32(0x2000 + ((0xC0001000u >> 12) & 1023) * 4, 0x7000 | P | W);
    CHECK_EQ(tr(0x1000, 0, 0, CR0_PG | 1, 0xC0001abc, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x7abc);
    put32(0x1000 + (0xC0400000u >> 22) * 4, 0x400000 | P | W | PS);
    CHECK_EQ(tr(0x1000, CR4_PSE, 0, CR0_PG | 1, 0xC0412345, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x412345);
    /* Without CR4.PSE the PS bit is ignored: the entry is a page table at 0x400000. */
    CHECK_EQ(tr(0x1000, 0, 0, CR0_PG | 1, 0xC0412345, &pa, why), GVA_NOT_PRESENT);
    /* PSE-36 high bits beyond MAXPHYADDR 36: reserved. */
    G.maxphyaddr = 36;
    put32(0x1000 + (0xC0800000u >> 22) * 4, 0x400000 | P | PS | (0x10u << 13));
    CHECK_EQ(tr(0x1000, CR4_PSE, 0, CR0_PG | 1, 0xC0800000, &pa, why), GVA_RESERVED);
    G.maxphyaddr = 46;
    /* Addresses above 4 GiB do not exist in 32-bit paging. */
    CHECK_EQ(tr(0x1000, 0, 0, CR0_PG | 1, 0x100000000ull, &pa, why), GVA_NONCANONICAL);
    CHECK_STREQ(gva_mode_name(0, 0, CR0_PG), "32-bit");
    CHECK_STREQ(gva_mode_name(CR4_PAE, 0, CR0_PG), "PAE");
    CHECK_STREQ(gva_mode_name(CR4_PAE | CR4_LA57, EFER_LONG, CR0_PG), "5-level");
    CHECK_STREQ(gva_mode_name(0, 0, 0), "off");
}

TEST(gva_pae)
{
    setup(8 * MiB);
    uint64_t pa;
    char why[200];
    uint64_t cr3 = 0x1020; /* PDPT: 32-byte aligned */
    put64(0x1020 + 3 * 8, 0x2000 | P);
    put64(0x2000 + ((0xC0001000ull >> 21) & 511) * 8, 0x3000 | P | W);
    put64(0x3000 + ((0xC0001000ull >> 12) & 511) * 8, 0x6000 | P | W);
    CHECK_EQ(tr(cr3, CR4_PAE, 0, CR0_PG | 1, 0xC0001010, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x6010);
    /* 2M page. */
    put64(0x2000 + ((0xC0200000ull >> 21) & 511) * 8, 0x400000 | P | W | PS);
    CHECK_EQ(tr(cr3, CR4_PAE, 0, CR0_PG | 1, 0xC02abcde, &pa, why), GVA_OK);
    CHECK_EQ(pa, 0x4abcde);
    /* A PDPTE with a reserved bit (bit 1 R/W is reserved in PAE PDPTEs). */
    put64(0x1020 + 3 * 8, 0x2000 | P | W);
    CHECK_EQ(tr(cr3, CR4_PAE, 0, CR0_PG | 1, 0xC0001010, &pa, why), GVA_RESERVED);
    CHECK_CONTAINS(why, "PDPTE");
    /* Not present PDPTE. */
    CHECK_EQ(tr(cr3, CR4_PAE, 0, CR0_PG | 1, 0x10, &pa, why), GVA_NOT_PRESENT);
    /* XD in a PAE PTE without NXE. */
    put64(0x1020 + 3 * 8, 0x2000 | P);
    put64(0x3000 + ((0xC0001000ull >> 12) & 511) * 8, 0x6000 | P | XD);
    CHECK_EQ(tr(cr3, CR4_PAE, 0, CR0_PG | 1, 0xC0001010, &pa, why), GVA_RESERVED);
    CHECK_EQ(tr(cr3, CR4_PAE, EFER_NXE, CR0_PG | 1, 0xC0001010, &pa, why), GVA_OK);
}

TEST(gva_messages_bounded)
{
    setup(64 * KiB);
    uint64_t pa = 0x77;
    char small[8];
    memset(small, 'x', sizeof(small));
    CHECK_EQ(gva_translate(&G, 0x1000, CR4_PAE, EFER_LONG, CR0_LONG, 0, &pa, small, sizeof(small)), GVA_NOT_PRESENT);
    CHECK_EQ(strlen(small), 7);
    CHECK_EQ(pa, 0x77); /* untouched on failure */
    CHECK_EQ(gva_translate(&G, 0x1000, CR4_PAE, EFER_LONG, CR0_LONG, 0, &pa, NULL, 0), GVA_NOT_PRESENT);
    /* No read callback: an error, not a crash. */
    G.read_phys = NULL;
    CHECK_EQ(gva_translate(&G, 0x1000, CR4_PAE, EFER_LONG, CR0_LONG, 0, &pa, NULL, 0), GVA_READ_FAILED);
    /* maxphyaddr 0 means 52. */
    G.read_phys = mem_read;
    G.maxphyaddr = 0;
    put64(0x1000, 0x2000 | P | (1ull << 50));
    CHECK_EQ(gva_translate(&G, 0x1000, CR4_PAE, EFER_LONG, CR0_LONG, 0, &pa, NULL, 0), GVA_OUTSIDE_RAM);
}

TEST(gva_read_virt_across_pages)
{
    struct fake f;
    fake_init(&f, 32 * MiB);
    char why[200];
    uint8_t buf[64];
    /* Two 4K pages, virtually adjacent, physically apart; the third not mapped. */
    fake_map(&f, 0x7000000000ull, 0x300000, 4096);
    fake_map(&f, 0x7000001000ull, 0x500000, 4096);
    memset(f.ram + 0x300ff0, 'A', 16);
    memset(f.ram + 0x500000, 'B', 16);
    CHECK_EQ(dbg_read_virt(&f.t, &f.regs, 0x7000000ff0ull, buf, 32, why, sizeof(why)), 32);
    CHECK_EQ(buf[15], 'A');
    CHECK_EQ(buf[16], 'B');
    /* Write across the same boundary. */
    CHECK_EQ(dbg_write_virt(&f.t, &f.regs, 0x7000000ffeull, "xyzw", 4, why, sizeof(why)), 4);
    CHECK_MEM(f.ram + 0x300ffe, "xy", 2);
    CHECK_MEM(f.ram + 0x500000, "zw", 2);
    /* A short read at the unmapped page, with the reason. */
    CHECK_EQ(dbg_read_virt(&f.t, &f.regs, 0x7000001ff8ull, buf, 32, why, sizeof(why)), 8);
    CHECK_CONTAINS(why, "not present");
    /* The kernel mapping of fake_init and its banner. */
    CHECK_EQ(dbg_read_virt(&f.t, &f.regs, 0xffffffff81200000ull, buf, 13, why, sizeof(why)), 13);
    CHECK_MEM(buf, "Linux version", 13);
    /* Wrapping past the top of the address space stops. */
    fake_map(&f, 0xfffffffffffff000ull, 0x600000, 4096);
    CHECK_EQ(dbg_read_virt(&f.t, &f.regs, 0xfffffffffffffff8ull, buf, 16, why, sizeof(why)), 8);
    CHECK_CONTAINS(why, "wraps");
    /* Physical reads: clipped at RAM's end, refused beyond it. */
    CHECK_EQ(dbg_read_phys(&f.t, 32 * MiB - 4, buf, 16, why, sizeof(why)), 4);
    CHECK_CONTAINS(why, "outside guest RAM");
    CHECK_EQ(dbg_read_phys(&f.t, 32 * MiB, buf, 16, why, sizeof(why)), 0);
    CHECK_EQ(dbg_read_phys(&f.t, ~0ull, buf, 16, why, sizeof(why)), 0);
    CHECK_EQ(dbg_write_phys(&f.t, ~0ull - 3, buf, 16, why, sizeof(why)), 0);
    fake_free(&f);
}

TEST(gva_reg_by_name)
{
    struct dbg_regs r;
    unsigned size = 0;
    memset(&r, 0, sizeof(r));
    uint64_t *rip = dbg_reg_by_name(&r, "rip", 3, &size);
    CHECK(rip == &r.rip);
    CHECK_EQ(size, 8);
    CHECK(dbg_reg_by_name(&r, "eflags", 6, &size) == &r.rflags);
    CHECK(dbg_reg_by_name(&r, "cs", 2, &size) == (void *)&r.cs);
    CHECK_EQ(size, 2);
    CHECK(dbg_reg_by_name(&r, "cr3", 3, NULL) == &r.cr3);
    CHECK(dbg_reg_by_name(&r, "r1", 2, NULL) == NULL);
    CHECK(dbg_reg_by_name(&r, "raxx", 4, NULL) == NULL);
    CHECK(dbg_reg_by_name(&r, "ra", 2, NULL) == NULL);
}
