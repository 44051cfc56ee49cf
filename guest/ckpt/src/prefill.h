/* A blank spare image prepared in the background while `watch` waits, so that even its first
 * checkpoint writes into page-cache pages that already exist. */
#ifndef CKPT_PREFILL_H
#define CKPT_PREFILL_H
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

struct prefill {
    pthread_t thread;
    int started;
    _Atomic int stop;         /* set by prefill_stop: the thread gives up between chunks */
    uint64_t bytes;           /* size of the blank image */
    char dir[4096];
};

/* Bytes a checkpoint of PID would take now: its dumpable regions plus a header page each. */
uint64_t prefill_estimate(pid_t pid);
/* Starts writing BYTES of zeros to DIR/image.ckpt.prefill at low priority, renamed to
 * DIR/image.ckpt.blank when complete (ckw_open then writes a checkpoint over it). 0 or -1. */
int prefill_start(struct prefill *p, const char *dir, uint64_t bytes);
/* Stops and joins the thread and removes the blank file and any unfinished one. */
void prefill_stop(struct prefill *p);
#endif
