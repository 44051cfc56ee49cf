/* Starting the second core. */
#ifndef HS_SMP_H
#define HS_SMP_H
#include <stdint.h>

/* Starts one application processor running entry(arg) on stack; returns 0 once it reports
 * alive, -1 (with a console message) if no AP answered INIT-SIPI-SIPI. */
int smp_start_ap(uint64_t cr3, uint64_t stack_top, void (*entry)(void *), void *arg);
/* Directs smp_start_ap at the core with this APIC ID (from the MADT); -1: broadcast. */
void smp_set_target(int64_t apic_id);

#endif
