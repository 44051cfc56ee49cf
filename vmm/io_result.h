/* How an IN instruction's result lands in RAX (pure: the unit tests include it). */
#ifndef HS_IO_RESULT_H
#define HS_IO_RESULT_H
#include <stdint.h>

/* RAX after IN of size bytes read val: AL/AX are merged, keeping the rest of RAX; a 32-bit IN
 * writes EAX, which zero-extends into RAX in 64-bit mode (and leaves bits 63:32 undefined
 * elsewhere, so zero is right in every mode and the same on both guests). */
static inline uint64_t io_in_result(uint64_t rax, unsigned size, uint32_t val)
{
    if (size >= 4)
        return val;
    uint32_t mask = (1u << (size * 8)) - 1;
    return (rax & ~(uint64_t)mask) | (val & mask);
}

#endif
