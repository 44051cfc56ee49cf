/* Open file descriptors: files are saved as path + flags + offset and reopened
 * in the new process (open + lseek + dup2 injected); TCP sockets go through
 * tcp.c and are handed over with pidfd_getfd. */
#ifndef CKPT_FDS_H
#define CKPT_FDS_H
#include "image.h"
#include "inject.h"
#include <sys/types.h>

/* Writes CK_REC_FD (and CK_REC_TCP) records for every descriptor of PID. */
int fds_dump(pid_t pid, struct ck_writer *w);
/* Makes the descriptor table of the tracee equal to the image's. Phase 0 closes the new process's own
 * descriptors and reopens files; phase 1 installs the sockets already rebuilt in SOCKS (by record index). */
int fds_restore(struct inj *in, const struct ck_image *img, const int *socks, int phase);
/* Duplicates descriptor FD of process PID into ours (pidfd_getfd); -1 on failure. */
int fd_grab(pid_t pid, int fd);
#endif
