/* Both guests are loaded the same way from the same modules, so their initial
 * memory images are byte-identical: the precondition for deterministic replay. */
#include "guest.h"
#include "bzimage.h"
#include "console.h"
#include "lib.h"
#include "tlb.h"

static uint64_t ept_alloc(void *ctx)
{
    uint64_t p = palloc_alloc(ctx, 1, PAGE_SIZE);
    if (p)
        memset((void *)(uintptr_t)p, 0, PAGE_SIZE);
    return p;
}

static void *ident(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}

int guest_map_ram(struct vcpu *v, struct palloc *pa, uint64_t ram_hpa, uint64_t size)
{
    struct ept_ops ops = { ept_alloc, ident, pa, tlb_plan()->ept_2m };
    v->ram_hpa = ram_hpa;
    v->ram_size = size;
    if (ept_init(&v->ept, &ops) || ept_map(&v->ept, 0, ram_hpa, size, EPT_RWX)) {
        kprintf("hindsight: FATAL: out of memory for %s's EPT\n", v->name);
        return -1;
    }
    return 0;
}


int guest_load(struct vcpu *v, const struct config *cfg, const struct mb2_info *mb, struct guest_entry *e)
{
    char err[160];
    uint8_t *ram = (uint8_t *)(uintptr_t)v->ram_hpa;
    const struct mb2_module *km = mb2_find_module(mb, cfg->kernel);
    if (!km) {
        kprintf("hindsight: FATAL: no kernel module named '%s' (check the module2 lines in grub.cfg)\n", cfg->kernel);
        return -1;
    }
    memset(ram, 0, v->ram_size);
    const uint8_t *img = (const uint8_t *)(uintptr_t)km->start;
    size_t img_len = (size_t)(km->end - km->start);
    bool bz = bzimage_detect(img, img_len);
    struct pvh_kernel pk;
    struct bz_kernel bk;
    int rc = bz ? bzimage_load(img, img_len, ram, v->ram_size, &bk, err, sizeof(err))
                : pvh_load_elf(img, img_len, ram, v->ram_size, &pk, err, sizeof(err));
    if (rc) {
        kprintf("hindsight: FATAL: cannot load the guest kernel '%s': %s\n", km->cmdline, err);
        return -1;
    }
    uint64_t kernel_end = bz ? bk.hi : pk.hi;
    uint64_t initrd_gpa = 0, initrd_size = 0;
    if (cfg->initrd[0]) {
        const struct mb2_module *im = mb2_find_module(mb, cfg->initrd);
        if (!im) {
            kprintf("hindsight: FATAL: no initrd module named '%s' (check the module2 lines in grub.cfg)\n",
                    cfg->initrd);
            return -1;
        }
        initrd_size = im->end - im->start;
        /* At the top of RAM, page aligned, clear of the kernel. */
        initrd_gpa = (v->ram_size - initrd_size) & ~0xFFFull;
        if (initrd_size >= v->ram_size || initrd_gpa < kernel_end) {
            kprintf("hindsight: FATAL: the initrd (%lu KiB) does not fit in %lu MiB of guest RAM beside the kernel\n",
                    initrd_size >> 10, v->ram_size >> 20);
            return -1;
        }
        memcpy(ram + initrd_gpa, (const void *)(uintptr_t)im->start, initrd_size);
    }
    const char *cl = v->id == 1 && cfg->backup_cmdline_set ? cfg->backup_cmdline : cfg->cmdline;
    rc = bz ? bzimage_write_boot_params(img, img_len, ram, v->ram_size, cl, initrd_gpa, initrd_size, err, sizeof(err))
            : pvh_write_start_info(ram, v->ram_size, cl, initrd_gpa, initrd_size, err, sizeof(err));
    if (rc) {
        kprintf("hindsight: FATAL: %s\n", err);
        return -1;
    }
    *e = bz ? (struct guest_entry){ bk.entry, 0, (uint32_t)BZ_BOOT_PARAMS_GPA, "bzImage" }
            : (struct guest_entry){ pk.entry, (uint32_t)GUEST_START_INFO_GPA, 0, "PVH" };
    return 0;
}
