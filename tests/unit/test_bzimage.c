/* The bzImage loader: setup-header checks, placement, boot_params contents. */
#include <stdlib.h>
#include <string.h>
#include "bzimage.h"
#include "check.h"
#include "pvh.h"

#define GMEM (64u << 20)
static uint8_t IMG[8192];
static uint8_t *gmem;
static char err[200];

static void w16(size_t o, uint16_t v) { memcpy(IMG + o, &v, 2); }
static void w32(size_t o, uint32_t v) { memcpy(IMG + o, &v, 4); }
static uint32_t g32(size_t o) { uint32_t v; memcpy(&v, gmem + o, 4); return v; }

/* A minimal image: one setup sector after the boot sector, then 4 KiB of "kernel". */
static size_t make_image(void)
{
    memset(IMG, 0, sizeof(IMG));
    IMG[0x1F1] = 1;
    memcpy(IMG + 0x202, "HdrS", 4);
    IMG[0x201] = 0x6A;                /* header ends at 0x26C */
    w16(0x206, 0x020F);
    IMG[0x211] = 0x01;                /* LOADED_HIGH */
    w32(0x214, 0x100000);
    w32(0x22C, 0x7FFFFFFF);           /* initrd_addr_max */
    w32(0x238, 2047);                 /* cmdline_size */
    w32(0x260, 0x10000);              /* init_size */
    for (size_t i = 1024; i < 1024 + 4096; i++)
        IMG[i] = (uint8_t)(i * 7);
    return 1024 + 4096;
}

static void setup(void)
{
    gmem = calloc(1, GMEM);
    memset(err, 0, sizeof(err));
}

TEST(bzimage_detect_and_load)
{
    setup();
    size_t len = make_image();
    struct bz_kernel k;
    CHECK(bzimage_detect(IMG, len));
    CHECK_EQ(bzimage_load(IMG, len, gmem, GMEM, &k, err, sizeof(err)), 0);
    CHECK_EQ(k.entry, 0x100000);
    CHECK_EQ(k.version, 0x020F);
    CHECK_EQ(k.hi, (16u << 20) + 0x10000);
    CHECK_MEM(gmem + BZ_LOAD_GPA, IMG + 1024, 4096);
    free(gmem);
}

TEST(bzimage_boot_params)
{
    setup();
    size_t len = make_image();
    struct bz_kernel k;
    CHECK_EQ(bzimage_load(IMG, len, gmem, GMEM, &k, err, sizeof(err)), 0);
    CHECK_EQ(bzimage_write_boot_params(IMG, len, gmem, GMEM, "console=ttyS0", 0x3000000, 0x1234, err, sizeof(err)),
             0);
    uint8_t *bp = gmem + BZ_BOOT_PARAMS_GPA;
    CHECK(!memcmp(bp + 0x202, "HdrS", 4));
    CHECK_EQ(bp[0x210], 0xFF);
    CHECK_EQ(g32(BZ_BOOT_PARAMS_GPA + 0x228), GUEST_CMDLINE_GPA);
    CHECK_STREQ((char *)gmem + GUEST_CMDLINE_GPA, "console=ttyS0");
    CHECK_EQ(g32(BZ_BOOT_PARAMS_GPA + 0x218), 0x3000000);
    CHECK_EQ(g32(BZ_BOOT_PARAMS_GPA + 0x21C), 0x1234);
    CHECK_EQ(bp[0x1E8], 3);
    uint64_t a, s;
    uint32_t t;
    memcpy(&a, bp + 0x2D0 + 40, 8); /* third entry: RAM from 1 MiB */
    memcpy(&s, bp + 0x2D0 + 48, 8);
    memcpy(&t, bp + 0x2D0 + 56, 4);
    CHECK_EQ(a, 0x100000);
    CHECK_EQ(s, GMEM - 0x100000);
    CHECK_EQ(t, 1);
    /* Nothing past the copied header comes from the image. */
    CHECK_EQ(bp[0x26C], 0);
    free(gmem);
}

TEST(bzimage_errors)
{
    setup();
    struct bz_kernel k;
    size_t len = make_image();
    memcpy(IMG + 0x202, "HdrX", 4);
    CHECK(!bzimage_detect(IMG, len));
    CHECK_EQ(bzimage_load(IMG, len, gmem, GMEM, &k, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "no bzImage setup header");
    len = make_image();
    w16(0x206, 0x0204);
    CHECK_EQ(bzimage_load(IMG, len, gmem, GMEM, &k, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "older than 2.10");
    len = make_image();
    IMG[0x211] = 0;
    CHECK_EQ(bzimage_load(IMG, len, gmem, GMEM, &k, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "zImage");
    len = make_image();
    CHECK_EQ(bzimage_load(IMG, 1000, gmem, GMEM, &k, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "truncated");
    len = make_image();
    w32(0x214, 0x200000);
    CHECK_EQ(bzimage_load(IMG, len, gmem, GMEM, &k, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "code32_start");
    len = make_image();
    CHECK_EQ(bzimage_load(IMG, len, gmem, 16u << 20, &k, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "MiB of guest RAM to decompress");
    CHECK_EQ(bzimage_load(IMG, 0x100, gmem, GMEM, &k, err, sizeof(err)), -1);
    free(gmem);
}

TEST(bzimage_boot_params_errors)
{
    setup();
    size_t len = make_image();
    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CHECK_EQ(bzimage_write_boot_params(IMG, len, gmem, GMEM, big, 0, 0, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "at most 2047");
    w32(0x22C, 0x1000000);
    CHECK_EQ(bzimage_write_boot_params(IMG, len, gmem, GMEM, "", 0x3000000, 0x1000, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "initrd_addr_max");
    len = make_image();
    IMG[0x201] = 0xFF; /* header would run past 0x300 */
    CHECK_EQ(bzimage_write_boot_params(IMG, len, gmem, GMEM, "", 0, 0, err, sizeof(err)), -1);
    CHECK_CONTAINS(err, "bad length");
    free(gmem);
}
