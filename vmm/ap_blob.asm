; Embeds the separately assembled real-mode trampoline (boot/ap_trampoline.asm).
section .rodata
global ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
    incbin AP_TRAMPOLINE_BIN
ap_trampoline_end:
