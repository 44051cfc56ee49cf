/* The recorded log handed out of the machine as it is made (replay_log=com2): a header, then
 * every event in the compact encoding of docs/replay-log.md, on COM2, so a log from a real machine can be decoded
 * on a laptop with host-tools/hindsight-log. */
#ifndef HS_LOGOUT_H
#define HS_LOGOUT_H
#include <stddef.h>
#include <stdint.h>
#include "../replay/event.h"

/* Programs COM2 and writes the log header. */
void logout_init(uint64_t tsc_hz, unsigned mode);
/* Writes bytes of the (compact) event stream. */
void logout_bytes(const uint8_t *b, size_t n);

#endif
