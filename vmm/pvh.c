/* The image comes from outside (a file the user chose): every offset and size in it
 * is checked against the image length and the guest's RAM before anything is copied. */
#include "pvh.h"
#include "lib.h"

#define EI_CLASS 4
#define ELFCLASS32 1
#define ELFCLASS64 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_NOTE 4

struct phdr {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static int err_out(char *err, size_t errlen, const char *msg)
{
    hs_snprintf(err, errlen, "%s", msg);
    return -1;
}

static int get_phdr(const uint8_t *img, size_t len, int is64, uint64_t phoff, unsigned phentsize, unsigned i,
                    struct phdr *ph)
{
    uint64_t off = phoff + (uint64_t)i * phentsize;
    if (off < phoff || off > len || phentsize > len - off)
        return -1;
    const uint8_t *p = img + off;
    if (is64) {
        ph->type = rd32(p);
        ph->offset = rd64(p + 8);
        ph->paddr = rd64(p + 24);
        ph->filesz = rd64(p + 32);
        ph->memsz = rd64(p + 40);
    } else {
        ph->type = rd32(p);
        ph->offset = rd32(p + 4);
        ph->paddr = rd32(p + 12);
        ph->filesz = rd32(p + 16);
        ph->memsz = rd32(p + 20);
    }
    return 0;
}

/* Looks through one PT_NOTE segment for Xen's PHYS32_ENTRY note. */
static int find_pvh_note(const uint8_t *n, uint64_t size, uint32_t *entry)
{
    uint64_t off = 0;
    while (off + 12 <= size) {
        uint32_t namesz = rd32(n + off), descsz = rd32(n + off + 4), type = rd32(n + off + 8);
        uint64_t name_off = off + 12, desc_off = name_off + ALIGN_UP((uint64_t)namesz, 4);
        uint64_t next = desc_off + ALIGN_UP((uint64_t)descsz, 4);
        if (desc_off > size || next > size || next <= off)
            return -1;
        if (namesz == 4 && !memcmp(n + name_off, "Xen", 4) && type == XEN_ELFNOTE_PHYS32_ENTRY &&
            (descsz == 4 || descsz == 8)) {
            *entry = rd32(n + desc_off);
            return 0;
        }
        off = next;
    }
    return -1;
}

int pvh_load_elf(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gmem_size,
                 struct pvh_kernel *out, char *err, size_t errlen)
{
    static const uint8_t magic[4] = { 0x7F, 'E', 'L', 'F' };
    if (len < 52 || memcmp(img, magic, 4))
        return err_out(err, errlen, "kernel image is not an ELF file (use the uncompressed vmlinux, or a bzImage)");
    int is64 = img[EI_CLASS] == ELFCLASS64;
    if (!is64 && img[EI_CLASS] != ELFCLASS32)
        return err_out(err, errlen, "kernel ELF has an unknown class");
    if (img[5] != 1)
        return err_out(err, errlen, "kernel ELF is not little-endian");
    if (is64 && len < 64)
        return err_out(err, errlen, "kernel ELF header is truncated");
    uint16_t machine = rd16(img + 18);
    if (machine != (is64 ? EM_X86_64 : EM_386))
        return err_out(err, errlen, "kernel ELF is not for x86");
    uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
    unsigned phentsize = rd16(img + (is64 ? 54 : 42)), phnum = rd16(img + (is64 ? 56 : 44));
    if (phentsize < (is64 ? 56u : 32u) || phnum == 0 || phnum > 256)
        return err_out(err, errlen, "kernel ELF has no usable program headers");
    out->lo = UINT64_MAX;
    out->hi = 0;
    int have_entry = 0, loads = 0, entry_in_segment = 0;
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr ph;
        if (get_phdr(img, len, is64, phoff, phentsize, i, &ph))
            return err_out(err, errlen, "kernel ELF program headers run past the end of the file");
        if (ph.type == PT_NOTE && !have_entry) {
            if (ph.offset > len || ph.filesz > len - ph.offset)
                return err_out(err, errlen, "kernel ELF note segment runs past the end of the file");
            have_entry = find_pvh_note(img + ph.offset, ph.filesz, &out->entry) == 0;
        }
        if (ph.type != PT_LOAD || ph.memsz == 0)
            continue;
        if (ph.filesz > ph.memsz || ph.offset > len || ph.filesz > len - ph.offset)
            return err_out(err, errlen, "kernel ELF segment runs past the end of the file (truncated image?)");
        if (ph.paddr >= gmem_size || ph.memsz > gmem_size - ph.paddr) {
            hs_snprintf(err, errlen, "kernel ELF segment at 0x%lx+0x%lx does not fit in %lu MiB of guest RAM",
                        ph.paddr, ph.memsz, gmem_size >> 20);
            return -1;
        }
        if (ph.paddr < 0x100000)
            return err_out(err, errlen, "kernel ELF segment below 1 MiB would overwrite the boot information");
        memcpy(gmem + ph.paddr, img + ph.offset, ph.filesz);
        memset(gmem + ph.paddr + ph.filesz, 0, ph.memsz - ph.filesz);
        if (ph.paddr < out->lo)
            out->lo = ph.paddr;
        if (ph.paddr + ph.memsz > out->hi)
            out->hi = ph.paddr + ph.memsz;
        loads++;
    }
    if (!loads)
        return err_out(err, errlen, "kernel ELF has no loadable segment");
    if (!have_entry)
        return err_out(err, errlen,
                       "kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): build it with CONFIG_PVH=y");
    for (unsigned i = 0; i < phnum; i++) {
        struct phdr ph;
        get_phdr(img, len, is64, phoff, phentsize, i, &ph);
        if (ph.type == PT_LOAD && out->entry >= ph.paddr && out->entry - ph.paddr < ph.memsz)
            entry_in_segment = 1;
    }
    if (!entry_in_segment)
        return err_out(err, errlen, "kernel's PVH entry point lies outside its loaded segments");
    return 0;
}

unsigned e820_build(uint64_t mem, struct hvm_memmap_entry *map, unsigned max)
{
    if (mem < 0x200000)
        return 0; /* callers refuse guests this small; never describe negative RAM */
    struct hvm_memmap_entry e[3] = {
        { 0, GUEST_LOW_RESERVED, E820_RAM, 0 },
        { GUEST_LOW_RESERVED, 0x100000 - GUEST_LOW_RESERVED, E820_RESERVED, 0 },
        { 0x100000, mem - 0x100000, E820_RAM, 0 },
    };
    unsigned n = max < 3 ? max : 3;
    memcpy(map, e, n * sizeof(e[0]));
    return n;
}

int pvh_write_start_info(uint8_t *gmem, uint64_t gmem_size, const char *cmdline, uint64_t initrd_gpa,
                         uint64_t initrd_size, char *err, size_t errlen)
{
    size_t cl = strlen(cmdline);
    if (cl >= GUEST_CMDLINE_MAX) {
        hs_snprintf(err, errlen, "guest command line is %u bytes; the limit is %u", (unsigned)cl,
                    GUEST_CMDLINE_MAX - 1);
        return -1;
    }
    if (gmem_size < 0x200000)
        return err_out(err, errlen, "guest RAM below 2 MiB");
    struct hvm_start_info *si = (struct hvm_start_info *)(gmem + GUEST_START_INFO_GPA);
    struct hvm_modlist_entry *mod = (struct hvm_modlist_entry *)(si + 1);
    struct hvm_memmap_entry *map = (struct hvm_memmap_entry *)(mod + 1);
    memset(si, 0, 0x1000);
    si->magic = HVM_START_MAGIC;
    si->version = 1;
    si->cmdline_paddr = GUEST_CMDLINE_GPA;
    memcpy(gmem + GUEST_CMDLINE_GPA, cmdline, cl + 1);
    if (initrd_size) {
        si->nr_modules = 1;
        si->modlist_paddr = GUEST_START_INFO_GPA + sizeof(*si);
        mod->paddr = initrd_gpa;
        mod->size = initrd_size;
    }
    si->memmap_paddr = GUEST_START_INFO_GPA + sizeof(*si) + sizeof(*mod);
    si->memmap_entries = e820_build(gmem_size, map, 8);
    return 0;
}
