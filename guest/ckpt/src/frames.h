/* The saved call stack, found with libunwind's remote (ptrace) unwinder: for
 * each frame its pc and the stack slot holding it as a return address, which
 * restore rewrites for the new binary and checks against changed functions. */
#ifndef CKPT_FRAMES_H
#define CKPT_FRAMES_H
#include "image.h"
#include <sys/types.h>

/* Unwinds stopped tracee PID; returns the number of frames stored in *OUT (malloc'd) or -1. */
int frames_unwind(pid_t pid, struct ck_frame **out);
#endif
