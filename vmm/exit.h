/* VM-exit handling, in two steps so that the run loop can suspend it (a Backup waiting for the
 * log, a Primary waiting for room in the ring or for an interrupt while halted). */
#ifndef HS_EXIT_H
#define HS_EXIT_H
#include "vcpu.h"

/* Reads the exit's reason and qualification, counts it and computes its position. */
void vmexit_take(struct vcpu *v);
/* Handles the taken exit as far as it can: EXIT_RESUME (enter the guest), EXIT_WAIT (call again
 * later), EXIT_STOPPED (the guest has ended; vcpu_finish done). */
enum exit_result vmexit_continue(struct vcpu *v);
/* Ends the guest (or lets the debugger keep a Backup that cannot go on): EXIT_STOPPED or EXIT_WAIT. */
enum exit_result vmexit_stopped(struct vcpu *v);

#endif
