; The tiny test guest: a 32-bit PVH kernel (no paging) that talks to the virtual
; 16550 at 0x3F8 and obeys words on its command line:
;   bench=N      time N CPUID exits and N exit-free loop iterations with RDTSC
;   isolation    write just past the end of its RAM (must be an EPT violation)
;   hostile      poke at the VMM: VMX instructions, unknown MSRs, unknown ports,
;                then a triple fault (empty IDT, then an exception)
; and then powers off (CLI; HLT).
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
    mov esi, word_hostile
    call find_word
    test eax, eax
    jz .no_hostile
    mov esi, msg_hostile
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
word_isolation: db "isolation", 0
word_hostile: db "hostile", 0
msg_hostile: db "test guest: hostile: probing ports and MSRs with no IDT", 10, 0
msg_survived: db "test guest: HOSTILE MSR READ SUCCEEDED", 10, 0
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
stack: resb 4096
stack_top:
