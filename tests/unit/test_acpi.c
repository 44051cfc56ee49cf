/* The MADT parser and the RSDP -> XSDT/RSDT -> MADT walk, on built tables and broken ones. */
#include <stdlib.h>
#include <string.h>
#include "acpi.h"
#include "check.h"

struct tb { uint8_t b[4096]; size_t n; };

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static void fix_sum(uint8_t *t, size_t n, size_t at)
{
    uint8_t s = 0;
    t[at] = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + t[i]);
    t[at] = (uint8_t)-s;
}

static void madt_begin(struct tb *t, uint32_t lapic, uint32_t flags)
{
    memset(t, 0, sizeof(*t));
    memcpy(t->b, "APIC", 4);
    t->b[8] = 4;
    memcpy(t->b + 10, "HSTEST", 6);
    put32(t->b + 36, lapic);
    put32(t->b + 40, flags);
    t->n = 44;
}

static void add(struct tb *t, const uint8_t *e, size_t n) { memcpy(t->b + t->n, e, n); t->n += n; }

static void lapic(struct tb *t, uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t e[8] = { 0, 8, uid, id };
    put32(e + 4, flags);
    add(t, e, 8);
}

static void x2apic(struct tb *t, uint32_t id, uint32_t flags, uint32_t uid)
{
    uint8_t e[16] = { 9, 16 };
    put32(e + 4, id);
    put32(e + 8, flags);
    put32(e + 12, uid);
    add(t, e, 16);
}

static void ioapic(struct tb *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
    uint8_t e[12] = { 1, 12, id };
    put32(e + 4, addr);
    put32(e + 8, gsi);
    add(t, e, 12);
}

static void madt_end(struct tb *t)
{
    put32(t->b + 4, (uint32_t)t->n);
    fix_sum(t->b, t->n, 9);
}

static struct madt_info mi;
static char err[160];

TEST(madt_parses_cores_and_ioapics)
{
    struct tb t;
    madt_begin(&t, 0xFEE00000, 1);
    lapic(&t, 0, 0, 1);
    lapic(&t, 1, 2, 1);
    lapic(&t, 2, 4, 0); /* disabled */
    lapic(&t, 3, 6, 2); /* online-capable, not enabled */
    ioapic(&t, 8, 0xFEC00000, 0);
    uint8_t nmi_src[6] = { 4, 6, 0xFF, 5, 0, 1 }; /* LAPIC NMI: skipped */
    add(&t, nmi_src, 6);
    madt_end(&t);
    CHECK_EQ(madt_parse(t.b, t.n, &mi, err, sizeof(err)), 0);
    CHECK_EQ(mi.n_cpus, 4);
    CHECK_EQ(mi.n_enabled, 2);
    CHECK_EQ(mi.cpus[1].apic_id, 2);
    CHECK(mi.cpus[1].enabled && !mi.cpus[2].enabled && !mi.cpus[3].enabled);
    CHECK_EQ(mi.n_ioapics, 1);
    CHECK_EQ(mi.ioapics[0].address, 0xFEC00000);
    CHECK_EQ(mi.ioapics[0].id, 8);
    CHECK_EQ(mi.lapic_address, 0xFEE00000);
    CHECK(mi.pcat_compat);
}

TEST(madt_x2apic_and_override)
{
    struct tb t;
    madt_begin(&t, 0xFEE00000, 0);
    x2apic(&t, 0x100, 1, 7);
    x2apic(&t, 0x101, 1, 8);
    uint8_t ov[12] = { 5, 12, 0, 0 };
    put64(ov + 4, 0x1FEE00000ull);
    add(&t, ov, 12);
    madt_end(&t);
    CHECK_EQ(madt_parse(t.b, t.n, &mi, err, sizeof(err)), 0);
    CHECK_EQ(mi.n_enabled, 2);
    CHECK_EQ(mi.cpus[1].apic_id, 0x101);
    CHECK(mi.cpus[1].x2apic);
    CHECK_EQ(mi.cpus[0].acpi_uid, 7);
    CHECK_EQ(mi.lapic_address, 0x1FEE00000ull);
    CHECK(!mi.pcat_compat);
}

#define BAD(tbl, n, msg)                                                                                        \
    do {                                                                                                      \
        CHECK_EQ(madt_parse((tbl), (n), &mi, err, sizeof(err)), -1);                                          \
        CHECK_CONTAINS(err, msg);                                                                             \
    } while (0)

TEST(madt_malformed_tables_rejected)
{
    struct tb t;
    BAD(NULL, 0, "shorter than its 44-byte header");
    madt_begin(&t, 0xFEE00000, 0);
    lapic(&t, 0, 0, 1);
    madt_end(&t);
    BAD(t.b, 43, "shorter than its 44-byte header");
    BAD(t.b, t.n - 1, "does not fit the table"); /* the header claims more than is readable */
    t.b[20] ^= 1;
    BAD(t.b, t.n, "checksum mismatch");
    t.b[20] ^= 1;
    memcpy(t.b, "APIX", 4);
    BAD(t.b, t.n, "signature is not 'APIC'");
    /* An entry with length 0 would loop for ever; one running past the end would be read beyond. */
    madt_begin(&t, 0, 0);
    lapic(&t, 0, 0, 1);
    uint8_t zero[2] = { 0, 0 };
    add(&t, zero, 2);
    madt_end(&t);
    BAD(t.b, t.n, "bad length");
    madt_begin(&t, 0, 0);
    lapic(&t, 0, 0, 1);
    uint8_t longe[2] = { 1, 40 };
    add(&t, longe, 2);
    madt_end(&t);
    BAD(t.b, t.n, "bad length");
    /* A processor entry too short for its fields. */
    madt_begin(&t, 0, 0);
    uint8_t shortl[6] = { 0, 6, 0, 0, 1, 0 };
    add(&t, shortl, 6);
    madt_end(&t);
    BAD(t.b, t.n, "too short for its type");
    /* A lone trailing byte. */
    madt_begin(&t, 0, 0);
    lapic(&t, 0, 0, 1);
    uint8_t one = 0;
    add(&t, &one, 1);
    madt_end(&t);
    BAD(t.b, t.n, "runs past the end");
    /* The same enabled APIC ID twice; no enabled processor at all. */
    madt_begin(&t, 0, 0);
    lapic(&t, 0, 3, 1);
    lapic(&t, 1, 3, 1);
    madt_end(&t);
    BAD(t.b, t.n, "APIC ID 3 listed twice");
    madt_begin(&t, 0, 0);
    lapic(&t, 0, 0, 0);
    madt_end(&t);
    BAD(t.b, t.n, "no enabled processor");
}

TEST(madt_many_cores_capped)
{
    struct tb t;
    madt_begin(&t, 0, 0);
    for (unsigned i = 0; i < 200; i++)
        lapic(&t, (uint8_t)i, (uint8_t)i, 1);
    for (unsigned i = 0; i < 100; i++)
        x2apic(&t, 1000 + i, 1, 1000 + i);
    madt_end(&t);
    CHECK_EQ(madt_parse(t.b, t.n, &mi, err, sizeof(err)), 0);
    CHECK_EQ(mi.n_cpus, MADT_MAX_CPUS);
    CHECK_EQ(mi.cpus_dropped, 300 - MADT_MAX_CPUS);
}

/* Fake physical memory for the RSDP walk. */
static uint8_t mem[0x10000];
static bool rd(void *ctx, uint64_t pa, void *buf, size_t n)
{
    (void)ctx;
    if (pa > sizeof(mem) || n > sizeof(mem) - pa)
        return false;
    memcpy(buf, mem + pa, n);
    return true;
}

static void build_acpi(bool xsdt)
{
    memset(mem, 0, sizeof(mem));
    struct tb t;
    madt_begin(&t, 0xFEE00000, 1);
    lapic(&t, 0, 0, 1);
    lapic(&t, 1, 1, 1);
    madt_end(&t);
    memcpy(mem + 0x3000, t.b, t.n);
    /* A FACP first, so the walk must skip a table. */
    memcpy(mem + 0x2000, "FACP", 4);
    put32(mem + 0x2004, 36);
    fix_sum(mem + 0x2000, 36, 9);
    uint8_t *r = mem + 0x1000;
    memcpy(r, xsdt ? "XSDT" : "RSDT", 4);
    unsigned w = xsdt ? 8 : 4;
    put32(r + 4, 36 + 2 * w);
    if (xsdt) {
        put64(r + 36, 0x2000);
        put64(r + 44, 0x3000);
    } else {
        put32(r + 36, 0x2000);
        put32(r + 40, 0x3000);
    }
    fix_sum(r, 36 + 2 * w, 9);
    uint8_t *p = mem + 0xE010;
    memcpy(p, "RSD PTR ", 8);
    p[15] = xsdt ? 2 : 0;
    put32(p + 16, xsdt ? 0 : 0x1000);
    put32(p + 20, 36);
    put64(p + 24, xsdt ? 0x1000 : 0);
    fix_sum(p, 20, 8);
    if (xsdt)
        fix_sum(p, 36, 32);
}

TEST(acpi_finds_madt_through_xsdt_and_rsdt)
{
    for (int x = 0; x < 2; x++) {
        build_acpi(x);
        uint64_t rsdp = acpi_scan_rsdp(rd, NULL, 0xE000, 0x2000);
        CHECK_EQ(rsdp, 0xE010);
        uint64_t a = 0;
        uint32_t n = 0;
        CHECK_EQ(acpi_find_table(rd, NULL, rsdp, "APIC", &a, &n, err, sizeof(err)), 0);
        CHECK_EQ(a, 0x3000);
        CHECK_EQ(madt_parse(mem + a, n, &mi, err, sizeof(err)), 0);
        CHECK_EQ(mi.n_enabled, 2);
        CHECK_EQ(acpi_find_table(rd, NULL, rsdp, "HPET", &a, &n, err, sizeof(err)), -1);
        CHECK_CONTAINS(err, "no such table");
    }
}

TEST(acpi_broken_chain_reported)
{
    build_acpi(true);
    uint64_t a;
    uint32_t n;
    /* No RSDP there; a bad RSDP checksum is not found by the scan. */
    CHECK_EQ(acpi_find_table(rd, NULL, 0xE020, "APIC", &a, &n, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "no valid RSDP");
    mem[0xE010 + 9] ^= 0x55;
    CHECK_EQ(acpi_scan_rsdp(rd, NULL, 0xE000, 0x2000), 0);
    build_acpi(true);
    /* The root table's checksum, then its pointer into nowhere. */
    mem[0x1000 + 20] ^= 1;
    CHECK_EQ(acpi_find_table(rd, NULL, 0xE010, "APIC", &a, &n, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "checksum mismatch");
    build_acpi(true);
    put64(mem + 0xE010 + 24, 0xFFFFFF00ull);
    fix_sum(mem + 0xE010, 36, 32);
    CHECK_EQ(acpi_find_table(rd, NULL, 0xE010, "APIC", &a, &n, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "not readable");
    /* A MADT whose length runs off the end of memory. */
    build_acpi(false);
    put32(mem + 0x3004, 0x20000);
    CHECK_EQ(acpi_find_table(rd, NULL, 0xE010, "APIC", &a, &n, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "unreadable memory");
}
