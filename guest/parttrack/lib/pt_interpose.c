/* Library functions we wrap because they move control in ways the
 * trampolines cannot see: new threads (their starting part), dlopen (new
 * objects to hook), longjmp and C++ exceptions (frames abandoned without a
 * return), thread exit by unwinding, and fork (a child needs its own file). */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>
#include "pt_internal.h"

void *(*pt_real_dlopen)(const char *, int);
int (*pt_real_dlclose)(void *);
PT_HIDDEN int (*pt_real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static void *(*real_dlmopen)(Lmid_t, const char *, int);
static void (*real_pthread_exit)(void *);
static void (*real_longjmp)(jmp_buf, int);
static void (*real__longjmp)(jmp_buf, int);
static void (*real_siglongjmp)(sigjmp_buf, int);
static void (*real_longjmp_chk)(jmp_buf, int);
static _Unwind_Reason_Code (*real_raise)(struct _Unwind_Exception *);
static _Unwind_Reason_Code (*real_resume_or_rethrow)(struct _Unwind_Exception *);
static void *(*real_begin_catch)(void *);

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

void pt_interpose_init(void)
{
	pt_real_dlopen = next("dlopen");
	pt_real_dlclose = next("dlclose");
	real_dlmopen = next("dlmopen");
	pt_real_pthread_create = next("pthread_create");
	real_pthread_exit = next("pthread_exit");
	real_longjmp = next("longjmp");
	real__longjmp = next("_longjmp");
	real_siglongjmp = next("siglongjmp");
	real_longjmp_chk = next("__longjmp_chk");
	/* libgcc_s/libstdc++ may only arrive later (dlopen); resolved on first use */
}

static void rescan(void)
{
	if (!pt_ready)
		return;
	pthread_mutex_lock(&pt_lock);
	pt_objects_scan();
	pt_hook_all();
	pthread_mutex_unlock(&pt_lock);
}

void *dlopen(const char *file, int mode)
{
	if (!pt_real_dlopen)
		pt_real_dlopen = next("dlopen");
	void *h = pt_real_dlopen(file, mode);
	if (h)
		rescan();
	return h;
}

void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
	if (!real_dlmopen)
		real_dlmopen = next("dlmopen");
	void *h = real_dlmopen(lmid, file, mode);
	if (h)
		rescan();
	return h;
}

int dlclose(void *h)
{
	if (!pt_real_dlclose)
		pt_real_dlclose = next("dlclose");
	int rc = pt_real_dlclose(h);
	if (pt_ready) {
		pthread_mutex_lock(&pt_lock);
		pt_objects_scan();
		pthread_mutex_unlock(&pt_lock);
	}
	return rc;
}

struct start_arg {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_start(void *p)
{
	struct start_arg sa = *(struct start_arg *)p;
	free(p);
	if (pt_ready) {
		int base = pt_object_of((uint64_t)sa.fn);
		if (base >= 0 && !pt_hdr->objs[base].tracked)
			base = -1;
		pt_thread_register(base);
	}
	return sa.fn(sa.arg);
}

int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (!pt_real_pthread_create)
		pt_real_pthread_create = next("pthread_create");
	struct start_arg *sa = malloc(sizeof *sa);
	if (!sa)
		return pt_real_pthread_create(th, attr, fn, arg);
	sa->fn = fn;
	sa->arg = arg;
	int rc = pt_real_pthread_create(th, attr, thread_start, sa);
	if (rc != 0)
		free(sa);
	return rc;
}

void pthread_exit(void *ret)
{
	/* pthread_exit unwinds the stack; let the unwinder see true return addresses */
	if (pt_self)
		pt_thread_unhijack(pt_self);
	if (!real_pthread_exit)
		real_pthread_exit = next("pthread_exit");
	real_pthread_exit(ret);
	abort();
}

/* glibc mangles the saved stack pointer with the thread's pointer guard */
static uint64_t jmpbuf_sp(const void *env)
{
	uint64_t v = ((const uint64_t *)env)[6], guard;
	__asm__("movq %%fs:0x30, %0" : "=r"(guard));
	v = (v >> 0x11) | (v << (64 - 0x11));
	return v ^ guard;
}

static void before_jump(const void *env)
{
	struct pt_thread *t = pt_self;
	if (!t || !t->depth)
		return;
	uint64_t sp = jmpbuf_sp(env);
	if (t->stack_hi && sp >= t->stack_lo && sp < t->stack_hi)
		pt_thread_drop_below(t, sp);
}

void longjmp(jmp_buf env, int val)
{
	before_jump(env);
	real_longjmp(env, val);
	abort();
}

void _longjmp(jmp_buf env, int val)
{
	before_jump(env);
	real__longjmp(env, val);
	abort();
}

void siglongjmp(sigjmp_buf env, int val)
{
	before_jump(env);
	real_siglongjmp(env, val);
	abort();
}

void __longjmp_chk(jmp_buf env, int val);
void __longjmp_chk(jmp_buf env, int val)
{
	before_jump(env);
	real_longjmp_chk(env, val);
	abort();
}

_Unwind_Reason_Code _Unwind_RaiseException(struct _Unwind_Exception *e)
{
	if (!real_raise)
		real_raise = next("_Unwind_RaiseException");
	if (pt_self)
		pt_thread_unhijack(pt_self);
	_Unwind_Reason_Code rc = real_raise(e);
	/* no handler found: the exception did not leave; put our returns back */
	if (pt_self)
		pt_thread_rehijack(pt_self);
	return rc;
}

_Unwind_Reason_Code _Unwind_Resume_or_Rethrow(struct _Unwind_Exception *e)
{
	if (!real_resume_or_rethrow)
		real_resume_or_rethrow = next("_Unwind_Resume_or_Rethrow");
	if (pt_self)
		pt_thread_unhijack(pt_self);
	_Unwind_Reason_Code rc = real_resume_or_rethrow(e);
	if (pt_self)
		pt_thread_rehijack(pt_self);
	return rc;
}

void *__cxa_begin_catch(void *e);
__attribute__((noinline)) void *__cxa_begin_catch(void *e)
{
	if (!real_begin_catch)
		real_begin_catch = next("__cxa_begin_catch");
	struct pt_thread *t = pt_self;
	if (t) {
		/* frames below the catching function's stack pointer were unwound */
		uint64_t catcher_sp = (uint64_t)__builtin_frame_address(0) + 16;
		pt_thread_drop_below(t, catcher_sp);
		pt_thread_rehijack(t);
	}
	return real_begin_catch(e);
}
