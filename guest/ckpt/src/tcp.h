/* TCP connection save/restore with the kernel's TCP_REPAIR interface (as CRIU
 * does): sequence numbers, queued data, negotiated options and windows, so the
 * peer never notices the connection changed process. */
#ifndef CKPT_TCP_H
#define CKPT_TCP_H
#include "image.h"
#include <stddef.h>

/* Whether SK (our duplicate of the tracee's socket) is TCP; sets *LISTENING. 1 yes, 0 no. */
int tcp_is_tcp(int sk, int *listening);
/* Saves an established connection into T plus its queues (malloc'd *Q, *QLEN); leaves it running. */
int tcp_dump(int sk, struct ck_tcp *t, void **q, size_t *qlen);
/* Saves a listening socket's address into T. */
int tcp_dump_listen(int sk, struct ck_tcp *t);
/* Puts SK into repair mode so that closing it sends neither FIN nor RST. */
int tcp_freeze(int sk);
/* Checks that the live socket SK is still at the saved sequence numbers. */
int tcp_check_unchanged(int sk, const struct ck_tcp *t);
/* Rebuilds the saved connection in a new socket of ours; returns its fd or -1. */
int tcp_restore(const struct ck_tcp *t, const void *q);
/* Rebuilds a listening socket bound to the saved address; returns its fd or -1. */
int tcp_restore_listen(const struct ck_tcp *t);
/* Whether this process may use TCP_REPAIR (needs CAP_NET_ADMIN); 1 yes, 0 no. */
int tcp_repair_available(void);
#endif
