; The tiny test guest: a 32-bit PVH kernel (no paging) that talks to the virtual
; 16550 at 0x3F8 and obeys words on its command line:
;   bench=N      time N CPUID exits and N exit-free loop iterations with RDTSC
;   isolation    write just past the end of its RAM (must be an EPT violation)
;   hostile      poke at the VMM: VMXON and VMREAD (each must raise #UD, caught by
;                the guest's own IDT), unknown ports, then an unknown MSR with an
;                empty IDT: a triple fault
;   reboot       ask for a reset through port 0xCF9 (must end as `reboot`)
;   badstate     set CR0.PG with CR0.PE clear: the VMM's CR0 emulation writes it to
;                the VMCS and the next VM entry fails (`invalid-guest-state`)
;   unhandled    far jump to a TSS: a task switch, an exit the VMM has no handler for
;   stringio     OUTSB to a port: string I/O, which the VMM does not emulate
;   panic        print Linux's panic line on the serial port (must end as `panic`)
; and then powers off (CLI; HLT). Each mode that must stop the guest prints an
; upper-case line if the guest runs on past the point where it should have been stopped.
bits 32

section .note.Xen note alloc noexec nowrite align=4
    dd 4, 4, 18                ; "Xen", XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dd _start

section .text
global _start
_start:
    mov esp, stack_top
    mov [start_info], ebx
    call uart_init
    mov esi, msg_hello
    call puts
    mov esi, [ebx + 24]        ; cmdline_paddr (low half)
    mov [cmdline], esi
    call puts
    mov esi, msg_quote_nl
    call puts
    ; RAM size = end of the last memory-map entry
    mov ebx, [start_info]
    mov edi, [ebx + 40]        ; memmap_paddr
    mov ecx, [ebx + 48]        ; memmap_entries
    dec ecx
    imul ecx, ecx, 24
    add edi, ecx
    mov eax, [edi]
    add eax, [edi + 8]
    mov [ram_end], eax
    mov esi, msg_ram
    call puts
    mov eax, [ram_end]
    shr eax, 20
    call put_dec
    mov esi, msg_mib
    call puts

    mov esi, word_bench
    call find_word             ; eax = pointer after "bench=" or 0
    test eax, eax
    jz .no_bench
    call parse_dec
    mov [bench_n], eax
    call bench
.no_bench:
    ; replay=N: N lines of non-deterministic inputs (RDTSC, the PIT counter, the RTC seconds), each
    ; printed, so a Backup that is handed a different value prints something else (replay tests).
    mov esi, word_replay
    call find_word
    test eax, eax
    jz .no_replay
    call parse_dec
    mov [bench_n], eax
.replay_line:
    rdtsc
    call put_dec
    mov esi, msg_space
    call puts
    xor al, al
    out 0x43, al               ; latch PIT channel 0
    in al, 0x40
    movzx ebx, al
    in al, 0x40
    movzx eax, al
    shl eax, 8
    or eax, ebx
    call put_dec
    mov esi, msg_space
    call puts
    xor al, al                 ; RTC seconds
    out 0x70, al
    in al, 0x71
    movzx eax, al
    call put_dec
    mov esi, msg_nl
    call puts
    dec dword [bench_n]
    jnz .replay_line
.no_replay:
    mov esi, word_hostile
    call find_word
    test eax, eax
    jz .no_hostile
    mov esi, msg_hostile
    call puts
    ; VMX instructions exit to the VMM, which must answer with #UD as a CPU without
    ; VMX would: the guest's own #UD handler counts them and resumes after each.
    call load_gdt
    call load_idt
    mov [ud_esp], esp
    mov dword [ud_resume], .after_vmxon
    vmxon [vmxon_region]
.after_vmxon:
    mov [ud_esp], esp
    mov dword [ud_resume], .after_vmread
    xor ebx, ebx
    vmread eax, ebx
.after_vmread:
    cmp dword [ud_count], 2
    je .vmx_refused
    mov esi, msg_vmx_survived
    call puts
    jmp .done
.vmx_refused:
    mov esi, msg_vmx_refused
    call puts
    mov dx, 0x1234             ; a port with no device: all-ones
    in eax, dx
    cmp eax, 0xFFFFFFFF
    jne .done
    mov dx, 0x2E
    mov al, 0x55
    out dx, al
    lidt [null_idtr]           ; from here on, any exception is a triple fault
    mov ecx, 0xDEAD0001        ; an MSR nobody virtualises: #GP, which now triple-faults
    rdmsr
    mov esi, msg_survived
    call puts
    jmp .done
.no_hostile:
    mov esi, word_reboot
    call find_word
    test eax, eax
    jz .no_reboot
    mov esi, msg_reboot
    call puts
    mov dx, 0xCF9
    mov al, 0x06               ; system reset + reset CPU
    out dx, al
    mov esi, msg_reboot_ignored
    call puts
    jmp .done
.no_reboot:
    mov esi, word_badstate
    call find_word
    test eax, eax
    jz .no_badstate
    mov esi, msg_badstate
    call puts
    ; NE differs from the VMM's read shadow, so the write exits; PG without PE is
    ; architecturally invalid and the VM entry's guest-state checks must refuse it.
    mov eax, cr0
    and eax, 0x7FFFFFFE
    or eax, 0x80000020         ; PG | NE, PE clear
    mov cr0, eax
    mov esi, msg_badstate_accepted
    call puts
    jmp .done
.no_badstate:
    mov esi, word_unhandled
    call find_word
    test eax, eax
    jz .no_unhandled
    mov esi, msg_unhandled
    call puts
    call load_gdt
    jmp 0x28:0                 ; a far jump to an available TSS: a task switch
    mov esi, msg_unhandled_ran
    call puts
    jmp .done
.no_unhandled:
    mov esi, word_stringio
    call find_word
    test eax, eax
    jz .no_stringio
    mov esi, msg_stringio
    call puts
    mov esi, msg_stringio
    mov ecx, 1
    mov dx, 0x80
    rep outsb
    mov esi, msg_stringio_ran
    call puts
    jmp .done
.no_stringio:
    mov esi, word_panic
    call find_word
    test eax, eax
    jz .no_panic
    mov esi, msg_panic
    call puts
    mov esi, msg_panic_missed
    call puts
    jmp .done
.no_panic:
    mov esi, word_isolation
    call find_word
    test eax, eax
    jz .done
    mov esi, msg_isolation
    call puts
    mov edi, [ram_end]
    add edi, 0x1000
    mov dword [edi], 0xDEADBEEF ; must never land: EPT has no mapping here
    mov esi, msg_isolation_broken
    call puts
.done:
    mov esi, msg_bye
    call puts
    cli
    hlt
    jmp .done

; load_gdt: a GDT with the boot ABI's flat selectors (0x10 code, 0x18 data) and an
; available 32-bit TSS at 0x28; the segment registers keep their cached values.
load_gdt:
    mov eax, tss_area
    mov [gdt_tss + 2], ax
    shr eax, 16
    mov [gdt_tss + 4], al
    mov [gdt_tss + 7], ah
    lgdt [gdtr]
    ret

; load_idt: an IDT whose only present gate is #UD (vector 6), to ud_handler.
load_idt:
    mov eax, ud_handler
    mov [idt + 6 * 8], ax
    mov word [idt + 6 * 8 + 2], 0x10
    mov word [idt + 6 * 8 + 4], 0x8E00 ; present, DPL 0, 32-bit interrupt gate
    shr eax, 16
    mov [idt + 6 * 8 + 6], ax
    lidt [idtr]
    ret

; ud_handler: count the #UD, then resume at [ud_resume] with the stack of [ud_esp].
ud_handler:
    inc dword [ud_count]
    mov esp, [ud_esp]
    jmp [ud_resume]

; bench: N CPUID exits vs N plain iterations, each timed with RDTSC
bench:
    rdtsc
    mov [t0], eax
    mov [t0 + 4], edx
    mov ecx, [bench_n]
.l1:
    push ecx
    xor eax, eax
    cpuid
    pop ecx
    dec ecx
    jnz .l1
    rdtsc
    sub eax, [t0]
    sbb edx, [t0 + 4]
    mov [t_cpuid], eax
    rdtsc
    mov [t0], eax
    mov [t0 + 4], edx
    mov ecx, [bench_n]
.l2:
    push ecx
    xor eax, eax
    nop
    pop ecx
    dec ecx
    jnz .l2
    rdtsc
    sub eax, [t0]
    sbb edx, [t0 + 4]
    mov [t_plain], eax
    mov esi, msg_bench1
    call puts
    mov eax, [bench_n]
    call put_dec
    mov esi, msg_bench2
    call puts
    mov eax, [t_cpuid]
    call put_dec
    mov esi, msg_bench3
    call puts
    mov eax, [t_plain]
    call put_dec
    mov esi, msg_nl
    call puts
    ret

; find_word: esi = word; eax = address after it in the command line, or 0
find_word:
    mov edx, [cmdline]
.try:
    cmp byte [edx], 0
    je .none
    mov edi, edx
    mov ebx, esi
.cmp:
    mov al, [ebx]
    test al, al
    jz .found
    cmp al, [edi]
    jne .next
    inc ebx
    inc edi
    jmp .cmp
.next:
    inc edx
    jmp .try
.found:
    mov eax, edi
    ret
.none:
    xor eax, eax
    ret

; parse_dec: eax = string; returns value in eax
parse_dec:
    mov esi, eax
    xor eax, eax
.d:
    movzx ecx, byte [esi]
    sub ecx, '0'
    cmp ecx, 9
    ja .end
    imul eax, eax, 10
    add eax, ecx
    inc esi
    jmp .d
.end:
    ret

uart_init:
    mov dx, 0x3FB
    mov al, 0x80
    out dx, al
    mov dx, 0x3F8
    mov al, 1
    out dx, al
    mov dx, 0x3F9
    xor al, al
    out dx, al
    mov dx, 0x3FB
    mov al, 3
    out dx, al
    ret

; puts: esi = NUL-terminated string
puts:
    push eax
    push edx
.c:
    lodsb
    test al, al
    jz .e
    mov ah, al
    mov dx, 0x3FD
.w:
    in al, dx
    test al, 0x20
    jz .w
    mov al, ah
    mov dx, 0x3F8
    out dx, al
    jmp .c
.e:
    pop edx
    pop eax
    ret

; put_dec: eax = unsigned value
put_dec:
    push ebx
    mov edi, numbuf + 11
    mov byte [edi], 0
    mov ebx, 10
.p:
    xor edx, edx
    div ebx
    add dl, '0'
    dec edi
    mov [edi], dl
    test eax, eax
    jnz .p
    mov esi, edi
    call puts
    pop ebx
    ret

section .data
msg_hello: db "hindsight test guest: hello, cmdline '", 0
msg_quote_nl: db "'", 10, 0
msg_ram: db "test guest: RAM ", 0
msg_mib: db " MiB", 10, 0
msg_isolation: db "test guest: writing past the end of RAM", 10, 0
msg_isolation_broken: db "test guest: ISOLATION BROKEN: the write beyond RAM succeeded", 10, 0
msg_bye: db "test guest: powering off", 10, 0
msg_bench1: db "test guest: bench n=", 0
msg_bench2: db " cpuid_ticks=", 0
msg_bench3: db " plain_ticks=", 0
msg_nl: db 10, 0
word_bench: db "bench=", 0
word_replay: db "replay=", 0
msg_space: db " ", 0
word_isolation: db "isolation", 0
word_hostile: db "hostile", 0
msg_hostile: db "test guest: hostile: VMX instructions, unknown ports, then an MSR with no IDT", 10, 0
msg_survived: db "test guest: HOSTILE MSR READ SUCCEEDED", 10, 0
msg_vmx_refused: db "test guest: hostile: VMXON and VMREAD raised #UD", 10, 0
msg_vmx_survived: db "test guest: HOSTILE VMX INSTRUCTION SUCCEEDED", 10, 0
word_reboot: db "reboot", 0
msg_reboot: db "test guest: requesting a reset through port 0xCF9", 10, 0
msg_reboot_ignored: db "test guest: RESET REQUEST IGNORED", 10, 0
word_badstate: db "badstate", 0
msg_badstate: db "test guest: setting CR0.PG with CR0.PE clear", 10, 0
msg_badstate_accepted: db "test guest: INVALID CR0 ACCEPTED", 10, 0
word_unhandled: db "unhandled", 0
msg_unhandled: db "test guest: task switch through a TSS descriptor", 10, 0
msg_unhandled_ran: db "test guest: TASK SWITCH NOT STOPPED", 10, 0
word_stringio: db "stringio", 0
msg_stringio: db "test guest: string I/O (REP OUTSB)", 10, 0
msg_stringio_ran: db "test guest: STRING I/O NOT STOPPED", 10, 0
word_panic: db "panic", 0
msg_panic: db "Kernel panic - not syncing: test guest panics on purpose", 10, 0
msg_panic_missed: db "test guest: PANIC NOT CAUGHT", 10, 0
align 8
gdt: dq 0, 0
    dq 0x00CF9A000000FFFF      ; 0x10: flat 32-bit code
    dq 0x00CF92000000FFFF      ; 0x18: flat data
    dq 0                       ; 0x20: unused
gdt_tss: dw 0x67, 0            ; 0x28: available 32-bit TSS (base filled in by load_gdt)
    db 0, 0x89, 0, 0
gdt_end:
gdtr: dw gdt_end - gdt - 1
    dd gdt
idtr: dw 32 * 8 - 1
    dd idt
align 8
null_idtr: dw 0
    dd 0

section .bss
align 16
start_info: resd 1
cmdline: resd 1
ram_end: resd 1
bench_n: resd 1
t0: resd 2
t_cpuid: resd 1
t_plain: resd 1
numbuf: resb 12
ud_count: resd 1
ud_esp: resd 1
ud_resume: resd 1
alignb 8
idt: resb 32 * 8
tss_area: resb 0x68
alignb 4096
vmxon_region: resb 4096
stack: resb 4096
stack_top:
