/* The CPUID every guest sees, built once at boot: one table, so the Primary and the Backup get
 * the same answers whichever core they run on (live CPUID differs per core in APIC IDs). */
#ifndef HS_CPUID_TABLE_H
#define HS_CPUID_TABLE_H
#include <stdint.h>

#define CPUID_TABLE_MAX 640

/* Fills the table from `raw` (the CPU's CPUID), passed through cpuid_filter(). */
void cpuid_table_build(void (*raw)(uint32_t leaf, uint32_t sub, uint32_t r[4]));
/* The guest's answer for leaf/subleaf; leaves the table does not hold read as zeros. */
void cpuid_table_get(uint32_t leaf, uint32_t sub, uint32_t r[4]);
/* Entries in the table (for tests and the boot log). */
unsigned cpuid_table_size(void);

#endif
