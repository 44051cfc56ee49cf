/* See bootinfo.h. Everything read from hindsight.elf is checked against the file's size: a
 * truncated or foreign file on the ESP is named, never jumped into. */
#include "bootinfo.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void copy(uint8_t *d, const void *s, uint32_t n)
{
    const uint8_t *q = s;
    for (uint32_t i = 0; i < n; i++)
        d[i] = q[i];
}

/* Reserves a tag of size bytes (header included) at the current offset; NULL on overflow. */
static uint8_t *tag(struct mb2b *b, uint32_t type, uint32_t size)
{
    uint32_t padded = (size + 7) & ~7u;
    if (b->overflow || padded > b->cap - b->off) {
        b->overflow = 1;
        return 0;
    }
    uint8_t *t = b->buf + b->off;
    for (uint32_t i = 0; i < padded; i++)
        t[i] = 0;
    put32(t, type);
    put32(t + 4, size);
    b->off += padded;
    return t;
}

void mb2b_init(struct mb2b *b, void *buf, uint32_t cap)
{
    b->buf = buf;
    b->cap = cap & ~7u;
    b->off = 8;
    b->overflow = b->cap < 16;
}

static uint32_t slen(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

void mb2b_string(struct mb2b *b, uint32_t type, const char *s)
{
    uint32_t n = slen(s) + 1;
    uint8_t *t = tag(b, type, 8 + n);
    if (t)
        copy(t + 8, s, n);
}

void mb2b_module(struct mb2b *b, uint32_t start, uint32_t end, const char *name)
{
    uint32_t n = slen(name) + 1;
    uint8_t *t = tag(b, 3, 16 + n);
    if (!t)
        return;
    put32(t + 8, start);
    put32(t + 12, end);
    copy(t + 16, name, n);
}

void mb2b_raw(struct mb2b *b, uint32_t type, const void *p, uint32_t n)
{
    uint8_t *t = tag(b, type, 8 + n);
    if (t)
        copy(t + 8, p, n);
}

uint32_t mb2_type_of_efi(uint32_t t)
{
    switch (t) {
    case 1: /* LoaderCode */
    case 2: /* LoaderData: the VMM reserves its image, modules and this block itself */
    case 3: /* BootServicesCode */
    case 4: /* BootServicesData */
    case 7: /* ConventionalMemory */
        return 1;
    case 8: return 5;  /* UnusableMemory */
    case 9: return 3;  /* ACPIReclaimMemory */
    case 10: return 4; /* ACPIMemoryNVS */
    default: return 2; /* Reserved, RuntimeServices*, MMIO, PalCode, Persistent, ... */
    }
}

int mb2b_mmap_from_efi(struct mb2b *b, const void *map, uint64_t map_size, uint64_t desc_size, unsigned max_entries)
{
    if (desc_size < 40 || desc_size > 4096 || map_size % desc_size)
        return -1;
    unsigned n = 0;
    uint64_t base = 0, len = 0;
    uint32_t type = 0;
    /* Count first (merging runs), so the tag is sized exactly; then write. */
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *t = 0;
        if (pass == 1) {
            if (n > max_entries)
                return -1;
            t = tag(b, 6, 16 + 24 * n);
            if (!t)
                return -1;
            put32(t + 8, 24);
            put32(t + 12, 0);
        }
        unsigned k = 0;
        len = 0;
        for (uint64_t off = 0; off < map_size; off += desc_size) {
            const uint8_t *d = (const uint8_t *)map + off;
            uint32_t ty = mb2_type_of_efi(rd32(d));
            uint64_t pb = rd64(d + 8), pages = rd64(d + 24);
            if (pages > (1ull << 40) || pb + pages * 4096 < pb)
                return -1;
            if (len && ty == type && base + len == pb) {
                len += pages * 4096;
                continue;
            }
            if (len) {
                if (pass == 1) {
                    put64(t + 16 + 24 * k, base);
                    put64(t + 16 + 24 * k + 8, len);
                    put32(t + 16 + 24 * k + 16, type);
                }
                k++;
            }
            base = pb, len = pages * 4096, type = ty;
        }
        if (len) {
            if (pass == 1) {
                put64(t + 16 + 24 * k, base);
                put64(t + 16 + 24 * k + 8, len);
                put32(t + 16 + 24 * k + 16, type);
            }
            k++;
        }
        n = k;
    }
    return (int)n;
}

uint32_t mb2b_finish(struct mb2b *b)
{
    tag(b, 0, 8);
    if (b->overflow)
        return 0;
    put32(b->buf, b->off);
    put32(b->buf + 4, 0);
    return b->off;
}

static int fail(char *err, size_t errlen, const char *why)
{
    size_t i = 0;
    for (; errlen && i < errlen - 1 && why[i]; i++)
        err[i] = why[i];
    if (errlen)
        err[i] = 0;
    return -1;
}

int vmm_image_check(const void *img, uint64_t size, struct vmm_image *out, char *err, size_t errlen)
{
    const uint8_t *e = img;
    out->nseg = 0;
    out->lo = ~0ull;
    out->hi = 0;
    out->entry64 = 0;
    if (size < 64 || rd32(e) != 0x464C457F)
        return fail(err, errlen, "not an ELF file");
    if (e[4] != 2 || e[5] != 1 || rd16(e + 18) != 62)
        return fail(err, errlen, "not a 64-bit little-endian x86-64 ELF");
    if (rd16(e + 16) != 2)
        return fail(err, errlen, "not an executable ELF");
    uint64_t phoff = rd64(e + 32);
    uint16_t phentsize = rd16(e + 54), phnum = rd16(e + 56);
    if (phentsize < 56 || phnum == 0 || phoff > size || (uint64_t)phnum * phentsize > size - phoff)
        return fail(err, errlen, "program headers lie outside the file (truncated?)");
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *p = e + phoff + (uint64_t)i * phentsize;
        if (rd32(p) != 1 || !rd64(p + 40)) /* PT_LOAD with memory */
            continue;
        uint64_t off = rd64(p + 8), paddr = rd64(p + 24), filesz = rd64(p + 32), memsz = rd64(p + 40);
        if (off > size || filesz > size - off)
            return fail(err, errlen, "a loadable segment runs past the end of the file (truncated?)");
        if (filesz > memsz || paddr < (1ull << 20) || memsz > (1ull << 31) || paddr + memsz > (1ull << 32))
            return fail(err, errlen, "a loadable segment lies outside 1 MiB..4 GiB");
        if (out->nseg == VMM_MAX_SEGS)
            return fail(err, errlen, "too many loadable segments");
        out->seg[out->nseg].paddr = paddr;
        out->seg[out->nseg].offset = off;
        out->seg[out->nseg].filesz = filesz;
        out->seg[out->nseg].memsz = memsz;
        out->nseg++;
        if (paddr < out->lo)
            out->lo = paddr;
        if (paddr + memsz > out->hi)
            out->hi = paddr + memsz;
        /* The marker: 8-byte aligned in the segment's file bytes. */
        for (uint64_t m = (8 - (paddr & 7)) & 7; !out->entry64 && m + 16 <= filesz; m += 8)
            if (rd64(e + off + m) == HS_EFI64_MARKER)
                out->entry64 = rd64(e + off + m + 8);
    }
    if (!out->nseg)
        return fail(err, errlen, "no loadable segment");
    out->lo &= ~0xFFFull;
    out->hi = (out->hi + 0xFFF) & ~0xFFFull;
    if (!out->entry64)
        return fail(err, errlen, "no 64-bit UEFI entry marker (a VMM built without UEFI support?)");
    if (out->entry64 < out->lo || out->entry64 >= out->hi)
        return fail(err, errlen, "the 64-bit entry lies outside the image");
    return 0;
}
