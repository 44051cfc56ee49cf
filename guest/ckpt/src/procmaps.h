/* Parsing /proc/PID/maps: the list of mappings that the memory dump walks and
 * that restore clears out of the fresh process. */
#ifndef CKPT_PROCMAPS_H
#define CKPT_PROCMAPS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vma {
    uint64_t start, end, off;
    int prot;        /* PROT_* */
    int shared;      /* 's' in the perms column */
    uint64_t inode;
    char name[256];  /* path, "[heap]", "[stack]", "[vdso]", ... or "" */
};

/* Reads the mappings of PID into a malloc'd array; returns the count or -1. */
int maps_read(pid_t pid, struct vma **out);
#endif
