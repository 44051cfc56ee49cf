/* Single steps of a guest with RFLAGS.TF and #DB intercepted, the VMM's TF hidden from the guest
 * (tfrules.h). Used by the Backup's debugger and by the counter-mode landing. */
#ifndef HS_TFSTEP_H
#define HS_TFSTEP_H
#include <stdbool.h>
#include "tfrules.h"
#include "vcpu.h"

#define VEC_DB 1            /* the debug exception */
#define DB_BS (1ull << 14)  /* single step: in a #DB exit's qualification and the pending-debug field */

/* Classifies the instruction at the guest's RIP (through its page tables; TF_OTHER if unreadable). */
enum tf_insn tfstep_decode(struct vcpu *v);
/* Sets TF for one step of the instruction `kind` (from tfstep_decode); the caller intercepts #DB. */
void tfstep_arm(struct vcpu *v, struct tfstep *s, enum tf_insn kind);
/* Re-queues an exception the VMM intercepted (exit interruption info) as the guest's own. */
void tfstep_reinject(struct vcpu *v, uint32_t info);
/* Takes the VMM's TF back out of everything the stepped instruction left (RFLAGS, R11, the word
 * PUSHF stored, the pending single-step trap). */
void tfstep_untrace(struct vcpu *v, struct tfstep *s);
/* Reads guest-virtual memory through the guest's page tables: true if all n bytes were read. */
bool tfstep_read_virt(struct vcpu *v, uint64_t va, void *buf, size_t n);

#endif
