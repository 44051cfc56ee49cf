/* On a real machine a broadcast INIT-SIPI wakes every core, hyperthreads and all, and each must
 * then be parked by the trampoline; the MADT lists the cores, so only the one the VMM uses is
 * woken and the others stay in wait-for-SIPI, where nothing but another SIPI moves them. */
#include "cores.h"
#include "acpi.h"
#include "console.h"
#include "hostirq.h"
#include "lapic.h"
#include "lib.h"
#include "paging.h"
#include "smp.h"

static struct madt_info mi;

/* Physical memory is identity-mapped up to paging_mapped_top(); nothing above is read. */
static bool phys_read(void *ctx, uint64_t pa, void *buf, size_t n)
{
    (void)ctx;
    uint64_t top = paging_mapped_top();
    if (pa >= top || n > top - pa)
        return false;
    memcpy(buf, (const void *)(uintptr_t)pa, n);
    return true;
}

static uint64_t find_rsdp(const struct mb2_info *mb)
{
    if (mb->rsdp)
        return (uint64_t)(uintptr_t)mb->rsdp;
    /* BIOS: the first KiB of the EBDA, then 0xE0000-0xFFFFF. */
    uint16_t seg = 0;
    phys_read(0, 0x40E, &seg, 2);
    uint64_t ebda = (uint64_t)seg << 4, r = 0;
    if (ebda >= 0x80000 && ebda < 0xA0000)
        r = acpi_scan_rsdp(phys_read, 0, ebda, 1024);
    return r ? r : acpi_scan_rsdp(phys_read, 0, 0xE0000, 0x20000);
}

void cores_discover(const struct mb2_info *mb)
{
    char err[160];
    uint64_t rsdp = find_rsdp(mb), addr;
    uint32_t len;
    if (!rsdp || acpi_find_table(phys_read, 0, rsdp, "APIC", &addr, &len, err, sizeof(err)) ||
        madt_parse((const void *)(uintptr_t)addr, len, &mi, err, sizeof(err))) {
        kprintf("hindsight: no usable ACPI MADT (%s): the second core is started by broadcast INIT-SIPI\n",
                rsdp ? err : "no RSDP found");
        return;
    }
    uint32_t bsp = lapic_enabled() ? lapic_id() : 0;
    int64_t ap = -1;
    char ids[160];
    size_t n = 0;
    for (unsigned i = 0; i < mi.n_cpus; i++) {
        const struct madt_cpu *c = &mi.cpus[i];
        if (!c->enabled)
            continue;
        if (ap < 0 && c->apic_id != bsp)
            ap = c->apic_id;
        if (n < sizeof(ids))
            n += (size_t)hs_snprintf(ids + n, sizeof(ids) - n, "%s%u", n ? " " : "", c->apic_id);
    }
    if (n >= sizeof(ids))
        memcpy(ids + sizeof(ids) - 4, "...", 4);
    unsigned others = mi.n_enabled - 1 - (ap >= 0);
    if (ap >= 0)
        kprintf("hindsight: MADT: %u core(s), APIC IDs %s; core 0 (Primary) is APIC ID %u, core 1 (Backup) would be "
                "APIC ID %ld; %u other(s) stay in wait-for-SIPI\n", mi.n_enabled, ids, bsp, ap, others);
    else
        kprintf("hindsight: MADT: 1 core, APIC ID %u: no second core\n", bsp);
    smp_set_target(ap);
    for (unsigned i = 0; i < mi.n_ioapics; i++) {
        if (mi.ioapics[i].address >= paging_mapped_top() || mi.ioapics[i].address & 0xF)
            continue;
        unsigned pins = hostirq_mask_ioapic(mi.ioapics[i].address);
        kprintf("hindsight: I/O APIC %u at 0x%lx: %u input(s) masked\n", mi.ioapics[i].id, mi.ioapics[i].address, pins);
    }
}
