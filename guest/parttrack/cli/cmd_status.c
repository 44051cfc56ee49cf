/* parttrack status: the paper's Figure 1 states, per object and per thread,
 * read from the shared file without stopping or even signalling the process. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "commands.h"
#include "proctree.h"
#include "shmview.h"

enum { ST_UNUSED, ST_CALLING, ST_RUNNING };
static const char *const st_name[] = { "unused", "calling", "running" };

struct snap {
	uint32_t tid, depth;
	int32_t base;
	uint32_t gated;
	struct pt_frame frames[PT_MAX_DEPTH];
	uint64_t untracked, unwound;
	int alive;
};

static int tid_alive(int pid, uint32_t tid)
{
	return syscall(SYS_tgkill, pid, (int)tid, 0) == 0 || errno != ESRCH;
}

/* A consistent-enough copy of one thread's stack: re-read if depth moved. */
static void take(struct pt_thread *t, struct snap *s)
{
	for (int tries = 0; tries < 8; tries++) {
		s->depth = __atomic_load_n(&t->depth, __ATOMIC_ACQUIRE);
		if (s->depth > PT_MAX_DEPTH)
			s->depth = PT_MAX_DEPTH;
		memcpy(s->frames, t->frames, s->depth * sizeof s->frames[0]);
		if (__atomic_load_n(&t->depth, __ATOMIC_ACQUIRE) == s->depth)
			break;
	}
	s->base = t->base_obj;
	s->gated = atomic_load(&t->gated);
	s->untracked = t->untracked;
	s->unwound = t->unwound;
}

static void thread_states(struct pt_header *h, const struct snap *s, unsigned char *st)
{
	uint32_t nobj = atomic_load(&h->nobjs), nb = atomic_load(&h->nbinds);
	memset(st, ST_UNUSED, nobj);
	if (s->base >= 0 && (uint32_t)s->base < nobj)
		st[s->base] = s->depth ? ST_CALLING : ST_RUNNING;
	for (uint32_t i = 0; i < s->depth; i++) {
		uint32_t b = s->frames[i].bind;
		if (b >= nb)
			continue;
		st[h->binds[b].ref] = ST_CALLING;
		if (i + 1 < s->depth)
			st[h->binds[b].def] = ST_CALLING;
	}
	if (s->depth && s->frames[s->depth - 1].bind < nb)
		st[h->binds[s->frames[s->depth - 1].bind].def] = ST_RUNNING;
}

static const char *obj_short(struct pt_header *h, uint32_t i)
{
	/* the user's file name, not the private copy a swap may have loaded */
	return i < atomic_load(&h->nobjs) ? pt_basename(h->objs[i].origin) : "?";
}

/* Prints the status block of one process; 1 if it is not (or no longer) tracked. */
static int status_one(const char *pid_arg, int show_binds)
{
	int pid;
	struct pt_header *h = pt_view_open(pid_arg, 0, &pid);
	if (!h)
		return 1;
	uint32_t nobj = atomic_load(&h->nobjs), nb = atomic_load(&h->nbinds);
	static struct snap snaps[PT_MAX_THREADS];
	uint64_t *calls = calloc(nb + 1, sizeof *calls), *rets = calloc(nb + 1, sizeof *rets);
	/* returns = calls - calls that never returned - calls still open */
	unsigned char agg[PT_MAX_OBJS] = { 0 }, st[PT_MAX_OBJS];
	int nthr = 0;
	for (uint32_t b = 0; b < nb; b++) {
		calls[b] = atomic_load(&h->dead_calls[b]);
		rets[b] = calls[b] - atomic_load(&h->dead_lost[b]);
	}
	for (int k = 0; k < PT_MAX_THREADS; k++) {
		struct pt_thread *t = pt_thread_at(h, k);
		uint32_t tid = atomic_load(&t->tid);
		if (!tid)
			continue;
		struct snap *s = &snaps[nthr];
		s->tid = tid;
		s->alive = tid_alive(pid, tid);
		if (s->alive)
			take(t, s);
		for (uint32_t b = 0; b < nb; b++) {
			calls[b] += t->calls[b];
			rets[b] += t->calls[b] - t->lost[b];
		}
		if (!s->alive)
			continue;
		for (uint32_t f = 0; f < s->depth; f++)
			if (s->frames[f].bind < nb)
				rets[s->frames[f].bind]--;
		thread_states(h, s, st);
		for (uint32_t o = 0; o < nobj; o++)
			if (st[o] > agg[o])
				agg[o] = st[o];
		nthr++;
	}
	static const char *const mode[] = { "fast", "fenced", "syscall" };
	printf("process %d exe=%s mode=%s swaps=%u objects=%u bindings=%u threads=%d ppid=%d\n", pid,
	       h->exe, h->mode < 3 ? mode[h->mode] : "?", atomic_load(&h->swaps), nobj, nb, nthr,
	       pt_proc_ppid(pid));
	for (uint32_t o = 0; o < nobj; o++) {
		struct pt_obj *ob = &h->objs[o];
		uint64_t in = 0, rin = 0, out = 0;
		for (uint32_t b = 0; b < nb; b++) {
			if (h->binds[b].def == o) {
				in += calls[b];
				rin += rets[b];
			}
			if (h->binds[b].ref == o)
				out += calls[b];
		}
		const char *state = ob->state == PT_OBJ_RETIRED ? "retired"
				    : ob->state == PT_OBJ_INCOMING ? "incoming"
				    : ob->state == PT_OBJ_UNLOADED ? "unloaded"
				    : !ob->tracked ? "untracked"
						   : st_name[agg[o]];
		printf("object %u %s calls_in=%lu returns_in=%lu calls_out=%lu %s", o, state,
		       (unsigned long)in, (unsigned long)rin, (unsigned long)out, ob->name);
		if (strcmp(ob->origin, ob->name) != 0)
			printf(" origin=%s", ob->origin);
		if (ob->replaces >= 0)
			printf(" replaces=%d", ob->replaces);
		if (ob->replaced_by >= 0)
			printf(" replaced_by=%d", ob->replaced_by);
		printf("\n");
	}
	for (int k = 0; k < nthr; k++) {
		struct snap *s = &snaps[k];
		thread_states(h, s, st);
		uint32_t top = s->depth ? s->frames[s->depth - 1].bind : 0;
		const char *at = s->depth ? obj_short(h, h->binds[top].def)
			       : s->base >= 0 ? obj_short(h, (uint32_t)s->base) : "(untracked code)";
		printf("thread %u depth=%u in=%s", s->tid, s->depth, at);
		if (s->gated && s->gated - 1 < nb)
			printf(" waiting=%s", h->binds[s->gated - 1].sym);
		if (s->untracked)
			printf(" untracked_calls=%lu", (unsigned long)s->untracked);
		if (s->unwound)
			printf(" unwound=%lu", (unsigned long)s->unwound);
		printf(" parts:");
		for (uint32_t o = 0; o < nobj; o++)
			if (h->objs[o].tracked && h->objs[o].state == PT_OBJ_LIVE)
				printf(" %s=%s", obj_short(h, o), st_name[st[o]]);
		printf("\n");
		for (uint32_t f = 0; f < s->depth; f++) {
			uint32_t b = s->frames[f].bind;
			if (b < nb)
				printf("frame %u %u %s -> %s:%s\n", s->tid, f, obj_short(h, h->binds[b].ref),
				       obj_short(h, h->binds[b].def), h->binds[b].sym);
		}
	}
	if (show_binds)
		for (uint32_t b = 0; b < nb; b++) {
			struct pt_bind_info *bi = &h->binds[b];
			printf("binding %u %s -> %s:%s calls=%lu returns=%lu", b, obj_short(h, bi->ref),
			       obj_short(h, bi->def), bi->sym, (unsigned long)calls[b], (unsigned long)rets[b]);
			if (bi->successor >= 0)
				printf(" moved_to=%d", bi->successor);
			printf("\n");
		}
	free(calls);
	free(rets);
	pt_view_close(h);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	int show_binds = 0, tree = 0, i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "-b") == 0)
			show_binds = 1;
		else if (strcmp(argv[i], "-r") == 0)
			tree = 1;
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: parttrack status [-b] [-r] PID\n");
		return 2;
	}
	int rc = status_one(argv[i], show_binds);
	if (rc || !tree)
		return rc;
	/* -r: then every tracked descendant, in tree order */
	static int pids[4096], depth[4096];
	int root = atoi(argv[i]), n = pt_tracked_pids(pids, 4096), k = 0;
	for (int j = 0; j < n; j++)
		if (pt_proc_is_ancestor(root, pids[j]))
			pids[k++] = pids[j];
	pt_tree_order(pids, depth, k);
	for (int j = 0; j < k; j++) {
		char arg[16];
		snprintf(arg, sizeof arg, "%d", pids[j]);
		status_one(arg, show_binds); /* one that exited meanwhile just says so */
	}
	return 0;
}
