; Exception entry stubs: push a uniform frame and call trap_handler(frame).
bits 64
section .text
extern trap_handler

%macro STUB 2
isr_%1:
%if %2 == 0
    push 0
%endif
    push %1
    jmp isr_common
%endmacro

%assign v 0
%rep 32
%if v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 || v == 21 || v == 29 || v == 30
    STUB v, 1
%else
    STUB v, 0
%endif
%assign v v + 1
%endrep

isr_common:
    push rax
    push rcx
    push rdx
    push rbx
    push rbp
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    and rsp, -16
    call trap_handler
.hang:
    cli
    hlt
    jmp .hang

section .rodata
global isr_stubs
isr_stubs:
%assign v 0
%rep 32
    dq isr_ %+ v
%assign v v + 1
%endrep
