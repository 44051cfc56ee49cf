/* Slow paths of the trampolines: first call of a thread, frames abandoned by
 * longjmp, depth overflow, and callers arriving while their target library is
 * being swapped. */
#include <linux/futex.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "pt_internal.h"

static int in_stack(struct pt_thread *t, uint64_t sp)
{
	return t->stack_hi != 0 && sp >= t->stack_lo && sp < t->stack_hi;
}

int pt_enter_slow_c(struct pt_binding *b, uint64_t slot)
{
	struct pt_thread *t = pt_self;
	if (!t) {
		if (!pt_ready)
			return 0;
		t = pt_thread_register((int)b->ref);
		if (!t)
			return 0;
	}
	/* a frame below the new call's slot cannot be live on the same stack; one
	 * at the same slot is live only if this is a tail call out of its callee */
	if (in_stack(t, slot)) {
		pt_thread_drop_below(t, slot);
		if (t->depth && t->frames[t->depth - 1].sp == slot &&
		    *(uint64_t *)slot != (uint64_t)pt_after_addr) {
			t->depth--;
			t->unwound++;
			t->lost[t->frames[t->depth].bind]++;
		}
	}
	uint32_t d = t->depth;
	if (d >= PT_MAX_DEPTH) {
		t->untracked++;
		return 0;
	}
	/* same order as the trampoline, for a signal handler that makes tracked
	 * calls while we are here: slot, depth, slot again, then the rest */
	struct pt_frame *f = &t->frames[d];
	f->sp = slot;
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store((_Atomic uint32_t *)&t->depth, d + 1);
	atomic_signal_fence(memory_order_seq_cst);
	f->sp = slot;
	f->ret = *(uint64_t *)slot;
	f->bind = b->idx;
	t->calls[b->idx]++;
	return 1;
}

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 }; /* re-check even if a wake is missed */
	syscall(SYS_futex, w, FUTEX_WAIT, val, &ts, NULL, 0);
}

void *pt_gate_c(struct pt_binding *b, uint64_t slot)
{
	struct pt_thread *t = pt_self;
	struct pt_frame *top = NULL;
	if (t && t->depth > 0) {
		top = &t->frames[t->depth - 1];
		if (top->sp != slot || top->bind != b->idx)
			top = NULL; /* entered untracked (overflow): nothing to move */
	}
	for (;;) {
		uint32_t seq = atomic_load(&pt_hdr->gate_seq);
		void *tg = atomic_load(&b->target);
		if (tg != (void *)pt_gate_stub)
			return tg;
		struct pt_binding *s = atomic_load(&b->successor);
		if (s) {
			/* the caller loaded the GOT before the swap moved it: attribute
			 * the call to the binding that replaced this one */
			if (top) {
				t->calls[b->idx]--;
				t->calls[s->idx]++;
				top->bind = s->idx;
			}
			b = s;
			continue;
		}
		if (top) {
			/* step out of the library while waiting, so the swap can proceed */
			t->calls[b->idx]--;
			atomic_store(&t->gated, b->idx + 1);
			atomic_store((_Atomic uint32_t *)&t->depth, t->depth - 1);
		}
		futex_wait(&pt_hdr->gate_seq, seq);
		if (top) {
			t->calls[b->idx]++;
			top->bind = b->idx;
			atomic_store((_Atomic uint32_t *)&t->depth, t->depth + 1);
			atomic_store(&t->gated, 0);
		}
	}
}

void pt_fatal_return(uint64_t slot)
{
	struct pt_thread *t = pt_self;
	pt_warn("fatal: return through stack slot %#lx matches no tracked call (tid %d, depth %u); "
		"the stack was switched or corrupted",
		(unsigned long)slot, (int)gettid(), t ? t->depth : 0);
	abort();
}
