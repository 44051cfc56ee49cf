/* Private interfaces of libparttrack (the in-process side). */
#ifndef PT_INTERNAL_H
#define PT_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include "pt_shm.h"

#define PT_HIDDEN __attribute__((visibility("hidden")))

/* What a trampoline stub hands to pt_*_enter in %r11 (see pt_layout.h B_*). */
struct pt_binding {
	void *_Atomic target;          /* function called, or pt_gate_stub during a swap */
	uint32_t idx;                  /* index into the shared binding table and counters */
	uint32_t ref, def;             /* calling / defining object */
	struct pt_binding *_Atomic successor; /* set when a swap moved this binding */
	void **got;                    /* GOT slot that points at the stub */
	void *stub;                    /* executable stub for this binding */
	char ver[32];                  /* symbol version required by the caller, or "" */
};
_Static_assert(__builtin_offsetof(struct pt_binding, target) == B_TARGET, "B_TARGET");
_Static_assert(__builtin_offsetof(struct pt_binding, idx) == B_IDX, "B_IDX");

extern PT_HIDDEN struct pt_header *pt_hdr;
extern PT_HIDDEN __thread struct pt_thread *pt_self __attribute__((tls_model("initial-exec")));
extern PT_HIDDEN struct pt_binding *pt_bind_tab[PT_MAX_BINDS];
extern PT_HIDDEN pthread_mutex_t pt_lock;   /* guards object and binding tables */
extern PT_HIDDEN void *pt_enter_entry;       /* trampoline of the selected mode */
extern PT_HIDDEN void *pt_after_addr;        /* its return label */
extern PT_HIDDEN int pt_ready;

/* assembly entry points (pt_tramp.S) */
void pt_fast_enter(void), pt_fenced_enter(void), pt_sys_enter(void), pt_gate_stub(void);
void pt_fast_after(void), pt_fenced_after(void), pt_sys_after(void);

/* pt_log.c: diagnostics go to stderr only when PARTTRACK_DEBUG is set, errors always. */
PT_HIDDEN void pt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints an error prefixed with "parttrack:" to stderr. */
PT_HIDDEN void pt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* pt_shm.c */
/* Creates and maps the shared file for the current pid; 0 on success. */
PT_HIDDEN int pt_shm_create(void);
/* Before fork, under pt_lock: copies what a child keeps into private memory. */
PT_HIDDEN void pt_shm_snapshot(void);
/* In a forked child: maps a fresh file named for the child's pid, filled from the snapshot. */
PT_HIDDEN int pt_shm_recreate_after_fork(void);
/* Removes the shared file (at exit). */
PT_HIDDEN void pt_shm_unlink(void);

/* pt_thread.c */
/* Gives the calling thread a record with the given base object; NULL if none free. */
PT_HIDDEN struct pt_thread *pt_thread_register(int base_obj);
/* Folds the calling thread's counters into the totals and frees its record. */
PT_HIDDEN void pt_thread_release(void);
/* Drops frames whose stack slot lies below sp (they were abandoned). */
PT_HIDDEN void pt_thread_drop_below(struct pt_thread *t, uint64_t sp);
/* Puts the true return addresses back on the stack so an unwinder can walk it. */
PT_HIDDEN void pt_thread_unhijack(struct pt_thread *t);
/* Re-installs our return label in the slots of frames that survived a catch. */
PT_HIDDEN void pt_thread_rehijack(struct pt_thread *t);

/* pt_objects.c */
#include <link.h>
/* Loader facts about an object that only this process needs. */
struct pt_obj_priv {
	const ElfW(Dyn) *dyn;
	uint64_t relro_lo, relro_hi;
};
extern PT_HIDDEN struct pt_obj_priv pt_objp[PT_MAX_OBJS];
/* Refreshes the object table from the loader's list; returns the number of live objects. */
PT_HIDDEN int pt_objects_scan(void);
/* Object containing address a, or -1. */
PT_HIDDEN int pt_object_of(uint64_t a);
/* Live object whose path or file name is name, or -1. */
PT_HIDDEN int pt_object_find(const char *name);

/* pt_bind.c */
/* Allocates a binding and its stub; NULL when the table is full. */
PT_HIDDEN struct pt_binding *pt_bind_new(uint32_t ref, uint32_t def, const char *sym,
					 const char *ver, void *target, void **got);
/* In a forked child: gives the stubs a private memfd (the parent's stays shared otherwise). */
PT_HIDDEN int pt_bind_after_fork(void);
/* True if p is one of our stubs (so the GOT slot is already hooked). */
PT_HIDDEN int pt_bind_is_stub(const void *p);

/* pt_hook.c */
/* Hooks every cross-object PLT slot of object ref that is not hooked yet; returns count. */
PT_HIDDEN int pt_hook_object(int ref);
/* Hooks all tracked objects (at start and after dlopen). */
PT_HIDDEN void pt_hook_all(void);
/* Writes a GOT slot, lifting RELRO protection around the write. */
PT_HIDDEN int pt_got_write(void **slot, void *val);

/* pt_gate.c: called from pt_tramp.S */
PT_HIDDEN void *pt_gate_c(struct pt_binding *b, uint64_t slot);
PT_HIDDEN int pt_enter_slow_c(struct pt_binding *b, uint64_t slot);
PT_HIDDEN void pt_fatal_return(uint64_t slot) __attribute__((noreturn));

/* pt_swap.c */
/* Performs the swap described in the request slot; fills status and msg. */
PT_HIDDEN void pt_swap_run(struct pt_request *r);

/* pt_fork.c */
/* Installs the fork handlers (prepare/parent/child). */
PT_HIDDEN void pt_fork_init(void);
/* Forks (or helper stops) pending: a swap waiting for threads gives up when non-zero. */
extern PT_HIDDEN _Atomic int pt_fork_pending;

/* pt_agent.c */
/* Starts the helper thread that serves requests from the CLI. */
PT_HIDDEN int pt_agent_start(void);
/* Ends the helper thread and waits until it is gone (a waiting swap gives up). */
PT_HIDDEN void pt_agent_stop(void);
/* In a forked child: the helper thread is the parent's, not ours. */
PT_HIDDEN void pt_agent_forget(void);

/* pt_interpose.c */
/* Real libc/libdl entry points we wrap, resolved with RTLD_NEXT. */
PT_HIDDEN void pt_interpose_init(void);
PT_HIDDEN extern void *(*pt_real_dlopen)(const char *, int);
PT_HIDDEN extern int (*pt_real_dlclose)(void *);

#endif
