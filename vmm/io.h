/* Port I/O from the guest: one table of port ranges to device models. */
#ifndef HS_IO_H
#define HS_IO_H
#include <stdint.h>
#include "vcpu.h"

/* Performs a guest IN (returns the value) or OUT of size 1, 2 or 4 bytes. */
uint32_t io_access(struct vcpu *v, uint16_t port, unsigned size, int is_in, uint32_t value);

#endif
