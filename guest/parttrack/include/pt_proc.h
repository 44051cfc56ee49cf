/* Small /proc helpers shared by the library and the CLI. */
#ifndef PT_PROC_H
#define PT_PROC_H
#include <stdint.h>

/* Start time of process pid in clock ticks since boot (stat field 22); 0 if unknown. */
uint64_t pt_proc_start_time(int pid);

#endif
