/* Fork safety.  A child inherits a copy of everything, taken at an instant
 * another thread may have been half-way through an update, plus two mappings
 * that stay shared with the parent (the state file and the stub memfd).  So:
 *  - before fork (prepare, under pt_lock) the forking thread snapshots the
 *    part of the state file the child keeps into private memory; the parent's
 *    threads keep writing the shared file while the child copies, and only a
 *    private copy taken under the lock is consistent;
 *  - in the child, pt_lock is re-initialised (a recursive mutex records the
 *    owner's tid, which differs in the child: unlocking it there fails, and
 *    the next fork of the child blocked for ever — issue 16), the state file
 *    is re-created from the snapshot under the child's own pid, the stubs get
 *    a private memfd, and a helper thread of its own is started;
 *  - a swap waiting for threads to leave a library gives up (nothing changed)
 *    as soon as a fork is pending, so fork never waits for a swap.
 * vfork and posix_spawn's clone run no handlers: their child shares the
 * parent's memory until it execs, and the new image starts its own tracking.
 *
 * unshare and setns: entering a new user or mount namespace (and sharing less
 * of the thread group) needs a single-threaded caller; our helper thread made
 * `unshare -U` fail with EINVAL.  The helper is ended around those calls and
 * started again after them. */
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <unistd.h>
#include "pt_internal.h"

_Atomic int pt_fork_pending;

static void fork_prepare(void)
{
	atomic_fetch_add(&pt_fork_pending, 1);
	pthread_mutex_lock(&pt_lock);
	pt_shm_snapshot();
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&pt_lock);
	atomic_fetch_sub(&pt_fork_pending, 1);
}

static void fork_child(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&pt_lock, &a);
	pthread_mutexattr_destroy(&a);
	atomic_store(&pt_fork_pending, 0);
	pt_agent_forget();
	if (pt_shm_recreate_after_fork() < 0) {
		pt_warn("forked child %d is not tracked: cannot create its state file", getpid());
		return;
	}
	if (pt_bind_after_fork() < 0)
		pt_warn("forked child %d shares its trampoline stubs with its parent", getpid());
	/* the other threads' records need no clearing: the new file holds only ours
	 * (touching them would fault in a page of the file per record, 0.5 MB a fork) */
	pt_agent_start();
}

void pt_fork_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* glibc's _Fork (2.34+) runs no fork handlers; a program calling it directly
 * would otherwise give its child the parent's state file and stubs. */
pid_t _Fork(void);
pid_t _Fork(void)
{
	static pid_t (*real)(void);
	if (!real)
		real = (pid_t (*)(void))dlsym(RTLD_NEXT, "_Fork");
	if (!real)
		return fork();
	if (!pt_ready)
		return real();
	fork_prepare();
	pid_t p = real();
	if (p == 0)
		fork_child();
	else
		fork_parent();
	return p;
}

/* unshare flags the kernel grants only to a single-threaded caller
 * (CLONE_NEWUSER implies CLONE_THREAD and CLONE_FS, CLONE_NEWNS implies CLONE_FS) */
#define SOLO_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_FS | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)

int unshare(int flags)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "unshare");
	if (!pt_ready || !(flags & SOLO_FLAGS))
		return real(flags);
	pt_agent_stop();
	int rc = real(flags);
	int e = errno;
	pt_agent_start();
	errno = e;
	return rc;
}

int setns(int fd, int nstype)
{
	static int (*real)(int, int);
	if (!real)
		real = (int (*)(int, int))dlsym(RTLD_NEXT, "setns");
	if (!pt_ready || (nstype && !(nstype & (CLONE_NEWUSER | CLONE_NEWNS))))
		return real(fd, nstype);
	pt_agent_stop(); /* nstype 0: the kind of namespace is known only to the kernel */
	int rc = real(fd, nstype);
	int e = errno;
	pt_agent_start();
	errno = e;
	return rc;
}
