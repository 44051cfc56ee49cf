/* Model-specific register numbers, all in one place. */
#ifndef HS_MSR_H
#define HS_MSR_H

#define MSR_IA32_TSC                0x010
#define MSR_IA32_APIC_BASE          0x01B
#define MSR_IA32_FEATURE_CONTROL    0x03A
#define MSR_IA32_SYSENTER_CS        0x174
#define MSR_IA32_SYSENTER_ESP       0x175
#define MSR_IA32_SYSENTER_EIP       0x176
#define MSR_IA32_MISC_ENABLE        0x1A0
#define MSR_IA32_PAT                0x277
#define MSR_IA32_VMX_BASIC          0x480
#define MSR_IA32_VMX_PINBASED_CTLS  0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS      0x483
#define MSR_IA32_VMX_ENTRY_CTLS     0x484
#define MSR_IA32_VMX_MISC           0x485
#define MSR_IA32_VMX_CR0_FIXED0     0x486
#define MSR_IA32_VMX_CR0_FIXED1     0x487
#define MSR_IA32_VMX_CR4_FIXED0     0x488
#define MSR_IA32_VMX_CR4_FIXED1     0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48B
#define MSR_IA32_VMX_EPT_VPID_CAP   0x48C
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48D
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48E
#define MSR_IA32_VMX_TRUE_EXIT_CTLS      0x48F
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS     0x490
#define MSR_IA32_EFER               0xC0000080
#define MSR_IA32_STAR               0xC0000081
#define MSR_IA32_LSTAR              0xC0000082
#define MSR_IA32_CSTAR              0xC0000083
#define MSR_IA32_FMASK              0xC0000084
#define MSR_IA32_FS_BASE            0xC0000100
#define MSR_IA32_GS_BASE            0xC0000101
#define MSR_IA32_KERNEL_GS_BASE     0xC0000102
#define MSR_IA32_TSC_AUX            0xC0000103
/* Performance monitoring (the pmc replay mode, vmm/pmu.c) */
#define MSR_IA32_PMC0               0x0C1
#define MSR_IA32_PERFEVTSEL0        0x186
#define MSR_IA32_DEBUGCTL           0x1D9
#define MSR_IA32_PERF_CAPABILITIES  0x345
#define MSR_IA32_PERF_GLOBAL_STATUS 0x38E
#define MSR_IA32_PERF_GLOBAL_CTRL   0x38F
#define MSR_IA32_PERF_GLOBAL_OVF_CTRL 0x390 /* IA32_PERF_GLOBAL_STATUS_RESET from perfmon v4 */
#define MSR_IA32_A_PMC0             0x4C1   /* full-width writes to PMC0 */
#define MSR_X2APIC_LVT_PMI          0x834   /* the LVT performance-counter entry in x2APIC mode */

#define FEATURE_CONTROL_LOCK        (1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)
#define APIC_BASE_X2APIC            (1ull << 10)
#define APIC_BASE_ENABLE            (1ull << 11)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define PERFEVTSEL_USR (1ull << 16)
#define PERFEVTSEL_OS  (1ull << 17)
#define PERFEVTSEL_INT (1ull << 20)  /* interrupt (PMI) on overflow */
#define PERFEVTSEL_EN  (1ull << 22)
#define PERF_CAP_FREEZE_WHILE_SMM (1ull << 12) /* IA32_DEBUGCTL.FREEZE_WHILE_SMM is supported */
#define PERF_CAP_FW_WRITE (1ull << 13)         /* IA32_A_PMCx (full-width writes) exist */
#define DEBUGCTL_FREEZE_WHILE_SMM (1ull << 14)

#endif
