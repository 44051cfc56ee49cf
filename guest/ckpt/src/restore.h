/* Restoring an image into a new process running the (possibly updated) binary. */
#ifndef CKPT_RESTORE_H
#define CKPT_RESTORE_H
#include <stdint.h>
#include <sys/types.h>

struct restore_opts {
    const char *dir;        /* image directory */
    const char *binary;     /* the binary to run (the fixed build) */
    const char *old_binary; /* the checkpointed binary; default: the path saved in the image */
    const char *changed;    /* comma list overriding the automatic changed-function list, or NULL */
    int no_replace;         /* refuse instead of replacing a still-running checkpointed process */
    int check_only;         /* do every check, change nothing */
    int copy;               /* copy all memory (no region is mapped from the image file) */
};

struct restore_stats {
    double secs;
    uint64_t mem_bytes;
    uint64_t mapped_bytes;  /* of mem_bytes: mapped copy-on-write from the image, not copied */
    uint64_t xl_code, xl_data, xl_mangled, frames_moved;
    int replaced;           /* the checkpointed process was still running and was replaced */
};

/* Restores; on success *NEWPID is the running restored process. Refuses (changing nothing)
 * when a changed function is on the saved stack or the data layout cannot be carried over. */
int ck_restore(const struct restore_opts *o, pid_t *newpid, struct restore_stats *st);
#endif
