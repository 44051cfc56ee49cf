/* Single-stepping a guest with RFLAGS.TF while hiding that TF from it: which instructions leave
 * the VMM's TF where the guest keeps it, and what RFLAGS the guest gets back after the step.
 * Pure (hosted-tested); vmm/tfstep.c applies it to a vCPU, for the debugger and the landing. */
#ifndef HS_TFRULES_H
#define HS_TFRULES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TF_RFLAGS_TF (1ull << 8)

/* Instruction kinds that matter to a TF step. */
enum tf_insn {
    TF_OTHER,
    TF_PUSHF,   /* stores RFLAGS (the VMM's TF with it) on the stack */
    TF_POPF,    /* loads RFLAGS from the stack: the guest's own TF afterwards */
    TF_IRET,    /* likewise */
    TF_SYSCALL, /* stores RFLAGS in R11 */
    TF_SOFTINT, /* INT n / INT3 / INTO / INT1: the frame it pushes would carry TF (not TF-steppable) */
};

/* One TF step in progress. */
struct tfstep {
    bool armed;        /* the VMM's TF is set in the guest's RFLAGS */
    bool guest_tf;     /* the guest's own TF before the step */
    enum tf_insn kind; /* the stepped instruction */
};

/* Classifies the instruction in b[0..n) (legacy and REX prefixes skipped). */
static inline enum tf_insn tf_classify(const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i < n && i < 14 &&
           (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xF2 || b[i] == 0xF3 || b[i] == 0x2E || b[i] == 0x3E ||
            b[i] == 0x26 || b[i] == 0x36 || b[i] == 0x64 || b[i] == 0x65 || (b[i] & 0xF0) == 0x40))
        i++;
    if (i >= n)
        return TF_OTHER;
    switch (b[i]) {
    case 0x9C: return TF_PUSHF;
    case 0x9D: return TF_POPF;
    case 0xCF: return TF_IRET;
    case 0xCC: case 0xCD: case 0xCE: case 0xF1: return TF_SOFTINT;
    case 0x0F: return i + 1 < n && b[i + 1] == 0x05 ? TF_SYSCALL : TF_OTHER;
    default: return TF_OTHER;
    }
}

/* RFLAGS after the step, as the guest must see it: the guest's own TF back, except after POPF and
 * IRET, which loaded the guest's own flags from memory. */
static inline uint64_t tf_rflags_after(uint64_t fl, enum tf_insn kind, bool guest_tf)
{
    if (kind == TF_POPF || kind == TF_IRET)
        return fl;
    return (fl & ~TF_RFLAGS_TF) | (guest_tf ? TF_RFLAGS_TF : 0);
}

/* True if the step left the VMM's TF in R11 (SYSCALL) that must be cleared. */
static inline bool tf_clear_r11(enum tf_insn kind, bool guest_tf) { return kind == TF_SYSCALL && !guest_tf; }

/* True if the step left the VMM's TF in the word at the new stack top (PUSHF) to be cleared. */
static inline bool tf_clear_stack_top(enum tf_insn kind, bool guest_tf) { return kind == TF_PUSHF && !guest_tf; }

#endif
