#include "vmx_caps.h"
#include "lib.h"
#include "vmcs.h"

struct ctl_result vmx_adjust_controls(uint64_t cap_msr, uint32_t required, uint32_t optional)
{
    uint32_t must = (uint32_t)cap_msr, may = (uint32_t)(cap_msr >> 32);
    struct ctl_result r;
    r.missing = required & ~may;
    r.value = (must | ((required | optional) & may));
    return r;
}

uint64_t vmx_fix_cr(uint64_t value, uint64_t fixed0, uint64_t fixed1) { return (value | fixed0) & fixed1; }

struct bitname {
    const char *field;
    uint32_t bit;
    const char *name;
};

static const struct bitname names[] = {
    { "pin", PIN_EXTINT_EXITING, "external-interrupt exiting" },
    { "pin", PIN_NMI_EXITING, "NMI exiting" },
    { "pin", PIN_PREEMPTION_TIMER, "VMX preemption timer" },
    { "proc", PROC_HLT_EXITING, "HLT exiting" },
    { "proc", PROC_RDTSC_EXITING, "RDTSC exiting" },
    { "proc", PROC_UNCOND_IO_EXITING, "unconditional I/O exiting" },
    { "proc", PROC_ACTIVATE_SECONDARY, "secondary controls" },
    { "proc", PROC_INTR_WINDOW_EXITING, "interrupt-window exiting" },
    { "proc2", PROC2_ENABLE_EPT, "EPT" },
    { "proc2", PROC2_ENABLE_VPID, "VPID" },
    { "proc2", PROC2_UNRESTRICTED_GUEST, "unrestricted guest" },
    { "exit", EXIT_HOST_ADDR_SPACE_SIZE, "64-bit host" },
    { "exit", EXIT_SAVE_EFER, "save IA32_EFER" },
    { "exit", EXIT_LOAD_EFER, "load IA32_EFER on exit" },
    { "entry", ENTRY_LOAD_EFER, "load IA32_EFER on entry" },
};

const char *vmx_control_bit_name(const char *field, uint32_t bits)
{
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
        if (!strcmp(names[i].field, field) && (bits & names[i].bit))
            return names[i].name;
    return "an unnamed control";
}

static const char *const instr_errors[] = {
    [1] = "VMCALL in VMX root",
    [2] = "VMCLEAR with invalid address",
    [3] = "VMCLEAR with VMXON pointer",
    [4] = "VMLAUNCH with non-clear VMCS",
    [5] = "VMRESUME with non-launched VMCS",
    [6] = "VMRESUME after VMXOFF",
    [7] = "VM entry with invalid control field(s)",
    [8] = "VM entry with invalid host-state field(s)",
    [9] = "VMPTRLD with invalid address",
    [10] = "VMPTRLD with VMXON pointer",
    [11] = "VMPTRLD with incorrect VMCS revision",
    [12] = "VMREAD/VMWRITE of unsupported field",
    [13] = "VMWRITE to read-only field",
    [15] = "VMXON in VMX root",
    [16] = "VM entry with invalid executive-VMCS pointer",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(uint32_t e)
{
    if (e < ARRAY_SIZE(instr_errors) && instr_errors[e])
        return instr_errors[e];
    return "unknown VM-instruction error";
}

void vmx_field_fail_message(char *buf, size_t cap, uint64_t field, int write, int cf, uint32_t err,
                            const char *caller)
{
    if (cf)
        hs_snprintf(buf, cap, "%s of VMCS field 0x%lx failed in %s(): VMfailInvalid (no current VMCS)",
                    write ? "VMWRITE" : "VMREAD", field, caller ? caller : "?");
    else
        hs_snprintf(buf, cap, "%s of VMCS field 0x%lx failed in %s(): VMfailValid, error %u (%s)",
                    write ? "VMWRITE" : "VMREAD", field, caller ? caller : "?", err, vmx_instruction_error_name(err));
}
