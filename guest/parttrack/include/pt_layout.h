/* Shared-memory layout of one tracked process, read by the CLI and written by
 * the in-process library.  Offsets are spelled out as macros because the
 * trampolines in lib/pt_tramp.S address these fields directly; pt_shm.h checks
 * them against the C structs with static asserts. */
#ifndef PT_LAYOUT_H
#define PT_LAYOUT_H

#define PT_MAGIC        0x314b435254545250ULL /* "PRTTRCK1" */
#define PT_MAX_OBJS     128
#define PT_MAX_BINDS    4096
#define PT_MAX_THREADS  128
#define PT_MAX_DEPTH    256
#define PT_NAME_MAX     256
#define PT_SYM_MAX      64
#define PT_MSG_MAX      4096

/* struct pt_frame: one tracked call in flight */
#define F_RET           0   /* true return address in the caller */
#define F_SP            8   /* address of the stack slot that held it */
#define F_BIND          16  /* binding index (uint32) */
#define F_SIZE          32
#define F_SHIFT         5

/* struct pt_thread: one thread's record in the shared file */
#define THR_TID         0
#define THR_DEPTH       4
#define THR_UNWOUND     40
#define THR_FRAMES      64
#define THR_CALLS       (THR_FRAMES + PT_MAX_DEPTH * F_SIZE)
#define THR_LOST        (THR_CALLS + PT_MAX_BINDS * 8)
#define THR_SIZE        (THR_LOST + PT_MAX_BINDS * 8)

/* struct pt_binding (process-private): what a trampoline needs */
#define B_TARGET        0
#define B_IDX           8

#endif
