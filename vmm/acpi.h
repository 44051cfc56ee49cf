/* ACPI: finding the MADT from the RSDP and reading the cores and I/O APICs from it (pure: the
 * memory is reached through a callback, so the unit tests and the fuzzer feed it any bytes). */
#ifndef HS_ACPI_H
#define HS_ACPI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MADT_MAX_CPUS 256
#define MADT_MAX_IOAPICS 8

struct madt_cpu {
    uint32_t apic_id;
    uint32_t acpi_uid;
    bool enabled;        /* flags bit 0; a disabled but online-capable core (bit 1) is not started */
    bool x2apic;         /* from a type-9 entry */
};

struct madt_ioapic {
    uint32_t id, gsi_base;
    uint64_t address;
};

struct madt_info {
    uint64_t lapic_address;           /* after any type-5 override */
    bool pcat_compat;                 /* flags bit 0: the 8259As are present */
    unsigned n_cpus, n_enabled, n_ioapics;
    unsigned cpus_dropped;            /* entries beyond MADT_MAX_CPUS */
    struct madt_cpu cpus[MADT_MAX_CPUS];
    struct madt_ioapic ioapics[MADT_MAX_IOAPICS];
};

/* Parses a MADT of len bytes (len: what is readable; the header's length must fit in it).
 * Returns 0, or -1 with the reason in err. */
int madt_parse(const void *table, size_t len, struct madt_info *out, char *err, size_t errlen);

/* Reads n bytes of physical memory at pa into buf; false if that memory is not there. */
typedef bool (*acpi_read_fn)(void *ctx, uint64_t pa, void *buf, size_t n);
/* Follows the RSDP at rsdp (checksums and lengths checked) through the XSDT (or RSDT) to the
 * table with signature sig; returns its address and length, or -1 with the reason in err. */
int acpi_find_table(acpi_read_fn rd, void *ctx, uint64_t rsdp, const char sig[4], uint64_t *addr, uint32_t *len,
                    char *err, size_t errlen);
/* Scans [base, base+len) on 16-byte boundaries for a valid RSDP (the BIOS areas); 0 if none. */
uint64_t acpi_scan_rsdp(acpi_read_fn rd, void *ctx, uint64_t base, uint64_t len);

#endif
