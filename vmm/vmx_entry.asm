; Guest entry and exit. The exit stub saves the guest's general registers into the
; current struct vcpu (found at gs:8, the per-core pointer the VMCS restores),
; calls vmexit_dispatch(vcpu) and resumes the guest when it returns.
bits 64
section .text
extern vmexit_dispatch
extern vmx_entry_failed

%macro LOAD_GUEST 0          ; rax = vcpu
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

global vmx_launch_asm
vmx_launch_asm:               ; rdi = vcpu
    mov rax, rdi
    LOAD_GUEST
    vmlaunch
    mov rdi, [gs:8]
    xor esi, esi
    call vmx_entry_failed

global vmx_exit_entry
vmx_exit_entry:
    push rax
    mov rax, [gs:8]
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
    mov rdi, rax
    call vmexit_dispatch
    mov rax, [gs:8]
    LOAD_GUEST
    vmresume
    mov rdi, [gs:8]
    mov esi, 1
    call vmx_entry_failed
.hang:
    cli
    hlt
    jmp .hang
