#include "exit_reason.h"

static const char *const names[EXIT_REASON_MAX + 1] = {
    [EXIT_EXCEPTION_NMI] = "exception", [EXIT_EXTERNAL_INTERRUPT] = "extint", [EXIT_TRIPLE_FAULT] = "triple_fault",
    [EXIT_INIT] = "init", [EXIT_SIPI] = "sipi", [EXIT_INTERRUPT_WINDOW] = "intr_window",
    [EXIT_NMI_WINDOW] = "nmi_window", [EXIT_TASK_SWITCH] = "task_switch", [EXIT_CPUID] = "cpuid",
    [EXIT_GETSEC] = "getsec", [EXIT_HLT] = "hlt", [EXIT_INVD] = "invd", [EXIT_INVLPG] = "invlpg",
    [EXIT_RDPMC] = "rdpmc", [EXIT_RDTSC] = "rdtsc", [EXIT_VMCALL] = "vmcall", [EXIT_VMCLEAR] = "vmclear",
    [EXIT_VMLAUNCH] = "vmlaunch", [EXIT_VMPTRLD] = "vmptrld", [EXIT_VMPTRST] = "vmptrst", [EXIT_VMREAD] = "vmread",
    [EXIT_VMRESUME] = "vmresume", [EXIT_VMWRITE] = "vmwrite", [EXIT_VMXOFF] = "vmxoff", [EXIT_VMXON] = "vmxon",
    [EXIT_CR_ACCESS] = "cr", [EXIT_DR_ACCESS] = "dr", [EXIT_IO_INSTRUCTION] = "io", [EXIT_RDMSR] = "rdmsr",
    [EXIT_WRMSR] = "wrmsr", [EXIT_INVALID_GUEST_STATE] = "invalid_state", [EXIT_MSR_LOADING] = "msr_loading",
    [EXIT_MWAIT] = "mwait", [EXIT_MONITOR_TRAP_FLAG] = "mtf", [EXIT_MONITOR] = "monitor", [EXIT_PAUSE] = "pause",
    [EXIT_MACHINE_CHECK] = "machine_check", [EXIT_GDTR_IDTR] = "gdtr_idtr", [EXIT_LDTR_TR] = "ldtr_tr",
    [EXIT_EPT_VIOLATION] = "ept_violation", [EXIT_EPT_MISCONFIG] = "ept_misconfig", [EXIT_INVEPT] = "invept",
    [EXIT_RDTSCP] = "rdtscp", [EXIT_PREEMPTION_TIMER] = "preemption_timer", [EXIT_INVVPID] = "invvpid",
    [EXIT_WBINVD] = "wbinvd", [EXIT_XSETBV] = "xsetbv", [EXIT_RDRAND] = "rdrand", [EXIT_INVPCID] = "invpcid",
    [EXIT_VMFUNC] = "vmfunc", [EXIT_RDSEED] = "rdseed", [EXIT_XSAVES] = "xsaves", [EXIT_XRSTORS] = "xrstors",
};

const char *exit_reason_name(unsigned reason)
{
    if (reason <= EXIT_REASON_MAX && names[reason])
        return names[reason];
    return "unknown";
}

/* Exits caused by the guest's own instruction (or its own fault), at the same instruction on
 * every run: the positions the recorder and the replayer both count. Everything else (external
 * interrupts, the preemption timer, NMIs, MTF and #DB exits of the VMM's single-stepping, windows)
 * happens where the VMM or the outside world decides, so it can never mark a position. */
bool exit_is_synchronous(unsigned reason)
{
    switch (reason) {
    case EXIT_TRIPLE_FAULT: case EXIT_TASK_SWITCH: case EXIT_CPUID: case EXIT_GETSEC: case EXIT_HLT:
    case EXIT_INVD: case EXIT_INVLPG: case EXIT_RDPMC: case EXIT_RDTSC: case EXIT_RSM: case EXIT_VMCALL:
    case EXIT_VMCLEAR: case EXIT_VMLAUNCH: case EXIT_VMPTRLD: case EXIT_VMPTRST: case EXIT_VMREAD:
    case EXIT_VMRESUME: case EXIT_VMWRITE: case EXIT_VMXOFF: case EXIT_VMXON: case EXIT_CR_ACCESS:
    case EXIT_DR_ACCESS: case EXIT_IO_INSTRUCTION: case EXIT_RDMSR: case EXIT_WRMSR:
    case EXIT_INVALID_GUEST_STATE: case EXIT_MSR_LOADING: case EXIT_MWAIT: case EXIT_MONITOR: case EXIT_PAUSE:
    case EXIT_GDTR_IDTR: case EXIT_LDTR_TR: case EXIT_EPT_VIOLATION: case EXIT_EPT_MISCONFIG: case EXIT_INVEPT:
    case EXIT_RDTSCP: case EXIT_INVVPID: case EXIT_WBINVD: case EXIT_XSETBV: case EXIT_RDRAND: case EXIT_INVPCID:
    case EXIT_VMFUNC: case EXIT_ENCLS: case EXIT_RDSEED: case EXIT_XSAVES: case EXIT_XRSTORS:
        return true;
    default:
        return false;
    }
}
