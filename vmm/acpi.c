/* Firmware tables come from outside the VMM: every length is checked against what is readable,
 * every checksum is verified, and a malformed table is reported rather than followed. */
#include "acpi.h"
#include "lib.h"

#define MADT_HEADER 44
#define MAX_TABLE (1u << 20)

static int fail(char *err, size_t errlen, const char *why, uint64_t a)
{
    hs_snprintf(err, errlen, why, a);
    return -1;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

int madt_parse(const void *table, size_t len, struct madt_info *out, char *err, size_t errlen)
{
    const uint8_t *t = table;
    memset(out, 0, sizeof(*out));
    if (!t || len < MADT_HEADER)
        return fail(err, errlen, "MADT: %lu bytes, shorter than its 44-byte header", len);
    if (memcmp(t, "APIC", 4))
        return fail(err, errlen, "MADT: signature is not 'APIC'", 0);
    uint32_t tl = le32(t + 4);
    if (tl < MADT_HEADER || tl > len)
        return fail(err, errlen, "MADT: length %lu does not fit the table", tl);
    if (sum(t, tl))
        return fail(err, errlen, "MADT: checksum mismatch", 0);
    out->lapic_address = le32(t + 36);
    out->pcat_compat = le32(t + 40) & 1;
    for (uint32_t off = MADT_HEADER; off < tl;) {
        if (tl - off < 2)
            return fail(err, errlen, "MADT: entry header at offset %lu runs past the end", off);
        const uint8_t *e = t + off;
        uint8_t type = e[0], el = e[1];
        if (el < 2 || el > tl - off)
            return fail(err, errlen, "MADT: entry at offset %lu has a bad length", off);
        static const uint8_t min_len[] = { [0] = 8, [1] = 12, [5] = 12, [9] = 16 };
        if (type < sizeof(min_len) && min_len[type] && el < min_len[type])
            return fail(err, errlen, "MADT: entry at offset %lu is too short for its type", off);
        if (type == 0 || type == 9) {
            struct madt_cpu c;
            if (type == 0) {
                c = (struct madt_cpu){ e[3], e[2], le32(e + 4) & 1, false };
            } else {
                c = (struct madt_cpu){ le32(e + 4), le32(e + 12), le32(e + 8) & 1, true };
            }
            bool dup = false;
            for (unsigned i = 0; i < out->n_cpus; i++)
                dup |= out->cpus[i].apic_id == c.apic_id;
            if (dup && c.enabled)
                return fail(err, errlen, "MADT: APIC ID %lu listed twice", c.apic_id);
            if (!dup) {
                if (out->n_cpus < MADT_MAX_CPUS) {
                    out->cpus[out->n_cpus++] = c;
                    out->n_enabled += c.enabled;
                } else {
                    out->cpus_dropped++;
                }
            }
        } else if (type == 1) {
            if (out->n_ioapics < MADT_MAX_IOAPICS)
                out->ioapics[out->n_ioapics++] = (struct madt_ioapic){ e[2], le32(e + 8), le32(e + 4) };
        } else if (type == 5) {
            out->lapic_address = le64(e + 4);
        }
        off += el;
    }
    if (!out->n_enabled)
        return fail(err, errlen, "MADT: no enabled processor", 0);
    return 0;
}

static bool rsdp_valid(const uint8_t *r, uint8_t *rev)
{
    if (memcmp(r, "RSD PTR ", 8) || sum(r, 20))
        return false;
    *rev = r[15];
    return *rev < 2 || (le32(r + 20) >= 36 && !sum(r, 36)); /* ACPI 2.0+: the extended checksum too */
}

uint64_t acpi_scan_rsdp(acpi_read_fn rd, void *ctx, uint64_t base, uint64_t len)
{
    uint8_t r[36];
    for (uint64_t a = (base + 15) & ~15ull; a + 20 <= base + len; a += 16) {
        uint8_t rev;
        memset(r, 0, sizeof(r));
        if (!rd(ctx, a, r, 20) || memcmp(r, "RSD PTR ", 8))
            continue;
        if (r[15] >= 2 && !rd(ctx, a, r, 36))
            continue;
        if (rsdp_valid(r, &rev))
            return a;
    }
    return 0;
}

/* Reads a table's header, checks its length and checksum. */
static int read_table(acpi_read_fn rd, void *ctx, uint64_t pa, uint8_t *hdr, uint32_t *len, char *err, size_t errlen)
{
    if (!rd(ctx, pa, hdr, 36))
        return fail(err, errlen, "ACPI: table at 0x%lx is not readable", pa);
    *len = le32(hdr + 4);
    if (*len < 36 || *len > MAX_TABLE)
        return fail(err, errlen, "ACPI: table at 0x%lx has an implausible length", pa);
    uint8_t s = 0, buf[256];
    for (uint32_t off = 0; off < *len; off += sizeof(buf)) {
        uint32_t n = *len - off < sizeof(buf) ? *len - off : (uint32_t)sizeof(buf);
        if (!rd(ctx, pa + off, buf, n))
            return fail(err, errlen, "ACPI: table at 0x%lx runs into unreadable memory", pa);
        s = (uint8_t)(s + sum(buf, n));
    }
    if (s)
        return fail(err, errlen, "ACPI: checksum mismatch in the table at 0x%lx", pa);
    return 0;
}

int acpi_find_table(acpi_read_fn rd, void *ctx, uint64_t rsdp, const char sig[4], uint64_t *addr, uint32_t *len,
                    char *err, size_t errlen)
{
    uint8_t r[36] = { 0 }, rev;
    if (!rd(ctx, rsdp, r, 20) || (r[15] >= 2 && !rd(ctx, rsdp, r, 36)) || !rsdp_valid(r, &rev))
        return fail(err, errlen, "ACPI: no valid RSDP at 0x%lx", rsdp);
    bool x = rev >= 2 && le64(r + 24);
    uint64_t root = x ? le64(r + 24) : le32(r + 16);
    uint8_t hdr[36];
    uint32_t rl;
    if (read_table(rd, ctx, root, hdr, &rl, err, errlen))
        return -1;
    if (memcmp(hdr, x ? "XSDT" : "RSDT", 4))
        return fail(err, errlen, "ACPI: the RSDP's root table at 0x%lx is not an XSDT/RSDT", root);
    unsigned w = x ? 8 : 4;
    for (uint32_t off = 36; off + w <= rl; off += w) {
        uint8_t p[8] = { 0 };
        if (!rd(ctx, root + off, p, w))
            return fail(err, errlen, "ACPI: root table entry unreadable", 0);
        uint64_t ta = x ? le64(p) : le32(p);
        uint8_t th[36];
        if (!ta || !rd(ctx, ta, th, 4) || memcmp(th, sig, 4))
            continue;
        if (read_table(rd, ctx, ta, th, len, err, errlen))
            return -1;
        *addr = ta;
        return 0;
    }
    return fail(err, errlen, "ACPI: no such table in the root table", 0);
}
