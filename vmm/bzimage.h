/* Loading a Linux bzImage through the 32-bit boot protocol (Documentation/x86/boot.rst). */
#ifndef HS_BZIMAGE_H
#define HS_BZIMAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BZ_BOOT_PARAMS_GPA 0x9000ull   /* the "zero page" */
#define BZ_LOAD_GPA 0x100000ull        /* protected-mode kernel */

struct bz_kernel {
    uint32_t entry;         /* code32_start */
    uint16_t version;       /* boot protocol version */
    uint64_t lo, hi;        /* guest-physical range the kernel needs (load address .. + init_size) */
};

/* True if img carries the bzImage setup header signature. */
bool bzimage_detect(const uint8_t *img, size_t len);
/* Copies the protected-mode kernel to 1 MiB and checks that it fits; returns 0 or -1 with err. */
int bzimage_load(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gmem_size, struct bz_kernel *out,
                 char *err, size_t errlen);
/* Builds boot_params (setup header copy, command line, initrd, e820) in guest memory; ESI points at it. */
int bzimage_write_boot_params(const uint8_t *img, size_t len, uint8_t *gmem, uint64_t gmem_size,
                              const char *cmdline, uint64_t initrd_gpa, uint64_t initrd_size, char *err,
                              size_t errlen);

#endif
