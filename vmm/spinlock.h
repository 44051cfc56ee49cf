/* A test-and-test-and-set lock for the few places both cores share (console, allocator). */
#ifndef HS_SPINLOCK_H
#define HS_SPINLOCK_H
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    volatile int locked;
    volatile uint64_t owner; /* who holds it (a per-core token), for the fault path; 0 when free */
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            __asm__ volatile("pause");
}
static inline void spin_unlock(spinlock_t *l)
{
    l->owner = 0;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
/* spin_lock that records the holder's token (nonzero) for spin_lock_for_fault. */
static inline void spin_lock_owned(spinlock_t *l, uint64_t me)
{
    spin_lock(l);
    l->owner = me;
}

enum { SPIN_TAKEN, SPIN_BROKEN_OWN, SPIN_BROKEN_STUCK };
/* Takes the lock for a fatal report that must get out: a lock this core already holds (the
 * fault hit inside the critical section) is taken over at once, one held elsewhere after
 * `spins` tries (its holder may be dead). Returns how it was taken (SPIN_*). */
static inline int spin_lock_for_fault(spinlock_t *l, uint64_t me, unsigned long spins)
{
    if (__atomic_load_n(&l->locked, __ATOMIC_ACQUIRE) && l->owner == me && me) {
        return SPIN_BROKEN_OWN;
    }
    for (unsigned long i = 0; i < spins; i++) {
        if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
            l->owner = me;
            return SPIN_TAKEN;
        }
        __asm__ volatile("pause");
    }
    __atomic_store_n(&l->locked, 1, __ATOMIC_RELEASE);
    l->owner = me;
    return SPIN_BROKEN_STUCK;
}

#endif
