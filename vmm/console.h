/* The VMM's own console: the physical COM1 (polled) and, optionally, port 0xE9. */
#ifndef HS_CONSOLE_H
#define HS_CONSOLE_H
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_COM1 1u
#define CONSOLE_E9 2u

/* Programs COM1 for 115200 8N1 and selects the sinks (CONSOLE_* bits). */
void console_init(unsigned sinks);
/* Changes the sinks, e.g. after reading console= from the command line. */
void console_set_sinks(unsigned sinks);
/* Writes bytes atomically with respect to the other core. */
void console_write(const char *s, size_t n);
/* Makes this core the console's only writer for a fatal report, even if the fault struck with
 * the console lock held (by this core: taken over; by another: after a bounded wait). */
void console_fault_begin(void);
/* Test aid (simulate=vmm-fault-in-console): faults inside the console's critical section. */
void console_sim_fault_locked(void);
/* printf to the console, one call = one uninterrupted piece of output. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Programs the 16550 at base for 115200 8N1, polled. */
void serial_init(uint16_t base);
/* Writes bytes to the 16550 at base, polling its transmitter. */
void serial_write(uint16_t base, const void *p, size_t n);
/* Reads one byte from the 16550 at base if one is waiting; -1 otherwise. */
int serial_getc(uint16_t base);
/* Reads one byte from COM1 if one is waiting; -1 otherwise. */
int console_getc(void);

#endif
