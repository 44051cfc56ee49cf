/* Error reporting shared by all ckpt modules: every failure carries a
 * human-readable reason that the CLI prints, so bad input never fails silently. */
#ifndef CKPT_UTIL_H
#define CKPT_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Records the reason for the current failure (printf-style); returns -1 so callers can `return ck_err(...)`. */
int ck_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like ck_err but appends strerror(errno). */
int ck_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last recorded failure reason. */
const char *ck_strerror(void);
/* Prints a warning to stderr (things that are not saved/restored but do not abort). */
void ck_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Verbosity switch for progress messages on stderr. */
extern int ck_verbose;
/* Prints a progress message when verbose. */
void ck_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Monotonic time in seconds, for the bench and progress figures. */
double ck_now(void);
/* With CKPT_TIMING set in the environment, prints "ckpt: time NAME ms" (since the previous call) to stderr. */
void ck_phase(const char *name);
/* Reads a whole small file (e.g. under /proc) into a malloc'd NUL-terminated buffer. */
char *ck_read_file(const char *path, size_t *len);
/* Process start time (field 22 of /proc/PID/stat): tells a pid reuse from the checkpointed process. */
uint64_t ck_proc_starttime(pid_t pid);
/* Numeric field WANT (1-based, as in proc(5)) of /proc/PID/stat; 0 if unreadable. */
uint64_t ck_proc_stat(pid_t pid, int want);
/* malloc that aborts the tool on exhaustion: ckpt has no useful recovery from that. */
void *ck_xmalloc(size_t n);
/* realloc counterpart of ck_xmalloc. */
void *ck_xrealloc(void *p, size_t n);
/* strdup counterpart of ck_xmalloc. */
char *ck_xstrdup(const char *s);
/* Copies SRC into DST of SIZE bytes, truncating and always terminating (names from /proc). */
void ck_copy(char *dst, size_t size, const char *src);
#endif
