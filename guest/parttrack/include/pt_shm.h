/* The per-process shared file /dev/shm/parttrack.<pid>: header, object table,
 * binding table, request slot, then one record per thread.  The in-process
 * library is the only writer except for the request slot, which the CLI uses
 * to ask for a swap. */
#ifndef PT_SHM_H
#define PT_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "pt_layout.h"

/* INCOMING: loaded for a swap that has not committed yet */
enum pt_obj_state { PT_OBJ_FREE = 0, PT_OBJ_LIVE = 1, PT_OBJ_RETIRED = 2, PT_OBJ_UNLOADED = 3, PT_OBJ_INCOMING = 4 };
enum pt_req_state { PT_REQ_IDLE = 0, PT_REQ_CLAIMED, PT_REQ_PENDING, PT_REQ_BUSY, PT_REQ_DONE };
enum pt_req_op { PT_OP_SWAP = 1 };
enum pt_mode { PT_MODE_FAST = 0, PT_MODE_FENCED = 1, PT_MODE_SYSCALL = 2 };

struct pt_obj {
	char name[PT_NAME_MAX];   /* path as the loader knows it */
	char origin[PT_NAME_MAX]; /* path the user gave when swapped in (else = name) */
	uint64_t base, lo, hi;    /* load bias and mapped address range */
	uint32_t state;           /* enum pt_obj_state */
	int32_t replaces;         /* object this one replaced, or -1 */
	int32_t replaced_by;      /* object that replaced this one, or -1 */
	uint32_t tracked;         /* 0 for runtime objects (libc, ld.so, ...) */
};

struct pt_bind_info {
	uint32_t ref, def;        /* calling and defining object */
	int32_t successor;        /* binding that took over after a swap, or -1 */
	uint32_t used;
	char sym[PT_SYM_MAX];
};

struct pt_frame {
	uint64_t ret;
	uint64_t sp;
	uint32_t bind;
	uint32_t pad0;
	uint64_t pad1;
};

struct pt_thread {
	_Atomic uint32_t tid;     /* 0: slot free */
	uint32_t depth;           /* frames in use; written only by the owner */
	int32_t base_obj;         /* object the thread started in */
	_Atomic uint32_t gated;   /* binding+1 the thread waits at, 0 if none */
	uint64_t stack_lo, stack_hi;
	uint64_t untracked;       /* calls not tracked (depth overflow) */
	uint64_t unwound;         /* frames dropped by longjmp/exceptions */
	uint64_t pad[2];
	struct pt_frame frames[PT_MAX_DEPTH];
	uint64_t calls[PT_MAX_BINDS];
	/* calls that never returned (longjmp, exceptions): returns are
	 * calls - lost - frames still open, so the return path counts nothing */
	uint64_t lost[PT_MAX_BINDS];
};

struct pt_request {
	_Atomic uint32_t state;   /* enum pt_req_state; also the futex word */
	uint32_t op;
	int32_t client_pid;
	int32_t status;           /* 0 ok, else an errno-style code */
	uint32_t timeout_ms;
	uint32_t pad;
	char old_name[PT_NAME_MAX];
	char new_path[PT_NAME_MAX * 4];
	char msg[PT_MSG_MAX];
};

struct pt_header {
	uint64_t magic;
	uint32_t pid;
	uint32_t mode;            /* enum pt_mode */
	uint64_t start_time;      /* /proc/<pid>/stat field 22, guards against pid reuse */
	_Atomic uint32_t nobjs;
	_Atomic uint32_t nbinds;
	_Atomic uint32_t gate_seq; /* futex: bumped when a swap ends */
	_Atomic uint32_t swaps;
	uint64_t lost_threads;     /* threads that found no free record */
	char exe[PT_NAME_MAX];
	struct pt_request req;
	struct pt_obj objs[PT_MAX_OBJS];
	struct pt_bind_info binds[PT_MAX_BINDS];
	_Atomic uint64_t dead_calls[PT_MAX_BINDS]; /* counts of exited threads */
	_Atomic uint64_t dead_lost[PT_MAX_BINDS];
	uint64_t pad_to_page[1];
};

#define PT_THREADS_OFF (((sizeof(struct pt_header)) + 4095) & ~(size_t)4095)
#define PT_SHM_SIZE (PT_THREADS_OFF + (size_t)PT_MAX_THREADS * THR_SIZE)

_Static_assert(offsetof(struct pt_frame, ret) == F_RET, "F_RET");
_Static_assert(offsetof(struct pt_frame, sp) == F_SP, "F_SP");
_Static_assert(offsetof(struct pt_frame, bind) == F_BIND, "F_BIND");
_Static_assert(sizeof(struct pt_frame) == F_SIZE && (1 << F_SHIFT) == F_SIZE, "F_SIZE");
_Static_assert(offsetof(struct pt_thread, tid) == THR_TID, "THR_TID");
_Static_assert(offsetof(struct pt_thread, depth) == THR_DEPTH, "THR_DEPTH");
_Static_assert(offsetof(struct pt_thread, frames) == THR_FRAMES, "THR_FRAMES");
_Static_assert(offsetof(struct pt_thread, calls) == THR_CALLS, "THR_CALLS");
_Static_assert(offsetof(struct pt_thread, lost) == THR_LOST, "THR_LOST");
_Static_assert(sizeof(struct pt_thread) == THR_SIZE, "THR_SIZE");
_Static_assert(offsetof(struct pt_thread, unwound) == THR_UNWOUND, "THR_UNWOUND");

/* Thread record i of a mapped shared file. */
static inline struct pt_thread *pt_thread_at(void *shm, int i)
{
	return (struct pt_thread *)((char *)shm + PT_THREADS_OFF + (size_t)i * THR_SIZE);
}

#include <stdio.h>
/* Path of the shared file of process pid. */
static inline void pt_shm_path(char *buf, size_t n, int pid)
{
	snprintf(buf, n, "/dev/shm/parttrack.%d", pid);
}

#endif
