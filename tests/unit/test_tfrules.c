/* The rules that hide the VMM's single-step TF from a guest (vmm/tfrules.h): which instructions
 * leave TF where the guest keeps it, and what the guest gets back after a step. */
#include "check.h"
#include "tfrules.h"

static enum tf_insn cls(const uint8_t *b, size_t n) { return tf_classify(b, n); }

TEST(tfrules_classify_the_instructions_that_keep_tf)
{
    static const uint8_t pushf[] = { 0x9C }, popf[] = { 0x9D }, iretq[] = { 0x48, 0xCF }, iret[] = { 0xCF },
                         syscall[] = { 0x0F, 0x05 }, int3[] = { 0xCC }, int80[] = { 0xCD, 0x80 }, into[] = { 0xCE },
                         int1[] = { 0xF1 }, o16_pushf[] = { 0x66, 0x9C }, rex_popf[] = { 0x48, 0x9D },
                         seg_pushf[] = { 0x65, 0x9C };
    CHECK_EQ(cls(pushf, 1), TF_PUSHF);
    CHECK_EQ(cls(o16_pushf, 2), TF_PUSHF);
    CHECK_EQ(cls(seg_pushf, 2), TF_PUSHF);
    CHECK_EQ(cls(popf, 1), TF_POPF);
    CHECK_EQ(cls(rex_popf, 2), TF_POPF);
    CHECK_EQ(cls(iret, 1), TF_IRET);
    CHECK_EQ(cls(iretq, 2), TF_IRET);
    CHECK_EQ(cls(syscall, 2), TF_SYSCALL);
    CHECK_EQ(cls(int3, 1), TF_SOFTINT);
    CHECK_EQ(cls(int80, 2), TF_SOFTINT);
    CHECK_EQ(cls(into, 1), TF_SOFTINT);
    CHECK_EQ(cls(int1, 1), TF_SOFTINT);
}

TEST(tfrules_classify_others_and_truncated_bytes)
{
    static const uint8_t mov[] = { 0x48, 0x89, 0xE5 }, sysenter[] = { 0x0F, 0x34 }, rep_movsb[] = { 0xF3, 0xA4 },
                         nop[] = { 0x90 }, only_prefixes[] = { 0x66, 0x48, 0xF3 }, two_byte_cut[] = { 0x0F };
    CHECK_EQ(cls(mov, 3), TF_OTHER);
    CHECK_EQ(cls(sysenter, 2), TF_OTHER);
    CHECK_EQ(cls(rep_movsb, 2), TF_OTHER);
    CHECK_EQ(cls(nop, 1), TF_OTHER);
    CHECK_EQ(cls(only_prefixes, 3), TF_OTHER); /* unreadable rest: nothing assumed */
    CHECK_EQ(cls(two_byte_cut, 1), TF_OTHER);
    CHECK_EQ(cls(nop, 0), TF_OTHER);
    /* 15 prefixes: the classifier stops, never reads past what it was given. */
    uint8_t many[15];
    for (unsigned i = 0; i < 15; i++)
        many[i] = 0x66;
    CHECK_EQ(cls(many, sizeof(many)), TF_OTHER);
}

TEST(tfrules_rflags_after_a_step)
{
    const uint64_t tf = TF_RFLAGS_TF, base = 0x246;
    /* Ordinary instruction: the VMM's TF comes out, the guest's own stays. */
    CHECK_EQ(tf_rflags_after(base | tf, TF_OTHER, false), base);
    CHECK_EQ(tf_rflags_after(base | tf, TF_OTHER, true), base | tf);
    CHECK_EQ(tf_rflags_after(base | tf, TF_PUSHF, false), base);
    CHECK_EQ(tf_rflags_after(base | tf, TF_SYSCALL, false), base);
    /* POPF and IRET loaded the guest's own flags: left as they are, TF or not. */
    CHECK_EQ(tf_rflags_after(base | tf, TF_POPF, false), base | tf);
    CHECK_EQ(tf_rflags_after(base, TF_POPF, true), base);
    CHECK_EQ(tf_rflags_after(base, TF_IRET, false), base);
    CHECK_EQ(tf_rflags_after(base | tf, TF_IRET, false), base | tf);
    /* Nothing else in RFLAGS changes. */
    CHECK_EQ(tf_rflags_after(0xFFFFFFFFull, TF_OTHER, false), 0xFFFFFFFFull & ~tf);
}

TEST(tfrules_where_else_tf_must_be_cleared)
{
    CHECK(tf_clear_r11(TF_SYSCALL, false));
    CHECK(!tf_clear_r11(TF_SYSCALL, true)); /* the guest traced itself: R11 keeps its TF */
    CHECK(!tf_clear_r11(TF_OTHER, false));
    CHECK(!tf_clear_r11(TF_PUSHF, false));
    CHECK(tf_clear_stack_top(TF_PUSHF, false));
    CHECK(!tf_clear_stack_top(TF_PUSHF, true));
    CHECK(!tf_clear_stack_top(TF_POPF, false));
    CHECK(!tf_clear_stack_top(TF_SYSCALL, false));
}
