/* A fake debug target (vmm/debug/target.h) for the host tests, the fuzz harness and the gdb
 * server: a register file, a RAM buffer with page tables built by fake_map, breakpoint slots,
 * a few symbols, a replay position, and a simulated CPU whose every instruction is one byte long
 * (a step moves rip by one; continue steps until a breakpoint). Header-only (static functions). */
#ifndef HS_DBG_FAKE_H
#define HS_DBG_FAKE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "debug/target.h"

#define FAKE_MAX_BP 4
#define FAKE_TABLES 0x10000ull /* page tables are allocated upward from here */
#define FAKE_PTE_P 0x1ull
#define FAKE_PTE_W 0x2ull
#define FAKE_PTE_PS 0x80ull

struct fake_bp {
    bool used;
    enum dbg_bp_type type;
    uint64_t addr, len;
};

struct fake {
    struct dbg_target t;
    struct dbg_regs regs;
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t next_table;
    struct fake_bp bp[FAKE_MAX_BP];
    bool hw_supported;   /* types 1-4 accepted (else DBG_UNSUPPORTED) */
    bool regs_readonly;  /* set_regs fails */
    unsigned set_calls, clear_calls, reg_writes;
    struct dbg_pos pos;
    struct dbg_panic_check panic;
    uint64_t steps;      /* instructions executed */
};

static const struct {
    const char *name;
    uint64_t addr;
} fake_syms[] = {
    { "startup_64", 0xffffffff81000000ull },
    { "panic", 0xffffffff81001000ull },
    { "do_idle", 0xffffffff81002000ull },
    { "linux_banner", 0xffffffff81200000ull },
};

static inline struct fake *fake_of(void *ctx)
{
    return (struct fake *)ctx;
}

static inline int fake_get_regs(void *ctx, struct dbg_regs *r)
{
    *r = fake_of(ctx)->regs;
    return DBG_OK;
}

static inline int fake_set_regs(void *ctx, const struct dbg_regs *r)
{
    struct fake *f = fake_of(ctx);
    if (f->regs_readonly)
        return DBG_ERR;
    f->regs = *r;
    f->reg_writes++;
    return DBG_OK;
}

static inline long fake_read_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct fake *f = fake_of(ctx);
    return dbg_ram_read(f->ram, f->ram_size, pa, buf, len);
}

static inline long fake_write_phys(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    struct fake *f = fake_of(ctx);
    return dbg_ram_write(f->ram, f->ram_size, pa, buf, len);
}

static inline int fake_set_break(void *ctx, enum dbg_bp_type type, uint64_t addr, uint64_t len)
{
    struct fake *f = fake_of(ctx);
    f->set_calls++;
    if (type != DBG_BP_SW && !f->hw_supported)
        return DBG_UNSUPPORTED;
    for (unsigned i = 0; i < FAKE_MAX_BP; i++)
        if (!f->bp[i].used) {
            f->bp[i] = (struct fake_bp){ true, type, addr, len };
            return DBG_OK;
        }
    return DBG_NOSLOT;
}

static inline int fake_clear_break(void *ctx, enum dbg_bp_type type, uint64_t addr, uint64_t len)
{
    struct fake *f = fake_of(ctx);
    f->clear_calls++;
    for (unsigned i = 0; i < FAKE_MAX_BP; i++)
        if (f->bp[i].used && f->bp[i].type == type && f->bp[i].addr == addr) {
            f->bp[i].used = false;
            return DBG_OK;
        }
    return DBG_ERR;
}

static inline int fake_sym_lookup(void *ctx, const char *name, size_t len, uint64_t *addr)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof(fake_syms) / sizeof(fake_syms[0]); i++)
        if (strlen(fake_syms[i].name) == len && !strncmp(fake_syms[i].name, name, len)) {
            *addr = fake_syms[i].addr;
            return DBG_OK;
        }
    return DBG_ERR;
}

static inline int fake_sym_name(void *ctx, uint64_t addr, char *name, size_t size, uint64_t *off)
{
    (void)ctx;
    int best = -1;
    for (size_t i = 0; i < sizeof(fake_syms) / sizeof(fake_syms[0]); i++)
        if (fake_syms[i].addr <= addr && addr - fake_syms[i].addr < 0x1000 &&
            (best < 0 || fake_syms[i].addr > fake_syms[best].addr))
            best = (int)i;
    if (best < 0)
        return DBG_ERR;
    size_t n = strlen(fake_syms[best].name);
    if (n >= size)
        n = size - 1;
    memcpy(name, fake_syms[best].name, n);
    name[n] = 0;
    *off = addr - fake_syms[best].addr;
    return DBG_OK;
}

static inline int fake_position(void *ctx, struct dbg_pos *p)
{
    struct fake *f = fake_of(ctx);
    *p = f->pos;
    p->rip = f->regs.rip;
    return DBG_OK;
}

static inline int fake_panic_check(void *ctx, struct dbg_panic_check *c)
{
    *c = fake_of(ctx)->panic;
    return DBG_OK;
}

/* A new zeroed page-table page. */
static inline uint64_t fake_table(struct fake *f)
{
    uint64_t pa = f->next_table;
    f->next_table += 4096;
    memset(f->ram + pa, 0, 4096);
    return pa;
}

static inline uint64_t fake_get64(struct fake *f, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, f->ram + pa, 8);
    return v;
}

static inline void fake_put64(struct fake *f, uint64_t pa, uint64_t v)
{
    memcpy(f->ram + pa, &v, 8);
}

/* Maps va -> pa with a page of size 4K, 2M or 1G in the 4- or 5-level tables at root (flags
 * added to every entry; P and W always). Intermediate tables are allocated as needed. */
static inline void fake_map_in(struct fake *f, uint64_t root, unsigned levels, uint64_t va, uint64_t pa, uint64_t size,
                        uint64_t flags)
{
    unsigned leaf = size == (1ull << 30) ? 3 : size == (2ull << 20) ? 2 : 1;
    uint64_t table = root;
    for (unsigned lvl = levels; lvl > leaf; lvl--) {
        uint64_t e_pa = table + ((va >> (12 + 9 * (lvl - 1))) & 511) * 8;
        uint64_t e = fake_get64(f, e_pa);
        if (!(e & FAKE_PTE_P)) {
            e = fake_table(f) | FAKE_PTE_P | FAKE_PTE_W;
            fake_put64(f, e_pa, e);
        }
        table = e & 0x000FFFFFFFFFF000ull;
    }
    uint64_t e_pa = table + ((va >> (12 + 9 * (leaf - 1))) & 511) * 8;
    fake_put64(f, e_pa, pa | FAKE_PTE_P | FAKE_PTE_W | (leaf > 1 ? FAKE_PTE_PS : 0) | flags);
}

static inline void fake_map(struct fake *f, uint64_t va, uint64_t pa, uint64_t size)
{
    fake_map_in(f, f->regs.cr3 & ~0xFFFull, (f->regs.cr4 & (1ull << 12)) ? 5 : 4, va, pa, size, 0);
}

/* A target with ram_size bytes of RAM in 4-level long mode: an empty PML4 as CR3, the kernel's
 * text mapped at 0xffffffff81000000 -> 0x1000000 (2M pages, 8M) if RAM allows, the first 2M
 * identity-mapped, rip at startup_64, code bytes 0x90. */
static inline void fake_init(struct fake *f, uint64_t ram_size)
{
    memset(f, 0, sizeof(*f));
    f->ram = calloc(1, ram_size);
    f->ram_size = ram_size;
    f->next_table = FAKE_TABLES;
    f->t = (struct dbg_target){
        .ctx = f,
        .ram_size = ram_size,
        .maxphyaddr = 46,
        .get_regs = fake_get_regs,
        .set_regs = fake_set_regs,
        .read_phys = fake_read_phys,
        .write_phys = fake_write_phys,
        .set_break = fake_set_break,
        .clear_break = fake_clear_break,
        .sym_lookup = fake_sym_lookup,
        .sym_name = fake_sym_name,
        .position = fake_position,
        .panic_check = fake_panic_check,
    };
    struct dbg_regs *r = &f->regs;
    r->cr0 = 0x80050033;
    r->cr4 = 0x3406f0 & ~(1ull << 12);
    r->efer = 0xd01; /* SCE LME LMA NXE */
    r->cr3 = fake_table(f);
    r->cs = 0x10;
    r->ss = r->ds = r->es = 0x18;
    r->rflags = 0x246;
    r->rsp = 0xffffffff81400000ull;
    r->rip = 0xffffffff81000000ull;
    r->fxsave[0] = 0x7f; /* FCW 0x037f */
    r->fxsave[1] = 0x03;
    r->fxsave[24] = 0x80; /* MXCSR 0x1f80 */
    r->fxsave[25] = 0x1f;
    fake_map(f, 0, 0, 2ull << 20);
    if (ram_size >= (24ull << 20)) {
        for (uint64_t o = 0; o < (8ull << 20); o += 2ull << 20)
            fake_map(f, 0xffffffff81000000ull + o, 0x1000000 + o, 2ull << 20);
        memset(f->ram + 0x1000000, 0x90, 8ull << 20);
        memcpy(f->ram + 0x1200000, "Linux version 6.1.0-hindsight (fake)", 37);
    }
    f->pos = (struct dbg_pos){ .exit_seq = 1000, .events_replayed = 42, .events_total = 50, .has_panic = true,
                               .panic_exit_seq = 1234, .panic_rip = 0xffffffff81001000ull };
}

static inline void fake_free(struct fake *f)
{
    free(f->ram);
    f->ram = NULL;
}

/* The breakpoint of a sw/hw type at rip, if any. */
static inline bool fake_bp_at(const struct fake *f, uint64_t rip)
{
    for (unsigned i = 0; i < FAKE_MAX_BP; i++)
        if (f->bp[i].used && f->bp[i].type <= DBG_BP_HW && f->bp[i].addr == rip)
            return true;
    return false;
}

/* One simulated instruction. */
static inline void fake_step(struct fake *f)
{
    f->regs.rip++;
    f->steps++;
    f->pos.exit_seq++;
}

/* Runs up to max instructions: stops at a breakpoint (after at least one instruction). */
static inline struct dbg_stop fake_continue(struct fake *f, uint64_t max)
{
    for (uint64_t i = 0; i < max; i++) {
        fake_step(f);
        for (unsigned k = 0; k < FAKE_MAX_BP; k++)
            if (f->bp[k].used && f->bp[k].type <= DBG_BP_HW && f->bp[k].addr == f->regs.rip)
                return (struct dbg_stop){ f->bp[k].type == DBG_BP_SW ? DBG_STOP_SWBREAK : DBG_STOP_HWBREAK,
                                          f->regs.rip, NULL };
    }
    return (struct dbg_stop){ DBG_STOP_END, 0, "end of the log" };
}

#endif
