/* CRC-32C (Castagnoli) over image records: detects corrupted images cheaply
 * enough (SSE4.2 instruction when present) that every restore verifies all of it. */
#ifndef CKPT_CRC32C_H
#define CKPT_CRC32C_H
#include <stddef.h>
#include <stdint.h>
/* Continues a CRC-32C: pass 0 to start; returns the new value. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* CRC-32C of A|B from crc(A), crc(B) and |B|. */
uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, size_t len2);
/* crc32c(0, BUF, LEN) computed by two threads for large buffers. */
uint32_t crc32c_par(const void *buf, size_t len);
/* crc32c(0, BUF, LEN) of LEN zero bytes, without reading any (image holes). */
uint32_t crc32c_zeros(size_t len);
#endif
