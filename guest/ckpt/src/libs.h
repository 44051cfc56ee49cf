/* The executable's load bias and the files a process maps (shared libraries, the dynamic
 * linker, locale files): recorded at checkpoint with their identity (build-id for ELF files,
 * device/inode/size/mtime otherwise), checked before a checkpoint (a library replaced on disk
 * is refused) and before a restore (a library whose build-id changed is refused, named). */
#ifndef CKPT_LIBS_H
#define CKPT_LIBS_H
#include "image.h"
#include "procmaps.h"
#include <stdint.h>
#include <sys/types.h>

/* Value of auxiliary-vector entry TYPE (AT_*) of PID; 0 or -1 with the reason. */
int proc_auxv(pid_t pid, uint64_t type, uint64_t *val);
/* Load bias of PID's executable, whose link-time entry point is ENTRY (AT_ENTRY - ENTRY). */
int exe_bias(pid_t pid, uint64_t entry, uint64_t *bias);
/* Threads of PID (entries of /proc/PID/task), or -1. */
int proc_threads(pid_t pid);
/* Refuses (-1, reason) what ckpt cannot checkpoint in PID before anything touches it: more
 * than one thread, an executable without a symbol table, a mapped library replaced on disk. */
int ck_precheck(pid_t pid);
/* Fills E for PID's executable EXE (bias, PIE/dynamic, build-id, dynamic linker, _r_debug). */
int exe_describe(pid_t pid, const char *exe, struct ck_exe *e);
/* Whether mapping V of a private file is still the file's bytes (no page copied on write),
 * judged from PID's pagemap PMFD: such a mapping is restored by mapping the file again. */
int vma_unmodified(int pmfd, const struct vma *v);
/* Writes one CK_REC_LIB record per file mapped by PID other than its executable EXE_INO. */
int libs_dump(pid_t pid, uint64_t exe_ino, struct ck_writer *w);
/* Checks every recorded file still has its identity (build-id / size+mtime); -1 names the first that changed. */
int libs_verify(const struct ck_lib *l);
#endif
