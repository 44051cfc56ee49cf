/* Shared declarations of the rfork test suite: test table, checks, helpers. */
#ifndef RFORK_TEST_H
#define RFORK_TEST_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define WHYLEN 512
enum { T_PASS, T_FAIL, T_SKIP };

/* Fail the current test with a reason unless cond holds. */
#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) {                                    \
            set_why(why, __VA_ARGS__);                    \
            return T_FAIL;                                \
        }                                                 \
    } while (0)

/* Record why a test failed or was skipped (truncated to WHYLEN, on purpose). */
void set_why(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct test {
    const char *name;
    int (*fn)(char *why);
};

extern const struct test dup_tests[], refuse_tests[], signal_tests[], cli_tests[], real_tests[];

/* Directory for this run's files (created by main, removed at the end). */
extern char test_dir[256];

/* fork+exec argv with fds 0-2 from in/out/err (-1: /dev/null), in its own process group
 * leader's group so the harness can clean up. */
pid_t spawn(const char *const argv[], int in, int out, int err);
/* spawn, optionally as user uid (>= 0), with stdout to test_dir/outname (NULL: a pipe kept
 * open), and return once the program has printed its first line ("ready"). -1 on failure. */
pid_t spawn_ready(const char *const argv[], int in, const char *outname, int uid);
/* Create (truncate) test_dir/name for writing; returns the fd. */
int open_out(const char *name);
/* Write data to test_dir/name; returns its full path in a static ring of buffers. */
const char *make_file(const char *name, const char *data);
/* Full path of test_dir/name (static ring of buffers). */
const char *path_of(const char *name);
/* Whole file as a malloc'd string ("" if missing). */
char *slurp(const char *path);
/* Wait until path has at least n lines; 0 or -1 on timeout. */
int wait_lines(const char *path, int n, long ms);
/* One-letter process state from /proc, 0 if gone. */
char proc_state(pid_t pid);
/* Numeric field of /proc/pid/status (e.g. "TracerPid"), -1 if absent. */
long proc_num(pid_t pid, const char *field);
/* Copy of the SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt lines of /proc/pid/status, to compare signal state. */
void proc_sigstate(pid_t pid, char *buf, size_t n);
/* Poll until proc_state(pid) is one of states; 0 or -1 on timeout. */
int wait_state(pid_t pid, const char *states, long ms);
/* Poll until TracerPid of pid equals tracer; 0 or -1 on timeout. */
int wait_tracer(pid_t pid, pid_t tracer, long ms);
/* waitpid with a timeout; 0 and *status, or -1 on timeout. */
int reap(pid_t pid, int *status, long ms);
/* Kill and reap pid, ignoring errors: for cleanup. */
void kill_reap(pid_t pid);
/* Milliseconds on CLOCK_MONOTONIC. */
long now_ms(void);
/* Sleep ms milliseconds. */
void sleep_ms(long ms);
/* The counter target's hash after the given tick bytes, continued from state h. */
unsigned counter_hash(unsigned h, int first, const char *ticks);

#endif
