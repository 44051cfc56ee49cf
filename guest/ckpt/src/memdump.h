/* Saving a process's memory: every writable mapping (heap, stack, data/bss,
 * anonymous and private file mappings) is copied with process_vm_readv in
 * large batches; text and read-only parts of the binary are not saved because
 * they come from the (new) binary at restore. */
#ifndef CKPT_MEMDUMP_H
#define CKPT_MEMDUMP_H
#include "image.h"
#include "procmaps.h"
#include <sys/types.h>

/* Classifies a mapping of PID; returns -1 for mappings that are not saved. */
int mem_classify(const struct vma *v, const struct vma *prev, const char *exe, uint64_t exe_ino);
/* Writes one CK_REC_MEM record per saved mapping; adds the byte count to *BYTES and the
 * never-touched anonymous bytes left as file holes (zeros, not read or written) to *HOLES. */
int mem_dump(pid_t pid, struct ck_writer *w, struct ck_proc *p, uint64_t *bytes, uint64_t *holes, uint64_t *direct);
/* Copies LEN bytes from our buffer into the tracee at ADDR with process_vm_writev. */
int mem_put(pid_t pid, uint64_t addr, const void *buf, size_t len);
#endif
