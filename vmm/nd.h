/* The non-deterministic inputs of a guest, one choke point each (DESIGN.md "Determinism").
 * VCPU_PLAIN: the value comes from the device or clock. VCPU_RECORD: the same, and it is logged
 * at the current position. VCPU_REPLAY: it comes from the log, and no device clock, host clock
 * or console is consulted. A replay mismatch stops the Backup (vcpu->rp->diverged). */
#ifndef HS_ND_H
#define HS_ND_H
#include <stdbool.h>
#include <stdint.h>
#include "vcpu.h"

/* The guest's TSC (RDTSC, RDTSCP, RDMSR of IA32_TSC). */
uint64_t nd_tsc(struct vcpu *v);
/* RDRAND/RDSEED: the number, and *ok for the carry flag. */
uint64_t nd_rand(struct vcpu *v, bool seed, bool *ok);
/* A port read whose value depends on time (PIT, port 0x61, RTC): `live` reads the device. */
uint32_t nd_port_in(struct vcpu *v, uint16_t port, uint32_t (*live)(struct vcpu *, uint16_t));
/* An interrupt line's edge from a timed device (the PIT's IRQ 0), at a position. */
void nd_irq_edge(struct vcpu *v, unsigned irq);
/* A byte arriving at COM1 from the console, at a position. */
void nd_rx(struct vcpu *v, uint8_t byte);
/* The Backup: applies the logged line edges and received bytes of this position. */
void nd_replay_devices(struct vcpu *v);
/* The injection of vector vec at this position: logged, or checked against the log. False:
 * the Backup diverged (do not inject). */
bool nd_inject(struct vcpu *v, uint8_t vec);
/* Reports a Backup divergence on the console and stops the Backup. */
void nd_diverged(struct vcpu *v);
/* Records or checks the guest's end at its final position (after the exit's handling). */
void nd_end(struct vcpu *v, unsigned outcome_code);

#endif
