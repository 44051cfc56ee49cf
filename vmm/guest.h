/* Building a guest: its RAM, its EPT, and its boot image. */
#ifndef HS_GUEST_H
#define HS_GUEST_H
#include <stdint.h>
#include "config.h"
#include "mb2.h"
#include "palloc.h"
#include "pvh.h"
#include "vcpu.h"

/* Maps the guest's RAM [0, size) at host-physical ram_hpa through a fresh EPT. */
int guest_map_ram(struct vcpu *v, struct palloc *pa, uint64_t ram_hpa, uint64_t size);
/* Where and how the guest starts: 32-bit flat protected mode at eip, with ebx/esi set. */
struct guest_entry {
    uint32_t eip, ebx, esi;
    const char *protocol;    /* "PVH" or "bzImage" */
};

/* Zeroes guest RAM and loads the kernel (PVH ELF or bzImage), initrd and boot information. */
int guest_load(struct vcpu *v, const struct config *cfg, const struct mb2_info *mb, struct guest_entry *e);

#endif
