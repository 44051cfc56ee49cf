/* Freestanding C helpers: memory, strings, number parsing, formatted output. */
#ifndef HS_LIB_H
#define HS_LIB_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* Parses an unsigned decimal or 0x-hex number with an optional K/M/G suffix; false on junk or overflow. */
bool parse_u64(const char *s, size_t len, uint64_t *out);
/* Formats like vsnprintf (%s %c %d %u %x %lx %llx %p %%, width and 0-padding); returns the untruncated length. */
int hs_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* snprintf over hs_vsnprintf. */
int hs_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

#endif
