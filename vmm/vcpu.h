/* One virtual CPU (one guest: the Primary on core 0, the Backup on core 1). */
#ifndef HS_VCPU_H
#define HS_VCPU_H
#include <stdbool.h>
#include <stdint.h>
#include "dev/cmos.h"
#include "dev/pic8259.h"
#include "dev/pit8254.h"
#include "dev/uart16550.h"
#include "ept.h"
#include "exit_reason.h"

struct cpu;

/* Saved by vmx_entry.asm on every exit; the layout is fixed by that file. */
struct guest_regs {
    uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
};

struct vcpu {
    struct guest_regs regs;          /* must stay first */
    unsigned id;                     /* 0 Primary, 1 Backup */
    const char *name;
    char tag;                        /* 'P' or 'B', prefixes guest output */
    struct cpu *cpu;
    uint64_t vmcs_pa;
    struct ept ept;
    uint64_t ram_hpa, ram_size;
    uint32_t entry_ctls, proc_ctls;
    bool has_preemption_timer;
    unsigned preemption_shift;
    bool raw_console;                /* Primary's output unbuffered and unprefixed; Backup's dropped */
    uint64_t rtc_epoch;              /* Unix time of guest time 0 */
    struct uart16550 com1;
    struct pic_pair pic;
    struct pit8254 pit;
    struct cmos cmos;
    uint32_t pci_addr;
    uint64_t poll_count, timer_irqs, injected, port80, console_bytes, host_nmis;
    char line[200];
    unsigned linelen;
    uint64_t exits[EXIT_REASON_MAX + 1];
    uint64_t exits_total;
    uint64_t exit_seq;               /* instruction-synchronous exits: the design's position counter */
    uint64_t stop_rip;               /* guest RIP when it stopped */
    uint64_t io_other;               /* accesses to ports with no device */
    uint64_t launch_tsc, stop_tsc;
    uint32_t tsc_aux;
    const char *outcome;             /* why the guest stopped */
    bool panicked;                   /* the kernel printed its panic line */
    volatile int done;
};

/* Skips the instruction that caused the current exit. */
void vcpu_skip_instruction(struct vcpu *v);
/* Queues a hardware exception for the next VM entry (error code used for #GP/#PF-like vectors). */
void vcpu_inject_exception(struct vcpu *v, unsigned vector, bool has_error, uint32_t error);
/* Prints the guest's registers and control state from the VMCS. */
void vcpu_dump(struct vcpu *v);
/* Stops the guest with an outcome word (for the summary) and never returns to it. */
void vcpu_stop(struct vcpu *v, const char *outcome) __attribute__((noreturn));
/* Sends one byte of guest console output to the VMM console, line by line with a prefix. */
void vcpu_console_byte(void *vcpu, uint8_t b);

#endif
