/* One virtual CPU: a guest (the Primary, or the Backup that replays it). */
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
#include "../replay/landing.h"
#include "tfrules.h"
#include "../replay/replay.h"

struct cpu;

/* Saved by vmx_entry.asm on every exit; the layout is fixed by that file. */
struct guest_regs {
    uint64_t rax, rcx, rdx, rbx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
};

/* What a vCPU does with its non-deterministic inputs. */
enum vcpu_mode {
    VCPU_PLAIN,  /* inputs from the devices and clocks, interrupts at any exit, nothing logged */
    VCPU_RECORD, /* the Primary: inputs from the devices, each one logged; interrupts only at positions */
    VCPU_REPLAY, /* the Backup: inputs from the log; no device clock or console input consulted */
};

/* What positions asynchronous events (DESIGN.md "Positions"): the replay mode's counter. */
enum vcpu_counter {
    CNT_EXIT,   /* none: interrupts only at instruction-synchronous exits (exit mode, plain) */
    CNT_ICOUNT, /* guest instructions, from the VMX preemption timer (one-CPU Bochs) */
    CNT_PMC,    /* retired conditional branches in guest mode (Intel PMU) */
};

/* Where the handling of the current exit stands (it can be suspended and resumed by the run loop). */
enum exit_stage {
    STAGE_IN_GUEST,  /* no exit pending */
    STAGE_TAKEN,     /* exit taken, handler not run yet (the Backup may wait here for the log) */
    STAGE_HANDLED,   /* handler ran; devices and interrupts next (a halted guest waits here) */
};

/* Results of exit handling for the run loop. */
enum exit_result { EXIT_RESUME, EXIT_WAIT, EXIT_STOPPED };

/* The guest-visible processor state that VMX does not switch: kept here while another vCPU owns
 * the core's registers. */
struct vcpu_hw {
    uint8_t fx[512] __attribute__((aligned(16))); /* FXSAVE image: x87, MXCSR, XMM */
    uint64_t cr2;
    uint64_t star, lstar, cstar, fmask, kernel_gs_base;
};

struct vcpu {
    struct guest_regs regs;          /* must stay first */
    unsigned id;                     /* 0 Primary, 1 Backup */
    const char *name;
    char tag;                        /* 'P' or 'B', prefixes guest output */
    struct cpu *cpu;                 /* the core it runs on */
    uint64_t vmcs_pa;
    bool launched;                   /* VMLAUNCH done: enter with VMRESUME */
    enum vcpu_mode mode;
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
    struct vcpu_hw hw;
    uint64_t dr[4], dr6, dr7;        /* the guest's debug registers: virtual, never in hardware */
    uint64_t cr8;                    /* task priority: no local APIC, so only remembered */
    uint32_t tsc_aux;

    /* The exit being handled. */
    enum exit_stage stage;
    unsigned exit_reason;
    uint32_t exit_raw;
    uint64_t exit_qual;
    bool at_position;                /* the exit is a position (synchronous, or an armed window) */
    bool halted;                     /* HLT with interrupts on: waiting for an interrupt */
    const char *stopping;            /* set by vcpu_stop; the guest ends when the exit is handled */
    bool pos_valid;                  /* pos below computed for this exit */
    struct hs_pos pos;               /* the position of this exit (digest taken lazily) */

    /* Position counters (DESIGN.md "Positions"). */
    uint64_t exit_seq;               /* instruction-synchronous exits */
    uint64_t windows;                /* interrupt-window exits at which the guest took an interrupt */
    uint64_t positions;              /* exit_seq + window positions: the Backup's gate counter */
    uint32_t con_hash;               /* FNV-1a of the guest's serial output so far */

    /* Counter modes (icount, pmc): every event may sit at any instruction. */
    enum vcpu_counter counter;
    uint64_t count;                  /* the counter: guest instructions (icount) or branches (pmc) */
    uint64_t timer_entry;            /* preemption timer value at the last entry (icount) */
    uint64_t tsc_entry;              /* the TSC just before that entry (icount) */
    uint64_t count_late;             /* icount: timer exits that came late (an interrupt shadow) */
    uint64_t pmc_run_for;            /* pmc: branches until the counter's interrupt at the next entry (0: none) */
    bool pmi;                        /* pmc: the counter overflowed during the last guest run */
    bool async_pos;                  /* this exit is an asynchronous position (pos.async set) */
    const char *stop_request;        /* the Primary stops at its next synchronous position */
    /* The Backup's landing on the next asynchronous event (replay/landing.h). */
    struct landing land;
    uint64_t land_margin;            /* counts short of the target where the free run stops */
    uint64_t land_max_steps;
    bool land_stepping;              /* the last entry was a landing step (TF or timer) */
    struct tfstep land_tf;
    bool mtf;                        /* step with the monitor trap flag (the CPU offers it) */
    uint64_t landings, land_steps;   /* events landed; single-steps they took */
    uint64_t rx_bytes;               /* bytes received on COM1 (from the console or the log) */
    uint64_t irq0_due;               /* PIT time the pending timer interrupt was due (0: none) */

    struct recorder *rec;            /* VCPU_RECORD */
    struct replayer *rp;             /* VCPU_REPLAY */
    const struct vcpu *peer;         /* the other guest (the Backup's Primary) */
    uint64_t perturb;                /* replay_perturb: event number whose value the Backup alters */
    struct dbgctl *dbg;              /* the Backup's debugger (debugger=com2), or NULL */
    bool end_taken;                  /* the Backup has taken the Primary's EV_END already */

    uint64_t poll_count, timer_irqs, injected, port80, console_bytes, host_nmis;
    char line[200];
    unsigned linelen;
    uint64_t exits[EXIT_REASON_MAX + 1];
    uint64_t exits_total;
    uint64_t stop_rip;               /* the instruction the guest would execute next when it stopped */
    uint64_t io_other;               /* accesses to ports with no device */
    uint64_t launch_tsc, stop_tsc;
    uint64_t slice_start;            /* TSC when the run loop last chose this vCPU */
    uint64_t run_ticks;              /* TSC ticks the core spent on this vCPU (guest and its exits) */
    uint64_t stolen;                 /* ticks it could have run but did not (see vtime.h): its clock lags the TSC by this */
    uint64_t ram_hash, state_hash;   /* at the stop */
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
/* Asks for the guest to stop with an outcome word (for the summary) once the current exit is handled. */
void vcpu_stop(struct vcpu *v, const char *outcome);
/* Ends the guest now: final position, hashes, the line on the console; marks it done. */
void vcpu_finish(struct vcpu *v);
/* Sends one byte of guest console output to the VMM console, line by line with a prefix. */
void vcpu_console_byte(void *vcpu, uint8_t b);
/* The register file of the current exit (VMCS loaded). */
void vcpu_regs(struct vcpu *v, struct hs_regs *out);
/* The position of the current exit, digest included (computed once per exit). */
const struct hs_pos *vcpu_pos(struct vcpu *v);
/* A hash of the guest state that must match between Primary and Backup at the same position. */
uint64_t vcpu_state_hash(struct vcpu *v);

#endif
