/* Live library swap.  Order matters: load and check the new library first
 * (errors change nothing), then close the gate on every binding into the old
 * one, make sure every thread has seen the gate (membarrier), wait until no
 * thread is running in or calling through the old library, and only then
 * move the bindings.  The old library stays mapped: function pointers and
 * data addresses handed out earlier remain valid. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "pt_internal.h"

static void say(struct pt_request *r, const char *fmt, ...)
{
	size_t n = strlen(r->msg);
	if (n >= sizeof r->msg - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg + n, sizeof r->msg - n, fmt, ap);
	va_end(ap);
}

static void fail(struct pt_request *r, int code, const char *fmt, ...)
{
	r->status = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof r->msg, fmt, ap);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Is the file at path one the loader already has mapped (then dlopen would
 * hand back the old instance, so we load a private copy)? */
static int already_loaded(const struct stat *st)
{
	uint32_t n = atomic_load(&pt_hdr->nobjs);
	for (uint32_t i = 0; i < n; i++) {
		struct pt_obj *o = &pt_hdr->objs[i];
		struct stat s;
		if ((o->state == PT_OBJ_LIVE || o->state == PT_OBJ_RETIRED) && stat(o->name, &s) == 0 &&
		    s.st_dev == st->st_dev && s.st_ino == st->st_ino)
			return 1;
	}
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	if (out < 0) {
		close(in);
		return -1;
	}
	struct stat st;
	int rc = fstat(in, &st);
	off_t off = 0;
	while (rc == 0 && off < st.st_size) {
		ssize_t k = sendfile(out, in, &off, (size_t)(st.st_size - off));
		if (k <= 0)
			rc = -1;
	}
	close(in);
	close(out);
	return rc;
}

/* Describes why thread t is inside object obj into buf; 0 if it is not. */
static int thread_inside(struct pt_thread *t, uint32_t obj, char *buf, size_t n)
{
	uint32_t tid = atomic_load(&t->tid);
	if (!tid || (syscall(SYS_tgkill, getpid(), (int)tid, 0) != 0 && errno == ESRCH))
		return 0;
	uint32_t d = atomic_load((_Atomic uint32_t *)&t->depth);
	if (d > PT_MAX_DEPTH)
		d = PT_MAX_DEPTH;
	for (uint32_t i = d; i-- > 0;) {
		struct pt_bind_info *bi = &pt_hdr->binds[t->frames[i].bind];
		if (bi->def == obj || bi->ref == obj) {
			snprintf(buf, n, "%u (%s in %s)", tid, i == d - 1 && bi->def == obj ? "running" : "calling",
				 bi->sym);
			return 1;
		}
	}
	if (t->base_obj == (int32_t)obj) {
		snprintf(buf, n, "%u (%s, thread started there)", tid, d ? "calling" : "running");
		return 1;
	}
	return 0;
}

static void barrier_all_threads(void)
{
	/* makes our gate stores visible to, and the threads' frame pushes visible
	 * from, every running thread, so the trampolines need no fence */
	if (pt_hdr->mode == PT_MODE_FAST &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0)
		return;
	atomic_thread_fence(memory_order_seq_cst);
}

static void open_gate(void)
{
	atomic_fetch_add(&pt_hdr->gate_seq, 1);
	syscall(SYS_futex, &pt_hdr->gate_seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

struct moving {
	struct pt_binding *b;
	void *addr;
};

static void do_swap(struct pt_request *r)
{
	pt_objects_scan();
	int old = pt_object_find(r->old_name);
	if (old < 0)
		return fail(r, ENOENT, "library '%s' is not loaded in process %u", r->old_name, pt_hdr->pid);
	struct pt_obj *oo = &pt_hdr->objs[old];
	if (old == 0)
		return fail(r, EINVAL, "'%s' is the main program; only shared objects can be swapped", r->old_name);
	if (!oo->tracked)
		return fail(r, EINVAL, "'%s' is a runtime library and is not tracked", oo->name);

	struct stat st;
	if (stat(r->new_path, &st) < 0)
		return fail(r, ENOENT, "cannot open new library '%s': %s", r->new_path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(r, EINVAL, "new library '%s' is not a regular file", r->new_path);

	/* every live binding into the old library must find its symbol in the new one */
	uint32_t nb = atomic_load(&pt_hdr->nbinds);
	struct moving *mv = calloc(nb ? nb : 1, sizeof *mv);
	if (!mv)
		return fail(r, ENOMEM, "out of memory");
	size_t nm = 0;
	for (uint32_t i = 0; i < nb; i++) {
		struct pt_binding *b = pt_bind_tab[i];
		if (b && b->def == (uint32_t)old && !atomic_load(&b->successor))
			mv[nm++].b = b;
	}
	if (nb + nm > PT_MAX_BINDS) {
		free(mv);
		return fail(r, ENOSPC, "binding table full (%u of %d used)", nb, PT_MAX_BINDS);
	}

	char load[PATH_MAX];
	snprintf(load, sizeof load, "%s", r->new_path);
	int copied = 0;
	if (already_loaded(&st)) {
		const char *bn = strrchr(r->new_path, '/');
		snprintf(load, sizeof load, "/dev/shm/parttrack.%u.swap%u.%s", pt_hdr->pid,
			 atomic_load(&pt_hdr->swaps), bn ? bn + 1 : r->new_path);
		if (copy_file(r->new_path, load) < 0) {
			free(mv);
			return fail(r, EIO, "cannot copy '%s' to '%s': %s", r->new_path, load, strerror(errno));
		}
		copied = 1;
	}
	uint32_t nobjs_before = atomic_load(&pt_hdr->nobjs);
	void *h = pt_real_dlopen(load, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	if (copied)
		unlink(load); /* the mapping keeps it alive */
	if (!h) {
		free(mv);
		return fail(r, EINVAL, "cannot load new library: %s", dlerror());
	}
	struct link_map *lm = NULL;
	dlinfo(h, RTLD_DI_LINKMAP, &lm);
	pt_objects_scan();
	int nw = lm ? pt_object_of((uint64_t)lm->l_ld) : -1;
	char missing[1024] = "";
	if (nw < 0 || nw == old) {
		snprintf(missing, sizeof missing, "(the new library did not load as a separate object)");
	} else {
		for (size_t i = 0; i < nm; i++) {
			struct pt_binding *b = mv[i].b;
			const char *sym = pt_hdr->binds[b->idx].sym;
			void *a = b->ver[0] ? dlvsym(h, sym, b->ver) : dlsym(h, sym);
			if (!a || pt_object_of((uint64_t)a) != nw) {
				size_t k = strlen(missing);
				if (!strstr(missing, sym))
					snprintf(missing + k, sizeof missing - k, "%s'%s' (used by %s)", k ? ", " : "",
						 sym, pt_hdr->objs[b->ref].name);
			}
			mv[i].addr = a;
		}
	}
	if (missing[0]) {
		pt_real_dlclose(h);
		pt_objects_scan();
		/* forget the rejected object so the table looks as before */
		if (atomic_load(&pt_hdr->nobjs) > nobjs_before &&
		    pt_hdr->objs[nobjs_before].state == PT_OBJ_UNLOADED)
			atomic_store(&pt_hdr->nobjs, nobjs_before);
		free(mv);
		return fail(r, EINVAL, "new library '%s' lacks symbols that callers use: %s", r->new_path,
			    missing);
	}
	struct pt_obj *no = &pt_hdr->objs[nw];
	no->state = PT_OBJ_INCOMING; /* not a candidate for lookups until committed */
	size_t ol = strnlen(r->new_path, sizeof no->origin - 1);
	memcpy(no->origin, r->new_path, ol);
	no->origin[ol] = 0;

	/* close the gate: callers arriving from now on wait outside the library */
	void **orig = calloc(nm ? nm : 1, sizeof *orig);
	for (size_t i = 0; i < nm; i++) {
		orig[i] = atomic_load(&mv[i].b->target);
		atomic_store(&mv[i].b->target, (void *)pt_gate_stub);
	}
	barrier_all_threads();

	uint64_t t0 = now_ms(), waited = 0;
	char inside[2048];
	for (;;) {
		inside[0] = 0;
		size_t k = 0;
		for (int i = 0; i < PT_MAX_THREADS; i++) {
			char one[160];
			if (thread_inside(pt_thread_at(pt_hdr, i), (uint32_t)old, one, sizeof one)) {
				k = strlen(inside);
				snprintf(inside + k, sizeof inside - k, "%s%s", k ? ", " : "", one);
			}
		}
		waited = now_ms() - t0;
		if (!inside[0])
			break;
		/* a fork waits for pt_lock (an unshare for this thread): give up
		 * rather than hold the program up */
		int forking = atomic_load(&pt_fork_pending) > 0;
		if (forking || waited >= r->timeout_ms) {
			for (size_t i = 0; i < nm; i++)
				atomic_store(&mv[i].b->target, orig[i]);
			open_gate();
			pt_real_dlclose(h);
			pt_objects_scan();
			if (atomic_load(&pt_hdr->nobjs) > nobjs_before &&
			    pt_hdr->objs[nobjs_before].state == PT_OBJ_UNLOADED)
				atomic_store(&pt_hdr->nobjs, nobjs_before);
			free(orig);
			free(mv);
			if (forking)
				return fail(r, EAGAIN, "refused: the process forked (or changed namespace) "
					    "while the swap waited for %s to be left (%s); nothing changed, try again",
					    oo->name, inside);
			return fail(r, EBUSY, "refused: after %lu ms threads are still inside %s: %s",
				    (unsigned long)waited, oo->name, inside);
		}
		struct timespec ts = { 0, 500 * 1000 };
		nanosleep(&ts, NULL);
	}

	/* commit: NEW's own outgoing calls are hooked first, since callers reach NEW
	 * as soon as their GOT slot is written (its calls into other parts went
	 * untracked meanwhile: stress_swaps_under_load miscounted under load); then
	 * new bindings, GOT slots to their stubs, old bindings forward */
	no->replaces = old;
	oo->state = PT_OBJ_RETIRED;
	oo->replaced_by = nw;
	no->state = PT_OBJ_LIVE;
	int own = pt_hook_object(nw);
	for (size_t i = 0; i < nm; i++) {
		struct pt_binding *b = mv[i].b;
		struct pt_binding *nb2 = pt_bind_new(b->ref, (uint32_t)nw, pt_hdr->binds[b->idx].sym,
						     b->ver[0] ? b->ver : NULL, mv[i].addr, b->got);
		pt_got_write(b->got, nb2->stub);
		pt_hdr->binds[b->idx].successor = (int32_t)nb2->idx;
		atomic_store(&b->successor, nb2);
	}
	atomic_fetch_add(&pt_hdr->swaps, 1);
	open_gate();
	free(orig);
	free(mv);
	r->status = 0;
	r->msg[0] = 0;
	say(r, "swapped %s -> %s: %zu binding%s moved, %d outgoing hooked, waited %lu ms", oo->name,
	    no->name, nm, nm == 1 ? "" : "s", own, (unsigned long)waited);
}

void pt_swap_run(struct pt_request *r)
{
	r->msg[0] = 0;
	r->status = 0;
	r->old_name[sizeof r->old_name - 1] = 0;
	r->new_path[sizeof r->new_path - 1] = 0;
	if (r->op != PT_OP_SWAP) {
		fail(r, EINVAL, "unknown request %u", r->op);
		return;
	}
	pthread_mutex_lock(&pt_lock);
	do_swap(r);
	pthread_mutex_unlock(&pt_lock);
}
