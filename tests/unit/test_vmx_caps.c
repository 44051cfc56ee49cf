/* VMX control computation from capability MSRs, and the CR fixed bits. */
#include "check.h"
#include "vmcs.h"
#include "vmx_caps.h"

static uint64_t cap(uint32_t must_be_1, uint32_t may_be_1) { return (uint64_t)may_be_1 << 32 | must_be_1; }

TEST(vmx_caps_allowed0_forced_on)
{
    /* Bits 1, 2 and 4 must be 1 (the classic pin-based default1 class) even if nobody asks. */
    struct ctl_result r = vmx_adjust_controls(cap(0x16, 0xFFFFFFFF), 0, 0);
    CHECK_EQ(r.value, 0x16);
    CHECK_EQ(r.missing, 0);
    r = vmx_adjust_controls(cap(0x16, 0xFFFFFFFF), PIN_EXTINT_EXITING | PIN_NMI_EXITING, 0);
    CHECK_EQ(r.value, 0x16 | PIN_EXTINT_EXITING | PIN_NMI_EXITING);
    CHECK_EQ(r.missing, 0);
}

TEST(vmx_caps_allowed1_honoured)
{
    /* Only bits 0..7 may be 1: a required bit outside is missing and not set. */
    struct ctl_result r = vmx_adjust_controls(cap(0, 0xFF), (1u << 3) | (1u << 9), 0);
    CHECK_EQ(r.value, 1u << 3);
    CHECK_EQ(r.missing, 1u << 9);
    r = vmx_adjust_controls(cap(0x1, 0x0F), 0xF0, 0);
    CHECK_EQ(r.missing, 0xF0);
    CHECK_EQ(r.value, 0x1);
}

TEST(vmx_caps_optional_dropped_silently)
{
    struct ctl_result r = vmx_adjust_controls(cap(0, PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_RDRAND_EXITING),
                                              PROC2_ENABLE_EPT | PROC2_ENABLE_VPID,
                                              PROC2_RDRAND_EXITING | PROC2_RDSEED_EXITING);
    CHECK_EQ(r.value, PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_RDRAND_EXITING);
    CHECK_EQ(r.missing, 0); /* RDSEED exiting is optional: not reported */
    r = vmx_adjust_controls(cap(0, 0), 0, 0xFFFFFFFF);
    CHECK_EQ(r.value, 0);
    CHECK_EQ(r.missing, 0);
}

TEST(vmx_caps_missing_required_reported)
{
    uint32_t req = PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST;
    struct ctl_result r = vmx_adjust_controls(cap(0, PROC2_ENABLE_EPT), req, PROC2_ENABLE_RDTSCP);
    CHECK_EQ(r.missing, PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST);
    CHECK_EQ(r.value, PROC2_ENABLE_EPT);
    CHECK_STREQ(vmx_control_bit_name("proc2", r.missing), "VPID");
    /* A bit both required and forced to 1 is fine. */
    r = vmx_adjust_controls(cap(1u << 31, 1u << 31), 1u << 31, 0);
    CHECK_EQ(r.value, 1u << 31);
    CHECK_EQ(r.missing, 0);
}

TEST(vmx_caps_upper_half_only_from_msr_high)
{
    /* The must-be-1 half never leaks into may-be-1: bit 5 set in the low half only is
     * still forced, but a required bit 6 set nowhere is missing. */
    struct ctl_result r = vmx_adjust_controls(cap(1u << 5, 1u << 5), 1u << 6, 0);
    CHECK_EQ(r.value, 1u << 5);
    CHECK_EQ(r.missing, 1u << 6);
}

TEST(vmx_fix_cr)
{
    /* Typical CR0 fixed MSRs: PE, NE, PG must be 1 (without unrestricted guest); CD/NW allowed. */
    uint64_t f0 = 0x80000021, f1 = 0xFFFFFFFF;
    CHECK_EQ(vmx_fix_cr(0, f0, f1), 0x80000021);
    CHECK_EQ(vmx_fix_cr(0x60000010, f0, f1), 0xE0000031);
    /* CR4: VMXE must be 1; bits outside fixed1 are cleared. */
    uint64_t c4f0 = 0x2000, c4f1 = 0x3727FF;
    CHECK_EQ(vmx_fix_cr(0x20, c4f0, c4f1), 0x2020);
    CHECK_EQ(vmx_fix_cr(0x20 | (1ull << 23) | (1ull << 40), c4f0, c4f1), 0x2020);
    CHECK_EQ(vmx_fix_cr(0xFFFFFFFFFFFFFFFFull, 0, 0), 0);
    CHECK_EQ(vmx_fix_cr(0, ~0ull, ~0ull), ~0ull);
}

TEST(vmx_control_bit_names)
{
    CHECK_STREQ(vmx_control_bit_name("proc2", PROC2_ENABLE_EPT), "EPT");
    CHECK_STREQ(vmx_control_bit_name("proc2", PROC2_UNRESTRICTED_GUEST), "unrestricted guest");
    CHECK_STREQ(vmx_control_bit_name("pin", PIN_NMI_EXITING), "NMI exiting");
    CHECK_STREQ(vmx_control_bit_name("proc", PROC_HLT_EXITING | PROC_RDTSC_EXITING), "HLT exiting");
    CHECK_STREQ(vmx_control_bit_name("exit", EXIT_LOAD_EFER), "load IA32_EFER on exit");
    CHECK_STREQ(vmx_control_bit_name("entry", ENTRY_LOAD_EFER), "load IA32_EFER on entry");
    /* The field matters: bit 1 is EPT in proc2 but nothing named in proc. */
    CHECK_STREQ(vmx_control_bit_name("proc", PROC2_ENABLE_EPT), "an unnamed control");
    CHECK_STREQ(vmx_control_bit_name("pin", 0), "an unnamed control");
    CHECK_STREQ(vmx_control_bit_name("nosuch", 0xFFFFFFFF), "an unnamed control");
}

TEST(vmx_field_fail_messages)
{
    char buf[200];
    vmx_field_fail_message(buf, sizeof(buf), 0x681E, 0, 0, 12, "h_cpuid");
    CHECK_STREQ(buf, "VMREAD of VMCS field 0x681e failed in h_cpuid(): VMfailValid, error 12 "
                     "(VMREAD/VMWRITE of unsupported field)");
    vmx_field_fail_message(buf, sizeof(buf), 0x4000, 1, 1, 0, "setup_controls");
    CHECK_STREQ(buf, "VMWRITE of VMCS field 0x4000 failed in setup_controls(): VMfailInvalid (no current VMCS)");
    vmx_field_fail_message(buf, sizeof(buf), 0x2800, 1, 0, 99, 0);
    CHECK_CONTAINS(buf, "in ?(): VMfailValid, error 99 (unknown VM-instruction error)");
    CHECK_STREQ(vmx_instruction_error_name(13), "VMWRITE to read-only field");
}
