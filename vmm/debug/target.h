/* The stopped Backup as the debugger (GDB stub, text monitor) sees it.
 *
 * The VMM implements struct dbg_target (function pointers + ctx) over the Backup's VMCS and RAM;
 * the host tests implement it over a register struct and a RAM buffer. The debugger never
 * resumes the guest itself: gdb_input/monitor_input return an enum dbg_action and the VMM
 * carries it out, then reports the stop with gdb_stopped/monitor_stopped (or dbgmux_stopped).
 *
 * Addresses: breakpoints and watchpoints are guest-virtual (what gdb and the kernel's symbols
 * use); read_phys/write_phys are guest-physical. Guest-virtual memory goes through the guest's
 * page tables (gva.h) with dbg_read_virt/dbg_write_virt below. */
#ifndef HS_DEBUG_TARGET_H
#define HS_DEBUG_TARGET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the VMM does next with the Backup. */
enum dbg_action {
    DBG_ACT_NONE = 0,      /* nothing: keep the guest stopped, feed the next byte */
    DBG_ACT_STEP,          /* execute one instruction, then report DBG_STOP_STEP (or what stopped it) */
    DBG_ACT_CONTINUE,      /* run until a breakpoint or watchpoint, an interrupt request, or the end of
                            * the replay (the Primary's final position); then report why */
    DBG_ACT_NEXT_EVENT,    /* run until the next recorded event has been replayed: DBG_STOP_EVENT */
    DBG_ACT_RUN_TO_PANIC,  /* run to the exact position where the Primary panicked (breakpoints
                            * ignored on the way): DBG_STOP_PANIC there, DBG_STOP_END if it cannot */
    DBG_ACT_INTERRUPT,     /* the user asked to stop the running guest (Ctrl-C): stop it as soon as
                            * possible and report DBG_STOP_INTERRUPT */
    DBG_ACT_DETACH,        /* the debugger is gone (gdb `detach`, monitor `quit`): keep the Backup
                            * frozen and let a new session start on COM2 (dbgmux_reset) */
    DBG_ACT_KILL,          /* gdb `kill`: end the Backup for good */
};

/* Why the guest stopped (reported by the VMM). */
enum dbg_stop_reason {
    DBG_STOP_STEP = 0,     /* a single step completed */
    DBG_STOP_SWBREAK,      /* at a software breakpoint (type 0); addr = its address */
    DBG_STOP_HWBREAK,      /* at a hardware breakpoint (type 1); addr = its address */
    DBG_STOP_WATCH,        /* a write watchpoint (type 2) fired; addr = the data address */
    DBG_STOP_RWATCH,       /* a read watchpoint (type 3) fired */
    DBG_STOP_AWATCH,       /* an access watchpoint (type 4) fired */
    DBG_STOP_EVENT,        /* DBG_ACT_NEXT_EVENT done; msg may describe the event */
    DBG_STOP_PANIC,        /* at the Primary's panic position (DBG_ACT_RUN_TO_PANIC) */
    DBG_STOP_END,          /* the replay cannot go further (end of the log; msg says why) */
    DBG_STOP_INTERRUPT,    /* stopped on DBG_ACT_INTERRUPT */
    DBG_STOP_ERROR,        /* something went wrong (a divergence...); msg says what */
};

struct dbg_stop {
    enum dbg_stop_reason reason;
    uint64_t addr;   /* breakpoint or watched data address (SWBREAK..AWATCH) */
    const char *msg; /* optional one-line detail, or NULL */
};

/* Breakpoint types: the numbers of gdb's Z packets. */
enum dbg_bp_type {
    DBG_BP_SW = 0,       /* software breakpoint (the VMM may implement it without touching guest RAM) */
    DBG_BP_HW = 1,       /* hardware breakpoint */
    DBG_WP_WRITE = 2,    /* write watchpoint */
    DBG_WP_READ = 3,     /* read watchpoint */
    DBG_WP_ACCESS = 4,   /* read/write watchpoint */
};

/* Results of the target's operations. */
enum dbg_result {
    DBG_OK = 0,
    DBG_ERR = -1,          /* failed (bad address, bad value) */
    DBG_UNSUPPORTED = -2,  /* the target does not offer this operation or breakpoint type */
    DBG_NOSLOT = -3,       /* no free breakpoint/watchpoint slot */
};

/* The guest's register file. */
struct dbg_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint16_t cs, ss, ds, es, fs, gs;
    uint64_t fs_base, gs_base, k_gs_base;
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
    /* The FXSAVE image (64-bit format): FCW@0 FSW@2 abridged FTW@4 FOP@6 FIP@8 FDP@16 MXCSR@24
     * ST0-7@32 (16 bytes each, 10 used) XMM0-15@160. */
    uint8_t fxsave[512] __attribute__((aligned(16)));
};

/* Where the Backup stands (monitor `where`). */
struct dbg_pos {
    uint64_t exit_seq;        /* instruction-synchronous exits so far */
    uint64_t rip;
    uint64_t events_replayed; /* events of the log consumed so far */
    uint64_t events_total;    /* events the Primary recorded (0: unknown) */
    bool has_panic;           /* the Primary's panic position is known: */
    uint64_t panic_exit_seq;  /*   its exit_seq */
    uint64_t panic_rip;       /*   and rip */
};

/* The Backup compared with the Primary's final (panic) position (monitor `panic`). */
struct dbg_panic_check {
    bool at_panic;            /* the Backup stands at the Primary's position */
    uint64_t primary_exit_seq, backup_exit_seq;
    uint64_t primary_rip, backup_rip;
    uint64_t primary_regs_hash, backup_regs_hash; /* digests of the register files */
    uint64_t primary_ram_hash, backup_ram_hash;
};

struct dbg_target {
    void *ctx;
    uint64_t ram_size;   /* guest-physical RAM is [0, ram_size) */
    unsigned maxphyaddr; /* physical-address width for the page-table walker; 0 means 52 */

    /* Required. */
    int (*get_regs)(void *ctx, struct dbg_regs *r);       /* DBG_OK or DBG_ERR */
    int (*set_regs)(void *ctx, const struct dbg_regs *r); /* DBG_OK, DBG_ERR, DBG_UNSUPPORTED */
    /* Guest-physical memory: bounds-checked by the implementation against ram_size. They return the
     * number of bytes done (short at the end of RAM, 0 or negative if none). */
    long (*read_phys)(void *ctx, uint64_t pa, void *buf, size_t len);
    long (*write_phys)(void *ctx, uint64_t pa, const void *buf, size_t len);
    /* Breakpoints/watchpoints at a guest-virtual address; len is gdb's kind (1 for x86
     * software breakpoints) or the watched length. DBG_OK, DBG_UNSUPPORTED, DBG_NOSLOT, DBG_ERR. */
    int (*set_break)(void *ctx, enum dbg_bp_type type, uint64_t addr, uint64_t len);
    int (*clear_break)(void *ctx, enum dbg_bp_type type, uint64_t addr, uint64_t len);

    /* Optional (NULL if absent). Symbols (kallsyms): name -> address, address -> name + offset;
     * DBG_OK if found. */
    int (*sym_lookup)(void *ctx, const char *name, size_t len, uint64_t *addr);
    int (*sym_name)(void *ctx, uint64_t addr, char *name, size_t size, uint64_t *off);
    /* The position of the Backup; DBG_OK if known. */
    int (*position)(void *ctx, struct dbg_pos *out);
    /* The Backup against the Primary's final position; DBG_OK if known. */
    int (*panic_check)(void *ctx, struct dbg_panic_check *out);
};

/* Guest-virtual memory through the guest's page tables (regs: CR0, CR3, CR4, EFER), one page at a
 * time. They return the number of bytes done; if fewer than len, why says where it stopped. */
size_t dbg_read_virt(const struct dbg_target *t, const struct dbg_regs *regs, uint64_t va, void *buf, size_t len,
                     char *why, size_t whylen);
size_t dbg_write_virt(const struct dbg_target *t, const struct dbg_regs *regs, uint64_t va, const void *buf,
                      size_t len, char *why, size_t whylen);
/* Guest-physical memory, checked against ram_size here as well (the same contract). */
size_t dbg_read_phys(const struct dbg_target *t, uint64_t pa, void *buf, size_t len, char *why, size_t whylen);
size_t dbg_write_phys(const struct dbg_target *t, uint64_t pa, const void *buf, size_t len, char *why,
                      size_t whylen);

/* A register by name (rax..r15, rip, rflags/eflags, cs..gs, fs_base, gs_base, k_gs_base, cr0, cr2,
 * cr3, cr4, cr8, efer): a pointer to it in r and its size in bytes (8 or 2), or NULL. */
void *dbg_reg_by_name(struct dbg_regs *r, const char *name, size_t len, unsigned *size);

/* Helpers for an implementation over a RAM buffer (the VMM's identity-mapped guest RAM, the tests'
 * fake RAM): bounds-checked copies. They return the bytes done. */
long dbg_ram_read(const uint8_t *ram, uint64_t ram_size, uint64_t pa, void *buf, size_t len);
long dbg_ram_write(uint8_t *ram, uint64_t ram_size, uint64_t pa, const void *buf, size_t len);

#endif
