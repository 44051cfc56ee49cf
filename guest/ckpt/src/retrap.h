/* The return trap: checkpoints a process each time a chosen function returns.
 * Instead of the paper's "return address := 0, catch the fault", an int3 at
 * the function's entry notes the return address and stack pointer, and an
 * int3 at that return address fires when the function has returned (checked
 * by stack pointer, so recursion and unrelated jumps there are ignored). The
 * program runs untraced between traps: system calls cost nothing extra. */
#ifndef CKPT_RETRAP_H
#define CKPT_RETRAP_H
#include <sys/types.h>

struct watch_opts {
    pid_t pid;
    const char *dir;
    const char *funcs;   /* comma-separated function names */
    int max;             /* stop watching after this many checkpoints (0 = never) */
    int kill_after;      /* after MAX checkpoints kill the process instead of letting it run on */
    int no_spare;        /* do not keep the replaced image as DIR/image.ckpt.prev */
};

/* Watches until the process exits, `quit` arrives on DIR/control, a signal, or MAX checkpoints. */
int watch_run(const struct watch_opts *o);
/* Sends a control command ("add F", "remove F", "quit") to the watcher of DIR. */
int watch_ctl(const char *dir, const char *cmd);
#endif
