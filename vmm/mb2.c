/* Every length in the block is checked against the total size before use, so a
 * corrupt block from a buggy loader is reported instead of followed. */
#include "mb2.h"
#include "lib.h"

#define TAG_END 0
#define TAG_CMDLINE 1
#define TAG_LOADER 2
#define TAG_MODULE 3
#define TAG_MMAP 6
#define TAG_ACPI_OLD 14
#define TAG_ACPI_NEW 15

static int fail(char *err, size_t errlen, const char *why, uint32_t a)
{
    hs_snprintf(err, errlen, why, a);
    return -1;
}

static const char *tag_string(const uint8_t *p, uint32_t size, uint32_t off)
{
    /* The string must be NUL-terminated inside the tag. */
    if (size <= off)
        return "";
    for (uint32_t i = off; i < size; i++)
        if (p[i] == 0)
            return (const char *)p + off;
    return NULL;
}

int mb2_parse(const void *mbi, struct mb2_info *out, char *err, size_t errlen)
{
    const uint8_t *base = mbi;
    memset(out, 0, sizeof(*out));
    out->cmdline = "";
    out->loader = "";
    if (!mbi)
        return fail(err, errlen, "no multiboot2 information", 0);
    uint32_t total = *(const uint32_t *)base;
    if (total < 16 || total > (64u << 20))
        return fail(err, errlen, "multiboot2 information has implausible size %u", total);
    out->total_size = total;
    uint32_t off = 8;
    for (;;) {
        if (off + 8 > total)
            return fail(err, errlen, "multiboot2 tags run past the end (offset %u) without an end tag", off);
        const uint8_t *t = base + off;
        uint32_t type = *(const uint32_t *)t, size = *(const uint32_t *)(t + 4);
        if (size < 8 || size > total - off)
            return fail(err, errlen, "multiboot2 tag with bad size %u", size);
        if (type == TAG_END)
            break;
        switch (type) {
        case TAG_CMDLINE:
            if (!(out->cmdline = tag_string(t, size, 8)))
                return fail(err, errlen, "multiboot2 command line is not terminated", 0);
            break;
        case TAG_LOADER:
            if (!(out->loader = tag_string(t, size, 8)))
                return fail(err, errlen, "multiboot2 loader name is not terminated", 0);
            break;
        case TAG_MODULE: {
            if (size < 16)
                return fail(err, errlen, "multiboot2 module tag too short (%u)", size);
            if (out->n_modules == MB2_MAX_MODULES)
                return fail(err, errlen, "more than %u modules", MB2_MAX_MODULES);
            struct mb2_module *m = &out->modules[out->n_modules++];
            m->start = *(const uint32_t *)(t + 8);
            m->end = *(const uint32_t *)(t + 12);
            if (m->end < m->start)
                return fail(err, errlen, "multiboot2 module ends before it starts", 0);
            if (!(m->cmdline = tag_string(t, size, 16)))
                return fail(err, errlen, "multiboot2 module name is not terminated", 0);
            break;
        }
        case TAG_MMAP: {
            /* entry_size lies at t+8: only read it once the tag is known to hold it. */
            uint32_t esize = size < 16 ? 0 : *(const uint32_t *)(t + 8);
            if (esize < 24)
                return fail(err, errlen, "multiboot2 memory map entry size %u too small", esize);
            /* e <= size holds throughout, so size - e cannot wrap the way e + esize could. */
            for (uint32_t e = 16; esize <= size - e; e += esize) {
                if (out->n_mmap == MB2_MAX_MMAP)
                    return fail(err, errlen, "memory map has more than %u entries", MB2_MAX_MMAP);
                struct mb2_mmap_entry *m = &out->mmap[out->n_mmap++];
                memcpy(&m->base, t + e, 8);
                memcpy(&m->len, t + e + 8, 8);
                memcpy(&m->type, t + e + 16, 4);
            }
            break;
        }
        case TAG_ACPI_OLD: /* the RSDP copy follows the tag header; the ACPI 2.0 one wins */
            if (!out->rsdp && size >= 8 + 20) {
                out->rsdp = t + 8;
                out->rsdp_len = size - 8;
            }
            break;
        case TAG_ACPI_NEW:
            if (size >= 8 + 36) {
                out->rsdp = t + 8;
                out->rsdp_len = size - 8;
            }
            break;
        default:
            break;
        }
        off += (size + 7) & ~7u;
    }
    if (out->n_mmap == 0)
        return fail(err, errlen, "boot loader passed no memory map", 0);
    return 0;
}

const struct mb2_module *mb2_find_module(const struct mb2_info *info, const char *name)
{
    size_t n = strlen(name);
    for (unsigned i = 0; i < info->n_modules; i++) {
        const char *c = info->modules[i].cmdline;
        /* GRUB passes "path args": match the last path component of the first word too. */
        size_t w = 0;
        while (c[w] && c[w] != ' ')
            w++;
        size_t s = w;
        while (s > 0 && c[s - 1] != '/')
            s--;
        if ((w == n && !strncmp(c, name, n)) || (w - s == n && !strncmp(c + s, name, n)))
            return &info->modules[i];
    }
    return NULL;
}
