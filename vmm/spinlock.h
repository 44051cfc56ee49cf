/* A test-and-test-and-set lock for the few places both cores share (console, allocator). */
#ifndef HS_SPINLOCK_H
#define HS_SPINLOCK_H
#include <stdbool.h>

typedef struct { volatile int locked; } spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            __asm__ volatile("pause");
}
static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

#endif
