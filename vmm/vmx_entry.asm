; Entering a guest and coming back. vmx_run() is an ordinary C-callable function: it saves the
; host's callee-saved registers on the core's own stack, points the VMCS host RSP there, loads
; the guest's general registers and enters; the VM exit lands in vmx_exit_entry with that stack,
; stores the guest's registers and returns 0 to the C run loop. A VMLAUNCH/VMRESUME that fails
; (VMfail) falls through and returns 1. So one core can run several VMCSs from one loop.
bits 64
section .text

VMCS_HOST_RSP equ 0x6C14

%macro LOAD_GUEST 0          ; rax = vcpu (struct guest_regs first)
    mov rcx, [rax + 8*1]
    mov rdx, [rax + 8*2]
    mov rbx, [rax + 8*3]
    mov rbp, [rax + 8*4]
    mov rsi, [rax + 8*5]
    mov rdi, [rax + 8*6]
    mov r8,  [rax + 8*7]
    mov r9,  [rax + 8*8]
    mov r10, [rax + 8*9]
    mov r11, [rax + 8*10]
    mov r12, [rax + 8*11]
    mov r13, [rax + 8*12]
    mov r14, [rax + 8*13]
    mov r15, [rax + 8*14]
    mov rax, [rax]
%endmacro

; int vmx_run(struct vcpu *v, int launched)
global vmx_run
vmx_run:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                  ; the vcpu, found again by vmx_exit_entry at [rsp]
    mov rax, VMCS_HOST_RSP
    vmwrite rax, rsp
    jbe .fail_early
    mov rax, rdi
    test esi, esi
    jnz .resume
    LOAD_GUEST
    vmlaunch
    jmp .failed
.resume:
    LOAD_GUEST
    vmresume
.failed:
.fail_early:
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    mov eax, 1
    ret

global vmx_exit_entry
vmx_exit_entry:               ; rsp = the value vmx_run wrote: [rsp] = vcpu
    push rax
    mov rax, [rsp + 8]
    mov [rax + 8*1], rcx
    mov [rax + 8*2], rdx
    mov [rax + 8*3], rbx
    mov [rax + 8*4], rbp
    mov [rax + 8*5], rsi
    mov [rax + 8*6], rdi
    mov [rax + 8*7], r8
    mov [rax + 8*8], r9
    mov [rax + 8*9], r10
    mov [rax + 8*10], r11
    mov [rax + 8*11], r12
    mov [rax + 8*12], r13
    mov [rax + 8*13], r14
    mov [rax + 8*14], r15
    pop rcx
    mov [rax], rcx
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    xor eax, eax
    ret
