/* Taking a checkpoint of a stopped, ptrace-attached, single-threaded process. */
#ifndef CKPT_DUMP_H
#define CKPT_DUMP_H
#include <stdint.h>
#include <sys/types.h>

struct dump_stats {
    double secs;       /* wall time of the checkpoint */
    uint64_t mem_bytes;
    uint64_t hole_bytes; /* of mem_bytes: never-touched anonymous pages left as holes */
    uint64_t direct_bytes; /* of mem_bytes: written with O_DIRECT (not through the page cache) */
    int reused;        /* written over the spare image's pages (DIR/image.ckpt.prev) */
    int nframes, nfds;
};

/* Path of the image inside DIR (DIR/image.ckpt). */
void ck_image_path(char *buf, size_t len, const char *dir);
/* ck_dump_stopped flags. */
enum { CK_DUMP_NO_SPARE = 1 }; /* do not keep the replaced image as DIR/image.ckpt.prev */
/* Checkpoints stopped tracee PID into DIR; FUNC names the function whose return triggered it (or NULL). */
int ck_dump_stopped(pid_t pid, const char *dir, const char *func, int flags, struct dump_stats *st);
#endif
