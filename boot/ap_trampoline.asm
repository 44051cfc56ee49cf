; Real-mode start-up code for application processors. Assembled as a flat
; binary for address 0x8000 (SIPI vector 0x08) and embedded in the VMM;
; vmm/smp.c copies it down and fills in the parameter block below.
bits 16
org 0x8000
start:
    cli
    jmp short real_mode
align 8
param_cr3:   dq 0            ; 0x8008: page-table root, must be below 4 GiB
param_stack: dq 0            ; 0x8010: this AP's stack top
param_entry: dq 0            ; 0x8018: 64-bit C entry point
param_arg:   dq 0            ; 0x8020: argument passed in rdi
param_alive: dd 0            ; 0x8028: set to 1 once in long mode
param_ticket: dd 0           ; 0x802C: first AP to set bit 0 wins; the rest park
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF    ; 0x08: 32-bit code
    dq 0x00CF92000000FFFF    ; 0x10: data
    dq 0x00209A0000000000    ; 0x18: 64-bit code
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

real_mode:
    xor ax, ax
    mov ds, ax
    lock bts word [param_ticket], 0
    jc park
    lgdt [gdtr]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp dword 0x08:prot_mode

park:
    cli
    hlt
    jmp park

bits 32
prot_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5
    mov cr4, eax
    mov eax, [param_cr3]
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, (1 << 8) | (1 << 11)
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16)
    mov cr0, eax
    jmp 0x18:long_mode

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [param_stack]
    mov rdi, [param_arg]
    mov dword [param_alive], 1
    mov rax, [param_entry]
    call rax
.hang:
    cli
    hlt
    jmp .hang
