/* Opening the shared state file of a tracked process from the CLI. */
#ifndef PT_SHMVIEW_H
#define PT_SHMVIEW_H
#include "pt_shm.h"

/* Maps the state file of pid (writable if rw); prints a clear error and returns NULL on failure. */
struct pt_header *pt_view_open(const char *pid_arg, int rw, int *pid_out);
/* Like pt_view_open, read-only, printing nothing (for scans of /dev/shm). */
struct pt_header *pt_view_open_quiet(const char *pid_arg);
/* Unmaps a view returned by pt_view_open. */
void pt_view_close(struct pt_header *h);
/* File name part of a path. */
const char *pt_basename(const char *p);

#endif
