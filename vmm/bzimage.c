/* The 32-bit entry (code32_start) needs no real-mode setup code: the VMM fills in
 * boot_params itself and starts the kernel's own decompressor in flat protected
 * mode, exactly like a boot loader that follows the protocol's 32-bit path. */
#include "bzimage.h"
#include "lib.h"
#include "pvh.h"

#define HDR_SETUP_SECTS 0x1F1
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_CMDLINE_SIZE 0x238
#define HDR_INIT_SIZE 0x260
#define BP_E820_ENTRIES 0x1E8
#define BP_E820_TABLE 0x2D0
#define LOADED_HIGH 0x01

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static int fail(char *err, size_t errlen, const char *msg)
{
    hs_snprintf(err, errlen, "%s", msg);
    return -1;
}

bool bzimage_detect(const uint8_t *img, size_t len) { return len >= 0x300 && !memcmp(img + HDR_MAGIC, "HdrS", 4); }

/* Setup code size in bytes (boot sector included). */
static uint64_t setup_bytes(const uint8_t *img) { return ((uint64_t)(img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4) + 1) * 512; }

int bzimage_load(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gmem_size, struct bz_kernel *out,
                 char *err, size_t errlen)
{
    if (!bzimage_detect(img, len))
        return fail(err, errlen, "kernel image has no bzImage setup header");
    out->version = rd16(img + HDR_VERSION);
    if (out->version < 0x020A)
        return fail(err, errlen, "bzImage boot protocol older than 2.10 (kernels before 2.6.31) is not supported");
    if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
        return fail(err, errlen, "kernel is a zImage (loads low), not a bzImage");
    uint64_t off = setup_bytes(img);
    if (off >= len)
        return fail(err, errlen, "bzImage is truncated: no protected-mode kernel after the setup code");
    uint64_t pm = len - off, init = rd32(img + HDR_INIT_SIZE);
    uint64_t need = pm > init ? pm : init;
    out->entry = rd32(img + HDR_CODE32_START);
    out->lo = BZ_LOAD_GPA;
    /* The decompressor runs in place and unpacks to its preferred address (16 MiB on x86-64): leave room. */
    out->hi = (16ull << 20) + need;
    if (out->entry != BZ_LOAD_GPA)
        return fail(err, errlen, "bzImage asks for a code32_start other than 1 MiB");
    if (out->hi > gmem_size) {
        hs_snprintf(err, errlen, "bzImage needs %lu MiB of guest RAM to decompress; the guest has %lu MiB",
                    (out->hi + (1 << 20) - 1) >> 20, gmem_size >> 20);
        return -1;
    }
    memcpy(gmem + BZ_LOAD_GPA, img + off, pm);
    return 0;
}

int bzimage_write_boot_params(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gmem_size,
                              const char *cmdline, uint64_t initrd_gpa, uint64_t initrd_size, char *err,
                              size_t errlen)
{
    uint8_t *bp = gmem + BZ_BOOT_PARAMS_GPA;
    size_t cl = strlen(cmdline);
    uint32_t limit = rd32(img + HDR_CMDLINE_SIZE);
    if (cl >= GUEST_CMDLINE_MAX || (limit && cl > limit)) {
        hs_snprintf(err, errlen, "guest command line is %u bytes; this kernel takes at most %u", (unsigned)cl,
                    limit && limit < GUEST_CMDLINE_MAX - 1 ? limit : GUEST_CMDLINE_MAX - 1);
        return -1;
    }
    if (initrd_size && initrd_gpa + initrd_size - 1 > rd32(img + HDR_INITRD_ADDR_MAX))
        return fail(err, errlen, "the initrd lies above the kernel's initrd_addr_max: use less guest RAM");
    memset(bp, 0, 4096);
    /* The setup header runs from 0x1F1 to 0x202 + the byte at 0x201. */
    size_t hend = 0x202 + img[0x201];
    if (hend > len || hend > 0x300)
        return fail(err, errlen, "bzImage setup header has a bad length");
    memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS, hend - HDR_SETUP_SECTS);
    bp[HDR_TYPE_OF_LOADER] = 0xFF; /* no registered loader ID */
    bp[HDR_LOADFLAGS] &= (uint8_t)~0x20; /* keep the decompressor's messages */
    memcpy(gmem + GUEST_CMDLINE_GPA, cmdline, cl + 1);
    wr32(bp + HDR_CMD_LINE_PTR, (uint32_t)GUEST_CMDLINE_GPA);
    wr32(bp + HDR_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
    wr32(bp + HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
    struct hvm_memmap_entry map[8];
    unsigned n = e820_build(gmem_size, map, 8);
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + 20 * i; /* packed: addr, size, type */
        memcpy(e, &map[i].addr, 8);
        memcpy(e + 8, &map[i].size, 8);
        memcpy(e + 16, &map[i].type, 4);
    }
    return 0;
}
