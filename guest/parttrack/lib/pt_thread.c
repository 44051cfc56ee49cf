/* Thread records: each thread owns one record in the shared file and is its
 * only writer, so the trampolines need neither locks nor atomics. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pt_internal.h"

__thread struct pt_thread *pt_self __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void on_thread_exit(void *arg)
{
	(void)arg;
	pt_thread_release();
}

static void make_key(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

static int tid_alive(uint32_t tid)
{
	return syscall(SYS_tgkill, getpid(), (int)tid, 0) == 0 || errno != ESRCH;
}

/* Moves a record's counters into the per-binding totals so call counts of
 * exited threads are not lost, then clears the record. */
static void fold_and_clear(struct pt_thread *t)
{
	uint32_t n = atomic_load(&pt_hdr->nbinds);
	for (uint32_t i = 0; i < t->depth && i < PT_MAX_DEPTH; i++)
		t->lost[t->frames[i].bind]++; /* calls the thread never returned from */
	for (uint32_t i = 0; i < n; i++) {
		if (t->calls[i])
			atomic_fetch_add(&pt_hdr->dead_calls[i], t->calls[i]);
		if (t->lost[i])
			atomic_fetch_add(&pt_hdr->dead_lost[i], t->lost[i]);
	}
	memset((char *)t + sizeof t->tid, 0, THR_SIZE - sizeof t->tid);
}

static void stack_bounds(struct pt_thread *t)
{
	pthread_attr_t a;
	void *lo;
	size_t sz;
	if (pthread_getattr_np(pthread_self(), &a) != 0)
		return;
	if (pthread_attr_getstack(&a, &lo, &sz) == 0) {
		t->stack_lo = (uint64_t)lo;
		t->stack_hi = (uint64_t)lo + sz;
	}
	pthread_attr_destroy(&a);
}

struct pt_thread *pt_thread_register(int base_obj)
{
	if (pt_self)
		return pt_self;
	if (!pt_hdr)
		return NULL;
	uint32_t me = (uint32_t)gettid();
	struct pt_thread *t = NULL;
	for (int i = 0; i < PT_MAX_THREADS && !t; i++) {
		struct pt_thread *c = pt_thread_at(pt_hdr, i);
		uint32_t old = 0;
		if (atomic_compare_exchange_strong(&c->tid, &old, me)) {
			t = c;
		} else if (old != me && !tid_alive(old) &&
			   atomic_compare_exchange_strong(&c->tid, &old, me)) {
			/* a thread that died without running its destructors */
			fold_and_clear(c);
			t = c;
		}
	}
	if (!t) {
		pt_hdr->lost_threads++;
		return NULL;
	}
	t->base_obj = base_obj;
	stack_bounds(t);
	pthread_once(&key_once, make_key);
	pthread_setspecific(exit_key, t);
	pt_self = t;
	return t;
}

void pt_thread_release(void)
{
	struct pt_thread *t = pt_self;
	if (!t)
		return;
	pt_self = NULL;
	fold_and_clear(t);
	atomic_store(&t->tid, 0);
}

void pt_thread_drop_below(struct pt_thread *t, uint64_t sp)
{
	uint32_t d = t->depth;
	while (d > 0 && t->frames[d - 1].sp < sp) {
		d--;
		t->unwound++;
		t->lost[t->frames[d].bind]++;
	}
	t->depth = d;
}

static int slot_ok(struct pt_thread *t, uint64_t sp)
{
	return t->stack_hi == 0 || (sp >= t->stack_lo && sp + 8 <= t->stack_hi);
}

void pt_thread_unhijack(struct pt_thread *t)
{
	for (uint32_t i = 0; i < t->depth; i++) {
		uint64_t *slot = (uint64_t *)t->frames[i].sp;
		if (slot_ok(t, (uint64_t)slot) && *slot == (uint64_t)pt_after_addr)
			*slot = t->frames[i].ret;
	}
}

void pt_thread_rehijack(struct pt_thread *t)
{
	for (uint32_t i = 0; i < t->depth; i++) {
		uint64_t *slot = (uint64_t *)t->frames[i].sp;
		if (slot_ok(t, (uint64_t)slot) && *slot == t->frames[i].ret)
			*slot = (uint64_t)pt_after_addr;
	}
}
