; Multiboot2 entry: GRUB leaves us in 32-bit protected mode with paging off.
; We build an identity map of the first 4 GiB with 2 MiB pages (enough for the
; VMM image, the modules GRUB loaded and the local APIC), enter long mode and
; call vmm_main(magic, mbi). vmm/paging.c replaces these tables later.

MB2_MAGIC    equ 0xE85250D6
MB2_ARCH_I386 equ 0

section .multiboot2 align=8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    ; end tag
    dw 0, 0
    dd 8
mb2_header_end:
; hindsight.efi (boot/efi/) finds the 64-bit entry by this marker ("HSEFI64", version 1).
align 8
    dq 0x0134364946455348
    dq _start64

section .bss align=4096
global boot_pml4
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * 4
global bsp_stack_top
bsp_stack:  resb 32768
bsp_stack_top:

section .data
align 8
boot_gdt:
    dq 0
    dq 0x00209A0000000000       ; 0x08: 64-bit code
    dq 0x0000920000000000       ; 0x10: data
boot_gdt_end:
boot_gdtr:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

section .text
bits 32
global _start
_start:
    cli
    mov esp, bsp_stack_top
    mov edi, eax                ; multiboot2 magic
    mov esi, ebx                ; multiboot2 info

    ; Long mode needs CPUID leaf 0x80000001 bit 29; say so on the console
    ; instead of triple-faulting on an old CPU.
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, 1 << 29
    jz .no_long_mode

    ; PML4[0] -> PDPT, PDPT[0..3] -> PD[0..3], each PD maps 1 GiB in 2 MiB pages.
    mov eax, boot_pdpt
    or eax, 3
    mov [boot_pml4], eax
    xor ecx, ecx
.fill_pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, 3
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .fill_pdpt
    xor ecx, ecx
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83                ; present, writable, 2 MiB
    cmp ecx, 1536               ; 3 GiB and up: MMIO hole, uncached
    jb .cached
    or eax, 0x18                ; PCD | PWT
.cached:
    mov [boot_pd + ecx * 8], eax
    mov eax, ecx
    shr eax, 11                 ; bits 32+ of the 2 MiB frame (ecx >> 11)
    mov [boot_pd + ecx * 8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jb .fill_pd

    mov eax, cr4
    or eax, 1 << 5              ; PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, 0xC0000080         ; EFER
    rdmsr
    or eax, (1 << 8) | (1 << 11) ; LME, NXE
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16) ; PG, WP
    mov cr0, eax
    lgdt [boot_gdtr]
    jmp 0x08:long_mode

.no_long_mode:
    mov esi, msg_no_lm
.puts:
    lodsb
    test al, al
    jz .halt
    mov dx, 0x3F8 + 5
    mov ah, al
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, 0x3F8
    out dx, al
    out 0xE9, al
    jmp .puts
.halt:
    hlt
    jmp .halt

msg_no_lm: db "hindsight: FATAL: this CPU has no 64-bit long mode", 13, 10, 0

bits 64
extern vmm_main
; hindsight.efi's entry: long mode, paging on (UEFI's identity map), boot services exited,
; rdi = multiboot2 magic, rsi = multiboot2 information (below 4 GiB), built as GRUB builds it.
; The same page tables as _start are built and loaded; then the paths join at long_mode.
global _start64
_start64:
    cli
    cld
    mov r12d, edi
    mov r13d, esi
    lea rsp, [rel bsp_stack_top]
    mov eax, boot_pdpt
    or eax, 3
    mov [rel boot_pml4], rax
    xor ecx, ecx
.fill_pdpt64:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, 3
    mov [boot_pdpt + rcx * 8], rax
    inc ecx
    cmp ecx, 4
    jb .fill_pdpt64
    xor ecx, ecx
.fill_pd64:
    mov rax, rcx
    shl rax, 21
    or rax, 0x83                ; present, writable, 2 MiB
    cmp ecx, 1536               ; 3 GiB and up: MMIO hole, uncached
    jb .cached64
    or rax, 0x18
.cached64:
    mov [boot_pd + rcx * 8], rax
    inc ecx
    cmp ecx, 2048
    jb .fill_pd64
    mov ecx, 0xC0000080         ; EFER: NXE (LME/LMA are already on)
    rdmsr
    or eax, 1 << 11
    wrmsr
    mov rax, cr0
    or eax, 1 << 16             ; WP
    mov cr0, rax
    mov eax, boot_pml4
    mov cr3, rax                ; this code is identity-mapped in both: it runs on
    lgdt [rel boot_gdtr]
    push 0x08
    lea rax, [rel long_mode]
    push rax
    mov edi, r12d
    mov esi, r13d
    retfq
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, bsp_stack_top
    ; edi/esi still hold magic and mbi (zero-extended by the 32-bit moves)
    mov edi, edi
    mov esi, esi
    call vmm_main
.hang:
    cli
    hlt
    jmp .hang
