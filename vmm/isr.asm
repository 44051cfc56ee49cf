; Exception entry stubs: push a uniform frame and call trap_handler(frame).
; Vector 2 (NMI) has its own stub that returns; vectors 32-255 (host interrupts, taken only if a
; CPU without "acknowledge interrupt on exit" makes the VMM open IF for an instant) too.
bits 64
section .text
extern trap_handler
extern hostirq_nmi
extern hostirq_root

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
%if v == 2
%elif v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 || v == 21 || v == 29 || v == 30
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

%macro SAVE_SCRATCH 0
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
%endmacro
%macro RESTORE_SCRATCH 0
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
%endmacro

; NMI on its own IST stack: count it and return; the IRETQ ends the NMI blocking.
isr_2:
    push rbx
    SAVE_SCRATCH
    mov rbx, rsp                ; rbx is callee-saved: survives the call
    and rsp, -16
    cld
    call hostirq_nmi
    mov rsp, rbx
    RESTORE_SCRATCH
    pop rbx
    iretq

%macro IRQ 1
irq_%1:
    push rbx
    mov ebx, %1
    jmp irq_common
%endmacro
%assign v 32
%rep 224
    IRQ v
%assign v v + 1
%endrep

irq_common:                     ; [rsp] = saved rbx, ebx = vector
    SAVE_SCRATCH
    mov edi, ebx
    mov rbx, rsp
    and rsp, -16
    cld
    call hostirq_root
    mov rsp, rbx
    RESTORE_SCRATCH
    pop rbx
    iretq

section .rodata
global isr_stubs
isr_stubs:
%assign v 0
%rep 32
    dq isr_ %+ v
%assign v v + 1
%endrep
%assign v 32
%rep 224
    dq irq_ %+ v
%assign v v + 1
%endrep
