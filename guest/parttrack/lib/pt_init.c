/* Start-up: map the shared file, hook the PLT slots of every part, start the
 * helper thread.  Runs as a constructor of the preloaded library, before
 * main() and on the main thread. */
#include <dlfcn.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pt_internal.h"

pthread_mutex_t pt_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
void *pt_enter_entry;
void *pt_after_addr;
int pt_ready;

static void select_mode(void)
{
	const char *m = getenv("PARTTRACK_MODE");
	int mode = PT_MODE_FAST;
	if (m && strcmp(m, "syscall") == 0)
		mode = PT_MODE_SYSCALL;
	else if (m && strcmp(m, "fenced") == 0)
		mode = PT_MODE_FENCED;
	else if (m && *m && strcmp(m, "fast") != 0)
		pt_warn("unknown PARTTRACK_MODE '%s', using fast", m);
	/* the fast trampolines rely on the swapper's membarrier for ordering */
	if (mode == PT_MODE_FAST &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0) {
		pt_debug("membarrier unavailable, using fenced trampolines");
		mode = PT_MODE_FENCED;
	}
	pt_hdr->mode = (uint32_t)mode;
	if (mode == PT_MODE_FAST) {
		pt_enter_entry = (void *)pt_fast_enter;
		pt_after_addr = (void *)pt_fast_after;
	} else if (mode == PT_MODE_FENCED) {
		pt_enter_entry = (void *)pt_fenced_enter;
		pt_after_addr = (void *)pt_fenced_after;
	} else {
		pt_enter_entry = (void *)pt_sys_enter;
		pt_after_addr = (void *)pt_sys_after;
	}
}

__attribute__((constructor)) static void pt_init(void)
{
	if (getenv("PARTTRACK_DISABLE"))
		return;
	pt_interpose_init();
	if (pt_shm_create() < 0)
		return;
	select_mode();
	pthread_mutex_lock(&pt_lock);
	pt_objects_scan();
	pt_thread_register(0);
	pt_hook_all();
	pthread_mutex_unlock(&pt_lock);
	pt_fork_init();
	pt_ready = 1;
	__atomic_store_n(&pt_hdr->magic, PT_MAGIC, __ATOMIC_RELEASE);
	pt_agent_start();
}

__attribute__((destructor)) static void pt_fini(void)
{
	pt_shm_unlink();
}

/* _exit skips destructors: a forked child leaving that way (the usual end of a
 * worker, Python's os._exit) would leave its state file behind in /dev/shm.
 * In a vfork child the header still names the parent, so nothing is removed. */
void _exit(int status)
{
	static void (*real)(int);
	pt_shm_unlink();
	if (!real)
		real = (void (*)(int))dlsym(RTLD_NEXT, "_exit");
	if (real)
		real(status);
	for (;;)
		syscall(SYS_exit_group, status);
}

void _Exit(int status)
{
	_exit(status);
}
