/* The helper thread: sleeps on the request word in the shared file and runs
 * swaps for the CLI.  A swap needs dlopen and may wait, which cannot be done
 * from a signal handler, hence a thread; it blocks all signals so the
 * program's signal handling is unchanged. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "pt_internal.h"

extern PT_HIDDEN int (*pt_real_pthread_create)(pthread_t *, const pthread_attr_t *,
						void *(*)(void *), void *);

static pthread_t agent_th;
static int agent_running;
static _Atomic int agent_stop;

static void *agent_main(void *arg)
{
	(void)arg;
	struct pt_request *r = &pt_hdr->req;
	pthread_setname_np(pthread_self(), "parttrack");
	while (!atomic_load(&agent_stop)) {
		uint32_t s = atomic_load(&r->state);
		if (s == PT_REQ_PENDING) {
			atomic_store(&r->state, PT_REQ_BUSY);
			pt_swap_run(r);
			atomic_store(&r->state, PT_REQ_DONE);
			syscall(SYS_futex, &r->state, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
			continue;
		}
		if ((s == PT_REQ_CLAIMED || s == PT_REQ_DONE) && r->client_pid > 0 &&
		    kill(r->client_pid, 0) < 0 && errno == ESRCH) {
			/* the CLI died mid-request: free the slot */
			atomic_compare_exchange_strong(&r->state, &s, PT_REQ_IDLE);
			continue;
		}
		struct timespec ts = { 1, 0 };
		syscall(SYS_futex, &r->state, FUTEX_WAIT, s, &ts, NULL, 0);
	}
	return NULL;
}

int pt_agent_start(void)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	atomic_store(&agent_stop, 0);
	/* joinable, so pt_agent_stop can wait until the kernel has let it go */
	int rc = pt_real_pthread_create(&agent_th, NULL, agent_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	agent_running = rc == 0;
	if (rc != 0)
		pt_warn("cannot start helper thread; swaps will not be served");
	return rc;
}

void pt_agent_stop(void)
{
	if (!agent_running)
		return;
	/* a swap waiting for threads gives up at once (nothing changes) */
	atomic_fetch_add(&pt_fork_pending, 1);
	atomic_store(&agent_stop, 1);
	syscall(SYS_futex, &pt_hdr->req.state, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	pthread_join(agent_th, NULL);
	atomic_fetch_sub(&pt_fork_pending, 1);
	agent_running = 0;
}

void pt_agent_forget(void)
{
	agent_running = 0; /* after fork: the thread stayed in the parent */
}
