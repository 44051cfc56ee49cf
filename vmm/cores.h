/* Which cores the machine has (ACPI MADT) and which two the VMM uses. */
#ifndef HS_CORES_H
#define HS_CORES_H
#include "mb2.h"

/* Finds the MADT (the loader's RSDP, else the BIOS areas), names the cores and the APIC IDs the
 * VMM uses, aims smp_start_ap at the chosen one, masks the I/O APICs it lists. Without a MADT
 * it says so and leaves the broadcast start-up in place. */
void cores_discover(const struct mb2_info *mb);

#endif
