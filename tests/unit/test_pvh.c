/* PVH loading: small ELF64/ELF32 images are built in memory, copied into exact-size heap
 * buffers (ASan catches reads past the image) and loaded into a 4 MiB guest buffer
 * pre-filled with 0xAA (so stray writes and missing bss zeroing show). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "pvh.h"

#define GMEM (4ull << 20)
#define PHOFF 64
#define NOTE_OFF 0x200
#define CODE_OFF 0x400
#define CODE_LEN 0x300
#define LOAD_PA 0x100000ull
#define LOAD_MEMSZ 0x2000ull
#define ENTRY 0x100010u
#define PT_LOAD 1
#define PT_NOTE 4

struct seg {
    uint32_t type;
    uint64_t offset, paddr, filesz, memsz;
};

static uint8_t IMG[0x4000];
static int IS64;
static uint8_t *gmem;
static struct pvh_kernel K;
static char err[200];

static void w16(size_t off, uint16_t v) { memcpy(IMG + off, &v, 2); }
static void w32(size_t off, uint32_t v) { memcpy(IMG + off, &v, 4); }
static void w64(size_t off, uint64_t v) { memcpy(IMG + off, &v, 8); }

static void set_phdr(unsigned i, const struct seg *s)
{
    if (IS64) {
        size_t p = PHOFF + i * 56;
        w32(p, s->type);
        w32(p + 4, 7);
        w64(p + 8, s->offset);
        w64(p + 16, s->paddr + 0xFFFFFFFF80000000ull); /* vaddr differs: paddr must be used */
        w64(p + 24, s->paddr);
        w64(p + 32, s->filesz);
        w64(p + 40, s->memsz);
        w64(p + 48, 0x1000);
    } else {
        size_t p = PHOFF + i * 32;
        w32(p, s->type);
        w32(p + 4, (uint32_t)s->offset);
        w32(p + 8, (uint32_t)s->paddr + 0xC0000000u);
        w32(p + 12, (uint32_t)s->paddr);
        w32(p + 16, (uint32_t)s->filesz);
        w32(p + 20, (uint32_t)s->memsz);
        w32(p + 24, 7);
        w32(p + 28, 0x1000);
    }
}

/* Writes one ELF note at off; returns its padded size. */
static uint32_t put_note(size_t off, const char *name, uint32_t namesz, uint32_t type, uint64_t desc, uint32_t descsz)
{
    w32(off, namesz);
    w32(off + 4, descsz);
    w32(off + 8, type);
    memcpy(IMG + off + 12, name, namesz);
    uint32_t d = 12 + ((namesz + 3) & ~3u);
    memcpy(IMG + off + d, &desc, descsz <= 8 ? descsz : 8);
    return d + ((descsz + 3) & ~3u);
}

static void set_phnum(uint16_t n) { w16(IS64 ? 56 : 44, n); }

static const struct seg STD_LOAD = { PT_LOAD, CODE_OFF, LOAD_PA, CODE_LEN, LOAD_MEMSZ };

/* A complete image: header, PT_LOAD (code + bss) and PT_NOTE with the PVH entry. */
static size_t std_image(int is64, uint32_t descsz, uint32_t entry)
{
    IS64 = is64;
    memset(IMG, 0, sizeof(IMG));
    memcpy(IMG, "\x7f" "ELF", 4);
    IMG[4] = is64 ? 2 : 1;
    IMG[5] = 1;
    IMG[6] = 1;
    w16(16, 2);
    w16(18, is64 ? 62 : 3);
    w32(20, 1);
    if (is64) {
        w64(24, 0xFFFFFFFF81000000ull); /* e_entry: the 64-bit entry, not the PVH one */
        w64(32, PHOFF);
        w16(52, 64);
        w16(54, 56);
    } else {
        w32(24, 0xC1000000u);
        w32(28, PHOFF);
        w16(40, 52);
        w16(42, 32);
    }
    set_phnum(2);
    set_phdr(0, &STD_LOAD);
    uint32_t nl = put_note(NOTE_OFF, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY,
                           descsz == 8 ? (0xFFFFFFFF00000000ull | entry) : entry, descsz);
    struct seg note = { PT_NOTE, NOTE_OFF, 0, nl, nl };
    set_phdr(1, &note);
    for (unsigned i = 0; i < CODE_LEN; i++)
        IMG[CODE_OFF + i] = (uint8_t)(i * 7 + 1);
    return CODE_OFF + CODE_LEN;
}

/* Loads the first len bytes of IMG into a fresh guest buffer of gsize bytes. */
static int load_sized(size_t len, uint64_t gsize)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, IMG, len);
    free(gmem);
    gmem = malloc(gsize);
    memset(gmem, 0xAA, gsize);
    memset(&K, 0, sizeof(K));
    strcpy(err, "(untouched)");
    int r = pvh_load_elf(copy, len, gmem, gsize, &K, err, sizeof(err));
    free(copy);
    return r;
}
static int load(size_t len) { return load_sized(len, GMEM); }

static void teardown(void)
{
    free(gmem);
    gmem = NULL;
}

static void expect_error(size_t len, const char *want, const char *file, int line)
{
    int r = load(len);
    if (r != -1)
        hs_fail(file, line, "pvh_load_elf returned %d, expected an error containing \"%s\"", r, want);
    else if (!strstr(err, want))
        hs_fail(file, line, "pvh_load_elf error \"%s\" does not contain \"%s\"", err, want);
}
#define EXPECT_ERROR(len, want) expect_error((len), (want), __FILE__, __LINE__)

static void check_loaded(const char *file, int line)
{
    for (unsigned i = 0; i < CODE_LEN; i++)
        if (gmem[LOAD_PA + i] != (uint8_t)(i * 7 + 1)) {
            hs_fail(file, line, "segment byte %u is 0x%02x", i, gmem[LOAD_PA + i]);
            return;
        }
    for (uint64_t a = LOAD_PA + CODE_LEN; a < LOAD_PA + LOAD_MEMSZ; a++)
        if (gmem[a] != 0) {
            hs_fail(file, line, "bss byte at 0x%llx is 0x%02x, not zeroed", (unsigned long long)a, gmem[a]);
            return;
        }
    if (gmem[LOAD_PA - 1] != 0xAA || gmem[LOAD_PA + LOAD_MEMSZ] != 0xAA || gmem[0] != 0xAA)
        hs_fail(file, line, "bytes outside the segment were written");
}
#define CHECK_LOADED() check_loaded(__FILE__, __LINE__)

TEST(pvh_load_elf64_note_desc4)
{
    size_t len = std_image(1, 4, ENTRY);
    CHECK_EQ(load(len), 0);
    CHECK_STREQ(err, "(untouched)");
    CHECK_EQ(K.entry, ENTRY);
    CHECK_EQ(K.lo, LOAD_PA);
    CHECK_EQ(K.hi, LOAD_PA + LOAD_MEMSZ);
    CHECK_LOADED();
    teardown();
}

TEST(pvh_load_elf64_note_desc8)
{
    size_t len = std_image(1, 8, ENTRY + 4);
    CHECK_EQ(load(len), 0);
    CHECK_EQ(K.entry, ENTRY + 4); /* low 32 bits of the 64-bit descriptor */
    CHECK_LOADED();
    teardown();
}

TEST(pvh_load_elf32_note_desc4_and_desc8)
{
    size_t len = std_image(0, 4, ENTRY);
    CHECK_EQ(load(len), 0);
    CHECK_EQ(K.entry, ENTRY);
    CHECK_EQ(K.lo, LOAD_PA);
    CHECK_EQ(K.hi, LOAD_PA + LOAD_MEMSZ);
    CHECK_LOADED();
    len = std_image(0, 8, ENTRY + 8);
    CHECK_EQ(load(len), 0);
    CHECK_EQ(K.entry, ENTRY + 8);
    CHECK_LOADED();
    teardown();
}

TEST(pvh_load_several_segments_and_notes)
{
    size_t len = std_image(1, 4, 0x200100);
    /* Note segment: a GNU note, a Xen note of another type, then PHYS32_ENTRY. */
    uint32_t off = NOTE_OFF;
    off += put_note(off, "GNU", 4, 3, 0x1122334455667788ull, 8);
    off += put_note(off, "Linux", 6, 1, 0, 3);
    off += put_note(off, "Xen", 4, 6, 0xDEADBEEF, 4);
    off += put_note(off, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, 0x200100, 4);
    struct seg note = { PT_NOTE, NOTE_OFF, 0, off - NOTE_OFF, off - NOTE_OFF };
    set_phdr(1, &note);
    /* A second PT_LOAD at 2 MiB: 0x100 file bytes then bss. */
    struct seg s2 = { PT_LOAD, CODE_OFF + 0x100, 0x200000, 0x100, 0x1000 };
    set_phdr(2, &s2);
    /* An empty PT_LOAD and a PT_GNU_STACK-like entry are ignored. */
    struct seg empty = { PT_LOAD, 0, 0, 0, 0 };
    set_phdr(3, &empty);
    struct seg other = { 0x6474e551, 0, 0, 0, 0x1000 };
    set_phdr(4, &other);
    set_phnum(5);
    CHECK_EQ(load(len), 0);
    CHECK_EQ(K.entry, 0x200100);
    CHECK_EQ(K.lo, LOAD_PA);
    CHECK_EQ(K.hi, 0x201000);
    CHECK_LOADED();
    CHECK_MEM(gmem + 0x200000, IMG + CODE_OFF + 0x100, 0x100);
    CHECK_EQ(gmem[0x200100], 0);
    CHECK_EQ(gmem[0x200FFF], 0);
    CHECK_EQ(gmem[0x201000], 0xAA);
    teardown();
}

TEST(pvh_load_segment_at_top_of_ram)
{
    size_t len = std_image(1, 4, (uint32_t)(GMEM - 0x1000));
    struct seg s = { PT_LOAD, CODE_OFF, GMEM - 0x1000, 0x100, 0x1000 };
    set_phdr(0, &s);
    CHECK_EQ(load(len), 0);
    CHECK_EQ(K.hi, GMEM);
    teardown();
}

TEST(pvh_error_not_elf)
{
    size_t len = std_image(1, 4, ENTRY);
    IMG[1] = 'X';
    EXPECT_ERROR(len, "not an ELF file");
    std_image(1, 4, ENTRY);
    EXPECT_ERROR(51, "not an ELF file"); /* shorter than any ELF header */
    EXPECT_ERROR(0, "not an ELF file");
    std_image(1, 4, ENTRY);
    IMG[4] = 3;
    EXPECT_ERROR(len, "unknown class");
    std_image(1, 4, ENTRY);
    IMG[5] = 2;
    EXPECT_ERROR(len, "not little-endian");
    teardown();
}

TEST(pvh_error_wrong_machine)
{
    size_t len = std_image(1, 4, ENTRY);
    w16(18, 3); /* ELF64 claiming i386 */
    EXPECT_ERROR(len, "not for x86");
    w16(18, 183); /* AArch64 */
    EXPECT_ERROR(len, "not for x86");
    len = std_image(0, 4, ENTRY);
    w16(18, 62); /* ELF32 claiming x86-64 */
    EXPECT_ERROR(len, "not for x86");
    teardown();
}

TEST(pvh_error_truncated_headers)
{
    std_image(1, 4, ENTRY);
    EXPECT_ERROR(60, "header is truncated"); /* ELF64 needs 64 bytes */
    /* The program headers run past the end of the file. */
    std_image(1, 4, ENTRY);
    EXPECT_ERROR(PHOFF + 20, "program headers run past the end");
    size_t len = std_image(1, 4, ENTRY);
    set_phnum(200);
    EXPECT_ERROR(len, "program headers run past the end");
    len = std_image(0, 4, ENTRY);
    w32(28, (uint32_t)len - 16);
    EXPECT_ERROR(len, "program headers run past the end");
    teardown();
}

TEST(pvh_error_phoff_wraps)
{
    /* phoff near 2^64: phoff + phentsize wraps to a small number. */
    static const uint64_t offs[] = { 0xFFFFFFFFFFFFFFF0ull, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFC8ull, 1ull << 63 };
    for (unsigned i = 0; i < 4; i++) {
        size_t len = std_image(1, 4, ENTRY);
        w64(32, offs[i]);
        EXPECT_ERROR(len, "program headers run past the end");
    }
    teardown();
}

TEST(pvh_error_unusable_program_headers)
{
    size_t len = std_image(1, 4, ENTRY);
    set_phnum(0);
    EXPECT_ERROR(len, "no usable program headers");
    len = std_image(1, 4, ENTRY);
    w16(54, 32); /* ELF64 phentsize below 56 */
    EXPECT_ERROR(len, "no usable program headers");
    len = std_image(0, 4, ENTRY);
    w16(42, 16);
    EXPECT_ERROR(len, "no usable program headers");
    len = std_image(1, 4, ENTRY);
    set_phnum(257);
    EXPECT_ERROR(len, "no usable program headers");
    teardown();
}

TEST(pvh_error_segment_past_file_end)
{
    size_t len = std_image(1, 4, ENTRY);
    struct seg s = STD_LOAD;
    s.filesz = CODE_LEN + 1;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "segment runs past the end of the file");
    s = STD_LOAD;
    s.offset = len + 0x1000;
    s.filesz = 0;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "segment runs past the end of the file");
    s = STD_LOAD;
    s.offset = 0xFFFFFFFFFFFFFF00ull; /* offset + filesz wraps */
    set_phdr(0, &s);
    EXPECT_ERROR(len, "segment runs past the end of the file");
    s = STD_LOAD;
    s.filesz = LOAD_MEMSZ + 0x1000; /* more file bytes than memory */
    s.memsz = LOAD_MEMSZ;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "segment runs past the end of the file");
    /* The note segment, too. */
    len = std_image(1, 4, ENTRY);
    struct seg note = { PT_NOTE, len - 8, 0, 16, 16 };
    set_phdr(1, &note);
    EXPECT_ERROR(len, "note segment runs past the end");
    note.offset = 0xFFFFFFFFFFFFFFF8ull;
    set_phdr(1, &note);
    EXPECT_ERROR(len, "note segment runs past the end");
    teardown();
}

TEST(pvh_error_segment_outside_guest_ram)
{
    size_t len = std_image(1, 4, ENTRY);
    struct seg s = STD_LOAD;
    s.paddr = GMEM;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "kernel ELF segment at 0x400000+0x2000 does not fit in 4 MiB of guest RAM");
    s.paddr = GMEM - 0x1000; /* starts inside, ends outside */
    set_phdr(0, &s);
    EXPECT_ERROR(len, "does not fit in 4 MiB");
    s.paddr = LOAD_PA;
    s.memsz = 0xFFFFFFFFFFFFF000ull; /* paddr + memsz wraps */
    set_phdr(0, &s);
    EXPECT_ERROR(len, "does not fit");
    s = STD_LOAD;
    s.paddr = 0xFFFFFFFFFFFFF000ull;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "does not fit");
    teardown();
}

TEST(pvh_error_segment_below_1mib)
{
    size_t len = std_image(1, 4, 0xF0010);
    struct seg s = STD_LOAD;
    s.paddr = 0xF0000;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "below 1 MiB");
    CHECK_EQ(gmem[0xF0000], 0xAA); /* refused before copying */
    s.paddr = 0;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "below 1 MiB");
    len = std_image(0, 4, 0xFFFF0);
    s.paddr = 0xFFFF0;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "below 1 MiB");
    teardown();
}

TEST(pvh_error_no_pvh_note)
{
    size_t len = std_image(1, 4, ENTRY);
    set_phnum(1); /* no PT_NOTE */
    EXPECT_ERROR(len, "no PVH entry note");
    std_image(1, 4, ENTRY);
    put_note(NOTE_OFF, "Xem", 4, XEN_ELFNOTE_PHYS32_ENTRY, ENTRY, 4);
    EXPECT_ERROR(len, "no PVH entry note");
    std_image(1, 4, ENTRY);
    put_note(NOTE_OFF, "Xen", 4, 17, ENTRY, 4); /* another Xen note type */
    EXPECT_ERROR(len, "no PVH entry note");
    std_image(1, 4, ENTRY);
    put_note(NOTE_OFF, "Xen", 4, XEN_ELFNOTE_PHYS32_ENTRY, ENTRY, 2); /* bad descriptor size */
    EXPECT_ERROR(len, "no PVH entry note");
    std_image(1, 4, ENTRY);
    put_note(NOTE_OFF, "Xen\0", 5, XEN_ELFNOTE_PHYS32_ENTRY, ENTRY, 4); /* namesz must be 4 */
    EXPECT_ERROR(len, "no PVH entry note");
    /* Note sizes that overflow the segment end the walk. */
    std_image(1, 4, ENTRY);
    w32(NOTE_OFF, 0xFFFFFFF0u);
    EXPECT_ERROR(len, "no PVH entry note");
    std_image(1, 4, ENTRY);
    w32(NOTE_OFF + 4, 0xFFFFFFFFu);
    EXPECT_ERROR(len, "no PVH entry note");
    /* A note segment cut short so the descriptor is outside it. */
    std_image(1, 4, ENTRY);
    struct seg note = { PT_NOTE, NOTE_OFF, 0, 18, 18 };
    set_phdr(1, &note);
    EXPECT_ERROR(len, "no PVH entry note");
    teardown();
}

TEST(pvh_error_entry_in_gap_between_segments)
{
    /* Two segments with a hole between them: an entry in the hole is refused. */
    size_t len = std_image(1, 4, 0x200000);
    struct seg s2 = { PT_LOAD, CODE_OFF, 0x300000, 0x10, 0x1000 };
    set_phdr(2, &s2);
    set_phnum(3);
    EXPECT_ERROR(len, "outside its loaded segments");
    teardown();
}

TEST(pvh_error_entry_outside_segments)
{
    size_t len = std_image(1, 4, 0x300000);
    EXPECT_ERROR(len, "entry point lies outside its loaded segments");
    std_image(1, 4, (uint32_t)(LOAD_PA + LOAD_MEMSZ)); /* hi is exclusive */
    EXPECT_ERROR(len, "outside its loaded segments");
    std_image(1, 4, (uint32_t)LOAD_PA - 1);
    EXPECT_ERROR(len, "outside its loaded segments");
    std_image(1, 4, (uint32_t)LOAD_PA); /* lo is inclusive */
    CHECK_EQ(load(len), 0);
    std_image(1, 4, (uint32_t)(LOAD_PA + LOAD_MEMSZ - 1));
    CHECK_EQ(load(len), 0);
    teardown();
}

TEST(pvh_error_no_loadable_segment)
{
    size_t len = std_image(1, 4, ENTRY);
    struct seg s = STD_LOAD;
    s.memsz = 0;
    s.filesz = 0;
    set_phdr(0, &s);
    EXPECT_ERROR(len, "no loadable segment");
    s = STD_LOAD;
    s.type = 6; /* PT_PHDR */
    set_phdr(0, &s);
    EXPECT_ERROR(len, "no loadable segment");
    teardown();
}

TEST(pvh_e820_layout)
{
    struct hvm_memmap_entry m[4];
    memset(m, 0x55, sizeof(m));
    CHECK_EQ(e820_build(64ull << 20, m, 4), 3);
    CHECK_EQ(m[0].addr, 0);
    CHECK_EQ(m[0].size, GUEST_LOW_RESERVED);
    CHECK_EQ(m[0].type, E820_RAM);
    CHECK_EQ(m[1].addr, GUEST_LOW_RESERVED);
    CHECK_EQ(m[1].addr + m[1].size, 0x100000);
    CHECK_EQ(m[1].type, E820_RESERVED);
    CHECK_EQ(m[2].addr, 0x100000);
    CHECK_EQ(m[2].addr + m[2].size, 64ull << 20);
    CHECK_EQ(m[2].type, E820_RAM);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(m[i].reserved, 0);
    CHECK_EQ(m[3].addr, 0x5555555555555555ull); /* untouched */
    /* The start_info page, the command line and the memory map are inside low RAM. */
    CHECK(GUEST_CMDLINE_GPA + GUEST_CMDLINE_MAX <= GUEST_LOW_RESERVED);
    CHECK(GUEST_START_INFO_GPA + 0x1000 <= GUEST_CMDLINE_GPA);
    /* Fewer slots: truncated, nothing written past max. */
    memset(m, 0x55, sizeof(m));
    CHECK_EQ(e820_build(64ull << 20, m, 2), 2);
    CHECK_EQ(m[1].type, E820_RESERVED);
    CHECK_EQ(m[2].addr, 0x5555555555555555ull);
    CHECK_EQ(e820_build(64ull << 20, m, 0), 0);
}

TEST(pvh_start_info_abi_sizes)
{
    CHECK_EQ(sizeof(struct hvm_start_info), 56);
    CHECK_EQ(sizeof(struct hvm_modlist_entry), 32);
    CHECK_EQ(sizeof(struct hvm_memmap_entry), 24);
}

static void fresh_guest(uint64_t size)
{
    free(gmem);
    gmem = malloc(size);
    memset(gmem, 0xAA, size);
}

TEST(pvh_write_start_info_fields)
{
    fresh_guest(GMEM);
    const char *cl = "console=ttyS0 earlyprintk=serial";
    CHECK_EQ(pvh_write_start_info(gmem, GMEM, cl, 0, 0, err, sizeof(err)), 0);
    struct hvm_start_info si;
    memcpy(&si, gmem + GUEST_START_INFO_GPA, sizeof(si));
    CHECK_EQ(si.magic, HVM_START_MAGIC);
    CHECK_EQ(si.version, 1);
    CHECK_EQ(si.flags, 0);
    CHECK_EQ(si.nr_modules, 0);
    CHECK_EQ(si.modlist_paddr, 0);
    CHECK_EQ(si.rsdp_paddr, 0);
    CHECK_EQ(si.reserved, 0);
    CHECK_EQ(si.cmdline_paddr, GUEST_CMDLINE_GPA);
    CHECK_STREQ((const char *)gmem + si.cmdline_paddr, cl);
    CHECK_EQ(gmem[GUEST_CMDLINE_GPA + strlen(cl) + 1], 0xAA); /* only the string and its NUL */
    CHECK_EQ(si.memmap_entries, 3);
    /* The memory map in guest memory is what e820_build gives, inside the start_info page. */
    CHECK(si.memmap_paddr >= GUEST_START_INFO_GPA + sizeof(si));
    CHECK(si.memmap_paddr + 3 * sizeof(struct hvm_memmap_entry) <= GUEST_START_INFO_GPA + 0x1000);
    CHECK_EQ(si.memmap_paddr % 8, 0);
    struct hvm_memmap_entry want[3];
    e820_build(GMEM, want, 3);
    if (si.memmap_paddr < GMEM)
        CHECK_MEM(gmem + si.memmap_paddr, want, sizeof(want));
    /* The start_info page is cleared; nothing below it is touched. */
    CHECK_EQ(gmem[GUEST_START_INFO_GPA + 0xFFF], 0);
    CHECK_EQ(gmem[GUEST_START_INFO_GPA - 1], 0xAA);
    CHECK_EQ(gmem[0], 0xAA);
    teardown();
}

TEST(pvh_write_start_info_initrd)
{
    fresh_guest(GMEM);
    CHECK_EQ(pvh_write_start_info(gmem, GMEM, "", 0x300000, 0x12345, err, sizeof(err)), 0);
    struct hvm_start_info si;
    memcpy(&si, gmem + GUEST_START_INFO_GPA, sizeof(si));
    CHECK_EQ(si.nr_modules, 1);
    CHECK(si.modlist_paddr >= GUEST_START_INFO_GPA + sizeof(si));
    CHECK(si.modlist_paddr + sizeof(struct hvm_modlist_entry) <= si.memmap_paddr ||
          si.modlist_paddr >= si.memmap_paddr + 3 * sizeof(struct hvm_memmap_entry));
    CHECK_EQ(si.modlist_paddr % 8, 0);
    struct hvm_modlist_entry mod;
    if (si.modlist_paddr < GMEM) {
        memcpy(&mod, gmem + si.modlist_paddr, sizeof(mod));
        CHECK_EQ(mod.paddr, 0x300000);
        CHECK_EQ(mod.size, 0x12345);
        CHECK_EQ(mod.cmdline_paddr, 0);
        CHECK_EQ(mod.reserved, 0);
    }
    CHECK_EQ(gmem[GUEST_CMDLINE_GPA], 0); /* empty command line */
    CHECK_EQ(si.memmap_entries, 3);
    teardown();
}

TEST(pvh_write_start_info_cmdline_limits)
{
    static char cl[GUEST_CMDLINE_MAX + 1];
    fresh_guest(GMEM);
    memset(cl, 'x', GUEST_CMDLINE_MAX - 1);
    cl[GUEST_CMDLINE_MAX - 1] = 0;
    CHECK_EQ(pvh_write_start_info(gmem, GMEM, cl, 0, 0, err, sizeof(err)), 0);
    CHECK_EQ(strlen((const char *)gmem + GUEST_CMDLINE_GPA), GUEST_CMDLINE_MAX - 1);
    CHECK_EQ(gmem[GUEST_CMDLINE_GPA + GUEST_CMDLINE_MAX], 0xAA);
    fresh_guest(GMEM);
    memset(cl, 'y', GUEST_CMDLINE_MAX);
    cl[GUEST_CMDLINE_MAX] = 0;
    CHECK_EQ(pvh_write_start_info(gmem, GMEM, cl, 0, 0, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "guest command line is 4096 bytes; the limit is 4095");
    CHECK_EQ(gmem[GUEST_CMDLINE_GPA], 0xAA); /* nothing written */
    CHECK_EQ(gmem[GUEST_START_INFO_GPA], 0xAA);
    teardown();
}

TEST(pvh_write_start_info_small_ram)
{
    fresh_guest(0x200000 - 0x1000);
    CHECK_EQ(pvh_write_start_info(gmem, 0x200000 - 0x1000, "x", 0, 0, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "below 2 MiB");
    fresh_guest(0x200000);
    CHECK_EQ(pvh_write_start_info(gmem, 0x200000, "x", 0, 0, err, sizeof(err)), 0);
    teardown();
}
