/* The console lock's fault path: a report must get out even when the fault struck inside the
 * console's critical section (this core holds the lock) or another core holds it for good. */
#include "check.h"
#include "spinlock.h"

TEST(spinlock_fault_takes_over_own_lock)
{
    spinlock_t l = { 0, 0 };
    spin_lock_owned(&l, 7);
    CHECK_EQ(l.owner, 7);
    /* Same core: at once, without spinning (spins=0 would otherwise force-break, reported differently). */
    CHECK_EQ(spin_lock_for_fault(&l, 7, 0), SPIN_BROKEN_OWN);
    CHECK_EQ(l.locked, 1);
    CHECK_EQ(l.owner, 7);
}

TEST(spinlock_fault_free_lock_taken_normally)
{
    spinlock_t l = { 0, 0 };
    CHECK_EQ(spin_lock_for_fault(&l, 3, 10), SPIN_TAKEN);
    CHECK_EQ(l.locked, 1);
    CHECK_EQ(l.owner, 3);
    spin_unlock(&l);
    CHECK_EQ(l.locked, 0);
    CHECK_EQ(l.owner, 0);
}

TEST(spinlock_fault_breaks_stuck_holder_after_bound)
{
    spinlock_t l = { 0, 0 };
    spin_lock_owned(&l, 9); /* another core that never lets go */
    CHECK_EQ(spin_lock_for_fault(&l, 3, 1000), SPIN_BROKEN_STUCK);
    CHECK_EQ(l.locked, 1);
    CHECK_EQ(l.owner, 3);
    /* A token of 0 (unknown core) never matches a free owner field. */
    spinlock_t m = { 1, 0 };
    CHECK_EQ(spin_lock_for_fault(&m, 0, 5), SPIN_BROKEN_STUCK);
}
