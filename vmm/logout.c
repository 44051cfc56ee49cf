#include "logout.h"
#include "console.h"

#define COM2 0x2F8

void logout_init(uint64_t tsc_hz, unsigned mode)
{
    serial_init(COM2);
    struct hs_log_header h = { .magic = HS_LOG_MAGIC, .version = HS_LOG_VERSION, .event_size = HS_EVENT_SIZE,
                               .tsc_hz = tsc_hz, .mode = mode,
                               .format = HS_LOG_FORMAT_COMPACT };
    serial_write(COM2, &h, sizeof(h));
}

void logout_bytes(const uint8_t *b, size_t n) { serial_write(COM2, b, n); }
